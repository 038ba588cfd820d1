/* voc-weights.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "voc-colormap.h"
#include "voc-weights.h"

#define EDT_INF 1e20

/* The 1-D squared distance transform of f (lower envelope of parabolas). v, z: scratch of n and
 * n + 1 entries. */
static void
edt_1d (const double *f,
        int           n,
        double       *d,
        int          *v,
        double       *z)
{
  int k = 0;

  v[0] = 0;
  z[0] = -INFINITY;
  z[1] = INFINITY;
  for (int q = 1; q < n; q++)
    {
      double s;

      for (;;)
        {
          int p = v[k];

          s = ((f[q] + (double) q * q) - (f[p] + (double) p * p)) / (2.0 * (q - p));
          if (s > z[k])
            break;
          k--;
        }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = INFINITY;
    }
  k = 0;
  for (int q = 0; q < n; q++)
    {
      while (z[k + 1] < q)
        k++;
      d[q] = (double) (q - v[k]) * (q - v[k]) + f[v[k]];
    }
}

/* In place over a [height,width] grid of doubles: 0 at feature pixels, EDT_INF elsewhere. */
static void
edt_2d (double *grid,
        int     width,
        int     height)
{
  int n = MAX (width, height);
  g_autofree double *f = g_new (double, n);
  g_autofree double *d = g_new (double, n);
  g_autofree double *z = g_new (double, n + 1);
  g_autofree int *v = g_new (int, n);

  for (int x = 0; x < width; x++)
    {
      for (int y = 0; y < height; y++)
        f[y] = grid[(size_t) y * width + x];
      edt_1d (f, height, d, v, z);
      for (int y = 0; y < height; y++)
        grid[(size_t) y * width + x] = MIN (d[y], EDT_INF);
    }
  for (int y = 0; y < height; y++)
    {
      double *row = grid + (size_t) y * width;

      memcpy (f, row, sizeof (double) * width);
      edt_1d (f, width, row, v, z);
      for (int x = 0; x < width; x++)
        row[x] = MIN (row[x], EDT_INF);
    }
}

void
voc_distance_transform_sq (const guint8 *mask,
                           int           width,
                           int           height,
                           float        *out)
{
  g_autofree double *grid = NULL;
  size_t n = (size_t) width * height;

  g_return_if_fail (mask != NULL && out != NULL);
  g_return_if_fail (width > 0 && height > 0);

  grid = g_new (double, n);
  for (size_t i = 0; i < n; i++)
    grid[i] = mask[i] ? 0.0 : EDT_INF;
  edt_2d (grid, width, height);
  for (size_t i = 0; i < n; i++)
    out[i] = (float) grid[i];
}

int
voc_instances_from_labels (const guint8 *labels,
                           int           width,
                           int           height,
                           guint8       *instances)
{
  size_t n = (size_t) width * height;
  g_autofree guint32 *stack = NULL;
  g_autofree gboolean *done = NULL;
  int count = 0;

  g_return_val_if_fail (labels != NULL && instances != NULL, 0);
  g_return_val_if_fail (width > 0 && height > 0, 0);

  stack = g_new (guint32, n);
  done = g_new0 (gboolean, n);
  memset (instances, 0, n);
  for (size_t seed = 0; seed < n; seed++)
    {
      guint8 cls = labels[seed];
      guint8 value;
      size_t top = 0;

      if (done[seed] || cls == 0 || cls == VOC_VOID)
        continue;
      count++;
      value = count <= 254 ? (guint8) count : VOC_VOID;
      stack[top++] = seed;
      done[seed] = TRUE;
      while (top > 0)
        {
          size_t i = stack[--top];
          int x = i % width, y = i / width;
          size_t next[4];
          int n_next = 0;

          instances[i] = value;
          if (x > 0)
            next[n_next++] = i - 1;
          if (x + 1 < width)
            next[n_next++] = i + 1;
          if (y > 0)
            next[n_next++] = i - width;
          if (y + 1 < height)
            next[n_next++] = i + width;
          for (int k = 0; k < n_next; k++)
            if (!done[next[k]] && labels[next[k]] == cls)
              {
                done[next[k]] = TRUE;
                stack[top++] = next[k];
              }
        }
    }
  return count;
}

