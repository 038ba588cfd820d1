/* test-infer.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <string.h>

#include "unet/unet-error.h"
#include "unet/unet-infer.h"
#include "unet/unet-metrics.h"
#include "unet/unet-model.h"
#include "unet/unet-resize.h"
#include "unet/unet-rng.h"
#include "unet/unet-threads.h"
#include "unet/unet-model-train.h"

#define DEPTH 2
#define CLASSES 3
/* same padding keeps this much context around each tile (unet-infer.c's SAME_TILE_MARGIN) */
#define SAME_MARGIN 32
#define TOLERANCE 1e-5

/* Depth 2, base 4: small enough for many tiles per test. The biases get small positive values
 * instead of zeros, so that fewer units are dead and the probabilities vary from pixel to pixel:
 * a misplaced tile must show. */
static UnetModel *
make_model (UnetPadding padding,
            int         in_channels,
            guint64     seed)
{
  static const float mean[3] = { 0.45f, 0.5f, 0.4f };
  static const float std[3] = { 0.25f, 0.2f, 0.3f };
  g_autoptr(GError) error = NULL;
  UnetConfig config;
  UnetModel *model;
  UnetRng rng;

  unet_config_init_default (&config);
  config.depth = DEPTH;
  config.base = 4;
  config.classes = CLASSES;
  config.in_channels = in_channels;
  config.padding = padding;
  config.dropout = 0.0f;
  model = unet_model_new (&config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (model);

  unet_model_init_weights (model, seed);
  unet_rng_seed (&rng, seed + 1);
  for (guint p = 0; p < unet_model_get_n_params (model); p++)
    {
      UnetParam *param = unet_model_get_param (model, p);

      if (param->kind != UNET_PARAM_BIAS)
        continue;
      for (size_t i = 0; i < param->numel; i++)
        param->data[i] = (float) (0.1 + 0.1 * unet_rng_normal (&rng));
    }
  unet_model_set_normalization (model, mean, std);
  return model;
}

static float *
make_image (int     height,
            int     width,
            guint64 seed)
{
  size_t n = (size_t) 3 * height * width;
  float *rgb = g_new (float, n);
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  for (size_t i = 0; i < n; i++)
    rgb[i] = (float) unet_rng_uniform (&rng);
  return rgb;
}

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

static gboolean
predict (UnetModel   *model,
         const float *rgb,
         int          height,
         int          width,
         float       *probs,
         int          tile,
         gboolean     flip)
{
  g_autoptr(GError) error = NULL;
  UnetPredictOptions options = { .tile = tile, .flip = flip };
  gboolean ok = unet_model_predict (model, rgb, height, width, probs, &options, &error);

  g_assert_no_error (error);
  return ok;
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

static void
assert_probs_close (const float *actual,
                    const float *expected,
                    int          height,
                    int          width,
                    double       tolerance,
                    const char  *what)
{
  double worst = 0.0;
  int worst_k = 0, worst_y = 0, worst_x = 0;

  for (int k = 0; k < CLASSES; k++)
    for (int y = 0; y < height; y++)
      for (int x = 0; x < width; x++)
        {
          size_t i = ((size_t) k * height + y) * width + x;
          double d = fabs ((double) actual[i] - expected[i]);

          /* NAN never passes */
          if (!(d <= worst))
            {
              worst = isnan (d) ? INFINITY : d;
              worst_k = k;
              worst_y = y;
              worst_x = x;
            }
        }
  g_test_message ("%s (%d×%d): worst difference %.3g at class %d, row %d, column %d",
                  what, width, height, worst, worst_k, worst_y, worst_x);
  /* a failure, but the other sizes in the same test still run and report */
  if (!(worst <= tolerance))
    g_test_fail_printf ("%s (%d×%d): probability of class %d at row %d, column %d differs by %.3g "
                        "(tolerance %.0e)", what, width, height, worst_k, worst_y, worst_x, worst,
                        tolerance);
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

/* --- (a) probabilities ------------------------------------------------------------------------ */

static void
test_probabilities (void)
{
  const UnetPadding paddings[2] = { UNET_PADDING_VALID, UNET_PADDING_SAME };
  const int sizes[][2] = { { 37, 53 }, { 5, 7 }, { 1, 1 }, { 1, 40 }, { 64, 2 } };

  for (guint m = 0; m < G_N_ELEMENTS (paddings); m++)
    {
      g_autoptr(UnetModel) model = make_model (paddings[m], 3, 1);

      for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
        for (int flip = 0; flip < 2; flip++)
          {
            int h = sizes[s][0], w = sizes[s][1];
            size_t plane = (size_t) h * w;
            g_autofree float *rgb = make_image (h, w, 10 + s);
            /* one extra plane after the output, which must stay untouched */
            g_autofree float *probs = g_new (float, (CLASSES + 1) * plane);

            for (size_t i = 0; i < (CLASSES + 1) * plane; i++)
              probs[i] = NAN;
            g_assert_true (predict (model, rgb, h, w, probs, 20, flip));

            for (size_t i = 0; i < plane; i++)
              {
                double sum = 0.0;

                for (int k = 0; k < CLASSES; k++)
                  {
                    float p = probs[k * plane + i];

                    if (!(isfinite (p) && p >= 0.0f && p <= 1.0f))
                      g_error ("%s %d×%d flip %d: probability %g at class %d, pixel %zu",
                               unet_padding_to_string (paddings[m]), w, h, flip, p, k, i);
                    sum += p;
                  }
                g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-5);
                g_assert_true (isnan (probs[CLASSES * plane + i]));
              }
          }
    }
}

/* Predicting twice gives the same bits, and tiles do not leak state into one another. */
static void
test_deterministic (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_VALID, 3, 2);
  const int h = 41, w = 29;
  size_t n = (size_t) CLASSES * h * w;
  g_autofree float *rgb = make_image (h, w, 3);
  g_autofree float *first = g_new (float, n);
  g_autofree float *second = g_new (float, n);
  g_autofree float *other = make_image (h, w, 4);

  g_assert_true (predict (model, rgb, h, w, first, 20, FALSE));
  /* something else in between, at another tile size */
  g_assert_true (predict (model, other, h, w, second, 0, TRUE));
  g_assert_true (predict (model, rgb, h, w, second, 20, FALSE));
  g_assert_cmpmem (first, n * sizeof (float), second, n * sizeof (float));
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

/* --- threads ------------------------------------------------------------------------------------ */

/* The other tests run on one thread (see main); the engine's parallel loops and BLAS must give
 * the same probabilities on two, to rounding: OpenBLAS may cut a GEMM into other edge tiles for
 * two threads, which rounds a few sums differently (1.0e-6 seen through 12 layers in the
 * OpenBLAS-only build). */
static void
test_threads (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_VALID, 3, 12);
  const int h = 37, w = 53;
  size_t n = (size_t) CLASSES * h * w;
  g_autofree float *rgb = make_image (h, w, 13);
  g_autofree float *one = g_new (float, n);
  g_autofree float *two = g_new (float, n);

  g_assert_true (predict (model, rgb, h, w, one, 20, TRUE));
  unet_set_threads (2);
  g_assert_cmpint (unet_get_threads (), ==, 2);
  g_assert_true (predict (model, rgb, h, w, two, 20, TRUE));
  unet_set_threads (1);
  assert_probs_close (two, one, h, w, 1e-5, "two threads against one");
}

/* --- (e) errors ---------------------------------------------------------------------------------- */

static void
test_errors (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_VALID, 3, 9);
  g_autoptr(UnetModel) gray = make_model (UNET_PADDING_VALID, 1, 9);
  g_autoptr(UnetModel) four = make_model (UNET_PADDING_SAME, 4, 9);
  g_autofree float *rgb = make_image (8, 8, 1);
  const int empty[][2] = { { 0, 8 }, { 8, 0 }, { 0, 0 }, { -1, 8 }, { 8, -5 } };
  float probs[CLASSES * 8 * 8];

  for (guint i = 0; i < G_N_ELEMENTS (empty); i++)
    {
      g_autoptr(GError) error = NULL;

      for (guint j = 0; j < G_N_ELEMENTS (probs); j++)
        probs[j] = -7.0f;
      g_assert_false (unet_model_predict (model, rgb, empty[i][0], empty[i][1], probs, NULL, &error));
      g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE);
      g_test_message ("%s", error->message);
      for (guint j = 0; j < G_N_ELEMENTS (probs); j++)
        g_assert_cmpfloat (probs[j], ==, -7.0f);
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_false (unet_model_predict (gray, rgb, 8, 8, probs, NULL, &error));
    g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, "1"));
    g_clear_error (&error);

    g_assert_false (unet_model_predict (four, rgb, 8, 8, probs, NULL, &error));
    g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG);
    g_assert_nonnull (strstr (error->message, "4"));
    for (guint j = 0; j < G_N_ELEMENTS (probs); j++)
      g_assert_cmpfloat (probs[j], ==, -7.0f);
  }

  /* after the errors the model still predicts */
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (unet_model_predict (model, rgb, 8, 8, probs, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat_with_epsilon (probs[0] + probs[64] + probs[128], 1.0, 1e-5);
  }
}

