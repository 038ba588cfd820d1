/* studio-dashboard.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "voc.h"

#include "studio-dashboard.h"
#include "studio-dataset-summary.h"
#include "studio-util.h"
#include "unet/unet-safetensors.h"

#define MAX_RECENT_DATASETS 8
/* Assumed free when /proc/meminfo cannot be read: low enough to refuse what would surely fail
 * on a small laptop, high enough to let the defaults run. */
#define FALLBACK_AVAILABLE_MEMORY ((guint64) 2 * 1000 * 1000 * 1000)
#define LOSS_SMOOTHING 0.9
#define DEFAULT_OVERLAY_OPACITY 0.6
#define DEFAULT_CHECKPOINT_EVERY 1000
#define ESTIMATE_DELAY_MS 250

typedef enum
{
  START_FROM_SCRATCH,
  START_FROM_FILE,
  START_FROM_RUN,
} StartFrom;

typedef enum
{
  CHOOSE_DATASET,
  CHOOSE_OUTPUT,
  CHOOSE_INIT,
  CHOOSE_RUN,
} ChooserKind;

struct _StudioDashboard
{
  GtkWidget              parent_instance;

  StudioWorker          *worker;
  GSettings             *settings;

  /* What the form does not show (steps, threads, augmentation strengths, ...) comes from here:
   * the defaults, or the options given last to studio_dashboard_set_options(). */
  UnetTrainOptions       base;
  char                  *dataset;
  char                  *train_split;
  char                  *val_split;       /* NULL: no validation */
  char                  *output_dir;      /* NULL: a new dated folder per run */
  char                  *init_from;
  char                  *resume_dir;

  /* of the chosen dataset, once loaded in a thread */
  char                 **splits;
  char                 **class_names;
  guint8                *palette;         /* 256 × RGB */
  GCancellable          *dataset_cancellable;

  GtkFileChooserNative  *chooser;
  ChooserKind            chooser_kind;
  guint                  estimate_source;
  gboolean               updating_splits;
  gboolean               applying_options;
  char                  *error_message;

  /* the run */
  StudioTrainState       state;
  gboolean               run_active;      /* started, and train-ended not heard yet */
  gboolean               run_left_idle;   /* the worker has reported the run as under way */
  gboolean               stop_requested;
  double                 best_miou;       /* < 0: no validation yet */

  /* template widgets */
  GtkRevealer           *error_revealer;
  GtkLabel              *error_label;
  GtkWidget             *form_box;
  AdwPreferencesGroup   *data_group;
  AdwActionRow          *dataset_row;
  GtkMenuButton         *recent_button;
  AdwComboRow           *train_split_row;
  GtkStringList         *train_split_model;
  AdwComboRow           *val_split_row;
  GtkStringList         *val_split_model;
  GtkSpinButton         *val_every_spin;
  GtkSpinButton         *time_limit_spin;
  GtkWidget             *classes_group;
  StudioDatasetSummary  *dataset_summary;
  GtkSwitch             *skip_bad_switch;
  AdwComboRow           *start_from_row;
  AdwActionRow          *init_row;
  AdwActionRow          *resume_row;
  AdwActionRow          *output_row;
  GtkWidget             *output_reset_button;
  AdwPreferencesGroup   *model_group;
  GtkSpinButton         *depth_spin;
  GtkSpinButton         *base_spin;
  AdwComboRow           *padding_row;
  AdwComboRow           *norm_row;
  GtkSpinButton         *dropout_spin;
  AdwPreferencesGroup   *training_group;
  GtkSpinButton         *tile_spin;
  GtkSpinButton         *batch_spin;
  GtkSpinButton         *epochs_spin;
  GtkSpinButton         *lr_spin;
  AdwComboRow           *schedule_row;
  GtkSpinButton         *momentum_spin;
  GtkSpinButton         *weight_decay_spin;
  GtkSpinButton         *seed_spin;
  AdwPreferencesGroup   *loss_group;
  GtkSwitch             *weighted_switch;
  AdwExpanderRow        *augment_row;
  GtkSwitch             *elastic_switch;
  GtkSwitch             *rotation_switch;
  GtkSwitch             *flip_switch;
  GtkSwitch             *colour_switch;
  GtkSpinButton         *scale_min_spin;
  GtkSpinButton         *scale_max_spin;
  AdwButtonContent      *pause_content;
  GtkWidget             *pause_button;
  GtkWidget             *stopping_box;
  GtkSpinner            *stopping_spinner;
  GtkLabel              *status_label;
  GtkStack              *content_stack;
  GtkProgressBar        *progress_bar;
  StudioPlot            *loss_plot;
  StudioPlot            *miou_plot;
  StudioPlot            *class_plot;
  GtkPicture            *preview_picture;
  GtkLabel              *preview_label;
};

G_DEFINE_FINAL_TYPE (StudioDashboard, studio_dashboard, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_WORKER,
  PROP_SETTINGS,
  PROP_STATE,
  N_PROPS
};

enum {
  RUN_ENDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void load_dataset_info (StudioDashboard *self);
static void update_state      (StudioDashboard *self);

/* --- small helpers ------------------------------------------------------------------------- */

static void
set_string (char       **field,
            const char  *value)
{
  if (value != NULL && value[0] == '\0')
    value = NULL;
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
}

static GtkWindow *
get_window (StudioDashboard *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

/* Bytes of memory the system can still hand out without swapping. */
static guint64
read_available_memory (void)
{
  g_autofree char *contents = NULL;
  const char *line;

  if (g_file_get_contents ("/proc/meminfo", &contents, NULL, NULL) &&
      (line = strstr (contents, "MemAvailable:")) != NULL)
    {
      guint64 kib = g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10);

      if (kib > 0)
        return kib * 1024;
    }
  return FALLBACK_AVAILABLE_MEMORY;
}

/* What a training step holds: the model's own estimate plus the trainer's batch buffers (input,
 * labels and pixel weights). 0 when the tile does not suit the model. */
static guint64
estimate_run_memory (const UnetConfig *config,
                     int               batch,
                     int               tile)
{
  int in = unet_config_round_input_size (config, tile);
  size_t model = unet_model_estimate_memory (config, batch, in, in, TRUE);

  if (model == 0)
    return 0;
  return (guint64) model + (guint64) batch * in * in * (3 * sizeof (float) + 1 + sizeof (float));
}

static gboolean
check_memory (const UnetConfig  *config,
              int                batch,
              int                tile,
              GError           **error)
{
  guint64 needed = estimate_run_memory (config, batch, tile);
  guint64 available = read_available_memory ();

  if (needed == 0)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                   _("A tile of %d pixels does not suit this model. Try another tile or depth."),
                   tile);
      return FALSE;
    }
  if (needed > available)
    {
      g_autofree char *needed_text = g_format_size (needed);
      g_autofree char *available_text = g_format_size (available);

      g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                   _("This run needs about %s, but only %s of memory is free. "
                     "Use a smaller tile or batch."),
                   needed_text, available_text);
      return FALSE;
    }
  return TRUE;
}

/* The __metadata__ strings of a .safetensors file, reading its header only (a model can be
 * hundreds of megabytes; its header is a few kilobytes). */
