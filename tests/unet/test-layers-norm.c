/* test-layers-norm.c: batch norm in training and evaluation, fused with its ReLU, from rows' sums
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "test-layers.h"

/* --- batch normalisation -------------------------------------------------------------------- */

/* Per-channel mean and biased variance over (B, H, W), in double. */
static void
batch_stats (double      *mean,
             double      *var,
             const float *in,
             UnetShape    s)
{
  size_t hw = (size_t) s.height * s.width, count = hw * s.batch;

  for (int c = 0; c < s.channels; c++)
    {
      double sum = 0.0, sq = 0.0;

      for (int b = 0; b < s.batch; b++)
        for (size_t i = 0; i < hw; i++)
          sum += in[((size_t) b * s.channels + c) * hw + i];
      mean[c] = sum / count;
      for (int b = 0; b < s.batch; b++)
        for (size_t i = 0; i < hw; i++)
          {
            double d = in[((size_t) b * s.channels + c) * hw + i] - mean[c];

            sq += d * d;
          }
      var[c] = sq / count;
    }
}

/* Channels with different offsets and spreads, as after a convolution. */
static float *
new_channel_data (UnetShape s,
                  UnetRng  *rng)
{
  size_t hw = (size_t) s.height * s.width;
  float *x = g_new (float, unet_shape_numel (s));

  for (int c = 0; c < s.channels; c++)
    {
      double shift = -2.0 + 4.0 * unet_rng_uniform (rng);
      double spread = 0.5 + 1.5 * unet_rng_uniform (rng);

      for (int b = 0; b < s.batch; b++)
        for (size_t i = 0; i < hw; i++)
          x[((size_t) b * s.channels + c) * hw + i] =
            (float) (shift + spread * (2.0 * unet_rng_uniform (rng) - 1.0));
    }
  return x;
}

static void
check_batchnorm_train (UnetShape s,
                       float     momentum,
                       guint64   seed)
{
  const UnetBatchNormParams params = { momentum, 1e-5f };
  const int C = s.channels;
  size_t n = unet_shape_numel (s), hw = (size_t) s.height * s.width, count = hw * s.batch;
  g_autofree char *what = g_strdup_printf ("batchnorm train B=%d C=%d H=%d W=%d momentum=%g",
                                           s.batch, C, s.height, s.width, momentum);
  g_autofree char *label = NULL;
  g_autofree double *mean = g_new (double, C);
  g_autofree double *var = g_new (double, C);
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  g_autofree float *in = new_channel_data (s, &rng);
  g_autofree float *gamma = ref_new_uniform (C, &rng, 0.5f, 1.5f);
  g_autofree float *beta = ref_new_uniform (C, &rng, -0.5f, 0.5f);
  g_autofree float *running_mean = ref_new_uniform (C, &rng, -1.0f, 1.0f);
  g_autofree float *running_var = ref_new_uniform (C, &rng, 0.5f, 2.0f);
  g_autofree float *rm = new_copy (running_mean, C);
  g_autofree float *rv = new_copy (running_var, C);
  g_autofree float *out = new_filled (n, NAN);
  g_autofree float *save_mean = new_filled (C, NAN);
  g_autofree float *save_invstd = new_filled (C, NAN);
  g_autofree float *want_out = g_new (float, n);
  g_autofree float *want_mean = g_new (float, C);
  g_autofree float *want_invstd = g_new (float, C);
  g_autofree float *want_rm = g_new (float, C);
  g_autofree float *want_rv = g_new (float, C);

  unet_batchnorm_forward_train (out, save_mean, save_invstd, rm, rv, in, gamma, beta, s, &params);

  batch_stats (mean, var, in, s);
  for (int c = 0; c < C; c++)
    {
      double invstd = 1.0 / sqrt (var[c] + params.eps);

      for (int b = 0; b < s.batch; b++)
        for (size_t i = 0; i < hw; i++)
          {
            size_t k = ((size_t) b * C + c) * hw + i;

            want_out[k] = (float) (gamma[c] * (in[k] - mean[c]) * invstd + beta[c]);
          }
      want_mean[c] = (float) mean[c];
      want_invstd[c] = (float) invstd;
      want_rm[c] = (float) ((1.0 - momentum) * running_mean[c] + momentum * mean[c]);
      want_rv[c] = (float) ((1.0 - momentum) * running_var[c] +
                            momentum * var[c] * count / (count - 1.0));
    }

  label = g_strdup_printf ("%s out", what);
  assert_close (label, out, want_out, n, 3e-5);
  g_free (label);
  label = g_strdup_printf ("%s save_mean", what);
  assert_close (label, save_mean, want_mean, C, 3e-5);
  g_free (label);
  label = g_strdup_printf ("%s save_invstd", what);
  assert_close (label, save_invstd, want_invstd, C, 3e-5);
  g_free (label);
  label = g_strdup_printf ("%s running_mean", what);
  assert_close (label, rm, want_rm, C, 3e-5);
  g_free (label);
  label = g_strdup_printf ("%s running_var (unbiased)", what);
  assert_close (label, rv, want_rv, C, 3e-5);
}

