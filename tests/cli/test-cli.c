/* test-cli.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "unet/unet.h"
#include "voc/voc.h"
#include "voc-test-util.h"
#include "cli-test-util.h"
#include "unet/unet-model-train.h"

/* --- fixtures ---------------------------------------------------------------------------- */

/* Pixel colours of the fixture images and the class the fixture model gives each. */
#define K_ 'K' /* black -> background (0) */
#define R_ 'R' /* red -> red (1) */
#define B_ 'B' /* blue -> blue (2) */

static void
write_rgb_png (const char *path,
               const char *colours,
               int         width,
               int         height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = pixels + y * stride + 3 * x;
        char c = colours[y * width + x];

        p[0] = c == R_ ? 255 : 0;
        p[1] = 0;
        p[2] = c == B_ ? 255 : 0;
      }
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
}

static void
set_weight (UnetModel *model,
            const char *name,
            int         out,
            int         in,
            float       value)
{
  UnetParam *param = unet_model_find_param (model, name);

  g_assert_nonnull (param);
  if (param->ndim == 1)
    param->data[out] = value;
  else if (param->shape[2] == 1)
    param->data[out * param->shape[1] + in] = value;
  else /* the centre tap of a 3x3 kernel */
    param->data[((out * param->shape[1] + in) * 3 + 1) * 3 + 1] = value;
}

/* A depth-1 U-Net whose prediction is known: the skip path carries the red and the blue
 * channel unchanged (centre taps of 1, everything else 0), so the logits are
 * (0.5, red, blue, -10): red pixels are class 1, blue ones class 2, black ones class 0, and
 * class 3 never wins. */
static char *
write_fixture_model (const char *dir)
{
  static const char *const names[] = { "background", "red", "blue", "unused", NULL };
  static const guint8 palette[] = { 0, 0, 0, 255, 0, 0, 0, 0, 255, 0, 255, 0 };
  const float mean[3] = { 0, 0, 0 };
  const float std[3] = { 1, 1, 1 };
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, "model.safetensors", NULL);
  UnetConfig config;

  unet_config_init_default (&config);
  config.depth = 1;
  config.base = 2;
  config.padding = UNET_PADDING_SAME;
  config.classes = 4;
  config.dropout = 0.0f;
  model = unet_model_new (&config, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);

      memset (param->data, 0, param->numel * sizeof (float));
    }
  set_weight (model, "enc.0.conv1.weight", 0, 0, 1.0f); /* red */
  set_weight (model, "enc.0.conv1.weight", 1, 2, 1.0f); /* blue */
  set_weight (model, "enc.0.conv2.weight", 0, 0, 1.0f);
  set_weight (model, "enc.0.conv2.weight", 1, 1, 1.0f);
  set_weight (model, "dec.0.conv1.weight", 0, 0, 1.0f); /* the skip map comes first */
  set_weight (model, "dec.0.conv1.weight", 1, 1, 1.0f);
  set_weight (model, "dec.0.conv2.weight", 0, 0, 1.0f);
  set_weight (model, "dec.0.conv2.weight", 1, 1, 1.0f);
  set_weight (model, "head.weight", 1, 0, 1.0f);
  set_weight (model, "head.weight", 2, 1, 1.0f);
  set_weight (model, "head.bias", 0, 0, 0.5f);
  set_weight (model, "head.bias", 3, 0, -10.0f);
  unet_model_set_normalization (model, mean, std);
  unet_model_set_classes (model, names, palette);
  unet_model_set_info (model, "epochs", "7");
  unet_model_set_info (model, "data", "hand-made fixture");
  unet_model_save (model, path, &error);
  g_assert_no_error (error);
  return path;
}

/* Image a (4x4) and b (3 wide, 2 high) with their class masks. Colour and truth per pixel:
 *
 *   a:  K0 K0 K0 K0        b:  K0 K0 K0
 *       K0 R1 R1 K0            K1 K1 R1
 *       K1 R1 R1 R0
 *       B0 B0 B255 K255
 *
 * Predictions follow the colour (K 0, R 1, B 2). Confusion (rows truth, columns prediction),
 * void not scored:
 *
 *   truth 0:  9 1 2 0     (a: 6 K0, R0, 2 B0; b: 3 K0)
 *   truth 1:  3 5 0 0     (a: K1, 4 R1; b: 2 K1, R1)
 *   truth 2, 3: nothing
 *
 * 20 scored pixels, 14 right: pixel accuracy 0.7.
 * IoU: background 9 / (12 + 12 - 9) = 0.6, red 5 / (8 + 6 - 5) = 5/9, blue 0 / (0 + 2) = 0,
 * unused: not present. mIoU over the 3 classes in the truth or the predictions:
 * (0.6 + 5/9 + 0) / 3 = 52/135. Mean class accuracy over the classes in the truth:
 * (9/12 + 5/8) / 2 = 0.6875. */
