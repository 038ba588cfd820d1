/* unet-infer.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

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
  /* Bytes one band may take when unet_model_predict_image is not asked for every class's
   * probabilities: the image goes through the network in bands of as many rows of tiles as fit
   * (at least one), their probabilities at the network's scale and its RGB rows counted;
   * 0 takes UNET_PREDICT_BAND_BYTES. It sets the memory used, not the result. */
  size_t   band_bytes;
  /* Checked before every tile (and so between bands): once cancelled, the prediction stops
   * there and fails with G_IO_ERROR_CANCELLED, leaving the outputs incomplete. A superseded
   * request on a 48-megapixel photo would otherwise run for seconds. NULL: never cancelled. */
  GCancellable *cancellable;
} UnetPredictOptions;

/* Enough for the whole of a 12- or 13-megapixel photo at input scale 0.5 with 21 classes (24
 * floats per network pixel, a quarter as many as the photo's), so that only larger images are
 * cut into bands and pay for a class limit with a second pass. */
#define UNET_PREDICT_BAND_BYTES ((size_t) 320 * 1024 * 1024)

/* An image to predict on, in one of two layouts: planar floats, or packed 8-bit RGB as image
 * decoders give it, where value v stands for v / 255.0f (what voc_image_load_rgb makes of it).
 * The 8-bit layout takes 3 bytes a pixel instead of 12, and gives the same result. */
typedef struct
{
  int           height;
  int           width;
  const float  *rgb;   /* [3,height,width], values in [0,1], or NULL */
  const guint8 *rgb8;  /* [height,width,3], used when rgb is NULL */
} UnetImage;

/* What unet_model_predict_image computes for every pixel, into arrays the caller allocates;
 * members left NULL are not computed, except classes, which is required. */
typedef struct
{
  guint8 *classes;     /* [height,width]: the most probable class (the lowest one on a tie) */
  float  *confidence;  /* [height,width]: its probability */
  float  *entropy;     /* [height,width]: entropy of the pixel's probabilities, in nats */
  float  *probs;       /* [classes,height,width]: every class's probability */
  /* [classes,height,width]: every class's probability before the limit on foreground classes,
   * from the same pass of the network (requires probs) */
  float  *unlimited_probs;
} UnetPrediction;

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
 * array to free with g_free, or NULL with an error (UNET_ERROR_NO_MEMORY when the memory it needs
 * is not there). probs_out, when not NULL, receives the probabilities [classes,height,width]
 * (free with g_free); otherwise they are never all in memory at once (unet_model_predict_image
 * by bands). */
guint8  *unet_model_predict_classes (UnetModel                *model,
                                     const float              *rgb,
                                     int                       height,
                                     int                       width,
                                     const UnetPredictOptions *options,
                                     float                   **probs_out,
                                     GError                  **error);

/* The classes of every pixel, and per request the probability of that class, the entropy and
 * all the probabilities: the argmax and summaries of unet_model_predict's probabilities, bit for
 * bit, whichever way they are computed.
 *
 * With out->probs, this is unet_model_predict (an 8-bit image is converted to floats first).
 * Without, the image never needs more than one band of probabilities in memory: each band of
 * tile rows is resized to the network's scale (only the input rows its tiles read), predicted
 * tile by tile, resized back to full size a few rows at a time (the bilinear resize needs one
 * network row of the band before) and reduced to the outputs. Memory is then the network's
 * tile buffers, the band (options->band_bytes, at least one row of tiles across the whole
 * width) and the outputs, however tall the image.
 * A limit on foreground classes needs the classes' areas over the whole image before any band
 * can be finished: when there is more than one band, the network then runs twice, first to
 * count the areas and then for the result. */
gboolean unet_model_predict_image (UnetModel                *model,
                                   const UnetImage          *image,
                                   const UnetPredictOptions *options,
                                   const UnetPrediction     *out,
                                   GError                  **error);

G_END_DECLS