static void
test_batchnorm_train (void)
{
  check_batchnorm_train ((UnetShape) { 2, 3, 5, 7 }, 0.1f, 1501);
  /* few values per channel, so that the biased and unbiased variances differ by 20 % */
  check_batchnorm_train ((UnetShape) { 2, 2, 1, 3 }, 0.1f, 1502);
  check_batchnorm_train ((UnetShape) { 3, 5, 3, 3 }, 0.3f, 1503);
}

static void
test_batchnorm_eval (void)
{
  /* eps 1e-3 next to variances of 5e-3: using a different eps shows */
  const UnetBatchNormParams params = { 0.1f, 1e-3f };
  UnetShape s = { 2, 4, 5, 3 };
  const int C = s.channels;
  size_t n = unet_shape_numel (s), hw = (size_t) s.height * s.width;
  UnetRng rng;

  unet_rng_seed (&rng, 1601);
  g_autofree float *in = new_channel_data (s, &rng);
  g_autofree float *gamma = ref_new_uniform (C, &rng, 0.5f, 1.5f);
  g_autofree float *beta = ref_new_uniform (C, &rng, -0.5f, 0.5f);
  g_autofree float *rm = ref_new_uniform (C, &rng, -1.0f, 1.0f);
  g_autofree float *rv = ref_new_uniform (C, &rng, 0.005f, 0.05f);
  g_autofree float *out = new_filled (n, NAN);
  g_autofree float *want = g_new (float, n);

  unet_batchnorm_forward_eval (out, in, gamma, beta, rm, rv, s, &params);
  for (int b = 0; b < s.batch; b++)
    for (int c = 0; c < C; c++)
      for (size_t i = 0; i < hw; i++)
        {
          size_t k = ((size_t) b * C + c) * hw + i;

          double invstd = 1.0 / sqrt ((double) rv[c] + params.eps);

          want[k] = (float) (gamma[c] * (in[k] - (double) rm[c]) * invstd + beta[c]);
        }
  assert_close ("batchnorm eval out", out, want, n, 1e-5);
}

typedef struct
{
  UnetShape                  shape;
  const UnetBatchNormParams *params;
  float                     *in;
  float                     *gamma;
  float                     *beta;
  float                     *out;
  float                     *r;
  float                     *mean;
  float                     *invstd;
  float                     *running_mean;
  float                     *running_var;
} BatchNormProblem;

static double
batchnorm_objective (gpointer data)
{
  BatchNormProblem *p = data;

  unet_batchnorm_forward_train (p->out, p->mean, p->invstd, p->running_mean, p->running_var,
                                p->in, p->gamma, p->beta, p->shape, p->params);
  return ref_dot (p->out, p->r, unet_shape_numel (p->shape));
}