float *
voc_weight_map_compute (const guint8 *labels,
                        const guint8 *instances,
                        int           width,
                        int           height,
                        const double *class_weights,
                        int           n_classes,
                        double        w0,
                        double        sigma)
{
  size_t n = (size_t) width * height;
  g_autofree guint8 *derived = NULL;
  g_autofree float *d1 = NULL;
  g_autofree float *d2 = NULL;
  g_autofree double *grid = NULL;
  int box[256][4];
  gboolean present[256] = { FALSE };
  int n_instances = 0;
  float *weights;
  int reach;

  g_return_val_if_fail (labels != NULL, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);

  weights = g_new (float, n);
  for (size_t i = 0; i < n; i++)
    {
      guint8 k = labels[i];

      if (k == VOC_VOID || k >= n_classes)
        weights[i] = 0.0f;
      else
        weights[i] = class_weights ? (float) class_weights[k] : 1.0f;
    }
  if (w0 <= 0.0 || sigma <= 0.0)
    return weights;

  if (instances == NULL)
    {
      derived = g_new (guint8, n);
      voc_instances_from_labels (labels, width, height, derived);
      instances = derived;
    }

  /* Bounding box of each instance. */
  for (size_t i = 0; i < n; i++)
    {
      int k = instances[i];
      int x = i % width, y = i / width;

      if (k == 0 || k == VOC_VOID)
        continue;
      if (!present[k])
        {
          present[k] = TRUE;
          n_instances++;
          box[k][0] = box[k][2] = x;
          box[k][1] = box[k][3] = y;
        }
      box[k][0] = MIN (box[k][0], x);
      box[k][1] = MIN (box[k][1], y);
      box[k][2] = MAX (box[k][2], x);
      box[k][3] = MAX (box[k][3], y);
    }
  if (n_instances < 2)
    return weights;

  /* Beyond `reach` from an instance, even d1 = 0 leaves w0·exp(-d2²/2σ²) under 1e-6: only the
   * instance's box grown by that much needs its distance transform. */
  reach = (int) ceil (sigma * sqrt (2.0 * log (MAX (w0, 1.0) / 1e-6)));
  d1 = g_new (float, n);
  d2 = g_new (float, n);
  for (size_t i = 0; i < n; i++)
    d1[i] = d2[i] = INFINITY;
  grid = g_new (double, n);

  for (int k = 1; k < 255; k++)
    {
      int x0, y0, x1, y1, bw, bh;

      if (!present[k])
        continue;
      x0 = MAX (box[k][0] - reach, 0);
      y0 = MAX (box[k][1] - reach, 0);
      x1 = MIN (box[k][2] + reach, width - 1);
      y1 = MIN (box[k][3] + reach, height - 1);
      bw = x1 - x0 + 1;
      bh = y1 - y0 + 1;
      for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++)
          grid[(size_t) y * bw + x] =
            instances[(size_t) (y0 + y) * width + x0 + x] == k ? 0.0 : EDT_INF;
      edt_2d (grid, bw, bh);
      for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++)
          {
            size_t i = (size_t) (y0 + y) * width + x0 + x;
            float d = (float) sqrt (grid[(size_t) y * bw + x]);

            if (d < d1[i])
              {
                d2[i] = d1[i];
                d1[i] = d;
              }
            else if (d < d2[i])
              {
                d2[i] = d;
              }
          }
    }

  for (size_t i = 0; i < n; i++)
    if (labels[i] == 0 && (instances[i] == 0) && isfinite (d2[i]))
      {
        double s = (double) d1[i] + d2[i];

        weights[i] += (float) (w0 * exp (-(s * s) / (2.0 * sigma * sigma)));
      }
  return weights;
}

void
voc_weight_map_init_default (VocWeightMap *wmap,
                             int           n_classes)
{
  g_return_if_fail (wmap != NULL);

  wmap->class_weights = NULL;
  wmap->n_classes = n_classes;
  wmap->w0 = VOC_WEIGHT_W0;
  wmap->sigma = VOC_WEIGHT_SIGMA;
}

void
voc_sample_compute_weights (VocSample          *sample,
                            const VocWeightMap *wmap)
{
  g_return_if_fail (sample != NULL && sample->labels != NULL);
  g_return_if_fail (wmap != NULL);

  g_free (sample->weights);
  sample->weights = voc_weight_map_compute (sample->labels, sample->instances, sample->width,
                                            sample->height, wmap->class_weights,
                                            wmap->n_classes, wmap->w0, wmap->sigma);
}

