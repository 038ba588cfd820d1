/* test-layers.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "unet/unet-layers.h"
#include "unet/unet-rng.h"

#include "conv-reference.h"

/* Fast kernels against the double-precision oracle, as max |error| / max |expected|. Float sums
 * are good to about 1e-6 here; a wrong index or a missed term costs an error of order 1. */
#define ORACLE_FORWARD_TOL  1e-5
#define ORACLE_BACKWARD_TOL 5e-5

/* Finite differences: an entry passes if
 *   |analytic - numeric| <= GRAD_RTOL max (|analytic|, |numeric|) + GRAD_ATOL scale,
 * where scale is the largest gradient magnitude among the entries checked, so that the check
 * means the same for a loss gradient of 1e-2 as for a convolution gradient of 10. */
#define GRAD_RTOL 1e-2
#define GRAD_ATOL 1e-3

/* Entries checked per tensor by finite differences; bigger tensors get a random subset. */
#define GRAD_MAX_CHECKS 400

/* What forward must leave alone around its output. */
#define SENTINEL 777.0f

/* --- helpers -------------------------------------------------------------------------------- */

static float *
new_filled (size_t n,
            float  value)
{
  float *x = g_new (float, MAX (n, 1));

  for (size_t i = 0; i < n; i++)
    x[i] = value;
  return x;
}

static float *
new_copy (const float *x,
          size_t       n)
{
  return g_memdup2 (x, n * sizeof (float));
}

/* Exactly `floats` floats, so that AddressSanitizer sees any write past the kernel's own size. */
static float *
new_work (size_t floats)
{
  return floats > 0 ? new_filled (floats, NAN) : NULL;
}

static void
assert_close (const char  *what,
              const float *actual,
              const float *expected,
              size_t       n,
              double       tol)
{
  double err = ref_max_rel_error (actual, expected, n);

  g_test_message ("%s: max error %.3g of max |expected| (tolerance %.0e)", what, err, tol);
  if (!(err <= tol))
    {
      size_t worst = 0;
      double worst_diff = -1.0;

      for (size_t i = 0; i < n; i++)
        {
          double d = fabs ((double) actual[i] - (double) expected[i]);

          if (isnan (d))
            d = INFINITY;
          if (d > worst_diff)
            {
              worst = i;
              worst_diff = d;
            }
        }
      g_test_message ("FAIL %s: worst entry [%zu] is %.9g, expected %.9g",
                      what, worst, actual[worst], expected[worst]);
      g_test_fail ();
    }
}

/* Number of entries of x[0..n) that are not exactly `value`. */
static size_t
count_not_equal (const float *x,
                 size_t       n,
                 float        value)
{
  size_t count = 0;

  for (size_t i = 0; i < n; i++)
    count += x[i] != value;
  return count;
}

static double
max_abs (const float *x,
         size_t       n)
{
  double m = 0.0;

  for (size_t i = 0; i < n; i++)
    m = MAX (m, fabs ((double) x[i]));
  return m;
}

/* A scalar function of the problem's current parameters, evaluated by running forward. */
typedef double (*Objective) (gpointer data);

/* Compares analytic[i] with the central difference of objective() in x[i], for every i or for
 * GRAD_MAX_CHECKS random i. x is perturbed in place and restored. */
static void
check_gradient (const char  *prefix,
                const char  *name,
                Objective    objective,
                gpointer     data,
                float       *x,
                const float *analytic,
                size_t       n,
                float        eps,
                UnetRng     *rng)
{
  size_t n_checks = MIN (n, GRAD_MAX_CHECKS);
  g_autofree size_t *index = g_new (size_t, n_checks);
  g_autofree double *numeric = g_new (double, n_checks);
  double scale = 0.0, worst = 0.0;
  size_t worst_k = 0;

  for (size_t k = 0; k < n_checks; k++)
    {
      size_t i = n <= GRAD_MAX_CHECKS ? k : unet_rng_below (rng, (guint32) n);
      float saved = x[i];
      float plus = saved + eps, minus = saved - eps;
      double l_plus, l_minus;

      x[i] = plus;
      l_plus = objective (data);
      x[i] = minus;
      l_minus = objective (data);
      x[i] = saved;

      index[k] = i;
      /* The step actually taken, after rounding to float. */
      numeric[k] = (l_plus - l_minus) / ((double) plus - (double) minus);
      scale = MAX (scale, MAX (fabs (numeric[k]), fabs ((double) analytic[i])));
    }

  for (size_t k = 0; k < n_checks; k++)
    {
      double a = analytic[index[k]];
      double d = fabs (a - numeric[k]);
      double tol = GRAD_RTOL * MAX (fabs (a), fabs (numeric[k])) + GRAD_ATOL * scale;
      double ratio = d / tol;

      if (isnan (ratio))
        ratio = INFINITY;
      if (ratio > worst || k == 0)
        {
          worst = ratio;
          worst_k = k;
        }
    }

  g_test_message ("%s d%s: %zu of %zu entries, scale %.3g, worst [%zu] analytic %.7g numeric %.7g"
                  " (%.2f of the tolerance)",
                  prefix, name, n_checks, n, scale, index[worst_k],
                  analytic[index[worst_k]], numeric[worst_k], worst);
  if (!(scale > 0.0) || !(worst <= 1.0))
    {
      g_test_message ("FAIL %s d%s: analytic and numeric gradients disagree", prefix, name);
      g_test_fail ();
    }
}

/* twice must be 2 once: a second backward call adds the same gradient again. */
static void
check_doubled (const char  *what,
               const float *once,
               const float *twice,
               size_t       n)
{
  g_autofree float *expected = g_new (float, n);

  for (size_t i = 0; i < n; i++)
    expected[i] = 2.0f * once[i];
  g_assert_cmpfloat (max_abs (once, n), >, 0.0);
  assert_close (what, twice, expected, n, 1e-6);
}

/* --- 3x3 convolution ------------------------------------------------------------------------ */

static void
check_conv3x3_oracle (int     B,
                      int     C,
                      int     H,
                      int     W,
                      int     OC,
                      int     pad,
                      guint64 seed)
{
  UnetShape s = { B, C, H, W };
  int OH = H - 2 + 2 * pad, OW = W - 2 + 2 * pad;
  size_t n_in = unet_shape_numel (s), n_w = (size_t) OC * C * 9, n_out = (size_t) B * OC * OH * OW;
  size_t n_work = unet_conv3x3_work_size (s, OC, pad);
  g_autofree char *what = g_strdup_printf ("conv3x3 B=%d C=%d H=%d W=%d OC=%d pad=%d",
                                           B, C, H, W, OC, pad);
  g_autofree char *label = NULL;
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  g_autofree float *in = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  g_autofree float *weight = ref_new_uniform (n_w, &rng, -0.5f, 0.5f);
  g_autofree float *bias = ref_new_uniform (OC, &rng, -1.0f, 1.0f);
  g_autofree float *dout = ref_new_uniform (n_out, &rng, -1.0f, 1.0f);
  g_autofree float *work = new_work (n_work);
  g_autofree float *out = new_filled (n_out, NAN);
  g_autofree float *expected = new_filled (n_out, NAN);
  g_autofree float *din = g_new0 (float, n_in);
  g_autofree float *dweight = g_new0 (float, n_w);
  g_autofree float *dbias = g_new0 (float, OC);
  g_autofree float *ref_din = g_new0 (float, n_in);
  g_autofree float *ref_dweight = g_new0 (float, n_w);
  g_autofree float *ref_dbias = g_new0 (float, OC);

  g_test_message ("%s: work %zu floats", what, n_work);

  /* out starts as NaN, so any entry forward does not write shows up. */
  unet_conv3x3_forward (out, in, weight, bias, s, OC, pad, work);
  ref_conv3x3_forward (expected, in, weight, bias, s, OC, pad);
  label = g_strdup_printf ("%s forward", what);
  assert_close (label, out, expected, n_out, ORACLE_FORWARD_TOL);

  for (size_t i = 0; i < n_out; i++)
    out[i] = NAN;
  unet_conv3x3_forward (out, in, weight, NULL, s, OC, pad, work);
  ref_conv3x3_forward (expected, in, weight, NULL, s, OC, pad);
  g_free (label);
  label = g_strdup_printf ("%s forward without bias", what);
  assert_close (label, out, expected, n_out, ORACLE_FORWARD_TOL);

  /* backward must not rely on what forward left in work */
  for (size_t i = 0; i < n_work; i++)
    work[i] = NAN;
  unet_conv3x3_backward (din, dweight, dbias, dout, in, weight, s, OC, pad, work);
  ref_conv3x3_backward (ref_din, ref_dweight, ref_dbias, dout, in, weight, s, OC, pad);
  g_free (label);
  label = g_strdup_printf ("%s din", what);
  assert_close (label, din, ref_din, n_in, ORACLE_BACKWARD_TOL);
  g_free (label);
  label = g_strdup_printf ("%s dweight", what);
  assert_close (label, dweight, ref_dweight, n_w, ORACLE_BACKWARD_TOL);
  g_free (label);
  label = g_strdup_printf ("%s dbias", what);
  assert_close (label, dbias, ref_dbias, OC, ORACLE_BACKWARD_TOL);

  /* din == NULL: the parameter gradients alone (the first layer of the network) */
  memset (dweight, 0, n_w * sizeof (float));
  memset (dbias, 0, OC * sizeof (float));
  unet_conv3x3_backward (NULL, dweight, dbias, dout, in, weight, s, OC, pad, work);
  g_free (label);
  label = g_strdup_printf ("%s dweight (din NULL)", what);
  assert_close (label, dweight, ref_dweight, n_w, ORACLE_BACKWARD_TOL);
  g_free (label);
  label = g_strdup_printf ("%s dbias (din NULL)", what);
  assert_close (label, dbias, ref_dbias, OC, ORACLE_BACKWARD_TOL);
}

