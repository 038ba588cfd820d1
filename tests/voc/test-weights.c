/* test-weights.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "voc/voc.h"
#include "voc-test-util.h"

static void
test_distance_transform (void)
{
  const int w = 37, h = 23;
  guint8 mask[37 * 23];
  float out[37 * 23];
  GRand *rand = g_rand_new_with_seed (11);

  for (int round = 0; round < 3; round++)
    {
      for (int i = 0; i < w * h; i++)
        mask[i] = g_rand_int_range (rand, 0, 100) < (round == 0 ? 1 : 6);
      mask[g_rand_int_range (rand, 0, w * h)] = 1;
      voc_distance_transform_sq (mask, w, h, out);
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            int best = G_MAXINT;

            for (int j = 0; j < w * h; j++)
              if (mask[j])
                {
                  int dx = j % w - x, dy = j / w - y;

                  best = MIN (best, dx * dx + dy * dy);
                }
            g_assert_cmpfloat (out[y * w + x], ==, (float) best);
          }
    }
  g_rand_free (rand);
}

static double
border (double d1,
        double d2)
{
  return 10.0 * exp (-(d1 + d2) * (d1 + d2) / (2.0 * 5.0 * 5.0));
}

static void
test_hand_calculated (void)
{
  /* 5×5: instance 1 (class 1) at (0,0), instance 2 (class 2) at (4,0), a void pixel at (4,4). */
  guint8 labels[25] = { 0 };
  guint8 instances[25] = { 0 };
  const double cw[3] = { 0.5, 2.0, 3.0 };
  g_autofree float *wm = NULL;
  g_autofree float *derived = NULL;

  labels[0] = 1;
  instances[0] = 1;
  labels[4] = 2;
  instances[4] = 2;
  labels[24] = 255;
  instances[24] = 255;

  wm = voc_weight_map_compute (labels, instances, 5, 5, cw, 3, 10.0, 5.0);
  g_assert_cmpfloat_with_epsilon (wm[0], 2.0, 1e-6);                     /* inside: w_c only */
  g_assert_cmpfloat_with_epsilon (wm[4], 3.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (wm[24], 0.0, 1e-6);                    /* void */
  g_assert_cmpfloat_with_epsilon (wm[2], 0.5 + border (2, 2), 1e-5);     /* (2,0) */
  g_assert_cmpfloat_with_epsilon (wm[1], 0.5 + border (1, 3), 1e-5);     /* (1,0) */
  g_assert_cmpfloat_with_epsilon (wm[10], 0.5 + border (2, sqrt (20)), 1e-5);           /* (0,2) */
  g_assert_cmpfloat_with_epsilon (wm[22], 0.5 + border (sqrt (20), sqrt (20)), 1e-5);   /* (2,4) */
  g_assert_cmpfloat_with_epsilon (wm[6], 0.5 + border (sqrt (2), sqrt (10)), 1e-5);     /* (1,1) */

  /* Without instance masks the instances are the connected regions: here the same two. */
  derived = voc_weight_map_compute (labels, NULL, 5, 5, cw, 3, 10.0, 5.0);
  g_assert_cmpmem (derived, sizeof (float) * 25, wm, sizeof (float) * 25);

  /* A third instance at (0,4): (1,1) now has d1 = √2 and d2 = √10 still; (0,2) has 2 and 2. */
  {
    g_autofree float *three = NULL;

    labels[20] = 1;
    instances[20] = 3;
    three = voc_weight_map_compute (labels, instances, 5, 5, cw, 3, 10.0, 5.0);
    g_assert_cmpfloat_with_epsilon (three[6], 0.5 + border (sqrt (2), sqrt (10)), 1e-5);
    g_assert_cmpfloat_with_epsilon (three[10], 0.5 + border (2, 2), 1e-5);
    g_assert_cmpfloat_with_epsilon (three[12], 0.5 + border (sqrt (8), sqrt (8)), 1e-5);
  }

  /* One instance: no border term at all; w0 = 0 switches it off. */
  {
    g_autofree float *one = NULL;
    g_autofree float *off = NULL;

    labels[4] = 0;
    instances[4] = 0;
    labels[20] = 0;
    instances[20] = 0;
    one = voc_weight_map_compute (labels, instances, 5, 5, cw, 3, 10.0, 5.0);
    g_assert_cmpfloat (one[2], ==, 0.5f);
    g_assert_cmpfloat (one[0], ==, 2.0f);
    off = voc_weight_map_compute (labels, instances, 5, 5, NULL, 3, 0.0, 5.0);
    g_assert_cmpfloat (off[2], ==, 1.0f);
    g_assert_cmpfloat (off[24], ==, 0.0f);
  }
}