static GHashTable *
read_safetensors_metadata (const char  *path,
                           GError     **error)
{
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *header = NULL;
  g_autofree char *name = studio_display_path (path);
  guint8 prefix[8];
  guint64 length = 0;
  JsonNode *root;
  JsonObject *object;
  FILE *file;
  gboolean ok;

  file = g_fopen (path, "rb");
  if (file == NULL)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not open “%s”: %s"), name, g_strerror (saved));
      return NULL;
    }
  ok = fread (prefix, 1, sizeof prefix, file) == sizeof prefix;
  for (int i = 7; ok && i >= 0; i--)
    length = (length << 8) | prefix[i];
  ok = ok && length > 1 && length <= UNET_SAFETENSORS_MAX_HEADER;
  if (ok)
    {
      header = g_malloc (length + 1);
      ok = fread (header, 1, length, file) == length;
      header[length] = '\0';
    }
  fclose (file);

  if (!ok || !json_parser_load_from_data (parser, header, length, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   _("“%s” is not a U-Net model or checkpoint (.safetensors)"), name);
      return NULL;
    }
  object = json_node_get_object (root);
  if (json_object_has_member (object, "__metadata__") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "__metadata__")))
    {
      JsonObject *meta = json_object_get_object_member (object, "__metadata__");
      g_autoptr(GList) members = json_object_get_members (meta);

      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *node = json_object_get_member (meta, l->data);

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            g_hash_table_insert (metadata, g_strdup (l->data),
                                 g_strdup (json_node_get_string (node)));
        }
    }
  return g_steal_pointer (&metadata);
}

/* The architecture stored in a model or checkpoint, for the memory estimate. */
static gboolean
read_model_config (const char  *path,
                   UnetConfig  *config,
                   GError     **error)
{
  g_autoptr(GHashTable) metadata = read_safetensors_metadata (path, error);
  g_autofree char *name = NULL;
  const char *depth, *base, *padding, *norm;

  if (metadata == NULL)
    return FALSE;
  unet_config_init_default (config);
  depth = g_hash_table_lookup (metadata, "depth");
  base = g_hash_table_lookup (metadata, "base");
  padding = g_hash_table_lookup (metadata, "padding");
  norm = g_hash_table_lookup (metadata, "norm");
  if (depth == NULL || base == NULL || padding == NULL || norm == NULL ||
      !unet_padding_from_string (padding, &config->padding, NULL) ||
      !unet_norm_from_string (norm, &config->norm, NULL))
    {
      name = studio_display_path (path);
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   _("“%s” does not describe its network; it was not written by U-Net Studio"),
                   name);
      return FALSE;
    }
  config->depth = (int) g_ascii_strtoll (depth, NULL, 10);
  config->base = (int) g_ascii_strtoll (base, NULL, 10);
  if (g_hash_table_contains (metadata, "in_channels"))
    config->in_channels = (int) g_ascii_strtoll (g_hash_table_lookup (metadata, "in_channels"),
                                                 NULL, 10);
  return unet_config_validate (config, error);
}

/* The options a stopped run was started with, from its checkpoint. */
static gboolean
read_run_options (const char        *run_dir,
                  UnetTrainOptions  *options,
                  GError           **error)
{
  g_autofree char *path = g_build_filename (run_dir, "last.safetensors", NULL);
  g_autoptr(GHashTable) metadata = NULL;
  const char *json;

  unet_train_options_init_default (options);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *name = studio_display_path (run_dir);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("“%s” holds no stopped run to resume (no last.safetensors)"), name);
      return FALSE;
    }
  metadata = read_safetensors_metadata (path, error);
  if (metadata == NULL)
    return FALSE;
  json = g_hash_table_lookup (metadata, "state.options");
  if (json == NULL)
    {
      g_autofree char *name = studio_display_path (path);

      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   _("“%s” is a model, not a training checkpoint; start from it as a file instead"),
                   name);
      return FALSE;
    }
  return unet_train_options_from_json (options, json, error);
}

/* --- the inline error ---------------------------------------------------------------------- */

static void
show_error (StudioDashboard *self,
            const char      *message)
{
  set_string (&self->error_message, message);
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_revealer_set_reveal_child (self->error_revealer, message != NULL);
}

static void
dismiss_error_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  show_error (STUDIO_DASHBOARD (widget), NULL);
}

/* --- the form ------------------------------------------------------------------------------ */

static StartFrom
get_start_from (StudioDashboard *self)
{
  guint selected = adw_combo_row_get_selected (self->start_from_row);

  return selected <= START_FROM_RUN ? (StartFrom) selected : START_FROM_SCRATCH;
}

static void
update_file_rows (StudioDashboard *self)
{
  g_autofree char *dataset = self->dataset != NULL ? studio_display_path (self->dataset) : NULL;
  g_autofree char *init = self->init_from != NULL ? studio_display_path (self->init_from) : NULL;
  g_autofree char *resume = self->resume_dir != NULL ? studio_display_path (self->resume_dir) : NULL;
  StartFrom start_from = get_start_from (self);

  adw_action_row_set_subtitle (self->dataset_row, dataset != NULL ? dataset : _("None chosen"));
  adw_action_row_set_subtitle (self->init_row, init != NULL ? init : _("None chosen"));
  adw_action_row_set_subtitle (self->resume_row, resume != NULL ? resume : _("None chosen"));
  if (start_from == START_FROM_RUN)
    adw_action_row_set_subtitle (self->output_row, _("The run’s own folder"));
  else if (self->output_dir != NULL)
    {
      g_autofree char *output = studio_display_path (self->output_dir);

      adw_action_row_set_subtitle (self->output_row, output);
    }
  else
    {
      g_autofree char *runs = g_build_filename (g_get_user_data_dir (), "unet-studio", "runs", NULL);
      g_autofree char *runs_display = studio_display_path (runs);
      g_autofree char *subtitle = g_strdup_printf (_("A new folder in %s"), runs_display);

      adw_action_row_set_subtitle (self->output_row, subtitle);
    }
  gtk_widget_set_visible (self->output_reset_button,
                          self->output_dir != NULL && start_from != START_FROM_RUN);
}

/* Groups that do not apply to the chosen start are insensitive: a file brings its architecture,
 * a stopped run all of its settings. */
static void
update_form_sensitivity (StudioDashboard *self)
{
  StartFrom start_from = get_start_from (self);
  gboolean idle = self->state == STUDIO_TRAIN_STATE_IDLE;
  gboolean own_settings = start_from != START_FROM_RUN;

  gtk_widget_set_sensitive (self->form_box, idle);
  gtk_widget_set_visible (GTK_WIDGET (self->init_row), start_from == START_FROM_FILE);
  gtk_widget_set_visible (GTK_WIDGET (self->resume_row), start_from == START_FROM_RUN);
  gtk_widget_set_sensitive (GTK_WIDGET (self->data_group), own_settings);
  gtk_widget_set_sensitive (GTK_WIDGET (self->model_group), start_from == START_FROM_SCRATCH);
  gtk_widget_set_sensitive (GTK_WIDGET (self->training_group), own_settings);
  gtk_widget_set_sensitive (GTK_WIDGET (self->loss_group), own_settings);
  gtk_widget_set_sensitive (GTK_WIDGET (self->output_row), own_settings);
  adw_preferences_group_set_description (self->model_group,
                                         start_from == START_FROM_FILE
                                         ? _("The network comes from the weights file.")
                                         : NULL);
}

static void
update_memory_estimate (StudioDashboard *self)
{
  UnetConfig config = self->base.model;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  guint64 needed, available;
  int batch = gtk_spin_button_get_value_as_int (self->batch_spin);
  int tile = gtk_spin_button_get_value_as_int (self->tile_spin);

  config.depth = gtk_spin_button_get_value_as_int (self->depth_spin);
  config.base = gtk_spin_button_get_value_as_int (self->base_spin);
  config.padding = adw_combo_row_get_selected (self->padding_row) == 0
                   ? UNET_PADDING_VALID : UNET_PADDING_SAME;
  config.norm = adw_combo_row_get_selected (self->norm_row) == 0 ? UNET_NORM_NONE : UNET_NORM_BATCH;

  if (get_start_from (self) == START_FROM_FILE && self->init_from != NULL &&
      !read_model_config (self->init_from, &config, &error))
    {
      adw_preferences_group_set_description (self->training_group, error->message);
      return;
    }
  needed = estimate_run_memory (&config, batch, tile);
  available = read_available_memory ();
  if (needed == 0)
    description = g_strdup_printf (_("A tile of %d pixels does not suit this model."), tile);
  else
    {
      g_autofree char *needed_text = g_format_size (needed);
      g_autofree char *available_text = g_format_size (available);

      /* Translators: the two values are sizes such as "1.2 GB" */
      description = g_strdup_printf (_("Needs about %s of memory; %s is free."),
                                     needed_text, available_text);
    }
  adw_preferences_group_set_description (self->training_group, description);
}