static void
test_conv3x3_oracle (void)
{
  for (int pad = 0; pad <= 1; pad++)
    check_conv3x3_oracle (2, 3, 7, 9, 5, pad, 101 + pad);
}

static void
test_conv3x3_oracle_edge (void)
{
  for (int pad = 0; pad <= 1; pad++)
    {
      check_conv3x3_oracle (1, 1, 3, 3, 1, pad, 201 + pad);
      check_conv3x3_oracle (3, 1, 5, 3, 2, pad, 203 + pad);
      check_conv3x3_oracle (1, 4, 3, 8, 1, pad, 205 + pad);
      check_conv3x3_oracle (2, 2, 4, 3, 3, pad, 207 + pad);
    }
}

static void
test_conv3x3_oracle_large (void)
{
  for (int pad = 0; pad <= 1; pad++)
    {
      check_conv3x3_oracle (2, 17, 33, 33, 19, pad, 301 + pad);
      /* wide enough that im2col has to go in several strips of rows, the last one partial */
      check_conv3x3_oracle (2, 64, 48, 48, 3, pad, 303 + pad);
    }
  /* images one pixel wide or tall exist only with padding */
  check_conv3x3_oracle (2, 2, 5, 1, 3, 1, 305);
  check_conv3x3_oracle (1, 3, 1, 4, 2, 1, 306);
  check_conv3x3_oracle (2, 2, 1, 1, 3, 1, 307);
}

typedef struct
{
  UnetShape shape;
  int       out_channels;
  int       pad;
  size_t    n_out;
  float    *in;
  float    *weight;
  float    *bias;
  float    *out;
  float    *r;
  float    *work;
} Conv3x3Problem;

static double
conv3x3_objective (gpointer data)
{
  Conv3x3Problem *p = data;

  unet_conv3x3_forward (p->out, p->in, p->weight, p->bias, p->shape, p->out_channels, p->pad,
                        p->work);
  return ref_dot (p->out, p->r, p->n_out);
}

static void
check_conv3x3_gradient (int     B,
                        int     C,
                        int     H,
                        int     W,
                        int     OC,
                        int     pad,
                        guint64 seed)
{
  UnetShape s = { B, C, H, W };
  size_t n_in = unet_shape_numel (s), n_w = (size_t) OC * C * 9;
  g_autofree char *what = g_strdup_printf ("conv3x3 B=%d C=%d H=%d W=%d OC=%d pad=%d",
                                           B, C, H, W, OC, pad);
  Conv3x3Problem p = { s, OC, pad, 0 };
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  p.n_out = (size_t) B * OC * (H - 2 + 2 * pad) * (W - 2 + 2 * pad);
  p.in = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  p.weight = ref_new_uniform (n_w, &rng, -0.5f, 0.5f);
  p.bias = ref_new_uniform (OC, &rng, -1.0f, 1.0f);
  p.r = ref_new_uniform (p.n_out, &rng, -1.0f, 1.0f);
  p.out = g_new (float, p.n_out);
  p.work = new_work (unet_conv3x3_work_size (s, OC, pad));

  g_autofree float *din = g_new0 (float, n_in);
  g_autofree float *dweight = g_new0 (float, n_w);
  g_autofree float *dbias = g_new0 (float, OC);

  unet_conv3x3_forward (p.out, p.in, p.weight, p.bias, s, OC, pad, p.work);
  unet_conv3x3_backward (din, dweight, dbias, p.r, p.in, p.weight, s, OC, pad, p.work);

  check_gradient (what, "in", conv3x3_objective, &p, p.in, din, n_in, 1e-2f, &rng);
  check_gradient (what, "weight", conv3x3_objective, &p, p.weight, dweight, n_w, 1e-2f, &rng);
  check_gradient (what, "bias", conv3x3_objective, &p, p.bias, dbias, OC, 1e-2f, &rng);

  g_free (p.in);
  g_free (p.weight);
  g_free (p.bias);
  g_free (p.r);
  g_free (p.out);
  g_free (p.work);
}

static void
test_conv3x3_gradient (void)
{
  for (int pad = 0; pad <= 1; pad++)
    {
      check_conv3x3_gradient (2, 3, 7, 9, 5, pad, 401 + pad);
      check_conv3x3_gradient (1, 1, 3, 3, 1, pad, 403 + pad);
    }
}

/* --- 1x1 convolution ------------------------------------------------------------------------ */

static void
check_conv1x1_oracle (int     B,
                      int     C,
                      int     H,
                      int     W,
                      int     OC,
                      guint64 seed)
{
  UnetShape s = { B, C, H, W };
  size_t n_in = unet_shape_numel (s), n_w = (size_t) OC * C, n_out = (size_t) B * OC * H * W;
  g_autofree char *what = g_strdup_printf ("conv1x1 B=%d C=%d H=%d W=%d OC=%d", B, C, H, W, OC);
  g_autofree char *label = NULL;
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  g_autofree float *in = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  g_autofree float *weight = ref_new_uniform (n_w, &rng, -0.5f, 0.5f);
  g_autofree float *bias = ref_new_uniform (OC, &rng, -1.0f, 1.0f);
  g_autofree float *dout = ref_new_uniform (n_out, &rng, -1.0f, 1.0f);
  g_autofree float *out = new_filled (n_out, NAN);
  g_autofree float *expected = new_filled (n_out, NAN);
  g_autofree float *din = g_new0 (float, n_in);
  g_autofree float *dweight = g_new0 (float, n_w);
  g_autofree float *dbias = g_new0 (float, OC);
  g_autofree float *ref_din = g_new0 (float, n_in);
  g_autofree float *ref_dweight = g_new0 (float, n_w);
  g_autofree float *ref_dbias = g_new0 (float, OC);

  unet_conv1x1_forward (out, in, weight, bias, s, OC);
  ref_conv1x1_forward (expected, in, weight, bias, s, OC);
  label = g_strdup_printf ("%s forward", what);
  assert_close (label, out, expected, n_out, ORACLE_FORWARD_TOL);

  for (size_t i = 0; i < n_out; i++)
    out[i] = NAN;
  unet_conv1x1_forward (out, in, weight, NULL, s, OC);
  ref_conv1x1_forward (expected, in, weight, NULL, s, OC);
  g_free (label);
  label = g_strdup_printf ("%s forward without bias", what);
  assert_close (label, out, expected, n_out, ORACLE_FORWARD_TOL);

  unet_conv1x1_backward (din, TRUE, dweight, dbias, dout, in, weight, s, OC);
  ref_conv1x1_backward (ref_din, ref_dweight, ref_dbias, dout, in, weight, s, OC);
  g_free (label);
  label = g_strdup_printf ("%s din", what);
  assert_close (label, din, ref_din, n_in, ORACLE_BACKWARD_TOL);
  g_free (label);
  label = g_strdup_printf ("%s dweight", what);
  assert_close (label, dweight, ref_dweight, n_w, ORACLE_BACKWARD_TOL);
  g_free (label);
  label = g_strdup_printf ("%s dbias", what);
  assert_close (label, dbias, ref_dbias, OC, ORACLE_BACKWARD_TOL);

  memset (dweight, 0, n_w * sizeof (float));
  memset (dbias, 0, OC * sizeof (float));
  unet_conv1x1_backward (NULL, TRUE, dweight, dbias, dout, in, weight, s, OC);
  g_free (label);
  label = g_strdup_printf ("%s dweight (din NULL)", what);
  assert_close (label, dweight, ref_dweight, n_w, ORACLE_BACKWARD_TOL);

  memset (dweight, 0, n_w * sizeof (float));
  memset (dbias, 0, OC * sizeof (float));
  unet_conv1x1_backward (in, FALSE, dweight, dbias, dout, in, weight, s, OC);
  g_free (label);
  label = g_strdup_printf ("%s din over in", what);
  assert_close (label, in, ref_din, n_in, ORACLE_BACKWARD_TOL);
  g_free (label);
  label = g_strdup_printf ("%s dweight (din over in)", what);
  assert_close (label, dweight, ref_dweight, n_w, ORACLE_BACKWARD_TOL);
}