/* The class map is the argmax of the probabilities, which come back unchanged when asked for. */
static void
test_predict_classes (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_VALID, 3, 21);
  g_autofree float *rgb = make_image (37, 53, 22);
  g_autofree float *probs = g_new (float, (size_t) CLASSES * 37 * 53);
  g_autofree float *returned = NULL;
  g_autofree guint8 *expected = g_new (guint8, 37 * 53);
  g_autofree guint8 *classes = NULL;
  g_autofree guint8 *again = NULL;
  g_autoptr(GError) error = NULL;
  guint n_classes_seen = 0;
  gboolean seen[256] = { FALSE };

  g_assert_true (unet_model_predict (model, rgb, 37, 53, probs, NULL, &error));
  g_assert_no_error (error);
  unet_argmax (expected, probs, (UnetShape) { 1, CLASSES, 37, 53 });

  classes = unet_model_predict_classes (model, rgb, 37, 53, NULL, &returned, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (classes, 37 * 53, expected, 37 * 53);
  g_assert_cmpmem (returned, sizeof (float) * CLASSES * 37 * 53, probs, sizeof (float) * CLASSES * 37 * 53);
  again = unet_model_predict_classes (model, rgb, 37, 53, NULL, NULL, &error);
  g_assert_cmpmem (again, 37 * 53, expected, 37 * 53);
  for (int i = 0; i < 37 * 53; i++)
    if (!seen[classes[i]])
      {
        seen[classes[i]] = TRUE;
        n_classes_seen++;
      }
  /* the case must not be trivially one class */
  g_assert_cmpuint (n_classes_seen, >, 1);

  g_assert_null (unet_model_predict_classes (model, rgb, 0, 53, NULL, NULL, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE);
}

/* --- input scale ---------------------------------------------------------------------------- */

/* The obvious definitions, in double: every input pixel weighted by how much of it the output
 * pixel's rectangle covers; and PyTorch's bilinear (align_corners=False) source index. */
static double
covered (int    i,
         double start,
         double end)
{
  return MAX (0.0, MIN (i + 1.0, end) - MAX ((double) i, start));
}

static void
reference_area (double      *out,
                const float *in,
                int          channels,
                int          in_h,
                int          in_w,
                int          out_h,
                int          out_w)
{
  for (int c = 0; c < channels; c++)
    for (int oy = 0; oy < out_h; oy++)
      for (int ox = 0; ox < out_w; ox++)
        {
          double y0 = (double) oy * in_h / out_h, y1 = (double) (oy + 1) * in_h / out_h;
          double x0 = (double) ox * in_w / out_w, x1 = (double) (ox + 1) * in_w / out_w;
          double sum = 0.0, area = 0.0;

          for (int y = 0; y < in_h; y++)
            for (int x = 0; x < in_w; x++)
              {
                double w = covered (y, y0, y1) * covered (x, x0, x1);

                sum += w * in[((size_t) c * in_h + y) * in_w + x];
                area += w;
              }
          out[((size_t) c * out_h + oy) * out_w + ox] = sum / area;
        }
}

static void
torch_source (int     o,
              int     in,
              int     out,
              int    *i0,
              int    *i1,
              double *lambda)
{
  double src = MAX ((o + 0.5) * in / out - 0.5, 0.0);

  *i0 = (int) floor (src);
  *i1 = MIN (*i0 + 1, in - 1);
  *lambda = src - *i0;
}

static void
reference_bilinear (double      *out,
                    const float *in,
                    int          channels,
                    int          in_h,
                    int          in_w,
                    int          out_h,
                    int          out_w)
{
  for (int c = 0; c < channels; c++)
    for (int oy = 0; oy < out_h; oy++)
      for (int ox = 0; ox < out_w; ox++)
        {
          const float *plane = in + (size_t) c * in_h * in_w;
          int y0, y1, x0, x1;
          double ly, lx;

          torch_source (oy, in_h, out_h, &y0, &y1, &ly);
          torch_source (ox, in_w, out_w, &x0, &x1, &lx);
          out[((size_t) c * out_h + oy) * out_w + ox] =
            (1 - ly) * ((1 - lx) * plane[y0 * in_w + x0] + lx * plane[y0 * in_w + x1]) +
            ly * ((1 - lx) * plane[y1 * in_w + x0] + lx * plane[y1 * in_w + x1]);
        }
}

static void
test_resize_reference (void)
{
  const int area_sizes[][4] = {
    { 37, 29, 19, 15 }, { 10, 10, 3, 7 }, { 75, 100, 38, 50 }, { 8, 6, 4, 3 },
    { 9, 1, 4, 1 }, { 5, 8, 5, 8 }, { 1, 1, 1, 1 }, { 13, 17, 1, 1 }, { 6, 6, 5, 4 },
  };
  const int bilinear_sizes[][4] = {
    { 19, 15, 37, 29 }, { 7, 5, 20, 13 }, { 1, 1, 3, 4 }, { 1, 6, 2, 17 }, { 5, 8, 5, 8 },
    { 37, 29, 19, 15 }, { 4, 4, 25, 9 }, { 188, 250, 375, 500 },
  };
  const int C = 3;

  for (int kind = 0; kind < 2; kind++)
    {
      guint n = kind == 0 ? G_N_ELEMENTS (area_sizes) : G_N_ELEMENTS (bilinear_sizes);

      for (guint s = 0; s < n; s++)
        {
          const int *size = kind == 0 ? area_sizes[s] : bilinear_sizes[s];
          int ih = size[0], iw = size[1], oh = size[2], ow = size[3];
          size_t n_out = (size_t) C * oh * ow;
          g_autofree float *in = make_image (ih, iw, 500 + s);
          g_autofree float *out = g_new (float, n_out);
          g_autofree float *threaded = g_new (float, n_out);
          g_autofree double *expected = g_new (double, n_out);

          if (kind == 0)
            {
              unet_resize_area (out, in, C, ih, iw, oh, ow);
              reference_area (expected, in, C, ih, iw, oh, ow);
            }
          else
            {
              unet_resize_bilinear (out, in, C, ih, iw, oh, ow);
              reference_bilinear (expected, in, C, ih, iw, oh, ow);
            }
          for (size_t i = 0; i < n_out; i++)
            if (fabs (out[i] - expected[i]) > 1e-6)
              g_error ("%s %d×%d → %d×%d: element %zu is %.9g, expected %.9g",
                       kind == 0 ? "area" : "bilinear", iw, ih, ow, oh, i, out[i], expected[i]);

          /* equal sizes copy exactly */
          if (ih == oh && iw == ow)
            g_assert_cmpmem (out, n_out * sizeof (float), in, n_out * sizeof (float));

          /* a few rows at a time, from only the input rows they need, as the whole */
          for (int y = 0; y < oh; y += 1 + y % 3)
            {
              UnetBand rows = { oh, ow, y, MIN (1 + y % 3, oh - y) };
              UnetBand source = kind == 0 ? unet_resize_area_source (rows, ih, iw)
                                          : unet_resize_bilinear_source (rows, ih, iw);
              g_autofree float *held = g_new (float, (size_t) C * source.rows * iw);
              g_autofree float *part = g_new (float, (size_t) C * rows.rows * ow);

              for (int c = 0; c < C; c++)
                memcpy (held + (size_t) c * source.rows * iw,
                        in + ((size_t) c * ih + source.y0) * iw,
                        sizeof (float) * source.rows * iw);
              if (kind == 0)
                unet_resize_area_band (part, rows, held, source, C);
              else
                unet_resize_bilinear_band (part, rows, held, source, C);
              for (int c = 0; c < C; c++)
                g_assert_cmpmem (part + (size_t) c * rows.rows * ow, sizeof (float) * rows.rows * ow,
                                 out + ((size_t) c * oh + y) * ow, sizeof (float) * rows.rows * ow);
            }

          /* rows are independent: threads give the same bits */
          unet_set_threads (3);
          if (kind == 0)
            unet_resize_area (threaded, in, C, ih, iw, oh, ow);
          else
            unet_resize_bilinear (threaded, in, C, ih, iw, oh, ow);
          unet_set_threads (1);
          g_assert_cmpmem (threaded, n_out * sizeof (float), out, n_out * sizeof (float));
        }
    }

  /* two known answers: halving is the mean of 2×2 blocks, and PyTorch's upsampling of
   * [[0, 1], [2, 3]] to 4×4 */
  {
    const float in[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
    const float halved[4] = { 2.5f, 4.5f, 10.5f, 12.5f };
    float out[4];

    unet_resize_area (out, in, 1, 4, 4, 2, 2);
    g_assert_cmpmem (out, sizeof out, halved, sizeof halved);
  }
  {
    const float in[4] = { 0, 1, 2, 3 };
    const float torch[16] = {
      0.0f, 0.25f, 0.75f, 1.0f, 0.5f, 0.75f, 1.25f, 1.5f,
      1.5f, 1.75f, 2.25f, 2.5f, 2.0f, 2.25f, 2.75f, 3.0f,
    };
    float out[16];

    unet_resize_bilinear (out, in, 1, 2, 2, 4, 4);
    for (int i = 0; i < 16; i++)
      g_assert_cmpfloat_with_epsilon (out[i], torch[i], 1e-6);
  }

  /* an input band without a row the output reads is a programming error */
  {
    float in[4 * 4] = { 0 }, out[4];

    g_test_expect_message ("unet", G_LOG_LEVEL_CRITICAL, "*band_contains*");
    unet_resize_area_band (out, (UnetBand) { 2, 4, 0, 1 }, in, (UnetBand) { 4, 4, 1, 3 }, 1);
    g_test_assert_expected_messages ();
  }

  g_assert_cmpint (unet_resize_scaled_size (375, 0.5), ==, 188);
  g_assert_cmpint (unet_resize_scaled_size (500, 0.5), ==, 250);
  g_assert_cmpint (unet_resize_scaled_size (1, 0.25), ==, 1);
  g_assert_cmpint (unet_resize_scaled_size (3, 0.1), ==, 1);
  g_assert_cmpint (unet_resize_scaled_size (7, 4.0), ==, 28);
}

static void
assert_probs_sum_to_one (const float *probs,
                         int          h,
                         int          w,
                         const char  *what)
{
  size_t plane = (size_t) h * w;

  for (size_t i = 0; i < plane; i++)
    {
      double sum = 0.0;

      for (int k = 0; k < CLASSES; k++)
        {
          float p = probs[k * plane + i];

          if (!(isfinite (p) && p >= 0.0f && p <= 1.0f))
            g_error ("%s: probability %g at class %d, pixel %zu", what, p, k, i);
          sum += p;
        }
      if (fabs (sum - 1.0) > 1e-5)
        g_error ("%s: probabilities of pixel %zu sum to %.9g", what, i, sum);
    }
}

/* Scale 1 is the plain prediction, bit for bit, also after the scale was something else; a scale
 * that leaves a tiny image its size changes nothing either. */
static void
test_scale_one (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_VALID, 3, 31);
  const int h = 37, w = 29;
  size_t n = (size_t) CLASSES * h * w;
  g_autofree float *rgb = make_image (h, w, 32);
  g_autofree float *first = g_new (float, n);
  g_autofree float *scaled = g_new (float, n);
  g_autofree float *again = g_new (float, n);

  g_assert_cmpfloat (unet_model_get_input_scale (model), ==, 1.0);
  g_assert_true (predict (model, rgb, h, w, first, 20, FALSE));
  unet_model_set_input_scale (model, 0.5);
  g_assert_cmpfloat (unet_model_get_input_scale (model), ==, 0.5);
  g_assert_true (predict (model, rgb, h, w, scaled, 20, FALSE));
  g_assert_true (memcmp (first, scaled, n * sizeof (float)) != 0);
  unet_model_set_input_scale (model, 1.0);
  g_assert_true (predict (model, rgb, h, w, again, 20, FALSE));
  g_assert_cmpmem (first, n * sizeof (float), again, n * sizeof (float));

  {
    g_autofree float *tiny = make_image (3, 3, 33);
    float plain[CLASSES * 9], near_one[CLASSES * 9];

    g_assert_true (predict (model, tiny, 3, 3, plain, 0, FALSE));
    unet_model_set_input_scale (model, 1.1);
    g_assert_true (predict (model, tiny, 3, 3, near_one, 0, FALSE));
    g_assert_cmpmem (plain, sizeof plain, near_one, sizeof near_one);
  }

  /* out of range is a programming error, and changes nothing */
  unet_model_set_input_scale (model, 0.5);
  g_test_expect_message ("unet", G_LOG_LEVEL_CRITICAL, "*scale > 0.0*");
  unet_model_set_input_scale (model, 0.0);
  g_test_assert_expected_messages ();
  g_test_expect_message ("unet", G_LOG_LEVEL_CRITICAL, "*scale > 0.0*");
  unet_model_set_input_scale (model, 4.5);
  g_test_assert_expected_messages ();
  g_test_expect_message ("unet", G_LOG_LEVEL_CRITICAL, "*scale > 0.0*");
  unet_model_set_input_scale (model, NAN);
  g_test_assert_expected_messages ();
  g_assert_cmpfloat (unet_model_get_input_scale (model), ==, 0.5);
}

/* At scale s the prediction is: shrink (area) or grow (bilinear) the image, predict at that size
 * with the same tile, bring the probabilities back bilinearly. Full size, summing to 1. */
static void
test_scale_pipeline (void)
{
  const UnetPadding paddings[2] = { UNET_PADDING_VALID, UNET_PADDING_SAME };
  const double scales[3] = { 0.5, 0.3, 2.0 };
  const int h = 37, w = 29;
  size_t n = (size_t) CLASSES * h * w;

  for (guint m = 0; m < G_N_ELEMENTS (paddings); m++)
    for (guint s = 0; s < G_N_ELEMENTS (scales); s++)
      for (int flip = 0; flip < 2; flip++)
        {
          g_autoptr(UnetModel) model = make_model (paddings[m], 3, 40 + m);
          g_autofree float *rgb = make_image (h, w, 41 + s);
          g_autofree float *probs = g_new (float, n + 1);
          int sh = unet_resize_scaled_size (h, scales[s]);
          int sw = unet_resize_scaled_size (w, scales[s]);
          g_autofree float *small_rgb = g_new (float, (size_t) 3 * sh * sw);
          g_autofree float *small_probs = g_new (float, (size_t) CLASSES * sh * sw);
          g_autofree float *expected = g_new (float, n);
          g_autofree char *what = g_strdup_printf ("%s, scale %g, flip %d",
                                                   unet_padding_to_string (paddings[m]),
                                                   scales[s], flip);
          /* small tiles, so that the scaled image still takes several */
          int tile = paddings[m] == UNET_PADDING_VALID ? 8 : 96;

          g_test_message ("%s: %d×%d at %d×%d", what, w, h, sw, sh);
          probs[n] = 42.0f;
          unet_model_set_input_scale (model, scales[s]);
          g_assert_true (predict (model, rgb, h, w, probs, tile, flip));
          g_assert_cmpfloat (probs[n], ==, 42.0f);
          assert_probs_sum_to_one (probs, h, w, what);

          if (scales[s] < 1.0)
            unet_resize_area (small_rgb, rgb, 3, h, w, sh, sw);
          else
            unet_resize_bilinear (small_rgb, rgb, 3, h, w, sh, sw);
          unet_model_set_input_scale (model, 1.0);
          g_assert_true (predict (model, small_rgb, sh, sw, small_probs, tile, flip));
          unet_resize_bilinear (expected, small_probs, CLASSES, sh, sw, h, w);
          g_assert_cmpmem (probs, n * sizeof (float), expected, n * sizeof (float));
        }
}

/* A constant colour gives valid padding the same input everywhere, at any size: every pixel
 * gets the class (and nearly the probabilities) it gets at scale 1. The up-convolutions get the
 * same weights at all four kernel positions, or their output would repeat every 2^depth pixels
 * instead of being constant. */
static void
test_scale_constant (void)
{
  const double scales[3] = { 0.5, 0.25, 3.0 };
  const int h = 45, w = 31;
  size_t plane = (size_t) h * w;
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_VALID, 3, 50);
  g_autofree float *rgb = g_new (float, 3 * plane);
  g_autoptr(GError) error = NULL;
  g_autofree float *probs_one = NULL;
  g_autofree guint8 *classes_one = NULL;

  for (int level = 0; level < DEPTH; level++)
    {
      g_autofree char *name = g_strdup_printf ("dec.%d.up.weight", level);
      UnetParam *up = unet_model_find_param (model, name);

      g_assert_nonnull (up);
      for (size_t i = 0; i < up->numel; i += 4)
        up->data[i + 1] = up->data[i + 2] = up->data[i + 3] = up->data[i];
    }
  for (int c = 0; c < 3; c++)
    for (size_t i = 0; i < plane; i++)
      rgb[c * plane + i] = 0.2f + 0.3f * c;
  classes_one = unet_model_predict_classes (model, rgb, h, w, NULL, &probs_one, &error);
  g_assert_no_error (error);
  for (size_t i = 1; i < plane; i++)
    g_assert_cmpuint (classes_one[i], ==, classes_one[0]);

  for (guint s = 0; s < G_N_ELEMENTS (scales); s++)
    {
      g_autofree float *probs = NULL;
      g_autofree guint8 *classes = NULL;

      unet_model_set_input_scale (model, scales[s]);
      classes = unet_model_predict_classes (model, rgb, h, w, NULL, &probs, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (classes, plane, classes_one, plane);
      for (size_t i = 0; i < CLASSES * plane; i++)
        g_assert_cmpfloat_with_epsilon (probs[i], probs_one[i], 1e-5);
    }
}

/* Five classes over six pixels; the most probable class of each pixel, by column:
 * 0 2 2 3 3 3 → class 3 has 3 pixels, class 2 has 2, class 1 and 4 none. */
static const float restrict_input[5][6] = {
  { 0.60f, 0.10f, 0.15f, 0.10f, 0.20f, 0.30f },
  { 0.10f, 0.20f, 0.10f, 0.10f, 0.05f, 0.05f },
  { 0.10f, 0.50f, 0.60f, 0.20f, 0.05f, 0.05f },
  { 0.10f, 0.10f, 0.05f, 0.50f, 0.60f, 0.40f },
  { 0.10f, 0.10f, 0.10f, 0.10f, 0.10f, 0.20f },
};

/* One foreground class: class 3, the largest, stays; the others' mass goes, pixel by pixel
 * renormalised. Class 0 stays even though it wins fewer pixels than class 2. */
static void
test_restrict_classes (void)
{
  float probs[5][6];

  memcpy (probs, restrict_input, sizeof probs);
  unet_restrict_classes (&probs[0][0], 5, 6, 1);
  for (int i = 0; i < 6; i++)
    {
      float kept = restrict_input[0][i] + restrict_input[3][i];

      g_assert_cmpfloat_with_epsilon (probs[0][i], restrict_input[0][i] / kept, 1e-6);
      g_assert_cmpfloat_with_epsilon (probs[3][i], restrict_input[3][i] / kept, 1e-6);
      g_assert_cmpfloat (probs[1][i], ==, 0.0f);
      g_assert_cmpfloat (probs[2][i], ==, 0.0f);
      g_assert_cmpfloat (probs[4][i], ==, 0.0f);
    }
  /* the pixels class 2 won go to the better of 0 and 3 */
  g_assert_cmpfloat (probs[3][2], <, probs[0][2]);
  g_assert_cmpfloat (probs[3][3], >, probs[0][3]);

  /* two: classes 3 and 2; the rest had no pixel, so nothing changes at all */
  memcpy (probs, restrict_input, sizeof probs);
  unet_restrict_classes (&probs[0][0], 5, 6, 2);
  g_assert_cmpmem (probs, sizeof probs, restrict_input, sizeof restrict_input);

  /* 0 and classes-1 or more set no limit */
  for (int max_classes = 0; max_classes < 8; max_classes += 4)
    {
      memcpy (probs, restrict_input, sizeof probs);
      unet_restrict_classes (&probs[0][0], 5, 6, max_classes);
      g_assert_cmpmem (probs, sizeof probs, restrict_input, sizeof restrict_input);
    }
}

/* Equal areas go to the lower class number; a pixel whose whole mass was in dropped classes
 * becomes class 0 rather than 0/0. */
static void
test_restrict_classes_ties (void)
{
  float probs[4][2] = {
    { 0.0f, 0.0f },
    { 0.0f, 0.0f },
    { 1.0f, 0.0f },
    { 0.0f, 1.0f },
  };

  unet_restrict_classes (&probs[0][0], 4, 2, 1);
  g_assert_cmpfloat (probs[2][0], ==, 1.0f);
  g_assert_cmpfloat (probs[3][1], ==, 0.0f);
  g_assert_cmpfloat (probs[0][1], ==, 1.0f);
  g_assert_cmpfloat (probs[0][0], ==, 0.0f);
}

/* The model's limit applies to every prediction unless the options override it, and is the
 * restriction of the unlimited prediction (at scale 1, where nothing is resized after it). */
static void
test_restrict_model (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_SAME, 3, 77);
  const int h = 40, w = 36;
  size_t plane = (size_t) h * w, n = CLASSES * plane;
  g_autofree float *rgb = make_image (h, w, 78);
  g_autofree float *free_probs = g_new (float, n);
  g_autofree float *limited = g_new (float, n);
  g_autofree guint8 *free_classes = g_new (guint8, plane);
  g_autoptr(GError) error = NULL;
  UnetPredictOptions unlimited = { .max_classes = -1 };
  UnetPredictOptions one = { .max_classes = 1 };
  gboolean seen[CLASSES] = { FALSE };

  g_assert_cmpint (unet_model_get_max_classes (model), ==, 0);
  g_assert_true (unet_model_predict (model, rgb, h, w, free_probs, NULL, &error));
  g_assert_no_error (error);
  unet_argmax (free_classes, free_probs, (UnetShape) { 1, CLASSES, h, w });
  for (size_t i = 0; i < plane; i++)
    seen[free_classes[i]] = TRUE;
  /* the test means something only if both foreground classes win pixels */
  g_assert_true (seen[1] && seen[2]);

  unet_model_set_max_classes (model, 1);
  g_assert_cmpint (unet_model_get_max_classes (model), ==, 1);
  g_assert_true (unet_model_predict (model, rgb, h, w, limited, &unlimited, &error));
  g_assert_cmpmem (limited, n * sizeof (float), free_probs, n * sizeof (float));

  g_assert_true (unet_model_predict (model, rgb, h, w, limited, NULL, &error));
  unet_restrict_classes (free_probs, CLASSES, plane, 1);
  g_assert_cmpmem (limited, n * sizeof (float), free_probs, n * sizeof (float));
  assert_probs_sum_to_one (limited, h, w, "max_classes 1");

  /* the options' limit wins over the model's none */
  unet_model_set_max_classes (model, 0);
  g_assert_true (unet_model_predict (model, rgb, h, w, free_probs, &one, &error));
  g_assert_cmpmem (limited, n * sizeof (float), free_probs, n * sizeof (float));

  /* at input scale 0.5 the classes of the result are still class 0 and one other */
  unet_model_set_input_scale (model, 0.5);
  {
    g_autofree guint8 *classes = unet_model_predict_classes (model, rgb, h, w, &one, NULL,
                                                             &error);
    gboolean scaled_seen[CLASSES] = { FALSE };

    g_assert_no_error (error);
    for (size_t i = 0; i < plane; i++)
      scaled_seen[classes[i]] = TRUE;
    g_assert_false (scaled_seen[1] && scaled_seen[2]);
  }

  g_test_expect_message ("unet", G_LOG_LEVEL_CRITICAL, "*max_classes*");
  unet_model_set_max_classes (model, -1);
  g_test_assert_expected_messages ();
  g_assert_cmpint (unet_model_get_max_classes (model), ==, 0);
}

