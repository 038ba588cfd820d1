/* test-viewer-switching.c: moving between images — only the last one's result is shown, and a
 * large image's prediction is cancelled on the way
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "app/studio-application.h"
#include "app/studio-viewer.h"
#include "app/studio-window.h"
#include "app/studio-worker-private.h"
#include "studio-test-util.h"
#include "test-viewer.h"

/* Switching quickly: only the last image's result is shown; stale work is dropped. */
void
test_viewer_switching (void)
{
  StudioViewer *viewer = get_viewer ();
  StudioSegmentation *segmentation;
  g_autoptr(GPtrArray) paths = studio_viewer_get_image_paths (viewer);
  guint start = studio_viewer_get_position (viewer);

  for (int i = 0; i < 7; i++)
    g_action_group_activate_action (G_ACTION_GROUP (window), "next", NULL);
  g_action_group_activate_action (G_ACTION_GROUP (window), "previous", NULL);
  g_assert_cmpuint (studio_viewer_get_position (viewer), ==, (start + 6) % paths->len);
  do
    segmentation = wait_for_segmentation (viewer);
  while (g_strcmp0 (studio_segmentation_get_image_path (segmentation),
                    paths->pdata[studio_viewer_get_position (viewer)]) != 0);
  studio_test_spin (1.0);
  g_assert_true (studio_viewer_get_segmentation (viewer) == segmentation);
}

/* Nothing running on the worker: the image on show, segmented again after a change of model,
 * included (idle for 0.3 s on end, as its request may not have reached the worker yet). */
static void
wait_until_idle (StudioWorker *worker)
{
  gint64 end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  for (int idle = 0; idle < 15 && g_get_monotonic_time () < end;)
    {
      studio_test_spin (0.02);
      idle = studio_worker_get_busy (worker) ? 0 : idle + 1;
    }
  g_assert_false (studio_worker_get_busy (worker));
}

/* Writes a noisy photo, as JPEG: the network cannot skip any of its tiles. */
static char *
write_photo (const char *name,
             int         width,
             int         height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (tmp_dir, "photos", NULL);
  char *path = g_build_filename (dir, name, NULL);
  guint32 state = 1;

  /* a folder of their own: opening one file browses its folder */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width * 3; x++)
      {
        state = state * 1664525u + 1013904223u;
        pixels[(gsize) y * stride + x] = (guint8) ((x / 3 + y) / 8 + (state >> 28));
      }
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "jpeg", &error, "quality", "90", NULL));
  g_assert_no_error (error);
  return path;
}

/* Moving on from a large image cancels its prediction where it is, instead of letting it run
 * to its end before the next image's starts. A small model, so that a tile (where the cancel
 * is seen) takes milliseconds rather than the shipped model's seconds on a busy machine. */
void
test_viewer_switch_cancels (void)
{
  StudioViewer *viewer = get_viewer ();
  StudioWorker *worker = studio_application_get_worker (app);
  g_autofree char *large = write_photo ("switch-large.jpg", 3000, 2000);
  g_autofree char *small = write_photo ("switch-small.jpg", 64, 48);
  g_autoptr(GFile) large_file = g_file_new_for_path (large);
  g_autoptr(GFile) small_file = g_file_new_for_path (small);
  GFile *files[] = { large_file, small_file };
  StudioSegmentation *segmentation;
  g_autofree char *model_dir = g_build_filename (tmp_dir, "switch-model", NULL);
  g_autofree char *model = NULL;
  guint cancelled;
  gint64 switched, end;

  g_assert_cmpint (g_mkdir_with_parents (model_dir, 0755), ==, 0);
  model = studio_test_write_model (model_dir);
  load_model (model);
  wait_until_idle (worker);
  cancelled = studio_worker_get_n_cancelled (worker);

  studio_window_open_files (window, files, 2);
  g_assert_cmpuint (studio_viewer_get_position (viewer), ==, 0);
  end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!studio_worker_get_busy (worker) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (studio_worker_get_busy (worker));
  /* into the network's tiles, most likely: the large image decodes in a fraction of this */
  studio_test_spin (0.5);
  g_assert_null (studio_viewer_get_segmentation (viewer));

  switched = g_get_monotonic_time ();
  studio_viewer_next (viewer);
  do
    segmentation = wait_for_segmentation (viewer);
  while (g_strcmp0 (studio_segmentation_get_image_path (segmentation), small) != 0);
  g_test_message ("the next image's segmentation came %" G_GINT64_FORMAT " ms after the switch",
                  (g_get_monotonic_time () - switched) / 1000);
  g_assert_cmpuint (studio_worker_get_n_cancelled (worker), ==, cancelled + 1);

  /* the image on show, segmented again by the shipped model, for the tests after this one */
  load_model (g_getenv ("UNET_DEFAULT_MODEL"));
  wait_until_idle (worker);
  g_assert_nonnull (studio_viewer_get_segmentation (viewer));
}