static void
test_touching_instances (void)
{
  const int w = 40, h = 20;
  guint8 labels[40 * 20] = { 0 };
  guint8 instances[40 * 20] = { 0 };
  const double cw[2] = { 1.0, 1.5 };
  g_autofree float *wm = NULL;
  float best = 0;
  int best_x = -1;

  for (int y = 5; y < 15; y++)
    for (int x = 5; x < 35; x++)
      if (x <= 18 || x >= 21)
        {
          labels[y * w + x] = 1;
          instances[y * w + x] = x <= 18 ? 1 : 2;
        }
  wm = voc_weight_map_compute (labels, instances, w, h, cw, 2, VOC_WEIGHT_W0, VOC_WEIGHT_SIGMA);

  for (int i = 0; i < w * h; i++)
    {
      g_assert_cmpfloat (wm[i], >=, (float) cw[labels[i]]);
      if (wm[i] > best)
        {
          best = wm[i];
          best_x = i % w;
        }
    }
  /* The ridge is the two-pixel gap between the cells: d1 + d2 = 3 there. */
  g_assert_true (best_x == 19 || best_x == 20);
  g_assert_cmpfloat_with_epsilon (wm[10 * w + 19], 1.0 + border (1, 2), 1e-5);
  g_assert_cmpfloat (wm[10 * w + 19], >, 9.0f);
  /* Far from the gap the term fades away. */
  g_assert_cmpfloat (wm[10 * w + 1], <, 1.01f);
  g_assert_cmpfloat (wm[0], <, 1.5f);
}

/* The paper's touching cells as binary data has them: two discs of 255 on 0 with a two-pixel
 * gap, read with a two-class classes.txt, and no instance masks. The connected regions of the
 * cell class stand for the instances, so the gap gets the same separation weight as with
 * instance masks drawn by hand. */
static void
test_touching_discs_binary (void)
{
  enum { W = 48, H = 28 };
  static const char classes_txt[] = "membrane\ncell\n";
  g_autoptr(VocClasses) classes = voc_classes_parse (classes_txt, strlen (classes_txt),
                                                     "classes.txt", NULL);
  guint16 values[W * H];
  guint8 instances[W * H] = { 0 };
  VocRawMask raw = { W, H, FALSE, 8, values, NULL };
  g_autofree guint8 *labels = NULL;
  g_autofree float *derived = NULL, *drawn = NULL;
  VocMaskReading reading;

  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        /* centres 11 px either side of the gap's middle, radius 10: they nearly touch */
        int left = (x - 13) * (x - 13) + (y - 14) * (y - 14) <= 100 && x <= 22;
        int right = (x - 34) * (x - 34) + (y - 14) * (y - 14) <= 100 && x >= 25;

        values[y * W + x] = left || right ? 255 : 0;
        instances[y * W + x] = left ? 1 : right ? 2 : 0;
      }
  labels = voc_classes_read_mask (classes, &raw, TRUE, "discs.png", &reading, NULL);
  g_assert_nonnull (labels);
  g_assert_cmpint (reading, ==, VOC_MASK_READ_BINARY);
  derived = voc_weight_map_compute (labels, NULL, W, H, NULL, 2, VOC_WEIGHT_W0, VOC_WEIGHT_SIGMA);
  drawn = voc_weight_map_compute (labels, instances, W, H, NULL, 2, VOC_WEIGHT_W0,
                                  VOC_WEIGHT_SIGMA);
  g_assert_cmpmem (derived, sizeof (float) * W * H, drawn, sizeof (float) * W * H);
  /* between the discs (membrane, class 0): d1 = 1, d2 = 2 */
  g_assert_cmpfloat_with_epsilon (derived[14 * W + 23], 1.0 + border (1, 2), 1e-5);
  g_assert_cmpfloat (derived[14 * W + 23], >, 9.0f);
  /* inside a cell and far from the gap: the class weight alone */
  g_assert_cmpfloat (derived[14 * W + 13], ==, 1.0f);
  g_assert_cmpfloat (derived[0], <, 1.5f);
}