/* One pass gives both the limited probabilities and the unlimited ones, each bit for bit what
 * its own prediction gives, at the network's scale and at input scale 0.5. */
static void
test_restrict_one_pass (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_SAME, 3, 79);
  const int h = 40, w = 36;
  size_t plane = (size_t) h * w, n = CLASSES * plane;
  g_autofree float *rgb = make_image (h, w, 80);
  g_autofree float *limited = g_new (float, n);
  g_autofree float *unlimited = g_new (float, n);
  g_autofree float *expected = g_new (float, n);
  g_autofree guint8 *classes = g_new (guint8, plane);
  g_autofree guint8 *expected_classes = g_new (guint8, plane);
  UnetPredictOptions no_limit = { .max_classes = -1 };
  UnetImage image = { h, w, rgb, NULL };
  UnetPrediction both = { .classes = classes, .probs = limited, .unlimited_probs = unlimited };

  unet_model_set_max_classes (model, 1);
  for (int pass = 0; pass < 2; pass++)
    {
      g_autoptr(GError) error = NULL;

      unet_model_set_input_scale (model, pass == 0 ? 1.0 : 0.5);
      g_assert_true (unet_model_predict_image (model, &image, NULL, &both, &error));
      g_assert_no_error (error);

      g_assert_true (unet_model_predict (model, rgb, h, w, expected, NULL, &error));
      g_assert_cmpmem (limited, n * sizeof (float), expected, n * sizeof (float));
      unet_argmax (expected_classes, expected, (UnetShape) { 1, CLASSES, h, w });
      g_assert_cmpmem (classes, plane, expected_classes, plane);

      g_assert_true (unet_model_predict (model, rgb, h, w, expected, &no_limit, &error));
      g_assert_cmpmem (unlimited, n * sizeof (float), expected, n * sizeof (float));
      /* and the limit did change something, or the test would prove nothing */
      g_assert_true (memcmp (limited, unlimited, n * sizeof (float)) != 0);
    }
}

