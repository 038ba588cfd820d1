/* test-infer-bands.c: prediction by bands gives the whole image's classes, confidence and entropy
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "unet/unet-error.h"
#include "unet/unet-metrics.h"
#include "unet/unet-resize.h"

#include "test-infer.h"

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

void
test_infer_bands_register (void)
{
  g_test_add_func ("/infer/bands/equal-whole", test_bands_equal_whole);
  g_test_add_func ("/infer/bands/details", test_bands_details);
}
