/* test-conv-xsmm.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "unet/unet-conv-xsmm.h"
#include "unet/unet-conv-winograd.h"
#include "unet/unet-layers.h"
#include "unet/unet-rng.h"

#include "conv-reference.h"

/* max |error| / max |expected| against the double-precision oracle. A float sum over up to
 * 9 x 130 terms is good to a few 1e-7 here; a wrong offset or a missed block costs order 1. */
#define FORWARD_TOL  1e-5
#define BACKWARD_TOL 1e-5

/* Floats past the end of every output, which must come back untouched. */
#define GUARD    64
#define SENTINEL 777.0f

static void
fill (float  *x,
      size_t  n,
      float   value)
{
  for (size_t i = 0; i < n; i++)
    x[i] = value;
}

static void
assert_guard (const char  *what,
              const float *guard)
{
  for (int i = 0; i < GUARD; i++)
    if (guard[i] != SENTINEL)
      g_error ("%s: wrote %g past the end of its output (at +%d)", what, guard[i], i);
}

static void
assert_close (const char  *what,
              const float *got,
              const float *expected,
              size_t       n,
              double       tol)
{
  double err = ref_max_rel_error (got, expected, n);

  g_test_message ("%s: relative error %.2e", what, err);
  if (!(err <= tol))
    g_error ("%s: relative error %.3e exceeds %.1e", what, err, tol);
}

static gboolean
skip_unless_available (void)
{
  if (unet_conv3x3_xsmm_available ())
    return FALSE;
  g_test_skip ("libxsmm does not JIT for this CPU (or UNET_NO_XSMM is set)");
  return TRUE;
}