static const char a_colours[] = "KKKK" "KRRK" "KRRR" "BBBK";
static const guint8 a_truth[] = { 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 255, 255 };
static const guint8 a_predicted[] = { 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 2, 2, 2, 0 };
static const char b_colours[] = "KKK" "KKR";
static const guint8 b_truth[] = { 0, 0, 0, 1, 1, 1 };

static char *
write_fixture_dataset (const char *dir)
{
  g_autofree char *root = g_build_filename (dir, "data", NULL);
  g_autofree char *images = g_build_filename (root, "images", NULL);
  g_autofree char *masks = g_build_filename (root, "masks", NULL);
  g_autofree char *splits = g_build_filename (root, "splits", NULL);
  g_autofree char *a = g_build_filename (images, "a.png", NULL);
  g_autofree char *b = g_build_filename (images, "b.png", NULL);
  g_autofree char *a_mask = g_build_filename (masks, "a.png", NULL);
  g_autofree char *b_mask = g_build_filename (masks, "b.png", NULL);
  g_autoptr(GError) error = NULL;
  static const char classes[] = "background\nred #ff0000\nblue #0000ff\nunused\n";

  g_assert_cmpint (g_mkdir_with_parents (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (masks, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (splits, 0755), ==, 0);
  voc_test_write (root, "classes.txt", classes, -1);
  voc_test_write (splits, "val.txt", "a\nb\n", -1);
  write_rgb_png (a, a_colours, 4, 4);
  write_rgb_png (b, b_colours, 3, 2);
  voc_mask_save_png (a_mask, a_truth, 4, 4, &error);
  g_assert_no_error (error);
  voc_mask_save_png (b_mask, b_truth, 3, 2, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&root);
}

static JsonObject *
parse_object (const char *json,
              JsonParser *parser)
{
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

/* --- tests ------------------------------------------------------------------------------- */

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

static void
test_info_voc (void)
{
  g_auto(Run) run = { 0 };
  const char *root = voc_test_root ();

  if (root == NULL)
    return;

  /* The shared subset lists 596 ids (train, val, test) without files; each is one problem,
   * listed once even though trainval repeats train and val. */
  run_unet (&run, "info", "--dataset", root, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Split “train”: 209 ids, 20 with image and mask, 189 missing"));
  g_assert_nonnull (strstr (run.out, "Split “val”: 213 ids, 16 with image and mask, 197 missing"));
  g_assert_nonnull (strstr (run.out, "Split “test”: 210 ids, 0 with image and mask, 210 missing"));
  g_assert_nonnull (strstr (run.out, "Split “trainval”: 422 ids, 36 with image and mask"));
  g_assert_nonnull (strstr (run.out, "Problems: 596, in 596 ids"));
  g_assert_cmpuint (count_lines_with (run.out, "  id ", ": missing"), ==, 596);
  g_assert_cmpuint (count_lines_with (run.out, "  id ", "[test]"), ==, 210);
  g_assert_cmpuint (count_lines_with (run.out, "  id ", "[train, trainval]"), ==, 189);
  g_assert_cmpuint (count_lines_with (run.out, "  id ", "[trainval, val]"), ==, 197);
  g_assert_cmpuint (count_lines_with (run.out, "  person ", NULL), ==, 3);
  g_assert_cmpuint (count_lines_with (run.out, "  void (255)", NULL), ==, 3);
  run_clear (&run);

  run_unet (&run, "info", "--dataset", root, "--split", "val", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_null (strstr (run.out, "Split “train”"));
  g_assert_nonnull (strstr (run.out, "Problems: 197, in 197 ids"));
  run_clear (&run);

  run_unet (&run, "info", "--dataset", root, "--split", "nosuchsplit", NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "nosuchsplit"));
}

/* A plain dataset with three different problems in three samples: all are listed. */
static void
test_info_problems (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *dataset = write_fixture_dataset (dir);
  g_autofree char *images = g_build_filename (dataset, "images", NULL);
  g_autofree char *masks = g_build_filename (dataset, "masks", NULL);
  g_autofree char *c = g_build_filename (images, "c.png", NULL);
  g_autofree char *d = g_build_filename (images, "d.png", NULL);
  g_autofree char *c_mask = g_build_filename (masks, "c.png", NULL);
  g_autofree char *d_mask = g_build_filename (masks, "d.png", NULL);
  g_autoptr(GError) error = NULL;
  static const guint8 bad_values[] = { 0, 7, 1, 0 };

  /* c: a mask value that is neither a class nor 255; d: the same and a mask of another size;
   * e: an empty image and no mask. */
  write_rgb_png (c, "KRKK", 2, 2);
  voc_mask_save_png (c_mask, bad_values, 2, 2, &error);
  g_assert_no_error (error);
  write_rgb_png (d, "KRKK", 2, 2);
  voc_mask_save_png (d_mask, bad_values, 4, 1, &error);
  g_assert_no_error (error);
  voc_test_write (images, "e.png", "", 0);
  voc_test_write (dataset, "splits/val.txt", "a\nb\nc\nd\ne\n", -1);

  run_unet (&run, "info", "--dataset", dataset, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Split “val”: 5 ids, 4 with image and mask, 1 missing"));
  g_assert_nonnull (strstr (run.out, "Problems: 5, in 3 ids"));
  g_assert_cmpuint (count_lines_with (run.out, "  ", "masks/c.png: pixel (1, 0) has the value 7"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "  ", "masks/d.png: pixel (1, 0) has the value 7"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "  ", "masks/d.png: class mask is 4×1"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "  ", "images/e.png"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "  id e: missing", NULL), ==, 1);
  /* Statistics over the masks that could be read, a and b: 22 pixels, 12 background, 8 red,
   * 2 void. */
  g_assert_cmpuint (count_lines_with (run.out, "  background   ", "54.55 %"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "  red   ", "36.36 %"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "  void (255)", "9.09 %"), ==, 1);
  voc_test_rm_rf (dir);
}

static void
test_info_model (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *model = write_fixture_model (dir);
  g_autofree char *broken = g_build_filename (dir, "broken.safetensors", NULL);

  run_unet (&run, "info", "--model", model, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpuint (count_lines_with (run.out, "  depth        1", NULL), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "  base         2", NULL), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "  padding      same", NULL), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "  norm         none", NULL), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "  classes      4", NULL), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "      1  red", "#ff0000"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "    epochs", "7"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "    data", "hand-made fixture"), ==, 1);
  g_assert_cmpuint (count_lines_with (run.out, "  parameters", "trainable"), ==, 1);
  run_clear (&run);

  voc_test_write (dir, "broken.safetensors", "\x10\0\0\0\0\0\0\0{\"a\":", 13);
  run_unet (&run, "info", "--model", broken, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "broken.safetensors"));
  voc_test_rm_rf (dir);
}

