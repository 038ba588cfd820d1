/* unet-layers.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <cblas.h>

#include "unet-layers.h"
#include "unet-layers-private.h"
#ifdef HAVE_LIBXSMM
#include "unet-conv-xsmm.h"
#include "unet-upconv-xsmm.h"
#endif

/* im2col is done a strip of output rows at a time, so that the column buffer stays around
 * this many floats (cache-sized) instead of growing to C*9*H*W for the first decoder level. */
#define CONV_STRIP_BUDGET (1 << 20)

static int
conv3x3_strip_rows (UnetShape in,
                    int       pad)
{
  int out_h = in.height - 2 + 2 * pad;
  int out_w = in.width - 2 + 2 * pad;
  size_t row_floats = (size_t) in.channels * 9 * out_w;
  size_t rows = MAX (CONV_STRIP_BUDGET / MAX (row_floats, 1), 1);

  return (int) MIN (rows, (size_t) out_h);
}

size_t
unet_conv3x3_work_size (UnetShape in,
                        int       out_channels,
                        int       pad)
{
  int out_w = in.width - 2 + 2 * pad;
  /* one column strip (or its gradient, during backward) */
  size_t n = (size_t) in.channels * 9 * conv3x3_strip_rows (in, pad) * out_w;

#ifdef HAVE_LIBXSMM
  /* whether or not the libxsmm path is switched on now: it may be by the time of the call */
  n = MAX (n, unet_conv3x3_xsmm_work_size (in, out_channels, pad));
  n = MAX (n, unet_conv3x3_xsmm_weight_grad_work_size (in, out_channels, pad));
#endif
  return n;
}

/* col[(c*9 + ky*3 + kx), (y - y0)*OW + x] = in[c, y + ky - pad, x + kx - pad], 0 outside. */
static void
im2col_strip (float       *col,
              const float *in,
              int          C,
              int          H,
              int          W,
              int          pad,
              int          y0,
              int          y1)
{
  int OW = W - 2 + 2 * pad;
  int rows = y1 - y0;
  size_t n = (size_t) rows * OW;

#pragma omp parallel for schedule(static)
  for (int k = 0; k < C * 9; k++)
    {
      int c = k / 9, ky = (k % 9) / 3, kx = k % 3;
      const float *plane = in + (size_t) c * H * W;
      float *dst = col + (size_t) k * n;

      for (int y = y0; y < y1; y++)
        {
          int iy = y + ky - pad;
          float *row = dst + (size_t) (y - y0) * OW;

          if (iy < 0 || iy >= H)
            {
              memset (row, 0, sizeof (float) * OW);
              continue;
            }
          if (pad == 0)
            {
              memcpy (row, plane + (size_t) iy * W + kx, sizeof (float) * OW);
            }
          else
            {
              /* same padding: OW == W, and tap kx reads the row shifted by kx - 1 */
              const float *src = plane + (size_t) iy * W;

              if (kx == 0)
                {
                  row[0] = 0.0f;
                  memcpy (row + 1, src, sizeof (float) * (W - 1));
                }
              else if (kx == 1)
                {
                  memcpy (row, src, sizeof (float) * W);
                }
              else
                {
                  memcpy (row, src + 1, sizeof (float) * (W - 1));
                  row[W - 1] = 0.0f;
                }
            }
        }
    }
}

/* The adjoint of im2col_strip: din[c, iy, ix] += col[...]. Parallel over channels, because the
 * 9 taps of one channel write to the same input plane. */
static void
col2im_strip_add (float       *din,
                  const float *col,
                  int          C,
                  int          H,
                  int          W,
                  int          pad,
                  int          y0,
                  int          y1)
{
  int OW = W - 2 + 2 * pad;
  size_t n = (size_t) (y1 - y0) * OW;

#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; c++)
    {
      float *plane = din + (size_t) c * H * W;

      for (int tap = 0; tap < 9; tap++)
        {
          int ky = tap / 3, kx = tap % 3;
          const float *src = col + (size_t) (c * 9 + tap) * n;

          for (int y = y0; y < y1; y++)
            {
              int iy = y + ky - pad;
              const float *row = src + (size_t) (y - y0) * OW;
              float *dst;

              if (iy < 0 || iy >= H)
                continue;
              dst = plane + (size_t) iy * W;
              if (pad == 0)
                {
                  dst += kx;
                  for (int x = 0; x < OW; x++)
                    dst[x] += row[x];
                }
              else
                {
                  /* same padding: OW == W; tap kx lands shifted by kx - 1, one column falls off */
                  int lo = kx == 0 ? 1 : 0, hi = kx == 2 ? W - 1 : W, shift = kx - 1;

                  for (int x = lo; x < hi; x++)
                    dst[x + shift] += row[x];
                }
            }
        }
    }
}