static void
check_conv (int     B,
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
  size_t n_work = MAX (unet_conv3x3_xsmm_work_size (s, OC, pad),
                       unet_conv3x3_xsmm_weight_grad_work_size (s, OC, pad));
  g_autofree char *what = g_strdup_printf ("B=%d C=%d H=%d W=%d OC=%d pad=%d", B, C, H, W, OC, pad);
  g_autofree char *label = NULL;
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  g_autofree float *in = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  g_autofree float *weight = ref_new_uniform (n_w, &rng, -0.5f, 0.5f);
  g_autofree float *bias = ref_new_uniform (OC, &rng, -1.0f, 1.0f);
  g_autofree float *dout = ref_new_uniform (n_out, &rng, -1.0f, 1.0f);
  g_autofree float *din_start = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  g_autofree float *work = g_new (float, MAX (n_work, 1));
  g_autofree float *out = g_new (float, n_out + GUARD);
  g_autofree float *expected = g_new (float, n_out);
  g_autofree float *din = g_new (float, n_in + GUARD);
  g_autofree float *ref_din = g_new (float, n_in);
  g_autofree float *dw_start = ref_new_uniform (n_w, &rng, -1.0f, 1.0f);
  g_autofree float *dw = g_new (float, n_w + GUARD);
  g_autofree float *ref_dw = g_new (float, n_w);

  g_assert_cmpint (OH, >=, 1);
  g_assert_cmpint (OW, >=, 1);

  /* out starts as NaN, so that an entry forward does not write shows up */
  fill (out, n_out, NAN);
  fill (out + n_out, GUARD, SENTINEL);
  fill (work, n_work, NAN);
  g_assert_true (unet_conv3x3_xsmm_forward (out, in, weight, bias, s, OC, pad, FALSE, work));
  ref_conv3x3_forward (expected, in, weight, bias, s, OC, pad);
  label = g_strdup_printf ("%s forward", what);
  assert_close (label, out, expected, n_out, FORWARD_TOL);
  assert_guard (label, out + n_out);

  fill (out, n_out, NAN);
  fill (work, n_work, NAN);
  g_assert_true (unet_conv3x3_xsmm_forward (out, in, weight, bias, s, OC, pad, TRUE, work));
  for (size_t i = 0; i < n_out; i++)
    expected[i] = MAX (expected[i], 0.0f);
  g_free (label);
  label = g_strdup_printf ("%s forward with ReLU", what);
  assert_close (label, out, expected, n_out, FORWARD_TOL);
  assert_guard (label, out + n_out);

  fill (out, n_out, NAN);
  fill (work, n_work, NAN);
  g_assert_true (unet_conv3x3_xsmm_forward (out, in, weight, NULL, s, OC, pad, FALSE, work));
  ref_conv3x3_forward (expected, in, weight, NULL, s, OC, pad);
  g_free (label);
  label = g_strdup_printf ("%s forward without bias", what);
  assert_close (label, out, expected, n_out, FORWARD_TOL);
  assert_guard (label, out + n_out);

  /* with batch norm's row sums: the same output, and each row's sum and squared deviations */
  {
    size_t n_sums = (size_t) B * OH * OC * 2;
    g_autofree float *summed = g_new (float, n_out);
    g_autofree float *sums = g_new (float, n_sums + GUARD);
    g_autofree float *expected_sums = g_new (float, n_sums);

    fill (work, n_work, NAN);
    fill (sums, n_sums, NAN);
    fill (sums + n_sums, GUARD, SENTINEL);
    g_assert_true (unet_conv3x3_xsmm_forward (out, in, weight, bias, s, OC, pad, FALSE, work));
    g_assert_true (unet_conv3x3_xsmm_forward_sums (summed, in, weight, bias, s, OC, pad, sums,
                                                   work));
    g_assert_cmpmem (summed, n_out * sizeof (float), out, n_out * sizeof (float));
    for (int b = 0; b < B; b++)
      for (int y = 0; y < OH; y++)
        for (int o = 0; o < OC; o++)
          {
            const float *row = out + (((size_t) b * OC + o) * OH + y) * OW;
            float *p = expected_sums + (((size_t) b * OH + y) * OC + o) * 2;
            double sum = 0.0, deviations = 0.0;

            for (int x = 0; x < OW; x++)
              sum += row[x];
            for (int x = 0; x < OW; x++)
              deviations += (row[x] - sum / OW) * (row[x] - sum / OW);
            p[0] = (float) sum;
            p[1] = (float) deviations;
          }
    g_free (label);
    label = g_strdup_printf ("%s row sums", what);
    assert_close (label, sums, expected_sums, n_sums, FORWARD_TOL);
    assert_guard (label, sums + n_sums);
  }

  /* din accumulates: start both from the same non-zero gradient */
  memcpy (din, din_start, n_in * sizeof (float));
  memcpy (ref_din, din_start, n_in * sizeof (float));
  fill (din + n_in, GUARD, SENTINEL);
  fill (work, n_work, NAN);
  g_assert_true (unet_conv3x3_xsmm_backward_data (din, TRUE, dout, weight, s, OC, pad, work));
  ref_conv3x3_backward (ref_din, NULL, NULL, dout, in, weight, s, OC, pad);
  g_free (label);
  label = g_strdup_printf ("%s din", what);
  assert_close (label, din, ref_din, n_in, BACKWARD_TOL);
  assert_guard (label, din + n_in);

  /* or is written: what was there (NaN here) must not matter */
  fill (din, n_in, NAN);
  fill (work, n_work, NAN);
  memset (ref_din, 0, n_in * sizeof (float));
  g_assert_true (unet_conv3x3_xsmm_backward_data (din, FALSE, dout, weight, s, OC, pad, work));
  ref_conv3x3_backward (ref_din, NULL, NULL, dout, in, weight, s, OC, pad);
  g_free (label);
  label = g_strdup_printf ("%s din written", what);
  assert_close (label, din, ref_din, n_in, BACKWARD_TOL);
  assert_guard (label, din + n_in);

  /* the weight gradient accumulates too */
  memcpy (dw, dw_start, n_w * sizeof (float));
  memcpy (ref_dw, dw_start, n_w * sizeof (float));
  fill (dw + n_w, GUARD, SENTINEL);
  fill (work, n_work, NAN);
  g_assert_true (unet_conv3x3_xsmm_backward_weights (dw, dout, in, s, OC, pad, work));
  ref_conv3x3_backward (NULL, ref_dw, NULL, dout, in, weight, s, OC, pad);
  g_free (label);
  label = g_strdup_printf ("%s dweight", what);
  assert_close (label, dw, ref_dw, n_w, BACKWARD_TOL);
  assert_guard (label, dw + n_w);
}

/* Every channel count against every output-channel count, on small odd and even images. */
static void
test_channels (void)
{
  static const int cs[] = { 1, 3, 17, 64 };
  static const int ocs[] = { 1, 5, 19, 64 };
  /* under valgrind, a checkerboard of the pairs: each count still meets two others */
  gboolean valgrind = g_getenv ("UNET_TEST_VALGRIND") != NULL;
  guint64 seed = 1;

  if (skip_unless_available ())
    return;

  for (guint i = 0; i < G_N_ELEMENTS (cs); i++)
    for (guint j = 0; j < G_N_ELEMENTS (ocs); j++)
      for (int pad = 0; pad <= 1; pad++)
        {
          if (valgrind && (i + j) % 2 == 1)
            continue;
          check_conv (1, cs[i], 7, 10, ocs[j], pad, seed++);
          check_conv (3, cs[i], 12, 5, ocs[j], pad, seed++);
        }
}