static void
check_batchnorm_gradient (UnetShape s,
                          float     eps,
                          guint64   seed)
{
  const UnetBatchNormParams params = { 0.1f, 1e-5f };
  const int C = s.channels;
  size_t n = unet_shape_numel (s);
  g_autofree char *what = g_strdup_printf ("batchnorm B=%d C=%d H=%d W=%d",
                                           s.batch, C, s.height, s.width);
  BatchNormProblem p = { s, &params };
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  p.in = new_channel_data (s, &rng);
  p.gamma = ref_new_uniform (C, &rng, 0.5f, 1.5f);
  p.beta = ref_new_uniform (C, &rng, -0.5f, 0.5f);
  p.r = ref_new_uniform (n, &rng, -1.0f, 1.0f);
  p.out = g_new (float, n);
  p.mean = g_new (float, C);
  p.invstd = g_new (float, C);
  p.running_mean = g_new0 (float, C);
  p.running_var = new_filled (C, 1.0f);

  g_autofree float *din = g_new0 (float, n);
  g_autofree float *dgamma = g_new0 (float, C);
  g_autofree float *dbeta = g_new0 (float, C);

  batchnorm_objective (&p);
  unet_batchnorm_backward (din, dgamma, dbeta, p.r, p.in, p.gamma, p.mean, p.invstd, s);

  check_gradient (what, "in", batchnorm_objective, &p, p.in, din, n, eps, &rng);
  check_gradient (what, "gamma", batchnorm_objective, &p, p.gamma, dgamma, C, 1e-2f, &rng);
  check_gradient (what, "beta", batchnorm_objective, &p, p.beta, dbeta, C, 1e-2f, &rng);

  /* din == NULL: the same parameter gradients */
  {
    g_autofree float *dgamma2 = g_new0 (float, C);
    g_autofree float *dbeta2 = g_new0 (float, C);
    g_autofree char *label = g_strdup_printf ("%s dgamma (din NULL)", what);

    batchnorm_objective (&p);
    unet_batchnorm_backward (NULL, dgamma2, dbeta2, p.r, p.in, p.gamma, p.mean, p.invstd, s);
    assert_close (label, dgamma2, dgamma, C, 1e-6);
    g_free (label);
    label = g_strdup_printf ("%s dbeta (din NULL)", what);
    assert_close (label, dbeta2, dbeta, C, 1e-6);
  }

  g_free (p.in);
  g_free (p.gamma);
  g_free (p.beta);
  g_free (p.r);
  g_free (p.out);
  g_free (p.mean);
  g_free (p.invstd);
  g_free (p.running_mean);
  g_free (p.running_var);
}

static void
test_batchnorm_gradient (void)
{
  check_batchnorm_gradient ((UnetShape) { 2, 3, 5, 7 }, 1e-2f, 1701);
  check_batchnorm_gradient ((UnetShape) { 2, 2, 1, 3 }, 1e-3f, 1702);
}

/* Batch norm with its ReLU fused is exactly ReLU of batch norm, forward (train and eval), and
 * backward, where the ReLU's gradient mask then goes into batch norm's, to rounding. */
