/* unet-cli-plot.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "unet-plot.h"
#include "unet-cli.h"
#include "unet-cli-common.h"
#include "unet-cli-plot-private.h"

#define DEFAULT_WIDTH 1000
#define DEFAULT_HEIGHT 760
#define MIN_SIZE 200
#define MAX_SIZE 8000

/* What `unet train` logged, as columns. */
typedef struct
{
  GArray *train_step;  /* double */
  GArray *train_loss;
  GArray *val_step;
  GArray *val_epoch;
  GArray *val_loss;    /* NAN where a record has none */
  GArray *val_miou;    /* NAN where a record has none */
  guint   n_records;
} RunLog;

static void
run_log_init (RunLog *log)
{
  GArray **columns[] = { &log->train_step, &log->train_loss, &log->val_step, &log->val_epoch,
                         &log->val_loss, &log->val_miou };

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    *columns[i] = g_array_new (FALSE, FALSE, sizeof (double));
  log->n_records = 0;
}

static void
run_log_clear (RunLog *log)
{
  g_clear_pointer (&log->train_step, g_array_unref);
  g_clear_pointer (&log->train_loss, g_array_unref);
  g_clear_pointer (&log->val_step, g_array_unref);
  g_clear_pointer (&log->val_epoch, g_array_unref);
  g_clear_pointer (&log->val_loss, g_array_unref);
  g_clear_pointer (&log->val_miou, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RunLog, run_log_clear)

static void
add_train (RunLog *log,
           double  step,
           double  loss)
{
  g_array_append_val (log->train_step, step);
  g_array_append_val (log->train_loss, loss);
  log->n_records++;
}

static void
add_val (RunLog *log,
         double  step,
         double  epoch,
         double  loss,
         double  miou)
{
  g_array_append_val (log->val_step, step);
  g_array_append_val (log->val_epoch, epoch);
  g_array_append_val (log->val_loss, loss);
  g_array_append_val (log->val_miou, miou);
  log->n_records++;
}

/* --- reading ------------------------------------------------------------------------------- */

typedef enum
{
  LINE_OK,
  LINE_SKIP,  /* blank, or a record kind this version does not plot */
  LINE_BAD,
} LineResult;

/* The member's string, or NULL when it is absent or not a string (json-glib's getters warn on
 * a member of another kind, which a hostile log must not cause). */
static const char *
json_string (JsonObject *object,
             const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
json_number (JsonObject *object,
             const char *name,
             double     *value)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return FALSE;
  *value = json_node_get_double (node);
  return isfinite (*value);
}

static LineResult
parse_json_line (JsonParser  *parser,
                 const char  *line,
                 gsize        length,
                 RunLog      *log,
                 char       **why)
{
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  JsonObject *object;
  const char *type;
  double step, epoch, loss, miou;

  if (!json_parser_load_from_data (parser, line, length, &error))
    {
      /* json-glib names the input "<data>:line:column"; the column is what helps here */
      const char *message = error->message;
      const char *column = g_str_has_prefix (message, "<data>:1:") ? message + 9 : NULL;

      if (column != NULL && strchr (column, ':') != NULL)
        *why = g_strdup_printf ("not JSON at column %.*s:%s", (int) (strchr (column, ':') - column),
                                column, strchr (column, ':') + 1);
      else
        *why = g_strdup_printf ("not JSON: %s", message);
      return LINE_BAD;
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    return LINE_SKIP;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      *why = g_strdup ("not a log record (a JSON object)");
      return LINE_BAD;
    }
  object = json_node_get_object (root);
  type = json_string (object, "type");
  if (type == NULL)
    {
      *why = g_strdup ("a record without a string \"type\"");
      return LINE_BAD;
    }

  if (strcmp (type, "train") == 0)
    {
      if (!json_number (object, "step", &step) || !json_number (object, "loss", &loss))
        {
          *why = g_strdup ("a \"train\" record without a numeric \"step\" and \"loss\"");
          return LINE_BAD;
        }
      add_train (log, step, loss);
      return LINE_OK;
    }
  if (strcmp (type, "val") == 0)
    {
      if (!json_number (object, "step", &step))
        {
          *why = g_strdup ("a \"val\" record without a numeric \"step\"");
          return LINE_BAD;
        }
      if (!json_number (object, "epoch", &epoch))
        epoch = NAN;
      if (!json_number (object, "val_loss", &loss))
        loss = NAN;
      if (!json_number (object, "miou", &miou))
        miou = NAN;
      add_val (log, step, epoch, loss, miou);
      return LINE_OK;
    }
  /* records a later version may add */
  return LINE_SKIP;
}

typedef struct
{
  int step, epoch, loss, val_loss, val_miou;
  guint n_columns;
} CsvHeader;

static gboolean
parse_csv_header (const char *line,
                  CsvHeader  *header)
{
  g_auto(GStrv) names = g_strsplit (line, ",", -1);

  header->step = header->epoch = header->loss = header->val_loss = header->val_miou = -1;
  header->n_columns = g_strv_length (names);
  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *name = g_strstrip (names[i]);

      if (strcmp (name, "step") == 0)
        header->step = i;
      else if (strcmp (name, "epoch") == 0)
        header->epoch = i;
      else if (strcmp (name, "loss") == 0)
        header->loss = i;
      else if (strcmp (name, "val_loss") == 0)
        header->val_loss = i;
      else if (strcmp (name, "val_miou") == 0)
        header->val_miou = i;
    }
  return header->step >= 0;
}