static void
test_conv1x1_oracle (void)
{
  check_conv1x1_oracle (2, 3, 7, 9, 5, 501);
  check_conv1x1_oracle (1, 1, 3, 3, 1, 502);
  check_conv1x1_oracle (2, 17, 11, 13, 19, 503);
}

typedef struct
{
  UnetShape shape;
  int       out_channels;
  size_t    n_out;
  float    *in;
  float    *weight;
  float    *bias;
  float    *out;
  float    *r;
} Conv1x1Problem;

static double
conv1x1_objective (gpointer data)
{
  Conv1x1Problem *p = data;

  unet_conv1x1_forward (p->out, p->in, p->weight, p->bias, p->shape, p->out_channels);
  return ref_dot (p->out, p->r, p->n_out);
}

static void
test_conv1x1_gradient (void)
{
  const int B = 2, C = 3, H = 7, W = 9, OC = 5;
  UnetShape s = { B, C, H, W };
  size_t n_in = unet_shape_numel (s), n_w = (size_t) OC * C;
  Conv1x1Problem p = { s, OC, (size_t) B * OC * H * W };
  UnetRng rng;

  unet_rng_seed (&rng, 601);
  p.in = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  p.weight = ref_new_uniform (n_w, &rng, -0.5f, 0.5f);
  p.bias = ref_new_uniform (OC, &rng, -1.0f, 1.0f);
  p.r = ref_new_uniform (p.n_out, &rng, -1.0f, 1.0f);
  p.out = g_new (float, p.n_out);

  g_autofree float *din = g_new0 (float, n_in);
  g_autofree float *dweight = g_new0 (float, n_w);
  g_autofree float *dbias = g_new0 (float, OC);

  unet_conv1x1_backward (din, TRUE, dweight, dbias, p.r, p.in, p.weight, s, OC);
  check_gradient ("conv1x1", "in", conv1x1_objective, &p, p.in, din, n_in, 1e-2f, &rng);
  check_gradient ("conv1x1", "weight", conv1x1_objective, &p, p.weight, dweight, n_w, 1e-2f, &rng);
  check_gradient ("conv1x1", "bias", conv1x1_objective, &p, p.bias, dbias, OC, 1e-2f, &rng);

  g_free (p.in);
  g_free (p.weight);
  g_free (p.bias);
  g_free (p.r);
  g_free (p.out);
}

/* --- 2x2 up-convolution --------------------------------------------------------------------- */

/* The up-convolution's output is written after skip_channels channels of each image of a
 * concatenation buffer, as a decoder does. */
static void
check_upconv_oracle (int     B,
                     int     IC,
                     int     H,
                     int     W,
                     int     OC,
                     int     skip_channels,
                     guint64 seed)
{
  UnetShape s = { B, IC, H, W };
  size_t plane = (size_t) 4 * H * W;
  size_t stride = (skip_channels + OC) * plane, offset = skip_channels * plane;
  size_t n_in = unet_shape_numel (s), n_w = (size_t) IC * OC * 4, n_buf = B * stride;
  size_t n_work = unet_upconv_work_size (s, OC), untouched = 0;
  g_autofree char *what = g_strdup_printf ("upconv B=%d IC=%d H=%d W=%d OC=%d skip=%d",
                                           B, IC, H, W, OC, skip_channels);
  g_autofree char *label = NULL;
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  g_autofree float *in = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  g_autofree float *weight = ref_new_uniform (n_w, &rng, -0.5f, 0.5f);
  g_autofree float *bias = ref_new_uniform (OC, &rng, -1.0f, 1.0f);
  /* dout covers the whole concatenation buffer; the skip channels' part must be ignored */
  g_autofree float *dout = ref_new_uniform (n_buf, &rng, -1.0f, 1.0f);
  g_autofree float *work = new_work (n_work);
  g_autofree float *out = new_filled (n_buf, SENTINEL);
  g_autofree float *expected = new_filled (n_buf, SENTINEL);
  g_autofree float *din = g_new0 (float, n_in);
  g_autofree float *dweight = g_new0 (float, n_w);
  g_autofree float *dbias = g_new0 (float, OC);
  g_autofree float *ref_din = g_new0 (float, n_in);
  g_autofree float *ref_dweight = g_new0 (float, n_w);
  g_autofree float *ref_dbias = g_new0 (float, OC);

  g_test_message ("%s: work %zu floats", what, n_work);

  unet_upconv_forward (out + offset, stride, in, weight, bias, s, OC, work);
  ref_upconv_forward (expected + offset, stride, in, weight, bias, s, OC);
  label = g_strdup_printf ("%s forward", what);
  assert_close (label, out, expected, n_buf, ORACLE_FORWARD_TOL);
  for (int b = 0; b < B; b++)
    untouched += count_not_equal (out + b * stride, offset, SENTINEL);
  g_assert_cmpuint (untouched, ==, 0);

  unet_upconv_forward (out + offset, stride, in, weight, NULL, s, OC, work);
  ref_upconv_forward (expected + offset, stride, in, weight, NULL, s, OC);
  g_free (label);
  label = g_strdup_printf ("%s forward without bias", what);
  assert_close (label, out, expected, n_buf, ORACLE_FORWARD_TOL);

  if (work != NULL)
    for (size_t i = 0; i < n_work; i++)
      work[i] = NAN;
  unet_upconv_backward (din, TRUE, dweight, dbias, dout + offset, stride, in, weight, s, OC, work);
  ref_upconv_backward (ref_din, ref_dweight, ref_dbias, dout + offset, stride, in, weight, s, OC);
  g_free (label);
  label = g_strdup_printf ("%s din", what);
  assert_close (label, din, ref_din, n_in, ORACLE_BACKWARD_TOL);
  g_free (label);
  label = g_strdup_printf ("%s dweight", what);
  assert_close (label, dweight, ref_dweight, n_w, ORACLE_BACKWARD_TOL);
  g_free (label);
  label = g_strdup_printf ("%s dbias", what);
  assert_close (label, dbias, ref_dbias, OC, ORACLE_BACKWARD_TOL);

  memset (dweight, 0, n_w * sizeof (float));
  memset (dbias, 0, OC * sizeof (float));
  unet_upconv_backward (NULL, TRUE, dweight, dbias, dout + offset, stride, in, weight, s, OC, work);
  g_free (label);
  label = g_strdup_printf ("%s dweight (din NULL)", what);
  assert_close (label, dweight, ref_dweight, n_w, ORACLE_BACKWARD_TOL);

  /* training writes the input's gradient over the input, which the weight gradient reads */
  memset (dweight, 0, n_w * sizeof (float));
  memset (dbias, 0, OC * sizeof (float));
  unet_upconv_backward (in, FALSE, dweight, dbias, dout + offset, stride, in, weight, s, OC, work);
  g_free (label);
  label = g_strdup_printf ("%s din over in", what);
  assert_close (label, in, ref_din, n_in, ORACLE_BACKWARD_TOL);
  g_free (label);
  label = g_strdup_printf ("%s dweight (din over in)", what);
  assert_close (label, dweight, ref_dweight, n_w, ORACLE_BACKWARD_TOL);
}

static void
test_upconv_oracle (void)
{
  check_upconv_oracle (2, 5, 3, 4, 3, 0, 701);
  check_upconv_oracle (2, 5, 3, 4, 3, 2, 702);
  check_upconv_oracle (1, 1, 1, 1, 1, 1, 703);
  check_upconv_oracle (2, 17, 9, 9, 19, 7, 704);
  /* wide enough that it goes a strip of rows at a time, with a short last strip */
  check_upconv_oracle (2, 5, 37, 61, 70, 3, 705);
}

typedef struct
{
  UnetShape shape;
  int       out_channels;
  size_t    stride;
  size_t    offset;
  float    *in;
  float    *weight;
  float    *bias;
  float    *out;
  float    *r;
  float    *work;
} UpconvProblem;

