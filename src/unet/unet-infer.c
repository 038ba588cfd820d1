/* unet-infer.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "unet-error.h"
#include "unet-infer.h"
#include "unet-metrics.h"
#include "unet-resize.h"

#define DEFAULT_VALID_TILE 388
#define DEFAULT_SAME_TILE 512
/* Context kept around each same-padding tile, so that the zero padding at tile borders does not
 * reach the pixels we keep. */
#define SAME_TILE_MARGIN 32

/* How one image axis is cut into tiles. */
typedef struct
{
  int in_tile;  /* input pixels per tile */
  int margin;   /* input pixels before the first kept output pixel */
  int keep;     /* output pixels kept per tile */
  int n_tiles;
} AxisPlan;

/* Mirror an index into [0, n) the way the paper fills missing context: reflect at the border
 * without repeating the edge pixel, repeatedly for indices far outside. */
static inline int
mirror_index (int i,
              int n)
{
  int period;

  if (n == 1)
    return 0;
  period = 2 * (n - 1);
  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - i;
}

static gboolean
plan_axis (const UnetConfig  *config,
           int                size,
           int                tile,
           AxisPlan          *plan,
           GError           **error)
{
  if (config->padding == UNET_PADDING_VALID)
    {
      int out = tile > 0 ? tile : DEFAULT_VALID_TILE;
      int in;

      int step = 1 << config->depth;

      /* a small image needs only one tile just big enough for it */
      if (size < out)
        out = size;
      while (out > 0 && !unet_config_input_size_for_output (config, out, &in, NULL))
        out++;
      if (!unet_config_input_size_for_output (config, out, &in, error))
        return FALSE;
      plan->in_tile = in;
      plan->margin = (in - out) / 2;
      plan->keep = out;
      /* The network is shift-equivariant only for shifts by whole pooling cells (2^depth), and
       * valid output sides never are such a multiple. Tiles that start at multiples of it, and
       * keep that much of their output, give exactly what one pass over the whole image would. */
      if (size > out)
        {
          if (out < step)
            {
              g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                           "Tile %d is too small for a depth-%d model", out, config->depth);
              return FALSE;
            }
          plan->keep = out / step * step;
        }
    }
  else
    {
      int step = 1 << config->depth;
      int in = tile > 0 ? tile : DEFAULT_SAME_TILE;

      /* a tile keeps at least half as much as it spends on context: tiny tiles would cost many
       * times the work of one pass */
      in = MAX ((in + step - 1) / step * step, 3 * SAME_TILE_MARGIN);
      if (size <= in)
        {
          plan->in_tile = (size + step - 1) / step * step;
          plan->margin = 0;
          plan->keep = plan->in_tile;
        }
      else
        {
          plan->in_tile = in;
          plan->margin = SAME_TILE_MARGIN;
          plan->keep = in - 2 * SAME_TILE_MARGIN;
        }
    }

  plan->n_tiles = (size + plan->keep - 1) / plan->keep;
  return TRUE;
}

static void
fill_tile (float       *tile,
           const float *rgb,
           int          height,
           int          width,
           int          y0,
           int          x0,
           int          tile_h,
           int          tile_w,
           gboolean     flip,
           const float  mean[3],
           const float  std[3])
{
  for (int c = 0; c < 3; c++)
    {
      const float *plane = rgb + (size_t) c * height * width;
      float *dst = tile + (size_t) c * tile_h * tile_w;
      float inv_std = 1.0f / std[c];

      for (int y = 0; y < tile_h; y++)
        {
          const float *row = plane + (size_t) mirror_index (y0 + y, height) * width;

          for (int x = 0; x < tile_w; x++)
            {
              int sx = mirror_index (x0 + x, width);

              /* flip reads the image as if mirrored left to right */
              if (flip)
                sx = width - 1 - sx;
              dst[(size_t) y * tile_w + x] = (row[sx] - mean[c]) * inv_std;
            }
        }
    }
}

