/* test-own-data.c — a user's own two-class data through `unet info`, `train`, `evaluate` and
 * `predict`, masks as they come (0 and 255), and the refusals of a class mismatch
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "unet/unet.h"
#include "voc/voc.h"
#include "voc-test-util.h"
#include "cli-test-util.h"

#define SIDE 48
#define N_IMAGES 6

/* Bright discs (cells) on dark membrane, as EM slices look; the masks are RGB PNGs of 0 and 255
 * (a greyscale mask saved by a tool that writes RGB), in label/ with a "_mask" suffix. */
static char *
make_binary_dataset (const char *dir,
                     const char *classes_txt)
{
  g_autofree char *root = g_build_filename (dir, "em", NULL);
  g_autofree char *images = g_build_filename (root, "image", NULL);
  g_autofree char *masks = g_build_filename (root, "label", NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);

  g_assert_cmpint (g_mkdir_with_parents (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (masks, 0755), ==, 0);
  voc_test_write (root, "classes.txt", classes_txt, -1);
  for (int n = 0; n < N_IMAGES; n++)
    {
      g_autoptr(GdkPixbuf) image = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
      g_autoptr(GdkPixbuf) mask = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
      g_autofree char *image_path = g_strdup_printf ("%s/slice%02d.png", images, n);
      g_autofree char *mask_path = g_strdup_printf ("%s/slice%02d_mask.png", masks, n);
      g_autoptr(GError) error = NULL;
      int cx = g_rand_int_range (rand, 14, 34), cy = g_rand_int_range (rand, 14, 34);
      int r = g_rand_int_range (rand, 6, 12);

      for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++)
          {
            gboolean cell = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
            guint8 *p = gdk_pixbuf_get_pixels (image) + y * gdk_pixbuf_get_rowstride (image)
                        + 3 * x;
            guint8 *m = gdk_pixbuf_get_pixels (mask) + y * gdk_pixbuf_get_rowstride (mask) + 3 * x;

            p[0] = p[1] = p[2] = (cell ? 170 : 60) + g_rand_int_range (rand, 0, 40);
            m[0] = m[1] = m[2] = cell ? 255 : 0;
          }
      g_assert_true (gdk_pixbuf_save (image, image_path, "png", &error, NULL));
      g_assert_true (gdk_pixbuf_save (mask, mask_path, "png", &error, NULL));
      g_assert_no_error (error);
    }
  return g_steal_pointer (&root);
}

#define SMALL "--padding", "same", "--norm", "batch", "--depth", "2", "--base", "8", \
              "--tile", "32", "--batch", "2", "--threads", "1", "--seed", "3"

static void
test_binary_end_to_end (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *data = make_binary_dataset (dir, "membrane\ncell #00c000\n");
  g_autofree char *run_dir = g_build_filename (dir, "run", NULL);
  g_autofree char *model_path = g_build_filename (run_dir, "best.safetensors", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *image = g_build_filename (data, "image", "slice00.png", NULL);
  g_autofree char *predicted = g_build_filename (out, "slice00.png", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetModel) model = NULL;
  g_autofree guint8 *mask = NULL;
  g_auto(Run) run = { 0 };
  const char *const names[] = { "membrane", "cell", NULL };
  int width, height;

  run_unet (&run, "info", "--dataset", data, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "classes  2: membrane, cell"));
  g_assert_nonnull (strstr (run.out, "  6 masks: values 0 and 255, read as membrane and cell\n"));
  g_assert_null (strstr (run.out, "Warnings"));
  g_assert_nonnull (strstr (run.out, "No problems found."));
  run_clear (&run);

  run_unet (&run, "train", "--dataset", data, "-o", run_dir, SMALL, "--steps", "4", NULL);
  g_assert_cmpint (run.status, ==, 0);
  model = unet_model_load (model_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (unet_model_get_config (model)->classes, ==, 2);
  g_assert_cmpstrv (unet_model_get_class_names (model), names);
  g_assert_cmpmem (unet_model_get_palette (model) + 3, 3, "\x00\xc0\x00", 3);
  run_clear (&run);

  run_unet (&run, "evaluate", "--model", model_path, "--dataset", data, "--split", "val",
            "--json", "--threads", "1", NULL);
  g_assert_cmpint (run.status, ==, 0);
  json_parser_load_from_data (parser, run.out, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (run.out, "\"membrane\""));
  g_assert_nonnull (strstr (run.out, "\"cell\""));
  {
    JsonObject *result = json_node_get_object (json_parser_get_root (parser));
    JsonNode *rand_error = json_object_get_member (result, "adapted_rand_error");

    /* two classes: the ISBI measure of the cells' regions, over the val images that have any */
    g_assert_nonnull (rand_error);
    g_assert_cmpint (json_object_get_int_member (result, "adapted_rand_images"), >=, 1);
    g_assert_cmpfloat (json_node_get_double (rand_error), >=, 0.0);
    g_assert_cmpfloat (json_node_get_double (rand_error), <=, 1.0);
  }
  run_clear (&run);

  run_unet (&run, "predict", "--model", model_path, "-o", out, "--threads", "1", "-q", image,
            NULL);
  g_assert_cmpint (run.status, ==, 0);
  mask = voc_mask_load (predicted, &width, &height, &error);
  g_assert_no_error (error);
  g_assert_cmpint (width, ==, SIDE);
  for (int i = 0; i < width * height; i++)
    g_assert_cmpint (mask[i], <=, 1);
  run_clear (&run);

  /* the classes changed since the run started: resume refuses, naming both */
  voc_test_write (data, "classes.txt", "membrane\ncell\nmitochondrion\n", -1);
  run_unet (&run, "train", "--resume", run_dir, "--steps", "6", NULL);
  g_assert_cmpint (run.status, !=, 0);
  g_assert_nonnull (strstr (run.err, "The run has 2 classes but the dataset "));
  g_assert_nonnull (strstr (run.err, "has 3 classes (membrane, cell, mitochondrion); its "
                                     "classes.txt has changed since the run started: restore "
                                     "it, or start a new run\n"));
  run_clear (&run);

  /* a model of other classes is no start for this data */
  {
    g_autofree char *other = g_build_filename (dir, "other", NULL);

    run_unet (&run, "train", "--dataset", data, "-o", other, SMALL, "--steps", "1", "--init",
              model_path, NULL);
    g_assert_cmpint (run.status, !=, 0);
    g_assert_nonnull (strstr (run.err, "has 2 classes (membrane, cell) but the dataset"));
    g_assert_nonnull (strstr (run.err, "--init takes a model trained on the same classes"));
    g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));
  }
  voc_test_rm_rf (dir);
}

