/* test-layers-conv.c: the 3×3, 1×1 and up-convolutions against the oracle and their gradients
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "test-layers.h"

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

void
test_layers_conv_register (void)
{
  g_test_add_func ("/layers/conv3x3/oracle", test_conv3x3_oracle);
  g_test_add_func ("/layers/conv3x3/oracle-edge", test_conv3x3_oracle_edge);
  g_test_add_func ("/layers/conv3x3/oracle-large", test_conv3x3_oracle_large);
  g_test_add_func ("/layers/conv3x3/gradient", test_conv3x3_gradient);
  g_test_add_func ("/layers/conv3x3/relu-fused", test_conv3x3_relu_fused);
  g_test_add_func ("/layers/conv1x1/oracle", test_conv1x1_oracle);
  g_test_add_func ("/layers/conv1x1/gradient", test_conv1x1_gradient);
  g_test_add_func ("/layers/upconv/oracle", test_upconv_oracle);
  g_test_add_func ("/layers/upconv/gradient", test_upconv_gradient);
}
