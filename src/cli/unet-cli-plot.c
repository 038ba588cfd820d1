/* unet-cli-plot.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "draw/draw-plot.h"
#include "unet-cli.h"
#include "unet-cli-common.h"
#include "train/unet-folds.h"
#include "train/unet-run.h"
#include "unet/unet-file.h"

#define DEFAULT_WIDTH 1000
#define DEFAULT_HEIGHT 760
#define MIN_SIZE 200
#define MAX_SIZE 8000

/* --- drawing ------------------------------------------------------------------------------- */

/* The smoothing TensorBoard users would pick by hand: an average over about 1/60 of the run,
 * so that a long run reads as a trend; a run of a few steps is shown as it is, since an average
 * over it would only lag behind. */
static double
auto_smoothing (guint n_points)
{
  double window = n_points / 60.0;

  if (n_points < 20)
    return 0.0;
  return window > 1.0 ? CLAMP (1.0 - 1.0 / window, 0.6, 0.995) : 0.6;
}

static void
rgb_from_hex (guint32 hex,
              double  rgb[3])
{
  rgb[0] = ((hex >> 16) & 0xff) / 255.0;
  rgb[1] = ((hex >> 8) & 0xff) / 255.0;
  rgb[2] = (hex & 0xff) / 255.0;
}

static DrawPlot *
loss_plot (const UnetRunLog *log,
           double            smoothing)
{
  DrawPlot *plot = draw_plot_new ();
  double rgb[3];
  gboolean any_val_loss = FALSE;
  guint val_series = 0;

  draw_plot_set_title (plot, "Loss");
  draw_plot_set_x_label (plot, "Step");
  draw_plot_set_y_label (plot, "Cross-entropy loss");
  draw_plot_set_legend (plot, DRAW_PLOT_LEGEND_SHOW);

  if (log->n_train > 0)
    {
      g_autofree char *label = NULL;
      char number[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_formatd (number, sizeof number, "%.3g", smoothing);
      label = smoothing > 0.0 ? g_strdup_printf ("Training (EMA %s)", number)
                              : g_strdup ("Training");
      rgb_from_hex (0x1c71d8, rgb); /* GNOME blue 4 */
      draw_plot_add_series (plot, label, rgb, smoothing);
    }
  for (guint i = 0; i < log->records->len; i++)
    {
      const UnetRunRecord *r = &g_array_index (log->records, UnetRunRecord, i);

      if (r->kind == UNET_RUN_RECORD_TRAIN)
        draw_plot_append (plot, 0, (double) r->step, r->loss);
      else
        any_val_loss |= isfinite (r->val_loss);
    }

  if (any_val_loss)
    {
      rgb_from_hex (0xe66100, rgb); /* GNOME orange 5 */
      val_series = draw_plot_add_series (plot, "Validation", rgb, 0.0);
      for (guint i = 0; i < log->records->len; i++)
        {
          const UnetRunRecord *r = &g_array_index (log->records, UnetRunRecord, i);

          if (r->kind == UNET_RUN_RECORD_VAL)
            draw_plot_append (plot, val_series, (double) r->step, r->val_loss);
        }
    }
  return plot;
}

/* NULL when the log has no mIoU at all. */
static DrawPlot *
miou_plot (const UnetRunLog *log)
{
  DrawPlot *plot;
  double rgb[3];
  double best = -1.0;
  int best_epoch = 0;
  gboolean by_epoch = TRUE;
  g_autofree char *title = NULL;

  for (guint i = 0; i < log->records->len; i++)
    {
      const UnetRunRecord *r = &g_array_index (log->records, UnetRunRecord, i);

      if (r->kind != UNET_RUN_RECORD_VAL)
        continue;
      if (r->epoch == 0)
        by_epoch = FALSE;
      if (isfinite (r->miou) && r->miou > best)
        {
          best = r->miou;
          best_epoch = r->epoch;
        }
    }
  if (best < 0.0)
    return NULL;

  plot = draw_plot_new ();
  if (by_epoch && best_epoch > 0)
    title = g_strdup_printf ("Validation mIoU (best %.1f %% at epoch %d)", 100.0 * best,
                             best_epoch);
  else
    title = g_strdup_printf ("Validation mIoU (best %.1f %%)", 100.0 * best);
  draw_plot_set_title (plot, title);
  draw_plot_set_x_label (plot, by_epoch ? "Epoch" : "Step");
  draw_plot_set_y_label (plot, "mIoU (%)");
  /* from zero, so that a single early value does not read as a fine-grained scale */
  draw_plot_set_y_range (plot, 0.0, MAX (MIN (110.0 * best, 100.0), 100.0 * best + 1.0));
  rgb_from_hex (0x26a269, rgb); /* GNOME green 5 */
  draw_plot_add_series (plot, "mIoU", rgb, 0.0);
  for (guint i = 0; i < log->records->len; i++)
    {
      const UnetRunRecord *r = &g_array_index (log->records, UnetRunRecord, i);

      if (r->kind == UNET_RUN_RECORD_VAL && isfinite (r->miou))
        draw_plot_append (plot, 0, by_epoch ? r->epoch : (double) r->step, 100.0 * r->miou);
    }
  return plot;
}

/* A cross-validation's folder, or its folds.json. */
static gboolean
is_cross_validation (const char *input)
{
  g_autofree char *base = g_path_get_basename (input);
  g_autofree char *results = g_build_filename (input, UNET_FOLDS_RESULTS_JSON, NULL);

  return g_strcmp0 (base, UNET_FOLDS_RESULTS_JSON) == 0 ||
         (g_file_test (input, G_FILE_TEST_IS_DIR) && g_file_test (results, G_FILE_TEST_EXISTS));
}

/* Each fold's mIoU, and each class's IoU averaged over the folds. */
static void
folds_plots (const UnetFoldsReport  *report,
             DrawPlot              **by_fold,
             DrawPlot              **by_class)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autofree double *values = g_new (double, MAX (report->scores->len, 1));
  guint n_classes = report->class_names != NULL ? g_strv_length (report->class_names) : 0;
  g_autofree char *title = NULL;

  for (guint i = 0; i < report->scores->len; i++)
    {
      const UnetFoldScore *score = &g_array_index (report->scores, UnetFoldScore, i);

      g_ptr_array_add (labels, g_strdup_printf ("Fold %d", score->fold));
      values[i] = 100.0 * score->miou;
    }
  *by_fold = draw_plot_new ();
  title = isfinite (report->sd_miou)
          ? g_strdup_printf ("mIoU per held-out fold (mean %.1f ± %.1f %%)",
                             100.0 * report->mean_miou, 100.0 * report->sd_miou)
          : g_strdup_printf ("mIoU per held-out fold (mean %.1f %%)", 100.0 * report->mean_miou);
  draw_plot_set_title (*by_fold, title);
  draw_plot_set_y_label (*by_fold, "mIoU (%)");
  draw_plot_set_bars (*by_fold, (const char * const *) labels->pdata, values, NULL,
                      report->scores->len);

  *by_class = NULL;
  if (n_classes == 0)
    return;
  *by_class = draw_plot_new ();
  {
    g_autofree double *percent = g_new (double, n_classes);

    for (guint k = 0; k < n_classes; k++)
      percent[k] = 100.0 * report->class_iou[k];
    draw_plot_set_title (*by_class, "IoU per class, mean over the folds that saw it");
    draw_plot_set_y_label (*by_class, "IoU (%)");
    draw_plot_set_bars (*by_class, (const char * const *) report->class_names, percent, NULL,
                        n_classes);
  }
}

