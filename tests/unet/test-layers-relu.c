/* test-layers-relu.c: ReLU forward, its gradient, and its mask kept for later
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "test-layers.h"

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

void
test_layers_relu_register (void)
{
  g_test_add_func ("/layers/relu/forward", test_relu_forward);
  g_test_add_func ("/layers/relu/gradient", test_relu_gradient);
  g_test_add_func ("/layers/relu/mask", test_relu_mask);
}