/* An empty field is NAN; anything but a number is an error. */
static gboolean
csv_number (char   **fields,
            int      column,
            double  *value)
{
  const char *text;
  char *end;

  *value = NAN;
  if (column < 0)
    return TRUE;
  text = g_strstrip (fields[column]);
  if (*text == '\0')
    return TRUE;
  *value = g_ascii_strtod (text, &end);
  return *end == '\0' && isfinite (*value);
}

static LineResult
parse_csv_line (const CsvHeader *header,
                const char      *line,
                RunLog          *log,
                char           **why)
{
  g_auto(GStrv) fields = g_strsplit (line, ",", -1);
  double step, epoch, loss, val_loss, val_miou;

  if (g_strv_length (fields) != header->n_columns)
    {
      *why = g_strdup_printf ("%u fields where the header has %u", g_strv_length (fields),
                              header->n_columns);
      return LINE_BAD;
    }
  if (!csv_number (fields, header->step, &step) || !isfinite (step) ||
      !csv_number (fields, header->epoch, &epoch) ||
      !csv_number (fields, header->loss, &loss) ||
      !csv_number (fields, header->val_loss, &val_loss) ||
      !csv_number (fields, header->val_miou, &val_miou))
    {
      *why = g_strdup ("a field that is not a number");
      return LINE_BAD;
    }
  if (isfinite (loss))
    add_train (log, step, loss);
  if (isfinite (val_loss) || isfinite (val_miou))
    add_val (log, step, epoch, val_loss, val_miou);
  return LINE_OK;
}

/* A folder stands for the log inside it: log.jsonl, else log.csv. */
static char *
resolve_log_path (const char  *path,
                  GError     **error)
{
  static const char *const names[] = { "log.jsonl", "log.csv" };

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return g_strdup (path);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *file = g_build_filename (path, names[i], NULL);

      if (g_file_test (file, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&file);
    }
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
               "%s: no log.jsonl or log.csv in this folder", path);
  return NULL;
}

/* Reads the text of a log.jsonl or log.csv (told apart by their first character). A last line
 * without its newline is one the trainer was writing when it stopped: skipped with a warning.
 * Any other line that cannot be read is an error that names it. */
