/* conv-reference.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "conv-reference.h"

/* Index of element (b, c, y, x) of an NCHW tensor with C channels of h x w pixels. */
#define AT(b, c, y, x, C, h, w) ((((size_t) (b) * (C) + (c)) * (h) + (y)) * (w) + (x))

void
ref_fill_uniform (float   *x,
                  size_t   n,
                  UnetRng *rng,
                  float    lo,
                  float    hi)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (lo + (hi - lo) * unet_rng_uniform (rng));
}

double
ref_max_abs_diff (const float *a,
                  const float *b,
                  size_t       n)
{
  double worst = 0.0;

  for (size_t i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - (double) b[i]);

      if (isnan (d))
        return INFINITY;
      worst = MAX (worst, d);
    }
  return worst;
}

double
ref_max_rel_error (const float *a,
                   const float *b,
                   size_t       n)
{
  double diff = ref_max_abs_diff (a, b, n);
  double scale = 0.0;

  for (size_t i = 0; i < n; i++)
    scale = MAX (scale, fabs ((double) b[i]));
  if (diff == 0.0)
    return 0.0;
  if (scale == 0.0)
    return INFINITY;
  return diff / scale;
}

double
ref_dot (const float *a,
         const float *b,
         size_t       n)
{
  double sum = 0.0;

  for (size_t i = 0; i < n; i++)
    sum += (double) a[i] * (double) b[i];
  return sum;
}

/* --- 3x3 convolution ------------------------------------------------------------------------ */

void
ref_conv3x3_forward (float       *out,
                     const float *in,
                     const float *weight,
                     const float *bias,
                     UnetShape    in_shape,
                     int          out_channels,
                     int          pad)
{
  const int B = in_shape.batch, C = in_shape.channels, H = in_shape.height, W = in_shape.width;
  const int OC = out_channels, OH = H - 2 + 2 * pad, OW = W - 2 + 2 * pad;

  for (int b = 0; b < B; b++)
    for (int oc = 0; oc < OC; oc++)
      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
          {
            double acc = bias != NULL ? bias[oc] : 0.0;

            for (int c = 0; c < C; c++)
              for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++)
                  {
                    int y = oy + ky - pad, x = ox + kx - pad;

                    if (y < 0 || y >= H || x < 0 || x >= W)
                      continue;
                    acc += (double) in[AT (b, c, y, x, C, H, W)] *
                           weight[AT (oc, c, ky, kx, C, 3, 3)];
                  }
            out[AT (b, oc, oy, ox, OC, OH, OW)] = (float) acc;
          }
}

void
ref_conv3x3_backward (float       *din,
                      float       *dweight,
                      float       *dbias,
                      const float *dout,
                      const float *in,
                      const float *weight,
                      UnetShape    in_shape,
                      int          out_channels,
                      int          pad)
{
  const int B = in_shape.batch, C = in_shape.channels, H = in_shape.height, W = in_shape.width;
  const int OC = out_channels, OH = H - 2 + 2 * pad, OW = W - 2 + 2 * pad;

  /* Every gradient is gathered: each entry sums over everything it touched in forward. */
  if (din != NULL)
    for (int b = 0; b < B; b++)
      for (int c = 0; c < C; c++)
        for (int y = 0; y < H; y++)
          for (int x = 0; x < W; x++)
            {
              double acc = 0.0;

              for (int oc = 0; oc < OC; oc++)
                for (int ky = 0; ky < 3; ky++)
                  for (int kx = 0; kx < 3; kx++)
                    {
                      int oy = y - ky + pad, ox = x - kx + pad;

                      if (oy < 0 || oy >= OH || ox < 0 || ox >= OW)
                        continue;
                      acc += (double) dout[AT (b, oc, oy, ox, OC, OH, OW)] *
                             weight[AT (oc, c, ky, kx, C, 3, 3)];
                    }
              din[AT (b, c, y, x, C, H, W)] += (float) acc;
            }

  if (dweight != NULL)
    for (int oc = 0; oc < OC; oc++)
      for (int c = 0; c < C; c++)
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++)
            {
              double acc = 0.0;

              for (int b = 0; b < B; b++)
                for (int oy = 0; oy < OH; oy++)
                  for (int ox = 0; ox < OW; ox++)
                    {
                      int y = oy + ky - pad, x = ox + kx - pad;

                      if (y < 0 || y >= H || x < 0 || x >= W)
                        continue;
                      acc += (double) dout[AT (b, oc, oy, ox, OC, OH, OW)] *
                             in[AT (b, c, y, x, C, H, W)];
                    }
              dweight[AT (oc, c, ky, kx, C, 3, 3)] += (float) acc;
            }

  if (dbias != NULL)
    for (int oc = 0; oc < OC; oc++)
      {
        double acc = 0.0;

        for (int b = 0; b < B; b++)
          for (int i = 0; i < OH * OW; i++)
            acc += dout[AT (b, oc, 0, i, OC, OH, OW)];
        dbias[oc] += (float) acc;
      }
}