static double
upconv_objective (gpointer data)
{
  UpconvProblem *p = data;
  size_t n_image = (size_t) p->out_channels * 4 * p->shape.height * p->shape.width;
  double sum = 0.0;

  unet_upconv_forward (p->out + p->offset, p->stride, p->in, p->weight, p->bias, p->shape,
                       p->out_channels, p->work);
  for (int b = 0; b < p->shape.batch; b++)
    sum += ref_dot (p->out + b * p->stride + p->offset, p->r + b * p->stride + p->offset,
                    n_image);
  return sum;
}

static void
test_upconv_gradient (void)
{
  const int B = 2, IC = 3, H = 3, W = 5, OC = 5, skip = 2;
  UnetShape s = { B, IC, H, W };
  size_t n_in = unet_shape_numel (s), n_w = (size_t) IC * OC * 4;
  size_t plane = (size_t) 4 * H * W;
  UpconvProblem p = { s, OC, (skip + OC) * plane, skip * plane };
  UnetRng rng;

  unet_rng_seed (&rng, 801);
  p.in = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  p.weight = ref_new_uniform (n_w, &rng, -0.5f, 0.5f);
  p.bias = ref_new_uniform (OC, &rng, -1.0f, 1.0f);
  p.r = ref_new_uniform (B * p.stride, &rng, -1.0f, 1.0f);
  p.out = new_filled (B * p.stride, SENTINEL);
  p.work = new_work (unet_upconv_work_size (s, OC));

  g_autofree float *din = g_new0 (float, n_in);
  g_autofree float *dweight = g_new0 (float, n_w);
  g_autofree float *dbias = g_new0 (float, OC);

  unet_upconv_backward (din, TRUE, dweight, dbias, p.r + p.offset, p.stride, p.in, p.weight, s, OC,
                        p.work);
  check_gradient ("upconv (strided)", "in", upconv_objective, &p, p.in, din, n_in, 1e-2f, &rng);
  check_gradient ("upconv (strided)", "weight", upconv_objective, &p, p.weight, dweight, n_w,
                  1e-2f, &rng);
  check_gradient ("upconv (strided)", "bias", upconv_objective, &p, p.bias, dbias, OC, 1e-2f,
                  &rng);

  g_free (p.in);
  g_free (p.weight);
  g_free (p.bias);
  g_free (p.r);
  g_free (p.out);
  g_free (p.work);
}

/* --- centre crop ---------------------------------------------------------------------------- */

static void
test_crop_forward (void)
{
  /* offsets floor ((9 - 4) / 2) = 2 and floor ((8 - 5) / 2) = 1 */
  const int B = 2, C = 3, H = 9, W = 8, OH = 4, OW = 5, extra = 2;
  UnetShape s = { B, C, H, W };
  size_t n_in = unet_shape_numel (s), plane = (size_t) OH * OW;
  size_t stride = (C + extra) * plane, n_buf = B * stride, wrong = 0, touched = 0;
  UnetRng rng;

  unet_rng_seed (&rng, 901);
  g_autofree float *in = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  g_autofree float *out = new_filled (n_buf, SENTINEL);

  /* the cropped skip map goes first in the concatenation buffer */
  unet_crop_forward (out, stride, in, s, OH, OW);
  for (int b = 0; b < B; b++)
    {
      for (int c = 0; c < C; c++)
        for (int y = 0; y < OH; y++)
          for (int x = 0; x < OW; x++)
            {
              float got = out[b * stride + (c * OH + y) * OW + x];
              float want = in[(((size_t) b * C + c) * H + y + 2) * W + x + 1];

              wrong += got != want;
            }
      touched += count_not_equal (out + b * stride + C * plane, extra * plane, SENTINEL);
    }
  g_test_message ("crop: %zu wrong entries, %zu entries written outside the window",
                  wrong, touched);
  g_assert_cmpuint (wrong, ==, 0);
  g_assert_cmpuint (touched, ==, 0);
}

typedef struct
{
  UnetShape shape;
  int       out_h;
  int       out_w;
  size_t    stride;
  float    *in;
  float    *out;
  float    *r;
} CropProblem;

static double
crop_objective (gpointer data)
{
  CropProblem *p = data;
  size_t n_image = (size_t) p->shape.channels * p->out_h * p->out_w;
  double sum = 0.0;

  unet_crop_forward (p->out, p->stride, p->in, p->shape, p->out_h, p->out_w);
  for (int b = 0; b < p->shape.batch; b++)
    sum += ref_dot (p->out + b * p->stride, p->r + b * p->stride, n_image);
  return sum;
}

static void
test_crop_gradient (void)
{
  const int B = 2, C = 3, H = 7, W = 10, OH = 4, OW = 5, extra = 3;
  UnetShape s = { B, C, H, W };
  size_t n_in = unet_shape_numel (s);
  CropProblem p = { s, OH, OW, (C + extra) * (size_t) OH * OW };
  size_t wrong = 0;
  UnetRng rng;

  unet_rng_seed (&rng, 1001);
  p.in = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  p.r = ref_new_uniform (B * p.stride, &rng, -1.0f, 1.0f);
  p.out = new_filled (B * p.stride, SENTINEL);

  g_autofree float *din = g_new0 (float, n_in);

  unet_crop_backward (din, TRUE, p.r, p.stride, s, OH, OW);
  check_gradient ("crop (strided)", "in", crop_objective, &p, p.in, din, n_in, 1e-2f, &rng);

  /* and exactly: din is dout inside the window at offset (1, 2), zero outside */
  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++)
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            gboolean inside = y >= 1 && y < 1 + OH && x >= 2 && x < 2 + OW;
            float want = inside ? p.r[b * p.stride + (c * OH + y - 1) * OW + x - 2] : 0.0f;

            wrong += din[(((size_t) b * C + c) * H + y) * W + x] != want;
          }
  g_assert_cmpuint (wrong, ==, 0);

  g_free (p.in);
  g_free (p.r);
  g_free (p.out);
}

/* --- ReLU ----------------------------------------------------------------------------------- */

/* Uniform magnitudes in [0.1, 1) with random signs: no value near the kink at 0. */
static float *
new_away_from_zero (size_t   n,
                    UnetRng *rng)
{
  float *x = g_new (float, n);

  for (size_t i = 0; i < n; i++)
    {
      float m = (float) (0.1 + 0.9 * unet_rng_uniform (rng));

      x[i] = unet_rng_below (rng, 2) ? m : -m;
    }
  return x;
}

static void
test_relu_forward (void)
{
  const size_t n = 1001;
  size_t wrong = 0, positive = 0;
  UnetRng rng;

  unet_rng_seed (&rng, 1101);
  g_autofree float *in = new_away_from_zero (n, &rng);
  g_autofree float *x = new_copy (in, n);

  unet_relu_forward (x, n);
  for (size_t i = 0; i < n; i++)
    {
      wrong += x[i] != (in[i] > 0.0f ? in[i] : 0.0f);
      positive += in[i] > 0.0f;
    }
  g_assert_cmpuint (positive, >, 0);
  g_assert_cmpuint (positive, <, n);
  g_assert_cmpuint (wrong, ==, 0);
}

typedef struct
{
  size_t n;
  float *in;
  float *out;
  float *r;
} ReluProblem;

static double
relu_objective (gpointer data)
{
  ReluProblem *p = data;

  memcpy (p->out, p->in, p->n * sizeof (float));
  unet_relu_forward (p->out, p->n);
  return ref_dot (p->out, p->r, p->n);
}

static void
test_relu_gradient (void)
{
  ReluProblem p = { 2 * 3 * 5 * 7 };
  UnetRng rng;

  unet_rng_seed (&rng, 1201);
  p.in = new_away_from_zero (p.n, &rng);
  p.r = ref_new_uniform (p.n, &rng, -1.0f, 1.0f);
  p.out = g_new (float, p.n);

  g_autofree float *dx = new_copy (p.r, p.n);

  relu_objective (&p);
  unet_relu_backward (dx, p.out, p.n);
  check_gradient ("relu", "x", relu_objective, &p, p.in, dx, p.n, 1e-2f, &rng);

  g_free (p.in);
  g_free (p.r);
  g_free (p.out);
}

/* --- max pooling ---------------------------------------------------------------------------- */