/* Rows of about 70 pixels: more than one pixel chunk per row. */
static void
test_wide (void)
{
  if (skip_unless_available ())
    return;

  for (int pad = 0; pad <= 1; pad++)
    {
      check_conv (1, 3, 70, 71, 19, pad, 100 + pad);
      check_conv (3, 17, 33, 69, 5, pad, 102 + pad);
      check_conv (1, 64, 12, 70, 64, pad, 104 + pad);
    }
}

/* Channel counts, output channel counts and widths that split into unequal blocks. */
static void
test_blocks (void)
{
  if (skip_unless_available ())
    return;

  for (int pad = 0; pad <= 1; pad++)
    {
      check_conv (1, 130, 6, 9, 7, pad, 200 + pad);
      check_conv (2, 5, 6, 7, 130, pad, 202 + pad);
      check_conv (1, 3, 5, 133, 3, pad, 204 + pad);
      check_conv (1, 129, 5, 131, 65, pad, 206 + pad);
    }
}

/* Sources padded (same padding's input, every output gradient) and inputs transposed (the
 * weight gradient) a strip of rows at a time: enough channels times width for several strips,
 * with a shorter last one. */
static void
test_strips (void)
{
  if (skip_unless_available ())
    return;

  /* 130 channels of 62 columns make 8060 floats a row: two strips of at most 30 rows; few
   * channels on the other side keep the oracle quick */
  for (int pad = 0; pad <= 1; pad++)
    {
      check_conv (1, 130, 41, 60, 3, pad, 400 + pad);
      check_conv (2, 3, 40, 60, 130, pad, 402 + pad);
    }
}

/* Winograd F(2x2, 3x3) on every shape it can take (even output sizes; odd ones go direct),
 * against the same oracle: channel and tile counts that split into several blocks, rows of 149
 * tiles in two chunks, the image's border (same padding), batch norm's row sums. Then which
 * shapes the automatic choice gives it. */
static void
test_winograd (void)
{
  if (skip_unless_available ())
    return;

  unet_conv3x3_winograd_set_policy (UNET_WINOGRAD_ALWAYS);
  for (int pad = 0; pad <= 1; pad++)
    {
      check_conv (2, 5, 10, 12, 7, pad, 500 + pad);
      check_conv (1, 70, 8, 10, 130, pad, 502 + pad);
      check_conv (2, 3, 6, 300, 5, pad, 504 + pad);
      check_conv (1, 4, 7, 9, 3, pad, 506 + pad);
    }
  unet_conv3x3_winograd_set_policy (UNET_WINOGRAD_AUTO);

  /* (a)'s deep layers, not its 64-channel ones, its bottleneck (too few tiles) or odd sizes */
  g_assert_true (unet_conv3x3_winograd_suits ((UnetShape) { 1, 128, 138, 138 }, 128, 0));
  g_assert_true (unet_conv3x3_winograd_suits ((UnetShape) { 1, 512, 56, 56 }, 256, 0));
  g_assert_false (unet_conv3x3_winograd_suits ((UnetShape) { 1, 64, 282, 282 }, 64, 0));
  g_assert_false (unet_conv3x3_winograd_suits ((UnetShape) { 1, 512, 30, 30 }, 512, 0));
  g_assert_false (unet_conv3x3_winograd_suits ((UnetShape) { 1, 128, 139, 139 }, 128, 0));
  /* (b)'s deep levels: rows of 16 tiles */
  g_assert_false (unet_conv3x3_winograd_suits ((UnetShape) { 4, 128, 32, 32 }, 128, 1));
}

/* The smallest images each padding allows. */
static void
test_tiny (void)
{
  if (skip_unless_available ())
    return;

  check_conv (1, 3, 3, 3, 5, 0, 300);
  check_conv (3, 17, 3, 4, 1, 0, 301);
  check_conv (1, 3, 1, 1, 5, 1, 302);
  check_conv (3, 19, 1, 2, 17, 1, 303);
  check_conv (2, 1, 2, 1, 1, 1, 304);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/conv-xsmm/channels", test_channels);
  g_test_add_func ("/conv-xsmm/wide", test_wide);
  g_test_add_func ("/conv-xsmm/blocks", test_blocks);
  g_test_add_func ("/conv-xsmm/strips", test_strips);
  g_test_add_func ("/conv-xsmm/tiny", test_tiny);
  g_test_add_func ("/conv-xsmm/winograd", test_winograd);

  return g_test_run ();
}
