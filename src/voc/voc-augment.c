/* voc-augment.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "voc-augment.h"
#include "voc-colormap.h"
#include "voc-error.h"

#define MAX_TILE 4096
#define MAX_GRID 8

void
voc_augment_options_init_default (VocAugmentOptions *options)
{
  g_return_if_fail (options != NULL);

  options->scale_min = 0.75;
  options->scale_max = 1.25;
  options->rotation = 10.0;
  options->flip_probability = 0.5;
  options->random_crop = TRUE;
  options->elastic_sigma = 10.0;
  options->elastic_grid = 3;
  options->brightness = 0.2;
  options->contrast = 0.2;
  options->saturation = 0.2;
}

void
voc_augment_options_init_identity (VocAugmentOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->scale_min = 1.0;
  options->scale_max = 1.0;
  options->elastic_grid = 3;
}

/* Reflect at the border without repeating the edge pixel, like the engine's tiling. */
static inline int
mirror_index (int i,
              int n)
{
  int period;

  if (i >= 0 && i < n)
    return i;
  if (n == 1)
    return 0;
  /* One reflection covers every tile that is not much larger than the image, without '%'. */
  if (i < 0 && i > -n)
    return -i;
  period = 2 * (n - 1);
  if (i >= n && i <= period)
    return period - i;
  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - i;
}

static inline int
fast_floor (double x)
{
  int i = (int) x;

  return i - (x < i);
}

/* Catmull-Rom weights of the `grid` nodes (spread evenly over 0..size-1) at every position
 * 0..size-1; nodes beyond the ends are clamped to the end nodes. weights is [size,grid]. */
static void
cubic_grid_weights (int     size,
                    int     grid,
                    double *weights)
{
  memset (weights, 0, sizeof (double) * size * grid);
  for (int u = 0; u < size; u++)
    {
      double t = size > 1 ? (double) u * (grid - 1) / (size - 1) : 0.0;
      int i0 = MIN ((int) floor (t), grid - 2);
      double f = t - i0;
      double f2 = f * f, f3 = f2 * f;
      double w[4] = {
        -0.5 * f3 + f2 - 0.5 * f,
        1.5 * f3 - 2.5 * f2 + 1.0,
        -1.5 * f3 + 2.0 * f2 + 0.5 * f,
        0.5 * f3 - 0.5 * f2,
      };

      for (int k = 0; k < 4; k++)
        weights[(size_t) u * grid + CLAMP (i0 - 1 + k, 0, grid - 1)] += w[k];
    }
}

static gboolean
check_arguments (const VocSample          *sample,
                 const VocAugmentOptions  *options,
                 int                       in_size,
                 int                       out_size,
                 GError                  **error)
{
  const char *id = sample->id ? sample->id : "sample";

  if (sample->rgb == NULL || sample->width <= 0 || sample->height <= 0)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT,
                   "%s: augmentation needs the image (load it with VOC_LOAD_IMAGE)", id);
      return FALSE;
    }
  if (in_size <= 0 || in_size > MAX_TILE || out_size <= 0 || out_size > in_size
      || (in_size - out_size) % 2 != 0)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT,
                   "%s: cannot cut a %d-pixel label tile out of a %d-pixel input tile (the label "
                   "tile must be centred: no larger, and smaller by an even number)",
                   id, out_size, in_size);
      return FALSE;
    }
  if (!(options->scale_min > 0.0) || !(options->scale_max >= options->scale_min)
      || options->scale_max > 100.0 || !(options->rotation >= 0.0 && options->rotation <= 180.0)
      || !(options->flip_probability >= 0.0 && options->flip_probability <= 1.0)
      || !(options->elastic_sigma >= 0.0 && options->elastic_sigma <= 1000.0)
      || options->elastic_grid < 2 || options->elastic_grid > MAX_GRID
      || !(options->brightness >= 0.0 && options->brightness <= 1.0)
      || !(options->contrast >= 0.0 && options->contrast <= 1.0)
      || !(options->saturation >= 0.0 && options->saturation <= 1.0))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT,
                   "augmentation options out of range (scale %g–%g, rotation %g°, flip %g, "
                   "elastic σ %g on a %d-grid, jitter %g/%g/%g)", options->scale_min,
                   options->scale_max, options->rotation, options->flip_probability,
                   options->elastic_sigma, options->elastic_grid, options->brightness,
                   options->contrast, options->saturation);
      return FALSE;
    }
  return TRUE;
}