static void
check_maxpool_oracle (int      B,
                      int      C,
                      int      H,
                      int      W,
                      gboolean ties,
                      guint64  seed)
{
  UnetShape s = { B, C, H, W };
  size_t n_in = unet_shape_numel (s), n_out = n_in / 4;
  g_autofree char *what = g_strdup_printf ("maxpool B=%d C=%d H=%d W=%d%s",
                                           B, C, H, W, ties ? " with ties" : "");
  g_autofree char *label = NULL;
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  g_autofree float *in = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  g_autofree float *dout = ref_new_uniform (n_out, &rng, -1.0f, 1.0f);
  g_autofree float *out = new_filled (n_out, NAN);
  g_autofree float *expected = g_new (float, n_out);
  g_autofree float *din = g_new0 (float, n_in);
  g_autofree float *ref_din = g_new0 (float, n_in);

  /* three levels only: most windows hold several equal maxima */
  if (ties)
    for (size_t i = 0; i < n_in; i++)
      in[i] = (float) unet_rng_below (&rng, 3);

  unet_maxpool_forward (out, in, s);
  ref_maxpool_forward (expected, in, s);
  label = g_strdup_printf ("%s forward", what);
  assert_close (label, out, expected, n_out, 0.0);

  unet_maxpool_backward (din, dout, in, s);
  ref_maxpool_backward (ref_din, dout, in, s);
  g_free (label);
  label = g_strdup_printf ("%s din", what);
  assert_close (label, din, ref_din, n_in, 0.0);
}

static void
test_maxpool_oracle (void)
{
  check_maxpool_oracle (2, 3, 6, 8, FALSE, 1301);
  check_maxpool_oracle (2, 3, 6, 8, TRUE, 1302);
  check_maxpool_oracle (1, 1, 2, 2, FALSE, 1303);
  check_maxpool_oracle (3, 5, 10, 4, TRUE, 1304);
}

typedef struct
{
  UnetShape shape;
  size_t    n_out;
  float    *in;
  float    *out;
  float    *r;
} MaxpoolProblem;

static double
maxpool_objective (gpointer data)
{
  MaxpoolProblem *p = data;

  unet_maxpool_forward (p->out, p->in, p->shape);
  return ref_dot (p->out, p->r, p->n_out);
}

static void
test_maxpool_gradient (void)
{
  UnetShape s = { 2, 3, 6, 8 };
  size_t n_in = unet_shape_numel (s);
  MaxpoolProblem p = { s, n_in / 4 };
  UnetRng rng;

  unet_rng_seed (&rng, 1401);
  /* distinct values 0.01 apart, shuffled, so that a step of 2e-3 never changes a window's max */
  p.in = g_new (float, n_in);
  for (size_t i = 0; i < n_in; i++)
    p.in[i] = 0.01f * ((float) i - (float) n_in / 2);
  for (size_t i = n_in - 1; i > 0; i--)
    {
      size_t j = unet_rng_below (&rng, (guint32) i + 1);
      float t = p.in[i];

      p.in[i] = p.in[j];
      p.in[j] = t;
    }
  p.r = ref_new_uniform (p.n_out, &rng, -1.0f, 1.0f);
  p.out = g_new (float, p.n_out);

  g_autofree float *din = g_new0 (float, n_in);

  unet_maxpool_backward (din, p.r, p.in, s);
  check_gradient ("maxpool", "in", maxpool_objective, &p, p.in, din, n_in, 2e-3f, &rng);

  g_free (p.in);
  g_free (p.r);
  g_free (p.out);
}

/* The fused pool, crop and ReLU backward in place against the three layers one after another:
 * ties, odd sizes (a trailing row and column in no window), odd crop offsets, rows wider than
 * the piece the fused pass copies aside, and a skip gradient inside a wider buffer. */
static void
check_maxpool_skip (int     B,
                    int     C,
                    int     H,
                    int     W,
                    int     skip_h,
                    int     skip_w,
                    gboolean ties,
                    guint64 seed)
{
  UnetShape s = { B, C, H, W };
  size_t n = unet_shape_numel (s), n_pool = (size_t) B * C * (H / 2) * (W / 2);
  size_t skip_stride = (size_t) (C + 2) * skip_h * skip_w;
  g_autofree char *what = g_strdup_printf ("maxpool-skip B=%d C=%d %dx%d crop %dx%d%s", B, C, H,
                                           W, skip_h, skip_w, ties ? " with ties" : "");
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  g_autofree float *y = ref_new_uniform (n, &rng, -1.0f, 1.0f);
  g_autofree float *dpool = ref_new_uniform (n_pool, &rng, -1.0f, 1.0f);
  g_autofree float *dskip = ref_new_uniform ((size_t) B * skip_stride, &rng, -1.0f, 1.0f);
  g_autofree float *expected = g_new0 (float, n);

  for (size_t i = 0; i < n; i++)
    y[i] = ties ? (float) unet_rng_below (&rng, 3) - 1.0f : MAX (y[i], 0.0f);

  unet_crop_backward (expected, FALSE, dskip, skip_stride, s, skip_h, skip_w);
  unet_maxpool_backward (expected, dpool, y, s);
  unet_relu_backward (expected, y, n);
  unet_maxpool_skip_backward (y, dpool, dskip, skip_stride, skip_h, skip_w, s);
  assert_close (what, y, expected, n, 0.0);
}

static void
test_maxpool_skip (void)
{
  check_maxpool_skip (2, 3, 8, 10, 4, 6, FALSE, 1451);
  check_maxpool_skip (2, 3, 8, 10, 4, 6, TRUE, 1452);
  check_maxpool_skip (1, 2, 9, 7, 4, 3, TRUE, 1453);
  check_maxpool_skip (1, 2, 6, 6, 6, 6, FALSE, 1454);
  check_maxpool_skip (2, 2, 6, 600, 3, 391, TRUE, 1455);
  check_maxpool_skip (1, 1, 5, 517, 5, 517, FALSE, 1456);
}

/* Keeping a ReLU's mask and applying it later is its backward. */
static void
test_relu_mask (void)
{
  size_t n = 1000;
  UnetRng rng;

  unet_rng_seed (&rng, 1461);
  g_autofree float *out = ref_new_uniform (n, &rng, -1.0f, 1.0f);
  g_autofree float *dx = ref_new_uniform (n, &rng, -1.0f, 1.0f);
  g_autofree float *expected = new_copy (dx, n);
  g_autofree guint8 *mask = g_new (guint8, n);

  for (size_t i = 0; i < n; i += 7)
    out[i] = 0.0f;
  unet_relu_backward (expected, out, n);
  unet_relu_mask_keep (mask, out, n);
  unet_relu_mask_apply (dx, mask, n);
  assert_close ("relu mask", dx, expected, n, 0.0);
}

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

/* --- dropout -------------------------------------------------------------------------------- */

static void
check_dropout_mask (float   p,
                    guint64 seed)
{
  const size_t n = 100003;
  const float scale = 1.0f / (1.0f - p);
  size_t kept = 0, bad_mask = 0, bad_value = 0, differ = 0;
  double fraction;
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  g_autofree float *in = ref_new_uniform (n, &rng, 0.5f, 1.5f);
  g_autofree float *x = new_copy (in, n);
  g_autofree float *mask = new_filled (n, NAN);
  g_autofree float *x2 = new_copy (in, n);
  g_autofree float *mask2 = new_filled (n, NAN);

  unet_rng_seed (&rng, 42);
  unet_dropout_forward (x, mask, n, p, &rng);
  for (size_t i = 0; i < n; i++)
    {
      gboolean is_kept = mask[i] != 0.0f;

      kept += is_kept;
      bad_mask += is_kept && !(fabsf (mask[i] - scale) <= 1e-6f * scale);
      bad_value += !(fabsf (x[i] - in[i] * (is_kept ? scale : 0.0f)) <= 1e-6f * scale * in[i]);
    }
  fraction = (double) kept / n;
  g_test_message ("dropout p=%g: kept %.5f (expected %.5f), %zu bad mask values, %zu bad outputs",
                  p, fraction, 1.0 - p, bad_mask, bad_value);
  /* the standard deviation of the fraction is at most 0.0016 for this n */
  g_assert_cmpfloat (fabs (fraction - (1.0 - p)), <=, 0.01);
  g_assert_cmpuint (bad_mask, ==, 0);
  g_assert_cmpuint (bad_value, ==, 0);

  /* the same seed draws the same mask */
  unet_rng_seed (&rng, 42);
  unet_dropout_forward (x2, mask2, n, p, &rng);
  g_assert_cmpmem (mask2, n * sizeof (float), mask, n * sizeof (float));
  g_assert_cmpmem (x2, n * sizeof (float), x, n * sizeof (float));

  if (p > 0.0f)
    {
      /* the generator moves on: the next call draws a different mask */
      memcpy (x2, in, n * sizeof (float));
      unet_dropout_forward (x2, mask2, n, p, &rng);
      for (size_t i = 0; i < n; i++)
        differ += mask2[i] != mask[i];
      g_test_message ("dropout p=%g: next mask differs in %zu of %zu", p, differ, n);
      g_assert_cmpuint (differ, >, n / 10);
    }
}