static double
member_double (JsonObject *object,
               const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_double_member (object, name);
}

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

/* unet train end to end: a short run, its files, resume, and the errors a user can make. */
static void
test_train (void)
{
  g_auto(Run) run = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetModel) model = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *output = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *log = NULL;
  g_autofree char *best = NULL;
  g_autofree char *last = NULL;
  const char *root = voc_test_root ();

  if (root == NULL)
    return;
  dir = voc_test_tmpdir ();
  output = g_build_filename (dir, "run", NULL);
  csv = g_build_filename (output, "log.csv", NULL);
  best = g_build_filename (output, "best.safetensors", NULL);
  last = g_build_filename (output, "last.safetensors", NULL);

  run_unet (&run, "train", "--dataset", root, "-o", output, "--skip-bad", "--padding", "same",
            "--depth", "2", "--base", "4", "--tile", "64", "--batch", "2", "--steps", "4",
            "--no-validation", "--threads", "2", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "189 of the 209 ids"));
  g_assert_nonnull (strstr (run.err, "finished after 4 steps"));
  g_assert_true (g_file_get_contents (csv, &log, NULL, NULL));
  g_assert_cmpuint (count_lines_with (log, "", ","), ==, 1 + 4);
  model = unet_model_load (best, &error);
  g_assert_no_error (error);
  g_assert_cmpint (unet_model_get_config (model)->depth, ==, 2);
  g_assert_true (g_file_test (last, G_FILE_TEST_EXISTS));
  run_clear (&run);

  /* a second run into the same folder would destroy the first */
  run_unet (&run, "train", "--dataset", root, "-o", output, "--skip-bad", "--steps", "1", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--resume"));
  run_clear (&run);

  /* resume with a longer run: the same folder, two more steps */
  run_unet (&run, "train", "--resume", output, "--steps", "6", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_clear_pointer (&log, g_free);
  g_assert_true (g_file_get_contents (csv, &log, NULL, NULL));
  g_assert_cmpuint (count_lines_with (log, "", ","), ==, 1 + 6);
  g_assert_cmpuint (count_lines_with (log, "5,", NULL), ==, 1);
  run_clear (&run);

  /* nonsense options are usage errors (2) that say what is wrong */
  run_unet (&run, "train", "--dataset", root, "-o", dir, "--batch", "-1", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "Batch size -1"));
  run_clear (&run);
  run_unet (&run, "train", "--dataset", root, "-o", dir, "--tile", "0", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "Tile 0"));
  run_clear (&run);
  run_unet (&run, "train", "--dataset", root, "-o", dir, "--padding", "diagonal", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "diagonal"));
  run_clear (&run);
  run_unet (&run, "train", "--dataset", root, "-o", dir, "--depth", "9", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "Depth 9"));
  run_clear (&run);
  run_unet (&run, "train", "--dataset", root, NULL);
  g_assert_cmpint (run.status, ==, 2);
  run_clear (&run);

  /* bad input is exit 3, naming the file */
  run_unet (&run, "train", "--dataset", "/nonexistent/voc", "-o", dir, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "/nonexistent/voc"));
  run_clear (&run);
  run_unet (&run, "train", "--resume", dir, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "last.safetensors"));
  run_clear (&run);
  /* without --skip-bad, the ids the subset lacks are an error naming one of them */
  run_unet (&run, "train", "--dataset", root, "-o", dir, "--steps", "1", NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "JPEGImages"));
  voc_test_rm_rf (dir);
}

