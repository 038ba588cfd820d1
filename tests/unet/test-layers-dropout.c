/* test-layers-dropout.c: dropout's mask and gradient
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "test-layers.h"

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

void
test_layers_dropout_register (void)
{
  g_test_add_func ("/layers/dropout/mask", test_dropout_mask);
  g_test_add_func ("/layers/dropout/gradient", test_dropout_gradient);
}
