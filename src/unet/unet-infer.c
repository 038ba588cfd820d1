/* unet-infer.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
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

/* Copies the window of the image at (y0, x0), mirrored where it leaves the image, into a
 * normalised network input [3,tile_h,tile_w]. rgb holds the rows `band` of the image (band.height
 * × band.width pixels), which must include every row the window reads. */
static void
fill_tile (float       *tile,
           const float *rgb,
           UnetBand     band,
           int          y0,
           int          x0,
           int          tile_h,
           int          tile_w,
           gboolean     flip,
           const float  mean[3],
           const float  std[3])
{
  int height = band.height, width = band.width;

  for (int c = 0; c < 3; c++)
    {
      const float *plane = rgb + (size_t) c * band.rows * width;
      float *dst = tile + (size_t) c * tile_h * tile_w;
      float inv_std = 1.0f / std[c];

      for (int y = 0; y < tile_h; y++)
        {
          int sy = mirror_index (y0 + y, height) - band.y0;
          const float *row = plane + (size_t) sy * width;

          g_assert (sy >= 0 && sy < band.rows);
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

            if (g_cancellable_set_error_if_cancelled (options->cancellable, error))
              return FALSE;
            fill_tile (tile, rgb, (UnetBand) { height, width, 0, height }, oy - ph.margin,
                       ox - pw.margin, ph.in_tile, pw.in_tile, flip, mean, std);
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

/* Adds to area[k] the pixels among the first n of probs [classes, plane] whose most probable
 * class is k (the lowest on a tie, as unet_argmax). */
static void
count_winners (const float *probs,
               int          classes,
               size_t       plane,
               size_t       n,
               size_t       area[])
{
  for (size_t i = 0; i < n; i++)
    {
      int best = 0;

      for (int k = 1; k < classes; k++)
        if (probs[k * plane + i] > probs[best * plane + i])
          best = k;
      area[best]++;
    }
}

/* The classes unet_restrict_classes keeps, given their areas; FALSE when none of the others is
 * any pixel's most probable class, so that dropping them would change nothing but rounding. */
static gboolean
choose_kept (const size_t area[],
             int          classes,
             int          max_classes,
             gboolean     kept[])
{
  int n_kept;

  for (int k = 0; k < classes; k++)
    kept[k] = k == 0;
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
  for (int k = 1; k < classes; k++)
    if (!kept[k] && area[k] > 0)
      return TRUE;
  return FALSE;
}

/* Zeroes the classes not kept in the first n pixels of probs [classes, plane] and renormalises
 * each of those pixels. */
static void
drop_classes (float          *probs,
              int             classes,
              size_t          plane,
              size_t          n,
              const gboolean  kept[])
{
  for (int k = 1; k < classes; k++)
    if (!kept[k])
      memset (probs + k * plane, 0, n * sizeof *probs);

  for (size_t i = 0; i < n; i++)
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

void
unet_restrict_classes (float  *probs,
                       int     classes,
                       size_t  plane,
                       int     max_classes)
{
  size_t area[UNET_MAX_CLASSES] = { 0 };
  gboolean kept[UNET_MAX_CLASSES];

  g_return_if_fail (probs != NULL);
  g_return_if_fail (classes >= 2 && classes <= UNET_MAX_CLASSES);

  if (max_classes <= 0 || max_classes >= classes - 1)
    return;

  count_winners (probs, classes, plane, plane, area);
  /* When no dropped class was any pixel's most probable, leave the probabilities exactly as
   * they are, unchanged even by rounding. */
  if (!choose_kept (area, classes, max_classes, kept))
    return;
  drop_classes (probs, classes, plane, plane, kept);
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

/* The errors every prediction reports before it starts. */
static gboolean
check_input (UnetModel  *model,
             int         height,
             int         width,
             GError    **error)
{
  const UnetConfig *config = unet_model_get_config (model);

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
  return TRUE;
}

/* unet_model_predict, and into unlimited_probs (when not NULL) the probabilities before the
 * class limit, so that a caller who needs both runs the network once. */
static gboolean
predict_whole (UnetModel                *model,
               const float              *rgb,
               int                       height,
               int                       width,
               float                    *probs,
               float                    *unlimited_probs,
               const UnetPredictOptions *options,
               GError                  **error)
{
  UnetPredictOptions defaults = { 0 };
  g_autofree float *scaled_rgb = NULL;
  g_autofree float *scaled_probs = NULL;
  double scale;
  int K, scaled_h, scaled_w, max_classes;

  if (options == NULL)
    options = &defaults;
  if (!check_input (model, height, width, error))
    return FALSE;

  scale = unet_model_get_input_scale (model);
  scaled_h = unet_resize_scaled_size (height, scale);
  scaled_w = unet_resize_scaled_size (width, scale);
  K = unet_model_get_config (model)->classes;
  max_classes = effective_max_classes (model, options);
  if (scaled_h == height && scaled_w == width)
    {
      if (!predict_tiled (model, rgb, height, width, probs, options, error))
        return FALSE;
      if (unlimited_probs != NULL)
        memcpy (unlimited_probs, probs, sizeof (float) * K * height * width);
      unet_restrict_classes (probs, K, (size_t) height * width, max_classes);
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
  if (unlimited_probs != NULL)
    unet_resize_bilinear (unlimited_probs, scaled_probs, K, scaled_h, scaled_w, height, width);
  unet_restrict_classes (scaled_probs, K, (size_t) scaled_h * scaled_w, max_classes);
  unet_resize_bilinear (probs, scaled_probs, K, scaled_h, scaled_w, height, width);
  return TRUE;
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
  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (rgb != NULL, FALSE);
  g_return_val_if_fail (probs != NULL, FALSE);

  return predict_whole (model, rgb, height, width, probs, NULL, options, error);
}

/* --- prediction by bands ------------------------------------------------------------------- */

/* Full-size probabilities held at once while they are summarised, and rows of an 8-bit image
 * held as floats while they are resized: each an eighth of the band's bytes, at most a few
 * megabytes, so that both are small beside the band and still amortise the per-call overhead
 * over thousands of pixels. */
#define MAX_CHUNK_BYTES ((size_t) 4 * 1024 * 1024)

/* One prediction by bands: the plan, and every buffer it needs, allocated once. */
typedef struct
{
  UnetModel       *model;
  const UnetImage *image;
  int              K;
  int              net_h;       /* the image at the network's scale */
  int              net_w;
  gboolean         scaled;      /* the network's size is not the image's */
  gboolean         area;        /* shrink by area averaging (else grow bilinearly) */
  AxisPlan         ph;
  AxisPlan         pw;
  UnetShape        out_shape;   /* of one tile */
  float            mean[3];
  float            std[3];
  int              passes;
  int              band_tiles;  /* rows of tiles per band */
  int              n_bands;
  int              net_chunk;   /* network rows resized at once from an 8-bit image */
  int              source_rows; /* capacity of `source`, in image rows */
  int              full_chunk;  /* full-size rows summarised at once */

  float           *tile;        /* [3,in_tile,in_tile] */
  float           *tile_probs;  /* [K,out_shape.height,out_shape.width] */
  float           *net_rgb;     /* [3,rows,net_w]: the rows a band's tiles read; NULL when they
                                 * are read from the image itself */
  float           *source;      /* [3,source_rows,width]: 8-bit rows as floats, to be resized */
  float           *probs;       /* [K,rows,net_w]: a band's probabilities, one row before it */
  float           *carry;       /* [K,net_w]: the previous band's last row */
  float           *full;        /* [K,full_chunk,width]: full-size probabilities */
} Bands;

static void
bands_clear (Bands *self)
{
  g_clear_pointer (&self->tile, g_free);
  g_clear_pointer (&self->tile_probs, g_free);
  g_clear_pointer (&self->net_rgb, g_free);
  g_clear_pointer (&self->source, g_free);
  g_clear_pointer (&self->probs, g_free);
  g_clear_pointer (&self->carry, g_free);
  g_clear_pointer (&self->full, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Bands, bands_clear)

/* The network rows [*y0, *y1) that band b predicts. */
static void
band_rows (const Bands *self,
           int          b,
           int         *y0,
           int         *y1)
{
  *y0 = b * self->band_tiles * self->ph.keep;
  *y1 = MIN ((b + 1) * self->band_tiles * self->ph.keep, self->net_h);
}

/* The rows of the image at the network's scale that band b's tiles read, mirrored borders
 * included. Mirroring maps a run of rows onto a run of rows. */
static UnetBand
band_input (const Bands *self,
            int          b)
{
  int t0 = b * self->band_tiles;
  int t1 = MIN (t0 + self->band_tiles, self->ph.n_tiles);
  int first = t0 * self->ph.keep - self->ph.margin;
  int last = (t1 - 1) * self->ph.keep - self->ph.margin + self->ph.in_tile - 1;
  int lo = self->net_h, hi = -1;

  for (int r = first; r <= last; r++)
    {
      int m = mirror_index (r, self->net_h);

      lo = MIN (lo, m);
      hi = MAX (hi, m);
    }
  return (UnetBand) { self->net_h, self->net_w, lo, hi - lo + 1 };
}

/* Rows [y0, y0 + rows) of an 8-bit image as planar floats [3,rows,width], with the values
 * voc_image_load_rgb gives the same pixels. */
static void
rgb8_to_float (const UnetImage *image,
               int              y0,
               int              rows,
               float           *out)
{
  size_t plane = (size_t) rows * image->width;
  float lut[256];

  for (int i = 0; i < 256; i++)
    lut[i] = (float) i / 255.0f;
  for (int y = 0; y < rows; y++)
    {
      const guint8 *src = image->rgb8 + (size_t) (y0 + y) * image->width * 3;
      float *r = out + (size_t) y * image->width;

      for (int x = 0; x < image->width; x++, src += 3)
        {
          r[x] = lut[src[0]];
          r[x + plane] = lut[src[1]];
          r[x + 2 * plane] = lut[src[2]];
        }
    }
}

static UnetBand
resize_source (const Bands *self,
               UnetBand     net)
{
  if (self->area)
    return unet_resize_area_source (net, self->image->height, self->image->width);
  return unet_resize_bilinear_source (net, self->image->height, self->image->width);
}

static void
resize_rows (const Bands *self,
             float       *out,
             UnetBand     out_band,
             const float *in,
             UnetBand     in_band,
             int          channels)
{
  if (self->area)
    unet_resize_area_band (out, out_band, in, in_band, channels);
  else
    unet_resize_bilinear_band (out, out_band, in, in_band, channels);
}

/* The rows `need` of the image at the network's scale, as the image itself or in net_rgb:
 * returns the floats and sets *held to the rows they hold. */
static const float *
load_input (Bands      *self,
            UnetBand    need,
            UnetBand   *held)
{
  const UnetImage *image = self->image;
  UnetBand whole = { image->height, image->width, 0, image->height };

  if (!self->scaled && image->rgb != NULL)
    {
      *held = whole;
      return image->rgb;
    }
  *held = need;
  if (!self->scaled)
    rgb8_to_float (image, need.y0, need.rows, self->net_rgb);
  else if (image->rgb != NULL)
    resize_rows (self, self->net_rgb, need, image->rgb, whole, 3);
  else
    {
      /* a few network rows at a time, so that only their image rows are ever floats */
      for (int y = need.y0; y < need.y0 + need.rows; y += self->net_chunk)
        {
          UnetBand chunk = { need.height, need.width, y,
                             MIN (self->net_chunk, need.y0 + need.rows - y) };
          UnetBand source = resize_source (self, chunk);

          g_assert (source.rows <= self->source_rows);
          rgb8_to_float (image, source.y0, source.rows, self->source);
          for (int c = 0; c < 3; c++)
            resize_rows (self,
                         self->net_rgb + ((size_t) c * need.rows + (y - need.y0)) * need.width,
                         chunk, self->source + (size_t) c * source.rows * image->width, source,
                         1);
        }
    }
  return self->net_rgb;
}

/* Adds band b's probabilities into self->probs, which holds the network rows `band` and is
 * zero where the band's rows go: the tiles of predict_tiled that keep those rows, in the same
 * order, so every sum comes out the same. FALSE once cancellable is cancelled. */
static gboolean
predict_band (Bands         *self,
              int            b,
              UnetBand       band,
              GCancellable  *cancellable,
              GError       **error)
{
  const UnetConfig *config = unet_model_get_config (self->model);
  const AxisPlan *ph = &self->ph, *pw = &self->pw;
  size_t tile_plane = (size_t) self->out_shape.height * self->out_shape.width;
  /* where the kept window starts inside the network's output */
  int off_y = config->padding == UNET_PADDING_VALID ? 0 : ph->margin;
  int off_x = config->padding == UNET_PADDING_VALID ? 0 : pw->margin;
  int t0 = b * self->band_tiles;
  int t1 = MIN (t0 + self->band_tiles, ph->n_tiles);
  int width = self->net_w;
  UnetBand held;
  const float *rgb;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  rgb = load_input (self, band_input (self, b), &held);

  for (int pass = 0; pass < self->passes; pass++)
    {
      gboolean flip = pass == 1;

      for (int ty = t0; ty < t1; ty++)
        for (int tx = 0; tx < pw->n_tiles; tx++)
          {
            int oy = ty * ph->keep;
            int ox = tx * pw->keep;
            int kept_h = MIN (ph->keep, self->net_h - oy);
            int kept_w = MIN (pw->keep, width - ox);
            const float *logits;

            if (g_cancellable_set_error_if_cancelled (cancellable, error))
              return FALSE;
            fill_tile (self->tile, rgb, held, oy - ph->margin, ox - pw->margin, ph->in_tile,
                       pw->in_tile, flip, self->mean, self->std);
            logits = unet_model_forward (self->model, self->tile, FALSE);
            unet_softmax (self->tile_probs, logits, self->out_shape);

            for (int k = 0; k < self->K; k++)
              for (int y = 0; y < kept_h; y++)
                {
                  const float *src = self->tile_probs + k * tile_plane +
                                     (size_t) (off_y + y) * self->out_shape.width + off_x;
                  float *dst = self->probs +
                               ((size_t) k * band.rows + (oy + y - band.y0)) * width;

                  for (int x = 0; x < kept_w; x++)
                    {
                      int column = flip ? width - 1 - (ox + x) : ox + x;
                      dst[column] += src[x] / self->passes;
                    }
                }
          }
    }
  return TRUE;
}

/* Writes what `out` asks for of n pixels, from probs [K, plane], at pixel `at` of the outputs. */
static void
summarize (const float          *probs,
           int                   K,
           size_t                plane,
           size_t                n,
           const UnetPrediction *out,
           size_t                at)
{
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++)
    {
      int best = 0;

      for (int k = 1; k < K; k++)
        if (probs[k * plane + i] > probs[best * plane + i])
          best = k;
      out->classes[at + i] = (guint8) best;
      if (out->confidence != NULL)
        out->confidence[at + i] = probs[best * plane + i];
      if (out->entropy != NULL)
        {
          double h = 0.0;

          for (int k = 0; k < K; k++)
            {
              float p = probs[k * plane + i];

              if (p > 0.0f)
                h -= p * log (p);
            }
          out->entropy[at + i] = (float) h;
        }
    }
}

/* Brings the full-size rows from *next on whose bilinear taps band `band` of self->probs holds
 * back to full size, a chunk at a time, and summarises them. */
static void
emit_scaled (Bands                *self,
             UnetBand              band,
             gboolean              last,
             const UnetPrediction *out,
             int                  *next)
{
  int height = self->image->height, width = self->image->width;

  while (*next < height)
    {
      int n = MIN (self->full_chunk, height - *next);
      UnetBand chunk;

      /* a row whose lower tap is in the next band waits for it */
      while (!last && n > 0)
        {
          UnetBand taps = unet_resize_bilinear_source ((UnetBand) { height, width, *next + n - 1, 1 },
                                                       self->net_h, self->net_w);

          if (taps.y0 + taps.rows <= band.y0 + band.rows)
            break;
          n--;
        }
      if (n == 0)
        return;
      chunk = (UnetBand) { height, width, *next, n };
      unet_resize_bilinear_band (self->full, chunk, self->probs, band, self->K);
      summarize (self->full, self->K, (size_t) n * width, (size_t) n * width, out,
                 (size_t) *next * width);
      *next += n;
    }
}

static gboolean
bands_init (Bands                    *self,
            UnetModel                *model,
            const UnetImage          *image,
            const UnetPredictOptions *options,
            GError                  **error)
{
  const UnetConfig *config = unet_model_get_config (model);
  double scale = unet_model_get_input_scale (model);
  size_t budget = options->band_bytes > 0 ? options->band_bytes : UNET_PREDICT_BAND_BYTES;
  size_t row_bytes, max_rows, chunk_bytes, input_rows = 0;

  self->model = model;
  self->image = image;
  self->K = config->classes;
  self->net_h = unet_resize_scaled_size (image->height, scale);
  self->net_w = unet_resize_scaled_size (image->width, scale);
  self->scaled = self->net_h != image->height || self->net_w != image->width;
  self->area = scale < 1.0;
  self->passes = options->flip ? 2 : 1;
  if (!plan_axis (config, self->net_h, options->tile, &self->ph, error) ||
      !plan_axis (config, self->net_w, options->tile, &self->pw, error))
    return FALSE;
  if (!unet_model_prepare (model, 1, self->ph.in_tile, self->pw.in_tile, FALSE, error))
    return FALSE;
  self->out_shape = unet_model_get_output_shape (model);
  unet_model_get_normalization (model, self->mean, self->std);

  /* a network row costs its probabilities and its RGB */
  row_bytes = (size_t) (self->K + 3) * sizeof (float) * self->net_w;
  if (row_bytes * self->net_h <= budget)
    self->band_tiles = self->ph.n_tiles;
  else
    self->band_tiles = (int) CLAMP (budget / (row_bytes * self->ph.keep), 1,
                                    (size_t) self->ph.n_tiles);
  self->n_bands = (self->ph.n_tiles + self->band_tiles - 1) / self->band_tiles;
  max_rows = MIN ((size_t) self->band_tiles * self->ph.keep, (size_t) self->net_h);
  for (int b = 0; b < self->n_bands; b++)
    input_rows = MAX (input_rows, (size_t) band_input (self, b).rows);

  /* the network rows whose image rows fit in a chunk, counting the partly covered ones at
   * either end */
  chunk_bytes = MIN (budget / 8, MAX_CHUNK_BYTES);
  self->source_rows = MAX (2, (int) MIN (chunk_bytes / (3 * sizeof (float) * image->width),
                                         (size_t) image->height));
  self->net_chunk = MAX (1, (int) ((double) (self->source_rows - 2) * self->net_h / image->height));
  self->source_rows = MIN (image->height,
                           (int) ceil ((double) self->net_chunk * image->height / self->net_h) + 2);
  self->full_chunk = MAX (1, (int) MIN (chunk_bytes / (self->K * sizeof (float) * image->width),
                                        (size_t) image->height));

  self->tile = g_try_new (float, (size_t) 3 * self->ph.in_tile * self->pw.in_tile);
  self->tile_probs = g_try_new (float, (size_t) self->K * self->out_shape.height *
                                       self->out_shape.width);
  /* one row more for the previous band's last one, which the bilinear resize reads */
  self->probs = g_try_new (float, (size_t) self->K * (max_rows + 1) * self->net_w);
  if (self->scaled || image->rgb == NULL)
    self->net_rgb = g_try_new (float, 3 * input_rows * self->net_w);
  if (self->scaled && image->rgb == NULL)
    self->source = g_try_new (float, (size_t) 3 * self->source_rows * image->width);
  if (self->scaled)
    {
      self->carry = g_try_new (float, (size_t) self->K * self->net_w);
      self->full = g_try_new (float, (size_t) self->K * self->full_chunk * image->width);
    }
  if (self->tile == NULL || self->tile_probs == NULL || self->probs == NULL ||
      ((self->scaled || image->rgb == NULL) && self->net_rgb == NULL) ||
      (self->scaled && image->rgb == NULL && self->source == NULL) ||
      (self->scaled && (self->carry == NULL || self->full == NULL)))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                   "Not enough memory to predict a %d×%d image in bands of %zu rows",
                   image->width, image->height, max_rows);
      return FALSE;
    }
  return TRUE;
}

static gboolean
predict_by_bands (UnetModel                *model,
                  const UnetImage          *image,
                  const UnetPredictOptions *options,
                  const UnetPrediction     *out,
                  GError                  **error)
{
  g_auto(Bands) self = { 0 };
  int max_classes = effective_max_classes (model, options);
  gboolean limited = FALSE, dropping = FALSE;
  gboolean kept[UNET_MAX_CLASSES];
  int next = 0;

  if (!bands_init (&self, model, image, options, error))
    return FALSE;
  limited = max_classes > 0 && max_classes < self.K - 1;

  /* The classes to keep depend on the whole image: with several bands, a first pass counts
   * them. One band holds the whole image and counts as it goes. */
  if (limited && self.n_bands > 1)
    {
      size_t area[UNET_MAX_CLASSES] = { 0 };

      for (int b = 0; b < self.n_bands; b++)
        {
          int y0, y1;
          UnetBand band;

          band_rows (&self, b, &y0, &y1);
          band = (UnetBand) { self.net_h, self.net_w, y0, y1 - y0 };
          memset (self.probs, 0, sizeof (float) * self.K * band.rows * self.net_w);
          if (!predict_band (&self, b, band, options->cancellable, error))
            return FALSE;
          count_winners (self.probs, self.K, (size_t) band.rows * self.net_w,
                         (size_t) band.rows * self.net_w, area);
        }
      dropping = choose_kept (area, self.K, max_classes, kept);
    }

  for (int b = 0; b < self.n_bands; b++)
    {
      gboolean carried = self.scaled && b > 0;
      int y0, y1;
      UnetBand band;
      size_t plane, n_new;
      float *fresh;

      band_rows (&self, b, &y0, &y1);
      band = (UnetBand) { self.net_h, self.net_w, y0 - carried, y1 - y0 + carried };
      plane = (size_t) band.rows * self.net_w;
      n_new = (size_t) (y1 - y0) * self.net_w;
      fresh = self.probs + (carried ? self.net_w : 0);
      memset (self.probs, 0, sizeof (float) * self.K * plane);
      if (carried)
        for (int k = 0; k < self.K; k++)
          memcpy (self.probs + k * plane, self.carry + (size_t) k * self.net_w,
                  sizeof (float) * self.net_w);
      if (!predict_band (&self, b, band, options->cancellable, error))
        return FALSE;

      if (limited && self.n_bands == 1)
        {
          size_t area[UNET_MAX_CLASSES] = { 0 };

          count_winners (fresh, self.K, plane, n_new, area);
          dropping = choose_kept (area, self.K, max_classes, kept);
        }
      if (dropping)
        drop_classes (fresh, self.K, plane, n_new, kept);

      if (!self.scaled)
        {
          summarize (fresh, self.K, plane, n_new, out, (size_t) y0 * self.net_w);
          continue;
        }
      emit_scaled (&self, band, b == self.n_bands - 1, out, &next);
      for (int k = 0; k < self.K; k++)
        memcpy (self.carry + (size_t) k * self.net_w,
                self.probs + k * plane + (size_t) (band.rows - 1) * self.net_w,
                sizeof (float) * self.net_w);
    }
  g_assert (!self.scaled || next == image->height);
  return TRUE;
}

gboolean
unet_model_predict_image (UnetModel                *model,
                          const UnetImage          *image,
                          const UnetPredictOptions *options,
                          const UnetPrediction     *out,
                          GError                  **error)
{
  UnetPredictOptions defaults = { 0 };
  g_autofree float *converted = NULL;
  const float *rgb;
  size_t plane;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (image != NULL, FALSE);
  g_return_val_if_fail ((image->rgb != NULL) != (image->rgb8 != NULL), FALSE);
  g_return_val_if_fail (out != NULL && out->classes != NULL, FALSE);
  g_return_val_if_fail (out->unlimited_probs == NULL || out->probs != NULL, FALSE);

  if (options == NULL)
    options = &defaults;
  if (!check_input (model, image->height, image->width, error))
    return FALSE;
  if (out->probs == NULL)
    return predict_by_bands (model, image, options, out, error);

  plane = (size_t) image->height * image->width;
  rgb = image->rgb;
  if (rgb == NULL)
    {
      converted = g_try_new (float, 3 * plane);
      if (converted == NULL)
        {
          g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                       "Not enough memory for a %d×%d image", image->width, image->height);
          return FALSE;
        }
      rgb8_to_float (image, 0, image->height, converted);
      rgb = converted;
    }
  if (!predict_whole (model, rgb, image->height, image->width, out->probs, out->unlimited_probs,
                      options, error))
    return FALSE;
  summarize (out->probs, unet_model_get_config (model)->classes, plane, plane, out, 0);
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
  UnetImage image = { height, width, rgb, NULL };
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
  classes = g_try_new (guint8, plane);
  if (probs_out != NULL)
    probs = g_try_new (float, plane * K);
  if (classes == NULL || (probs_out != NULL && probs == NULL))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                   "Not enough memory for the classes of a %d×%d image", width, height);
      return NULL;
    }
  if (!unet_model_predict_image (model, &image, options,
                                 &(UnetPrediction) { .classes = classes, .probs = probs }, error))
    return NULL;

  if (probs_out)
    *probs_out = g_steal_pointer (&probs);
  return g_steal_pointer (&classes);
}
