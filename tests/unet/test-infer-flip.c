/* test-infer-flip.c: flip test-time augmentation is the mean with the mirrored image's prediction
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "test-infer.h"

/* Mirrors [channels, height, width] left to right. */
static float *
mirror_columns (const float *planes,
                int          channels,
                int          height,
                int          width)
{
  float *out = g_new (float, (size_t) channels * height * width);

  for (int c = 0; c < channels; c++)
    for (int y = 0; y < height; y++)
      for (int x = 0; x < width; x++)
        out[((size_t) c * height + y) * width + x] =
          planes[((size_t) c * height + y) * width + width - 1 - x];
  return out;
}

/* --- (d) flip test-time augmentation --------------------------------------------------------- */

static void
check_flip (UnetPadding padding,
            int         h,
            int         w,
            int         tile)
{
  g_autoptr(UnetModel) model = make_model (padding, 3, 8);
  size_t n = (size_t) CLASSES * h * w;
  g_autofree float *rgb = make_image (h, w, 300 + h * w);
  g_autofree float *mirrored = mirror_columns (rgb, 3, h, w);
  g_autofree float *plain = g_new (float, n);
  g_autofree float *of_mirrored = g_new (float, n);
  g_autofree float *back = NULL;
  g_autofree float *expected = g_new (float, n);
  g_autofree float *flipped = g_new (float, n);
  g_autofree char *what = g_strdup_printf ("%s flip, tile %d", unet_padding_to_string (padding), tile);
  double change = 0.0;

  g_assert_true (predict (model, rgb, h, w, plain, tile, FALSE));
  g_assert_true (predict (model, mirrored, h, w, of_mirrored, tile, FALSE));
  back = mirror_columns (of_mirrored, CLASSES, h, w);
  for (size_t i = 0; i < n; i++)
    {
      expected[i] = 0.5f * (plain[i] + back[i]);
      change = MAX (change, fabs (expected[i] - plain[i]));
    }
  /* the model is not symmetric, so the augmentation has something to average */
  g_assert_cmpfloat (change, >, 1e-3);

  g_assert_true (predict (model, rgb, h, w, flipped, tile, TRUE));
  assert_probs_close (flipped, expected, h, w, TOLERANCE, what);
}

/* Widths that are multiples of 2^depth: mirroring maps the pooling grid onto itself. */
static void
test_flip_aligned (void)
{
  check_flip (UNET_PADDING_VALID, 12, 16, 20);
  check_flip (UNET_PADDING_VALID, 40, 60, 20);
  check_flip (UNET_PADDING_VALID, 37, 56, 20);
  check_flip (UNET_PADDING_SAME, 12, 16, 0);
  check_flip (UNET_PADDING_SAME, 128, 160, 96);
}

/* Other widths: the flipped pass must still be the prediction on the mirrored image, whose
 * pooling grid starts at ITS left edge, the original's right edge. */
static void
test_flip_odd (void)
{
  check_flip (UNET_PADDING_VALID, 5, 7, 20);
  check_flip (UNET_PADDING_VALID, 37, 53, 20);
  check_flip (UNET_PADDING_SAME, 9, 13, 0);
}

void
test_infer_flip_register (void)
{
  g_test_add_func ("/infer/flip/aligned", test_flip_aligned);
  g_test_add_func ("/infer/flip/odd", test_flip_odd);
}
