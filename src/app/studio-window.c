/* studio-window.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "studio-dashboard.h"
#include "studio-viewer.h"
#include "studio-window.h"

struct _StudioWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;
  StudioWorker         *worker;
  /* Set when the user asked to close during a run: the window closes once the run is saved. */
  gboolean              close_after_run;

  AdwToastOverlay      *toast_overlay;
  AdwViewStack         *stack;
  AdwViewSwitcherTitle *switcher_title;
  GtkSpinner           *spinner;
  StudioViewer         *viewer;
  StudioDashboard      *dashboard;
};

G_DEFINE_FINAL_TYPE (StudioWindow, studio_window, ADW_TYPE_APPLICATION_WINDOW)

static void studio_window_connect (StudioWindow      *self,
                                   StudioApplication *application);

StudioWindow *
studio_window_new (StudioApplication *application)
{
  StudioWindow *self;

  g_return_val_if_fail (STUDIO_IS_APPLICATION (application), NULL);

  self = g_object_new (STUDIO_TYPE_WINDOW, "application", application, NULL);
  studio_window_connect (self, application);
  return self;
}

void
studio_window_open_files (StudioWindow  *self,
                          GFile        **files,
                          int            n_files)
{
  g_return_if_fail (STUDIO_IS_WINDOW (self));

  adw_view_stack_set_visible_child_name (self->stack, "viewer");
  studio_viewer_open_files (self->viewer, files, n_files);
}

void
studio_window_add_toast (StudioWindow *self,
                         AdwToast     *toast)
{
  g_return_if_fail (STUDIO_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
show_error_toast (StudioWindow *self,
                  const char   *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
update_actions (StudioWindow *self)
{
  GActionMap *map = G_ACTION_MAP (self);
  gboolean has_segmentation = studio_viewer_get_segmentation (self->viewer) != NULL;
  gboolean several = studio_viewer_get_n_images (self->viewer) > 1;
  StudioTrainState state = studio_dashboard_get_state (self->dashboard);
  static const char *export_actions[] = {
    "export-mask", "export-overlay", "export-class-masks", "export-legend",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (export_actions); i++)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (map, export_actions[i])),
                                 has_segmentation);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (map, "export-folder")),
                               studio_viewer_get_n_images (self->viewer) > 0 &&
                               studio_worker_get_model_info (self->worker) != NULL);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (map, "next")), several);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (map, "previous")), several);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (map, "train-start")),
                               state == STUDIO_TRAIN_STATE_IDLE);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (map, "train-pause")),
                               state == STUDIO_TRAIN_STATE_RUNNING ||
                               state == STUDIO_TRAIN_STATE_PAUSED);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (map, "train-stop")),
                               state == STUDIO_TRAIN_STATE_RUNNING ||
                               state == STUDIO_TRAIN_STATE_PAUSED ||
                               state == STUDIO_TRAIN_STATE_STARTING);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (map, "model-info")),
                               studio_worker_get_model_info (self->worker) != NULL);
}

static void
update_titles (StudioWindow *self)
{
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;

  g_object_get (self->viewer, "title", &title, "subtitle", &subtitle, NULL);
  if (title == NULL || title[0] == '\0')
    {
      gtk_window_set_title (GTK_WINDOW (self), _("U-Net Studio"));
      adw_view_switcher_title_set_subtitle (self->switcher_title, NULL);
    }
  else
    {
      gtk_window_set_title (GTK_WINDOW (self), title);
      adw_view_switcher_title_set_subtitle (self->switcher_title, title);
    }
}

static void
on_viewer_notify (StudioWindow *self)
{
  update_titles (self);
  update_actions (self);
}

static void
on_worker_busy (StudioWindow *self)
{
  gboolean busy = studio_worker_get_busy (self->worker);

  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
}

static void
on_model_loaded (StudioWindow    *self,
                 StudioModelInfo *info,
                 StudioWorker    *worker)
{
  g_autofree char *message = g_strdup_printf (_("Model “%s” loaded"), studio_model_info_get_name (info));

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
  update_actions (self);
}

static void
on_worker_error (StudioWindow *self,
                 GError       *error,
                 StudioWorker *worker)
{
  g_debug ("%s", error->message);
  show_error_toast (self, error->message);
}

static void
on_segment_failed (StudioWindow *self,
                   const char   *path,
                   GError       *error,
                   StudioWorker *worker)
{
  show_error_toast (self, error->message);
}

