/* test-layers-crop.c: the centre crop of the skip connections
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-layers.h"

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

void
test_layers_crop_register (void)
{
  g_test_add_func ("/layers/crop/forward", test_crop_forward);
  g_test_add_func ("/layers/crop/gradient", test_crop_gradient);
}