/* Adds the bias and applies ReLU in one pass over a strip the GEMM just wrote (still in cache). */
static void
bias_relu_strip (float       *out,
                 const float *bias,
                 int          channels,
                 int          n,
                 size_t       channel_stride,
                 gboolean     relu)
{
#pragma omp parallel for schedule(static)
  for (int c = 0; c < channels; c++)
    {
      float value = bias ? bias[c] : 0.0f;
      float *row = out + c * channel_stride;

      if (relu)
        for (int i = 0; i < n; i++)
          {
            float v = row[i] + value;
            row[i] = v > 0.0f ? v : 0.0f;
          }
      else
        for (int i = 0; i < n; i++)
          row[i] += value;
    }
}

static void
conv3x3_forward (float       *out,
                 const float *in,
                 const float *weight,
                 const float *bias,
                 UnetShape    in_shape,
                 int          out_channels,
                 int          pad,
                 gboolean     relu,
                 float       *work)
{
  int C = in_shape.channels, H = in_shape.height, W = in_shape.width;
  int OH = H - 2 + 2 * pad, OW = W - 2 + 2 * pad;
  int OC = out_channels;
  int strip = conv3x3_strip_rows (in_shape, pad);
  size_t out_plane = (size_t) OH * OW;

#ifdef HAVE_LIBXSMM
  /* direct convolution with JIT kernels where the CPU has AVX2 or AVX-512 */
  if (unet_conv3x3_xsmm_available ()
      && unet_conv3x3_xsmm_forward (out, in, weight, bias, in_shape, OC, pad, relu, work))
    return;
#endif

  for (int b = 0; b < in_shape.batch; b++)
    {
      const float *in_b = in + (size_t) b * C * H * W;
      float *out_b = out + (size_t) b * OC * out_plane;

      for (int y0 = 0; y0 < OH; y0 += strip)
        {
          int y1 = MIN (y0 + strip, OH);
          int n = (y1 - y0) * OW;
          float *out_strip = out_b + (size_t) y0 * OW;

          im2col_strip (work, in_b, C, H, W, pad, y0, y1);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                       OC, n, C * 9,
                       1.0f, weight, C * 9,
                       work, n,
                       0.0f, out_strip, (int) out_plane);
          if (bias || relu)
            bias_relu_strip (out_strip, bias, OC, n, out_plane, relu);
        }
    }
}

void
unet_conv3x3_forward (float       *out,
                      const float *in,
                      const float *weight,
                      const float *bias,
                      UnetShape    in_shape,
                      int          out_channels,
                      int          pad,
                      float       *work)
{
  conv3x3_forward (out, in, weight, bias, in_shape, out_channels, pad, FALSE, work);
}

gboolean
unet_conv3x3_forward_sums (float       *out,
                           const float *in,
                           const float *weight,
                           const float *bias,
                           UnetShape    in_shape,
                           int          out_channels,
                           int          pad,
                           float       *row_sums,
                           float       *work)
{
#ifdef HAVE_LIBXSMM
  if (unet_conv3x3_xsmm_available ()
      && unet_conv3x3_xsmm_forward_sums (out, in, weight, bias, in_shape, out_channels, pad,
                                         row_sums, work))
    return TRUE;
#endif
  conv3x3_forward (out, in, weight, bias, in_shape, out_channels, pad, FALSE, work);
  return FALSE;
}

void
unet_conv3x3_relu_forward (float       *out,
                           const float *in,
                           const float *weight,
                           const float *bias,
                           UnetShape    in_shape,
                           int          out_channels,
                           int          pad,
                           float       *work)
{
  conv3x3_forward (out, in, weight, bias, in_shape, out_channels, pad, TRUE, work);
}