static gboolean
parse_log (const char  *contents,
           gsize        length,
           const char  *display,
           RunLog      *log,
           GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  CsvHeader header = { 0 };
  gboolean is_csv = FALSE, seen_header = FALSE;
  const char *p, *end;
  guint line_number = 0;

  for (p = contents; p < contents + length && g_ascii_isspace (*p); p++)
    ;
  is_csv = p < contents + length && *p != '{';

  for (p = contents, end = contents + length; p < end; p = (p < end ? p + 1 : p))
    {
      const char *newline = memchr (p, '\n', end - p);
      const char *line_end = newline ? newline : end;
      gboolean torn = newline == NULL;
      gboolean binary;
      g_autofree char *line = NULL;
      g_autofree char *why = NULL;
      LineResult result;

      line_number++;
      /* a NUL would silently cut the line short */
      binary = memchr (p, '\0', line_end - p) != NULL;
      line = g_strndup (p, line_end - p);
      p = line_end;
      g_strstrip (line);
      if (line[0] == '\0' && !binary)
        continue;

      if (is_csv && !seen_header)
        {
          seen_header = TRUE;
          if (!parse_csv_header (line, &header))
            {
              g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                           "%s:%u: not a training log (neither JSON lines nor a CSV header with "
                           "a “step” column)", display, line_number);
              return FALSE;
            }
          continue;
        }

      if (binary)
        {
          why = g_strdup ("binary data, not text");
          result = LINE_BAD;
        }
      else if (is_csv)
        result = parse_csv_line (&header, line, log, &why);
      else
        result = parse_json_line (parser, line, strlen (line), log, &why);
      if (result != LINE_BAD)
        continue;
      if (torn)
        {
          g_warning ("%s:%u: skipping the incomplete last line (the run was still writing it?)",
                     display, line_number);
          break;
        }
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%u: %s", display, line_number,
                   why);
      return FALSE;
    }

  if (log->n_records == 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s: the log holds no training or validation records yet", display);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_log (const char  *path,
          RunLog      *log,
          GError     **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *display = g_filename_display_name (path);
  g_autoptr(GError) local_error = NULL;
  gsize length;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no such file", display);
      return FALSE;
    }
  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, G_FILE_ERROR, local_error->code, "%s: cannot read the log: %s", display,
                   local_error->message);
      return FALSE;
    }
  return parse_log (contents, length, display, log, error);
}

gboolean
unet_cli_plot_parse_log (const char  *contents,
                         gsize        length,
                         const char  *display,
                         guint       *n_train,
                         guint       *n_val,
                         GError     **error)
{
  g_auto(RunLog) log = { 0 };

  g_return_val_if_fail (contents != NULL || length == 0, FALSE);
  g_return_val_if_fail (display != NULL, FALSE);

  run_log_init (&log);
  if (!parse_log (contents, length, display, &log, error))
    return FALSE;
  if (n_train != NULL)
    *n_train = log.train_step->len;
  if (n_val != NULL)
    *n_val = log.val_step->len;
  return TRUE;
}

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