/* Where the tile's centre goes in the image: uniformly among the positions that keep the label
 * window inside the image (or, for a small image, the image inside the window). */
static double
crop_centre (double u,
             int    size,
             double half_window)
{
  double lo = -0.5 + half_window;
  double hi = size - 0.5 - half_window;

  if (lo > hi)
    {
      double t = lo;

      lo = hi;
      hi = t;
    }
  return lo + u * (hi - lo);
}

static void
colour_jitter (float  *image,
               size_t  plane,
               double  brightness,
               double  contrast,
               double  saturation)
{
  float *r = image, *g = image + plane, *b = image + 2 * plane;
  float fb = (float) brightness, fc = (float) contrast, fs = (float) saturation;
  double sum = 0.0;
  float mean;

  for (size_t i = 0; i < plane; i++)
    sum += 0.299 * r[i] + 0.587 * g[i] + 0.114 * b[i];
  mean = (float) (sum / plane) * fb;

  for (size_t i = 0; i < plane; i++)
    {
      float cr = (r[i] * fb - mean) * fc + mean;
      float cg = (g[i] * fb - mean) * fc + mean;
      float cb = (b[i] * fb - mean) * fc + mean;
      float grey = 0.299f * cr + 0.587f * cg + 0.114f * cb;

      r[i] = CLAMP (grey + (cr - grey) * fs, 0.0f, 1.0f);
      g[i] = CLAMP (grey + (cg - grey) * fs, 0.0f, 1.0f);
      b[i] = CLAMP (grey + (cb - grey) * fs, 0.0f, 1.0f);
    }
}

/* Where each output pixel comes from: drawn once per sample. */
typedef struct
{
  double   cx, cy;            /* the source point under the tile's centre */
  double   c_t;               /* the tile's centre */
  double   cos_a, sin_a, inv_scale;
  gboolean flip;
  int      grid;              /* elastic: control points per side, 0 = none */
  double  *grid_w;            /* [in_size, grid] cubic weights */
  double   disp[2][MAX_GRID * MAX_GRID];
  double   brightness, contrast, saturation;
} Warp;

/* Always the same draws in the same order, whatever is switched off. */
static void
draw_warp (const VocAugmentOptions *options,
           UnetRng                 *rng,
           int                      W,
           int                      H,
           int                      in_size,
           int                      out_size,
           Warp                    *warp)
{
  int grid = options->elastic_grid;
  double scale, angle, flip_u, crop_u[2], cx, cy;

  scale = options->scale_min + unet_rng_uniform (rng) * (options->scale_max - options->scale_min);
  angle = (2.0 * unet_rng_uniform (rng) - 1.0) * options->rotation * G_PI / 180.0;
  flip_u = unet_rng_uniform (rng);
  crop_u[0] = unet_rng_uniform (rng);
  crop_u[1] = unet_rng_uniform (rng);
  for (int i = 0; i < grid * grid; i++)
    {
      warp->disp[0][i] = unet_rng_normal (rng) * options->elastic_sigma;
      warp->disp[1][i] = unet_rng_normal (rng) * options->elastic_sigma;
    }
  warp->brightness = 1.0 + (2.0 * unet_rng_uniform (rng) - 1.0) * options->brightness;
  warp->contrast = 1.0 + (2.0 * unet_rng_uniform (rng) - 1.0) * options->contrast;
  warp->saturation = 1.0 + (2.0 * unet_rng_uniform (rng) - 1.0) * options->saturation;

  warp->flip = flip_u < options->flip_probability;
  warp->grid = options->elastic_sigma > 0.0 ? grid : 0;
  warp->inv_scale = 1.0 / scale;
  warp->cos_a = cos (angle);
  warp->sin_a = sin (angle);
  warp->c_t = (in_size - 1) / 2.0;
  if (options->random_crop)
    {
      cx = crop_centre (crop_u[0], W, out_size / (2.0 * scale));
      cy = crop_centre (crop_u[1], H, out_size / (2.0 * scale));
    }
  else
    {
      cx = (W - 1) / 2.0;
      cy = (H - 1) / 2.0;
    }
  /* Whole-pixel offsets, so that an untransformed tile is an exact copy of the image. */
  warp->cx = warp->c_t + floor (cx - warp->c_t + 0.5);
  warp->cy = warp->c_t + floor (cy - warp->c_t + 0.5);
  warp->grid_w = NULL;
  if (warp->grid > 0)
    {
      warp->grid_w = g_new (double, (size_t) in_size * grid);
      cubic_grid_weights (in_size, grid, warp->grid_w);
    }
}

