/* test-augment.c
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

#define W 61
#define H 47

/* An image with no two equal pixels and a blocky mask of classes 0, 3, 7 and void. */
static VocSample *
make_sample (void)
{
  VocSample *s = voc_sample_new ("synthetic", W, H);

  s->rgb = g_new (float, 3 * W * H);
  s->labels = g_new (guint8, W * H);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        int i = y * W + x;
        static const guint8 classes[4] = { 0, 3, 7, 255 };

        s->rgb[i] = (float) (i + 1) / (W * H + 1);
        s->rgb[W * H + i] = (float) x / (W - 1);
        s->rgb[2 * W * H + i] = 0.5f + 0.5f * sinf (0.3f * x + 0.2f * y);
        s->labels[i] = classes[(x / 8 + y / 6) % 4];
      }
  return s;
}

static int
mirror (int i,
        int n)
{
  int period = 2 * (n - 1);

  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - i;
}

static void
run (const VocSample         *s,
     const VocAugmentOptions *o,
     guint64                  seed,
     int                      in,
     int                      out,
     float                   *image,
     guint8                  *labels,
     float                   *weights)
{
  g_autoptr(GError) error = NULL;
  UnetRng rng;

  unet_rng_seed (&rng, seed);
  g_assert_true (voc_augment_sample (s, o, &rng, in, out, image, labels, weights, NULL, &error));
  g_assert_no_error (error);
}

static void
test_deterministic (void)
{
  g_autoptr(VocSample) s = make_sample ();
  VocAugmentOptions o;
  const int in = 64, out = 40;
  g_autofree float *a = g_new (float, 3 * in * in);
  g_autofree float *b = g_new (float, 3 * in * in);
  g_autofree guint8 *la = g_new (guint8, out * out);
  g_autofree guint8 *lb = g_new (guint8, out * out);
  UnetRng r1, r2;

  voc_augment_options_init_default (&o);
  run (s, &o, 42, in, out, a, la, NULL);
  run (s, &o, 42, in, out, b, lb, NULL);
  g_assert_cmpmem (a, sizeof (float) * 3 * in * in, b, sizeof (float) * 3 * in * in);
  g_assert_cmpmem (la, out * out, lb, out * out);

  run (s, &o, 43, in, out, b, lb, NULL);
  g_assert_true (memcmp (a, b, sizeof (float) * 3 * in * in) != 0);

  /* The RNG advances by the same number of draws whatever the options. */
  unet_rng_seed (&r1, 5);
  unet_rng_seed (&r2, 5);
  g_assert_true (voc_augment_sample (s, &o, &r1, in, out, a, la, NULL, NULL, NULL));
  voc_augment_options_init_identity (&o);
  g_assert_true (voc_augment_sample (s, &o, &r2, in, out, a, la, NULL, NULL, NULL));
  g_assert_cmpuint (unet_rng_next (&r1), ==, unet_rng_next (&r2));
}

static void
test_label_values (void)
{
  g_autoptr(VocSample) s = make_sample ();
  VocAugmentOptions o;
  const int in = 92, out = 52;
  g_autofree float *img = g_new (float, 3 * in * in);
  g_autofree guint8 *lab = g_new (guint8, out * out);
  gboolean seen[256] = { FALSE };

  voc_augment_options_init_default (&o);
  o.rotation = 30;
  o.scale_min = 0.5;
  o.scale_max = 2.0;
  for (guint64 seed = 0; seed < 30; seed++)
    {
      run (s, &o, seed, in, out, img, lab, NULL);
      for (int i = 0; i < out * out; i++)
        seen[lab[i]] = TRUE;
    }
  for (int v = 0; v < 256; v++)
    g_assert_cmpint (seen[v], ==, v == 0 || v == 3 || v == 7 || v == 255);
}

static void
test_identity_is_centred_crop (void)
{
  g_autoptr(VocSample) s = make_sample ();
  VocAugmentOptions o;
  const int sizes[2][2] = { { 32, 20 }, { 80, 60 } }; /* inside the image; larger than it */

  voc_augment_options_init_identity (&o);
  o.random_crop = FALSE;
  for (int k = 0; k < 2; k++)
    {
      int in = sizes[k][0], out = sizes[k][1], m = (in - out) / 2;
      int ox = (int) floor ((W - in) / 2.0 + 0.5), oy = (int) floor ((H - in) / 2.0 + 0.5);
      g_autofree float *img = g_new (float, 3 * in * in);
      g_autofree guint8 *lab = g_new (guint8, out * out);
      int n_void = 0;

      run (s, &o, 1, in, out, img, lab, NULL);
      for (int c = 0; c < 3; c++)
        for (int v = 0; v < in; v++)
          for (int u = 0; u < in; u++)
            g_assert_cmpfloat (img[(c * in + v) * in + u], ==,
                               s->rgb[(c * H + mirror (v + oy, H)) * W + mirror (u + ox, W)]);
      for (int b = 0; b < out; b++)
        for (int a = 0; a < out; a++)
          {
            int x = a + m + ox, y = b + m + oy;
            guint8 want = x >= 0 && x < W && y >= 0 && y < H ? s->labels[y * W + x] : 255;

            g_assert_cmpuint (lab[b * out + a], ==, want);
            n_void += !(x >= 0 && x < W && y >= 0 && y < H);
          }
      /* The second tile reaches past the image: that part is void, never background. */
      g_assert_cmpint (n_void > 0, ==, k == 1);
    }
}

