/* unet-upconv-xsmm.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <libxsmm.h>

#include "unet-upconv-xsmm.h"
#include "unet-xsmm-private.h"

/* The up-convolution is four 1x1 convolutions, one per tap (ky, kx), whose outputs interleave:
 * out[oc, 2y + ky, 2x + kx] = bias[oc] + sum over ic of weight[ic, oc, ky, kx] in[ic, y, x].
 * With o4 = 4 oc + 2 ky + kx the index of a (channel, tap) pair, in libxsmm's column-major
 * terms:
 *
 *   forward        C(x, o4)  = sum over ic of in(x, ic)   Wt(ic, o4)   then interleaved
 *   input gradient din(p, ic) = sum over o4 of G(p, o4)  W(o4, ic)
 *   weight grad.   dW(o4, ic) += sum over p of T(o4, p)  in(p, ic)
 *
 * where G[o4, p] is the output gradient gathered out of its interleaving (the output pixel of
 * tap o4 above input pixel p), T the same transposed, pixels outside, and Wt the weights
 * transposed, channels inside; in and din are read and written in place. The input gradient
 * and the weight gradient go a strip of input rows at a time, so that G and T stay in cache. */

/* Pixels per kernel call; (channel, tap) pairs or input channels per block. */
#define UP_M_MAX 64
#define UP_N_MAX 64

/* Floats of each of backward's two rearranged copies of the output gradient (G and T). */
#ifndef UP_STRIP_BUDGET
#define UP_STRIP_BUDGET (128 * 1024)
#endif

static int
strip_rows (UnetShape in,
            int       out_channels)
{
  size_t row = (size_t) 4 * out_channels * MAX (in.width, 1);

  return (int) MIN (MAX (UP_STRIP_BUDGET / row, 1), (size_t) MAX (in.height, 1));
}

size_t
unet_upconv_xsmm_work_size (UnetShape in,
                            int       out_channels)
{
  size_t strip = (size_t) 4 * out_channels * strip_rows (in, out_channels) * in.width;

  /* forward: the transposed weights; backward: G and T */
  return MAX (region ((size_t) 4 * out_channels * in.channels), 2 * region (strip));
}

gboolean
unet_upconv_xsmm_forward (float       *out,
                          size_t       out_batch_stride,
                          const float *in,
                          const float *weight,
                          const float *bias,
                          UnetShape    in_shape,
                          int          out_channels,
                          float       *work)
{
  const int IC = in_shape.channels, H = in_shape.height, W = in_shape.width;
  const int OC = out_channels, O4 = 4 * OC, OW = 2 * W;
  const size_t plane = (size_t) H * W;
  /* blocks of whole output channels, each with its four taps */
  const Split m = split_pixels (W, UP_M_MAX), n = split_dim (OC, UP_N_MAX / 4);
  const int n_items = in_shape.batch * n.count * H;
  libxsmm_smmfunction kernel[2][2];
  float *wt = align_up (work);

  if (plane > G_MAXINT)
    return FALSE;
  for (int mi = 0; mi < 2; mi++)
    for (int ni = 0; ni < 2; ni++)
      {
        kernel[mi][ni] = xsmm_gemm (mi ? m.last : m.size, 4 * (ni ? n.last : n.size), IC,
                                    (libxsmm_blasint) plane, IC, m.size, 0.0f);
        if (kernel[mi][ni] == NULL)
          return FALSE;
      }

#pragma omp parallel
  {
    float tile[UP_M_MAX * UP_N_MAX] __attribute__ ((aligned (64)));

#pragma omp for schedule(static)
    for (int o4 = 0; o4 < O4; o4++)
      for (int ic = 0; ic < IC; ic++)
        wt[(size_t) o4 * IC + ic] = weight[(size_t) ic * O4 + o4];

    /* channel blocks outside, rows inside: a thread's consecutive items share the weights */
#pragma omp for schedule(static)
    for (int item = 0; item < n_items; item++)
      {
        int b = item / (n.count * H), nb = item / H % n.count, y = item % H;
        int ni = nb == n.count - 1, oc0 = nb * n.size, n_oc = ni ? n.last : n.size;
        const float *src = in + (size_t) b * IC * plane + (size_t) y * W;
        float *dst_b = out + b * out_batch_stride;

        for (int mb = 0; mb < m.count; mb++)
          {
            int mi = mb == m.count - 1, x0 = mb * m.size, width = mi ? m.last : m.size;

            kernel[mi][ni] (src + x0, wt + (size_t) 4 * oc0 * IC, tile);

            /* two output rows per channel, each interleaving two taps' columns */
            for (int o = 0; o < n_oc; o++)
              for (int ky = 0; ky < 2; ky++)
                {
                  const float value = bias ? bias[oc0 + o] : 0.0f;
                  const float *left = tile + (size_t) (4 * o + 2 * ky) * m.size;
                  const float *right = left + m.size;
                  float *row = dst_b + (size_t) (oc0 + o) * 4 * plane
                               + (size_t) (2 * y + ky) * OW + 2 * x0;

                  for (int x = 0; x < width; x++)
                    {
                      row[2 * x] = left[x] + value;
                      row[2 * x + 1] = right[x] + value;
                    }
                }
          }
      }
  }
  return TRUE;
}

