/* test-infer.c: probabilities, determinism, threads, errors and the class map of a prediction
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
#include "unet/unet-threads.h"

#include "test-infer.h"

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
  test_infer_tiles_register ();
  test_infer_flip_register ();
  g_test_add_func ("/infer/threads", test_threads);
  g_test_add_func ("/infer/errors", test_errors);
  test_infer_scale_register ();
  test_infer_restrict_register ();
  test_infer_bands_register ();
  test_infer_bands_memory_register ();

  return g_test_run ();
}
