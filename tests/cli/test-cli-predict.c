/* test-cli-predict.c: `unet predict` — its files, its inputs never overwritten, bad input
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "voc/voc.h"
#include "voc-test-util.h"
#include "cli-test-util.h"
#include "test-cli.h"

static int
png_colour_type (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 26);
  g_assert_cmpmem (contents, 8, "\x89PNG\r\n\x1a\n", 8);
  return (guint8) contents[25]; /* IHDR colour type */
}

static void
test_predict_outputs (void)
{
  g_auto(Run) run = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *dataset = write_fixture_dataset (dir);
  g_autofree char *model = write_fixture_model (dir);
  g_autofree char *input = g_build_filename (dataset, "images", "a.png", NULL);
  g_autofree char *images = g_build_filename (dataset, "images", NULL);
  g_autofree char *out = g_build_filename (dir, "out", "nested", NULL);
  g_autofree char *mask_path = g_build_filename (out, "a.png", NULL);
  g_autofree char *overlay_path = g_build_filename (out, "a-overlay.png", NULL);
  g_autofree char *legend_path = g_build_filename (out, "a-legend.png", NULL);
  g_autofree char *json_path = g_build_filename (out, "a.json", NULL);
  g_autofree char *b_mask_path = g_build_filename (out, "b.png", NULL);
  g_autofree guint8 *mask = NULL;
  g_autofree float *overlay = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GdkPixbuf) legend = NULL;
  JsonObject *result;
  JsonArray *classes;
  int width, height;

  run_unet (&run, "predict", "--model", model, "-o", out, "--json", "--flip", input, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "[1/1]"));

  /* The class mask: a palette PNG whose indices are the argmax. */
  g_assert_cmpint (png_colour_type (mask_path), ==, 3);
  mask = voc_mask_load (mask_path, &width, &height, &error);
  g_assert_no_error (error);
  g_assert_cmpint (width, ==, 4);
  g_assert_cmpint (height, ==, 4);
  g_assert_cmpmem (mask, 16, a_predicted, 16);

  overlay = voc_image_load_rgb (overlay_path, &width, &height, &error);
  g_assert_no_error (error);
  g_assert_cmpint (width, ==, 4);
  g_assert_cmpint (height, ==, 4);
  g_assert_cmpint (png_colour_type (overlay_path), ==, 2);
  /* Background keeps the image (black); blue at opacity 0.5 over blue stays blue. */
  g_assert_cmpfloat (overlay[0], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (overlay[2 * 16 + 12], 1.0f, 1e-6);

  legend = gdk_pixbuf_new_from_file (legend_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (legend), >, 40);
  g_assert_cmpint (gdk_pixbuf_get_height (legend), >, 3 * 14);

  /* Shares of the classes present, largest first: 8 black, 5 red, 3 blue of 16 pixels. */
  g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
  result = parse_object (json, parser);
  g_assert_cmpint (json_object_get_int_member (result, "width"), ==, 4);
  classes = json_object_get_array_member (result, "classes");
  g_assert_cmpuint (json_array_get_length (classes), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      static const char *const names[] = { "background", "red", "blue" };
      static const double shares[] = { 0.5, 0.3125, 0.1875 };
      JsonObject *entry = json_array_get_object_element (classes, i);

      g_assert_cmpint (json_object_get_int_member (entry, "index"), ==, i);
      g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, names[i]);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (entry, "share"), shares[i],
                                      1e-12);
    }
  run_clear (&run);

  /* A folder: every image in it, one progress line each; no JSON without --json. */
  g_assert_cmpint (g_unlink (json_path), ==, 0);
  run_unet (&run, "predict", "--model", model, "--output", out, images, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "[1/2]"));
  g_assert_nonnull (strstr (run.err, "[2/2]"));
  g_assert_true (g_file_test (b_mask_path, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (json_path, G_FILE_TEST_EXISTS));
  g_clear_pointer (&mask, g_free);
  mask = voc_mask_load (b_mask_path, &width, &height, &error);
  g_assert_no_error (error);
  g_assert_cmpint (width, ==, 3);
  g_assert_cmpint (height, ==, 2);
  g_assert_cmpmem (mask, 6, ((const guint8[]) { 0, 0, 0, 0, 0, 1 }), 6);

  /* No temporary files are left behind. */
  {
    g_autoptr(GDir) listing = g_dir_open (out, 0, NULL);
    const char *name;
    guint n = 0;

    while ((name = g_dir_read_name (listing)) != NULL)
      {
        g_assert_false (name[0] == '.');
        n++;
      }
    g_assert_cmpuint (n, ==, 6);
  }
  voc_test_rm_rf (dir);
}

