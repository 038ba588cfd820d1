/* test-infer-tiles.c: overlap-tile prediction, in valid and same padding, against one forward pass
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "test-infer.h"

/* The border rule of the paper, written independently of the engine: reflect at each edge
 * without repeating the edge pixel, as often as it takes to land inside. */
static int
reflect (int i,
         int n)
{
  if (n == 1)
    return 0;
  while (i < 0 || i >= n)
    {
      if (i < 0)
        i = -i;
      if (i >= n)
        i = 2 * (n - 1) - i;
    }
  return i;
}

/* The reference: ONE forward pass over a window of the mirrored, normalised image that starts
 * pad_y pixels above and pad_x left of the image and is in_h x in_w large; image pixel (y, x)
 * sits at (y + off_y, x + off_x) of the network's output. Softmax in double. */
static float *
reference_probs (UnetModel   *model,
                 const float *rgb,
                 int          height,
                 int          width,
                 int          pad_y,
                 int          pad_x,
                 int          in_h,
                 int          in_w,
                 int          off_y,
                 int          off_x)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *input = g_new (float, (size_t) 3 * in_h * in_w);
  float *probs = g_new (float, (size_t) CLASSES * height * width);
  const float *logits;
  UnetShape out;
  float mean[3], std[3];

  unet_model_get_normalization (model, mean, std);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < in_h; y++)
      for (int x = 0; x < in_w; x++)
        {
          int sy = reflect (y - pad_y, height), sx = reflect (x - pad_x, width);
          float v = rgb[((size_t) c * height + sy) * width + sx];

          input[((size_t) c * in_h + y) * in_w + x] = (v - mean[c]) / std[c];
        }

  g_assert_true (unet_model_prepare (model, 1, in_h, in_w, FALSE, &error));
  g_assert_no_error (error);
  out = unet_model_get_output_shape (model);
  g_assert_cmpint (out.channels, ==, CLASSES);
  g_assert_cmpint (out.height, >=, height + off_y);
  g_assert_cmpint (out.width, >=, width + off_x);
  logits = unet_model_forward (model, input, FALSE);
  g_assert_nonnull (logits);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        size_t plane = (size_t) out.height * out.width;
        size_t at = (size_t) (y + off_y) * out.width + x + off_x;
        double max = -INFINITY, sum = 0.0;

        for (int k = 0; k < CLASSES; k++)
          max = MAX (max, logits[k * plane + at]);
        for (int k = 0; k < CLASSES; k++)
          sum += exp (logits[k * plane + at] - max);
        for (int k = 0; k < CLASSES; k++)
          probs[((size_t) k * height + y) * width + x] = (float) (exp (logits[k * plane + at] - max) / sum);
      }
  return probs;
}

/* Valid padding: a window of margin context on every side, its output the smallest valid one
 * that covers the image. */
static float *
reference_valid (UnetModel   *model,
                 const float *rgb,
                 int          height,
                 int          width)
{
  const UnetConfig *config = unet_model_get_config (model);
  int out_h = height, out_w = width, in_h, in_w;

  while (!unet_config_input_size_for_output (config, out_h, &in_h, NULL))
    out_h++;
  while (!unet_config_input_size_for_output (config, out_w, &in_w, NULL))
    out_w++;
  g_assert_cmpint (in_h - out_h, ==, in_w - out_w);
  return reference_probs (model, rgb, height, width, (in_h - out_h) / 2, (in_w - out_w) / 2,
                          in_h, in_w, 0, 0);
}

/* Same padding: pad_y rows and pad_x columns of mirrored context before the image, then enough
 * after it to reach a multiple of 2^depth that leaves as much context after the image too. */
static float *
reference_same (UnetModel   *model,
                const float *rgb,
                int          height,
                int          width,
                int          pad_y,
                int          pad_x)
{
  int step = 1 << DEPTH;
  int in_h = (height + 2 * pad_y + step - 1) / step * step;
  int in_w = (width + 2 * pad_x + step - 1) / step * step;

  return reference_probs (model, rgb, height, width, pad_y, pad_x, in_h, in_w, pad_y, pad_x);
}

/* The model and the comparison must be able to tell pixels apart, or a shifted tile would pass. */
static void
assert_varied (const float *probs,
               int          height,
               int          width)
{
  float lo = INFINITY, hi = -INFINITY;

  for (size_t i = 0; i < (size_t) height * width; i++)
    {
      lo = MIN (lo, probs[i]);
      hi = MAX (hi, probs[i]);
    }
  if (height * width > 1)
    g_assert_cmpfloat (hi - lo, >, 0.05);
}

/* --- (b) valid padding: overlap-tile == one big pass ----------------------------------------- */