static void
test_dropout_mask (void)
{
  check_dropout_mask (0.3f, 1801);
  check_dropout_mask (0.5f, 1802);
  check_dropout_mask (0.0f, 1803);
}

typedef struct
{
  size_t  n;
  float   p;
  guint64 seed;
  float  *in;
  float  *out;
  float  *mask;
  float  *r;
} DropoutProblem;

static double
dropout_objective (gpointer data)
{
  DropoutProblem *p = data;
  UnetRng rng;

  /* the same seed every time: the mask stays fixed while the input moves */
  unet_rng_seed (&rng, p->seed);
  memcpy (p->out, p->in, p->n * sizeof (float));
  unet_dropout_forward (p->out, p->mask, p->n, p->p, &rng);
  return ref_dot (p->out, p->r, p->n);
}

static void
test_dropout_gradient (void)
{
  DropoutProblem p = { 2 * 3 * 5 * 7, 0.4f, 77 };
  size_t dropped = 0;
  UnetRng rng;

  unet_rng_seed (&rng, 1901);
  p.in = ref_new_uniform (p.n, &rng, -1.0f, 1.0f);
  p.r = ref_new_uniform (p.n, &rng, -1.0f, 1.0f);
  p.out = g_new (float, p.n);
  p.mask = g_new (float, p.n);

  g_autofree float *dx = new_copy (p.r, p.n);

  dropout_objective (&p);
  for (size_t i = 0; i < p.n; i++)
    dropped += p.mask[i] == 0.0f;
  g_assert_cmpuint (dropped, >, 0);
  g_assert_cmpuint (dropped, <, p.n);
  unet_dropout_backward (dx, p.mask, p.n);
  check_gradient ("dropout", "x", dropout_objective, &p, p.in, dx, p.n, 1e-2f, &rng);

  g_free (p.in);
  g_free (p.r);
  g_free (p.out);
  g_free (p.mask);
}

/* --- softmax cross-entropy ------------------------------------------------------------------ */

/* The loss of unet-layers.h in double: sum (w * -log softmax[label]) / counted. */
static double
ref_softmax_xent (size_t        *n_counted,
                  const float   *logits,
                  const uint8_t *labels,
                  const float   *weights,
                  UnetShape      s)
{
  size_t hw = (size_t) s.height * s.width, counted = 0;
  double sum = 0.0;

  for (int b = 0; b < s.batch; b++)
    for (size_t i = 0; i < hw; i++)
      {
        const float *z = logits + (size_t) b * s.channels * hw + i;
        int label = labels[b * hw + i];
        double top = -INFINITY, lse = 0.0;

        if (label >= s.channels)
          continue;
        for (int k = 0; k < s.channels; k++)
          top = MAX (top, z[k * hw]);
        for (int k = 0; k < s.channels; k++)
          lse += exp (z[k * hw] - top);
        lse = top + log (lse);
        sum += (weights != NULL ? weights[b * hw + i] : 1.0) * (lse - z[label * hw]);
        counted++;
      }
  *n_counted = counted;
  return counted > 0 ? sum / counted : 0.0;
}

static void
test_softmax_xent_hand (void)
{
  /* [B=1, K=2, H=1, W=2], stored k-major: {z(k0,p0), z(k0,p1), z(k1,p0), z(k1,p1)} */
  const UnetShape s = { 1, 2, 1, 2 };
  const float logits[4] = { 1.0f, 0.5f, 2.0f, -0.5f };
  const float shifted[4] = { 1001.0f, 1000.5f, 1002.0f, 999.5f };
  const uint8_t labels[2] = { 1, 1 };
  const uint8_t labels_ignore[2] = { 1, UNET_IGNORE_LABEL };
  const uint8_t labels_out_of_range[2] = { 1, 7 };
  const float weights[2] = { 2.0f, 0.5f };
  /* pixel 0: -log (e^2 / (e^1 + e^2)) = log (1 + e^-1); pixel 1: log (1 + e^1) */
  const double l0 = 0.31326168751822286, l1 = 1.3132616875182228;
  /* softmax of pixel 0 is (s0, 1 - s0) with s0 = 1 / (1 + e); of pixel 1 it is (1 - s0, s0) */
  const float s0 = 0.2689414213699951f;
  const float want_plain[4] = { s0 / 2, (1 - s0) / 2, -s0 / 2, -(1 - s0) / 2 };
  const float want_weighted[4] = { 2 * s0 / 2, 0.5f * (1 - s0) / 2,
                                   -2 * s0 / 2, -0.5f * (1 - s0) / 2 };
  const float want_ignore[4] = { s0, 0.0f, -s0, 0.0f };
  const float want_out_of_range[4] = { 2 * s0, 0.0f, -2 * s0, 0.0f };
  float dlogits[4];
  size_t counted = 99;
  double loss;

  for (int i = 0; i < 4; i++)
    dlogits[i] = NAN;
  loss = unet_softmax_xent (dlogits, &counted, logits, labels, NULL, s);
  g_test_message ("softmax-xent by hand: loss %.9g, expected %.9g", loss, (l0 + l1) / 2);
  g_assert_cmpfloat_with_epsilon (loss, (l0 + l1) / 2, 1e-6);
  g_assert_cmpuint (counted, ==, 2);
  assert_close ("softmax-xent by hand dlogits", dlogits, want_plain, 4, 1e-6);

  /* shifting every logit by 1000 changes nothing, and must not overflow */
  for (int i = 0; i < 4; i++)
    dlogits[i] = NAN;
  loss = unet_softmax_xent (dlogits, &counted, shifted, labels, NULL, s);
  g_assert_cmpfloat_with_epsilon (loss, (l0 + l1) / 2, 1e-6);
  assert_close ("softmax-xent by hand, shifted, dlogits", dlogits, want_plain, 4, 1e-6);

  /* weights scale each pixel's term, the divisor stays the pixel count */
  for (int i = 0; i < 4; i++)
    dlogits[i] = NAN;
  loss = unet_softmax_xent (dlogits, &counted, logits, labels, weights, s);
  g_test_message ("softmax-xent weighted: loss %.9g, expected %.9g", loss, (2 * l0 + 0.5 * l1) / 2);
  g_assert_cmpfloat_with_epsilon (loss, (2 * l0 + 0.5 * l1) / 2, 1e-6);
  assert_close ("softmax-xent weighted dlogits", dlogits, want_weighted, 4, 1e-6);

  /* an ignored pixel contributes neither loss, nor count, nor gradient */
  for (int i = 0; i < 4; i++)
    dlogits[i] = NAN;
  loss = unet_softmax_xent (dlogits, &counted, logits, labels_ignore, NULL, s);
  g_assert_cmpfloat_with_epsilon (loss, l0, 1e-6);
  g_assert_cmpuint (counted, ==, 1);
  assert_close ("softmax-xent ignored dlogits", dlogits, want_ignore, 4, 1e-6);

  for (int i = 0; i < 4; i++)
    dlogits[i] = NAN;
  loss = unet_softmax_xent (dlogits, &counted, logits, labels_out_of_range, weights, s);
  g_assert_cmpfloat_with_epsilon (loss, 2 * l0, 1e-6);
  g_assert_cmpuint (counted, ==, 1);
  assert_close ("softmax-xent out-of-range label dlogits", dlogits, want_out_of_range, 4, 1e-6);

  /* dlogits and n_counted are optional */
  loss = unet_softmax_xent (NULL, NULL, logits, labels, NULL, s);
  g_assert_cmpfloat_with_epsilon (loss, (l0 + l1) / 2, 1e-6);

  /* nothing counted: no NaN from 0/0, and nothing to learn */
  {
    const uint8_t none[2] = { UNET_IGNORE_LABEL, 2 };
    const float zeros[4] = { 0.0f, 0.0f, 0.0f, 0.0f };

    for (int i = 0; i < 4; i++)
      dlogits[i] = NAN;
    loss = unet_softmax_xent (dlogits, &counted, logits, none, weights, s);
    g_test_message ("softmax-xent all ignored: loss %g, %zu counted", loss, counted);
    g_assert_true (isfinite (loss));
    g_assert_cmpuint (counted, ==, 0);
    assert_close ("softmax-xent all ignored dlogits", dlogits, zeros, 4, 0.0);
  }
}

typedef struct
{
  UnetShape      shape;
  float         *logits;
  const uint8_t *labels;
  const float   *weights;
} XentProblem;

