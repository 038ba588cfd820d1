/* studio-train-form.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "voc/voc.h"

#include "studio-dataset-summary.h"
#include "studio-memory-estimate.h"
#include "studio-model-file.h"
#include "studio-train-form-private.h"
#include "studio-util.h"

#define DEFAULT_CHECKPOINT_EVERY 1000
#define ESTIMATE_DELAY_MS 250

G_DEFINE_FINAL_TYPE (StudioTrainForm, studio_train_form, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_EDITABLE,
  PROP_CLASS_NAMES,
  PROP_PALETTE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* --- small helpers ------------------------------------------------------------------------- */

void
studio_train_form_set_string (char       **field,
                              const char  *value)
{
  if (value != NULL && value[0] == '\0')
    value = NULL;
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
}

/* --- the inline error ---------------------------------------------------------------------- */

static void
show_error (StudioTrainForm *self,
            const char      *message)
{
  studio_train_form_set_string (&self->error_message, message);
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_revealer_set_reveal_child (self->error_revealer, message != NULL);
}

static void
dismiss_error_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  show_error (STUDIO_TRAIN_FORM (widget), NULL);
}

/* --- the form ------------------------------------------------------------------------------ */

static StudioStartFrom
get_start_from (StudioTrainForm *self)
{
  guint selected = adw_combo_row_get_selected (self->start_from_row);

  return selected <= STUDIO_START_FROM_RUN ? (StudioStartFrom) selected
                                           : STUDIO_START_FROM_SCRATCH;
}

void
studio_train_form_update_file_rows (StudioTrainForm *self)
{
  g_autofree char *dataset = self->dataset != NULL ? studio_display_path (self->dataset) : NULL;
  g_autofree char *init = self->init_from != NULL ? studio_display_path (self->init_from) : NULL;
  g_autofree char *resume = self->resume_dir != NULL ? studio_display_path (self->resume_dir) : NULL;
  StudioStartFrom start_from = get_start_from (self);

  adw_action_row_set_subtitle (self->dataset_row, dataset != NULL ? dataset : _("None chosen"));
  adw_action_row_set_subtitle (self->init_row, init != NULL ? init : _("None chosen"));
  adw_action_row_set_subtitle (self->resume_row, resume != NULL ? resume : _("None chosen"));
  if (start_from == STUDIO_START_FROM_RUN)
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
                          self->output_dir != NULL && start_from != STUDIO_START_FROM_RUN);
}

/* Groups that do not apply to the chosen start are insensitive: a file brings its architecture,
 * a stopped run all of its settings. */
static void
update_form_sensitivity (StudioTrainForm *self)
{
  StudioStartFrom start_from = get_start_from (self);
  gboolean own_settings = start_from != STUDIO_START_FROM_RUN;

  gtk_widget_set_sensitive (self->form_box, self->editable);
  gtk_widget_set_visible (GTK_WIDGET (self->init_row), start_from == STUDIO_START_FROM_FILE);
  gtk_widget_set_visible (GTK_WIDGET (self->resume_row), start_from == STUDIO_START_FROM_RUN);
  gtk_widget_set_sensitive (GTK_WIDGET (self->data_group), own_settings);
  gtk_widget_set_sensitive (GTK_WIDGET (self->model_group),
                            start_from == STUDIO_START_FROM_SCRATCH);
  gtk_widget_set_sensitive (GTK_WIDGET (self->training_group), own_settings);
  gtk_widget_set_sensitive (GTK_WIDGET (self->loss_group), own_settings);
  gtk_widget_set_sensitive (GTK_WIDGET (self->output_row), own_settings);
  adw_preferences_group_set_description (self->model_group,
                                         start_from == STUDIO_START_FROM_FILE
                                         ? _("The network comes from the weights file.")
                                         : NULL);
}

static void
update_memory_estimate (StudioTrainForm *self)
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

  if (get_start_from (self) == STUDIO_START_FROM_FILE && self->init_from != NULL &&
      !studio_model_file_read_config (self->init_from, &config, &error))
    {
      adw_preferences_group_set_description (self->training_group, error->message);
      return;
    }
  needed = studio_memory_estimate_run (&config, batch, tile);
  available = studio_memory_get_available ();
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
  StudioTrainForm *self = user_data;

  self->estimate_source = 0;
  update_memory_estimate (self);
  return G_SOURCE_REMOVE;
}

