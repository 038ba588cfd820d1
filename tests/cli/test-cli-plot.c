/* test-cli-plot.c: `unet plot` — its pictures, bad logs and a real run's log
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>

#include "voc-test-util.h"
#include "cli-test-util.h"
#include "test-cli.h"

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

void
test_cli_plot_register (void)
{
  g_test_add_func ("/cli/plot/outputs", test_plot_outputs);
  g_test_add_func ("/cli/plot/bad-input", test_plot_bad_input);
  g_test_add_func ("/cli/plot/training-run", test_plot_training_run);
}