/* After the run's folder: the one given, or the one holding the log given. */
static char *
default_title (const char *input,
               const char *what)
{
  g_autofree char *absolute = g_canonicalize_filename (input, NULL);
  g_autofree char *dir = g_file_test (input, G_FILE_TEST_IS_DIR) ? g_strdup (absolute)
                                                                  : g_path_get_dirname (absolute);
  g_autofree char *name = g_path_get_basename (dir);
  g_autofree char *display = g_filename_display_name (name);

  return g_strdup_printf ("%s “%s”", what, display);
}

/* --- the command --------------------------------------------------------------------------- */

int
unet_cli_plot (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrawPlot) losses = NULL;
  g_autoptr(DrawPlot) mious = NULL;
  g_autoptr(GBytes) picture = NULL;
  g_autofree char *title = NULL;
  g_autofree char *lower = NULL;
  g_autoptr(UnetRunLog) log = NULL;
  g_autoptr(UnetFoldsReport) report = NULL;
  DrawPlot *plots[2];
  DrawPlotStyle style;
  DrawFormat format;
  int width = DEFAULT_WIDTH, height = -1;
  double smoothing = -1.0;
  gboolean quiet = FALSE;
  const char *input, *output;
  guint n_plots = 0;
  GOptionEntry entries[] = {
    { "width", 0, 0, G_OPTION_ARG_INT, &width,
      "Width in pixels (default 1000)", "PX" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height,
      "Height in pixels (default 760; 460 without validation)", "PX" },
    { "title", 0, 0, G_OPTION_ARG_STRING, &title,
      "Title (default: the run folder's name; \"\" for none)", "TEXT" },
    { "smoothing", 0, 0, G_OPTION_ARG_DOUBLE, &smoothing,
      "Moving-average weight for the loss, 0 to 0.999 (default: from the run's length)", "W" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      "Print nothing but errors", NULL },
    { NULL }
  };

  context = g_option_context_new ("LOG OUT - plot a training run's loss and validation mIoU");
  g_option_context_set_summary (context,
    "Draws the training log that “unet train” writes (log.jsonl or log.csv, or the\n"
    "run folder that holds them) as a picture with two panels: the training loss of\n"
    "every step, faint, with its exponential moving average in bold and the\n"
    "validation loss as dots; and below it the validation mIoU of every epoch.\n"
    "A cross-validation (unet train --folds: its folder or folds.json) is drawn as\n"
    "each fold's mIoU and each class's IoU averaged over the folds.\n"
    "OUT is a PNG file, or an SVG file when its name ends in .svg. A run that is\n"
    "still writing its log can be plotted at any time.");
  g_option_context_set_description (context,
    "Exit status: 0 when the picture was written, 2 for a bad command line, 3 when\n"
    "the log is missing, empty or has a line that cannot be read (the line is named),\n"
    "4 when OUT cannot be written.\n"
    "\n"
    "Examples:\n"
    "  unet plot runs/voc runs/voc/training.png\n"
    "  unet plot runs/voc/log.jsonl training.svg --width 1400 --title \"VOC, depth 4\"\n");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      unet_cli_error ("plot", "%s", error->message);
      return UNET_EXIT_USAGE;
    }
  if (argc != 3)
    {
      if (argc > 3)
        unet_cli_error ("plot", "unexpected argument “%s”", argv[3]);
      else
        unet_cli_error ("plot", "pass the training log (or its run folder) and the picture to "
                        "write: unet plot LOG OUT.png");
      return UNET_EXIT_USAGE;
    }
  input = argv[1];
  output = argv[2];

  lower = g_ascii_strdown (output, -1);
  if (g_str_has_suffix (lower, ".svg"))
    format = DRAW_FORMAT_SVG;
  else if (g_str_has_suffix (lower, ".png"))
    format = DRAW_FORMAT_PNG;
  else
    {
      unet_cli_error ("plot", "%s: the picture's name must end in .png or .svg", output);
      return UNET_EXIT_USAGE;
    }
  if (width < MIN_SIZE || width > MAX_SIZE || (height != -1 && (height < MIN_SIZE ||
                                                                 height > MAX_SIZE)))
    {
      unet_cli_error ("plot", "--width and --height must be between %d and %d pixels", MIN_SIZE,
                      MAX_SIZE);
      return UNET_EXIT_USAGE;
    }
  if (smoothing != -1.0 && !(smoothing >= 0.0 && smoothing <= 0.999))
    {
      unet_cli_error ("plot", "--smoothing must be between 0 and 0.999");
      return UNET_EXIT_USAGE;
    }

  if (is_cross_validation (input))
    {
      report = unet_folds_report_read (input, &error);
      if (report == NULL)
        {
          unet_cli_error ("plot", "%s", error->message);
          return UNET_EXIT_INPUT;
        }
      folds_plots (report, &losses, &mious);
      if (title == NULL)
        title = default_title (input, "Cross-validation");
    }
  else
    {
      log = unet_run_log_read (input, UNET_RUN_LOG_STRICT, &error);
      if (log == NULL)
        {
          unet_cli_error ("plot", "%s", error->message);
          return UNET_EXIT_INPUT;
        }
      if (log->torn_line > 0)
        g_warning ("%s:%u: skipping the incomplete last line (the run was still writing it?)",
                   log->display, log->torn_line);
      if (smoothing < 0.0)
        smoothing = auto_smoothing (log->n_train);
      losses = loss_plot (log, smoothing);
      mious = miou_plot (log);
      if (title == NULL)
        title = default_title (input, "Training run");
    }
  plots[n_plots++] = losses;
  if (mious != NULL)
    plots[n_plots++] = mious;
  if (height == -1)
    height = mious != NULL ? DEFAULT_HEIGHT : 460;

  draw_plot_style_init_default (&style);
  /* text in proportion to the picture, as a figure for a report would have it, but small
   * enough that a small picture still has room for its data */
  style.font_size = CLAMP (MIN (width / 75.0, height / (n_plots * 26.0)), 8.0, 20.0);
  picture = draw_plot_render_stack (plots, n_plots, title, width, height, format, &style, &error);
  if (picture == NULL)
    {
      unet_cli_error ("plot", "%s", error->message);
      return UNET_EXIT_FAILURE;
    }
  if (!unet_file_write_atomic (output, g_bytes_get_data (picture, NULL),
                               g_bytes_get_size (picture), &error))
    {
      unet_cli_error ("plot", "%s", error->message);
      return UNET_EXIT_OUTPUT;
    }

  if (!quiet && report != NULL)
    g_printerr ("unet plot: %u of %d folds drawn into %s\n", report->scores->len,
                report->n_folds, output);
  else if (!quiet)
    g_printerr ("unet plot: %u training step%s and %u validation%s drawn into %s\n",
                log->n_train, log->n_train == 1 ? "" : "s", log->n_val,
                log->n_val == 1 ? "" : "s", output);
  return UNET_EXIT_OK;
}
