/* test-infer-restrict.c: a limit on the classes of a prediction
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "unet/unet-metrics.h"

#include "test-infer.h"

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

void
test_infer_restrict_register (void)
{
  g_test_add_func ("/infer/restrict/classes", test_restrict_classes);
  g_test_add_func ("/infer/restrict/ties", test_restrict_classes_ties);
  g_test_add_func ("/infer/restrict/model", test_restrict_model);
  g_test_add_func ("/infer/restrict/one-pass", test_restrict_one_pass);
}