static void
test_flip_is_mirror (void)
{
  g_autoptr(VocSample) s = make_sample ();
  VocAugmentOptions o;
  const int in = 48, out = 30;
  g_autofree float *a = g_new (float, 3 * in * in);
  g_autofree float *b = g_new (float, 3 * in * in);
  g_autofree guint8 *la = g_new (guint8, out * out);
  g_autofree guint8 *lb = g_new (guint8, out * out);

  voc_augment_options_init_identity (&o);
  o.random_crop = TRUE;
  run (s, &o, 9, in, out, a, la, NULL);
  o.flip_probability = 1.0;
  run (s, &o, 9, in, out, b, lb, NULL);
  for (int c = 0; c < 3; c++)
    for (int v = 0; v < in; v++)
      for (int u = 0; u < in; u++)
        g_assert_cmpfloat (b[(c * in + v) * in + u], ==, a[(c * in + v) * in + in - 1 - u]);
  for (int v = 0; v < out; v++)
    for (int u = 0; u < out; u++)
      g_assert_cmpuint (lb[v * out + u], ==, la[v * out + out - 1 - u]);
  /* and it is not the identity */
  g_assert_true (memcmp (a, b, sizeof (float) * 3 * in * in) != 0);
}

static void
test_value_range (void)
{
  g_autoptr(VocSample) s = make_sample ();
  VocAugmentOptions o;
  const int in = 64, out = 24;
  g_autofree float *img = g_new (float, 3 * in * in);
  g_autofree guint8 *lab = g_new (guint8, out * out);
  g_autofree float *wts = g_new (float, out * out);

  voc_augment_options_init_default (&o);
  o.elastic_sigma = 20;
  for (int jitter = 0; jitter < 2; jitter++)
    {
      o.brightness = o.contrast = o.saturation = jitter ? 0.9 : 0.0;
      for (guint64 seed = 100; seed < 110; seed++)
        {
          run (s, &o, seed, in, out, img, lab, wts);
          for (int i = 0; i < 3 * in * in; i++)
            {
              g_assert_true (isfinite (img[i]));
              g_assert_cmpfloat (img[i], >=, 0.0f);
              g_assert_cmpfloat (img[i], <=, 1.0f);
            }
          /* No weight map given: 1 on labelled pixels, 0 on void. */
          for (int i = 0; i < out * out; i++)
            g_assert_cmpfloat (wts[i], ==, lab[i] == 255 ? 0.0f : 1.0f);
        }
    }
}