static void
test_components (void)
{
  /* Two separate class-1 regions, one class-2 region touching one of them, void in between. */
  const guint8 labels[4 * 3] = {
    1, 1, 0, 1,
    2, 255, 0, 1,
    2, 0, 0, 0,
  };
  guint8 instances[12];
  int n = voc_instances_from_labels (labels, 4, 3, instances);

  g_assert_cmpint (n, ==, 3);
  g_assert_cmpuint (instances[0], ==, instances[1]);
  g_assert_cmpuint (instances[3], ==, instances[7]);
  g_assert_cmpuint (instances[4], ==, instances[8]);
  g_assert_cmpuint (instances[0], !=, instances[3]);
  g_assert_cmpuint (instances[0], !=, instances[4]);
  g_assert_cmpuint (instances[5], ==, 0);
  g_assert_cmpuint (instances[2], ==, 0);
}

static void
test_median_frequency (void)
{
  const guint64 pixels[4] = { 100, 10, 0, 30 };
  const guint64 images[4] = { 200, 100, 0, 100 };
  double weights[4];

  voc_class_weights_median_frequency (pixels, images, 4, weights);
  g_assert_cmpfloat_with_epsilon (weights[0], 0.6, 1e-12);
  g_assert_cmpfloat_with_epsilon (weights[1], 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (weights[2], 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (weights[3], 1.0, 1e-12);
}

/* Four images of classes {1}, {1, 2}, {1}, {} and one unusable image of class 3: f_1 = 3/4,
 * f_2 = 1/4, so with t = 0.5 the image with class 2 gets √2, the others 1. */
static void
test_repeat_factors (void)
{
  const guint8 present[5][4] = {
    { 1, 1, 0, 0 },
    { 1, 1, 1, 0 },
    { 0, 1, 0, 0 },
    { 1, 0, 0, 0 },
    { 1, 0, 0, 1 },
  };
  const gboolean usable[5] = { TRUE, TRUE, TRUE, TRUE, FALSE };
  double factors[5];

  voc_repeat_factors (&present[0][0], usable, 5, 4, 0.5, factors);
  g_assert_cmpfloat_with_epsilon (factors[0], 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (factors[1], sqrt (2.0), 1e-12);
  g_assert_cmpfloat_with_epsilon (factors[2], 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (factors[3], 1.0, 1e-12);
  g_assert_cmpfloat (factors[4], ==, 0.0);

  /* a higher threshold lifts the common class too: f_1 = 3/4 < 1 */
  voc_repeat_factors (&present[0][0], usable, 5, 4, 1.0, factors);
  g_assert_cmpfloat_with_epsilon (factors[0], sqrt (4.0 / 3.0), 1e-12);
  g_assert_cmpfloat_with_epsilon (factors[1], 2.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (factors[3], 1.0, 1e-12);

  /* every image usable: class 3 is the rarest and its image the most repeated */
  voc_repeat_factors (&present[0][0], NULL, 5, 4, 0.5, factors);
  g_assert_cmpfloat_with_epsilon (factors[4], sqrt (0.5 * 5), 1e-12);
  g_assert_cmpfloat_with_epsilon (factors[1], sqrt (0.5 * 5 / 1), 1e-12);

  /* threshold 0: every usable image alike */
  voc_repeat_factors (&present[0][0], usable, 5, 4, 0.0, factors);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (factors[i], ==, 1.0);
}

/* The pick follows the running sums, never lands on a weight of 0, and covers [0, 1). */
static void
test_weighted_pick (void)
{
  /* weights 0, 1, 0, 3, 0 */
  const double cumulative[5] = { 0.0, 1.0, 1.0, 4.0, 4.0 };
  guint counts[5] = { 0 };
  const int n = 4000;

  g_assert_cmpuint (voc_weighted_pick (cumulative, 5, 0.0), ==, 1);
  g_assert_cmpuint (voc_weighted_pick (cumulative, 5, 0.2499), ==, 1);
  g_assert_cmpuint (voc_weighted_pick (cumulative, 5, 0.25), ==, 3);
  g_assert_cmpuint (voc_weighted_pick (cumulative, 5, 0.9999999), ==, 3);
  for (int i = 0; i < n; i++)
    counts[voc_weighted_pick (cumulative, 5, (i + 0.5) / n)]++;
  g_assert_cmpuint (counts[0] + counts[2] + counts[4], ==, 0);
  g_assert_cmpuint (counts[1], ==, n / 4);
  g_assert_cmpuint (counts[3], ==, 3 * n / 4);
}

static void
test_real_counts_and_maps (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VocDataset) ds = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  guint64 pixels[21], images[21], total = 0;
  double weights[21];
  VocWeightMap wmap;
  const char *root = voc_test_root ();
  double ms = 0;

  if (root == NULL)
    return;
  ds = voc_dataset_open (root, &error);
  g_assert_no_error (error);
  ids = voc_dataset_get_split (ds, "train", TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (voc_dataset_count_classes (ds, ids, pixels, images, &error));
  g_assert_no_error (error);
  for (int c = 0; c < 21; c++)
    total += pixels[c];
  g_assert_cmpuint (pixels[0], >, total / 2);   /* background dominates */
  g_assert_cmpuint (pixels[15], >, 0);          /* person: 7 images */
  g_assert_cmpuint (pixels[3], ==, 0);          /* no bird in train */
  voc_class_weights_median_frequency (pixels, images, 21, weights);
  g_assert_cmpfloat (weights[0], <, 1.0);
  g_assert_cmpfloat (weights[3], ==, 1.0);

  voc_weight_map_init_default (&wmap, 21);
  wmap.class_weights = weights;
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(VocSample) s = voc_dataset_load_sample (ds, g_ptr_array_index (ids, i),
                                                        VOC_LOAD_LABELS | VOC_LOAD_INSTANCES,
                                                        &error);
      gint64 t0;

      g_assert_no_error (error);
      t0 = g_get_monotonic_time ();
      voc_sample_compute_weights (s, &wmap);
      ms += (g_get_monotonic_time () - t0) / 1000.0;
      for (int p = 0; p < s->width * s->height; p++)
        if (s->labels[p] != 255)
          g_assert_cmpfloat (s->weights[p], >=, (float) weights[s->labels[p]]);
    }
  g_test_message ("weight map: %.2f ms per training image", ms / ids->len);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/voc/weights/distance-transform", test_distance_transform);
  g_test_add_func ("/voc/weights/hand-calculated", test_hand_calculated);
  g_test_add_func ("/voc/weights/touching", test_touching_instances);
  g_test_add_func ("/voc/weights/components", test_components);
  g_test_add_func ("/voc/weights/touching-discs-binary", test_touching_discs_binary);
  g_test_add_func ("/voc/weights/median-frequency", test_median_frequency);
  g_test_add_func ("/voc/weights/repeat-factors", test_repeat_factors);
  g_test_add_func ("/voc/weights/weighted-pick", test_weighted_pick);
  g_test_add_func ("/voc/weights/real", test_real_counts_and_maps);

  return g_test_run ();
}