/* Called as the model and tile settings change; the estimate builds a model, so it waits for
 * the spinning to settle. */
void
studio_train_form_queue_estimate (StudioTrainForm *self)
{
  g_clear_handle_id (&self->estimate_source, g_source_remove);
  self->estimate_source = g_timeout_add (ESTIMATE_DELAY_MS, estimate_timeout, self);
}

/* A length in steps (from options given programmatically or a run's settings) yields to the
 * epochs the user sets. */
static void
on_epochs_changed (StudioTrainForm *self)
{
  if (!self->applying_options)
    self->base.steps = 0;
}

static void
on_start_from_selected (StudioTrainForm *self)
{
  studio_train_form_update_file_rows (self);
  update_form_sensitivity (self);
  studio_train_form_queue_estimate (self);
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
void
studio_train_form_update_split_rows (StudioTrainForm *self)
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
    studio_train_form_set_string (&self->train_split, names[train]);
  studio_train_form_set_string (&self->val_split, val >= 0 ? names[val] : NULL);
}

static void
on_split_selected (StudioTrainForm *self)
{
  guint train = adw_combo_row_get_selected (self->train_split_row);
  guint val = adw_combo_row_get_selected (self->val_split_row);

  if (self->updating_splits)
    return;
  if (train != GTK_INVALID_LIST_POSITION)
    studio_train_form_set_string (&self->train_split,
                gtk_string_list_get_string (self->train_split_model, train));
  if (val != GTK_INVALID_LIST_POSITION)
    studio_train_form_set_string (&self->val_split,
                val == 0 ? NULL : gtk_string_list_get_string (self->val_split_model, val));
}

void
studio_train_form_set_dataset (StudioTrainForm *self,
             const char      *dataset)
{
  if (dataset != NULL && dataset[0] == '\0')
    dataset = NULL;
  if (g_strcmp0 (self->dataset, dataset) == 0)
    return;
  studio_train_form_set_string (&self->dataset, dataset);
  g_clear_pointer (&self->splits, g_strfreev);
  g_clear_pointer (&self->class_names, g_strfreev);
  g_clear_pointer (&self->palette, g_free);
  studio_train_form_notify_classes (self);
  studio_train_form_update_file_rows (self);
  studio_train_form_update_split_rows (self);
  studio_train_form_load_dataset_info (self);
}

void
studio_train_form_notify_classes (StudioTrainForm *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLASS_NAMES]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PALETTE]);
}

/* --- options ⇄ form ------------------------------------------------------------------------ */