/* --- prediction by bands ------------------------------------------------------------------- */

/* What unet_model_predict_image must give, from whole-image probabilities: unet_argmax's classes
 * (the lower class on a tie), the winner's probability, and the entropy in nats as the app has
 * always shown it. */
static void
summarize_reference (const float *probs,
                     int          h,
                     int          w,
                     guint8      *classes,
                     float       *confidence,
                     float       *entropy)
{
  size_t plane = (size_t) h * w;

  unet_argmax (classes, probs, (UnetShape) { 1, CLASSES, h, w });
  for (size_t i = 0; i < plane; i++)
    {
      double e = 0.0;

      confidence[i] = probs[classes[i] * plane + i];
      for (int k = 0; k < CLASSES; k++)
        {
          float p = probs[k * plane + i];

          if (p > 0.0f)
            e -= p * log (p);
        }
      entropy[i] = (float) e;
    }
}

/* Packed 8-bit RGB [h,w,3], as a decoder gives it: noise over colours that change from the top
 * of the image to the bottom, so that different classes win in different bands. */
static guint8 *
make_image8 (int     h,
             int     w,
             guint64 seed)
{
  guint8 *rgb8 = g_new (guint8, (size_t) 3 * h * w);
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        {
          double ramp = c == 1 ? (double) x / w : c == 0 ? (double) y / h : 1.0 - (double) y / h;

          rgb8[((size_t) y * w + x) * 3 + c] = (guint8) (unet_rng_below (&rng, 128) + 127 * ramp);
        }
  return rgb8;
}