static void
test_bad_arguments (void)
{
  g_autoptr(VocSample) s = make_sample ();
  g_autoptr(VocSample) empty = voc_sample_new ("empty", 10, 10);
  g_autoptr(GError) error = NULL;
  VocAugmentOptions o;
  float img[3 * 16 * 16];
  guint8 lab[16 * 16];
  UnetRng rng;

  unet_rng_seed (&rng, 1);
  voc_augment_options_init_default (&o);
  g_assert_false (voc_augment_sample (s, &o, &rng, 16, 17, img, lab, NULL, NULL, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (voc_augment_sample (s, &o, &rng, 16, 13, img, lab, NULL, NULL, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (voc_augment_sample (empty, &o, &rng, 16, 8, img, lab, NULL, NULL, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  o.scale_min = 0;
  g_assert_false (voc_augment_sample (s, &o, &rng, 16, 8, img, lab, NULL, NULL, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

static void
test_real_timing (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VocDataset) ds = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  VocAugmentOptions o;
  VocWeightMap wmap;
  const int in = 572, out = 388;
  g_autofree float *img = g_new (float, 3 * in * in);
  g_autofree guint8 *lab = g_new (guint8, out * out);
  g_autofree float *wts = g_new (float, out * out);
  const char *root = voc_test_root ();
  double load_ms = 0, aug_ms = 0, aug_w_ms = 0;
  UnetRng rng;

  if (root == NULL)
    return;
  ds = voc_dataset_open (root, &error);
  g_assert_no_error (error);
  ids = voc_dataset_get_split (ds, "train", TRUE, NULL, &error);
  g_assert_no_error (error);
  voc_augment_options_init_default (&o);
  voc_weight_map_init_default (&wmap, 21);
  unet_rng_seed (&rng, 2026);

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(VocSample) s = NULL;
      gboolean source[256] = { FALSE };
      gint64 t0 = g_get_monotonic_time ();
      int labelled = 0;

      s = voc_dataset_load_sample (ds, g_ptr_array_index (ids, i),
                                   VOC_LOAD_TRAIN | VOC_LOAD_INSTANCES, &error);
      load_ms += (g_get_monotonic_time () - t0) / 1000.0;
      g_assert_no_error (error);
      for (int p = 0; p < s->width * s->height; p++)
        source[s->labels[p]] = TRUE;

      t0 = g_get_monotonic_time ();
      g_assert_true (voc_augment_sample (s, &o, &rng, in, out, img, lab, NULL, NULL, &error));
      aug_ms += (g_get_monotonic_time () - t0) / 1000.0;
      g_assert_no_error (error);
      for (int p = 0; p < out * out; p++)
        {
          g_assert_true (source[lab[p]] || lab[p] == 255);
          labelled += lab[p] != 255;
        }
      g_assert_cmpint (labelled, >, out * out / 10);

      t0 = g_get_monotonic_time ();
      g_assert_true (voc_augment_sample (s, &o, &rng, in, out, img, lab, wts, &wmap, &error));
      aug_w_ms += (g_get_monotonic_time () - t0) / 1000.0;
      g_assert_no_error (error);
      for (int p = 0; p < out * out; p++)
        g_assert_cmpfloat (wts[p], >=, lab[p] == 255 ? 0.0f : 1.0f);
    }
  g_test_message ("per sample: load (JPEG + 2 masks) %.2f ms, augment 572→388 %.2f ms, "
                  "augment with the weight map computed %.2f ms (%u images)",
                  load_ms / ids->len, aug_ms / ids->len, aug_w_ms / ids->len, ids->len);
}

/* Pasting: a 6×6 input tile with a 4×4 output (valid padding, context 1 on every side). The
 * src labels hold a foreground class, background and void; only the foreground pixels move,
 * with their colour, label and weight, at the same place; the context ring never changes. */
static void
test_paste (void)
{
  enum { IN = 6, OUT = 4, PLANE = IN * IN };
  static const guint8 src_labels[OUT * OUT] = {
    0, 7, 7, 0,
    0, 7, 255, 0,
    3, 3, 0, 0,
    0, 0, 0, 255,
  };
  float image[3 * PLANE], src_image[3 * PLANE], expected_image[3 * PLANE];
  float weights[OUT * OUT], src_weights[OUT * OUT];
  guint8 labels[OUT * OUT], expected_labels[OUT * OUT];
  size_t pasted;

  for (int i = 0; i < 3 * PLANE; i++)
    {
      image[i] = 0.25f;
      src_image[i] = 0.75f + 0.001f * i;
    }
  for (int i = 0; i < OUT * OUT; i++)
    {
      labels[i] = i % 2 ? 1 : 255;
      weights[i] = 1.0f;
      src_weights[i] = 2.0f + i;
    }
  memcpy (expected_image, image, sizeof image);
  memcpy (expected_labels, labels, sizeof labels);
  for (int y = 0; y < OUT; y++)
    for (int x = 0; x < OUT; x++)
      {
        guint8 l = src_labels[y * OUT + x];

        if (l == 0 || l == 255)
          continue;
        expected_labels[y * OUT + x] = l;
        for (int c = 0; c < 3; c++)
          expected_image[c * PLANE + (y + 1) * IN + x + 1] = src_image[c * PLANE + (y + 1) * IN + x + 1];
      }

  pasted = voc_augment_paste (image, labels, weights, src_image, src_labels, src_weights, IN, OUT);
  g_assert_cmpuint (pasted, ==, 5);
  g_assert_cmpmem (labels, sizeof labels, expected_labels, sizeof expected_labels);
  g_assert_cmpmem (image, sizeof image, expected_image, sizeof expected_image);
  for (int i = 0; i < OUT * OUT; i++)
    g_assert_cmpfloat (weights[i], ==, src_labels[i] == 7 || src_labels[i] == 3 ? 2.0f + i : 1.0f);

  /* without weights, the same labels */
  memset (labels, 0, sizeof labels);
  pasted = voc_augment_paste (image, labels, NULL, src_image, src_labels, NULL, IN, OUT);
  g_assert_cmpuint (pasted, ==, 5);
  g_assert_cmpuint (labels[1], ==, 7);
  g_assert_cmpuint (labels[8], ==, 3);
  g_assert_cmpuint (labels[6], ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/voc/augment/deterministic", test_deterministic);
  g_test_add_func ("/voc/augment/label-values", test_label_values);
  g_test_add_func ("/voc/augment/identity", test_identity_is_centred_crop);
  g_test_add_func ("/voc/augment/flip", test_flip_is_mirror);
  g_test_add_func ("/voc/augment/value-range", test_value_range);
  g_test_add_func ("/voc/augment/bad-arguments", test_bad_arguments);
  g_test_add_func ("/voc/augment/real-timing", test_real_timing);
  g_test_add_func ("/voc/augment/paste", test_paste);

  return g_test_run ();
}