static UnetPlot *
loss_plot (const RunLog *log,
           double        smoothing)
{
  UnetPlot *plot = unet_plot_new ();
  double rgb[3];
  gboolean any_val_loss = FALSE;

  unet_plot_set_title (plot, "Loss");
  unet_plot_set_x_label (plot, "Step");
  unet_plot_set_y_label (plot, "Cross-entropy loss");
  unet_plot_set_legend (plot, UNET_PLOT_LEGEND_SHOW);

  if (log->train_step->len > 0)
    {
      g_autofree char *label = NULL;
      char number[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_formatd (number, sizeof number, "%.3g", smoothing);
      label = smoothing > 0.0 ? g_strdup_printf ("Training (EMA %s)", number)
                              : g_strdup ("Training");
      rgb_from_hex (0x1c71d8, rgb); /* GNOME blue 4 */
      unet_plot_add_series (plot, label, rgb, smoothing);
      for (guint i = 0; i < log->train_step->len; i++)
        unet_plot_append (plot, 0, g_array_index (log->train_step, double, i),
                          g_array_index (log->train_loss, double, i));
    }

  for (guint i = 0; i < log->val_loss->len; i++)
    any_val_loss |= isfinite (g_array_index (log->val_loss, double, i));
  if (any_val_loss)
    {
      guint s;

      rgb_from_hex (0xe66100, rgb); /* GNOME orange 5 */
      s = unet_plot_add_series (plot, "Validation", rgb, 0.0);
      for (guint i = 0; i < log->val_step->len; i++)
        unet_plot_append (plot, s, g_array_index (log->val_step, double, i),
                          g_array_index (log->val_loss, double, i));
    }
  return plot;
}

/* NULL when the log has no mIoU at all. */
static UnetPlot *
miou_plot (const RunLog *log)
{
  UnetPlot *plot;
  double rgb[3];
  double best = -1.0, best_epoch = NAN;
  gboolean by_epoch = TRUE;
  g_autofree char *title = NULL;

  for (guint i = 0; i < log->val_miou->len; i++)
    {
      double miou = g_array_index (log->val_miou, double, i);

      if (!isfinite (g_array_index (log->val_epoch, double, i)))
        by_epoch = FALSE;
      if (isfinite (miou) && miou > best)
        {
          best = miou;
          best_epoch = g_array_index (log->val_epoch, double, i);
        }
    }
  if (best < 0.0)
    return NULL;

  plot = unet_plot_new ();
  if (by_epoch && isfinite (best_epoch))
    title = g_strdup_printf ("Validation mIoU (best %.1f %% at epoch %.0f)", 100.0 * best,
                             best_epoch);
  else
    title = g_strdup_printf ("Validation mIoU (best %.1f %%)", 100.0 * best);
  unet_plot_set_title (plot, title);
  unet_plot_set_x_label (plot, by_epoch ? "Epoch" : "Step");
  unet_plot_set_y_label (plot, "mIoU (%)");
  /* from zero, so that a single early value does not read as a fine-grained scale */
  unet_plot_set_y_range (plot, 0.0, MAX (MIN (110.0 * best, 100.0), 100.0 * best + 1.0));
  rgb_from_hex (0x26a269, rgb); /* GNOME green 5 */
  unet_plot_add_series (plot, "mIoU", rgb, 0.0);
  for (guint i = 0; i < log->val_miou->len; i++)
    {
      double miou = g_array_index (log->val_miou, double, i);
      GArray *x = by_epoch ? log->val_epoch : log->val_step;

      if (isfinite (miou))
        unet_plot_append (plot, 0, g_array_index (x, double, i), 100.0 * miou);
    }
  return plot;
}

static char *
default_title (const char *log_path)
{
  g_autofree char *absolute = g_canonicalize_filename (log_path, NULL);
  g_autofree char *dir = g_path_get_dirname (absolute);
  g_autofree char *name = g_path_get_basename (dir);
  g_autofree char *display = g_filename_display_name (name);

  return g_strdup_printf ("Training run “%s”", display);
}

/* --- the command --------------------------------------------------------------------------- */

int
unet_cli_plot (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetPlot) losses = NULL;
  g_autoptr(UnetPlot) mious = NULL;
  g_autoptr(GBytes) picture = NULL;
  g_autofree char *title = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *lower = NULL;
  g_auto(RunLog) log = { 0 };
  UnetPlot *plots[2];
  UnetPlotStyle style;
  UnetDrawFormat format;
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
    format = UNET_DRAW_SVG;
  else if (g_str_has_suffix (lower, ".png"))
    format = UNET_DRAW_PNG;
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

  run_log_init (&log);
  log_path = resolve_log_path (input, &error);
  if (log_path == NULL || !read_log (log_path, &log, &error))
    {
      unet_cli_error ("plot", "%s", error->message);
      return UNET_EXIT_INPUT;
    }

  if (smoothing < 0.0)
    smoothing = auto_smoothing (log.train_step->len);
  losses = loss_plot (&log, smoothing);
  mious = miou_plot (&log);
  plots[n_plots++] = losses;
  if (mious != NULL)
    plots[n_plots++] = mious;
  if (height == -1)
    height = mious != NULL ? DEFAULT_HEIGHT : 460;
  if (title == NULL)
    title = default_title (log_path);

  unet_plot_style_init_default (&style);
  /* text in proportion to the picture, as a figure for a report would have it, but small
   * enough that a small picture still has room for its data */
  style.font_size = CLAMP (MIN (width / 75.0, height / (n_plots * 26.0)), 8.0, 20.0);
  picture = unet_plot_render_stack (plots, n_plots, title, width, height, format, &style, &error);
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

  if (!quiet)
    g_printerr ("unet plot: %u training step%s and %u validation%s drawn into %s\n",
                log.train_step->len, log.train_step->len == 1 ? "" : "s", log.val_step->len,
                log.val_step->len == 1 ? "" : "s", output);
  return UNET_EXIT_OK;
}