/* The planar floats voc_image_load_rgb makes of the same pixels. */
static float *
image8_to_float (const guint8 *rgb8,
                 int           h,
                 int           w)
{
  size_t plane = (size_t) h * w;
  float *rgb = g_new (float, 3 * plane);

  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      rgb[c * plane + i] = (float) rgb8[3 * i + c] / 255.0f;
  return rgb;
}

/* The first pixel where two arrays of n elements of `size` bytes differ, or -1. */
static gssize
first_difference (const void *a,
                  const void *b,
                  size_t      n,
                  size_t      size)
{
  for (size_t i = 0; i < n; i++)
    if (memcmp ((const char *) a + i * size, (const char *) b + i * size, size) != 0)
      return (gssize) i;
  return -1;
}

typedef struct
{
  UnetPadding padding;
  int         h;
  int         w;
  int         tile;
  int         keep;   /* network rows one row of tiles keeps at that tile */
  guint64     seed;   /* a model under which both foreground classes win pixels */
} BandCase;

/* Predictions by bands to compare with the whole image's: by single rows of tiles from floats
 * and from bytes, by three rows from bytes, and in one band from floats. */
static const struct
{
  int      tile_rows;  /* 0: as many as the default budget holds, here all */
  gboolean eight_bit;
} band_runs[] = { { 1, FALSE }, { 1, TRUE }, { 3, TRUE }, { 0, FALSE } };