/* The kernels of one strip of `pixels` input pixels. */
typedef struct
{
  Split               pixels;     /* input gradient: pixel chunks */
  Split               channels;   /* both: blocks of input channels */
  Split               pairs;      /* weight gradient: blocks of (channel, tap) pairs */
  libxsmm_smmfunction data[2][2];
  libxsmm_smmfunction weights[2][2];
} StripPlan;

static gboolean
plan_strip (StripPlan *plan,
            int        pixels,
            int        cap_pixels,
            int        IC,
            int        O4,
            size_t     plane,
            gboolean   accumulate)
{
  plan->pixels = split_pixels (pixels, UP_M_MAX);
  plan->channels = split_dim (IC, UP_N_MAX);
  plan->pairs = split_dim (O4, UP_N_MAX);

  for (int a = 0; a < 2; a++)
    for (int c = 0; c < 2; c++)
      {
        int n = c ? plan->channels.last : plan->channels.size;

        plan->data[a][c] = xsmm_gemm (a ? plan->pixels.last : plan->pixels.size, n, O4,
                                      cap_pixels, O4, (libxsmm_blasint) plane,
                                      accumulate ? 1.0f : 0.0f);
        plan->weights[a][c] = xsmm_gemm (a ? plan->pairs.last : plan->pairs.size, n, pixels,
                                         O4, (libxsmm_blasint) plane, O4, 1.0f);
        if (plan->data[a][c] == NULL || plan->weights[a][c] == NULL)
          return FALSE;
      }
  return TRUE;
}

/* One strip of rows y0 .. y0 + rows - 1 of image b; called by every thread of a parallel
 * region. */
