/* test-cli-info.c: `unet info` on VOC, on a dataset with problems and on a model
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "voc/voc.h"
#include "voc-test-util.h"
#include "cli-test-util.h"
#include "test-cli.h"

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

void
test_cli_info_register (void)
{
  g_test_add_func ("/cli/info/voc", test_info_voc);
  g_test_add_func ("/cli/info/problems", test_info_problems);
  g_test_add_func ("/cli/info/model", test_info_model);
}