static char *
read_file (const char *path)
{
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

static void
test_predict_never_overwrites_inputs (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *dataset = write_fixture_dataset (dir);
  g_autofree char *model = write_fixture_model (dir);
  g_autofree char *images = g_build_filename (dataset, "images", NULL);
  g_autofree char *input = g_build_filename (images, "a.png", NULL);
  g_autofree char *before = read_file (input);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *link = g_build_filename (out, "a.png", NULL);
  g_autofree char *dotted = g_build_filename (images, "..", "images", NULL);
  g_autofree char *after = NULL;
  g_autofree char *other = g_build_filename (images, "a.jpg", NULL);

  /* The mask of images/a.png would be images/a.png itself. */
  run_unet (&run, "predict", "--model", model, "-o", dotted, input, NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "refusing to overwrite the input image"));
  g_assert_nonnull (strstr (run.err, input));
  run_clear (&run);

  /* The same through a symlink in the output folder. */
  g_assert_cmpint (g_mkdir_with_parents (out, 0755), ==, 0);
  g_assert_cmpint (symlink (input, link), ==, 0);
  run_unet (&run, "predict", "--model", model, "-o", out, input, NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "refusing to overwrite"));
  run_clear (&run);

  after = read_file (input);
  g_assert_cmpstr (before, ==, after);
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));

  /* Two inputs that would write the same mask. */
  g_assert_cmpint (g_unlink (link), ==, 0);
  write_rgb_png (other, "K", 1, 1);
  run_unet (&run, "predict", "--model", model, "-o", out, input, other, NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "would both write"));
  g_assert_false (g_file_test (link, G_FILE_TEST_EXISTS));
  voc_test_rm_rf (dir);
}

static void
test_predict_bad_input (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *dataset = write_fixture_dataset (dir);
  g_autofree char *model = write_fixture_model (dir);
  g_autofree char *good = g_build_filename (dataset, "images", "a.png", NULL);
  g_autofree char *corrupt = g_build_filename (dir, "corrupt.jpg", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.png", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *good_mask = g_build_filename (out, "a.png", NULL);
  g_autofree char *corrupt_mask = g_build_filename (out, "corrupt.png", NULL);
  g_autofree char *jpeg = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 32, 32);
  g_autoptr(GError) error = NULL;
  gsize length;

  /* A JPEG cut off halfway. */
  gdk_pixbuf_fill (pixbuf, 0x804020ff);
  gdk_pixbuf_save_to_buffer (pixbuf, &jpeg, &length, "jpeg", &error, NULL);
  g_assert_no_error (error);
  voc_test_write (dir, "corrupt.jpg", jpeg, length / 2);

  run_unet (&run, "predict", "--model", model, "-o", out, corrupt, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "corrupt.jpg"));
  g_assert_cmpuint (count_lines_with (run.err, "unet predict: ", NULL), >=, 1);
  g_assert_false (g_file_test (corrupt_mask, G_FILE_TEST_EXISTS));
  run_clear (&run);

  run_unet (&run, "predict", "--model", model, "-o", out, missing, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "missing.png"));
  run_clear (&run);

  /* --skip-bad: a warning per bad image, the good one done. */
  run_unet (&run, "predict", "--model", model, "-o", out, "--skip-bad", corrupt, missing, good,
            NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpuint (count_lines_with (run.err, "unet predict: warning: skipping", NULL), ==, 2);
  g_assert_true (g_file_test (good_mask, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (strstr (run.err, "2 skipped"));
  voc_test_rm_rf (dir);
}

void
test_cli_predict_register (void)
{
  g_test_add_func ("/cli/predict/outputs", test_predict_outputs);
  g_test_add_func ("/cli/predict/never-overwrites-inputs", test_predict_never_overwrites_inputs);
  g_test_add_func ("/cli/predict/bad-input", test_predict_bad_input);
}