gboolean
voc_dataset_count_classes (VocDataset  *dataset,
                           GPtrArray   *ids,
                           guint64     *pixel_counts,
                           guint64     *image_pixels,
                           GError     **error)
{
  int n_classes;

  g_return_val_if_fail (dataset != NULL, FALSE);
  g_return_val_if_fail (ids != NULL, FALSE);
  g_return_val_if_fail (pixel_counts != NULL && image_pixels != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n_classes = voc_dataset_get_n_classes (dataset);
  memset (pixel_counts, 0, sizeof (guint64) * n_classes);
  memset (image_pixels, 0, sizeof (guint64) * n_classes);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(VocSample) sample = NULL;
      guint64 counts[256] = { 0 };
      size_t n;

      sample = voc_dataset_load_sample (dataset, g_ptr_array_index (ids, i), VOC_LOAD_LABELS,
                                        error);
      if (sample == NULL)
        return FALSE;
      n = (size_t) sample->width * sample->height;
      for (size_t p = 0; p < n; p++)
        counts[sample->labels[p]]++;
      for (int c = 0; c < n_classes; c++)
        if (counts[c] > 0)
          {
            pixel_counts[c] += counts[c];
            image_pixels[c] += n;
          }
    }
  return TRUE;
}

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

void
voc_class_weights_median_frequency (const guint64 *pixel_counts,
                                    const guint64 *image_pixels,
                                    int            n_classes,
                                    double        *weights)
{
  g_autofree double *freq = NULL;
  double median;
  int m = 0;

  g_return_if_fail (pixel_counts != NULL && image_pixels != NULL && weights != NULL);
  g_return_if_fail (n_classes > 0);

  freq = g_new (double, n_classes);
  for (int c = 0; c < n_classes; c++)
    if (pixel_counts[c] > 0 && image_pixels[c] > 0)
      freq[m++] = (double) pixel_counts[c] / image_pixels[c];
  if (m == 0)
    {
      for (int c = 0; c < n_classes; c++)
        weights[c] = 1.0;
      return;
    }
  qsort (freq, m, sizeof (double), compare_double);
  median = m % 2 ? freq[m / 2] : 0.5 * (freq[m / 2 - 1] + freq[m / 2]);
  for (int c = 0; c < n_classes; c++)
    weights[c] = pixel_counts[c] > 0 && image_pixels[c] > 0
                 ? median / ((double) pixel_counts[c] / image_pixels[c]) : 1.0;
}

void
voc_repeat_factors (const guint8   *present,
                    const gboolean *usable,
                    guint           n_images,
                    int             n_classes,
                    double          threshold,
                    double         *factors)
{
  g_autofree guint *images_with = NULL;
  guint n_usable = 0;

  g_return_if_fail (present != NULL || n_images == 0);
  g_return_if_fail (factors != NULL || n_images == 0);
  g_return_if_fail (n_classes > 0);
  g_return_if_fail (threshold >= 0.0);

  images_with = g_new0 (guint, n_classes);
  for (guint i = 0; i < n_images; i++)
    if (usable == NULL || usable[i])
      {
        n_usable++;
        for (int c = 1; c < n_classes; c++)
          if (present[(size_t) i * n_classes + c])
            images_with[c]++;
      }

  for (guint i = 0; i < n_images; i++)
    {
      double r = 1.0;

      if (usable != NULL && !usable[i])
        {
          factors[i] = 0.0;
          continue;
        }
      for (int c = 1; c < n_classes; c++)
        if (present[(size_t) i * n_classes + c])
          r = MAX (r, sqrt (threshold * n_usable / images_with[c]));
      factors[i] = r;
    }
}

guint
voc_weighted_pick (const double *cumulative,
                   guint         n,
                   double        u)
{
  double target;
  guint lo = 0, hi;

  g_return_val_if_fail (cumulative != NULL && n > 0, 0);

  /* the first index whose running sum exceeds the target: a weight-0 index repeats its
   * predecessor's sum and so is never the first to exceed it */
  target = u * cumulative[n - 1];
  hi = n - 1;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (cumulative[mid] > target)
        hi = mid;
      else
        lo = mid + 1;
    }
  return lo;
}