static void
on_run_ended (StudioWindow    *self,
              const char      *model_path,
              const char      *message,
              StudioDashboard *dashboard)
{
  AdwToast *toast = adw_toast_new (message);

  if (model_path != NULL)
    {
      adw_toast_set_button_label (toast, _("Open in _Viewer"));
      adw_toast_set_action_name (toast, "win.load-model");
      adw_toast_set_action_target_value (toast, g_variant_new_string (model_path));
      adw_toast_set_timeout (toast, 0);
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  update_actions (self);

  if (self->close_after_run)
    gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_train_state_changed (StudioWindow *self)
{
  update_actions (self);
}

/* File choosers: GTK 4.8 has no GtkFileDialog yet. */

typedef void (*ChooserDone) (StudioWindow *self,
                             GFile        *file,
                             GListModel   *files);

typedef struct
{
  StudioWindow *self;
  ChooserDone   done;
} ChooserData;

static void
on_chooser_response (GtkNativeDialog *dialog,
                     int              response,
                     ChooserData     *data)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      data->done (data->self, file, files);
    }
  g_object_unref (data->self);
  g_free (data);
  g_object_unref (dialog);
}

static void
run_chooser (StudioWindow         *self,
             const char           *title,
             GtkFileChooserAction  action,
             GtkFileFilter        *filter,
             gboolean              multiple,
             ChooserDone           done)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self), action,
                                                               NULL, NULL);
  ChooserData *data = g_new0 (ChooserData, 1);

  data->self = g_object_ref (self);
  data->done = done;
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), multiple);
  if (filter != NULL)
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", G_CALLBACK (on_chooser_response), data);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
open_images_done (StudioWindow *self,
                  GFile        *file,
                  GListModel   *files)
{
  guint n = g_list_model_get_n_items (files);
  g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (array, g_list_model_get_item (files, i));
  studio_window_open_files (self, (GFile **) array->pdata, array->len);
}

static void
studio_window_open_action (GSimpleAction *action,
                           GVariant      *parameter,
                           gpointer       user_data)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Images"));
  gtk_file_filter_add_pixbuf_formats (filter);
  run_chooser (STUDIO_WINDOW (user_data), _("Open Images"), GTK_FILE_CHOOSER_ACTION_OPEN, filter,
               TRUE, open_images_done);
}

static void
open_folder_done (StudioWindow *self,
                  GFile        *file,
                  GListModel   *files)
{
  g_autoptr(GError) error = NULL;

  adw_view_stack_set_visible_child_name (self->stack, "viewer");
  if (!studio_viewer_open_folder (self->viewer, file, &error))
    show_error_toast (self, error->message);
}

static void
studio_window_open_folder_action (GSimpleAction *action,
                                  GVariant      *parameter,
                                  gpointer       user_data)
{
  run_chooser (STUDIO_WINDOW (user_data), _("Open Folder"), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
               NULL, FALSE, open_folder_done);
}

void
studio_window_open_dataset (StudioWindow *self,
                            const char   *root,
                            const char   *split)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (STUDIO_IS_WINDOW (self));
  g_return_if_fail (root != NULL);

  adw_view_stack_set_visible_child_name (self->stack, "viewer");
  if (!studio_viewer_open_dataset (self->viewer, root, split, &error))
    show_error_toast (self, error->message);
}

static void
open_dataset_done (StudioWindow *self,
                   GFile        *file,
                   GListModel   *files)
{
  g_autofree char *path = g_file_get_path (file);

  if (path == NULL)
    show_error_toast (self, _("Only local folders can be opened"));
  else
    studio_window_open_dataset (self, path, NULL);
}

static void
studio_window_open_dataset_action (GSimpleAction *action,
                                   GVariant      *parameter,
                                   gpointer       user_data)
{
  run_chooser (STUDIO_WINDOW (user_data), _("Open Dataset"), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
               NULL, FALSE, open_dataset_done);
}

static void
open_model_done (StudioWindow *self,
                 GFile        *file,
                 GListModel   *files)
{
  g_autofree char *path = g_file_get_path (file);

  if (path != NULL)
    studio_worker_load_model (self->worker, path);
}

static void
studio_window_open_model_action (GSimpleAction *action,
                                 GVariant      *parameter,
                                 gpointer       user_data)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("U-Net models (.safetensors)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  run_chooser (STUDIO_WINDOW (user_data), _("Open Model"), GTK_FILE_CHOOSER_ACTION_OPEN, filter,
               FALSE, open_model_done);
}

static void
studio_window_load_model_action (GSimpleAction *action,
                                 GVariant      *parameter,
                                 gpointer       user_data)
{
  StudioWindow *self = STUDIO_WINDOW (user_data);

  studio_worker_load_model (self->worker, g_variant_get_string (parameter, NULL));
  adw_view_stack_set_visible_child_name (self->stack, "viewer");
}

static void
studio_window_model_info_action (GSimpleAction *action,
                                 GVariant      *parameter,
                                 gpointer       user_data)
{
  StudioWindow *self = STUDIO_WINDOW (user_data);
  StudioModelInfo *info = studio_worker_get_model_info (self->worker);
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (info == NULL)
    return;
  body = studio_model_info_describe (info);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), studio_model_info_get_name (info), body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