/* Predicting by bands (band_runs) gives the whole-image prediction's classes, confidence and
 * entropy bit for bit. */
static void
check_bands (UnetModel                *model,
             const BandCase           *bc,
             const UnetPredictOptions *options,
             const char               *what,
             guint8                   *expected_classes)
{
  int h = bc->h, w = bc->w;
  size_t plane = (size_t) h * w;
  int net_w = unet_resize_scaled_size (w, unet_model_get_input_scale (model));
  g_autofree guint8 *rgb8 = make_image8 (h, w, 600 + h);
  g_autofree float *rgb = image8_to_float (rgb8, h, w);
  g_autofree float *probs = g_new (float, CLASSES * plane);
  g_autofree float *expected_confidence = g_new (float, plane);
  g_autofree float *expected_entropy = g_new (float, plane);
  g_autofree guint8 *classes = g_new (guint8, plane);
  g_autofree float *confidence = g_new (float, plane);
  g_autofree float *entropy = g_new (float, plane);
  /* a network row costs (classes + 3) floats a column */
  size_t tile_row_bytes = (size_t) (CLASSES + 3) * sizeof (float) * net_w * bc->keep;
  /* under valgrind, which runs this 20 to 50 times slower, the two with the most buffers */
  guint n_runs = g_getenv ("UNET_TEST_VALGRIND") != NULL ? 2 : G_N_ELEMENTS (band_runs);
  g_autoptr(GError) error = NULL;

  g_assert_true (unet_model_predict (model, rgb, h, w, probs, options, &error));
  g_assert_no_error (error);
  summarize_reference (probs, h, w, expected_classes, expected_confidence, expected_entropy);

  for (guint b = 0; b < n_runs; b++)
    {
      gboolean eight_bit = band_runs[b].eight_bit;
      UnetPredictOptions banded = *options;
      UnetImage image = { h, w, eight_bit ? NULL : rgb, eight_bit ? rgb8 : NULL };
      UnetPrediction out = { classes, confidence, entropy, NULL };
      gssize at;

      memset (classes, 0xff, plane);
      banded.band_bytes = band_runs[b].tile_rows * tile_row_bytes;
      g_assert_true (unet_model_predict_image (model, &image, &banded, &out, &error));
      g_assert_no_error (error);
      at = first_difference (classes, expected_classes, plane, 1);
      if (at < 0)
        at = first_difference (confidence, expected_confidence, plane, sizeof (float));
      if (at < 0)
        at = first_difference (entropy, expected_entropy, plane, sizeof (float));
      if (at >= 0)
        g_test_fail_printf ("%s, bands of %d tile rows, %s input: pixel %zd (row %zd) is class "
                            "%u p %.9g H %.9g, the whole image's %u p %.9g H %.9g", what,
                            band_runs[b].tile_rows, eight_bit ? "8-bit" : "float", at, at / w,
                            classes[at], confidence[at], entropy[at], expected_classes[at],
                            expected_confidence[at], expected_entropy[at]);
    }
}

