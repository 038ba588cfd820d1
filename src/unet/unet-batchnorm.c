/* unet-batchnorm.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "unet-layers.h"
#include "unet-layers-private.h"

/* Batch norm, training and evaluation, with its ReLU fused in, and synchronised over processes
 * through UnetBatchNormSync. */

/* One channel's sum over the batch. */
static double
channel_sum (const float *in,
             UnetShape    shape,
             int          c)
{
  size_t plane = (size_t) shape.height * shape.width;
  double sum = 0.0;

  for (int b = 0; b < shape.batch; b++)
    sum += unet_blocked_sum (in + ((size_t) b * shape.channels + c) * plane, plane);
  return sum;
}

/* One channel's sum of squared deviations from mean: a second pass, since one-pass
 * E[x²]-E[x]² cancels badly in float data. */
static double
channel_sum_sq (const float *in,
                UnetShape    shape,
                int          c,
                double       mean)
{
  size_t plane = (size_t) shape.height * shape.width;
  float m = (float) mean;
  double sum_sq = 0.0;

  for (int b = 0; b < shape.batch; b++)
    {
      const float *p = in + ((size_t) b * shape.channels + c) * plane;

      for (size_t start = 0; start < plane; start += UNET_SUM_BLOCK)
        {
          size_t end = MIN (start + UNET_SUM_BLOCK, plane);
          float block = 0.0f;

#pragma omp simd reduction(+:block)
          for (size_t i = start; i < end; i++)
            {
              float d = p[i] - m;
              block += d * d;
            }
          sum_sq += block;
        }
    }
  return sum_sq;
}

/* q = p·scale + shift, and ReLU'd when relu, in one pass. */
static inline void
normalise_plane (float       *q,
                 const float *p,
                 size_t       n,
                 float        scale,
                 float        shift,
                 gboolean     relu)
{
  if (relu)
    {
#pragma omp simd
      for (size_t i = 0; i < n; i++)
        {
          float v = p[i] * scale + shift;
          q[i] = v > 0.0f ? v : 0.0f;
        }
    }
  else
    {
#pragma omp simd
      for (size_t i = 0; i < n; i++)
        q[i] = p[i] * scale + shift;
    }
}

/* From one channel's batch mean and sum of squared deviations over count values: keeps what
 * backward needs, moves the running statistics (unbiased variance, as PyTorch), normalises. */
static void
channel_normalise (float                     *out,
                   float                     *save_mean,
                   float                     *save_invstd,
                   float                     *running_mean,
                   float                     *running_var,
                   const float               *in,
                   const float               *gamma,
                   const float               *beta,
                   UnetShape                  shape,
                   const UnetBatchNormParams *params,
                   int                        c,
                   double                     mean,
                   double                     sum_sq,
                   double                     count)
{
  size_t plane = (size_t) shape.height * shape.width;
  double var = sum_sq / count;
  float invstd = (float) (1.0 / sqrt (var + params->eps));
  float scale, shift;

  save_mean[c] = (float) mean;
  save_invstd[c] = invstd;
  running_mean[c] = (1.0f - params->momentum) * running_mean[c] + params->momentum * (float) mean;
  running_var[c] = (1.0f - params->momentum) * running_var[c]
                   + params->momentum * (float) (count > 1 ? sum_sq / (count - 1) : var);

  scale = gamma[c] * invstd;
  shift = beta[c] - (float) mean * scale;
  for (int b = 0; b < shape.batch; b++)
    {
      const float *p = in + ((size_t) b * shape.channels + c) * plane;
      float *q = out + ((size_t) b * shape.channels + c) * plane;

      normalise_plane (q, p, plane, scale, shift, params->relu);
    }
}

/* One channel's sum over the batch from the rows' sums the convolution kept ([B, H, C, 2]),
 * added in a fixed order. */
static double
channel_row_sum (const float *row_sums,
                 UnetShape    shape,
                 int          c)
{
  int rows = shape.batch * shape.height;
  double sum = 0.0;

  for (int r = 0; r < rows; r++)
    sum += row_sums[((size_t) r * shape.channels + c) * 2];
  return sum;
}

/* One channel's squared deviations from `mean` over the batch, from the rows' own (Chan et al.):
 * each row's deviations from its mean, and the row's width times its mean's deviation. */
static double
channel_row_deviations (const float *row_sums,
                        UnetShape    shape,
                        int          c,
                        double       mean)
{
  int rows = shape.batch * shape.height;
  double width = shape.width, deviations = 0.0;

  for (int r = 0; r < rows; r++)
    {
      const float *p = row_sums + ((size_t) r * shape.channels + c) * 2;
      double d = p[0] / width - mean;

      deviations += p[1] + width * d * d;
    }
  return deviations;
}

/* A channel's statistics over the batch: from the rows' sums the convolution kept while its
 * output was in cache, which spares batch norm two of its three passes over its input, or by
 * reading the input. Their sum: */
static double
channel_total (const float               *in,
               UnetShape                  shape,
               const UnetBatchNormParams *params,
               int                        c)
{
  return params->row_sums != NULL ? channel_row_sum (params->row_sums, shape, c)
                                  : channel_sum (in, shape, c);
}