static void
bias_backward (float       *dbias,
               const float *dout,
               int          batch,
               int          channels,
               size_t       plane,
               size_t       batch_stride)
{
#pragma omp parallel for schedule(static)
  for (int c = 0; c < channels; c++)
    {
      double sum = 0.0;

      for (int b = 0; b < batch; b++)
        sum += unet_blocked_sum (dout + b * batch_stride + c * plane, plane);
      dbias[c] += (float) sum;
    }
}

void
unet_conv3x3_backward_data (float       *din,
                            gboolean     accumulate,
                            const float *dout,
                            const float *weight,
                            UnetShape    in_shape,
                            int          out_channels,
                            int          pad,
                            float       *work)
{
  int C = in_shape.channels, H = in_shape.height, W = in_shape.width;
  int OH = H - 2 + 2 * pad, OW = W - 2 + 2 * pad;
  int OC = out_channels;
  int K = C * 9;
  int strip = conv3x3_strip_rows (in_shape, pad);
  size_t out_plane = (size_t) OH * OW;

#ifdef HAVE_LIBXSMM
  if (unet_conv3x3_xsmm_available ()
      && unet_conv3x3_xsmm_backward_data (din, accumulate, dout, weight, in_shape, OC, pad, work))
    return;
#endif

  if (!accumulate)
    memset (din, 0, sizeof (float) * unet_shape_numel (in_shape));

  for (int b = 0; b < in_shape.batch; b++)
    {
      const float *dout_b = dout + (size_t) b * OC * out_plane;

      for (int y0 = 0; y0 < OH; y0 += strip)
        {
          int y1 = MIN (y0 + strip, OH);
          int n = (y1 - y0) * OW;

          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans,
                       K, n, OC,
                       1.0f, weight, K,
                       dout_b + (size_t) y0 * OW, (int) out_plane,
                       0.0f, work, n);
          col2im_strip_add (din + (size_t) b * C * H * W, work, C, H, W, pad, y0, y1);
        }
    }
}

void
unet_conv3x3_backward_weights (float       *dweight,
                               float       *dbias,
                               const float *dout,
                               const float *in,
                               UnetShape    in_shape,
                               int          out_channels,
                               int          pad,
                               float       *work)
{
  int C = in_shape.channels, H = in_shape.height, W = in_shape.width;
  int OH = H - 2 + 2 * pad, OW = W - 2 + 2 * pad;
  int OC = out_channels;
  int K = C * 9;
  int strip = conv3x3_strip_rows (in_shape, pad);
  size_t out_plane = (size_t) OH * OW;

  if (dbias)
    bias_backward (dbias, dout, in_shape.batch, OC, out_plane, OC * out_plane);

#ifdef HAVE_LIBXSMM
  if (unet_conv3x3_xsmm_available ()
      && unet_conv3x3_xsmm_backward_weights (dweight, dout, in, in_shape, OC, pad, work))
    return;
#endif

  for (int b = 0; b < in_shape.batch; b++)
    {
      const float *in_b = in + (size_t) b * C * H * W;
      const float *dout_b = dout + (size_t) b * OC * out_plane;

      for (int y0 = 0; y0 < OH; y0 += strip)
        {
          int y1 = MIN (y0 + strip, OH);
          int n = (y1 - y0) * OW;

          im2col_strip (work, in_b, C, H, W, pad, y0, y1);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans,
                       OC, K, n,
                       1.0f, dout_b + (size_t) y0 * OW, (int) out_plane,
                       work, n,
                       1.0f, dweight, K);
        }
    }
}

void
unet_conv3x3_backward (float       *din,
                       float       *dweight,
                       float       *dbias,
                       const float *dout,
                       const float *in,
                       const float *weight,
                       UnetShape    in_shape,
                       int          out_channels,
                       int          pad,
                       float       *work)
{
  unet_conv3x3_backward_weights (dweight, dbias, dout, in, in_shape, out_channels, pad, work);
  if (din)
    unet_conv3x3_backward_data (din, TRUE, dout, weight, in_shape, out_channels, pad, work);
}

void
unet_conv1x1_forward (float       *out,
                      const float *in,
                      const float *weight,
                      const float *bias,
                      UnetShape    in_shape,
                      int          out_channels)
{
  int C = in_shape.channels;
  int OC = out_channels;
  size_t plane = (size_t) in_shape.height * in_shape.width;

  for (int b = 0; b < in_shape.batch; b++)
    {
      float *out_b = out + (size_t) b * OC * plane;

      for (int oc = 0; oc < OC; oc++)
        {
          float value = bias ? bias[oc] : 0.0f;
          for (size_t i = 0; i < plane; i++)
            out_b[oc * plane + i] = value;
        }
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                   OC, (int) plane, C,
                   1.0f, weight, C,
                   in + (size_t) b * C * plane, (int) plane,
                   1.0f, out_b, (int) plane);
    }
}

