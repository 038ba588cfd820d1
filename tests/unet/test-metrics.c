/* test-metrics.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "unet/unet-metrics.h"

#define K 5

/* Twelve pixels over five classes, three of them void (255). As (truth, prediction):
 *   (0,0) (0,0) (0,0) (0,1) (1,1) (1,1) (1,0) (2,1) (0,3) (255,2) (255,4) (255,255)
 * The void pixels must not count, even though their predictions name classes 2 and 4.
 *
 * Confusion matrix, rows truth, columns prediction (9 pixels scored):
 *          p0 p1 p2 p3 p4
 *     t0 [  3  1  0  1  0 ]   5
 *     t1 [  1  2  0  0  0 ]   3
 *     t2 [  0  1  0  0  0 ]   1
 *     t3 [  0  0  0  0  0 ]   0
 *     t4 [  0  0  0  0  0 ]   0
 *
 * IoU = TP / (TP + FP + FN):
 *   class 0: TP 3, FN 2, FP 1 -> 3/6 = 0.5
 *   class 1: TP 2, FN 1, FP 2 -> 2/5 = 0.4
 *   class 2: TP 0, FN 1, FP 0 -> 0    present (in the ground truth only)
 *   class 3: TP 0, FN 0, FP 1 -> 0    present (predicted only)
 *   class 4: nothing             -> NaN, absent (its only pixel is void)
 * mIoU over the four present classes = (0.5 + 0.4 + 0 + 0) / 4 = 0.225
 * pixel accuracy = (3 + 2) / 9 = 5/9
 * mean class accuracy over classes in the ground truth (0, 1, 2) = (3/5 + 2/3 + 0) / 3 = 19/45 */
static const uint8_t fixture_truth[12] = { 0, 0, 0, 0, 1, 1, 1, 2, 0, 255, 255, 255 };
static const uint8_t fixture_pred[12] = { 0, 0, 0, 1, 1, 1, 0, 1, 3, 2, 4, 255 };

static const guint64 fixture_counts[K * K] = {
  3, 1, 0, 1, 0,
  1, 2, 0, 0, 0,
  0, 1, 0, 0, 0,
  0, 0, 0, 0, 0,
  0, 0, 0, 0, 0,
};

static void
assert_counts (const UnetConfusion *confusion,
               const guint64       *expected,
               guint64              scale)
{
  for (int t = 0; t < confusion->n_classes; t++)
    for (int p = 0; p < confusion->n_classes; p++)
      if (confusion->counts[t * confusion->n_classes + p] != scale * expected[t * confusion->n_classes + p])
        g_error ("counts[truth %d][prediction %d] = %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT,
                 t, p, confusion->counts[t * confusion->n_classes + p],
                 scale * expected[t * confusion->n_classes + p]);
}