static void
test_bands_equal_whole (void)
{
  /* Same padding's smallest tile (96) keeps 32 rows, and 160 keeps 96; valid padding's tile 8
   * keeps 8 rows. Every image has several rows of tiles at every scale; at scale 2 the larger
   * tiles cost less, for the same coverage. */
  const BandCase cases[] = {
    { UNET_PADDING_VALID, 45, 23, 8, 8, 120 },
    { UNET_PADDING_SAME, 203, 37, 96, 96 - 2 * SAME_MARGIN, 101 },
  };
  const BandCase doubled[] = {
    { UNET_PADDING_VALID, 45, 23, 16, 16, 120 },
    { UNET_PADDING_SAME, 203, 37, 160, 160 - 2 * SAME_MARGIN, 101 },
  };
  const double scales[] = { 1.0, 0.5, 2.0 };

  /* under valgrind, with the flip only: it runs every step the plain prediction does */
  int first_flip = g_getenv ("UNET_TEST_VALGRIND") != NULL ? 1 : 0;

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    for (guint s = 0; s < G_N_ELEMENTS (scales); s++)
      for (int flip = first_flip; flip < 2; flip++)
        {
          const BandCase *bc = scales[s] > 1.0 ? &doubled[c] : &cases[c];
          g_autoptr(UnetModel) model = make_model (bc->padding, 3, bc->seed);
          size_t plane = (size_t) bc->h * bc->w;
          g_autofree guint8 *free_classes = g_new (guint8, plane);
          g_autofree guint8 *limited_classes = g_new (guint8, plane);
          gboolean seen[CLASSES] = { FALSE };

          unet_model_set_input_scale (model, scales[s]);
          for (int max_classes = 0; max_classes < 2; max_classes++)
            {
              UnetPredictOptions options = { .tile = bc->tile, .flip = flip,
                                             .max_classes = max_classes };
              g_autofree char *what = g_strdup_printf ("%s %d×%d, tile %d, scale %g, flip %d, "
                                                       "max_classes %d",
                                                       unet_padding_to_string (bc->padding),
                                                       bc->w, bc->h, bc->tile, scales[s], flip,
                                                       max_classes);

              check_bands (model, bc, &options, what,
                           max_classes == 0 ? free_classes : limited_classes);
            }
          /* both foreground classes win pixels, so that the limit has something to drop */
          for (size_t i = 0; i < plane; i++)
            seen[free_classes[i]] = TRUE;
          g_assert_true (seen[1] && seen[2]);
          g_assert_true (memcmp (free_classes, limited_classes, plane) != 0);
        }
}

/* A model with a limit of its own, an image whose scaled size is its own, and the whole-image
 * path from bytes. */