/* --- unet plot --------------------------------------------------------------------------- */

/* A log as `unet train` writes it: epochs of 10 steps, each followed by a validation. */
static char *
plot_log_jsonl (guint    n_epochs,
                gboolean validate)
{
  GString *log = g_string_new (NULL);

  for (guint e = 1; e <= n_epochs; e++)
    {
      char loss[G_ASCII_DTOSTR_BUF_SIZE], miou[G_ASCII_DTOSTR_BUF_SIZE];

      for (guint s = 1; s <= 10; s++)
        {
          guint step = (e - 1) * 10 + s;

          g_ascii_formatd (loss, sizeof loss, "%.6g", 3.0 / sqrt (step) + 0.05 * (step % 3));
          g_string_append_printf (log, "{\"type\":\"train\",\"step\":%u,\"epoch\":%u,\"loss\":%s,"
                                  "\"lr\":0.01,\"images_per_s\":12.5}\n", step, e, loss);
        }
      if (!validate)
        continue;
      g_ascii_formatd (loss, sizeof loss, "%.6g", 2.0 / sqrt (e));
      g_ascii_formatd (miou, sizeof miou, "%.6g", 0.1 * e);
      g_string_append_printf (log, "{\"type\":\"val\",\"step\":%u,\"epoch\":%u,\"val_loss\":%s,"
                              "\"miou\":%s,\"pixel_accuracy\":0.8,\"mean_class_accuracy\":0.3,"
                              "\"per_class_iou\":{\"background\":0.9,\"cat\":0.1}}\n", e * 10, e,
                              loss, miou);
    }
  return g_string_free (log, FALSE);
}

/* How many pixels are within a small distance of #rrggbb. */
static guint
count_colour (GdkPixbuf *pixbuf,
              guint32    rgb)
{
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  int channels = gdk_pixbuf_get_n_channels (pixbuf);
  guint n = 0;

  for (int y = 0; y < gdk_pixbuf_get_height (pixbuf); y++)
    for (int x = 0; x < gdk_pixbuf_get_width (pixbuf); x++)
      {
        const guint8 *p = pixels + y * stride + channels * x;

        if (abs (p[0] - (int) (rgb >> 16)) < 24 && abs (p[1] - (int) ((rgb >> 8) & 0xff)) < 24 &&
            abs (p[2] - (int) (rgb & 0xff)) < 24)
          n++;
      }
  return n;
}

