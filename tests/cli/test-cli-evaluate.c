/* test-cli-evaluate.c: `unet evaluate`, its metrics checked by hand, and a bad sample
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "voc-test-util.h"
#include "cli-test-util.h"
#include "test-cli.h"

static void
test_evaluate_metrics (void)
{
  g_auto(Run) run = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *dataset = write_fixture_dataset (dir);
  g_autofree char *model = write_fixture_model (dir);
  static const gint64 expected[4][4] = {
    { 9, 1, 2, 0 }, { 3, 5, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 },
  };
  JsonObject *result, *iou, *accuracy;
  JsonArray *confusion;

  for (int flip = 0; flip < 2; flip++)
    {
      run_unet (&run, "evaluate", "--model", model, "--dataset", dataset, "--json",
                "--threads", "1", flip ? "--flip" : "--tile", flip ? "-q" : "16", NULL);
      g_assert_cmpint (run.status, ==, 0);
      result = parse_object (run.out, parser);

      g_assert_cmpint (json_object_get_int_member (result, "images"), ==, 2);
      g_assert_cmpstr (json_object_get_string_member (result, "split"), ==, "val");
      g_assert_cmpfloat_with_epsilon (member_double (result, "miou"), 52.0 / 135.0, 1e-12);
      g_assert_cmpfloat_with_epsilon (member_double (result, "pixel_accuracy"), 0.7, 1e-12);
      g_assert_cmpfloat_with_epsilon (member_double (result, "mean_class_accuracy"), 0.6875,
                                      1e-12);

      iou = json_object_get_object_member (result, "per_class_iou");
      g_assert_cmpfloat_with_epsilon (member_double (iou, "background"), 0.6, 1e-12);
      g_assert_cmpfloat_with_epsilon (member_double (iou, "red"), 5.0 / 9.0, 1e-12);
      g_assert_cmpfloat_with_epsilon (member_double (iou, "blue"), 0.0, 1e-12);
      g_assert_true (json_object_get_null_member (iou, "unused"));

      accuracy = json_object_get_object_member (result, "per_class_accuracy");
      g_assert_cmpfloat_with_epsilon (member_double (accuracy, "background"), 0.75, 1e-12);
      g_assert_cmpfloat_with_epsilon (member_double (accuracy, "red"), 0.625, 1e-12);
      g_assert_true (json_object_get_null_member (accuracy, "blue"));

      confusion = json_object_get_array_member (result, "confusion");
      g_assert_cmpuint (json_array_get_length (confusion), ==, 4);
      for (guint t = 0; t < 4; t++)
        {
          JsonArray *row = json_array_get_array_element (confusion, t);

          g_assert_cmpuint (json_array_get_length (row), ==, 4);
          for (guint p = 0; p < 4; p++)
            g_assert_cmpint (json_array_get_int_element (row, p), ==, expected[t][p]);
        }
      run_clear (&run);
    }

  /* --max-classes 1 keeps red, which wins 5 pixels of a against blue's 3; a's blue pixels go
   * to the better of background (0.5) and red (0): truth 0 row 11 1 0 0, truth 1 row 3 5 0 0.
   * IoU background 11 / (12 + 14 - 11), red 5/9: mIoU 29/45, pixel accuracy 16/20. */
  run_unet (&run, "evaluate", "--model", model, "--dataset", dataset, "--json", "-q",
            "--max-classes", "1", NULL);
  g_assert_cmpint (run.status, ==, 0);
  result = parse_object (run.out, parser);
  g_assert_cmpfloat_with_epsilon (member_double (result, "miou"), 29.0 / 45.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (member_double (result, "pixel_accuracy"), 0.8, 1e-12);
  run_clear (&run);
  /* 0 sets no limit */
  run_unet (&run, "evaluate", "--model", model, "--dataset", dataset, "--json", "-q",
            "--max-classes", "0", NULL);
  g_assert_cmpint (run.status, ==, 0);
  result = parse_object (run.out, parser);
  g_assert_cmpfloat_with_epsilon (member_double (result, "miou"), 52.0 / 135.0, 1e-12);
  run_clear (&run);

  /* The table says the same in percent. */
  run_unet (&run, "evaluate", "--model", model, "--dataset", dataset, "-q", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpuint (count_lines_with (run.out, "mIoU", "38.52 %"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "mIoU", "3 classes"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "pixel accuracy", "70.00 %"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "mean class accuracy", "68.75 %"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "red ", "55.56 %"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "  0  background", "9"), ==, 1);
  voc_test_rm_rf (dir);
}

static void
test_evaluate_bad_sample (void)
{
  g_auto(Run) run = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *dataset = write_fixture_dataset (dir);
  g_autofree char *model = write_fixture_model (dir);
  g_autofree char *images = g_build_filename (dataset, "images", NULL);
  JsonObject *result;

  voc_test_write (images, "b.png", "\x89PNG\r\n\x1a\n garbage", 17);

  run_unet (&run, "evaluate", "--model", model, "--dataset", dataset, "-q", NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "images/b.png"));
  g_assert_nonnull (strstr (run.err, "--skip-bad"));
  g_assert_cmpstr (run.out, ==, "");
  run_clear (&run);

  run_unet (&run, "evaluate", "--model", model, "--dataset", dataset, "--skip-bad", "--json",
            NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "warning: skipping b"));
  g_assert_nonnull (strstr (run.err, "images/b.png"));
  result = parse_object (run.out, parser);
  g_assert_cmpint (json_object_get_int_member (result, "images"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (result, "skipped"), ==, 1);
  /* a alone: 14 scored pixels, 10 right */
  g_assert_cmpfloat_with_epsilon (member_double (result, "pixel_accuracy"), 10.0 / 14.0, 1e-12);
  voc_test_rm_rf (dir);
}

void
test_cli_evaluate_register (void)
{
  g_test_add_func ("/cli/evaluate/metrics", test_evaluate_metrics);
  g_test_add_func ("/cli/evaluate/bad-sample", test_evaluate_bad_sample);
}