static gboolean
estimate_timeout (gpointer user_data)
{
  StudioDashboard *self = user_data;

  self->estimate_source = 0;
  update_memory_estimate (self);
  return G_SOURCE_REMOVE;
}

/* Called as the model and tile settings change; the estimate builds a model, so it waits for
 * the spinning to settle. */
static void
on_form_changed (StudioDashboard *self)
{
  g_clear_handle_id (&self->estimate_source, g_source_remove);
  self->estimate_source = g_timeout_add (ESTIMATE_DELAY_MS, estimate_timeout, self);
}

/* A length in steps (from options given programmatically or a run's settings) yields to the
 * epochs the user sets. */
static void
on_epochs_changed (StudioDashboard *self)
{
  if (!self->applying_options)
    self->base.steps = 0;
}

static void
on_start_from_selected (StudioDashboard *self)
{
  update_file_rows (self);
  update_form_sensitivity (self);
  on_form_changed (self);
}

static int
find_string (char       **strv,
             const char  *string)
{
  for (int i = 0; strv != NULL && string != NULL && strv[i] != NULL; i++)
    if (g_str_equal (strv[i], string))
      return i;
  return -1;
}

/* Fills both split lists from the dataset's splits (or just the wanted names while they load),
 * keeping the wanted splits selected when the dataset has them. */
static void
update_split_rows (StudioDashboard *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) names = NULL;
  int train, val;

  if (self->splits != NULL)
    g_strv_builder_addv (builder, (const char **) self->splits);
  else
    {
      g_strv_builder_add (builder, self->train_split != NULL ? self->train_split : "train");
      if (self->val_split != NULL && g_strcmp0 (self->val_split, self->train_split) != 0)
        g_strv_builder_add (builder, self->val_split);
    }
  names = g_strv_builder_end (builder);

  train = find_string (names, self->train_split);
  if (train < 0)
    train = MAX (find_string (names, "train"), 0);
  val = self->val_split != NULL ? find_string (names, self->val_split) : -1;
  if (val < 0 && self->val_split != NULL && self->splits != NULL)
    val = find_string (names, "val");

  self->updating_splits = TRUE;
  gtk_string_list_splice (self->train_split_model, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->train_split_model)),
                          (const char * const *) names);
  gtk_string_list_splice (self->val_split_model, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->val_split_model)),
                          NULL);
  gtk_string_list_append (self->val_split_model, _("None"));
  gtk_string_list_splice (self->val_split_model, 1, 0, (const char * const *) names);
  if (names[0] != NULL)
    adw_combo_row_set_selected (self->train_split_row, train);
  adw_combo_row_set_selected (self->val_split_row, val >= 0 ? (guint) val + 1 : 0);
  self->updating_splits = FALSE;

  if (names[0] != NULL)
    set_string (&self->train_split, names[train]);
  set_string (&self->val_split, val >= 0 ? names[val] : NULL);
}

static void
on_split_selected (StudioDashboard *self)
{
  guint train = adw_combo_row_get_selected (self->train_split_row);
  guint val = adw_combo_row_get_selected (self->val_split_row);

  if (self->updating_splits)
    return;
  if (train != GTK_INVALID_LIST_POSITION)
    set_string (&self->train_split,
                gtk_string_list_get_string (self->train_split_model, train));
  if (val != GTK_INVALID_LIST_POSITION)
    set_string (&self->val_split,
                val == 0 ? NULL : gtk_string_list_get_string (self->val_split_model, val));
}

static void
set_dataset (StudioDashboard *self,
             const char      *dataset)
{
  if (dataset != NULL && dataset[0] == '\0')
    dataset = NULL;
  if (g_strcmp0 (self->dataset, dataset) == 0)
    return;
  set_string (&self->dataset, dataset);
  g_clear_pointer (&self->splits, g_strfreev);
  g_clear_pointer (&self->class_names, g_strfreev);
  g_clear_pointer (&self->palette, g_free);
  update_file_rows (self);
  update_split_rows (self);
  load_dataset_info (self);
}

/* --- the dataset's splits, classes and colours, read in a thread ---------------------------- */

typedef struct
{
  char   **splits;
  char   **class_names;
  guint8  *palette;
} DatasetInfo;

static void
dataset_info_free (gpointer data)
{
  DatasetInfo *info = data;

  g_strfreev (info->splits);
  g_strfreev (info->class_names);
  g_free (info->palette);
  g_free (info);
}

static void
dataset_info_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VocDataset) dataset = voc_dataset_open (task_data, &error);
  DatasetInfo *info;

  if (dataset == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  info = g_new0 (DatasetInfo, 1);
  info->splits = voc_dataset_list_splits (dataset);
  info->class_names = g_strdupv ((char **) voc_dataset_get_class_names (dataset));
  info->palette = g_memdup2 (voc_dataset_get_palette (dataset), 256 * 3);
  g_task_return_pointer (task, info, dataset_info_free);
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* The task holds the dashboard through a weak reference, so closing the window does not wait
 * for a slow disk. */
static void
dataset_info_done (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(StudioDashboard) self = g_weak_ref_get (weak);
  g_autoptr(GError) error = NULL;
  DatasetInfo *info = g_task_propagate_pointer (G_TASK (result), &error);

  weak_ref_free (weak);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_strcmp0 (g_task_get_task_data (G_TASK (result)), self->dataset) != 0)
    {
      g_clear_pointer (&info, dataset_info_free);
      return;
    }
  g_clear_object (&self->dataset_cancellable);
  if (info == NULL)
    {
      show_error (self, error->message);
      return;
    }
  g_clear_pointer (&self->splits, g_strfreev);
  g_clear_pointer (&self->class_names, g_strfreev);
  g_clear_pointer (&self->palette, g_free);
  self->splits = g_steal_pointer (&info->splits);
  self->class_names = g_steal_pointer (&info->class_names);
  self->palette = g_steal_pointer (&info->palette);
  dataset_info_free (info);
  /* the splits of a running run are what it was started with; only idle forms follow */
  if (self->state == STUDIO_TRAIN_STATE_IDLE)
    update_split_rows (self);
}

static void
load_dataset_info (StudioDashboard *self)
{
  g_autoptr(GTask) task = NULL;
  GWeakRef *weak;

  if (self->dataset_cancellable != NULL)
    g_cancellable_cancel (self->dataset_cancellable);
  g_clear_object (&self->dataset_cancellable);
  gtk_widget_set_visible (self->classes_group, self->dataset != NULL);
  studio_dataset_summary_set_dataset (self->dataset_summary, self->dataset);
  if (self->dataset == NULL)
    return;

  self->dataset_cancellable = g_cancellable_new ();
  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, self);
  task = g_task_new (NULL, self->dataset_cancellable, dataset_info_done, weak);
  g_task_set_source_tag (task, load_dataset_info);
  g_task_set_task_data (task, g_strdup (self->dataset), g_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, dataset_info_thread);
}

/* --- recent datasets ----------------------------------------------------------------------- */

static void
update_recent_menu (StudioDashboard *self)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_auto(GStrv) recent = NULL;
  guint n = 0;

  if (self->settings != NULL)
    recent = g_settings_get_strv (self->settings, "recent-datasets");
  for (guint i = 0; recent != NULL && recent[i] != NULL && n < MAX_RECENT_DATASETS; i++)
    {
      g_autofree char *label = studio_display_path (recent[i]);
      g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

      g_menu_item_set_action_and_target_value (item, "dashboard.use-dataset",
                                               g_variant_new_string (recent[i]));
      g_menu_append_item (menu, item);
      n++;
    }
  gtk_menu_button_set_menu_model (self->recent_button, G_MENU_MODEL (menu));
  gtk_widget_set_sensitive (GTK_WIDGET (self->recent_button), n > 0);
}