/* --- 1x1 convolution ------------------------------------------------------------------------ */

void
ref_conv1x1_forward (float       *out,
                     const float *in,
                     const float *weight,
                     const float *bias,
                     UnetShape    in_shape,
                     int          out_channels)
{
  const int B = in_shape.batch, C = in_shape.channels;
  const int HW = in_shape.height * in_shape.width, OC = out_channels;

  for (int b = 0; b < B; b++)
    for (int oc = 0; oc < OC; oc++)
      for (int p = 0; p < HW; p++)
        {
          double acc = bias != NULL ? bias[oc] : 0.0;

          for (int c = 0; c < C; c++)
            acc += (double) in[AT (b, c, 0, p, C, 1, HW)] * weight[(size_t) oc * C + c];
          out[AT (b, oc, 0, p, OC, 1, HW)] = (float) acc;
        }
}

void
ref_conv1x1_backward (float       *din,
                      float       *dweight,
                      float       *dbias,
                      const float *dout,
                      const float *in,
                      const float *weight,
                      UnetShape    in_shape,
                      int          out_channels)
{
  const int B = in_shape.batch, C = in_shape.channels;
  const int HW = in_shape.height * in_shape.width, OC = out_channels;

  if (din != NULL)
    for (int b = 0; b < B; b++)
      for (int c = 0; c < C; c++)
        for (int p = 0; p < HW; p++)
          {
            double acc = 0.0;

            for (int oc = 0; oc < OC; oc++)
              acc += (double) dout[AT (b, oc, 0, p, OC, 1, HW)] * weight[(size_t) oc * C + c];
            din[AT (b, c, 0, p, C, 1, HW)] += (float) acc;
          }

  if (dweight != NULL)
    for (int oc = 0; oc < OC; oc++)
      for (int c = 0; c < C; c++)
        {
          double acc = 0.0;

          for (int b = 0; b < B; b++)
            for (int p = 0; p < HW; p++)
              acc += (double) dout[AT (b, oc, 0, p, OC, 1, HW)] * in[AT (b, c, 0, p, C, 1, HW)];
          dweight[(size_t) oc * C + c] += (float) acc;
        }

  if (dbias != NULL)
    for (int oc = 0; oc < OC; oc++)
      {
        double acc = 0.0;

        for (int b = 0; b < B; b++)
          for (int p = 0; p < HW; p++)
            acc += dout[AT (b, oc, 0, p, OC, 1, HW)];
        dbias[oc] += (float) acc;
      }
}

/* --- 2x2 up-convolution, stride 2 ----------------------------------------------------------- */

void
ref_upconv_forward (float       *out,
                    size_t       out_batch_stride,
                    const float *in,
                    const float *weight,
                    const float *bias,
                    UnetShape    in_shape,
                    int          out_channels)
{
  const int B = in_shape.batch, IC = in_shape.channels, H = in_shape.height, W = in_shape.width;
  const int OC = out_channels, OH = 2 * H, OW = 2 * W;

  for (int b = 0; b < B; b++)
    for (int oc = 0; oc < OC; oc++)
      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
          {
            int y = oy / 2, x = ox / 2, ky = oy % 2, kx = ox % 2;
            double acc = bias != NULL ? bias[oc] : 0.0;

            for (int ic = 0; ic < IC; ic++)
              acc += (double) in[AT (b, ic, y, x, IC, H, W)] *
                     weight[AT (ic, oc, ky, kx, OC, 2, 2)];
            out[b * out_batch_stride + AT (0, oc, oy, ox, OC, OH, OW)] = (float) acc;
          }
}

