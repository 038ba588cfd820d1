/* test-stress.c: the app under stress — quick switching through 100 images, training started
 * and stopped again and again — without a crash, a leak (under AddressSanitizer) or a UI that
 * stops answering
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "studio-application.h"
#include "studio-dashboard.h"
#include "studio-viewer.h"
#include "studio-window.h"
#include "studio-test-util.h"

/* The longest the main loop may go without running a 10 ms timer. Waiting on the worker (for a
 * segmentation, a training step, a checkpoint being saved) would take longer; layout, drawing
 * and texture uploads take tens of milliseconds, and up to a few hundred on a machine whose
 * cores are busy with other work (measured: 119 ms quiet, 301 and 504 ms beside two training
 * runs). */
#define MAX_UI_STALL_MS 1000

static StudioApplication *app;
static StudioWindow *window;
static char *tmp_dir;

typedef struct
{
  gint64 last;
  gint64 longest;
} Heartbeat;

static gboolean
heartbeat_tick (gpointer data)
{
  Heartbeat *beat = data;
  gint64 now = g_get_monotonic_time ();

  if (beat->last != 0)
    beat->longest = MAX (beat->longest, now - beat->last);
  beat->last = now;
  return G_SOURCE_CONTINUE;
}

static const char *
voc_root (void)
{
  const char *root = g_getenv ("VOC2007_ROOT");

  return root != NULL ? root : "../shared/voc2007/VOCdevkit";
}

static void
test_stress_switching (void)
{
  StudioViewer *viewer = STUDIO_VIEWER (studio_test_find_child (GTK_WIDGET (window),
                                                                STUDIO_TYPE_VIEWER));
  g_autofree char *folder = g_build_filename (voc_root (), "VOC2007", "JPEGImages", NULL);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  Heartbeat beat = { 0 };
  guint heartbeat_id;
  const char *name;
  StudioSegmentation *segmentation = NULL;
  gint64 end;

  dir = g_dir_open (folder, 0, &error);
  if (dir == NULL)
    {
      g_test_skip ("no VOC 2007 images");
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_assert_cmpuint (names->len, >, 0);
  /* 100 entries, the subset's images over and over */
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *path = g_build_filename (folder, names->pdata[i % names->len], NULL);

      g_ptr_array_add (files, g_file_new_for_path (path));
    }

  heartbeat_id = g_timeout_add (10, heartbeat_tick, &beat);
  studio_window_open_files (window, (GFile **) files->pdata, files->len);
  g_assert_cmpuint (studio_viewer_get_n_images (viewer), ==, 100);
  /* faster than the worker can segment: most requests are dropped as stale */
  for (guint i = 0; i < 99; i++)
    {
      studio_viewer_next (viewer);
      studio_test_spin (0.02);
    }
  g_assert_cmpuint (studio_viewer_get_position (viewer), ==, 99);

  /* the last image's result arrives, and it is the one shown */
  end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    {
      studio_test_spin (0.05);
      segmentation = studio_viewer_get_segmentation (viewer);
      if (segmentation != NULL &&
          g_strcmp0 (studio_segmentation_get_image_path (segmentation),
                     g_file_peek_path (files->pdata[99])) == 0)
        break;
    }
  g_assert_nonnull (segmentation);
  g_assert_cmpstr (studio_segmentation_get_image_path (segmentation), ==,
                   g_file_peek_path (files->pdata[99]));
  g_source_remove (heartbeat_id);
  g_test_message ("longest stall of the UI while switching: %" G_GINT64_FORMAT " ms",
                  beat.longest / 1000);
  g_assert_cmpint (beat.longest / 1000, <, MAX_UI_STALL_MS);
}

static void
test_stress_start_stop (void)
{
  StudioDashboard *dashboard = STUDIO_DASHBOARD (studio_test_find_child (GTK_WIDGET (window),
                                                                        STUDIO_TYPE_DASHBOARD));
  Heartbeat beat = { 0 };
  guint heartbeat_id;

  /* the shared subset's lists name ids whose files are absent, and the trainer warns */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  heartbeat_id = g_timeout_add (10, heartbeat_tick, &beat);
  for (int round = 0; round < 6; round++)
    {
      g_auto(UnetTrainOptions) options = { 0 };
      g_autofree char *name = g_strdup_printf ("run-%d", round);
      g_autofree char *checkpoint = NULL;
      gint64 end;

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
      options.seed = round + 1;
      options.output_dir = g_build_filename (tmp_dir, name, NULL);
      checkpoint = g_build_filename (options.output_dir, "last.safetensors", NULL);
      studio_dashboard_set_options (dashboard, &options);

      g_action_group_activate_action (G_ACTION_GROUP (window), "train-start", NULL);
      /* stop at once in odd rounds (while it starts), after some steps in even ones */
      if (round % 2 == 0)
        {
          end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
          while (studio_dashboard_get_state (dashboard) != STUDIO_TRAIN_STATE_RUNNING &&
                 g_get_monotonic_time () < end)
            studio_test_spin (0.02);
          studio_test_spin (0.3);
        }
      g_action_group_activate_action (G_ACTION_GROUP (window), "train-stop", NULL);
      g_assert_cmpint (studio_dashboard_get_state (dashboard), !=, STUDIO_TRAIN_STATE_IDLE);
      /* Start stays disabled until the run is saved */
      g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "train-start"));
      end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
      while (studio_dashboard_get_state (dashboard) != STUDIO_TRAIN_STATE_IDLE &&
             g_get_monotonic_time () < end)
        studio_test_spin (0.02);
      g_assert_cmpint (studio_dashboard_get_state (dashboard), ==, STUDIO_TRAIN_STATE_IDLE);
      g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "train-start"));
      g_assert_true (g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR));
    }
  g_source_remove (heartbeat_id);
  g_test_message ("longest stall of the UI while starting and stopping: %" G_GINT64_FORMAT " ms",
                  beat.longest / 1000);
  g_assert_cmpint (beat.longest / 1000, <, MAX_UI_STALL_MS);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  tmp_dir = g_dir_make_tmp ("unet-studio-stress-XXXXXX", &error);
  g_assert_no_error (error);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  app = studio_test_application_new ();
  window = studio_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  studio_test_spin (0.5);

  g_test_add_func ("/stress/switching", test_stress_switching);
  g_test_add_func ("/stress/start-stop", test_stress_start_stop);
  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  studio_test_spin (0.2);
  g_object_unref (app);
  return status;
}
