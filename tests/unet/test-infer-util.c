/* test-infer-util.c: what the inference tests share
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "unet/unet-rng.h"

#include "test-infer.h"

/* Depth 2, base 4: small enough for many tiles per test. The biases get small positive values
 * instead of zeros, so that fewer units are dead and the probabilities vary from pixel to pixel:
 * a misplaced tile must show. */
UnetModel *
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

float *
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

gboolean
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

void
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

void
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

/* Packed 8-bit RGB [h,w,3], as a decoder gives it: noise over colours that change from the top
 * of the image to the bottom, so that different classes win in different bands. */
guint8 *
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