studio_window_export_action (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  const char *action_name = g_action_get_name (G_ACTION (action));
  StudioWindow *self = STUDIO_WINDOW (user_data);
  StudioExportKind kind;

  if (g_str_equal (action_name, "export-mask"))
    kind = STUDIO_EXPORT_KIND_MASK;
  else if (g_str_equal (action_name, "export-overlay"))
    kind = STUDIO_EXPORT_KIND_OVERLAY;
  else if (g_str_equal (action_name, "export-class-masks"))
    kind = STUDIO_EXPORT_KIND_CLASS_MASKS;
  else if (g_str_equal (action_name, "export-legend"))
    kind = STUDIO_EXPORT_KIND_LEGEND;
  else
    kind = STUDIO_EXPORT_KIND_ALL_IMAGES;
  studio_viewer_export (self->viewer, kind);
}

static void
studio_window_navigate_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  const char *action_name = g_action_get_name (G_ACTION (action));
  StudioWindow *self = STUDIO_WINDOW (user_data);

  if (g_str_equal (action_name, "next"))
    studio_viewer_next (self->viewer);
  else if (g_str_equal (action_name, "previous"))
    studio_viewer_previous (self->viewer);
  else if (g_str_equal (action_name, "zoom-in"))
    studio_viewer_zoom_in (self->viewer);
  else if (g_str_equal (action_name, "zoom-out"))
    studio_viewer_zoom_out (self->viewer);
  else if (g_str_equal (action_name, "zoom-fit"))
    studio_viewer_zoom_fit (self->viewer);
  else if (g_str_equal (action_name, "zoom-original"))
    studio_viewer_zoom_original (self->viewer);
}

static void
studio_window_show_page_action (GSimpleAction *action,
                                GVariant      *parameter,
                                gpointer       user_data)
{
  StudioWindow *self = STUDIO_WINDOW (user_data);

  adw_view_stack_set_visible_child_name (self->stack, g_variant_get_string (parameter, NULL));
}

static void
studio_window_train_action (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  const char *action_name = g_action_get_name (G_ACTION (action));
  StudioWindow *self = STUDIO_WINDOW (user_data);
  g_autoptr(GError) error = NULL;

  adw_view_stack_set_visible_child_name (self->stack, "training");
  if (g_str_equal (action_name, "train-start"))
    {
      if (!studio_dashboard_start (self->dashboard, &error))
        show_error_toast (self, error->message);
    }
  else if (g_str_equal (action_name, "train-pause"))
    studio_dashboard_toggle_pause (self->dashboard);
  else
    studio_dashboard_stop (self->dashboard);
}

static gboolean
run_is_active (StudioWindow *self)
{
  StudioTrainState state = studio_dashboard_get_state (self->dashboard);

  return state != STUDIO_TRAIN_STATE_IDLE;
}

static void
on_close_response (StudioWindow    *self,
                   const char      *response,
                   AdwMessageDialog *dialog)
{
  if (!g_str_equal (response, "stop"))
    return;
  self->close_after_run = TRUE;
  studio_dashboard_stop (self->dashboard);
  if (!run_is_active (self))
    gtk_window_destroy (GTK_WINDOW (self));
}

