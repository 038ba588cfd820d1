/* studio-train-form-files.c: where the form's paths come from
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "voc/voc.h"

#include "studio-train-form-private.h"
#include "studio-util.h"


static GtkWindow *
get_window (StudioTrainForm *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
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

/* The task holds the form through a weak reference, so closing the window does not wait
 * for a slow disk. */
static void
dataset_info_done (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(StudioTrainForm) self = g_weak_ref_get (weak);
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
      studio_train_form_show_error (self, error->message);
      return;
    }
  g_clear_pointer (&self->splits, g_strfreev);
  g_clear_pointer (&self->class_names, g_strfreev);
  g_clear_pointer (&self->palette, g_free);
  self->splits = g_steal_pointer (&info->splits);
  self->class_names = g_steal_pointer (&info->class_names);
  self->palette = g_steal_pointer (&info->palette);
  dataset_info_free (info);
  studio_train_form_notify_classes (self);
  /* the splits of a running run are what it was started with; only idle forms follow */
  if (self->editable)
    studio_train_form_update_split_rows (self);
}

void
studio_train_form_load_dataset_info (StudioTrainForm *self)
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
  g_task_set_source_tag (task, studio_train_form_load_dataset_info);
  g_task_set_task_data (task, g_strdup (self->dataset), g_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, dataset_info_thread);
}

/* --- recent datasets ----------------------------------------------------------------------- */

/* The list is the app's one StudioRecentDatasets: the viewer adds to it too. */

void
studio_train_form_update_recent_menu (StudioTrainForm *self)
{
  g_autoptr(GMenuModel) menu = NULL;
  guint n = 0;

  if (self->recent_datasets != NULL)
    {
      menu = studio_recent_datasets_create_menu (self->recent_datasets, "train-form.use-dataset");
      n = g_list_model_get_n_items (G_LIST_MODEL (self->recent_datasets));
    }
  gtk_menu_button_set_menu_model (self->recent_button, menu);
  gtk_widget_set_sensitive (GTK_WIDGET (self->recent_button), n > 0);
}

void
studio_train_form_add_recent_dataset (StudioTrainForm *self,
                                      const char      *dataset)
{
  g_return_if_fail (STUDIO_IS_TRAIN_FORM (self));

  if (self->recent_datasets != NULL && dataset != NULL)
    studio_recent_datasets_add (self->recent_datasets, dataset);
}

static void
use_dataset_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  StudioTrainForm *self = STUDIO_TRAIN_FORM (widget);

  studio_train_form_show_error (self, NULL);
  studio_train_form_set_dataset (self, g_variant_get_string (parameter, NULL));
}

/* --- file choosers (GTK 4.8 has no GtkFileDialog) ------------------------------------------ */

static void
on_chooser_response (StudioTrainForm *self,
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
    studio_train_form_show_error (self,
                                  _("Only local folders and files can be used for training."));

  if (path != NULL)
    {
      studio_train_form_show_error (self, NULL);
      switch (self->chooser_kind)
        {
        case CHOOSE_DATASET:
          studio_train_form_set_dataset (self, path);
          break;
        case CHOOSE_OUTPUT:
          studio_train_form_set_string (&self->output_dir, path);
          break;
        case CHOOSE_INIT:
          studio_train_form_set_string (&self->init_from, path);
          studio_train_form_queue_estimate (self);
          break;
        case CHOOSE_RUN:
          studio_train_form_set_resume_dir (self, path);
          break;
        default:
          g_assert_not_reached ();
        }
      studio_train_form_update_file_rows (self);
    }
  gtk_native_dialog_destroy (chooser);
  g_clear_object (&self->chooser);
}

static void
run_chooser (StudioTrainForm *self,
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
  StudioTrainForm *self = STUDIO_TRAIN_FORM (widget);

  if (g_str_equal (action_name, "train-form.choose-dataset"))
    run_chooser (self, CHOOSE_DATASET, self->dataset);
  else if (g_str_equal (action_name, "train-form.choose-output"))
    run_chooser (self, CHOOSE_OUTPUT, self->output_dir);
  else if (g_str_equal (action_name, "train-form.choose-init"))
    run_chooser (self, CHOOSE_INIT, self->init_from);
  else if (g_str_equal (action_name, "train-form.choose-run"))
    run_chooser (self, CHOOSE_RUN, self->resume_dir);
}

static void
reset_output_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  StudioTrainForm *self = STUDIO_TRAIN_FORM (widget);

  g_clear_pointer (&self->output_dir, g_free);
  studio_train_form_update_file_rows (self);
}

/* --- the actions of the file rows --------------------------------------------------------- */

void
studio_train_form_install_file_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "train-form.choose-dataset", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "train-form.choose-output", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "train-form.choose-init", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "train-form.choose-run", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "train-form.use-dataset", "s",
                                   use_dataset_action);
  gtk_widget_class_install_action (widget_class, "train-form.reset-output", NULL,
                                   reset_output_action);
}
