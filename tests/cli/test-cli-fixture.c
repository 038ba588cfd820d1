/* test-cli-fixture.c: the hand-made model and dataset the `unet` command tests run on
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <json-glib/json-glib.h>

#include "unet/unet.h"
#include "voc/voc.h"
#include "voc-test-util.h"
#include "unet/unet-model-train.h"
#include "test-cli.h"

/* Pixel colours of the fixture images and the class the fixture model gives each. */
#define K_ 'K' /* black -> background (0) */
#define R_ 'R' /* red -> red (1) */
#define B_ 'B' /* blue -> blue (2) */

void
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
char *
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
const guint8 a_predicted[16] = { 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 2, 2, 2, 0 };
static const char b_colours[] = "KKK" "KKR";
static const guint8 b_truth[] = { 0, 0, 0, 1, 1, 1 };

char *
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

JsonObject *
parse_object (const char *json,
              JsonParser *parser)
{
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

double
member_double (JsonObject *object,
               const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_double_member (object, name);
}