static gboolean
studio_window_close_request (GtkWindow *window)
{
  StudioWindow *self = STUDIO_WINDOW (window);
  GtkWidget *dialog;

  if (!run_is_active (self))
    {
      if (self->settings != NULL)
        {
          int width, height;

          gtk_window_get_default_size (window, &width, &height);
          g_settings_set (self->settings, "window-size", "(ii)", width, height);
          g_settings_set_boolean (self->settings, "window-maximized",
                                  gtk_window_is_maximized (window));
        }
      return GTK_WINDOW_CLASS (studio_window_parent_class)->close_request (window);
    }
  if (self->close_after_run)
    return TRUE;  /* already stopping; the window closes once the checkpoint is saved */

  dialog = adw_message_dialog_new (window, _("Stop Training?"),
                                   _("The run is saved as a checkpoint before the window closes, "
                                     "and can be resumed later from the Training page."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Keep Training"),
                                    "stop", _("_Stop and Close"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "stop",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_close_response), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         StudioWindow  *self)
{
  GSList *list = g_value_get_boxed (value);
  g_autoptr(GPtrArray) files = g_ptr_array_new ();

  for (GSList *l = list; l != NULL; l = l->next)
    g_ptr_array_add (files, l->data);
  if (files->len == 0)
    return FALSE;
  if (files->len == 1 &&
      g_file_query_file_type (files->pdata[0], G_FILE_QUERY_INFO_NONE, NULL) == G_FILE_TYPE_DIRECTORY)
    {
      open_folder_done (self, files->pdata[0], NULL);
      return TRUE;
    }
  studio_window_open_files (self, (GFile **) files->pdata, files->len);
  return TRUE;
}

/* The application's worker and settings, shared by its windows. */
static void
studio_window_connect (StudioWindow      *self,
                       StudioApplication *application)
{
  self->settings = g_object_ref (studio_application_get_settings (application));
  self->worker = g_object_ref (studio_application_get_worker (application));

  {
    int width = 0, height = 0;

    g_settings_get (self->settings, "window-size", "(ii)", &width, &height);
    if (width > 0 && height > 0)
      gtk_window_set_default_size (GTK_WINDOW (self), width, height);
    if (g_settings_get_boolean (self->settings, "window-maximized"))
      gtk_window_maximize (GTK_WINDOW (self));
  }

  studio_viewer_set_settings (self->viewer, self->settings);
  studio_viewer_set_worker (self->viewer, self->worker);
  studio_dashboard_set_settings (self->dashboard, self->settings);
  studio_dashboard_set_worker (self->dashboard, self->worker);

  g_signal_connect_object (self->worker, "model-loaded", G_CALLBACK (on_model_loaded), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->worker, "error", G_CALLBACK (on_worker_error), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->worker, "segment-failed", G_CALLBACK (on_segment_failed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->worker, "notify::busy", G_CALLBACK (on_worker_busy), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->worker, "notify::train-state",
                           G_CALLBACK (on_train_state_changed), self, G_CONNECT_SWAPPED);
  on_worker_busy (self);
  update_actions (self);
}

static void
studio_window_dispose (GObject *object)
{
  StudioWindow *self = STUDIO_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), STUDIO_TYPE_WINDOW);
  g_clear_object (&self->worker);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (studio_window_parent_class)->dispose (object);
}

static void
studio_window_class_init (StudioWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = studio_window_dispose;
  window_class->close_request = studio_window_close_request;

  g_type_ensure (STUDIO_TYPE_VIEWER);
  g_type_ensure (STUDIO_TYPE_DASHBOARD);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/unetstudio/UnetStudio/studio-window.ui");
  gtk_widget_class_bind_template_child (widget_class, StudioWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, StudioWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, StudioWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, StudioWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, StudioWindow, viewer);
  gtk_widget_class_bind_template_child (widget_class, StudioWindow, dashboard);
  gtk_widget_class_bind_template_callback (widget_class, on_viewer_notify);
  gtk_widget_class_bind_template_callback (widget_class, on_run_ended);

}

static void
studio_window_view_mode_change (GSimpleAction *action,
                                GVariant      *value,
                                gpointer       user_data)
{
  StudioWindow *self = STUDIO_WINDOW (user_data);
  const char *mode = g_variant_get_string (value, NULL);
  static const char *modes[] = { "prediction", "truth", "errors", "confidence" };

  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    if (g_str_equal (mode, modes[i]))
      {
        studio_viewer_set_view_mode (self->viewer, (StudioViewMode) i);
        g_simple_action_set_state (action, value);
      }
}

static void
on_view_mode_notify (StudioWindow *self)
{
  static const char *modes[] = { "prediction", "truth", "errors", "confidence" };
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "view-mode");

  g_simple_action_set_state (G_SIMPLE_ACTION (action),
                             g_variant_new_string (modes[studio_viewer_get_view_mode (self->viewer)]));
}

static void
studio_window_close_action (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  gtk_window_close (GTK_WINDOW (user_data));
}

static const GActionEntry win_actions[] = {
  { "open", studio_window_open_action },
  { "open-folder", studio_window_open_folder_action },
  { "open-dataset", studio_window_open_dataset_action },
  { "open-model", studio_window_open_model_action },
  { "load-model", studio_window_load_model_action, "s" },
  { "model-info", studio_window_model_info_action },
  { "export-mask", studio_window_export_action },
  { "export-overlay", studio_window_export_action },
  { "export-class-masks", studio_window_export_action },
  { "export-legend", studio_window_export_action },
  { "export-folder", studio_window_export_action },
  { "next", studio_window_navigate_action },
  { "previous", studio_window_navigate_action },
  { "zoom-in", studio_window_navigate_action },
  { "zoom-out", studio_window_navigate_action },
  { "zoom-fit", studio_window_navigate_action },
  { "zoom-original", studio_window_navigate_action },
  { "view-mode", NULL, "s", "'prediction'", studio_window_view_mode_change },
  { "show-page", studio_window_show_page_action, "s" },
  { "train-start", studio_window_train_action },
  { "train-pause", studio_window_train_action },
  { "train-stop", studio_window_train_action },
  { "close", studio_window_close_action },
};

static void
studio_window_init (StudioWindow *self)
{
  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  gtk_widget_init_template (GTK_WIDGET (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions),
                                   self);
  g_signal_connect_object (self->viewer, "notify::view-mode", G_CALLBACK (on_view_mode_notify),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}