void
unet_conv1x1_backward (float       *din,
                       gboolean     accumulate,
                       float       *dweight,
                       float       *dbias,
                       const float *dout,
                       const float *in,
                       const float *weight,
                       UnetShape    in_shape,
                       int          out_channels)
{
  int C = in_shape.channels;
  int OC = out_channels;
  size_t plane = (size_t) in_shape.height * in_shape.width;

  if (dbias)
    bias_backward (dbias, dout, in_shape.batch, OC, plane, OC * plane);

  for (int b = 0; b < in_shape.batch; b++)
    {
      const float *dout_b = dout + (size_t) b * OC * plane;

      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans,
                   OC, C, (int) plane,
                   1.0f, dout_b, (int) plane,
                   in + (size_t) b * C * plane, (int) plane,
                   1.0f, dweight, C);
      /* after the weight gradient, which read this image: din may be the input */
      if (din)
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans,
                     C, (int) plane, OC,
                     1.0f, weight, C,
                     dout_b, (int) plane,
                     accumulate ? 1.0f : 0.0f, din + (size_t) b * C * plane, (int) plane);
    }
}

/* The up-convolution works a strip of input rows at a time, so that its rearranged copy of the
 * output (or of the output's gradient) stays near this many floats, in cache, instead of being
 * as large as the first decoder level's output. */
#define UPCONV_STRIP_BUDGET (256 * 1024)

static int
upconv_strip_rows (UnetShape in,
                   int       out_channels)
{
  size_t row_floats = (size_t) 4 * out_channels * MAX (in.width, 1);
  size_t rows = MAX (UPCONV_STRIP_BUDGET / row_floats, 1);

  return (int) MIN (rows, (size_t) MAX (in.height, 1));
}

size_t
unet_upconv_work_size (UnetShape in,
                       int       out_channels)
{
  size_t n = (size_t) out_channels * 4 * upconv_strip_rows (in, out_channels) * in.width;

#ifdef HAVE_LIBXSMM
  n = MAX (n, unet_upconv_xsmm_work_size (in, out_channels));
#endif
  return n;
}

void
unet_upconv_forward (float       *out,
                     size_t       out_batch_stride,
                     const float *in,
                     const float *weight,
                     const float *bias,
                     UnetShape    in_shape,
                     int          out_channels,
                     float       *work)
{
  int IC = in_shape.channels, H = in_shape.height, W = in_shape.width;
  int OC = out_channels;
  int OW = 2 * W;
  int strip = upconv_strip_rows (in_shape, OC);
  size_t plane = (size_t) H * W;

#ifdef HAVE_LIBXSMM
  if (unet_conv3x3_xsmm_available ()
      && unet_upconv_xsmm_forward (out, out_batch_stride, in, weight, bias, in_shape, OC, work))
    return;
#endif

  for (int b = 0; b < in_shape.batch; b++)
    for (int y0 = 0; y0 < H; y0 += strip)
      {
        int rows = MIN (strip, H - y0);
        int n = rows * W;
        float *out_b = out + b * out_batch_stride;

        /* work[(oc*4 + ky*2 + kx), (y - y0)*W + x]: weight viewed as [IC, OC*4], transposed */
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans,
                     OC * 4, n, IC,
                     1.0f, weight, OC * 4,
                     in + (size_t) b * IC * plane + (size_t) y0 * W, (int) plane,
                     0.0f, work, n);

        /* each output row interleaves two taps' columns: one loop over both, so it vectorises */
#pragma omp parallel for collapse(2) schedule(static)
        for (int oc = 0; oc < OC; oc++)
          for (int r = 0; r < 2 * rows; r++)
            {
              const float value = bias ? bias[oc] : 0.0f;
              const int y = r / 2, ky = r % 2;
              float *dst = out_b + (size_t) oc * 4 * plane + (size_t) (2 * y0 + r) * OW;
              const float *left = work + (size_t) (oc * 4 + ky * 2) * n + (size_t) y * W;
              const float *right = left + n;

              for (int x = 0; x < W; x++)
                {
                  dst[2 * x] = left[x] + value;
                  dst[2 * x + 1] = right[x] + value;
                }
            }
      }
}