static void
test_bands_details (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_SAME, 3, 95);
  const int h = 150, w = 20;
  size_t plane = (size_t) h * w;
  g_autofree guint8 *rgb8 = make_image8 (h, w, 96);
  g_autofree float *rgb = image8_to_float (rgb8, h, w);
  g_autofree float *probs = g_new (float, CLASSES * plane);
  g_autofree float *probs8 = g_new (float, CLASSES * plane);
  g_autofree guint8 *expected = g_new (guint8, plane);
  g_autofree guint8 *classes = g_new (guint8, plane);
  g_autofree float *confidence = g_new (float, plane);
  g_autoptr(GError) error = NULL;
  UnetPredictOptions options = { .tile = 96, .band_bytes = 1 };
  UnetImage image = { h, w, NULL, rgb8 };
  UnetPrediction out = { classes, confidence, NULL, NULL };

  /* the model's own limit applies, by bands too */
  unet_model_set_max_classes (model, 1);
  g_assert_true (unet_model_predict (model, rgb, h, w, probs, &options, &error));
  unet_argmax (expected, probs, (UnetShape) { 1, CLASSES, h, w });
  g_assert_true (unet_model_predict_image (model, &image, &options, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (classes, plane, expected, plane);

  /* 1.1 leaves a 3-pixel side as it is: the unscaled path, from bytes */
  {
    g_autofree guint8 *tiny8 = make_image8 (3, 3, 98);
    g_autofree float *tiny_rgb = image8_to_float (tiny8, 3, 3);
    UnetImage tiny = { 3, 3, NULL, tiny8 };
    float tiny_probs[CLASSES * 9];
    guint8 tiny_expected[9];

    unet_model_set_input_scale (model, 1.1);
    g_assert_true (unet_model_predict (model, tiny_rgb, 3, 3, tiny_probs, NULL, &error));
    unet_argmax (tiny_expected, tiny_probs, (UnetShape) { 1, CLASSES, 3, 3 });
    g_assert_true (unet_model_predict_image (model, &tiny, &options, &out, &error));
    g_assert_cmpmem (classes, 9, tiny_expected, 9);
    unet_model_set_input_scale (model, 1.0);
  }

  /* asked for all probabilities, an 8-bit image gives those of its floats */
  out.probs = probs8;
  g_assert_true (unet_model_predict_image (model, &image, NULL, &out, &error));
  g_assert_true (unet_model_predict (model, rgb, h, w, probs, NULL, &error));
  g_assert_cmpmem (probs8, CLASSES * plane * sizeof (float), probs, CLASSES * plane * sizeof (float));
  unet_argmax (expected, probs, (UnetShape) { 1, CLASSES, h, w });
  g_assert_cmpmem (classes, plane, expected, plane);

  /* errors: as unet_model_predict's, and exactly one layout */
  image.height = 0;
  g_assert_false (unet_model_predict_image (model, &image, NULL, &out, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE);
  g_clear_error (&error);
  image = (UnetImage) { h, w, rgb, rgb8 };
  g_test_expect_message ("unet", G_LOG_LEVEL_CRITICAL, "*rgb8*");
  g_assert_false (unet_model_predict_image (model, &image, NULL, &out, &error));
  g_test_assert_expected_messages ();
}

/* --- memory of a prediction by bands --------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
# define COUNTING_MALLOC 0
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define COUNTING_MALLOC 0
# endif
#endif
#ifndef COUNTING_MALLOC
# define COUNTING_MALLOC 1
#endif

#if COUNTING_MALLOC

/* The allocator interposed to follow the bytes in use and their peak (as test-model.c counts
 * allocations), so that a test can see how much memory a prediction takes besides its input
 * and outputs. */
extern void *__libc_malloc (size_t);
extern void *__libc_calloc (size_t, size_t);
extern void *__libc_realloc (void *, size_t);
extern void *__libc_memalign (size_t, size_t);
extern void __libc_free (void *);
static gint64 live_bytes = 0;
static gint64 peak_bytes = 0;

static void
track (void   *p,
       gint64  sign)
{
  gint64 live, peak;

  if (p == NULL)
    return;
  live = __atomic_add_fetch (&live_bytes, sign * (gint64) malloc_usable_size (p),
                             __ATOMIC_SEQ_CST);
  peak = __atomic_load_n (&peak_bytes, __ATOMIC_SEQ_CST);
  while (live > peak &&
         !__atomic_compare_exchange_n (&peak_bytes, &peak, live, FALSE, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST))
    ;
}

void *
malloc (size_t n)
{
  void *p = __libc_malloc (n);

  track (p, 1);
  return p;
}

void *
calloc (size_t n,
        size_t size)
{
  void *p = __libc_calloc (n, size);

  track (p, 1);
  return p;
}

void *
realloc (void   *p,
         size_t  n)
{
  void *q;

  track (p, -1);
  q = __libc_realloc (p, n);
  /* a failed realloc leaves the block as it was */
  track (q != NULL || n == 0 ? q : p, 1);
  return q;
}

void
free (void *p)
{
  track (p, -1);
  __libc_free (p);
}

int
posix_memalign (void   **out,
                size_t   alignment,
                size_t   n)
{
  void *p = __libc_memalign (alignment, n);

  if (p == NULL)
    return ENOMEM;
  track (p, 1);
  *out = p;
  return 0;
}

void *
aligned_alloc (size_t alignment,
               size_t n)
{
  void *p = __libc_memalign (alignment, n);

  track (p, 1);
  return p;
}

/* Whether our malloc is the one called: valgrind puts its own in place of every malloc. */
static gboolean
tracking_works (void)
{
  gint64 before = __atomic_load_n (&live_bytes, __ATOMIC_SEQ_CST);
  g_autofree char *probe = g_malloc (4096);

  return __atomic_load_n (&live_bytes, __ATOMIC_SEQ_CST) >= before + 4096;
}

/* Bytes a prediction takes at its peak beyond what was in use before it. The first call
 * prepares the network for the tile (its buffers belong to the model, whatever the image) and
 * starts the thread pools; the second is measured. */
static gint64
prediction_peak (UnetModel                *model,
                 const UnetImage          *image,
                 const UnetPredictOptions *options,
                 const UnetPrediction     *out)
{
  gint64 before;

  g_assert_true (unet_model_predict_image (model, image, options, out, NULL));
  before = __atomic_load_n (&live_bytes, __ATOMIC_SEQ_CST);
  __atomic_store_n (&peak_bytes, before, __ATOMIC_SEQ_CST);
  g_assert_true (unet_model_predict_image (model, image, options, out, NULL));
  return __atomic_load_n (&peak_bytes, __ATOMIC_SEQ_CST) - before;
}
#endif

/* By bands, the memory a prediction takes does not grow with the image: the same for an image
 * eight times as tall, in the slowest case (input scale, flip, a class limit that takes two
 * passes, bytes to convert), and well below the image's probabilities. In one band it grows. */
static void
test_bands_memory (void)
{
#if COUNTING_MALLOC
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_SAME, 3, 101);
  const int heights[2] = { 256, 2048 }, w = 64;
  UnetPredictOptions options = { .tile = 96, .flip = TRUE, .max_classes = 1, .band_bytes = 1 };
  gint64 banded[2], whole[2];

  if (!tracking_works ())
    {
      g_test_skip ("another allocator (valgrind's) replaces the tracking one");
      return;
    }
  unet_model_set_input_scale (model, 0.5);
  for (int i = 0; i < 2; i++)
    {
      int h = heights[i];
      size_t plane = (size_t) h * w;
      g_autofree guint8 *rgb8 = make_image8 (h, w, 97);
      g_autofree guint8 *classes = g_new (guint8, plane);
      g_autofree float *confidence = g_new (float, plane);
      g_autofree float *entropy = g_new (float, plane);
      UnetImage image = { h, w, NULL, rgb8 };
      UnetPrediction out = { classes, confidence, entropy, NULL };
      UnetPredictOptions one_band = options;

      banded[i] = prediction_peak (model, &image, &options, &out);
      one_band.band_bytes = 0;
      whole[i] = prediction_peak (model, &image, &one_band, &out);
      g_test_message ("%d×%d: %" G_GINT64_FORMAT " bytes by bands, %" G_GINT64_FORMAT
                      " in one band; its probabilities take %zu", w, h, banded[i], whole[i],
                      CLASSES * sizeof (float) * plane);
    }
  /* a little slack for the allocator's rounding and the threads' bookkeeping */
  g_assert_cmpint (banded[1], <=, banded[0] + 4096);
  g_assert_cmpint (banded[1], <, (gint64) (CLASSES * sizeof (float) * heights[1] * w / 8));
  g_assert_cmpint (whole[1], >, whole[0] + (gint64) (CLASSES * sizeof (float) * (heights[1] - heights[0]) * w / 4 / 2));
#else
  g_test_skip ("the allocation tracker cannot coexist with AddressSanitizer's allocator");
#endif
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* The tiles here are tiny: extra threads only add synchronisation, which on a loaded machine
   * costs seconds per test. */
  unet_set_threads (1);

  g_test_add_func ("/infer/probabilities", test_probabilities);
  g_test_add_func ("/infer/deterministic", test_deterministic);
  g_test_add_func ("/infer/classes", test_predict_classes);
  g_test_add_func ("/infer/valid/tiles-aligned", test_valid_tiles_aligned);
  g_test_add_func ("/infer/valid/tiles-odd", test_valid_tiles_odd);
  g_test_add_func ("/infer/valid/single-tile", test_valid_single_tile);
  g_test_add_func ("/infer/valid/reference-sensitive", test_valid_reference_sensitive);
  g_test_add_func ("/infer/same/single-tile", test_same_single_tile);
  g_test_add_func ("/infer/same/tiles-aligned", test_same_tiles_aligned);
  g_test_add_func ("/infer/same/tiles-odd", test_same_tiles_odd);
  g_test_add_func ("/infer/flip/aligned", test_flip_aligned);
  g_test_add_func ("/infer/flip/odd", test_flip_odd);
  g_test_add_func ("/infer/threads", test_threads);
  g_test_add_func ("/infer/errors", test_errors);
  g_test_add_func ("/infer/scale/resize-reference", test_resize_reference);
  g_test_add_func ("/infer/scale/one", test_scale_one);
  g_test_add_func ("/infer/scale/pipeline", test_scale_pipeline);
  g_test_add_func ("/infer/scale/constant", test_scale_constant);
  g_test_add_func ("/infer/restrict/classes", test_restrict_classes);
  g_test_add_func ("/infer/restrict/ties", test_restrict_classes_ties);
  g_test_add_func ("/infer/restrict/model", test_restrict_model);
  g_test_add_func ("/infer/restrict/one-pass", test_restrict_one_pass);
  g_test_add_func ("/infer/bands/equal-whole", test_bands_equal_whole);
  g_test_add_func ("/infer/bands/details", test_bands_details);
  g_test_add_func ("/infer/bands/memory", test_bands_memory);

  return g_test_run ();
}
