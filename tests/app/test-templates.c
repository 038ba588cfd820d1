/* test-templates.c: every widget template builds, and every widget is freed again
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8's `gtk4-builder-tool validate` rejects templates with signal handlers or a
 * libadwaita parent, so the check is to build each one, with criticals fatal (G_DEBUG).
 */

#include "config.h"

#include "app/studio-application.h"
#include "app/studio-dashboard.h"
#include "app/studio-image-view.h"
#include "app/studio-legend.h"
#include "app/studio-plot.h"
#include "app/studio-preferences-window.h"
#include "app/studio-run-monitor.h"
#include "app/studio-train-form.h"
#include "app/studio-viewer.h"
#include "app/studio-window.h"
#include "studio-test-util.h"

static StudioApplication *app;

static void
test_widget (gconstpointer data)
{
  GType type = GPOINTER_TO_SIZE (data);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *widget = g_object_new (type, NULL);

  g_object_ref_sink (widget);
  gtk_window_set_child (GTK_WINDOW (window), widget);
  gtk_window_present (GTK_WINDOW (window));
  studio_test_spin (0.2);
  gtk_window_set_child (GTK_WINDOW (window), NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (widget);
}

static void
test_preferences (void)
{
  StudioPreferencesWindow *preferences =
    studio_preferences_window_new (studio_application_get_settings (app));

  gtk_window_present (GTK_WINDOW (preferences));
  studio_test_spin (0.2);
  gtk_window_destroy (GTK_WINDOW (preferences));
  studio_test_spin (0.1);
}

static void
test_window (void)
{
  StudioWindow *window = studio_window_new (app);
  GtkWidget *help;
  g_autoptr(GtkBuilder) builder = NULL;

  gtk_window_present (GTK_WINDOW (window));
  studio_test_spin (0.3);
  /* the keyboard shortcuts window, from its own resource */
  builder = gtk_builder_new_from_resource ("/io/github/unetstudio/UnetStudio/gtk/help-overlay.ui");
  help = GTK_WIDGET (gtk_builder_get_object (builder, "help_overlay"));
  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (help));
  gtk_window_destroy (GTK_WINDOW (help));
  /* every action the accelerators name exists */
  {
    g_auto(GStrv) actions = gtk_application_list_action_descriptions (GTK_APPLICATION (app));

    for (guint i = 0; actions[i] != NULL; i++)
      {
        g_autofree char *name = NULL;
        g_autoptr(GVariant) target = NULL;
        const char *dot;

        g_assert_true (g_action_parse_detailed_name (actions[i], &name, &target, NULL));
        dot = strchr (name, '.');
        g_assert_nonnull (dot);
        if (g_str_has_prefix (name, "win."))
          g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), dot + 1));
        else
          g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), dot + 1));
      }
  }
  gtk_window_destroy (GTK_WINDOW (window));
  studio_test_spin (0.1);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  app = studio_test_application_new ();

  g_test_add_data_func ("/templates/image-view", GSIZE_TO_POINTER (STUDIO_TYPE_IMAGE_VIEW), test_widget);
  g_test_add_data_func ("/templates/legend", GSIZE_TO_POINTER (STUDIO_TYPE_LEGEND), test_widget);
  g_test_add_data_func ("/templates/plot", GSIZE_TO_POINTER (STUDIO_TYPE_PLOT), test_widget);
  g_test_add_data_func ("/templates/viewer", GSIZE_TO_POINTER (STUDIO_TYPE_VIEWER), test_widget);
  g_test_add_data_func ("/templates/dashboard", GSIZE_TO_POINTER (STUDIO_TYPE_DASHBOARD), test_widget);
  g_test_add_data_func ("/templates/train-form", GSIZE_TO_POINTER (STUDIO_TYPE_TRAIN_FORM), test_widget);
  g_test_add_data_func ("/templates/run-monitor", GSIZE_TO_POINTER (STUDIO_TYPE_RUN_MONITOR), test_widget);
  g_test_add_func ("/templates/preferences", test_preferences);
  g_test_add_func ("/templates/window", test_window);
  status = g_test_run ();

  g_object_unref (app);
  return status;
}