void
unet_upconv_backward (float       *din,
                      gboolean     accumulate,
                      float       *dweight,
                      float       *dbias,
                      const float *dout,
                      size_t       dout_batch_stride,
                      const float *in,
                      const float *weight,
                      UnetShape    in_shape,
                      int          out_channels,
                      float       *work)
{
  int IC = in_shape.channels, H = in_shape.height, W = in_shape.width;
  int OC = out_channels;
  int OW = 2 * W;
  int strip = upconv_strip_rows (in_shape, OC);
  size_t plane = (size_t) H * W;

  if (dbias)
    bias_backward (dbias, dout, in_shape.batch, OC, 4 * plane, dout_batch_stride);

#ifdef HAVE_LIBXSMM
  if (unet_conv3x3_xsmm_available ()
      && unet_upconv_xsmm_backward (din, accumulate, dweight, dout, dout_batch_stride, in, weight,
                                    in_shape, OC, work))
    return;
#endif

  for (int b = 0; b < in_shape.batch; b++)
    for (int y0 = 0; y0 < H; y0 += strip)
      {
        int rows = MIN (strip, H - y0);
        int n = rows * W;
        const float *dout_b = dout + b * dout_batch_stride;
        size_t first = (size_t) b * IC * plane + (size_t) y0 * W;

#pragma omp parallel for collapse(2) schedule(static)
        for (int oc = 0; oc < OC; oc++)
          for (int r = 0; r < 2 * rows; r++)
            {
              const int y = r / 2, ky = r % 2;
              const float *src = dout_b + (size_t) oc * 4 * plane + (size_t) (2 * y0 + r) * OW;
              float *left = work + (size_t) (oc * 4 + ky * 2) * n + (size_t) y * W;
              float *right = left + n;

              for (int x = 0; x < W; x++)
                {
                  left[x] = src[2 * x];
                  right[x] = src[2 * x + 1];
                }
            }

        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans,
                     IC, OC * 4, n,
                     1.0f, in + first, (int) plane,
                     work, n,
                     1.0f, dweight, OC * 4);
        /* after the weight gradient, which read these input rows: din may be the input */
        if (din)
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                       IC, n, OC * 4,
                       1.0f, weight, OC * 4,
                       work, n,
                       accumulate ? 1.0f : 0.0f, din + first, (int) plane);
      }
}

void
unet_crop_forward (float       *out,
                   size_t       out_batch_stride,
                   const float *in,
                   UnetShape    in_shape,
                   int          out_h,
                   int          out_w)
{
  int C = in_shape.channels, H = in_shape.height, W = in_shape.width;
  int oy = (H - out_h) / 2, ox = (W - out_w) / 2;

#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < in_shape.batch; b++)
    for (int c = 0; c < C; c++)
      {
        const float *src = in + ((size_t) b * C + c) * H * W + (size_t) oy * W + ox;
        float *dst = out + b * out_batch_stride + (size_t) c * out_h * out_w;

        for (int y = 0; y < out_h; y++)
          memcpy (dst + (size_t) y * out_w, src + (size_t) y * W, sizeof (float) * out_w);
      }
}

void
unet_crop_backward (float       *din,
                    gboolean     accumulate,
                    const float *dout,
                    size_t       dout_batch_stride,
                    UnetShape    in_shape,
                    int          out_h,
                    int          out_w)
{
  int C = in_shape.channels, H = in_shape.height, W = in_shape.width;
  int oy = (H - out_h) / 2, ox = (W - out_w) / 2;

#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < in_shape.batch; b++)
    for (int c = 0; c < C; c++)
      {
        float *plane = din + ((size_t) b * C + c) * H * W;
        const float *src = dout + b * dout_batch_stride + (size_t) c * out_h * out_w;

        if (accumulate)
          {
            for (int y = 0; y < out_h; y++)
              {
                float *dst = plane + (size_t) (y + oy) * W + ox;

                for (int x = 0; x < out_w; x++)
                  dst[x] += src[(size_t) y * out_w + x];
              }
            continue;
          }
        /* the cropped-away border gets no gradient */
        memset (plane, 0, sizeof (float) * oy * W);
        for (int y = 0; y < out_h; y++)
          {
            float *row = plane + (size_t) (y + oy) * W;

            memset (row, 0, sizeof (float) * ox);
            memcpy (row + ox, src + (size_t) y * out_w, sizeof (float) * out_w);
            memset (row + ox + out_w, 0, sizeof (float) * (W - ox - out_w));
          }
        memset (plane + (size_t) (oy + out_h) * W, 0, sizeof (float) * (H - oy - out_h) * W);
      }
}

