/* test-cli.c: `unet` end to end — help, usage errors, the real photos; main()
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "unet/unet.h"
#include "voc/voc.h"
#include "voc-test-util.h"
#include "cli-test-util.h"
#include "test-cli.h"

static void
test_help (void)
{
  static const char *const commands[] = { "info", "evaluate", "predict" };
  g_auto(Run) run = { 0 };

  run_unet (&run, "--help", NULL);
  g_assert_cmpint (run.status, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_assert_nonnull (strstr (run.out, commands[i]));
  g_assert_cmpstr (run.err, ==, "");
  run_clear (&run);

  run_unet (&run, "--version", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.out, "unet ("));
  run_clear (&run);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      run_unet (&run, commands[i], "--help", NULL);
      g_assert_cmpint (run.status, ==, 0);
      g_assert_true (g_str_has_prefix (run.out, "Usage:"));
      g_assert_nonnull (strstr (run.out, "--model=FILE"));
      g_assert_nonnull (strstr (run.out, "Examples:"));
      g_assert_cmpstr (run.err, ==, "");
      if (strcmp (commands[i], "evaluate") == 0)
        g_assert_nonnull (strstr (run.out, "mean over the classes present in the ground truth or"));
      run_clear (&run);
    }
}

static void
test_usage_errors (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *dataset = write_fixture_dataset (dir);
  g_autofree char *model = write_fixture_model (dir);
  g_autofree char *out = g_build_filename (dir, "out", NULL);

  run_unet (&run, "frobnicate", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_nonnull (strstr (run.err, "unknown command “frobnicate”"));
  run_clear (&run);

  run_unet (&run, "info", "--frobnicate", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--frobnicate"));
  run_clear (&run);

  run_unet (&run, "info", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--dataset"));
  run_clear (&run);

  run_unet (&run, "evaluate", "--model", model, NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--dataset"));
  run_clear (&run);

  run_unet (&run, "predict", "--model", model, "--opacity", "2", "-o", out, "x.png", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--opacity"));
  run_clear (&run);

  run_unet (&run, "predict", "--model", model, "--max-classes", "-1", "-o", out, "x.png", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--max-classes"));
  run_clear (&run);

  run_unet (&run, "evaluate", "--model", model, "--dataset", dataset, "--max-classes", "-3",
            NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--max-classes"));
  run_clear (&run);

  /* Without --model, the model built into unet segments the image… */
  if (voc_test_root () != NULL)
  {
    g_autofree char *image = g_build_filename (voc_test_root (), "VOC2007", "JPEGImages",
                                               "000032.jpg", NULL);
    g_autofree char *json_path = g_build_filename (out, "000032.json", NULL);
    g_autofree char *json = NULL;

    run_unet (&run, "predict", "-o", out, "--json", "-q", image, NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
    g_assert_nonnull (strstr (json, "built-in default model"));
    run_clear (&run);
  }

  /* …a $UNET_DEFAULT_MODEL that does not exist is an error, not a silent fallback… */
  run_unet_env (&run, "UNET_DEFAULT_MODEL", "/nonexistent/default.safetensors", "predict", "-o",
                out, "x.png", NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "/nonexistent/default.safetensors"));
  run_clear (&run);

  /* …and $UNET_DEFAULT_MODEL stands in for the installed one. */
  run_unet_env (&run, "UNET_DEFAULT_MODEL", model, "evaluate", "--dataset", dataset, "--json",
                "-q", NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);

  run_unet (&run, "evaluate", "--model", "/nonexistent/model.safetensors", "--dataset", dataset,
            NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "/nonexistent/model.safetensors"));
  run_clear (&run);

  voc_test_rm_rf (dir);
}

/* The real photos: any size in, masks of the same size out, through overlapping tiles. */
static void
test_voc_smoke (void)
{
  g_auto(Run) run = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *model = NULL;
  g_autofree char *out = NULL;
  g_autofree char *photo = NULL;
  g_autofree char *mask_path = NULL;
  g_autofree guint8 *mask = NULL;
  g_autoptr(UnetModel) random_model = NULL;
  const char *root = voc_test_root ();
  JsonObject *result;
  UnetConfig config;
  int width, height, photo_width, photo_height;

  if (root == NULL)
    return;
  dir = voc_test_tmpdir ();
  model = g_build_filename (dir, "random.safetensors", NULL);
  out = g_build_filename (dir, "out", NULL);
  photo = voc_test_path ("JPEGImages", "000032.jpg", NULL);
  mask_path = g_build_filename (out, "000032.png", NULL);

  unet_config_init_default (&config);
  config.depth = 2;
  config.base = 4;
  random_model = unet_model_new (&config, &error);
  g_assert_no_error (error);
  unet_model_init_weights (random_model, 3);
  unet_model_save (random_model, model, &error);
  g_assert_no_error (error);

  run_unet (&run, "evaluate", "--model", model, "--dataset", root, "--json", "--tile", "132",
            NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "197 of the 213 ids"));
  result = parse_object (run.out, parser);
  g_assert_cmpint (json_object_get_int_member (result, "images"), ==, 16);
  g_assert_cmpint (json_object_get_int_member (result, "missing"), ==, 197);
  g_assert_cmpfloat (member_double (result, "miou"), >=, 0.0);
  g_assert_cmpfloat (member_double (result, "miou"), <=, 1.0);
  run_clear (&run);

  run_unet (&run, "predict", "--model", model, "-o", out, photo, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (voc_image_load_rgb (photo, &photo_width, &photo_height, &error));
  g_assert_no_error (error);
  mask = voc_mask_load (mask_path, &width, &height, &error);
  g_assert_no_error (error);
  g_assert_cmpint (width, ==, photo_width);
  g_assert_cmpint (height, ==, photo_height);
  for (int i = 0; i < width * height; i++)
    g_assert_cmpuint (mask[i], <, 21);
  voc_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/help", test_help);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  test_cli_info_register ();
  test_cli_evaluate_register ();
  test_cli_predict_register ();
  g_test_add_func ("/cli/voc-smoke", test_voc_smoke);
  test_cli_train_register ();
  test_cli_plot_register ();

  return g_test_run ();
}