static void
add_recent_dataset (StudioDashboard *self,
                    const char      *dataset)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) recent = NULL;
  g_auto(GStrv) updated = NULL;
  guint n = 1;

  if (self->settings == NULL || dataset == NULL)
    return;
  recent = g_settings_get_strv (self->settings, "recent-datasets");
  builder = g_strv_builder_new ();
  g_strv_builder_add (builder, dataset);
  for (guint i = 0; recent[i] != NULL && n < MAX_RECENT_DATASETS; i++)
    if (!g_str_equal (recent[i], dataset))
      {
        g_strv_builder_add (builder, recent[i]);
        n++;
      }
  updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-datasets", (const char * const *) updated);
}

static void
use_dataset_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  StudioDashboard *self = STUDIO_DASHBOARD (widget);

  show_error (self, NULL);
  set_dataset (self, g_variant_get_string (parameter, NULL));
}

/* --- file choosers (GTK 4.8 has no GtkFileDialog) ------------------------------------------ */

static void
on_chooser_response (StudioDashboard *self,
                     int              response,
                     GtkNativeDialog *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);
  if (file != NULL && path == NULL)
    show_error (self, _("Only local folders and files can be used for training."));

  if (path != NULL)
    {
      show_error (self, NULL);
      switch (self->chooser_kind)
        {
        case CHOOSE_DATASET:
          set_dataset (self, path);
          break;
        case CHOOSE_OUTPUT:
          set_string (&self->output_dir, path);
          break;
        case CHOOSE_INIT:
          set_string (&self->init_from, path);
          on_form_changed (self);
          break;
        case CHOOSE_RUN:
          studio_dashboard_set_resume_dir (self, path);
          break;
        default:
          g_assert_not_reached ();
        }
      update_file_rows (self);
    }
  gtk_native_dialog_destroy (chooser);
  g_clear_object (&self->chooser);
}

static void
run_chooser (StudioDashboard *self,
             ChooserKind      kind,
             const char      *current)
{
  static const char *titles[] = {
    N_("Choose a Dataset Folder"),
    N_("Choose the Output Folder"),
    N_("Choose a Model or Checkpoint"),
    N_("Choose a Stopped Run"),
  };
  GtkFileChooserAction action = kind == CHOOSE_INIT ? GTK_FILE_CHOOSER_ACTION_OPEN
                                                    : GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;

  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  self->chooser = gtk_file_chooser_native_new (_(titles[kind]), get_window (self), action,
                                               NULL, NULL);
  self->chooser_kind = kind;
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  if (kind == CHOOSE_INIT)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _("U-Net models and checkpoints (.safetensors)"));
      gtk_file_filter_add_pattern (filter, "*.safetensors");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
    }
  if (current != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (current);
      g_autoptr(GFile) parent = g_file_get_parent (file);

      if (parent != NULL)
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), parent, NULL);
    }
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (on_chooser_response), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
choose_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  StudioDashboard *self = STUDIO_DASHBOARD (widget);

  if (g_str_equal (action_name, "dashboard.choose-dataset"))
    run_chooser (self, CHOOSE_DATASET, self->dataset);
  else if (g_str_equal (action_name, "dashboard.choose-output"))
    run_chooser (self, CHOOSE_OUTPUT, self->output_dir);
  else if (g_str_equal (action_name, "dashboard.choose-init"))
    run_chooser (self, CHOOSE_INIT, self->init_from);
  else if (g_str_equal (action_name, "dashboard.choose-run"))
    run_chooser (self, CHOOSE_RUN, self->resume_dir);
}

static void
reset_output_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  StudioDashboard *self = STUDIO_DASHBOARD (widget);

  g_clear_pointer (&self->output_dir, g_free);
  update_file_rows (self);
}

/* --- options ⇄ form ------------------------------------------------------------------------ */

/* Sets the form (not "Start from") from options; NULL strings leave a field empty. */
static void
apply_options (StudioDashboard        *self,
               const UnetTrainOptions *options)
{
  const VocAugmentOptions *a = &options->augment_options;

  self->applying_options = TRUE;
  unet_train_options_clear (&self->base);
  unet_train_options_copy (&self->base, options);

  set_string (&self->train_split, options->train_split);
  set_string (&self->val_split, options->val_split);
  set_string (&self->output_dir, options->output_dir);
  set_string (&self->init_from, options->init_from);
  set_dataset (self, options->dataset);
  update_split_rows (self);

  gtk_switch_set_active (self->skip_bad_switch, options->skip_bad);
  gtk_spin_button_set_value (self->depth_spin, options->model.depth);
  gtk_spin_button_set_value (self->base_spin, options->model.base);
  adw_combo_row_set_selected (self->padding_row,
                              options->model.padding == UNET_PADDING_VALID ? 0 : 1);
  adw_combo_row_set_selected (self->norm_row, options->model.norm == UNET_NORM_NONE ? 0 : 1);
  gtk_spin_button_set_value (self->dropout_spin, options->model.dropout);

  gtk_spin_button_set_value (self->tile_spin, options->tile);
  gtk_spin_button_set_value (self->batch_spin, options->batch);
  gtk_spin_button_set_value (self->epochs_spin, options->epochs);
  gtk_spin_button_set_value (self->time_limit_spin, options->time_limit / 60.0);
  gtk_spin_button_set_value (self->lr_spin, options->lr);
  adw_combo_row_set_selected (self->schedule_row, options->schedule);
  gtk_spin_button_set_value (self->momentum_spin, options->momentum);
  gtk_spin_button_set_value (self->weight_decay_spin, options->weight_decay);
  gtk_spin_button_set_value (self->seed_spin, (double) options->seed);
  gtk_spin_button_set_value (self->val_every_spin, MAX (options->val_every, 0));

  gtk_switch_set_active (self->weighted_switch, options->weighted_loss);
  adw_expander_row_set_enable_expansion (self->augment_row, options->augment);
  gtk_switch_set_active (self->elastic_switch, a->elastic_sigma > 0.0);
  gtk_switch_set_active (self->rotation_switch, a->rotation > 0.0);
  gtk_switch_set_active (self->flip_switch, a->flip_probability > 0.0);
  gtk_switch_set_active (self->colour_switch,
                         a->brightness > 0.0 || a->contrast > 0.0 || a->saturation > 0.0);
  gtk_spin_button_set_value (self->scale_min_spin, a->scale_min);
  gtk_spin_button_set_value (self->scale_max_spin, a->scale_max);
  self->applying_options = FALSE;

  update_file_rows (self);
  on_form_changed (self);
}

/* A switched-on transform keeps the strength it was given, or gets the default one. */
static double
augment_value (gboolean active,
               double   given,
               double   fallback)
{
  if (!active)
    return 0.0;
  return given > 0.0 ? given : fallback;
}