static void
check_valid_tiling (int h,
                    int w,
                    int tile)
{
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_VALID, 3, 5);
  g_autofree float *rgb = make_image (h, w, 100 + h * w);
  g_autofree float *expected = reference_valid (model, rgb, h, w);
  g_autofree float *probs = g_new (float, (size_t) CLASSES * h * w);
  g_autofree char *what = g_strdup_printf ("valid, tile %d", tile);

  assert_varied (expected, h, w);
  g_assert_true (predict (model, rgb, h, w, probs, tile, FALSE));
  assert_probs_close (probs, expected, h, w, TOLERANCE, what);
}

/* Image sides that are multiples of the tile: every tile starts on the 2^depth grid. */
static void
test_valid_tiles_aligned (void)
{
  check_valid_tiling (40, 60, 20);
  check_valid_tiling (8, 16, 4);
}

/* Odd sides: the last tile, moved back to end at the border, must still start on the
 * 2^depth grid of the others, or its pixels come from a differently pooled network. */
static void
test_valid_tiles_odd (void)
{
  check_valid_tiling (37, 53, 20);
  check_valid_tiling (23, 21, 20);
  check_valid_tiling (44, 29, 12);
}

/* Smaller than one tile (and the default tile): a single tile just large enough. */
static void
test_valid_single_tile (void)
{
  check_valid_tiling (5, 7, 20);
  check_valid_tiling (1, 1, 20);
  check_valid_tiling (2, 3, 20);
  check_valid_tiling (37, 53, 0);
  check_valid_tiling (20, 20, 20);
}

/* The comparison above is sharp enough to see a tile misplaced by a single pixel. */
static void
test_valid_reference_sensitive (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_VALID, 3, 5);
  const int h = 40, w = 40;
  g_autofree float *rgb = make_image (h, w, 7);
  g_autofree float *probs = g_new (float, (size_t) CLASSES * h * w);
  g_autofree float *shifted = NULL;
  double worst = 0.0;

  g_assert_true (predict (model, rgb, h, w, probs, 20, FALSE));
  /* a window one pixel further out: the pooling grid moves by one */
  shifted = reference_probs (model, rgb, h, w, 21, 21, 84, 84, 1, 1);
  for (size_t i = 0; i < (size_t) CLASSES * h * w; i++)
    worst = MAX (worst, fabs (probs[i] - shifted[i]));
  g_test_message ("a one-pixel shift of the pooling grid changes probabilities by %.3g", worst);
  g_assert_cmpfloat (worst, >, 100 * TOLERANCE);
}

/* --- (c) same padding -------------------------------------------------------------------------- */

static void
check_same_tiling (int h,
                   int w,
                   int tile,
                   int pad_y,
                   int pad_x)
{
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_SAME, 3, 6);
  g_autofree float *rgb = make_image (h, w, 200 + h * w);
  g_autofree float *expected = reference_same (model, rgb, h, w, pad_y, pad_x);
  g_autofree float *probs = g_new (float, (size_t) CLASSES * h * w);
  g_autofree char *what = g_strdup_printf ("same, tile %d", tile);

  assert_varied (expected, h, w);
  g_assert_true (predict (model, rgb, h, w, probs, tile, FALSE));
  assert_probs_close (probs, expected, h, w, TOLERANCE, what);
}

/* An image within one tile: reflection padding below and right up to a multiple of 2^depth,
 * one forward pass, the top-left corner kept. */
static void
test_same_single_tile (void)
{
  check_same_tiling (5, 7, 0, 0, 0);
  check_same_tiling (12, 16, 0, 0, 0);
  check_same_tiling (1, 1, 0, 0, 0);
  check_same_tiling (37, 53, 0, 0, 0);
  check_same_tiling (37, 53, 60, 0, 0);
}

/* Many tiles, each with SAME_MARGIN pixels of context: the kept pixels must not see the zero
 * padding at the tile borders, so they equal one pass over the image mirrored by that margin. */
static void
test_same_tiles_aligned (void)
{
  check_same_tiling (128, 160, 96, SAME_MARGIN, SAME_MARGIN);
  /* rows within one tile (no context above), columns in five tiles */
  check_same_tiling (96, 160, 96, 0, SAME_MARGIN);
}

static void
test_same_tiles_odd (void)
{
  check_same_tiling (99, 130, 96, SAME_MARGIN, SAME_MARGIN);
}

void
test_infer_tiles_register (void)
{
  g_test_add_func ("/infer/valid/tiles-aligned", test_valid_tiles_aligned);
  g_test_add_func ("/infer/valid/tiles-odd", test_valid_tiles_odd);
  g_test_add_func ("/infer/valid/single-tile", test_valid_single_tile);
  g_test_add_func ("/infer/valid/reference-sensitive", test_valid_reference_sensitive);
  g_test_add_func ("/infer/same/single-tile", test_same_single_tile);
  g_test_add_func ("/infer/same/tiles-aligned", test_same_tiles_aligned);
  g_test_add_func ("/infer/same/tiles-odd", test_same_tiles_odd);
}