static void
backward_strip (const StripPlan *plan,
                float           *din,
                float           *dweight,
                const float     *dout,
                const float     *in,
                const float     *weight,
                UnetShape        in_shape,
                int              OC,
                int              y0,
                int              rows,
                int              cap_pixels,
                float           *gathered,
                float           *transposed)
{
  const int W = in_shape.width, O4 = 4 * OC, OW = 2 * W;
  const int pixels = rows * W;
  const size_t plane = (size_t) in_shape.height * W, first = (size_t) y0 * W;
  const int n_pair_items = plan->pairs.count * plan->channels.count;
  const int n_data_items = plan->pixels.count * plan->channels.count;

  /* G[o4, p]: each output row holds two taps' columns, interleaved */
#pragma omp for collapse(2) schedule(static)
  for (int oc = 0; oc < OC; oc++)
    for (int r = 0; r < 2 * rows; r++)
      {
        const int y = r / 2, ky = r % 2;
        const float *src = dout + (size_t) oc * 4 * plane + (size_t) (2 * y0 + r) * OW;
        float *left = gathered + (size_t) (4 * oc + 2 * ky) * cap_pixels + (size_t) y * W;
        float *right = left + cap_pixels;

        for (int x = 0; x < W; x++)
          {
            left[x] = src[2 * x];
            right[x] = src[2 * x + 1];
          }
      }

  /* T[p, o4], in tiles of 16 x 16 */
#pragma omp for collapse(2) schedule(static)
  for (int p0 = 0; p0 < pixels; p0 += 16)
    for (int o0 = 0; o0 < O4; o0 += 16)
      for (int p = p0; p < MIN (p0 + 16, pixels); p++)
        for (int o = o0; o < MIN (o0 + 16, O4); o++)
          transposed[(size_t) p * O4 + o] = gathered[(size_t) o * cap_pixels + p];

  /* the weight gradient first: din may be the input these rows still hold */
#pragma omp for schedule(static)
  for (int item = 0; item < n_pair_items; item++)
    {
      int pb = item / plan->channels.count, cb = item % plan->channels.count;
      int pi = pb == plan->pairs.count - 1, ci = cb == plan->channels.count - 1;
      size_t o0 = (size_t) pb * plan->pairs.size, c0 = (size_t) cb * plan->channels.size;

      plan->weights[pi][ci] (transposed + o0, in + c0 * plane + first, dweight + o0 + c0 * O4);
    }

  if (din == NULL)
    return;
#pragma omp for schedule(static)
  for (int item = 0; item < n_data_items; item++)
    {
      int cb = item / plan->pixels.count, xb = item % plan->pixels.count;
      int ci = cb == plan->channels.count - 1, xi = xb == plan->pixels.count - 1;
      size_t c0 = (size_t) cb * plan->channels.size, p0 = (size_t) xb * plan->pixels.size;

      plan->data[xi][ci] (gathered + p0, weight + c0 * O4, din + c0 * plane + first + p0);
    }
}

gboolean
unet_upconv_xsmm_backward (float       *din,
                           gboolean     accumulate,
                           float       *dweight,
                           const float *dout,
                           size_t       dout_batch_stride,
                           const float *in,
                           const float *weight,
                           UnetShape    in_shape,
                           int          out_channels,
                           float       *work)
{
  const int IC = in_shape.channels, H = in_shape.height, W = in_shape.width;
  const int O4 = 4 * out_channels;
  const int strip = strip_rows (in_shape, out_channels), cap_pixels = strip * W;
  const size_t plane = (size_t) H * W;
  float *gathered = align_up (work);
  float *transposed = align_up (gathered + (size_t) O4 * cap_pixels);
  StripPlan full, last;
  int last_rows = H - (H - 1) / strip * strip;

  if (plane > G_MAXINT)
    return FALSE;
  /* every strip but the last has `strip` rows */
  if (!plan_strip (&full, cap_pixels, cap_pixels, IC, O4, plane, accumulate) ||
      !plan_strip (&last, last_rows * W, cap_pixels, IC, O4, plane, accumulate))
    return FALSE;

  for (int b = 0; b < in_shape.batch; b++)
    {
      const float *dout_b = dout + b * dout_batch_stride, *in_b = in + (size_t) b * IC * plane;
      float *din_b = din ? din + (size_t) b * IC * plane : NULL;

#pragma omp parallel
      for (int y0 = 0; y0 < H; y0 += strip)
        {
          int rows = MIN (strip, H - y0);

          /* the barriers at the end of each loop keep the next strip from overwriting G and T
           * while they are read */
          backward_strip (rows == strip ? &full : &last, din_b, dweight, dout_b, in_b, weight,
                          in_shape, out_channels, y0, rows, cap_pixels, gathered, transposed);
        }
    }
  return TRUE;
}