static double
xent_objective (gpointer data)
{
  XentProblem *p = data;

  return unet_softmax_xent (NULL, NULL, p->logits, p->labels, p->weights, p->shape);
}

static void
test_softmax_xent_gradient (void)
{
  UnetShape s = { 2, 5, 3, 5 };
  size_t n = unet_shape_numel (s), n_pixels = (size_t) s.batch * s.height * s.width;
  UnetRng rng;

  unet_rng_seed (&rng, 2001);
  g_autofree float *logits = ref_new_uniform (n, &rng, -3.0f, 3.0f);
  g_autofree float *weights = ref_new_uniform (n_pixels, &rng, 0.5f, 2.0f);
  g_autofree uint8_t *labels = g_new (uint8_t, n_pixels);
  g_autofree float *dlogits = g_new (float, n);

  for (size_t i = 0; i < n_pixels; i++)
    labels[i] = (uint8_t) unet_rng_below (&rng, s.channels);
  labels[3] = UNET_IGNORE_LABEL;
  labels[8] = UNET_IGNORE_LABEL;
  labels[20] = UNET_IGNORE_LABEL;
  labels[17] = 7; /* >= K: ignored as well */

  for (int weighted = 0; weighted <= 1; weighted++)
    {
      XentProblem p = { s, logits, labels, weighted ? weights : NULL };
      const char *what = weighted ? "softmax-xent (pixel weights)" : "softmax-xent";
      size_t counted = 0, want_counted = 0, nonzero_ignored = 0;
      size_t hw = (size_t) s.height * s.width;
      double loss, want_loss;

      for (size_t i = 0; i < n; i++)
        dlogits[i] = NAN;
      loss = unet_softmax_xent (dlogits, &counted, logits, labels, p.weights, s);
      want_loss = ref_softmax_xent (&want_counted, logits, labels, p.weights, s);
      g_test_message ("%s: loss %.9g, expected %.9g; %zu counted, expected %zu",
                      what, loss, want_loss, counted, want_counted);
      g_assert_cmpuint (counted, ==, want_counted);
      g_assert_cmpfloat (fabs (loss - want_loss), <=, 1e-5 * want_loss);

      /* ignored pixels get exactly zero gradient */
      for (int b = 0; b < s.batch; b++)
        for (size_t i = 0; i < hw; i++)
          if (labels[b * hw + i] >= s.channels)
            for (int k = 0; k < s.channels; k++)
              nonzero_ignored += dlogits[((size_t) b * s.channels + k) * hw + i] != 0.0f;
      g_assert_cmpuint (nonzero_ignored, ==, 0);

      check_gradient (what, "logits", xent_objective, &p, logits, dlogits, n, 1e-2f, &rng);

      /* in place, as the model runs it: the same loss and the same gradient, bit for bit */
      {
        g_autofree float *in_place = g_memdup2 (logits, n * sizeof (float));
        double loss_in_place = unet_softmax_xent (in_place, NULL, in_place, labels, p.weights, s);

        loss = unet_softmax_xent (dlogits, NULL, logits, labels, p.weights, s);
        g_assert_cmpfloat (loss_in_place, ==, loss);
        g_assert_cmpmem (in_place, n * sizeof (float), dlogits, n * sizeof (float));
      }
    }
}

/* --- softmax -------------------------------------------------------------------------------- */

static void
check_softmax (UnetShape s,
               float     shift,
               guint64   seed)
{
  size_t n = unet_shape_numel (s), hw = (size_t) s.height * s.width;
  double worst_sum = 0.0;
  g_autofree char *what = g_strdup_printf ("softmax K=%d shift=%g", s.channels, shift);
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  g_autofree float *logits = ref_new_uniform (n, &rng, shift - 4.0f, shift + 4.0f);
  g_autofree float *probs = new_filled (n, NAN);
  g_autofree float *want = g_new (float, n);

  unet_softmax (probs, logits, s);
  for (int b = 0; b < s.batch; b++)
    for (size_t i = 0; i < hw; i++)
      {
        const float *z = logits + (size_t) b * s.channels * hw + i;
        const float *q = probs + (size_t) b * s.channels * hw + i;
        float *w = want + (size_t) b * s.channels * hw + i;
        double top = -INFINITY, sum = 0.0, qsum = 0.0;

        for (int k = 0; k < s.channels; k++)
          top = MAX (top, z[k * hw]);
        for (int k = 0; k < s.channels; k++)
          sum += exp (z[k * hw] - top);
        for (int k = 0; k < s.channels; k++)
          {
            w[k * hw] = (float) (exp (z[k * hw] - top) / sum);
            qsum += q[k * hw];
          }
        if (isnan (qsum))
          qsum = INFINITY;
        worst_sum = MAX (worst_sum, fabs (qsum - 1.0));
      }
  g_test_message ("%s: worst |sum - 1| = %.3g", what, worst_sum);
  g_assert_cmpfloat (worst_sum, <=, 1e-6 * s.channels);
  assert_close (what, probs, want, n, 1e-6);
}

static void
test_softmax_rows (void)
{
  check_softmax ((UnetShape) { 2, 5, 3, 7 }, 0.0f, 2101);
  check_softmax ((UnetShape) { 2, 5, 3, 7 }, 1000.0f, 2102);
  check_softmax ((UnetShape) { 1, 21, 4, 4 }, -50.0f, 2103);
  check_softmax ((UnetShape) { 2, 1, 3, 3 }, 0.0f, 2104);
}

/* --- backward accumulates ------------------------------------------------------------------- */

