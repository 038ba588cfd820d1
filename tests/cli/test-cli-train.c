/* test-cli-train.c: `unet train` end to end, and --distributed without MPI
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "unet/unet.h"
#include "voc-test-util.h"
#include "cli-test-util.h"
#include "test-cli.h"

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

/* unet train --folds: a cross-validation end to end, its summary line and files, and --resume of
 * a finished one, which has nothing left to train. */
static void
test_train_folds (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *dir = NULL;
  g_autofree char *output = NULL;
  g_autofree char *results = NULL;
  g_autofree char *csv = NULL;
  const char *root = voc_test_root ();

  if (root == NULL)
    return;
  dir = voc_test_tmpdir ();
  output = g_build_filename (dir, "cv", NULL);
  results = g_build_filename (output, "folds.json", NULL);

  run_unet (&run, "train", "--dataset", root, "-o", output, "--skip-bad", "--train-split",
            "trainval", "--folds", "2", "--padding", "same", "--depth", "1", "--base", "4",
            "--tile", "32", "--batch", "2", "--steps", "2", "--threads", "2", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "fold 2 of 2: mIoU "));
  g_assert_nonnull (strstr (run.err, "on its 18 held-out images (trained on 18)"));
  g_assert_true (g_str_has_prefix (run.out, "cross-validation: mIoU "));
  g_assert_nonnull (strstr (run.out, " over 2 folds ("));
  g_assert_true (g_file_test (results, G_FILE_TEST_IS_REGULAR));
  csv = g_build_filename (output, "folds.csv", NULL);
  g_assert_true (g_file_test (csv, G_FILE_TEST_IS_REGULAR));
  run_clear (&run);

  /* unet plot draws it: each fold's mIoU, each class's mean IoU */
  {
    g_autofree char *png = g_build_filename (dir, "cv.png", NULL);
    g_autofree char *bad = g_build_filename (dir, "folds.json", NULL);

    run_unet (&run, "plot", output, png, NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.err, "2 of 2 folds drawn"));
    g_assert_true (g_file_test (png, G_FILE_TEST_IS_REGULAR));
    run_clear (&run);
    g_assert_true (g_file_set_contents (bad, "{\"folds\":2,\"results\":{}}", -1, NULL));
    run_unet (&run, "plot", bad, png, NULL);
    g_assert_cmpint (run.status, ==, 3);
    g_assert_nonnull (strstr (run.err, "not the results of a cross-validation"));
    run_clear (&run);
  }

  run_unet (&run, "train", "--resume", output, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_null (strstr (run.err, "fold 1 of 2"));
  g_assert_true (g_str_has_prefix (run.out, "cross-validation: mIoU "));
  run_clear (&run);

  /* one fold is no cross-validation; a resume takes nothing else */
  run_unet (&run, "train", "--dataset", root, "-o", dir, "--skip-bad", "--folds", "1", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "Folds must be 2 to 20"));
  run_clear (&run);
  run_unet (&run, "train", "--resume", output, "--steps", "9", NULL);
  g_assert_cmpint (run.status, ==, 2);
  run_clear (&run);
  voc_test_rm_rf (dir);
}

void
test_cli_train_register (void)
{
  g_test_add_func ("/cli/train", test_train);
  g_test_add_func ("/cli/train/folds", test_train_folds);
  g_test_add_func ("/cli/train/distributed-unavailable", test_train_distributed_unavailable);
}