/* The label (and weight) at source point (px, py): the nearest pixel, void outside. */
static void
sample_label (const VocSample *sample,
              const float     *weights_src,
              double           px,
              double           py,
              guint8          *label_out,
              float           *weight_out)
{
  const int W = sample->width, H = sample->height;
  int xn = fast_floor (px + 0.5);
  int yn = fast_floor (py + 0.5);
  gboolean inside = xn >= 0 && xn < W && yn >= 0 && yn < H;
  size_t si = inside ? (size_t) yn * W + xn : 0;
  guint8 label = inside ? sample->labels[si] : VOC_VOID;

  if (label_out != NULL)
    *label_out = label;
  if (weight_out != NULL)
    {
      if (!inside)
        *weight_out = 0.0f;
      else if (weights_src != NULL)
        *weight_out = weights_src[si];
      else
        *weight_out = label == VOC_VOID ? 0.0f : 1.0f;
    }
}

/* One row of the tile: bilinear colour everywhere, labels and weights in the output window. */
static void
warp_row (const Warp      *warp,
          const VocSample *sample,
          const float     *weights_src,
          int              v,
          int              in_size,
          int              out_size,
          float           *image_out,
          guint8          *labels_out,
          float           *weights_out)
{
  const int W = sample->width, H = sample->height, grid = warp->grid;
  const size_t src_plane = (size_t) W * H, plane = (size_t) in_size * in_size;
  const float *src_r = sample->rgb, *src_g = src_r + src_plane, *src_b = src_g + src_plane;
  const int margin = (in_size - out_size) / 2;
  gboolean label_row = v >= margin && v < margin + out_size;
  float *out_r = image_out + (size_t) v * in_size, *out_g = out_r + plane, *out_b = out_g + plane;
  double row_disp[2][MAX_GRID];

  if (grid > 0)
    {
      const double *wy = warp->grid_w + (size_t) v * grid;

      for (int i = 0; i < grid; i++)
        {
          row_disp[0][i] = row_disp[1][i] = 0.0;
          for (int j = 0; j < grid; j++)
            {
              row_disp[0][i] += wy[j] * warp->disp[0][j * grid + i];
              row_disp[1][i] += wy[j] * warp->disp[1][j * grid + i];
            }
        }
    }

  for (int u = 0; u < in_size; u++)
    {
      double qx = u - warp->c_t, qy = v - warp->c_t, px, py, fx, fy;
      int x0, y0, xa, xb, ya, yb;
      size_t i00, i01, i10, i11;

      if (grid > 0)
        {
          const double *wx = warp->grid_w + (size_t) u * grid;

          for (int i = 0; i < grid; i++)
            {
              qx += wx[i] * row_disp[0][i];
              qy += wx[i] * row_disp[1][i];
            }
        }
      if (warp->flip)
        qx = -qx;
      px = warp->cx + (warp->cos_a * qx - warp->sin_a * qy) * warp->inv_scale;
      py = warp->cy + (warp->sin_a * qx + warp->cos_a * qy) * warp->inv_scale;

      x0 = fast_floor (px);
      y0 = fast_floor (py);
      fx = px - x0;
      fy = py - y0;
      xa = mirror_index (x0, W);
      xb = mirror_index (x0 + 1, W);
      ya = mirror_index (y0, H);
      yb = mirror_index (y0 + 1, H);
      i00 = (size_t) ya * W + xa;
      i01 = (size_t) ya * W + xb;
      i10 = (size_t) yb * W + xa;
      i11 = (size_t) yb * W + xb;
      {
        /* Four independent products per channel rather than a dependent chain. */
        float ffx = (float) fx, ffy = (float) fy;
        float w00 = (1.0f - ffx) * (1.0f - ffy), w01 = ffx * (1.0f - ffy);
        float w10 = (1.0f - ffx) * ffy, w11 = ffx * ffy;

        out_r[u] = w00 * src_r[i00] + w01 * src_r[i01] + w10 * src_r[i10] + w11 * src_r[i11];
        out_g[u] = w00 * src_g[i00] + w01 * src_g[i01] + w10 * src_g[i10] + w11 * src_g[i11];
        out_b[u] = w00 * src_b[i00] + w01 * src_b[i01] + w10 * src_b[i10] + w11 * src_b[i11];
      }

      if (label_row && u >= margin && u < margin + out_size)
        {
          size_t o = (size_t) (v - margin) * out_size + (u - margin);

          sample_label (sample, weights_src, px, py, labels_out ? &labels_out[o] : NULL,
                        weights_out ? &weights_out[o] : NULL);
        }
    }
}

