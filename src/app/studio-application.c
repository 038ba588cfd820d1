/* studio-application.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "studio-application.h"
#include "unet/unet-default-model.h"

#include "studio-preferences-window.h"
#include "studio-window.h"

struct _StudioApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  StudioWorker   *worker;

  /* from the command line */
  char           *model_path;
  char           *dataset_path;
  char           *dataset_split;
};

G_DEFINE_FINAL_TYPE (StudioApplication, studio_application, ADW_TYPE_APPLICATION)

StudioApplication *
studio_application_new (void)
{
  return g_object_new (STUDIO_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/unetstudio/UnetStudio",
                       NULL);
}

StudioWorker *
studio_application_get_worker (StudioApplication *self)
{
  g_return_val_if_fail (STUDIO_IS_APPLICATION (self), NULL);

  return self->worker;
}

GSettings *
studio_application_get_settings (StudioApplication *self)
{
  g_return_val_if_fail (STUDIO_IS_APPLICATION (self), NULL);

  return self->settings;
}

static StudioWindow *
get_or_create_window (StudioApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (studio_window_new (self));
  return STUDIO_WINDOW (window);
}

static void
studio_application_activate (GApplication *app)
{
  StudioApplication *self = STUDIO_APPLICATION (app);
  StudioWindow *window = get_or_create_window (self);

  if (self->dataset_path != NULL)
    {
      g_autofree char *path = g_steal_pointer (&self->dataset_path);
      g_autofree char *split = g_steal_pointer (&self->dataset_split);

      studio_window_open_dataset (window, path, split);
    }
  gtk_window_present (GTK_WINDOW (window));
}

static int
studio_application_handle_local_options (GApplication *app,
                                         GVariantDict *options)
{
  StudioApplication *self = STUDIO_APPLICATION (app);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("unet-studio %s\n", PACKAGE_VERSION);
      return 0;
    }
  g_variant_dict_lookup (options, "model", "^ay", &self->model_path);
  g_variant_dict_lookup (options, "dataset", "^ay", &self->dataset_path);
  g_variant_dict_lookup (options, "split", "s", &self->dataset_split);
  if (self->model_path != NULL && !g_file_test (self->model_path, G_FILE_TEST_IS_REGULAR))
    {
      g_printerr (_("unet-studio: %s: no such model file\n"), self->model_path);
      return 2;
    }
  return G_APPLICATION_CLASS (studio_application_parent_class)->handle_local_options (app, options);
}

static void
studio_application_open (GApplication  *app,
                         GFile        **files,
                         int            n_files,
                         const char    *hint)
{
  StudioApplication *self = STUDIO_APPLICATION (app);
  StudioWindow *window = get_or_create_window (self);

  studio_window_open_files (window, files, n_files);
  gtk_window_present (GTK_WINDOW (window));
}

static void
on_threads_changed (StudioApplication *self,
                    const char        *key,
                    GSettings         *settings)
{
  studio_worker_set_threads (self->worker, g_settings_get_int (settings, "threads"));
}

static void
load_default_model (StudioApplication *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "default-model");
  g_autofree char *name = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  if (self->model_path != NULL)
    {
      studio_worker_load_model (self->worker, self->model_path);
      return;
    }
  if (path[0] != '\0')
    {
      studio_worker_load_model (self->worker, path);
      return;
    }
  bytes = unet_default_model_get_bytes (&name, &error);
  if (bytes == NULL)
    {
      /* the window says "No model loaded" and offers Open Model */
      g_warning ("%s", error->message);
      return;
    }
  studio_worker_load_model_bytes (self->worker, bytes,
                                  g_getenv ("UNET_DEFAULT_MODEL") != NULL ? name : _("Built-in model"));
}