static void
test_batchnorm_relu_fused (void)
{
  UnetShape s = { 3, 5, 17, 19 };
  const int C = s.channels;
  size_t n = unet_shape_numel (s);
  const UnetBatchNormParams plain_params = { 0.1f, 1e-5f, NULL, FALSE };
  const UnetBatchNormParams fused_params = { 0.1f, 1e-5f, NULL, TRUE };
  g_autofree float *in = g_new (float, n);
  g_autofree float *dout = g_new (float, n);
  g_autofree float *plain = g_new (float, n);
  g_autofree float *fused = g_new (float, n);
  g_autofree float *masked = g_new (float, n);
  g_autofree float *din_plain = g_new0 (float, n);
  g_autofree float *din_fused = g_new0 (float, n);
  g_autofree float *mean = g_new (float, C), *invstd = g_new (float, C);
  g_autofree float *rm = g_new0 (float, C), *rv = g_new (float, C);
  g_autofree float *gamma = g_new (float, C), *beta = g_new (float, C);
  g_autofree float *dg_plain = g_new0 (float, C), *db_plain = g_new0 (float, C);
  g_autofree float *dg_fused = g_new0 (float, C), *db_fused = g_new0 (float, C);
  size_t zeros = 0;
  UnetRng rng;

  unet_rng_seed (&rng, 11);
  for (size_t i = 0; i < n; i++)
    {
      in[i] = 3.0f * unet_rng_uniform (&rng) - 1.0f;
      dout[i] = unet_rng_uniform (&rng) - 0.5f;
    }
  for (int c = 0; c < C; c++)
    {
      gamma[c] = 0.5f + unet_rng_uniform (&rng);
      beta[c] = unet_rng_uniform (&rng) - 0.5f;
      rv[c] = 1.0f;
    }

  unet_batchnorm_forward_train (plain, mean, invstd, rm, rv, in, gamma, beta, s, &plain_params);
  unet_relu_forward (plain, n);
  unet_batchnorm_forward_train (fused, mean, invstd, rm, rv, in, gamma, beta, s, &fused_params);
  g_assert_cmpmem (fused, n * sizeof (float), plain, n * sizeof (float));
  for (size_t i = 0; i < n; i++)
    zeros += fused[i] == 0.0f;
  /* about half the values are cut: both branches of the fused pass are taken */
  g_assert_cmpuint (zeros, >, n / 4);
  g_assert_cmpuint (zeros, <, 3 * n / 4);

  memcpy (masked, dout, n * sizeof (float));
  unet_relu_backward (masked, plain, n);
  unet_batchnorm_backward (din_plain, dg_plain, db_plain, masked, in, gamma, mean, invstd, s);
  unet_batchnorm_backward_sync (din_fused, TRUE, dg_fused, db_fused, dout, fused, in, gamma, mean,
                                invstd, s, NULL);
  /* the sums may add in another order (each loop vectorises on its own): to rounding */
  assert_close ("fused din", din_fused, din_plain, n, 2e-6);
  assert_close ("fused dgamma", dg_fused, dg_plain, C, 2e-6);
  assert_close ("fused dbeta", db_fused, db_plain, C, 2e-6);

  /* written over its own input, from a gradient already masked, as training does */
  memset (dg_fused, 0, C * sizeof (float));
  memset (db_fused, 0, C * sizeof (float));
  memcpy (din_fused, in, n * sizeof (float));
  unet_batchnorm_backward_sync (din_fused, FALSE, dg_fused, db_fused, masked, NULL, din_fused,
                                gamma, mean, invstd, s, NULL);
  assert_close ("din over in", din_fused, din_plain, n, 2e-6);
  assert_close ("dgamma (din over in)", dg_fused, dg_plain, C, 2e-6);

  unet_batchnorm_forward_eval (plain, in, gamma, beta, rm, rv, s, &plain_params);
  unet_relu_forward (plain, n);
  unet_batchnorm_forward_eval (fused, in, gamma, beta, rm, rv, s, &fused_params);
  g_assert_cmpmem (fused, n * sizeof (float), plain, n * sizeof (float));
}

/* The reduction of a world of one process: the values are already the sum. */
static void
reduce_nothing (double *values,
                size_t  n,
                void   *user_data)
{
}

/* Batch norm from the rows' sums a convolution keeps: the same statistics and outputs, to
 * rounding, as from its own passes over the input, also for values far from zero (a mean of
 * 300 with a spread of 1, where E[x²] - E[x]² would lose every digit); and the same bits with a
 * one-process reduction as without. */
