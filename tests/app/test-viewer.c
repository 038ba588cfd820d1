/* test-viewer.c: the viewer in a real window; main()
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "app/studio-application.h"
#include "app/studio-dashboard.h"
#include "app/studio-viewer.h"
#include "app/studio-window.h"
#include "studio-test-util.h"
#include "test-viewer.h"

/* The application and its window, which every test of this program works in, and a folder
 * for their files: main() makes them. */
StudioApplication *app;
StudioWindow *window;
char *tmp_dir;

/* A file that is not an image: a clear message, the app goes on. */
static void
test_viewer_bad_image (void)
{
  StudioViewer *viewer = get_viewer ();
  g_autofree char *path = g_build_filename (tmp_dir, "broken.jpg", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, "not a JPEG at all", -1, &error));
  studio_window_open_files (window, &file, 1);
  studio_test_spin (2.0);
  g_assert_null (studio_viewer_get_segmentation (viewer));
  g_assert_cmpuint (studio_viewer_get_n_images (viewer), ==, 1);
}

/* Closing the window during a run asks, then saves a checkpoint before the window goes. Must
 * run last: the window is gone afterwards. */
static void
test_window_close_during_run (void)
{
  StudioDashboard *dashboard = STUDIO_DASHBOARD (studio_test_find_child (GTK_WIDGET (window), STUDIO_TYPE_DASHBOARD));
  g_auto(UnetTrainOptions) options = { 0 };
  g_autofree char *checkpoint = NULL;
  gboolean running = FALSE, gone = FALSE;
  GtkWidget *dialog = NULL;
  gint64 end;

  /* the shared subset's lists name ids whose files are absent, and the trainer warns */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  unet_train_options_init_default (&options);
  options.dataset = g_strdup (voc_root ());
  options.skip_bad = TRUE;
  g_clear_pointer (&options.val_split, g_free);
  options.model.depth = 2;
  options.model.base = 4;
  options.model.padding = UNET_PADDING_SAME;
  options.tile = 64;
  options.batch = 2;
  options.steps = 100000;
  options.threads = 2;
  options.output_dir = g_build_filename (tmp_dir, "run-close", NULL);
  checkpoint = g_build_filename (options.output_dir, "last.safetensors", NULL);
  studio_dashboard_set_options (dashboard, &options);

  g_action_group_activate_action (G_ACTION_GROUP (window), "train-start", NULL);
  end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!running && g_get_monotonic_time () < end)
    {
      studio_test_spin (0.1);
      running = studio_dashboard_get_state (dashboard) == STUDIO_TRAIN_STATE_RUNNING;
    }
  g_assert_true (running);
  studio_test_spin (1.0);
  g_assert_false (g_file_test (checkpoint, G_FILE_TEST_EXISTS));

  /* the window stays and asks */
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_close (GTK_WINDOW (window));
  studio_test_spin (0.3);
  g_assert_nonnull (window);
  {
    g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

    for (GList *l = toplevels; l != NULL; l = l->next)
      if (ADW_IS_MESSAGE_DIALOG (l->data))
        dialog = l->data;
  }
  g_assert_nonnull (dialog);

  /* "Keep Training" leaves the run alone */
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  studio_test_spin (0.5);
  g_assert_nonnull (window);
  g_assert_cmpint (studio_dashboard_get_state (dashboard), ==, STUDIO_TRAIN_STATE_RUNNING);

  /* "Stop and Close" saves, then closes */
  gtk_window_close (GTK_WINDOW (window));
  studio_test_spin (0.3);
  dialog = NULL;
  {
    g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

    for (GList *l = toplevels; l != NULL; l = l->next)
      if (ADW_IS_MESSAGE_DIALOG (l->data))
        dialog = l->data;
  }
  g_assert_nonnull (dialog);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "stop");
  end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (window != NULL && g_get_monotonic_time () < end)
    studio_test_spin (0.1);
  gone = window == NULL;
  g_assert_true (gone);
  g_assert_true (g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  int status;

  tmp_dir = g_dir_make_tmp ("unet-studio-test-XXXXXX", &error);
  g_assert_no_error (error);
  if (g_getenv ("UNET_DEFAULT_MODEL") == NULL)
    {
      model = studio_test_write_model (tmp_dir);
      g_setenv ("UNET_DEFAULT_MODEL", model, TRUE);
    }

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  app = studio_test_application_new ();
  window = studio_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  g_signal_connect (get_viewer (), "notify::has-segmentation", G_CALLBACK (on_segmented), NULL);
  studio_test_spin (0.5);

  /* the order they run in (a suite's own tests before its sub-suites'): each test leaves the
   * window as the next one expects */
  g_test_add_func ("/viewer/overlay", test_viewer_overlay);
  g_test_add_func ("/viewer/overlay-thread", test_viewer_overlay_thread);
  g_test_add_func ("/viewer/dataset", test_viewer_dataset);
  g_test_add_func ("/viewer/binary-truth", test_viewer_binary_truth);
  g_test_add_data_func ("/viewer/own-model/2-classes", GINT_TO_POINTER (2), test_viewer_own_model);
  g_test_add_data_func ("/viewer/own-model/3-classes", GINT_TO_POINTER (3), test_viewer_own_model);
  g_test_add_func ("/viewer/switching", test_viewer_switching);
  g_test_add_func ("/viewer/export", test_viewer_export);
  g_test_add_func ("/viewer/export-folder", test_viewer_export_folder);
  g_test_add_func ("/viewer/switch-cancels", test_viewer_switch_cancels);
  g_test_add_func ("/viewer/export-thread", test_viewer_export_thread);
  g_test_add_func ("/viewer/bad-image", test_viewer_bad_image);
  g_test_add_func ("/window/close-during-run", test_window_close_during_run);
  status = g_test_run ();

  if (window != NULL)
    gtk_window_destroy (GTK_WINDOW (window));
  studio_test_spin (0.2);
  g_application_quit (G_APPLICATION (app));
  g_object_unref (app);
  return status;
}