void
unet_relu_forward (float  *x,
                   size_t  n)
{
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++)
    x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void
unet_relu_backward (float       *dx,
                    const float *out,
                    size_t       n)
{
#pragma omp parallel for schedule(static)
  /* a select, not a conditional store, so that it vectorises */
  for (size_t i = 0; i < n; i++)
    dx[i] = out[i] > 0.0f ? dx[i] : 0.0f;
}

void
unet_maxpool_forward (float       *out,
                      const float *in,
                      UnetShape    in_shape)
{
  int H = in_shape.height, W = in_shape.width;
  int OH = H / 2, OW = W / 2;
  int planes = in_shape.batch * in_shape.channels;

#pragma omp parallel for schedule(static)
  for (int p = 0; p < planes; p++)
    {
      const float *src = in + (size_t) p * H * W;
      float *dst = out + (size_t) p * OH * OW;

      for (int y = 0; y < OH; y++)
        {
          const float *r0 = src + (size_t) (2 * y) * W;
          const float *r1 = r0 + W;

          for (int x = 0; x < OW; x++)
            {
              float m = r0[2 * x];
              m = r0[2 * x + 1] > m ? r0[2 * x + 1] : m;
              m = r1[2 * x] > m ? r1[2 * x] : m;
              m = r1[2 * x + 1] > m ? r1[2 * x + 1] : m;
              dst[y * OW + x] = m;
            }
        }
    }
}

void
unet_maxpool_backward (float       *din,
                       const float *dout,
                       const float *in,
                       UnetShape    in_shape)
{
  int H = in_shape.height, W = in_shape.width;
  int OH = H / 2, OW = W / 2;
  int planes = in_shape.batch * in_shape.channels;

#pragma omp parallel for schedule(static)
  for (int p = 0; p < planes; p++)
    {
      const float *src = in + (size_t) p * H * W;
      float *dsrc = din + (size_t) p * H * W;
      const float *g = dout + (size_t) p * OH * OW;

      for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++)
          {
            size_t at = (size_t) (2 * y) * W + 2 * x;
            size_t best = at;
            size_t candidates[3] = { at + 1, at + W, at + W + 1 };

            /* strict '>' in scan order: the first maximum wins, as in PyTorch */
            for (int k = 0; k < 3; k++)
              if (src[candidates[k]] > src[best])
                best = candidates[k];
            dsrc[best] += g[y * OW + x];
          }
    }
}

/* Columns of a pair of rows that unet_maxpool_skip_backward takes at a time (even, so that no
 * pooling window straddles two pieces). */
#define POOL_PIECE 256

/* One row pair's piece of columns: rows r0 (and r1, NULL past an odd last row) of the forward's
 * output, pooled into g (NULL for a row past the last whole window), with the skip connection's
 * shares s0 and s1 (0 outside its crop). */
static void
pool_skip_piece (float       *r0,
                 float       *r1,
                 const float *g,
                 const float *s0,
                 const float *s1,
                 int          n)
{
  int windows = r1 != NULL && g != NULL ? n / 2 : 0;

  /* each window's gradient goes to its first maximum, as in PyTorch; the ReLU passes the sum
   * only where the forward's output was positive. Selects, not branches: it vectorises. */
#pragma omp simd
  for (int j = 0; j < windows; j++)
    {
      float a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
      float ab = a > b ? a : b, cd = c > d ? c : d, m = ab > cd ? ab : cd;
      /* what the earlier positions did not take (g - g is exactly 0) */
      float rest = g[j], ga, gb, gc, gd;

      ga = a == m ? rest : 0.0f;
      rest -= ga;
      gb = b == m ? rest : 0.0f;
      rest -= gb;
      gc = c == m ? rest : 0.0f;
      gd = rest - gc;

      /* the shares loaded whatever the test: a load under a condition would be a branch */
      ga += s0[2 * j];
      gb += s0[2 * j + 1];
      gc += s1[2 * j];
      gd += s1[2 * j + 1];
      r0[2 * j] = a > 0.0f ? ga : 0.0f;
      r0[2 * j + 1] = b > 0.0f ? gb : 0.0f;
      r1[2 * j] = c > 0.0f ? gc : 0.0f;
      r1[2 * j + 1] = d > 0.0f ? gd : 0.0f;
    }

  /* what belongs to no window gets the skip's share alone */
  for (int x = 2 * windows; x < n; x++)
    {
      float share = s0[x];

      r0[x] = r0[x] > 0.0f ? share : 0.0f;
    }
  for (int x = 2 * windows; x < n && r1 != NULL; x++)
    {
      float share = s1[x];

      r1[x] = r1[x] > 0.0f ? share : 0.0f;
    }
}

