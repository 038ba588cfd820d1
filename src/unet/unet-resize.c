/* unet-resize.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "unet-resize.h"

int
unet_resize_scaled_size (int    size,
                         double scale)
{
  double scaled = floor (size * scale + 0.5);

  if (!(scaled >= 1.0))
    return 1;
  return scaled < G_MAXINT ? (int) scaled : G_MAXINT;
}

/* The input pixels [*first, *last] that output pixel o covers along one axis. */
static inline void
area_span (int     o,
           int     in,
           int     out,
           double *start,
           double *end,
           int    *first,
           int    *last)
{
  /* (o · in) / out is exact at both ends of the axis: the last span ends at `in` itself */
  *start = (double) o * in / out;
  *end = (double) (o + 1) * in / out;
  *first = (int) *start;
  *last = MIN ((int) ceil (*end) - 1, in - 1);
}

UnetBand
unet_resize_area_source (UnetBand out,
                         int      in_h,
                         int      in_w)
{
  double start, end;
  int first, last, unused;

  area_span (out.y0, in_h, out.height, &start, &end, &first, &unused);
  area_span (out.y0 + out.rows - 1, in_h, out.height, &start, &end, &unused, &last);
  return (UnetBand) { in_h, in_w, first, last - first + 1 };
}

/* Whether band `inner` is part of band `outer` of the same image. */
static gboolean
band_contains (UnetBand outer,
               UnetBand inner)
{
  return outer.height == inner.height && outer.width == inner.width &&
         inner.y0 >= outer.y0 && inner.y0 + inner.rows <= outer.y0 + outer.rows;
}

static gboolean
band_is_valid (UnetBand band)
{
  return band.height > 0 && band.width > 0 && band.rows > 0 && band.y0 >= 0 &&
         band.y0 + band.rows <= band.height;
}

void
unet_resize_area_band (float       *out,
                       UnetBand     out_band,
                       const float *in,
                       UnetBand     in_band,
                       int          channels)
{
  int in_h = in_band.height, in_w = in_band.width;
  int out_h = out_band.height, out_w = out_band.width;

  g_return_if_fail (out != NULL && in != NULL && channels > 0);
  g_return_if_fail (band_is_valid (out_band) && band_is_valid (in_band));
  g_return_if_fail (band_contains (in_band, unet_resize_area_source (out_band, in_h, in_w)));

#pragma omp parallel for schedule(static)
  for (int k = 0; k < channels * out_band.rows; k++)
    {
      int c = k / out_band.rows, oy = out_band.y0 + k % out_band.rows;
      const float *plane = in + (size_t) c * in_band.rows * in_w;
      float *dst = out + ((size_t) c * out_band.rows + (oy - out_band.y0)) * out_w;
      double y0, y1, x0, x1;
      int fy, ly, fx, lx;

      area_span (oy, in_h, out_h, &y0, &y1, &fy, &ly);
      for (int ox = 0; ox < out_w; ox++)
        {
          double sum = 0.0, area = 0.0;

          area_span (ox, in_w, out_w, &x0, &x1, &fx, &lx);
          for (int y = fy; y <= ly; y++)
            {
              const float *row = plane + (size_t) (y - in_band.y0) * in_w;
              double wy = MIN (y + 1.0, y1) - MAX ((double) y, y0);
              double row_sum = 0.0, row_area = 0.0;

              for (int x = fx; x <= lx; x++)
                {
                  double wx = MIN (x + 1.0, x1) - MAX ((double) x, x0);

                  row_sum += wx * row[x];
                  row_area += wx;
                }
              sum += wy * row_sum;
              area += wy * row_area;
            }
          dst[ox] = (float) (sum / area);
        }
    }
}

void
unet_resize_area (float       *out,
                  const float *in,
                  int          channels,
                  int          in_h,
                  int          in_w,
                  int          out_h,
                  int          out_w)
{
  g_return_if_fail (out != NULL && in != NULL);
  g_return_if_fail (channels > 0 && in_h > 0 && in_w > 0 && out_h > 0 && out_w > 0);

  unet_resize_area_band (out, (UnetBand) { out_h, out_w, 0, out_h },
                         in, (UnetBand) { in_h, in_w, 0, in_h }, channels);
}

/* Where output pixel o samples the input along one axis: pixels i0 and i1 with weight
 * 1 − lambda and lambda. */
static inline void
bilinear_tap (int    o,
              int    in,
              int    out,
              int   *i0,
              int   *i1,
              float *lambda)
{
  double src = (o + 0.5) * in / out - 0.5;

  if (src < 0.0)
    src = 0.0;
  *i0 = (int) src;
  if (*i0 >= in - 1)
    {
      *i0 = *i1 = in - 1;
      *lambda = 0.0f;
      return;
    }
  *i1 = *i0 + 1;
  *lambda = (float) (src - *i0);
}

UnetBand
unet_resize_bilinear_source (UnetBand out,
                             int      in_h,
                             int      in_w)
{
  float lambda;
  int first, last, unused;

  bilinear_tap (out.y0, in_h, out.height, &first, &unused, &lambda);
  bilinear_tap (out.y0 + out.rows - 1, in_h, out.height, &unused, &last, &lambda);
  return (UnetBand) { in_h, in_w, first, last - first + 1 };
}

void
unet_resize_bilinear_band (float       *out,
                           UnetBand     out_band,
                           const float *in,
                           UnetBand     in_band,
                           int          channels)
{
  int in_h = in_band.height, in_w = in_band.width;
  int out_h = out_band.height, out_w = out_band.width;

  g_return_if_fail (out != NULL && in != NULL && channels > 0);
  g_return_if_fail (band_is_valid (out_band) && band_is_valid (in_band));
  g_return_if_fail (band_contains (in_band, unet_resize_bilinear_source (out_band, in_h, in_w)));

#pragma omp parallel for schedule(static)
  for (int k = 0; k < channels * out_band.rows; k++)
    {
      int c = k / out_band.rows, oy = out_band.y0 + k % out_band.rows;
      const float *plane = in + (size_t) c * in_band.rows * in_w;
      float *dst = out + ((size_t) c * out_band.rows + (oy - out_band.y0)) * out_w;
      const float *row0, *row1;
      float ly;
      int y0, y1;

      bilinear_tap (oy, in_h, out_h, &y0, &y1, &ly);
      row0 = plane + (size_t) (y0 - in_band.y0) * in_w;
      row1 = plane + (size_t) (y1 - in_band.y0) * in_w;
      for (int ox = 0; ox < out_w; ox++)
        {
          float lx;
          int x0, x1;

          bilinear_tap (ox, in_w, out_w, &x0, &x1, &lx);
          dst[ox] = (1.0f - ly) * ((1.0f - lx) * row0[x0] + lx * row0[x1]) +
                    ly * ((1.0f - lx) * row1[x0] + lx * row1[x1]);
        }
    }
}

void
unet_resize_bilinear (float       *out,
                      const float *in,
                      int          channels,
                      int          in_h,
                      int          in_w,
                      int          out_h,
                      int          out_w)
{
  g_return_if_fail (out != NULL && in != NULL);
  g_return_if_fail (channels > 0 && in_h > 0 && in_w > 0 && out_h > 0 && out_w > 0);

  unet_resize_bilinear_band (out, (UnetBand) { out_h, out_w, 0, out_h },
                             in, (UnetBand) { in_h, in_w, 0, in_h }, channels);
}
