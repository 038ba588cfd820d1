/* test-layers-pool.c: 2×2 max pooling, alone and fused with the skip connection's crop and ReLU
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "test-layers.h"

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

void
test_layers_pool_register (void)
{
  g_test_add_func ("/layers/maxpool/oracle", test_maxpool_oracle);
  g_test_add_func ("/layers/maxpool/gradient", test_maxpool_gradient);
  g_test_add_func ("/layers/maxpool/skip", test_maxpool_skip);
}