/* and their squared deviations from the batch's mean. */
static double
channel_deviations (const float               *in,
                    UnetShape                  shape,
                    const UnetBatchNormParams *params,
                    int                        c,
                    double                     mean)
{
  return params->row_sums != NULL ? channel_row_deviations (params->row_sums, shape, c, mean)
                                  : channel_sum_sq (in, shape, c, mean);
}

/* The synchronised forward: the same arithmetic as the local one below, in three passes over
 * the channels with a reduction between them, so that one process alone computes bit for bit
 * what unet_batchnorm_forward_train does. */
static void
batchnorm_forward_train_sync (float                     *out,
                              float                     *save_mean,
                              float                     *save_invstd,
                              float                     *running_mean,
                              float                     *running_var,
                              const float               *in,
                              const float               *gamma,
                              const float               *beta,
                              UnetShape                  shape,
                              const UnetBatchNormParams *params)
{
  const UnetBatchNormSync *sync = params->sync;
  int C = shape.channels;
  size_t plane = (size_t) shape.height * shape.width;
  double *sums = sync->scratch, *sums_sq = sync->scratch + C + 1;
  double count;

#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; c++)
    sums[c] = channel_total (in, shape, params, c);
  sums[C] = (double) (plane * shape.batch);
  sync->reduce (sums, C + 1, sync->user_data);
  count = sums[C];

  /* the variance about the whole batch's mean, as the local version does */
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; c++)
    sums_sq[c] = channel_deviations (in, shape, params, c, sums[c] / count);
  sync->reduce (sums_sq, C, sync->user_data);

#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; c++)
    channel_normalise (out, save_mean, save_invstd, running_mean, running_var, in, gamma, beta,
                       shape, params, c, sums[c] / count, sums_sq[c], count);
}

void
unet_batchnorm_forward_train (float                     *out,
                              float                     *save_mean,
                              float                     *save_invstd,
                              float                     *running_mean,
                              float                     *running_var,
                              const float               *in,
                              const float               *gamma,
                              const float               *beta,
                              UnetShape                  shape,
                              const UnetBatchNormParams *params)
{
  size_t count = (size_t) shape.height * shape.width * shape.batch;

  if (params->sync != NULL)
    {
      batchnorm_forward_train_sync (out, save_mean, save_invstd, running_mean, running_var, in,
                                    gamma, beta, shape, params);
      return;
    }

#pragma omp parallel for schedule(static)
  for (int c = 0; c < shape.channels; c++)
    {
      double mean = channel_total (in, shape, params, c) / count;

      channel_normalise (out, save_mean, save_invstd, running_mean, running_var, in, gamma, beta,
                         shape, params, c, mean,
                         channel_deviations (in, shape, params, c, mean), count);
    }
}

void
unet_batchnorm_forward_eval (float                     *out,
                             const float               *in,
                             const float               *gamma,
                             const float               *beta,
                             const float               *running_mean,
                             const float               *running_var,
                             UnetShape                  shape,
                             const UnetBatchNormParams *params)
{
  int C = shape.channels;
  size_t plane = (size_t) shape.height * shape.width;

#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < shape.batch; b++)
    for (int c = 0; c < C; c++)
      {
        float scale = gamma[c] / sqrtf (running_var[c] + params->eps);
        float shift = beta[c] - running_mean[c] * scale;
        const float *p = in + ((size_t) b * C + c) * plane;
        float *q = out + ((size_t) b * C + c) * plane;

        normalise_plane (q, p, plane, scale, shift, params->relu);
      }
}

void
unet_batchnorm_forward_saved (float       *out,
                              const float *in,
                              const float *gamma,
                              const float *beta,
                              const float *save_mean,
                              const float *save_invstd,
                              UnetShape    shape,
                              gboolean     relu)
{
  int C = shape.channels;
  size_t plane = (size_t) shape.height * shape.width;

#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < shape.batch; b++)
    for (int c = 0; c < C; c++)
      {
        /* channel_normalise's scale and shift, so that the values come out bit for bit */
        float scale = gamma[c] * save_invstd[c];
        float shift = beta[c] - save_mean[c] * scale;

        normalise_plane (out + ((size_t) b * C + c) * plane, in + ((size_t) b * C + c) * plane,
                         plane, scale, shift, relu);
      }
}

void
unet_batchnorm_backward (float       *din,
                         float       *dgamma,
                         float       *dbeta,
                         const float *dout,
                         const float *in,
                         const float *gamma,
                         const float *save_mean,
                         const float *save_invstd,
                         UnetShape    shape)
{
  unet_batchnorm_backward_sync (din, TRUE, dgamma, dbeta, dout, NULL, in, gamma, save_mean,
                                save_invstd, shape, NULL);
}

/* The two per-channel sums of batch norm's backward pass: of dy (d beta) and of dy·xhat
 * (d gamma). */