/* The overlap-tile prediction of an image at the size the network sees it. */
static gboolean
predict_tiled (UnetModel                *model,
               const float              *rgb,
               int                       height,
               int                       width,
               float                    *probs,
               const UnetPredictOptions *options,
               GError                  **error)
{
  const UnetConfig *config = unet_model_get_config (model);
  AxisPlan ph, pw;
  g_autofree float *tile = NULL;
  g_autofree float *tile_probs = NULL;
  UnetShape out_shape;
  float mean[3], std[3];
  int K, passes;
  size_t plane;

  if (!plan_axis (config, height, options->tile, &ph, error) ||
      !plan_axis (config, width, options->tile, &pw, error))
    return FALSE;
  if (!unet_model_prepare (model, 1, ph.in_tile, pw.in_tile, FALSE, error))
    return FALSE;

  out_shape = unet_model_get_output_shape (model);
  K = config->classes;
  plane = (size_t) out_shape.height * out_shape.width;
  unet_model_get_normalization (model, mean, std);
  tile = g_try_new (float, (size_t) 3 * ph.in_tile * pw.in_tile);
  tile_probs = g_try_new (float, (size_t) K * plane);
  if (tile == NULL || tile_probs == NULL)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                   "Not enough memory for a %d×%d tile", pw.in_tile, ph.in_tile);
      return FALSE;
    }

  memset (probs, 0, sizeof (float) * K * height * width);
  passes = options->flip ? 2 : 1;

  /* The flipped pass is an ordinary prediction of the mirrored image, tiled from its own left
   * edge, whose columns are mirrored back when stored. */
  for (int pass = 0; pass < passes; pass++)
    {
      gboolean flip = pass == 1;

      for (int ty = 0; ty < ph.n_tiles; ty++)
        for (int tx = 0; tx < pw.n_tiles; tx++)
          {
            int oy = ty * ph.keep;
            int ox = tx * pw.keep;
            int kept_h = MIN (ph.keep, height - oy);
            int kept_w = MIN (pw.keep, width - ox);
            /* where the kept window starts inside the network's output */
            int off_y = config->padding == UNET_PADDING_VALID ? 0 : ph.margin;
            int off_x = config->padding == UNET_PADDING_VALID ? 0 : pw.margin;
            const float *logits;

            fill_tile (tile, rgb, height, width, oy - ph.margin, ox - pw.margin,
                       ph.in_tile, pw.in_tile, flip, mean, std);
            logits = unet_model_forward (model, tile, FALSE);
            unet_softmax (tile_probs, logits, out_shape);

            for (int k = 0; k < K; k++)
              for (int y = 0; y < kept_h; y++)
                {
                  const float *src = tile_probs + k * plane + (size_t) (off_y + y) * out_shape.width + off_x;
                  float *dst = probs + ((size_t) k * height + oy + y) * width;

                  for (int x = 0; x < kept_w; x++)
                    {
                      int column = flip ? width - 1 - (ox + x) : ox + x;
                      dst[column] += src[x] / passes;
                    }
                }
          }
    }

  return TRUE;
}

void
unet_restrict_classes (float  *probs,
                       int     classes,
                       size_t  plane,
                       int     max_classes)
{
  size_t area[UNET_MAX_CLASSES] = { 0 };
  gboolean kept[UNET_MAX_CLASSES] = { FALSE };
  gboolean dropped_pixels = FALSE;
  int n_kept;

  g_return_if_fail (probs != NULL);
  g_return_if_fail (classes >= 2 && classes <= UNET_MAX_CLASSES);

  if (max_classes <= 0 || max_classes >= classes - 1)
    return;

  for (size_t i = 0; i < plane; i++)
    {
      int best = 0;

      for (int k = 1; k < classes; k++)
        if (probs[k * plane + i] > probs[best * plane + i])
          best = k;
      area[best]++;
    }

  kept[0] = TRUE;
  for (n_kept = 0; n_kept < max_classes; n_kept++)
    {
      int largest = 0;

      for (int k = 1; k < classes; k++)
        if (!kept[k] && area[k] > 0 && (largest == 0 || area[k] > area[largest]))
          largest = k;
      /* 0: no foreground class with pixels is left */
      if (largest == 0)
        break;
      kept[largest] = TRUE;
    }
  /* When no dropped class was any pixel's most probable, leave the probabilities exactly as
   * they are, unchanged even by rounding. */
  for (int k = 1; k < classes; k++)
    if (!kept[k] && area[k] > 0)
      dropped_pixels = TRUE;
  if (!dropped_pixels)
    return;

  for (int k = 1; k < classes; k++)
    if (!kept[k])
      memset (probs + k * plane, 0, plane * sizeof *probs);

  for (size_t i = 0; i < plane; i++)
    {
      float sum = 0.0f;

      for (int k = 0; k < classes; k++)
        sum += probs[k * plane + i];
      /* softmax outputs are positive; a pixel whose only mass was in dropped classes (an
       * underflow) becomes background */
      if (sum > 0.0f)
        for (int k = 0; k < classes; k++)
          probs[k * plane + i] /= sum;
      else
        probs[i] = 1.0f;
    }
}