static void
read_form (StudioDashboard  *self,
           UnetTrainOptions *options)
{
  VocAugmentOptions defaults;
  VocAugmentOptions *a = &options->augment_options;
  const VocAugmentOptions *given = &self->base.augment_options;
  gboolean colour = gtk_switch_get_active (self->colour_switch);

  voc_augment_options_init_default (&defaults);
  unet_train_options_copy (options, &self->base);
  set_string (&options->dataset, self->dataset);
  set_string (&options->train_split, self->train_split);
  set_string (&options->val_split, self->val_split);
  set_string (&options->output_dir, self->output_dir);
  set_string (&options->init_from,
              get_start_from (self) == START_FROM_FILE ? self->init_from : NULL);
  options->skip_bad = gtk_switch_get_active (self->skip_bad_switch);

  options->model.depth = gtk_spin_button_get_value_as_int (self->depth_spin);
  options->model.base = gtk_spin_button_get_value_as_int (self->base_spin);
  options->model.padding = adw_combo_row_get_selected (self->padding_row) == 0
                           ? UNET_PADDING_VALID : UNET_PADDING_SAME;
  options->model.norm = adw_combo_row_get_selected (self->norm_row) == 0
                        ? UNET_NORM_NONE : UNET_NORM_BATCH;
  options->model.dropout = (float) gtk_spin_button_get_value (self->dropout_spin);

  options->tile = gtk_spin_button_get_value_as_int (self->tile_spin);
  options->batch = gtk_spin_button_get_value_as_int (self->batch_spin);
  options->epochs = gtk_spin_button_get_value_as_int (self->epochs_spin);
  options->time_limit = 60.0 * gtk_spin_button_get_value (self->time_limit_spin);
  options->lr = gtk_spin_button_get_value (self->lr_spin);
  options->schedule = (UnetScheduleKind) MIN (adw_combo_row_get_selected (self->schedule_row),
                                              UNET_SCHEDULE_COOLDOWN);
  options->momentum = gtk_spin_button_get_value (self->momentum_spin);
  options->weight_decay = gtk_spin_button_get_value (self->weight_decay_spin);
  options->seed = (guint64) gtk_spin_button_get_value (self->seed_spin);
  options->val_every = gtk_spin_button_get_value_as_int (self->val_every_spin);

  options->weighted_loss = gtk_switch_get_active (self->weighted_switch);
  options->augment = adw_expander_row_get_enable_expansion (self->augment_row);
  a->elastic_sigma = augment_value (gtk_switch_get_active (self->elastic_switch),
                                    given->elastic_sigma, defaults.elastic_sigma);
  a->rotation = augment_value (gtk_switch_get_active (self->rotation_switch),
                               given->rotation, defaults.rotation);
  a->flip_probability = augment_value (gtk_switch_get_active (self->flip_switch),
                                       given->flip_probability, defaults.flip_probability);
  a->brightness = augment_value (colour, given->brightness, defaults.brightness);
  a->contrast = augment_value (colour, given->contrast, defaults.contrast);
  a->saturation = augment_value (colour, given->saturation, defaults.saturation);
  a->scale_min = gtk_spin_button_get_value (self->scale_min_spin);
  a->scale_max = MAX (gtk_spin_button_get_value (self->scale_max_spin), a->scale_min);

  if (options->threads == 0 && self->settings != NULL)
    options->threads = g_settings_get_int (self->settings, "threads");
}

/* The dashboard's defaults: the paper's optimiser, and a network a 2-core laptop trains in an
 * afternoon rather than a week. */
static void
init_default_options (UnetTrainOptions *options)
{
  unet_train_options_init_default (options);
  options->model.padding = UNET_PADDING_SAME;
  options->model.norm = UNET_NORM_BATCH;
  options->model.base = 16;
  options->tile = 256;
  options->batch = 4;
  options->skip_bad = TRUE;
  options->checkpoint_every = DEFAULT_CHECKPOINT_EVERY;
}

static char *
new_run_dir (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d-%H%M%S");
  g_autofree char *parent = g_build_filename (g_get_user_data_dir (), "unet-studio", "runs", NULL);
  char *dir = g_build_filename (parent, stamp, NULL);

  for (int i = 2; g_file_test (dir, G_FILE_TEST_EXISTS); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%d", stamp, i);

      g_free (dir);
      dir = g_build_filename (parent, name, NULL);
    }
  return dir;
}

/* --- plots, progress and preview ----------------------------------------------------------- */

static void
clear_run_view (StudioDashboard *self)
{
  studio_plot_clear (self->loss_plot);
  studio_plot_clear (self->miou_plot);
  studio_plot_clear (self->class_plot);
  gtk_picture_set_paintable (self->preview_picture, NULL);
  gtk_label_set_text (self->preview_label,
                      _("The first validation image appears here after each validation."));
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_progress_bar_set_text (self->progress_bar, _("Preparing the data and the model…"));
  self->best_miou = -1.0;
  gtk_stack_set_visible_child_name (self->content_stack, "run");
}

static char *
format_time_left (double seconds)
{
  int minutes = (int) ceil (seconds / 60.0);

  if (seconds < 60.0)
    return g_strdup (_("less than a minute left"));
  if (minutes < 100)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %d minute left",
                                         "about %d minutes left", minutes), minutes);
  else
    {
      int hours = (minutes + 30) / 60;

      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %d hour left",
                                           "about %d hours left", hours), hours);
    }
}

static void
update_progress (StudioDashboard      *self,
                 const UnetTrainEvent *event)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *step = g_strdup_printf ("%" G_GINT64_FORMAT, event->step);
  g_autofree char *total = g_strdup_printf ("%" G_GINT64_FORMAT, event->total_steps);

  if (event->total_steps > 0)
    /* Translators: "Step 120 of 2000" */
    g_string_append_printf (text, _("Step %s of %s"), step, total);
  else
    /* Translators: a run as long as its time limit: "Step 120" */
    g_string_append_printf (text, _("Step %s"), step);
  if (event->n_epochs > 0)
    {
      g_string_append (text, " · ");
      /* Translators: the epoch under way and the number of epochs, "epoch 3/50" */
      g_string_append_printf (text, _("epoch %d/%d"), event->epoch, event->n_epochs);
    }
  if (event->images_per_s > 0.0)
    {
      g_string_append (text, " · ");
      g_string_append_printf (text, _("%.1f images/s"), event->images_per_s);
    }
  if (event->progress < 1.0 && event->images_per_s > 0.0 && isfinite (event->eta_seconds))
    {
      g_autofree char *left = format_time_left (event->eta_seconds);

      g_string_append (text, " · ");
      g_string_append (text, left);
    }
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (event->progress, 0.0, 1.0));
  gtk_progress_bar_set_text (self->progress_bar, text->str);
}

static const char *
class_name (StudioDashboard *self,
            int              k,
            int              n_classes,
            char           **fallback)
{
  if (self->class_names != NULL && g_strv_length (self->class_names) == (guint) n_classes)
    return self->class_names[k];
  if (n_classes == VOC_N_CLASSES)
    return voc_class_names_default ()[k];
  *fallback = g_strdup_printf (_("Class %d"), k);
  return *fallback;
}

/* iou in [0,1] or NAN for a class absent from truth and prediction. */
static void
set_class_bars (StudioDashboard *self,
                const double    *iou,
                int              n_classes)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autofree double *values = g_new (double, MAX (n_classes, 1));
  g_autofree guint8 *colors = g_new (guint8, 3 * MAX (n_classes, 1));

  for (int k = 0; k < n_classes; k++)
    {
      g_autofree char *fallback = NULL;

      g_ptr_array_add (labels, g_strdup (class_name (self, k, n_classes, &fallback)));
      values[k] = isnan (iou[k]) ? NAN : 100.0 * iou[k];
      if (self->palette != NULL)
        memcpy (colors + 3 * k, self->palette + 3 * k, 3);
      else
        voc_colormap (k, colors + 3 * k);
    }
  g_ptr_array_add (labels, NULL);
  studio_plot_set_bars (self->class_plot, (const char * const *) labels->pdata, values, colors,
                        n_classes);
}

