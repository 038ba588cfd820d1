/* voc-augment.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet/unet-rng.h"

#include "voc-dataset.h"
#include "voc-weights.h"

G_BEGIN_DECLS

typedef struct
{
  double   scale_min;          /* image scale factor, uniform in [min, max]; 0.75 … 1.25 */
  double   scale_max;
  double   rotation;           /* rotation uniform in ±this many degrees; 10 */
  double   flip_probability;   /* horizontal flip; 0.5 */
  gboolean random_crop;        /* TRUE: crop position uniform; FALSE: centred */
  double   elastic_sigma;      /* std of the grid displacements, px; 10 (the paper); 0 = off */
  int      elastic_grid;       /* grid nodes per side, 2..8; 3 (the paper) */
  double   brightness;         /* factors uniform in [1 - x, 1 + x]; 0.2 each; 0 = off */
  double   contrast;
  double   saturation;
  double   copy_paste;         /* probability that a tile gets another tile's objects pasted
                                * over it (voc_augment_paste; the trainer picks the other
                                * sample); 0 = off, the default */
} VocAugmentOptions;

/* The defaults above. */
void     voc_augment_options_init_default  (VocAugmentOptions *options);
/* No transform at all: a centred crop (starting at round((W - in) / 2)), mirrored outside. */
void     voc_augment_options_init_identity (VocAugmentOptions *options);

/* Cut one training tile out of a sample with a random transform.
 *
 * One geometric map (elastic displacement on a coarse grid with bicubic interpolation, flip,
 * rotation, scale, crop position) is composed and applied backwards: every output pixel looks up
 * its source position once. image_out [3,in_size,in_size] is interpolated bilinearly with the
 * image mirrored at its borders (the paper's overlap-tile context); labels_out
 * [out_size,out_size] is the centre of the tile (valid padding: out_size <= in_size, the
 * difference even), nearest neighbour, 255 (void) outside the image, so padding is never learnt
 * as background. weights_out [out_size,out_size] (may be NULL) takes sample->weights the same
 * way, or a map computed now from `wmap`, or 1 (0 on void) when there is neither. Colour jitter
 * (brightness, contrast, saturation) comes last and the image is clamped to [0,1].
 *
 * The random numbers drawn depend only on options->elastic_grid, never on the sample or the
 * options' values, and nothing is threaded: the same RNG state always gives the same tile. */
gboolean voc_augment_sample (const VocSample          *sample,
                             const VocAugmentOptions  *options,
                             UnetRng                  *rng,
                             int                       in_size,
                             int                       out_size,
                             float                    *image_out,
                             guint8                   *labels_out,
                             float                    *weights_out,
                             const VocWeightMap       *wmap,
                             GError                  **error);

/* Copy-paste augmentation (Ghiasi et al. 2021, "Simple Copy-Paste is a Strong Data
 * Augmentation Method for Instance Segmentation"): the objects of one augmented tile pasted over
 * another, so that a network trained on a few photos sees objects in new places and company.
 * Every output pixel whose src label is a foreground class (1 to 254) takes the src tile's
 * image pixel, label and weight (weights and src_weights may both be NULL); background, void
 * and the input tile's context outside the output (valid padding: labels are the centre
 * out_size×out_size of the in_size×in_size image) stay. Returns how many pixels were pasted. */
size_t   voc_augment_paste  (float                    *image,
                             guint8                   *labels,
                             float                    *weights,
                             const float              *src_image,
                             const guint8             *src_labels,
                             const float              *src_weights,
                             int                       in_size,
                             int                       out_size);

G_END_DECLS