static GdkPixbuf *
load_png (const char *path,
          int         width,
          int         height)
{
  g_autoptr(GError) error = NULL;
  GdkPixbuf *pixbuf = gdk_pixbuf_new_from_file (path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, width);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, height);
  return pixbuf;
}

#define PLOT_BLUE 0x1c71d8   /* the training loss */
#define PLOT_ORANGE 0xe66100 /* the validation loss */
#define PLOT_GREEN 0x26a269  /* the mIoU */

/* unet plot draws a log.jsonl, a log.csv or the run folder as PNG or SVG. */
static void
test_plot_outputs (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *run_dir = g_build_filename (dir, "run", NULL);
  g_autofree char *jsonl = g_build_filename (run_dir, "log.jsonl", NULL);
  g_autofree char *csv_dir = g_build_filename (dir, "csv", NULL);
  g_autofree char *csv = g_build_filename (csv_dir, "log.csv", NULL);
  g_autofree char *png = g_build_filename (dir, "plot.png", NULL);
  g_autofree char *svg = g_build_filename (dir, "plot.SVG", NULL);
  g_autofree char *log = plot_log_jsonl (4, TRUE);
  g_autofree char *train_only = plot_log_jsonl (3, FALSE);
  g_autofree char *contents = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  GString *csv_log = g_string_new ("step,epoch,loss,lr,images_per_s,val_loss,val_miou,"
                                   "val_pixel_accuracy,val_mean_class_accuracy\n");

  g_assert_cmpint (g_mkdir_with_parents (run_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (csv_dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (jsonl, log, -1, NULL));

  /* the run folder stands for its log.jsonl */
  run_unet (&run, "plot", run_dir, png, "--width", "640", "--height", "480", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_nonnull (strstr (run.err, "40 training steps and 4 validations"));
  pixbuf = load_png (png, 640, 480);
  /* all three lines are there */
  g_assert_cmpuint (count_colour (pixbuf, PLOT_BLUE), >, 50);
  g_assert_cmpuint (count_colour (pixbuf, PLOT_ORANGE), >, 20);
  g_assert_cmpuint (count_colour (pixbuf, PLOT_GREEN), >, 20);
  g_clear_object (&pixbuf);
  run_clear (&run);

  /* the file itself, into an SVG (the suffix in any case), replacing nothing but OUT */
  run_unet (&run, "plot", jsonl, svg, "--title", "", "--smoothing", "0", "-q", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, "");
  g_assert_true (g_file_get_contents (svg, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "<?xml"));
  g_assert_nonnull (strstr (contents, "<svg"));
  g_assert_nonnull (strstr (contents, "width=\"1000px\" height=\"760px\""));
  g_clear_pointer (&contents, g_free);
  run_clear (&run);

  /* the same run as log.csv, at the default size */
  for (guint step = 1; step <= 20; step++)
    {
      g_string_append_printf (csv_log, "%u,%u,%u.5,0.01,3,,,,\n", step, (step - 1) / 10 + 1,
                              3 - step / 10);
      if (step % 10 == 0)
        g_string_append_printf (csv_log, "%u,%u,,,,1.5,0.%u,0.8,0.3\n", step, step / 10,
                                step / 10);
    }
  g_assert_true (g_file_set_contents (csv, csv_log->str, -1, NULL));
  g_string_free (csv_log, TRUE);
  run_unet (&run, "plot", csv_dir, png, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "20 training steps and 2 validations"));
  pixbuf = load_png (png, 1000, 760);
  g_assert_cmpuint (count_colour (pixbuf, PLOT_GREEN), >, 20);
  g_clear_object (&pixbuf);
  run_clear (&run);

  /* without validation, one panel and a lower default height */
  g_assert_true (g_file_set_contents (jsonl, train_only, -1, NULL));
  run_unet (&run, "plot", run_dir, png, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "30 training steps and 0 validations"));
  pixbuf = load_png (png, 1000, 460);
  g_assert_cmpuint (count_colour (pixbuf, PLOT_BLUE), >, 50);
  g_assert_cmpuint (count_colour (pixbuf, PLOT_GREEN), ==, 0);
  g_clear_object (&pixbuf);
  run_clear (&run);

  voc_test_rm_rf (dir);
}

/* A log being written, broken logs, missing files and bad command lines: the right exit code
 * and a message naming the file and the line; never a crash. */
static void
test_plot_bad_input (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *log = g_build_filename (dir, "log.jsonl", NULL);
  g_autofree char *png = g_build_filename (dir, "plot.png", NULL);
  g_autofree char *missing = g_build_filename (dir, "nothing", "log.jsonl", NULL);
  g_autofree char *good = plot_log_jsonl (2, TRUE);
  g_autofree char *torn = NULL;
  g_autofree char *garbage = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  guint n_lines = count_lines_with (good, "{", NULL);

  /* the last line cut short, as when the trainer is writing it: skipped with a warning */
  torn = g_strndup (good, strlen (good) - 20);
  g_assert_true (g_file_set_contents (log, torn, -1, NULL));
  run_unet (&run, "plot", log, png, NULL);
  g_assert_cmpint (run.status, ==, 0);
  {
    g_autofree char *where = g_strdup_printf ("log.jsonl:%u: skipping the incomplete last line",
                                              n_lines);

    g_assert_nonnull (strstr (run.err, "warning: "));
    g_assert_nonnull (strstr (run.err, where));
  }
  g_assert_nonnull (strstr (run.err, "20 training steps and 1 validation "));
  pixbuf = load_png (png, 1000, 760);
  g_clear_object (&pixbuf);
  run_clear (&run);
  g_assert_cmpint (g_unlink (png), ==, 0);

  /* garbage in the middle is an error that names the line, and writes nothing */
  garbage = g_strdup_printf ("%.*snot json at all\n%s", (int) (strchr (good, '\n') - good + 1),
                             good, strchr (good, '\n') + 1);
  g_assert_true (g_file_set_contents (log, garbage, -1, NULL));
  run_unet (&run, "plot", log, png, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "log.jsonl:2: not JSON"));
  g_assert_false (g_file_test (png, G_FILE_TEST_EXISTS));
  run_clear (&run);

  g_assert_true (g_file_set_contents (log, "{\"type\":\"train\",\"step\":1,\"loss\":1}\n"
                                      "{\"type\":\"train\",\"step\":2}\n\n", -1, NULL));
  run_unet (&run, "plot", log, png, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "log.jsonl:2: a \"train\" record without"));
  run_clear (&run);

  g_assert_true (g_file_set_contents (log, "{\"type\":\"train\",\"step\":1,\"loss\":1}\n"
                                      "[1, 2, 3]\n", -1, NULL));
  run_unet (&run, "plot", log, png, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "log.jsonl:2: not a log record"));
  run_clear (&run);

  /* neither JSON lines nor a CSV log */
  g_assert_true (g_file_set_contents (log, "Epoch 1: loss 3.2\n", -1, NULL));
  run_unet (&run, "plot", log, png, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "log.jsonl:1: not a training log"));
  run_clear (&run);

  {
    static const char binary[] = "{\"type\":\"train\",\"step\":1,\"loss\":1}\n\x01\xff\0x\n";

    g_assert_true (g_file_set_contents (log, binary, sizeof binary - 1, NULL));
  }
  run_unet (&run, "plot", log, png, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "log.jsonl:2:"));
  run_clear (&run);

  /* a run that has not logged anything yet */
  g_assert_true (g_file_set_contents (log, "", 0, NULL));
  run_unet (&run, "plot", log, png, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "no training or validation records"));
  run_clear (&run);

  /* missing files */
  run_unet (&run, "plot", missing, png, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, missing));
  run_clear (&run);
  g_assert_cmpint (g_unlink (log), ==, 0);
  run_unet (&run, "plot", dir, png, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "no log.jsonl or log.csv"));
  run_clear (&run);

  /* an output that cannot be written */
  g_assert_true (g_file_set_contents (log, good, -1, NULL));
  run_unet (&run, "plot", log, missing, NULL);
  g_assert_cmpint (run.status, ==, 2); /* .jsonl is not a picture */
  run_clear (&run);
  {
    g_autofree char *unwritable = g_build_filename (dir, "nothing", "plot.png", NULL);

    run_unet (&run, "plot", log, unwritable, NULL);
    g_assert_cmpint (run.status, ==, 4);
    g_assert_nonnull (strstr (run.err, unwritable));
    run_clear (&run);
  }

  /* bad command lines */
  run_unet (&run, "plot", log, NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "unet plot LOG OUT.png"));
  run_clear (&run);
  run_unet (&run, "plot", log, png, "extra.png", NULL);
  g_assert_cmpint (run.status, ==, 2);
  run_clear (&run);
  run_unet (&run, "plot", log, png, "--width", "10", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--width"));
  run_clear (&run);
  run_unet (&run, "plot", log, png, "--smoothing", "1.5", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--smoothing"));
  run_clear (&run);
  run_unet (&run, "plot", log, png, "--frobnicate", NULL);
  g_assert_cmpint (run.status, ==, 2);
  run_clear (&run);

  run_unet (&run, "plot", "--help", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.out, "Usage:"));
  g_assert_nonnull (strstr (run.out, "--width=PX"));
  g_assert_nonnull (strstr (run.out, "Examples:"));
  g_assert_cmpstr (run.err, ==, "");
  run_clear (&run);
  run_unet (&run, "--help", NULL);
  g_assert_nonnull (strstr (run.out, "  plot "));
  run_clear (&run);

  voc_test_rm_rf (dir);
}