/* Sets the form (not "Start from") from options; NULL strings leave a field empty. */
static void
apply_options (StudioTrainForm        *self,
               const UnetTrainOptions *options)
{
  const VocAugmentOptions *a = &options->augment_options;

  self->applying_options = TRUE;
  unet_train_options_clear (&self->base);
  unet_train_options_copy (&self->base, options);

  studio_train_form_set_string (&self->train_split, options->train_split);
  studio_train_form_set_string (&self->val_split, options->val_split);
  studio_train_form_set_string (&self->output_dir, options->output_dir);
  studio_train_form_set_string (&self->init_from, options->init_from);
  studio_train_form_set_dataset (self, options->dataset);
  studio_train_form_update_split_rows (self);

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

  studio_train_form_update_file_rows (self);
  studio_train_form_queue_estimate (self);
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
read_form (StudioTrainForm  *self,
           UnetTrainOptions *options)
{
  VocAugmentOptions defaults;
  VocAugmentOptions *a = &options->augment_options;
  const VocAugmentOptions *given = &self->base.augment_options;
  gboolean colour = gtk_switch_get_active (self->colour_switch);

  voc_augment_options_init_default (&defaults);
  unet_train_options_copy (options, &self->base);
  studio_train_form_set_string (&options->dataset, self->dataset);
  studio_train_form_set_string (&options->train_split, self->train_split);
  studio_train_form_set_string (&options->val_split, self->val_split);
  studio_train_form_set_string (&options->output_dir, self->output_dir);
  studio_train_form_set_string (&options->init_from,
              get_start_from (self) == STUDIO_START_FROM_FILE ? self->init_from : NULL);
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

/* --- public API ---------------------------------------------------------------------------- */

GtkWidget *
studio_train_form_new (void)
{
  return g_object_new (STUDIO_TYPE_TRAIN_FORM, NULL);
}

void
studio_train_form_set_settings (StudioTrainForm *self,
                                GSettings       *settings)
{
  g_return_if_fail (STUDIO_IS_TRAIN_FORM (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (self->settings == settings)
    return;
  if (self->recent_datasets != NULL)
    g_signal_handlers_disconnect_by_data (self->recent_datasets, self);
  g_clear_object (&self->recent_datasets);
  g_set_object (&self->settings, settings);
  if (settings != NULL)
    {
      const char *latest;

      self->recent_datasets = studio_recent_datasets_new (settings);
      g_signal_connect_object (self->recent_datasets, "items-changed",
                               G_CALLBACK (studio_train_form_update_recent_menu), self,
                               G_CONNECT_SWAPPED);
      /* the last dataset trained on is the likeliest next one */
      latest = studio_recent_datasets_get_latest (self->recent_datasets);
      if (self->dataset == NULL && latest != NULL && g_file_test (latest, G_FILE_TEST_IS_DIR))
        studio_train_form_set_dataset (self, latest);
    }
  studio_train_form_update_recent_menu (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTINGS]);
}

void
studio_train_form_set_editable (StudioTrainForm *self,
                                gboolean         editable)
{
  g_return_if_fail (STUDIO_IS_TRAIN_FORM (self));

  editable = !!editable;
  if (self->editable == editable)
    return;
  self->editable = editable;
  update_form_sensitivity (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EDITABLE]);
}

void
studio_train_form_set_options (StudioTrainForm        *self,
                               const UnetTrainOptions *options)
{
  g_return_if_fail (STUDIO_IS_TRAIN_FORM (self));
  g_return_if_fail (options != NULL);

  apply_options (self, options);
  adw_combo_row_set_selected (self->start_from_row,
                              options->init_from != NULL ? STUDIO_START_FROM_FILE
                                                         : STUDIO_START_FROM_SCRATCH);
}

void
studio_train_form_get_options (StudioTrainForm  *self,
                               UnetTrainOptions *options)
{
  g_return_if_fail (STUDIO_IS_TRAIN_FORM (self));
  g_return_if_fail (options != NULL);

  read_form (self, options);
}

StudioStartFrom
studio_train_form_get_start_from (StudioTrainForm *self)
{
  g_return_val_if_fail (STUDIO_IS_TRAIN_FORM (self), STUDIO_START_FROM_SCRATCH);

  return get_start_from (self);
}

void
studio_train_form_set_resume_dir (StudioTrainForm *self,
                                  const char      *run_dir)
{
  g_auto(UnetTrainOptions) options = { 0 };
  g_autoptr(GError) error = NULL;

  g_return_if_fail (STUDIO_IS_TRAIN_FORM (self));

  studio_train_form_set_string (&self->resume_dir, run_dir);
  if (run_dir != NULL)
    {
      if (studio_model_file_read_run_options (run_dir, &options, &error))
        {
          /* the form shows the run's settings; a new run from them gets a folder of its own */
          g_clear_pointer (&options.output_dir, g_free);
          apply_options (self, &options);
        }
      else
        show_error (self, error->message);
    }
  adw_combo_row_set_selected (self->start_from_row,
                              run_dir != NULL ? STUDIO_START_FROM_RUN : STUDIO_START_FROM_SCRATCH);
  studio_train_form_update_file_rows (self);
}

const char *
studio_train_form_get_resume_dir (StudioTrainForm *self)
{
  g_return_val_if_fail (STUDIO_IS_TRAIN_FORM (self), NULL);

  return self->resume_dir;
}

void
studio_train_form_offer_resume_dir (StudioTrainForm *self,
                                    const char      *run_dir)
{
  g_return_if_fail (STUDIO_IS_TRAIN_FORM (self));

  studio_train_form_set_string (&self->resume_dir, run_dir);
  studio_train_form_update_file_rows (self);
}

const char *const *
studio_train_form_get_class_names (StudioTrainForm *self)
{
  g_return_val_if_fail (STUDIO_IS_TRAIN_FORM (self), NULL);

  return (const char *const *) self->class_names;
}

const guint8 *
studio_train_form_get_palette (StudioTrainForm *self)
{
  g_return_val_if_fail (STUDIO_IS_TRAIN_FORM (self), NULL);

  return self->palette;
}

void
studio_train_form_show_error (StudioTrainForm *self,
                              const char      *message)
{
  g_return_if_fail (STUDIO_IS_TRAIN_FORM (self));

  show_error (self, message);
}

const char *
studio_train_form_get_error_message (StudioTrainForm *self)
{
  g_return_val_if_fail (STUDIO_IS_TRAIN_FORM (self), NULL);

  return self->error_message;
}

/* --- GObject ------------------------------------------------------------------------------- */

static void
studio_train_form_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  StudioTrainForm *self = STUDIO_TRAIN_FORM (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_EDITABLE:
      g_value_set_boolean (value, self->editable);
      break;
    case PROP_CLASS_NAMES:
      g_value_set_boxed (value, self->class_names);
      break;
    case PROP_PALETTE:
      g_value_take_boxed (value, self->palette != NULL
                                 ? g_bytes_new (self->palette, 256 * 3) : NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_train_form_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  StudioTrainForm *self = STUDIO_TRAIN_FORM (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      studio_train_form_set_settings (self, g_value_get_object (value));
      break;
    case PROP_EDITABLE:
      studio_train_form_set_editable (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_train_form_dispose (GObject *object)
{
  StudioTrainForm *self = STUDIO_TRAIN_FORM (object);
  GtkWidget *child;

  if (self->dataset_cancellable != NULL)
    g_cancellable_cancel (self->dataset_cancellable);
  g_clear_object (&self->dataset_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_handle_id (&self->estimate_source, g_source_remove);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->recent_datasets);
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), STUDIO_TYPE_TRAIN_FORM);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (studio_train_form_parent_class)->dispose (object);
}

static void
studio_train_form_finalize (GObject *object)
{
  StudioTrainForm *self = STUDIO_TRAIN_FORM (object);

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

  G_OBJECT_CLASS (studio_train_form_parent_class)->finalize (object);
}

static void
studio_train_form_class_init (StudioTrainFormClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = studio_train_form_get_property;
  object_class->set_property = studio_train_form_set_property;
  object_class->dispose = studio_train_form_dispose;
  object_class->finalize = studio_train_form_finalize;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_EDITABLE] =
    g_param_spec_boolean ("editable", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLASS_NAMES] =
    g_param_spec_boxed ("class-names", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PALETTE] =
    g_param_spec_boxed ("palette", NULL, NULL, G_TYPE_BYTES,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (STUDIO_TYPE_DATASET_SUMMARY);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/unetstudio/UnetStudio/studio-train-form.ui");
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, error_label);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, form_box);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, data_group);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, dataset_row);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, recent_button);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, train_split_row);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, train_split_model);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, val_split_row);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, val_split_model);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, val_every_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, time_limit_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, classes_group);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, dataset_summary);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, skip_bad_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, start_from_row);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, init_row);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, resume_row);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, output_row);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, output_reset_button);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, model_group);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, depth_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, base_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, padding_row);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, norm_row);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, dropout_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, training_group);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, tile_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, lr_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, schedule_row);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, momentum_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, weight_decay_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, loss_group);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, weighted_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, augment_row);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, elastic_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, rotation_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, flip_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, colour_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, scale_min_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioTrainForm, scale_max_spin);
  gtk_widget_class_bind_template_callback_full (widget_class, "on_form_changed",
                                                G_CALLBACK (studio_train_form_queue_estimate));
  gtk_widget_class_bind_template_callback (widget_class, on_split_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_epochs_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_start_from_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_val_every_output);
  gtk_widget_class_bind_template_callback (widget_class, on_val_every_input);
  gtk_widget_class_bind_template_callback (widget_class, on_time_limit_output);
  gtk_widget_class_bind_template_callback (widget_class, on_time_limit_input);

  studio_train_form_install_file_actions (widget_class);
  gtk_widget_class_install_action (widget_class, "train-form.dismiss-error", NULL,
                                   dismiss_error_action);
}

static void
studio_train_form_init (StudioTrainForm *self)
{
  g_auto(UnetTrainOptions) defaults = { 0 };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->editable = TRUE;
  init_default_options (&defaults);
  apply_options (self, &defaults);
  update_form_sensitivity (self);
  studio_train_form_update_recent_menu (self);
}