/* Three classes written for masks of 0 and 255: the 255s are void, and `unet info` says that
 * something is off instead of "No problems found". */
static void
test_info_warnings (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *data = make_binary_dataset (dir, "background\ncell\nnucleus\n");
  g_auto(Run) run = { 0 };

  run_unet (&run, "info", "--dataset", data, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "6 masks: values 0–2 as the classes' numbers (0 background, "
                                     "1 cell, 2 nucleus), 255 void"));
  g_assert_nonnull (strstr (run.out, "Warnings: 2\n"));
  g_assert_nonnull (strstr (run.out, "  class “cell” has no pixels in any mask"));
  g_assert_nonnull (strstr (run.out, "  class “nucleus” has no pixels in any mask"));
  run_clear (&run);

  /* a value that is no class stops training with the line to add */
  voc_test_write (data, "classes.txt", "membrane\ncell\nvoid = 128\n", -1);
  run_unet (&run, "info", "--dataset", data, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "has the value 255, which classes.txt does not list; add it "
                                     "after a class's “=” (e.g. “cell = 255”)"));
  voc_test_rm_rf (dir);
}

/* "Train for 10 minutes": --time-limit alone makes the run that long, the schedule annealed over
 * the time, and it ends as a finished run (best model, exit 0); with --steps, whichever ends
 * first; --resume takes a new limit. */
static void
test_time_limit (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *data = make_binary_dataset (dir, "membrane\ncell\n");
  g_autofree char *run_dir = g_build_filename (dir, "run", NULL);
  g_autofree char *best = g_build_filename (run_dir, "best.safetensors", NULL);
  g_autoptr(GArray) rates = NULL;
  g_auto(Run) run = { 0 };
  gint64 start = g_get_monotonic_time ();
  guint first_steps;

  run_unet (&run, "train", "--dataset", data, "-o", run_dir, SMALL, "--schedule", "poly",
            "--time-limit", "0.03", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "finished after "));
  g_assert_true (g_file_test (best, G_FILE_TEST_IS_REGULAR));
  /* 1.8 s, the set-up, final validation and saving around them */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1.8 * G_USEC_PER_SEC);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 60 * G_USEC_PER_SEC);
  /* poly from the full rate down to 0 at the last step, by the clock */
  rates = voc_test_read_log_column (run_dir, 3);
  first_steps = rates->len;
  g_assert_cmpuint (first_steps, >=, 3);
  g_assert_cmpfloat (g_array_index (rates, double, 0), >, 0.009);
  g_assert_cmpfloat (g_array_index (rates, double, rates->len - 1), ==, 0.0);
  for (guint i = 1; i < rates->len; i++)
    g_assert_cmpfloat (g_array_index (rates, double, i), <=, g_array_index (rates, double, i - 1));
  g_clear_pointer (&rates, g_array_unref);
  run_clear (&run);

  /* its time is up: resumed as it is, there is nothing to do */
  run_unet (&run, "train", "--resume", run_dir, NULL);
  g_assert_cmpint (run.status, ==, 0);
  rates = voc_test_read_log_column (run_dir, 3);
  g_assert_cmpuint (rates->len, ==, first_steps);
  g_clear_pointer (&rates, g_array_unref);
  run_clear (&run);

  /* a new limit counts the time trained: 1.8 s more, from the rate the clock gives */
  run_unet (&run, "train", "--resume", run_dir, "--time-limit", "0.06", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "finished after "));
  rates = voc_test_read_log_column (run_dir, 3);
  g_assert_cmpuint (rates->len, >, first_steps);
  g_assert_cmpfloat (g_array_index (rates, double, first_steps), <, 0.01 * 0.7);
  g_assert_cmpfloat (g_array_index (rates, double, rates->len - 1), ==, 0.0);
  g_clear_pointer (&rates, g_array_unref);
  run_clear (&run);

  /* with --steps, whichever comes first: here the steps */
  voc_test_rm_rf (run_dir);
  run_unet (&run, "train", "--dataset", data, "-o", run_dir, SMALL, "--steps", "4",
            "--time-limit", "30", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "finished after 4 steps"));
  run_clear (&run);

  run_unet (&run, "train", "--resume", run_dir, "--time-limit", "-1", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--time-limit must be a number of minutes"));
  run_clear (&run);

  /* refused before anything is created */
  {
    g_autofree char *other = g_build_filename (dir, "other", NULL);

    run_unet (&run, "train", "--dataset", data, "-o", other, SMALL, "--time-limit", "-1", NULL);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));
  }
  voc_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/own-data/binary", test_binary_end_to_end);
  g_test_add_func ("/cli/own-data/info-warnings", test_info_warnings);
  g_test_add_func ("/cli/own-data/time-limit", test_time_limit);

  return g_test_run ();
}