static void
test_batchnorm_row_sums (void)
{
  UnetShape s = { 2, 3, 9, 37 };
  const int C = s.channels;
  size_t n = unet_shape_numel (s), plane = (size_t) s.height * s.width;
  const UnetBatchNormParams own_params = { 0.1f, 1e-5f, NULL, TRUE, NULL };
  g_autofree float *in = g_new (float, n);
  g_autofree float *row_sums = g_new (float, (size_t) s.batch * s.height * C * 2);
  g_autofree float *own = g_new (float, n), *from_rows = g_new (float, n);
  g_autofree float *synced = g_new (float, n);
  g_autofree float *mean = g_new (float, C), *invstd = g_new (float, C);
  g_autofree float *mean_rows = g_new (float, C), *invstd_rows = g_new (float, C);
  g_autofree float *rm = g_new0 (float, C), *rv = g_new (float, C);
  g_autofree float *rm_rows = g_new0 (float, C), *rv_rows = g_new (float, C);
  g_autofree float *gamma = g_new (float, C), *beta = g_new (float, C);
  g_autofree double *scratch = g_new (double, 2 * C + 1);
  UnetBatchNormSync one_process = { reduce_nothing, NULL, scratch };
  UnetBatchNormParams rows_params = own_params, sync_params = own_params;
  UnetRng rng;

  unet_rng_seed (&rng, 12);
  for (int b = 0; b < s.batch; b++)
    for (int c = 0; c < C; c++)
      for (size_t i = 0; i < plane; i++)
        in[((size_t) b * C + c) * plane + i] = (c == 2 ? 300.0f : 0.5f * c)
                                               + 2.0f * unet_rng_uniform (&rng) - 1.0f;
  for (int c = 0; c < C; c++)
    {
      gamma[c] = 0.5f + unet_rng_uniform (&rng);
      beta[c] = unet_rng_uniform (&rng) - 0.5f;
      rv[c] = rv_rows[c] = 1.0f;
    }
  /* the rows' sums as the convolution keeps them: sum, and squared deviations from the row's
   * own mean */
  for (int b = 0; b < s.batch; b++)
    for (int y = 0; y < s.height; y++)
      for (int c = 0; c < C; c++)
        {
          const float *row = in + (((size_t) b * C + c) * s.height + y) * s.width;
          float *p = row_sums + (((size_t) b * s.height + y) * C + c) * 2;
          double sum = 0.0, deviations = 0.0;

          for (int x = 0; x < s.width; x++)
            sum += row[x];
          for (int x = 0; x < s.width; x++)
            deviations += (row[x] - sum / s.width) * (row[x] - sum / s.width);
          p[0] = (float) sum;
          p[1] = (float) deviations;
        }

  unet_batchnorm_forward_train (own, mean, invstd, rm, rv, in, gamma, beta, s, &own_params);
  rows_params.row_sums = row_sums;
  unet_batchnorm_forward_train (from_rows, mean_rows, invstd_rows, rm_rows, rv_rows, in, gamma,
                                beta, s, &rows_params);
  assert_close ("batch mean from rows", mean_rows, mean, C, 1e-6);
  assert_close ("1/std from rows", invstd_rows, invstd, C, 1e-5);
  assert_close ("running variance from rows", rv_rows, rv, C, 1e-5);
  assert_close ("output from rows", from_rows, own, n, 1e-4);

  sync_params.row_sums = row_sums;
  sync_params.sync = &one_process;
  for (int c = 0; c < C; c++)
    {
      rm_rows[c] = 0.0f;
      rv_rows[c] = 1.0f;
    }
  unet_batchnorm_forward_train (synced, mean, invstd, rm_rows, rv_rows, in, gamma, beta, s,
                                &sync_params);
  g_assert_cmpmem (synced, n * sizeof (float), from_rows, n * sizeof (float));
}

void
test_layers_norm_register (void)
{
  g_test_add_func ("/layers/batchnorm/train", test_batchnorm_train);
  g_test_add_func ("/layers/batchnorm/eval", test_batchnorm_eval);
  g_test_add_func ("/layers/batchnorm/gradient", test_batchnorm_gradient);
  g_test_add_func ("/layers/batchnorm/relu-fused", test_batchnorm_relu_fused);
  g_test_add_func ("/layers/batchnorm/row-sums", test_batchnorm_row_sums);
}