static void
show_sample (StudioDashboard      *self,
             const UnetTrainEvent *event)
{
  gsize n_pixels = (gsize) event->sample_width * event->sample_height;
  double opacity = DEFAULT_OVERLAY_OPACITY;
  g_autofree guint8 *classes = NULL;
  g_autofree char *caption = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  guint8 *pixels;

  if (n_pixels == 0 || event->sample_rgb == NULL || event->sample_prediction == NULL)
    return;

  /* void pixels are left as they are: nobody knows what they should be */
  classes = g_memdup2 (event->sample_prediction, n_pixels);
  if (event->sample_truth != NULL)
    for (gsize i = 0; i < n_pixels; i++)
      if (event->sample_truth[i] == VOC_VOID)
        classes[i] = VOC_VOID;
  if (self->settings != NULL)
    opacity = g_settings_get_double (self->settings, "overlay-opacity");

  pixels = g_malloc (n_pixels * 3);
  voc_overlay_render (event->sample_rgb, classes, event->sample_width, event->sample_height,
                      self->palette, opacity, pixels);
  bytes = g_bytes_new_take (pixels, n_pixels * 3);
  texture = gdk_memory_texture_new (event->sample_width, event->sample_height,
                                    GDK_MEMORY_R8G8B8, bytes, (gsize) event->sample_width * 3);
  gtk_picture_set_paintable (self->preview_picture, GDK_PAINTABLE (texture));

  /* Translators: a validation image's id, the epoch and the mIoU,
   * "2007_000033 · epoch 3 · mIoU 12.3 %" */
  caption = g_strdup_printf (_("%s · epoch %d · mIoU %.1f %%"),
                             event->sample_id != NULL ? event->sample_id : "",
                             event->epoch, 100.0 * event->miou);
  gtk_label_set_text (self->preview_label, caption);
}

static void
on_train_event (StudioDashboard      *self,
                const UnetTrainEvent *event,
                StudioWorker         *worker)
{
  switch (event->kind)
    {
    case UNET_TRAIN_EVENT_PROGRESS:
      studio_plot_append (self->loss_plot, 0, (double) event->step, event->loss);
      update_progress (self, event);
      break;

    case UNET_TRAIN_EVENT_EVALUATED:
      studio_plot_append (self->miou_plot, 0, event->epoch, 100.0 * event->miou);
      self->best_miou = MAX (self->best_miou, event->miou);
      if (event->per_class_iou != NULL && event->n_classes > 0)
        set_class_bars (self, event->per_class_iou, event->n_classes);
      show_sample (self, event);
      break;

    case UNET_TRAIN_EVENT_CHECKPOINT:
      {
        g_autofree char *step = g_strdup_printf ("%" G_GINT64_FORMAT, event->step);
        g_autofree char *text = g_strdup_printf (_("Checkpoint saved at step %s"), step);

        gtk_label_set_text (self->status_label, text);
      }
      break;

    case UNET_TRAIN_EVENT_FINISHED:
      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
      break;

    default:
      break;
    }
}

/* Refills the plots of a run being resumed from its log, so its history stays in view. */
static void
refill_from_log (StudioDashboard *self,
                 const char      *run_dir,
                 char           **class_names)
{
  g_autofree char *path = g_build_filename (run_dir, "log.jsonl", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) last_val = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      JsonNode *root;
      JsonObject *object;
      const char *type;

      if (lines[i][0] != '{' || !json_parser_load_from_data (parser, lines[i], -1, NULL))
        continue;
      root = json_parser_get_root (parser);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        continue;
      object = json_node_get_object (root);
      type = json_object_get_string_member_with_default (object, "type", "");
      if (g_str_equal (type, "train"))
        studio_plot_append (self->loss_plot, 0,
                            json_object_get_int_member_with_default (object, "step", 0),
                            json_object_get_double_member_with_default (object, "loss", NAN));
      else if (g_str_equal (type, "val"))
        {
          double miou = json_object_get_double_member_with_default (object, "miou", NAN);

          studio_plot_append (self->miou_plot, 0,
                              json_object_get_int_member_with_default (object, "epoch", 0),
                              100.0 * miou);
          if (isfinite (miou))
            self->best_miou = MAX (self->best_miou, miou);
          g_clear_pointer (&last_val, json_node_unref);
          last_val = json_node_copy (root);
        }
    }

  /* the log names classes; absent ones were not seen in truth or prediction */
  if (last_val != NULL && class_names != NULL &&
      json_object_has_member (json_node_get_object (last_val), "per_class_iou"))
    {
      JsonObject *per_class = json_object_get_object_member (json_node_get_object (last_val),
                                                             "per_class_iou");
      guint n = g_strv_length (class_names);
      g_autofree double *iou = g_new (double, MAX (n, 1));

      for (guint k = 0; per_class != NULL && k < n; k++)
        iou[k] = json_object_get_double_member_with_default (per_class, class_names[k], NAN);
      if (per_class != NULL && n > 0)
        set_class_bars (self, iou, n);
    }
}

/* The class names a checkpoint stores (a JSON list), or NULL. */
static char **
read_class_names (const char *run_dir)
{
  g_autofree char *path = g_build_filename (run_dir, "last.safetensors", NULL);
  g_autoptr(GHashTable) metadata = read_safetensors_metadata (path, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GStrvBuilder) builder = NULL;
  const char *json = metadata != NULL ? g_hash_table_lookup (metadata, "classes") : NULL;
  JsonNode *root;
  JsonArray *array;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    return NULL;
  array = json_node_get_array (root);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      const char *name = json_array_get_string_element (array, i);

      g_strv_builder_add (builder, name != NULL ? name : "");
    }
  return g_strv_builder_end (builder);
}

/* --- state --------------------------------------------------------------------------------- */

/* The worker's state, except that a run is not over before the worker has said so with
 * train-ended (it reports IDLE just before): Start must stay disabled until then. */
static StudioTrainState
compute_state (StudioDashboard *self)
{
  StudioTrainState state = self->worker != NULL ? studio_worker_get_train_state (self->worker)
                                                : STUDIO_TRAIN_STATE_IDLE;

  if (!self->run_active)
    return state;
  if (self->stop_requested)
    return STUDIO_TRAIN_STATE_STOPPING;
  if (state == STUDIO_TRAIN_STATE_IDLE)
    return self->run_left_idle ? STUDIO_TRAIN_STATE_STOPPING : STUDIO_TRAIN_STATE_STARTING;
  return state;
}

static void
update_controls (StudioDashboard *self)
{
  gboolean paused = self->state == STUDIO_TRAIN_STATE_PAUSED;
  gboolean stopping = self->state == STUDIO_TRAIN_STATE_STOPPING;

  adw_button_content_set_label (self->pause_content, paused ? _("_Resume") : _("_Pause"));
  adw_button_content_set_icon_name (self->pause_content,
                                    paused ? "media-playback-start-symbolic"
                                           : "media-playback-pause-symbolic");
  gtk_widget_set_tooltip_text (self->pause_button,
                               paused ? _("Continue training (Ctrl+P)")
                                      : _("Pause after the current step (Ctrl+P)"));
  gtk_widget_set_visible (self->stopping_box, stopping);
  gtk_spinner_set_spinning (self->stopping_spinner, stopping);

  switch (self->state)
    {
    case STUDIO_TRAIN_STATE_STARTING:
      gtk_label_set_text (self->status_label, _("Preparing the data and the model…"));
      break;
    case STUDIO_TRAIN_STATE_PAUSED:
      gtk_label_set_text (self->status_label, _("Paused"));
      break;
    case STUDIO_TRAIN_STATE_RUNNING:
    case STUDIO_TRAIN_STATE_STOPPING:
    case STUDIO_TRAIN_STATE_IDLE:
    default:
      gtk_label_set_text (self->status_label, "");
      break;
    }
  update_form_sensitivity (self);
}