/* The log of a real (tiny) training run, with two validations. */
static void
test_plot_training_run (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *dir = NULL;
  g_autofree char *output = NULL;
  g_autofree char *png = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  const char *root = voc_test_root ();

  if (root == NULL)
    return;
  dir = voc_test_tmpdir ();
  output = g_build_filename (dir, "run", NULL);
  png = g_build_filename (output, "training.png", NULL);

  /* 20 usable images in batches of 2: an epoch is 10 steps, validated at 10 and at the end */
  run_unet (&run, "train", "--dataset", root, "-o", output, "--skip-bad", "--padding", "same",
            "--depth", "2", "--base", "4", "--tile", "64", "--batch", "2", "--steps", "12",
            "--val-every", "1", "--threads", "2", NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);

  run_unet (&run, "plot", output, png, "--width", "800", "--height", "600", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "12 training steps and 2 validations"));
  pixbuf = load_png (png, 800, 600);
  g_assert_cmpuint (count_colour (pixbuf, PLOT_BLUE), >, 50);
  g_assert_cmpuint (count_colour (pixbuf, PLOT_GREEN), >, 20);
  voc_test_rm_rf (dir);
}

/* --distributed needs a unet built with MPI; one built without says so (tests/mpi runs the
 * rest). */
static void
test_train_distributed_unavailable (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *dir = voc_test_tmpdir ();

  run_unet (&run, "train", "--help", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "--distributed"));
  run_clear (&run);