gboolean
voc_augment_sample (const VocSample          *sample,
                    const VocAugmentOptions  *options,
                    UnetRng                  *rng,
                    int                       in_size,
                    int                       out_size,
                    float                    *image_out,
                    guint8                   *labels_out,
                    float                    *weights_out,
                    const VocWeightMap       *wmap,
                    GError                  **error)
{
  g_autofree float *computed_weights = NULL;
  const float *weights_src;
  Warp warp;

  g_return_val_if_fail (sample != NULL, FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (rng != NULL, FALSE);
  g_return_val_if_fail (image_out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_arguments (sample, options, in_size, out_size, error))
    return FALSE;
  if ((labels_out != NULL || weights_out != NULL) && sample->labels == NULL)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT,
                   "%s: augmenting labels needs the class mask (VOC_LOAD_LABELS)",
                   sample->id ? sample->id : "sample");
      return FALSE;
    }

  draw_warp (options, rng, sample->width, sample->height, in_size, out_size, &warp);
  weights_src = sample->weights;
  if (weights_out != NULL && weights_src == NULL && wmap != NULL)
    {
      computed_weights = voc_weight_map_compute (sample->labels, sample->instances,
                                                 sample->width, sample->height,
                                                 wmap->class_weights, wmap->n_classes,
                                                 wmap->w0, wmap->sigma);
      weights_src = computed_weights;
    }

  for (int v = 0; v < in_size; v++)
    warp_row (&warp, sample, weights_src, v, in_size, out_size, image_out, labels_out,
              weights_out);
  g_free (warp.grid_w);

  if (warp.brightness != 1.0 || warp.contrast != 1.0 || warp.saturation != 1.0)
    colour_jitter (image_out, (size_t) in_size * in_size, warp.brightness, warp.contrast,
                   warp.saturation);
  return TRUE;
}

size_t
voc_augment_paste (float        *image,
                   guint8       *labels,
                   float        *weights,
                   const float  *src_image,
                   const guint8 *src_labels,
                   const float  *src_weights,
                   int           in_size,
                   int           out_size)
{
  size_t in_plane = (size_t) in_size * in_size;
  int offset = (in_size - out_size) / 2;
  size_t pasted = 0;

  g_return_val_if_fail (image != NULL && labels != NULL, 0);
  g_return_val_if_fail (src_image != NULL && src_labels != NULL, 0);
  g_return_val_if_fail ((weights == NULL) == (src_weights == NULL), 0);
  g_return_val_if_fail (out_size > 0 && out_size <= in_size, 0);

  for (int y = 0; y < out_size; y++)
    for (int x = 0; x < out_size; x++)
      {
        size_t o = (size_t) y * out_size + x;
        size_t i = (size_t) (y + offset) * in_size + x + offset;
        guint8 label = src_labels[o];

        if (label == 0 || label == VOC_VOID)
          continue;
        for (int c = 0; c < 3; c++)
          image[c * in_plane + i] = src_image[c * in_plane + i];
        labels[o] = label;
        if (weights != NULL)
          weights[o] = src_weights[o];
        pasted++;
      }
  return pasted;
}
