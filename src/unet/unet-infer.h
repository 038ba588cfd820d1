/* unet-infer.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet-model.h"

G_BEGIN_DECLS

typedef struct
{
  /* Side of the output tile for valid padding (rounded up to one the model accepts) or of the
   * input tile for same padding (rounded up to a multiple of 2^depth); 0 picks a default
   * (388 / 512). Each tile keeps a whole number of pooling cells of its output, so tiling
   * gives the same probabilities as one pass over the whole (mirror-padded) image. */
  int      tile;
  /* Average with the prediction on the horizontally mirrored image. */
  gboolean flip;
  /* Foreground classes one image may contain (unet_restrict_classes): 0 takes the model's own
   * setting (unet_model_get_max_classes), a negative value sets no limit. */
  int      max_classes;
} UnetPredictOptions;

/* Keep at most max_classes foreground classes (1 … classes-1) in one image's probabilities
 * probs [classes, plane]: the ones that are the most probable class of the most pixels (ties go
 * to the lower class number). The other classes' probabilities become 0 and every pixel's are
 * renormalised to sum to 1, so the pixels they won go to class 0 or to a kept class. Class 0
 * (background) is always kept. max_classes 0 or classes-1 and above change nothing. */
void     unet_restrict_classes (float  *probs,
                                int     classes,
                                size_t  plane,
                                int     max_classes);

/* Per-pixel class probabilities for one image of any size.
 * rgb is [3,height,width], values in [0,1] (not yet normalised); probs is [classes,height,width].
 * Valid padding: the paper's overlap-tile strategy, borders filled by mirroring.
 * Same padding: an image that fits one tile is reflection-padded at its bottom and right to a
 * multiple of 2^depth; larger images are cut into tiles with 32 pixels of mirrored context on
 * every side.
 * A model whose input scale (unet_model_get_input_scale) s is not 1 first resizes the image to
 * round(height·s)×round(width·s) (unet_resize_area to shrink, unet_resize_bilinear to grow),
 * predicts at that size, the tile counted in the network's pixels, and resizes the
 * probabilities back to height×width bilinearly. The limit on foreground classes
 * (options->max_classes) applies at the network's scale, before that. */
gboolean unet_model_predict (UnetModel                *model,
                             const float              *rgb,
                             int                       height,
                             int                       width,
                             float                    *probs,
                             const UnetPredictOptions *options,
                             GError                  **error);

/* The class of every pixel (argmax of unet_model_predict's probabilities): a new [height,width]
 * array to free with g_free, or NULL with an error (UNET_ERROR_NO_MEMORY when the probabilities
 * do not fit). probs_out, when not NULL, receives the probabilities [classes,height,width]
 * (free with g_free); otherwise they are freed here. */
guint8  *unet_model_predict_classes (UnetModel                *model,
                                     const float              *rgb,
                                     int                       height,
                                     int                       width,
                                     const UnetPredictOptions *options,
                                     float                   **probs_out,
                                     GError                  **error);

G_END_DECLS