static void
assert_fixture_scores (const UnetConfusion *confusion)
{
  double iou[K];
  gboolean present[K];
  const double expected_iou[K - 1] = { 0.5, 0.4, 0.0, 0.0 };
  const gboolean expected_present[K] = { TRUE, TRUE, TRUE, TRUE, FALSE };

  unet_confusion_iou (confusion, iou, present);
  for (int c = 0; c < K; c++)
    {
      g_assert_cmpint (present[c], ==, expected_present[c]);
      if (c < K - 1)
        g_assert_cmpfloat_with_epsilon (iou[c], expected_iou[c], 1e-12);
      else
        g_assert_true (isnan (iou[c]));
    }

  g_assert_cmpfloat_with_epsilon (unet_confusion_miou (confusion), 0.225, 1e-12);
  g_assert_cmpfloat_with_epsilon (unet_confusion_pixel_accuracy (confusion), 5.0 / 9.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (unet_confusion_mean_class_accuracy (confusion), 19.0 / 45.0, 1e-12);
}

static void
test_confusion_fixture (void)
{
  g_autoptr(UnetConfusion) confusion = unet_confusion_new (K);

  g_assert_cmpint (confusion->n_classes, ==, K);
  unet_confusion_add (confusion, fixture_truth, fixture_pred, G_N_ELEMENTS (fixture_truth));
  assert_counts (confusion, fixture_counts, 1);
  assert_fixture_scores (confusion);

  /* the same pixels again double every count and leave every ratio as it was */
  unet_confusion_add (confusion, fixture_truth, fixture_pred, G_N_ELEMENTS (fixture_truth));
  assert_counts (confusion, fixture_counts, 2);
  assert_fixture_scores (confusion);
}

/* Three classes, every pixel scored: a second fixture where nothing is absent.
 *   truth      0 0 1 1 2 2 2 0
 *   prediction 0 2 1 1 2 2 0 0
 *   matrix t0 [2 0 1]  t1 [0 2 0]  t2 [1 0 2]
 *   IoU 0: 2/(2+1+1) = 0.5; 1: 2/2 = 1; 2: 2/(2+1+1) = 0.5; mIoU 2/3
 *   pixel accuracy 6/8; class accuracy (2/3 + 1 + 2/3) / 3 = 7/9 */
static void
test_confusion_all_present (void)
{
  const uint8_t truth[8] = { 0, 0, 1, 1, 2, 2, 2, 0 };
  const uint8_t pred[8] = { 0, 2, 1, 1, 2, 2, 0, 0 };
  const guint64 expected[9] = { 2, 0, 1, 0, 2, 0, 1, 0, 2 };
  g_autoptr(UnetConfusion) confusion = unet_confusion_new (3);
  double iou[3];
  gboolean present[3];

  unet_confusion_add (confusion, truth, pred, 8);
  assert_counts (confusion, expected, 1);

  /* either output may be left out */
  unet_confusion_iou (confusion, iou, NULL);
  unet_confusion_iou (confusion, NULL, present);
  unet_confusion_iou (confusion, NULL, NULL);
  g_assert_cmpfloat_with_epsilon (iou[0], 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (iou[1], 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (iou[2], 0.5, 1e-12);
  for (int c = 0; c < 3; c++)
    g_assert_true (present[c]);
  g_assert_cmpfloat_with_epsilon (unet_confusion_miou (confusion), 2.0 / 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (unet_confusion_pixel_accuracy (confusion), 0.75, 1e-12);
  g_assert_cmpfloat_with_epsilon (unet_confusion_mean_class_accuracy (confusion), 7.0 / 9.0, 1e-12);
}

/* Only void pixels, or nothing at all: no score exists, and none is made up. */
static void
test_confusion_empty (void)
{
  const uint8_t truth[4] = { 255, 255, 255, 255 };
  const uint8_t pred[4] = { 0, 1, 2, 1 };
  g_autoptr(UnetConfusion) confusion = unet_confusion_new (3);
  double iou[3];
  gboolean present[3];

  for (int round = 0; round < 2; round++)
    {
      unet_confusion_iou (confusion, iou, present);
      for (int c = 0; c < 3; c++)
        {
          g_assert_false (present[c]);
          g_assert_true (isnan (iou[c]));
        }
      g_assert_true (isnan (unet_confusion_miou (confusion)));
      g_assert_true (isnan (unet_confusion_pixel_accuracy (confusion)));
      g_assert_true (isnan (unet_confusion_mean_class_accuracy (confusion)));

      unet_confusion_add (confusion, truth, pred, 4);
      unet_confusion_add (confusion, truth, pred, 0);
    }
  for (int i = 0; i < 9; i++)
    g_assert_cmpuint (confusion->counts[i], ==, 0);
}

/* Ground-truth labels the model cannot have (not only 255) are not scored. */
static void
test_confusion_out_of_range_truth (void)
{
  const uint8_t truth[5] = { 0, 3, 7, 254, 1 };
  const uint8_t pred[5] = { 0, 1, 2, 0, 1 };
  const guint64 expected[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 0 };
  g_autoptr(UnetConfusion) confusion = unet_confusion_new (3);

  unet_confusion_add (confusion, truth, pred, 5);
  assert_counts (confusion, expected, 1);
  g_assert_cmpfloat (unet_confusion_miou (confusion), ==, 1.0);
}

static void
test_confusion_merge (void)
{
  g_autoptr(UnetConfusion) first = unet_confusion_new (K);
  g_autoptr(UnetConfusion) second = unet_confusion_new (K);
  g_autoptr(UnetConfusion) empty = unet_confusion_new (K);

  /* split the fixture in two batches, as two validation workers would see it */
  unet_confusion_add (first, fixture_truth, fixture_pred, 5);
  unet_confusion_add (second, fixture_truth + 5, fixture_pred + 5, 7);
  g_assert_cmpuint (first->counts[0], ==, 3);
  g_assert_cmpuint (second->counts[0], ==, 0);

  unet_confusion_merge (first, second);
  assert_counts (first, fixture_counts, 1);
  assert_fixture_scores (first);
  /* the merged-in matrix is left as it was: row 1 column 0 and row 0 column 3 are its counts */
  g_assert_cmpuint (second->counts[1 * K + 0], ==, 1);
  g_assert_cmpuint (second->counts[0 * K + 3], ==, 1);
  g_assert_cmpuint (second->counts[0 * K + 0], ==, 0);

  unet_confusion_merge (first, empty);
  assert_counts (first, fixture_counts, 1);
  unet_confusion_merge (empty, first);
  unet_confusion_merge (empty, first);
  assert_counts (empty, fixture_counts, 2);
}

static void
test_confusion_reset (void)
{
  g_autoptr(UnetConfusion) confusion = unet_confusion_new (K);

  unet_confusion_add (confusion, fixture_truth, fixture_pred, G_N_ELEMENTS (fixture_truth));
  g_assert_cmpuint (confusion->counts[0], ==, 3);
  unet_confusion_reset (confusion);
  for (int i = 0; i < K * K; i++)
    g_assert_cmpuint (confusion->counts[i], ==, 0);
  g_assert_true (isnan (unet_confusion_miou (confusion)));

  /* usable again after a reset, with no memory of the earlier epoch */
  unet_confusion_add (confusion, fixture_truth, fixture_pred, G_N_ELEMENTS (fixture_truth));
  assert_counts (confusion, fixture_counts, 1);
  assert_fixture_scores (confusion);
}

/* A realistic count: many pixels, where 32-bit counters or float sums would drift. */
static void
test_confusion_large (void)
{
  g_autoptr(UnetConfusion) confusion = unet_confusion_new (2);
  const size_t n = 1 << 20;
  g_autofree uint8_t *truth = g_new (uint8_t, n);
  g_autofree uint8_t *pred = g_new (uint8_t, n);

  /* truth: alternating 0/1; prediction: all 0 -> t0 [n/2 0], t1 [n/2 0] */
  for (size_t i = 0; i < n; i++)
    {
      truth[i] = i % 2;
      pred[i] = 0;
    }
  for (int round = 0; round < 8; round++)
    unet_confusion_add (confusion, truth, pred, n);

  g_assert_cmpuint (confusion->counts[0], ==, 4 * (guint64) n);
  g_assert_cmpuint (confusion->counts[2], ==, 4 * (guint64) n);
  g_assert_cmpuint (confusion->counts[1], ==, 0);
  g_assert_cmpuint (confusion->counts[3], ==, 0);
  /* IoU 0 = 4n / 8n, IoU 1 = 0 (present through the ground truth) */
  g_assert_cmpfloat_with_epsilon (unet_confusion_miou (confusion), 0.25, 1e-12);
  g_assert_cmpfloat_with_epsilon (unet_confusion_pixel_accuracy (confusion), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (unet_confusion_mean_class_accuracy (confusion), 0.5, 1e-12);
}

/* --- argmax ---------------------------------------------------------------------------------- */

static void
test_argmax (void)
{
  /* [B=2, K=3, H=2, W=3]; per pixel the three scores, with the class expected */
  const float pixels[12][3] = {
    { 0.1f, 0.7f, 0.2f },   /* 1 */
    { 5.0f, 5.0f, 1.0f },   /* 0: a tie goes to the first */
    { -3.0f, 2.0f, 2.0f },  /* 1: a tie between the last two */
    { 1.0f, 1.0f, 1.0f },   /* 0 */
    { -1.0f, -2.0f, -0.5f }, /* 2: negative scores */
    { 0.0f, -0.0f, 0.0f },  /* 0: signed zeros compare equal */
    { 0.0f, 0.0f, 9.0f },   /* 2 (second image from here on) */
    { 8.0f, 1.0f, 7.9f },   /* 0 */
    { -INFINITY, -1e30f, -INFINITY }, /* 1 */
    { 1e-7f, 2e-7f, 1.5e-7f }, /* 1 */
    { 3.0f, 3.0f, 3.0001f }, /* 2 */
    { 2.0f, 0.0f, 2.0f },   /* 0 */
  };
  const uint8_t expected[12] = { 1, 0, 1, 0, 2, 0, 2, 0, 1, 1, 2, 0 };
  UnetShape shape = { 2, 3, 2, 3 };
  float scores[2 * 3 * 2 * 3];
  uint8_t classes[12 + 1];

  /* NCHW: score of class k at pixel (b, i) lives at b * K * HW + k * HW + i */
  for (int b = 0; b < 2; b++)
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < 6; i++)
        scores[b * 18 + k * 6 + i] = pixels[b * 6 + i][k];

  memset (classes, 0xaa, sizeof classes);
  unet_argmax (classes, scores, shape);
  for (int i = 0; i < 12; i++)
    if (classes[i] != expected[i])
      g_error ("pixel %d: class %u, expected %u", i, classes[i], expected[i]);
  g_assert_cmpuint (classes[12], ==, 0xaa);
}

/* Argmax over many classes and a larger plane, against the obvious loop. */
static void
test_argmax_random (void)
{
  UnetShape shape = { 3, 21, 17, 19 };
  size_t plane = (size_t) shape.height * shape.width;
  g_autofree float *scores = g_new (float, unet_shape_numel (shape));
  g_autofree uint8_t *classes = g_new (uint8_t, plane * shape.batch);
  UnetRng rng;
  guint hist[21] = { 0 };

  unet_rng_seed (&rng, 2026);
  /* coarse values so that ties are frequent */
  for (size_t i = 0; i < unet_shape_numel (shape); i++)
    scores[i] = (float) unet_rng_below (&rng, 8);
  unet_argmax (classes, scores, shape);

  for (int b = 0; b < shape.batch; b++)
    for (size_t i = 0; i < plane; i++)
      {
        const float *s = scores + (size_t) b * shape.channels * plane + i;
        int best = 0;

        for (int k = 1; k < shape.channels; k++)
          if (s[k * plane] > s[best * plane])
            best = k;
        g_assert_cmpuint (classes[b * plane + i], ==, best);
        hist[best]++;
      }
  /* ties to the first maximum favour low classes, but every class wins somewhere */
  for (int k = 0; k < 21; k++)
    g_assert_cmpuint (hist[k], >, 0);
}

/* The adapted Rand error worked out by hand, and the regions it is computed on. */
static void
test_adapted_rand (void)
{
  /* two truth cells, predicted as one: n_11 = n_21 = 2, a = (2, 2), b = (4);
   * Σ n(n-1) = 4, Σ a(a-1) = 4, Σ b(b-1) = 12: precision 1/3, recall 1, F 1/2 */
  const guint32 truth[6] = { 1, 1, 2, 2, 0, 0 };
  const guint32 merged[6] = { 5, 5, 5, 5, 7, 8 };
  const guint32 same[6] = { 3, 3, 9, 9, 0, 0 };
  /* split: one truth cell of 4 predicted as 2 + 2 (and the background as 0): recall 1/3 */
  const guint32 one[4] = { 1, 1, 1, 1 };
  const guint32 halves[4] = { 1, 1, 2, 2 };
  const guint32 none[3] = { 0, 0, 0 };
  double precision, recall;
  const guint8 classes[4 * 3] = {
    1, 1, 0, 1,
    0, 255, 0, 1,
    1, 0, 1, 1,
  };
  guint32 labels[12];

  g_assert_cmpfloat_with_epsilon (unet_adapted_rand_error (truth, merged, 6, &precision, &recall),
                                  0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (precision, 1.0 / 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (recall, 1.0, 1e-12);
  g_assert_cmpfloat (unet_adapted_rand_error (truth, same, 6, NULL, NULL), ==, 0.0);
  g_assert_cmpfloat_with_epsilon (unet_adapted_rand_error (one, halves, 4, &precision, &recall),
                                  0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (recall, 1.0 / 3.0, 1e-12);
  g_assert_true (isnan (unet_adapted_rand_error (none, none, 3, NULL, NULL)));

  /* regions of class 1, 4-connected: the corner pair, the right column with the bottom pair
   * joined to it, the lone bottom-left pixel */
  g_assert_cmpuint (unet_label_regions (classes, 4, 3, 1, labels), ==, 3);
  g_assert_cmpuint (labels[0], ==, labels[1]);
  g_assert_cmpuint (labels[3], ==, labels[7]);
  g_assert_cmpuint (labels[7], ==, labels[11]);
  g_assert_cmpuint (labels[10], ==, labels[11]);
  g_assert_cmpuint (labels[8], !=, labels[0]);
  g_assert_cmpuint (labels[8], !=, labels[3]);
  g_assert_cmpuint (labels[0], !=, labels[3]);
  g_assert_cmpuint (labels[2], ==, 0);
  g_assert_cmpuint (labels[5], ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/metrics/confusion/fixture", test_confusion_fixture);
  g_test_add_func ("/metrics/confusion/all-present", test_confusion_all_present);
  g_test_add_func ("/metrics/confusion/empty", test_confusion_empty);
  g_test_add_func ("/metrics/confusion/out-of-range-truth", test_confusion_out_of_range_truth);
  g_test_add_func ("/metrics/confusion/merge", test_confusion_merge);
  g_test_add_func ("/metrics/confusion/reset", test_confusion_reset);
  g_test_add_func ("/metrics/confusion/large", test_confusion_large);
  g_test_add_func ("/metrics/argmax/by-hand", test_argmax);
  g_test_add_func ("/metrics/argmax/random", test_argmax_random);

  g_test_add_func ("/metrics/adapted-rand", test_adapted_rand);

  return g_test_run ();
}