static int
effective_max_classes (UnetModel                *model,
                       const UnetPredictOptions *options)
{
  if (options->max_classes < 0)
    return 0;
  if (options->max_classes > 0)
    return options->max_classes;
  return unet_model_get_max_classes (model);
}

gboolean
unet_model_predict (UnetModel                *model,
                    const float              *rgb,
                    int                       height,
                    int                       width,
                    float                    *probs,
                    const UnetPredictOptions *options,
                    GError                  **error)
{
  const UnetConfig *config;
  UnetPredictOptions defaults = { 0, FALSE, 0 };
  g_autofree float *scaled_rgb = NULL;
  g_autofree float *scaled_probs = NULL;
  double scale;
  int K, scaled_h, scaled_w;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (rgb != NULL, FALSE);
  g_return_val_if_fail (probs != NULL, FALSE);

  if (options == NULL)
    options = &defaults;
  config = unet_model_get_config (model);
  if (config->in_channels != 3)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG,
                   "This model takes %d input channels, not an RGB image", config->in_channels);
      return FALSE;
    }
  if (height < 1 || width < 1)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                   "Image size %d×%d is empty", width, height);
      return FALSE;
    }

  scale = unet_model_get_input_scale (model);
  scaled_h = unet_resize_scaled_size (height, scale);
  scaled_w = unet_resize_scaled_size (width, scale);
  K = config->classes;
  if (scaled_h == height && scaled_w == width)
    {
      if (!predict_tiled (model, rgb, height, width, probs, options, error))
        return FALSE;
      unet_restrict_classes (probs, K, (size_t) height * width,
                             effective_max_classes (model, options));
      return TRUE;
    }

  /* The network sees the image at its input scale; the probabilities come back to full size. */
  scaled_rgb = g_try_new (float, (size_t) 3 * scaled_h * scaled_w);
  scaled_probs = g_try_new (float, (size_t) K * scaled_h * scaled_w);
  if (scaled_rgb == NULL || scaled_probs == NULL)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                   "Not enough memory for a %d×%d image at input scale %g (%d×%d)",
                   width, height, scale, scaled_w, scaled_h);
      return FALSE;
    }
  /* shrinking averages, so that fine detail does not alias into false patterns */
  if (scale < 1.0)
    unet_resize_area (scaled_rgb, rgb, 3, height, width, scaled_h, scaled_w);
  else
    unet_resize_bilinear (scaled_rgb, rgb, 3, height, width, scaled_h, scaled_w);
  if (!predict_tiled (model, scaled_rgb, scaled_h, scaled_w, scaled_probs, options, error))
    return FALSE;
  unet_restrict_classes (scaled_probs, K, (size_t) scaled_h * scaled_w,
                         effective_max_classes (model, options));
  unet_resize_bilinear (probs, scaled_probs, K, scaled_h, scaled_w, height, width);
  return TRUE;
}

guint8 *
unet_model_predict_classes (UnetModel                *model,
                            const float              *rgb,
                            int                       height,
                            int                       width,
                            const UnetPredictOptions *options,
                            float                   **probs_out,
                            GError                  **error)
{
  g_autofree float *probs = NULL;
  g_autofree guint8 *classes = NULL;
  size_t plane;
  int K;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (rgb != NULL, NULL);

  if (height < 1 || width < 1)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                   "Image size %d×%d is empty", width, height);
      return NULL;
    }

  K = unet_model_get_config (model)->classes;
  plane = (size_t) width * height;
  probs = g_try_new (float, plane * K);
  classes = g_try_new (guint8, plane);
  if (probs == NULL || classes == NULL)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                   "Not enough memory for the class probabilities of a %d×%d image", width, height);
      return NULL;
    }
  if (!unet_model_predict (model, rgb, height, width, probs, options, error))
    return NULL;
  unet_argmax (classes, probs, (UnetShape) { 1, K, height, width });

  if (probs_out)
    *probs_out = g_steal_pointer (&probs);
  return g_steal_pointer (&classes);
}