static void
batchnorm_sums (double      *sum_dy,
                double      *sum_dy_xhat,
                const float *dout,
                const float *relu_out,
                const float *in,
                const float *save_mean,
                const float *save_invstd,
                UnetShape    shape,
                int          c)
{
  int C = shape.channels;
  size_t plane = (size_t) shape.height * shape.width;
  float mean = save_mean[c], invstd = save_invstd[c];
  double a = 0.0, b_sum = 0.0;

  for (int b = 0; b < shape.batch; b++)
    {
      size_t at = ((size_t) b * C + c) * plane;
      const float *x = in + at;
      const float *dy = dout + at;
      const float *y = relu_out != NULL ? relu_out + at : NULL;

      for (size_t start = 0; start < plane; start += UNET_SUM_BLOCK)
        {
          size_t end = MIN (start + UNET_SUM_BLOCK, plane);
          float block_dy = 0.0f, block_dy_xhat = 0.0f;

          /* two loops rather than a test of y in one: each vectorises */
          if (y != NULL)
            {
#pragma omp simd reduction(+:block_dy, block_dy_xhat)
              for (size_t i = start; i < end; i++)
                {
                  /* both loaded either way: a select, not a branch, so it vectorises */
                  float d = dy[i], g = y[i] > 0.0f ? d : 0.0f;

                  block_dy += g;
                  block_dy_xhat += g * ((x[i] - mean) * invstd);
                }
            }
          else
            {
#pragma omp simd reduction(+:block_dy, block_dy_xhat)
              for (size_t i = start; i < end; i++)
                {
                  block_dy += dy[i];
                  block_dy_xhat += dy[i] * ((x[i] - mean) * invstd);
                }
            }
          a += block_dy;
          b_sum += block_dy_xhat;
        }
    }
  *sum_dy = a;
  *sum_dy_xhat = b_sum;
}

static void
batchnorm_input_grad (float       *din,
                      gboolean     accumulate,
                      const float *dout,
                      const float *relu_out,
                      const float *in,
                      const float *gamma,
                      float        mean,
                      float        invstd,
                      float        k1,
                      float        k2,
                      UnetShape    shape,
                      int          c)
{
  int C = shape.channels;
  size_t plane = (size_t) shape.height * shape.width;
  float scale = gamma[c] * invstd;

  /* dx = gamma invstd (dy - mean(dy) - xhat mean(dy xhat)) */
  for (int b = 0; b < shape.batch; b++)
    {
      size_t at = ((size_t) b * C + c) * plane;
      const float *x = in + at;
      const float *dy = dout + at;
      const float *y = relu_out != NULL ? relu_out + at : NULL;
      float *dx = din + at;

      if (y != NULL)
        {
#pragma omp simd
          for (size_t i = 0; i < plane; i++)
            {
              float xhat = (x[i] - mean) * invstd;
              float d = dy[i], g = y[i] > 0.0f ? d : 0.0f;

              dx[i] = (accumulate ? dx[i] : 0.0f) + scale * (g - k1 - xhat * k2);
            }
        }
      else
        {
#pragma omp simd
          for (size_t i = 0; i < plane; i++)
            {
              float xhat = (x[i] - mean) * invstd;

              dx[i] = (accumulate ? dx[i] : 0.0f) + scale * (dy[i] - k1 - xhat * k2);
            }
        }
    }
}

void
unet_batchnorm_backward_sync (float                   *din,
                              gboolean                 accumulate,
                              float                   *dgamma,
                              float                   *dbeta,
                              const float             *dout,
                              const float             *relu_out,
                              const float             *in,
                              const float             *gamma,
                              const float             *save_mean,
                              const float             *save_invstd,
                              UnetShape                shape,
                              const UnetBatchNormSync *sync)
{
  int C = shape.channels;
  size_t count = (size_t) shape.height * shape.width * shape.batch;
  double *sums, global_count;

  if (sync == NULL)
    {
#pragma omp parallel for schedule(static)
      for (int c = 0; c < C; c++)
        {
          double sum_dy, sum_dy_xhat;

          batchnorm_sums (&sum_dy, &sum_dy_xhat, dout, relu_out, in, save_mean, save_invstd, shape,
                          c);
          dgamma[c] += (float) sum_dy_xhat;
          dbeta[c] += (float) sum_dy;
          if (din)
            batchnorm_input_grad (din, accumulate, dout, relu_out, in, gamma, save_mean[c],
                                  save_invstd[c], (float) (sum_dy / count),
                                  (float) (sum_dy_xhat / count), shape, c);
        }
      return;
    }

  /* this process's share goes to the parameter gradients, which the caller sums over the
   * processes; the input gradient needs the whole batch's sums now */
  sums = sync->scratch;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; c++)
    {
      batchnorm_sums (&sums[c], &sums[C + c], dout, relu_out, in, save_mean, save_invstd, shape,
                      c);
      dgamma[c] += (float) sums[C + c];
      dbeta[c] += (float) sums[c];
    }
  sums[2 * C] = (double) count;
  sync->reduce (sums, 2 * C + 1, sync->user_data);
  global_count = sums[2 * C];

  if (!din)
    return;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; c++)
    batchnorm_input_grad (din, accumulate, dout, relu_out, in, gamma, save_mean[c],
                          save_invstd[c], (float) (sums[c] / global_count),
                          (float) (sums[C + c] / global_count), shape, c);
}