static void
studio_application_startup (GApplication *app)
{
  StudioApplication *self = STUDIO_APPLICATION (app);
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.open-folder", { "<Control><Shift>o", NULL } },
    { "win.open-model", { "<Control>m", NULL } },
    { "win.export-mask", { "<Control>s", NULL } },
    { "win.export-overlay", { "<Control><Shift>s", NULL } },
    { "win.export-folder", { "<Control>e", NULL } },
    { "win.next", { "Page_Down", "<Alt>Right", NULL } },
    { "win.previous", { "Page_Up", "<Alt>Left", NULL } },
    { "win.zoom-in", { "<Control>plus", "<Control>equal", NULL } },
    { "win.zoom-out", { "<Control>minus", NULL } },
    { "win.zoom-fit", { "<Control>0", NULL } },
    { "win.zoom-original", { "<Control>1", NULL } },
    { "win.view-mode::prediction", { "<Alt>p", NULL } },
    { "win.view-mode::truth", { "<Alt>t", NULL } },
    { "win.view-mode::errors", { "<Alt>e", NULL } },
    { "win.view-mode::confidence", { "<Alt>c", NULL } },
    { "win.show-page::viewer", { "<Alt>1", NULL } },
    { "win.show-page::training", { "<Alt>2", NULL } },
    { "win.train-start", { "<Control>Return", NULL } },
    { "win.train-pause", { "<Control>p", NULL } },
    { "win.close", { "<Control>w", NULL } },
  };

  G_APPLICATION_CLASS (studio_application_parent_class)->startup (app);

  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);

  self->settings = g_settings_new (APPLICATION_ID);
  self->worker = studio_worker_new ();
  studio_worker_set_threads (self->worker, g_settings_get_int (self->settings, "threads"));
  g_signal_connect_object (self->settings, "changed::threads",
                           G_CALLBACK (on_threads_changed), self, G_CONNECT_SWAPPED);
  load_default_model (self);
}

static void
studio_application_shutdown (GApplication *app)
{
  StudioApplication *self = STUDIO_APPLICATION (app);

  if (self->worker != NULL)
    studio_worker_shutdown (self->worker);

  G_APPLICATION_CLASS (studio_application_parent_class)->shutdown (app);
}

static void
studio_application_dispose (GObject *object)
{
  StudioApplication *self = STUDIO_APPLICATION (object);

  g_clear_object (&self->worker);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->model_path, g_free);
  g_clear_pointer (&self->dataset_path, g_free);
  g_clear_pointer (&self->dataset_split, g_free);

  G_OBJECT_CLASS (studio_application_parent_class)->dispose (object);
}

static void
studio_application_class_init (StudioApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = studio_application_dispose;

  app_class->activate = studio_application_activate;
  app_class->handle_local_options = studio_application_handle_local_options;
  app_class->open = studio_application_open;
  app_class->startup = studio_application_startup;
  app_class->shutdown = studio_application_shutdown;
}

static void
studio_application_about_action (GSimpleAction *action,
                                  GVariant      *parameter,
                                  gpointer       user_data)
{
  static const char *developers[] = { "The U-Net Studio authors", NULL };
  StudioApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  adw_show_about_window (window,
                         "application-name", _("U-Net Studio"),
                         "application-icon", APPLICATION_ID,
                         "developer-name", _("The U-Net Studio authors"),
                         "version", PACKAGE_VERSION,
                         "comments", _("Segment photos into the 21 PASCAL VOC classes with a U-Net, and train one"),
                         "website", "https://github.com/unetstudio/unet-studio",
                         "developers", developers,
                         "copyright", "© 2026 The U-Net Studio authors",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
studio_application_preferences_action (GSimpleAction *action,
                                        GVariant      *parameter,
                                        gpointer       user_data)
{
  StudioApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  StudioPreferencesWindow *preferences = studio_preferences_window_new (self->settings);

  gtk_window_set_transient_for (GTK_WINDOW (preferences), window);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
studio_application_quit_action (GSimpleAction *action,
                                GVariant      *parameter,
                                gpointer       user_data)
{
  StudioApplication *self = user_data;
  g_autoptr(GList) windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  /* Closing the windows, not quitting outright: a window with a training run asks first and
   * saves its checkpoint. The application ends when its last window is gone. */
  if (windows == NULL)
    g_application_quit (G_APPLICATION (self));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
}

static const GActionEntry app_actions[] = {
  { "quit", studio_application_quit_action },
  { "about", studio_application_about_action },
  { "preferences", studio_application_preferences_action },
};

static const GOptionEntry main_options[] = {
  { "model", 'm', 0, G_OPTION_ARG_FILENAME, NULL, N_("Segment with this model instead of the default"), N_("FILE") },
  { "dataset", 'd', 0, G_OPTION_ARG_FILENAME, NULL, N_("Browse a dataset (VOCdevkit or image/mask folders) with its ground truth"), N_("DIR") },
  { "split", 's', 0, G_OPTION_ARG_STRING, NULL, N_("The dataset split to browse (default: val)"), N_("NAME") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and quit"), NULL },
  { NULL }
};

static void
studio_application_init (StudioApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), main_options);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[IMAGE…]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Segment photos into the 21 PASCAL VOC classes, and train U-Nets"));
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
}
