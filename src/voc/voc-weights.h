/* voc-weights.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "voc-dataset.h"

G_BEGIN_DECLS

/* The paper's separation border: w0 = 10, σ = 5 px. */
#define VOC_WEIGHT_W0    10.0
#define VOC_WEIGHT_SIGMA 5.0

/* The paper's pixel weight map (Ronneberger et al. 2015, eq. 2):
 *   w(x) = w_c(x) + w0 · exp(-(d1(x) + d2(x))² / 2σ²)
 * w_c: class_weights[label] (1 when class_weights is NULL); d1, d2: Euclidean distances from a
 * background pixel (label 0) to the nearest pixel of the nearest and of the second-nearest
 * instance. The border term is only added on background pixels and only when there are two
 * instances or more; it is cut off where it falls below 1e-6. Void pixels (255) get weight 0.
 * instances: 1..254 are instances, 0 and 255 are not; NULL derives instances from the class
 * mask (4-connected regions of one class, see voc_instances_from_labels()).
 * Labels >= n_classes count as void. Returns [height,width]; free with g_free(). */
float *voc_weight_map_compute (const guint8  *labels,
                               const guint8  *instances,
                               int            width,
                               int            height,
                               const double  *class_weights,
                               int            n_classes,
                               double         w0,
                               double         sigma);

/* Options for voc_augment_sample() and voc_sample_compute_weights(). */
typedef struct
{
  const double *class_weights; /* n_classes entries, or NULL for 1 everywhere */
  int           n_classes;
  double        w0;            /* VOC_WEIGHT_W0; 0 switches the border term off */
  double        sigma;         /* VOC_WEIGHT_SIGMA */
} VocWeightMap;

void     voc_weight_map_init_default (VocWeightMap  *wmap,
                                      int            n_classes);

/* Fill sample->weights from its labels and instances (once; augmentation then warps it). */
void     voc_sample_compute_weights  (VocSample          *sample,
                                      const VocWeightMap *wmap);

/* Exact squared Euclidean distance transform (Felzenszwalb & Huttenlocher 2012): out[i] is the
 * squared distance from pixel i to the nearest pixel with mask != 0 (1e20 when there is none). */
void     voc_distance_transform_sq   (const guint8  *mask,
                                      int            width,
                                      int            height,
                                      float         *out);

/* Label the 4-connected regions of equal class (not 0, not 255) as instances 1..254; regions
 * beyond the 254th become 255. Returns the number of regions found. */
int      voc_instances_from_labels   (const guint8  *labels,
                                      int            width,
                                      int            height,
                                      guint8        *instances);

/* Pixel counts of each class over the class masks of `ids` (pixel_counts), and the total pixel
 * count of the images in which each class appears (image_pixels), both n_classes long. */
gboolean voc_dataset_count_classes   (VocDataset    *dataset,
                                      GPtrArray     *ids,
                                      guint64       *pixel_counts,
                                      guint64       *image_pixels,
                                      GError       **error);

/* Median frequency balancing (Eigen & Fergus 2015): freq_c = pixel_counts[c] / image_pixels[c],
 * weight_c = median(freq) / freq_c over the classes that occur; classes that never occur get 1. */
void     voc_class_weights_median_frequency (const guint64 *pixel_counts,
                                             const guint64 *image_pixels,
                                             int            n_classes,
                                             double        *weights);

/* Repeat factors of class-aware sampling (Gupta et al. 2019, LVIS): image i gets
 * r_i = max over the foreground classes c (1 … n_classes-1) it contains of max (1, √(t / f_c)),
 * f_c the share of the images that contain c, so that an image with a rare class is drawn about
 * √(t / f_c) times as often; an image without foreground gets 1, and t 0 gives 1 everywhere.
 * present is [n_images, n_classes], non-zero where the image contains the class; an image
 * marked unusable (usable[i] FALSE, or usable NULL for all usable) gets 0 and is not counted. */
void     voc_repeat_factors          (const guint8  *present,
                                      const gboolean *usable,
                                      guint          n_images,
                                      int            n_classes,
                                      double         threshold,
                                      double        *factors);

/* The index i drawn with probability weight_i / Σ weight, for u uniform in [0, 1), from the
 * running sums cumulative[i] = weight_0 + … + weight_i (non-decreasing, the last positive).
 * Never an index of weight 0. */
guint    voc_weighted_pick           (const double  *cumulative,
                                      guint          n,
                                      double         u);

G_END_DECLS
