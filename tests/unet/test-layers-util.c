/* test-layers-util.c: what the layer tests share
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "test-layers.h"

float *
new_filled (size_t n,
            float  value)
{
  float *x = g_new (float, MAX (n, 1));

  for (size_t i = 0; i < n; i++)
    x[i] = value;
  return x;
}

float *
new_copy (const float *x,
          size_t       n)
{
  return g_memdup2 (x, n * sizeof (float));
}

/* Exactly `floats` floats, so that AddressSanitizer sees any write past the kernel's own size. */
float *
new_work (size_t floats)
{
  return floats > 0 ? new_filled (floats, NAN) : NULL;
}

void
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
size_t
count_not_equal (const float *x,
                 size_t       n,
                 float        value)
{
  size_t count = 0;

  for (size_t i = 0; i < n; i++)
    count += x[i] != value;
  return count;
}

double
max_abs (const float *x,
         size_t       n)
{
  double m = 0.0;

  for (size_t i = 0; i < n; i++)
    m = MAX (m, fabs ((double) x[i]));
  return m;
}

/* Compares analytic[i] with the central difference of objective() in x[i], for every i or for
 * GRAD_MAX_CHECKS random i. x is perturbed in place and restored. */
void
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
void
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
