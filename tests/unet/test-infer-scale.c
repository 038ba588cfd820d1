/* test-infer-scale.c: the resize references and prediction at an input scale
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "unet/unet-resize.h"
#include "unet/unet-threads.h"

#include "test-infer.h"

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

void
test_infer_scale_register (void)
{
  g_test_add_func ("/infer/scale/resize-reference", test_resize_reference);
  g_test_add_func ("/infer/scale/one", test_scale_one);
  g_test_add_func ("/infer/scale/pipeline", test_scale_pipeline);
  g_test_add_func ("/infer/scale/constant", test_scale_constant);
}