static void
update_state (StudioDashboard *self)
{
  StudioTrainState state = compute_state (self);

  if (state == self->state)
    return;
  self->state = state;
  update_controls (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
on_worker_train_state (StudioDashboard *self)
{
  if (self->run_active &&
      studio_worker_get_train_state (self->worker) != STUDIO_TRAIN_STATE_IDLE)
    self->run_left_idle = TRUE;
  update_state (self);
}

static void
on_train_ended (StudioDashboard *self,
                const char      *run_dir,
                const char      *model_path,
                GError          *error,
                StudioWorker    *worker)
{
  g_autofree char *message = NULL;

  if (error == NULL)
    {
      if (self->best_miou >= 0.0)
        message = g_strdup_printf (_("Training finished: best mIoU %.1f %%"),
                                   100.0 * self->best_miou);
      else
        message = g_strdup (_("Training finished"));
      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
      gtk_progress_bar_set_text (self->progress_bar, message);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *checkpoint = run_dir != NULL
                                    ? g_build_filename (run_dir, "last.safetensors", NULL) : NULL;

      if (checkpoint != NULL && g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *folder = studio_display_path (run_dir);

          message = g_strdup_printf (_("Training stopped; resume it from %s"), folder);
          /* ready for "Start from: a stopped run", without choosing it for the user */
          set_string (&self->resume_dir, run_dir);
          update_file_rows (self);
        }
      else
        message = g_strdup (_("Training stopped before anything was saved"));
      gtk_progress_bar_set_text (self->progress_bar, message);
    }
  else
    {
      message = g_strdup (error->message);
      show_error (self, message);
      gtk_progress_bar_set_text (self->progress_bar, _("Training failed"));
    }

  self->run_active = FALSE;
  self->run_left_idle = FALSE;
  self->stop_requested = FALSE;
  update_state (self);
  gtk_label_set_text (self->status_label, "");

  g_signal_emit (self, signals[RUN_ENDED], 0, error == NULL ? model_path : NULL, message);
}

/* --- starting ------------------------------------------------------------------------------ */

static void
begin_run (StudioDashboard *self)
{
  self->run_active = TRUE;
  self->run_left_idle = FALSE;
  self->stop_requested = FALSE;
}

static void
abandon_run (StudioDashboard *self)
{
  self->run_active = FALSE;
  update_state (self);
}

static gboolean
resume_run (StudioDashboard  *self,
            GError          **error)
{
  g_auto(UnetTrainOptions) options = { 0 };
  g_auto(GStrv) class_names = NULL;

  if (self->resume_dir == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Choose the folder of a stopped run to resume."));
      return FALSE;
    }
  if (!read_run_options (self->resume_dir, &options, error) ||
      !check_memory (&options.model, options.batch, options.tile, error))
    return FALSE;

  clear_run_view (self);
  class_names = read_class_names (self->resume_dir);
  refill_from_log (self, self->resume_dir, class_names);

  begin_run (self);
  if (!studio_worker_train_resume_run (self->worker, self->resume_dir, error))
    {
      abandon_run (self);
      return FALSE;
    }
  add_recent_dataset (self, options.dataset);
  return TRUE;
}

static gboolean
start_run (StudioDashboard  *self,
           GError          **error)
{
  g_auto(UnetTrainOptions) options = { 0 };
  UnetConfig config;

  if (self->worker == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           _("Training is not available: the worker is not running."));
      return FALSE;
    }
  if (self->state != STUDIO_TRAIN_STATE_IDLE)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("A training run is already in progress."));
      return FALSE;
    }
  if (get_start_from (self) == START_FROM_RUN)
    return resume_run (self, error);

  read_form (self, &options);
  if (options.dataset == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Choose a dataset folder before starting a run."));
      return FALSE;
    }
  if (get_start_from (self) == START_FROM_FILE)
    {
      if (options.init_from == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Choose the model or checkpoint file to start from."));
          return FALSE;
        }
      if (!read_model_config (options.init_from, &config, error))
        return FALSE;
    }
  else
    config = options.model;
  if (!unet_config_validate (&config, error) ||
      !check_memory (&config, options.batch, options.tile, error))
    return FALSE;

  if (options.output_dir == NULL)
    options.output_dir = new_run_dir ();
  else
    {
      g_autofree char *checkpoint = g_build_filename (options.output_dir, "last.safetensors", NULL);

      if (g_file_test (checkpoint, G_FILE_TEST_EXISTS))
        {
          g_autofree char *folder = studio_display_path (options.output_dir);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("%s already holds a run. Resume it with “Start from: a stopped run”, "
                         "or choose another output folder."), folder);
          return FALSE;
        }
    }

  clear_run_view (self);
  begin_run (self);
  if (!studio_worker_train_start (self->worker, &options, error))
    {
      abandon_run (self);
      return FALSE;
    }
  add_recent_dataset (self, options.dataset);
  return TRUE;
}

/* --- public API ---------------------------------------------------------------------------- */

gboolean
studio_dashboard_start (StudioDashboard  *self,
                        GError          **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (STUDIO_IS_DASHBOARD (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!start_run (self, &local_error))
    {
      show_error (self, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  show_error (self, NULL);
  update_state (self);
  return TRUE;
}

void
studio_dashboard_toggle_pause (StudioDashboard *self)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));

  if (self->state == STUDIO_TRAIN_STATE_RUNNING)
    studio_worker_train_pause (self->worker);
  else if (self->state == STUDIO_TRAIN_STATE_PAUSED)
    studio_worker_train_continue (self->worker);
}

void
studio_dashboard_stop (StudioDashboard *self)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));

  if (!self->run_active || self->stop_requested)
    return;
  self->stop_requested = TRUE;
  studio_worker_train_stop (self->worker);
  update_state (self);
}

StudioTrainState
studio_dashboard_get_state (StudioDashboard *self)
{
  g_return_val_if_fail (STUDIO_IS_DASHBOARD (self), STUDIO_TRAIN_STATE_IDLE);

  return self->state;
}

void
studio_dashboard_set_worker (StudioDashboard *self,
                             StudioWorker    *worker)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));
  g_return_if_fail (worker == NULL || STUDIO_IS_WORKER (worker));

  if (self->worker == worker)
    return;
  if (self->worker != NULL)
    g_signal_handlers_disconnect_by_data (self->worker, self);
  g_set_object (&self->worker, worker);
  self->run_active = FALSE;
  self->stop_requested = FALSE;
  if (worker != NULL)
    {
      g_signal_connect_object (worker, "train-event", G_CALLBACK (on_train_event), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (worker, "train-ended", G_CALLBACK (on_train_ended), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (worker, "notify::train-state",
                               G_CALLBACK (on_worker_train_state), self, G_CONNECT_SWAPPED);
    }
  update_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKER]);
}

void
studio_dashboard_set_settings (StudioDashboard *self,
                               GSettings       *settings)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (self->settings == settings)
    return;
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_set_object (&self->settings, settings);
  if (settings != NULL)
    {
      g_auto(GStrv) recent = g_settings_get_strv (settings, "recent-datasets");

      g_signal_connect_object (settings, "changed::recent-datasets",
                               G_CALLBACK (update_recent_menu), self, G_CONNECT_SWAPPED);
      /* the last dataset trained on is the likeliest next one */
      if (self->dataset == NULL && recent[0] != NULL &&
          g_file_test (recent[0], G_FILE_TEST_IS_DIR))
        set_dataset (self, recent[0]);
    }
  update_recent_menu (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTINGS]);
}

void
studio_dashboard_set_options (StudioDashboard        *self,
                              const UnetTrainOptions *options)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));
  g_return_if_fail (options != NULL);

  apply_options (self, options);
  adw_combo_row_set_selected (self->start_from_row,
                              options->init_from != NULL ? START_FROM_FILE : START_FROM_SCRATCH);
}

void
studio_dashboard_get_options (StudioDashboard  *self,
                              UnetTrainOptions *options)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));
  g_return_if_fail (options != NULL);

  read_form (self, options);
}

void
studio_dashboard_set_resume_dir (StudioDashboard *self,
                                 const char      *run_dir)
{
  g_auto(UnetTrainOptions) options = { 0 };
  g_autoptr(GError) error = NULL;

  g_return_if_fail (STUDIO_IS_DASHBOARD (self));

  set_string (&self->resume_dir, run_dir);
  if (run_dir != NULL)
    {
      if (read_run_options (run_dir, &options, &error))
        {
          /* the form shows the run's settings; a new run from them gets a folder of its own */
          g_clear_pointer (&options.output_dir, g_free);
          apply_options (self, &options);
        }
      else
        show_error (self, error->message);
    }
  adw_combo_row_set_selected (self->start_from_row,
                              run_dir != NULL ? START_FROM_RUN : START_FROM_SCRATCH);
  update_file_rows (self);
}