void
ref_upconv_backward (float       *din,
                     float       *dweight,
                     float       *dbias,
                     const float *dout,
                     size_t       dout_batch_stride,
                     const float *in,
                     const float *weight,
                     UnetShape    in_shape,
                     int          out_channels)
{
  const int B = in_shape.batch, IC = in_shape.channels, H = in_shape.height, W = in_shape.width;
  const int OC = out_channels, OH = 2 * H, OW = 2 * W;

#define DOUT(b, oc, oy, ox) dout[(b) * dout_batch_stride + AT (0, oc, oy, ox, OC, OH, OW)]

  if (din != NULL)
    for (int b = 0; b < B; b++)
      for (int ic = 0; ic < IC; ic++)
        for (int y = 0; y < H; y++)
          for (int x = 0; x < W; x++)
            {
              double acc = 0.0;

              for (int oc = 0; oc < OC; oc++)
                for (int ky = 0; ky < 2; ky++)
                  for (int kx = 0; kx < 2; kx++)
                    acc += (double) DOUT (b, oc, 2 * y + ky, 2 * x + kx) *
                           weight[AT (ic, oc, ky, kx, OC, 2, 2)];
              din[AT (b, ic, y, x, IC, H, W)] += (float) acc;
            }

  if (dweight != NULL)
    for (int ic = 0; ic < IC; ic++)
      for (int oc = 0; oc < OC; oc++)
        for (int ky = 0; ky < 2; ky++)
          for (int kx = 0; kx < 2; kx++)
            {
              double acc = 0.0;

              for (int b = 0; b < B; b++)
                for (int y = 0; y < H; y++)
                  for (int x = 0; x < W; x++)
                    acc += (double) DOUT (b, oc, 2 * y + ky, 2 * x + kx) *
                           in[AT (b, ic, y, x, IC, H, W)];
              dweight[AT (ic, oc, ky, kx, OC, 2, 2)] += (float) acc;
            }

  if (dbias != NULL)
    for (int oc = 0; oc < OC; oc++)
      {
        double acc = 0.0;

        for (int b = 0; b < B; b++)
          for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
              acc += DOUT (b, oc, oy, ox);
        dbias[oc] += (float) acc;
      }

#undef DOUT
}

/* --- 2x2 max pooling ------------------------------------------------------------------------ */

/* Offset (dy * 2 + dx) of the first maximum of the window whose top-left corner is (y, x). */
static int
window_argmax (const float *plane,
               int          W,
               int          y,
               int          x)
{
  int best = 0;
  float best_value = plane[(size_t) y * W + x];

  for (int k = 1; k < 4; k++)
    {
      float v = plane[(size_t) (y + k / 2) * W + x + k % 2];

      if (v > best_value)
        {
          best = k;
          best_value = v;
        }
    }
  return best;
}

void
ref_maxpool_forward (float       *out,
                     const float *in,
                     UnetShape    in_shape)
{
  const int H = in_shape.height, W = in_shape.width, OH = H / 2, OW = W / 2;
  const size_t planes = (size_t) in_shape.batch * in_shape.channels;

  for (size_t p = 0; p < planes; p++)
    {
      const float *plane = in + p * H * W;

      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
          {
            int k = window_argmax (plane, W, 2 * oy, 2 * ox);

            out[(p * OH + oy) * OW + ox] = plane[(size_t) (2 * oy + k / 2) * W + 2 * ox + k % 2];
          }
    }
}

void
ref_maxpool_backward (float       *din,
                      const float *dout,
                      const float *in,
                      UnetShape    in_shape)
{
  const int H = in_shape.height, W = in_shape.width, OH = H / 2, OW = W / 2;
  const size_t planes = (size_t) in_shape.batch * in_shape.channels;

  for (size_t p = 0; p < planes; p++)
    {
      const float *plane = in + p * H * W;

      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
          {
            int k = window_argmax (plane, W, 2 * oy, 2 * ox);

            din[p * H * W + (size_t) (2 * oy + k / 2) * W + 2 * ox + k % 2] +=
              dout[(p * OH + oy) * OW + ox];
          }
    }
}

float *
ref_new_uniform (size_t   n,
                 UnetRng *rng,
                 float    lo,
                 float    hi)
{
  float *x = g_new (float, MAX (n, 1));

  ref_fill_uniform (x, n, rng, lo, hi);
  return x;
}
