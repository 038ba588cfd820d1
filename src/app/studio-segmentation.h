/* studio-segmentation.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gdk/gdk.h>

G_BEGIN_DECLS

#define STUDIO_TYPE_SEGMENTATION (studio_segmentation_get_type ())

G_DECLARE_FINAL_TYPE (StudioSegmentation, studio_segmentation, STUDIO, SEGMENTATION, GObject)

/* Keeping every class's probability costs classes × 4 bytes a pixel (84 for VOC); beyond this
 * many pixels only the predicted class's probability and the entropy are kept, and the worker
 * predicts larger images by bands, never holding all their probabilities. */
#define STUDIO_SEGMENTATION_MAX_PIXELS_WITH_ALL_PROBABILITIES (4 * 1024 * 1024)

/* One segmented image: the picture, the class of every pixel, how sure the model was, and the
 * ground truth when the image came from a dataset. Immutable once the worker hands it over, so
 * that any thread may read it. */
StudioSegmentation *studio_segmentation_new (const char         *image_path,
                                             guint               serial,
                                             int                 width,
                                             int                 height,
                                             GBytes             *rgb8,
                                             guint8             *classes,
                                             float              *confidence,
                                             float              *entropy,
                                             float              *probs,
                                             int                 n_classes,
                                             const char *const  *class_names,
                                             guint8             *truth);

const char         *studio_segmentation_get_image_path   (StudioSegmentation *self);
guint               studio_segmentation_get_serial       (StudioSegmentation *self);
int                 studio_segmentation_get_width        (StudioSegmentation *self);
int                 studio_segmentation_get_height       (StudioSegmentation *self);
int                 studio_segmentation_get_n_classes    (StudioSegmentation *self);
const char *const  *studio_segmentation_get_class_names  (StudioSegmentation *self);
/* The image as a texture (RGB, 8 bits). */
GdkTexture         *studio_segmentation_get_texture      (StudioSegmentation *self);
/* Packed RGB, width × 3 bytes per row. */
const guint8       *studio_segmentation_get_rgb          (StudioSegmentation *self);
/* [height,width] class indices. */
const guint8       *studio_segmentation_get_classes      (StudioSegmentation *self);
/* [height,width] ground-truth indices (255 = void), or NULL. */
const guint8       *studio_segmentation_get_truth        (StudioSegmentation *self);
/* Probability of class at (x, y); the predicted class's when class < 0. */
float               studio_segmentation_get_probability  (StudioSegmentation *self,
                                                          int                 x,
                                                          int                 y,
                                                          int                 class_index);
/* [height,width] probability of one class at every pixel, or NULL when the image was too large
 * to keep every class's probabilities. */
const float        *studio_segmentation_get_class_probabilities (StudioSegmentation *self,
                                                                 int                 class_index);
/* [height,width] probability of the predicted class. */
const float        *studio_segmentation_get_confidence   (StudioSegmentation *self);
/* [height,width] entropy of the class distribution, in nats. */
const float        *studio_segmentation_get_entropy      (StudioSegmentation *self);
/* Pixels per class (n_classes long) of the prediction. */
const guint64      *studio_segmentation_get_counts       (StudioSegmentation *self);
/* IoU of the prediction against the truth over the classes present in either (the image's mIoU),
 * and pixel accuracy; FALSE without truth. */
gboolean            studio_segmentation_get_scores       (StudioSegmentation *self,
                                                          double             *miou,
                                                          double             *pixel_accuracy);

G_END_DECLS