/* The skip connection's share of row y, columns x0 .. x0 + n - 1: its crop's values, 0 outside. */
static void
skip_share (float       *share,
            const float *skip,
            int          y,
            int          x0,
            int          n,
            int          oy,
            int          ox,
            int          skip_h,
            int          skip_w)
{
  int lo = CLAMP (ox - x0, 0, n), hi = CLAMP (ox + skip_w - x0, 0, n);

  memset (share, 0, sizeof (float) * n);
  if (y - oy >= 0 && y - oy < skip_h && hi > lo)
    memcpy (share + lo, skip + (size_t) (y - oy) * skip_w + x0 + lo - ox, sizeof (float) * (hi - lo));
}

void
unet_maxpool_skip_backward (float       *y,
                            const float *dpool,
                            const float *dskip,
                            size_t       dskip_batch_stride,
                            int          skip_h,
                            int          skip_w,
                            UnetShape    shape)
{
  int C = shape.channels, H = shape.height, W = shape.width;
  int OH = H / 2, OW = W / 2;
  int oy = (H - skip_h) / 2, ox = (W - skip_w) / 2;

#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < shape.batch; b++)
    for (int c = 0; c < C; c++)
      {
        float *plane = y + ((size_t) b * C + c) * H * W;
        const float *g = dpool + ((size_t) b * C + c) * OH * OW;
        const float *skip = dskip + b * dskip_batch_stride + (size_t) c * skip_h * skip_w;
        float share[2][POOL_PIECE];

        for (int y0 = 0; y0 < H; y0 += 2)
          for (int x0 = 0; x0 < W; x0 += POOL_PIECE)
            {
              int n = MIN (POOL_PIECE, W - x0);
              float *r0 = plane + (size_t) y0 * W + x0;
              float *r1 = y0 + 1 < H ? r0 + W : NULL;
              const float *g_row = y0 / 2 < OH && x0 / 2 < OW ? g + (size_t) (y0 / 2) * OW + x0 / 2
                                                              : NULL;

              skip_share (share[0], skip, y0, x0, n, oy, ox, skip_h, skip_w);
              skip_share (share[1], skip, y0 + 1, x0, n, oy, ox, skip_h, skip_w);
              /* a trailing odd column is in no window */
              pool_skip_piece (r0, r1, g_row, share[0], share[1],
                               x0 + n > 2 * OW ? 2 * OW - x0 : n);
              if (x0 + n > 2 * OW)
                pool_skip_piece (r0 + n - 1, r1 ? r1 + n - 1 : NULL, NULL, share[0] + n - 1,
                                 share[1] + n - 1, 1);
            }
      }
}

void
unet_relu_mask_keep (guint8      *mask,
                     const float *out,
                     size_t       n)
{
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++)
    mask[i] = out[i] > 0.0f;
}

void
unet_relu_mask_apply (float        *dx,
                      const guint8 *mask,
                      size_t        n)
{
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++)
    dx[i] = mask[i] ? dx[i] : 0.0f;
}

void
unet_dropout_forward (float   *x,
                      float   *mask,
                      size_t   n,
                      float    p,
                      UnetRng *rng)
{
  float keep_scale = 1.0f / (1.0f - p);

  /* sequential on purpose: the mask must not depend on the thread count */
  for (size_t i = 0; i < n; i++)
    {
      mask[i] = unet_rng_uniform (rng) >= p ? keep_scale : 0.0f;
      x[i] *= mask[i];
    }
}

void
unet_dropout_backward (float       *dx,
                       const float *mask,
                       size_t       n)
{
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++)
    dx[i] *= mask[i];
}
