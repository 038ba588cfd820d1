/* test-layers-softmax.c: softmax cross-entropy by hand and its gradient, softmax over rows
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "test-layers.h"

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

void
test_layers_softmax_register (void)
{
  g_test_add_func ("/layers/softmax-xent/by-hand", test_softmax_xent_hand);
  g_test_add_func ("/layers/softmax-xent/gradient", test_softmax_xent_gradient);
  g_test_add_func ("/layers/softmax/rows", test_softmax_rows);
}