#ifdef HAVE_MPI
  g_test_skip ("this unet has MPI; the mpi suite tests --distributed");
#else
  {
    g_autofree char *output = g_build_filename (dir, "run", NULL);

    run_unet (&run, "train", "--distributed", "--dataset", dir, "-o", output, NULL);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "built without MPI"));
    g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
  }
#endif
  voc_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/help", test_help);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/info/voc", test_info_voc);
  g_test_add_func ("/cli/info/problems", test_info_problems);
  g_test_add_func ("/cli/info/model", test_info_model);
  g_test_add_func ("/cli/evaluate/metrics", test_evaluate_metrics);
  g_test_add_func ("/cli/evaluate/bad-sample", test_evaluate_bad_sample);
  g_test_add_func ("/cli/predict/outputs", test_predict_outputs);
  g_test_add_func ("/cli/predict/never-overwrites-inputs", test_predict_never_overwrites_inputs);
  g_test_add_func ("/cli/predict/bad-input", test_predict_bad_input);
  g_test_add_func ("/cli/voc-smoke", test_voc_smoke);
  g_test_add_func ("/cli/train", test_train);
  g_test_add_func ("/cli/train/distributed-unavailable", test_train_distributed_unavailable);
  g_test_add_func ("/cli/plot/outputs", test_plot_outputs);
  g_test_add_func ("/cli/plot/bad-input", test_plot_bad_input);
  g_test_add_func ("/cli/plot/training-run", test_plot_training_run);

  return g_test_run ();
}