StudioPlot *
studio_dashboard_get_plot (StudioDashboard     *self,
                           StudioDashboardPlot  plot)
{
  g_return_val_if_fail (STUDIO_IS_DASHBOARD (self), NULL);

  switch (plot)
    {
    case STUDIO_DASHBOARD_PLOT_LOSS:
      return self->loss_plot;
    case STUDIO_DASHBOARD_PLOT_MIOU:
      return self->miou_plot;
    case STUDIO_DASHBOARD_PLOT_CLASS_IOU:
      return self->class_plot;
    default:
      g_return_val_if_reached (NULL);
    }
}

GdkPaintable *
studio_dashboard_get_preview (StudioDashboard *self)
{
  g_return_val_if_fail (STUDIO_IS_DASHBOARD (self), NULL);

  return gtk_picture_get_paintable (self->preview_picture);
}

const char *
studio_dashboard_get_error_message (StudioDashboard *self)
{
  g_return_val_if_fail (STUDIO_IS_DASHBOARD (self), NULL);

  return self->error_message;
}

/* --- GObject ------------------------------------------------------------------------------- */

static void
studio_dashboard_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  StudioDashboard *self = STUDIO_DASHBOARD (object);

  switch (prop_id)
    {
    case PROP_WORKER:
      g_value_set_object (value, self->worker);
      break;
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_dashboard_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  StudioDashboard *self = STUDIO_DASHBOARD (object);

  switch (prop_id)
    {
    case PROP_WORKER:
      studio_dashboard_set_worker (self, g_value_get_object (value));
      break;
    case PROP_SETTINGS:
      studio_dashboard_set_settings (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_dashboard_dispose (GObject *object)
{
  StudioDashboard *self = STUDIO_DASHBOARD (object);
  GtkWidget *child;

  if (self->dataset_cancellable != NULL)
    g_cancellable_cancel (self->dataset_cancellable);
  g_clear_object (&self->dataset_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_handle_id (&self->estimate_source, g_source_remove);
  if (self->worker != NULL)
    g_signal_handlers_disconnect_by_data (self->worker, self);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->worker);
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), STUDIO_TYPE_DASHBOARD);
  /* the panes are the template's own children, not bound ones */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (studio_dashboard_parent_class)->dispose (object);
}

static void
studio_dashboard_finalize (GObject *object)
{
  StudioDashboard *self = STUDIO_DASHBOARD (object);

  unet_train_options_clear (&self->base);
  g_free (self->dataset);
  g_free (self->train_split);
  g_free (self->val_split);
  g_free (self->output_dir);
  g_free (self->init_from);
  g_free (self->resume_dir);
  g_strfreev (self->splits);
  g_strfreev (self->class_names);
  g_free (self->palette);
  g_free (self->error_message);

  G_OBJECT_CLASS (studio_dashboard_parent_class)->finalize (object);
}

/* A spin button whose 0 reads as a word ("Automatic", "None"). */
static gboolean
show_zero_as (GtkSpinButton *spin,
              const char    *word)
{
  int value = gtk_spin_button_get_value_as_int (spin);
  g_autofree char *text = value == 0 ? g_strdup (word) : g_strdup_printf ("%d", value);

  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (spin)), text) != 0)
    gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

static int
read_zero_as (GtkSpinButton *spin,
              const char    *word,
              double        *value)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (spin));
  char *end = NULL;
  gint64 number;

  if (g_utf8_collate (text, word) == 0)
    {
      *value = 0;
      return TRUE;
    }
  number = g_ascii_strtoll (text, &end, 10);
  if (end == text || *end != '\0')
    return GTK_INPUT_ERROR;
  *value = (double) number;
  return TRUE;
}

/* The validation interval's 0 is UNET_VAL_EVERY_AUTO. */
static gboolean
on_val_every_output (GtkSpinButton *spin)
{
  G_STATIC_ASSERT (UNET_VAL_EVERY_AUTO == 0);
  return show_zero_as (spin, _("Automatic"));
}

static int
on_val_every_input (GtkSpinButton *spin,
                    double        *value)
{
  return read_zero_as (spin, _("Automatic"), value);
}

static gboolean
on_time_limit_output (GtkSpinButton *spin)
{
  /* Translators: no time limit */
  return show_zero_as (spin, C_("time limit", "None"));
}

static int
on_time_limit_input (GtkSpinButton *spin,
                     double        *value)
{
  return read_zero_as (spin, C_("time limit", "None"), value);
}

static void
studio_dashboard_class_init (StudioDashboardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = studio_dashboard_get_property;
  object_class->set_property = studio_dashboard_set_property;
  object_class->dispose = studio_dashboard_dispose;
  object_class->finalize = studio_dashboard_finalize;

  properties[PROP_WORKER] =
    g_param_spec_object ("worker", NULL, NULL, STUDIO_TYPE_WORKER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, STUDIO_TYPE_TRAIN_STATE, STUDIO_TRAIN_STATE_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[RUN_ENDED] =
    g_signal_new ("run-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  g_type_ensure (STUDIO_TYPE_PLOT);
  g_type_ensure (STUDIO_TYPE_DATASET_SUMMARY);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/unetstudio/UnetStudio/studio-dashboard.ui");
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, error_label);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, form_box);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, data_group);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, dataset_row);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, recent_button);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, train_split_row);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, train_split_model);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, val_split_row);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, val_split_model);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, val_every_spin);
  gtk_widget_class_bind_template_callback (widget_class, on_val_every_output);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, time_limit_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, classes_group);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, dataset_summary);
  gtk_widget_class_bind_template_callback (widget_class, on_time_limit_output);
  gtk_widget_class_bind_template_callback (widget_class, on_time_limit_input);
  gtk_widget_class_bind_template_callback (widget_class, on_val_every_input);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, skip_bad_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, start_from_row);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, init_row);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, resume_row);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, output_row);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, output_reset_button);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, model_group);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, depth_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, base_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, padding_row);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, norm_row);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, dropout_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, training_group);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, tile_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, lr_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, schedule_row);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, momentum_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, weight_decay_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, loss_group);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, weighted_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, augment_row);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, elastic_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, rotation_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, flip_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, colour_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, scale_min_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, scale_max_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, pause_content);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, pause_button);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, stopping_box);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, stopping_spinner);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, status_label);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, content_stack);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, loss_plot);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, miou_plot);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, class_plot);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, preview_picture);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, preview_label);
  gtk_widget_class_bind_template_callback (widget_class, on_form_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_split_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_epochs_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_start_from_selected);

  gtk_widget_class_install_action (widget_class, "dashboard.choose-dataset", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "dashboard.choose-output", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "dashboard.choose-init", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "dashboard.choose-run", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "dashboard.use-dataset", "s", use_dataset_action);
  gtk_widget_class_install_action (widget_class, "dashboard.reset-output", NULL,
                                   reset_output_action);
  gtk_widget_class_install_action (widget_class, "dashboard.dismiss-error", NULL,
                                   dismiss_error_action);
}

static void
studio_dashboard_init (StudioDashboard *self)
{
  GdkRGBA loss_color, miou_color;
  g_auto(UnetTrainOptions) defaults = { 0 };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->state = STUDIO_TRAIN_STATE_IDLE;
  self->best_miou = -1.0;

  /* GNOME palette: blue 3 and green 5 */
  gdk_rgba_parse (&loss_color, "#3584e4");
  gdk_rgba_parse (&miou_color, "#26a269");
  studio_plot_add_series (self->loss_plot, _("Loss"), &loss_color, LOSS_SMOOTHING);
  studio_plot_add_series (self->miou_plot, _("mIoU"), &miou_color, 0.0);
  studio_plot_set_y_range (self->miou_plot, 0.0, 100.0);
  studio_plot_set_y_range (self->class_plot, 0.0, 100.0);

  init_default_options (&defaults);
  apply_options (self, &defaults);
  update_controls (self);
  update_recent_menu (self);
  gtk_stack_set_visible_child_name (self->content_stack, "empty");
}