static void
test_backward_accumulates (void)
{
  UnetShape s = { 2, 3, 6, 8 };
  const int OC = 5;
  size_t n_in = unet_shape_numel (s);
  UnetRng rng;

  unet_rng_seed (&rng, 2201);
  g_autofree float *in = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  g_autofree float *weight = ref_new_uniform ((size_t) OC * s.channels * 9, &rng, -0.5f, 0.5f);
  g_autofree float *dout = ref_new_uniform ((size_t) 4 * OC * n_in, &rng, -1.0f, 1.0f);

  /* conv3x3: twice gives twice, and a gradient already there is added to, not overwritten */
  {
    size_t n_w = (size_t) OC * s.channels * 9, n_work = unet_conv3x3_work_size (s, OC, 1);
    g_autofree float *work = new_work (n_work);
    g_autofree float *din1 = g_new0 (float, n_in);
    g_autofree float *dw1 = g_new0 (float, n_w);
    g_autofree float *db1 = g_new0 (float, OC);
    g_autofree float *din2 = g_new0 (float, n_in);
    g_autofree float *dw2 = g_new0 (float, n_w);
    g_autofree float *db2 = g_new0 (float, OC);
    g_autofree float *din3 = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
    g_autofree float *dw3 = ref_new_uniform (n_w, &rng, -1.0f, 1.0f);
    g_autofree float *db3 = ref_new_uniform (OC, &rng, -1.0f, 1.0f);
    g_autofree float *ref_din = new_copy (din3, n_in);
    g_autofree float *ref_dw = new_copy (dw3, n_w);
    g_autofree float *ref_db = new_copy (db3, OC);

    unet_conv3x3_backward (din1, dw1, db1, dout, in, weight, s, OC, 1, work);
    unet_conv3x3_backward (din2, dw2, db2, dout, in, weight, s, OC, 1, work);
    unet_conv3x3_backward (din2, dw2, db2, dout, in, weight, s, OC, 1, work);
    check_doubled ("conv3x3 din twice", din1, din2, n_in);
    check_doubled ("conv3x3 dweight twice", dw1, dw2, n_w);
    check_doubled ("conv3x3 dbias twice", db1, db2, OC);

    unet_conv3x3_backward (din3, dw3, db3, dout, in, weight, s, OC, 1, work);
    ref_conv3x3_backward (ref_din, ref_dw, ref_db, dout, in, weight, s, OC, 1);
    assert_close ("conv3x3 din onto a prior gradient", din3, ref_din, n_in, ORACLE_BACKWARD_TOL);
    assert_close ("conv3x3 dweight onto a prior gradient", dw3, ref_dw, n_w, ORACLE_BACKWARD_TOL);
    assert_close ("conv3x3 dbias onto a prior gradient", db3, ref_db, OC, ORACLE_BACKWARD_TOL);
  }

  /* conv1x1 */
  {
    size_t n_w = (size_t) OC * s.channels;
    g_autofree float *din1 = g_new0 (float, n_in);
    g_autofree float *dw1 = g_new0 (float, n_w);
    g_autofree float *db1 = g_new0 (float, OC);
    g_autofree float *din2 = g_new0 (float, n_in);
    g_autofree float *dw2 = g_new0 (float, n_w);
    g_autofree float *db2 = g_new0 (float, OC);

    unet_conv1x1_backward (din1, TRUE, dw1, db1, dout, in, weight, s, OC);
    unet_conv1x1_backward (din2, TRUE, dw2, db2, dout, in, weight, s, OC);
    unet_conv1x1_backward (din2, TRUE, dw2, db2, dout, in, weight, s, OC);
    check_doubled ("conv1x1 din twice", din1, din2, n_in);
    check_doubled ("conv1x1 dweight twice", dw1, dw2, n_w);
    check_doubled ("conv1x1 dbias twice", db1, db2, OC);
  }

  /* upconv, reading a strided dout */
  {
    size_t n_w = (size_t) s.channels * OC * 4, stride = (size_t) (OC + 1) * 4 * s.height * s.width;
    g_autofree float *work = new_work (unet_upconv_work_size (s, OC));
    g_autofree float *din1 = g_new0 (float, n_in);
    g_autofree float *dw1 = g_new0 (float, n_w);
    g_autofree float *db1 = g_new0 (float, OC);
    g_autofree float *din2 = g_new0 (float, n_in);
    g_autofree float *dw2 = g_new0 (float, n_w);
    g_autofree float *db2 = g_new0 (float, OC);

    g_assert_cmpuint (s.batch * stride, <=, (size_t) 4 * OC * n_in);
    unet_upconv_backward (din1, TRUE, dw1, db1, dout, stride, in, weight, s, OC, work);
    unet_upconv_backward (din2, TRUE, dw2, db2, dout, stride, in, weight, s, OC, work);
    unet_upconv_backward (din2, TRUE, dw2, db2, dout, stride, in, weight, s, OC, work);
    check_doubled ("upconv din twice", din1, din2, n_in);
    check_doubled ("upconv dweight twice", dw1, dw2, n_w);
    check_doubled ("upconv dbias twice", db1, db2, OC);
  }

  /* crop, maxpool, batchnorm */
  {
    const UnetBatchNormParams params = { 0.1f, 1e-5f };
    const int C = s.channels;
    size_t stride = (size_t) (C + 2) * 4 * 5;
    g_autofree float *din1 = g_new0 (float, n_in);
    g_autofree float *din2 = g_new0 (float, n_in);
    g_autofree float *out = g_new (float, n_in);
    g_autofree float *mean = g_new (float, C);
    g_autofree float *invstd = g_new (float, C);
    g_autofree float *rm = g_new0 (float, C);
    g_autofree float *rv = new_filled (C, 1.0f);
    g_autofree float *gamma = ref_new_uniform (C, &rng, 0.5f, 1.5f);
    g_autofree float *beta = ref_new_uniform (C, &rng, -0.5f, 0.5f);
    g_autofree float *dg1 = g_new0 (float, C);
    g_autofree float *db1 = g_new0 (float, C);
    g_autofree float *dg2 = g_new0 (float, C);
    g_autofree float *db2 = g_new0 (float, C);

    unet_crop_backward (din1, TRUE, dout, stride, s, 4, 5);
    unet_crop_backward (din2, TRUE, dout, stride, s, 4, 5);
    unet_crop_backward (din2, TRUE, dout, stride, s, 4, 5);
    check_doubled ("crop din twice", din1, din2, n_in);

    memset (din1, 0, n_in * sizeof (float));
    memset (din2, 0, n_in * sizeof (float));
    unet_maxpool_backward (din1, dout, in, s);
    unet_maxpool_backward (din2, dout, in, s);
    unet_maxpool_backward (din2, dout, in, s);
    check_doubled ("maxpool din twice", din1, din2, n_in);

    memset (din1, 0, n_in * sizeof (float));
    memset (din2, 0, n_in * sizeof (float));
    unet_batchnorm_forward_train (out, mean, invstd, rm, rv, in, gamma, beta, s, &params);
    unet_batchnorm_backward (din1, dg1, db1, dout, in, gamma, mean, invstd, s);
    unet_batchnorm_backward (din2, dg2, db2, dout, in, gamma, mean, invstd, s);
    unet_batchnorm_backward (din2, dg2, db2, dout, in, gamma, mean, invstd, s);
    check_doubled ("batchnorm din twice", din1, din2, n_in);
    check_doubled ("batchnorm dgamma twice", dg1, dg2, C);
    check_doubled ("batchnorm dbeta twice", db1, db2, C);
  }
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

/* The fused convolution + ReLU is exactly ReLU of the convolution, for both paddings. */
static void
test_conv3x3_relu_fused (void)
{
  for (int pad = 0; pad <= 1; pad++)
    {
      UnetShape in_shape = { 2, 5, 11, 13 };
      int OC = 7, OH = 11 - 2 + 2 * pad, OW = 13 - 2 + 2 * pad;
      size_t n_in = unet_shape_numel (in_shape), n_out = (size_t) 2 * OC * OH * OW;
      g_autofree float *in = g_new (float, n_in);
      g_autofree float *weight = g_new (float, OC * 5 * 9);
      g_autofree float *bias = g_new (float, OC);
      g_autofree float *plain = g_new (float, n_out);
      g_autofree float *fused = g_new (float, n_out);
      g_autofree float *work = g_new (float, unet_conv3x3_work_size (in_shape, OC, pad));
      UnetRng rng;
      size_t negatives = 0;

      unet_rng_seed (&rng, 31 + pad);
      ref_fill_uniform (in, n_in, &rng, -1.0f, 1.0f);
      ref_fill_uniform (weight, OC * 5 * 9, &rng, -0.5f, 0.5f);
      ref_fill_uniform (bias, OC, &rng, -0.5f, 0.5f);

      unet_conv3x3_forward (plain, in, weight, bias, in_shape, OC, pad, work);
      unet_conv3x3_relu_forward (fused, in, weight, bias, in_shape, OC, pad, work);
      for (size_t i = 0; i < n_out; i++)
        {
          negatives += plain[i] < 0.0f;
          g_assert_cmpfloat (fused[i], ==, plain[i] > 0.0f ? plain[i] : 0.0f);
        }
      /* the case must exercise the clamp */
      g_assert_cmpuint (negatives, >, n_out / 10);
    }
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* report every failing comparison, and go on to the next test */
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/layers/conv3x3/oracle", test_conv3x3_oracle);
  g_test_add_func ("/layers/conv3x3/oracle-edge", test_conv3x3_oracle_edge);
  g_test_add_func ("/layers/conv3x3/oracle-large", test_conv3x3_oracle_large);
  g_test_add_func ("/layers/conv3x3/gradient", test_conv3x3_gradient);
  g_test_add_func ("/layers/conv3x3/relu-fused", test_conv3x3_relu_fused);
  g_test_add_func ("/layers/conv1x1/oracle", test_conv1x1_oracle);
  g_test_add_func ("/layers/conv1x1/gradient", test_conv1x1_gradient);
  g_test_add_func ("/layers/upconv/oracle", test_upconv_oracle);
  g_test_add_func ("/layers/upconv/gradient", test_upconv_gradient);
  g_test_add_func ("/layers/crop/forward", test_crop_forward);
  g_test_add_func ("/layers/crop/gradient", test_crop_gradient);
  g_test_add_func ("/layers/relu/forward", test_relu_forward);
  g_test_add_func ("/layers/relu/gradient", test_relu_gradient);
  g_test_add_func ("/layers/maxpool/oracle", test_maxpool_oracle);
  g_test_add_func ("/layers/maxpool/gradient", test_maxpool_gradient);
  g_test_add_func ("/layers/maxpool/skip", test_maxpool_skip);
  g_test_add_func ("/layers/relu/mask", test_relu_mask);
  g_test_add_func ("/layers/batchnorm/train", test_batchnorm_train);
  g_test_add_func ("/layers/batchnorm/eval", test_batchnorm_eval);
  g_test_add_func ("/layers/batchnorm/gradient", test_batchnorm_gradient);
  g_test_add_func ("/layers/batchnorm/relu-fused", test_batchnorm_relu_fused);
  g_test_add_func ("/layers/batchnorm/row-sums", test_batchnorm_row_sums);
  g_test_add_func ("/layers/dropout/mask", test_dropout_mask);
  g_test_add_func ("/layers/dropout/gradient", test_dropout_gradient);
  g_test_add_func ("/layers/softmax-xent/by-hand", test_softmax_xent_hand);
  g_test_add_func ("/layers/softmax-xent/gradient", test_softmax_xent_gradient);
  g_test_add_func ("/layers/softmax/rows", test_softmax_rows);
  g_test_add_func ("/layers/backward-accumulates", test_backward_accumulates);

  return g_test_run ();
}
