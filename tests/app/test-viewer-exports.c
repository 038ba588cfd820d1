/* test-viewer-exports.c: exports — one image's files, a folder on the worker, and one image's
 * exports on a thread that never replace their input
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "voc/voc.h"

#include "app/studio-application.h"
#include "app/studio-export.h"
#include "app/studio-viewer.h"
#include "app/studio-viewer-private.h"
#include "app/studio-window.h"
#include "studio-test-util.h"
#include "test-viewer.h"

void
test_viewer_export (void)
{
  StudioViewer *viewer = get_viewer ();
  StudioSegmentation *segmentation = studio_viewer_get_segmentation (viewer);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = g_build_filename (tmp_dir, "export", NULL);
  g_autofree char *stem = studio_export_stem (studio_segmentation_get_image_path (segmentation));
  g_autofree char *mask_name = g_strconcat (stem, ".png", NULL);
  g_autofree char *mask_path = g_build_filename (out, mask_name, NULL);
  g_autofree char *legend_svg = g_build_filename (out, "legend.svg", NULL);
  g_autofree guint8 *mask = NULL;
  g_autofree char *svg = NULL;
  g_autoptr(GDir) dir = NULL;
  int width, height, n_class_masks = 0, n_files = 0;
  const char *name;
  const guint64 *counts = studio_segmentation_get_counts (segmentation);

  g_assert_true (studio_export_segmentation (segmentation, out,
                                             STUDIO_EXPORT_MASK | STUDIO_EXPORT_OVERLAY |
                                             STUDIO_EXPORT_CLASS_MASKS | STUDIO_EXPORT_LEGEND,
                                             voc_colormap_table (), 0.6, &error));
  g_assert_no_error (error);

  /* the mask reads back as the class of every pixel */
  mask = voc_mask_load (mask_path, &width, &height, &error);
  g_assert_no_error (error);
  g_assert_cmpint (width, ==, studio_segmentation_get_width (segmentation));
  g_assert_cmpint (height, ==, studio_segmentation_get_height (segmentation));
  g_assert_cmpmem (mask, (gsize) width * height, studio_segmentation_get_classes (segmentation),
                   (gsize) width * height);

  /* one binary mask per class present, each 255 exactly where the class is */
  for (int c = 0; c < studio_segmentation_get_n_classes (segmentation); c++)
    if (counts[c] > 0)
      {
        g_autofree char *class_name = g_strdup_printf ("%s-%s.png", stem,
                                                       studio_segmentation_get_class_names (segmentation)[c]);
        g_autofree char *class_path = g_build_filename (out, class_name, NULL);
        g_autofree guint8 *binary = voc_mask_load (class_path, &width, &height, &error);
        guint64 on = 0;

        g_assert_no_error (error);
        for (gsize i = 0; i < (gsize) width * height; i++)
          {
            g_assert_true (binary[i] == 0 || binary[i] == 255);
            on += binary[i] == 255;
          }
        g_assert_cmpuint (on, ==, counts[c]);
        n_class_masks++;
      }
  g_assert_cmpint (n_class_masks, >, 0);

  dir = g_dir_open (out, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (out, name, NULL);
      g_autoptr(GdkTexture) texture = gdk_texture_new_from_filename (file, &error);

      /* every file is a readable PNG; no temporary file is left behind */
      g_assert_no_error (error);
      g_assert_nonnull (texture);
      n_files++;
    }
  g_assert_cmpint (n_files, ==, 3 + n_class_masks);

  g_assert_true (studio_export_legend (segmentation, legend_svg, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (legend_svg, &svg, NULL, &error));
  g_assert_nonnull (strstr (svg, "<svg"));
}

static guint export_done;
static guint export_written;
static gboolean export_ended;
static GError *export_error;

static void
on_export_progress (StudioWorker *worker,
                    guint         done,
                    guint         total,
                    const char   *path)
{
  export_done = done + 1;
}

static void
on_export_ended (StudioWorker *worker,
                 guint         written,
                 GError       *error)
{
  export_written = written;
  g_clear_error (&export_error);
  export_error = error != NULL ? g_error_copy (error) : NULL;
  export_ended = TRUE;
}

/* Exporting a folder on the worker, with progress, and cancelling it. */
void
test_viewer_export_folder (void)
{
  StudioWorker *worker = studio_application_get_worker (app);
  g_autoptr(GPtrArray) paths = studio_viewer_get_image_paths (get_viewer ());
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *out = g_build_filename (tmp_dir, "export-all", NULL);
  gulong progress_id, ended_id;

  progress_id = g_signal_connect (worker, "export-progress", G_CALLBACK (on_export_progress), NULL);
  ended_id = g_signal_connect (worker, "export-ended", G_CALLBACK (on_export_ended), NULL);

  g_ptr_array_set_size (paths, 3);
  export_ended = FALSE;
  studio_worker_export_folder (worker, paths, out, STUDIO_EXPORT_MASK | STUDIO_EXPORT_OVERLAY,
                               NULL, 0.5, cancellable);
  g_assert_true (studio_test_wait_for (&export_ended, 120));
  g_assert_no_error (export_error);
  g_assert_cmpuint (export_written, ==, 3);
  g_assert_cmpuint (export_done, ==, 3);
  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *stem = studio_export_stem (paths->pdata[i]);
      g_autofree char *name = g_strconcat (stem, "-overlay.png", NULL);
      g_autofree char *file = g_build_filename (out, name, NULL);

      g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
    }

  /* cancelled before it starts: nothing is written, and the end says so */
  g_cancellable_cancel (cancellable);
  export_ended = FALSE;
  studio_worker_export_folder (worker, paths, out, STUDIO_EXPORT_MASK, NULL, 0.5, cancellable);
  g_assert_true (studio_test_wait_for (&export_ended, 60));
  g_assert_error (export_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (export_written, ==, 0);
  g_clear_error (&export_error);

  g_signal_handler_disconnect (worker, progress_id);
  g_signal_handler_disconnect (worker, ended_id);
}

/* One image's exports run on a thread, show progress, and never replace their input. */
void
test_viewer_export_thread (void)
{
  StudioViewer *viewer = get_viewer ();
  g_autoptr(StudioSegmentation) segmentation = g_object_ref (studio_viewer_get_segmentation (viewer));
  g_autofree char *out = g_build_filename (tmp_dir, "export-thread", NULL);
  g_autoptr(GFile) out_file = g_file_new_for_path (out);
  g_autoptr(GFile) input = NULL;
  g_autofree char *before = NULL, *after = NULL;
  gsize before_size, after_size;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const guint64 *counts;
  int present = 0, n_files = 0;
  gint64 end;

  g_assert_nonnull (segmentation);
  counts = studio_segmentation_get_counts (segmentation);
  for (int c = 0; c < studio_segmentation_get_n_classes (segmentation); c++)
    present += counts[c] > 0;
  g_assert_cmpint (g_mkdir_with_parents (out, 0755), ==, 0);

  studio_viewer_export_to (viewer, STUDIO_EXPORT_KIND_CLASS_MASKS, out_file, 0);
  g_assert_true (studio_viewer_is_exporting (viewer));
  end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (studio_viewer_is_exporting (viewer) && g_get_monotonic_time () < end)
    studio_test_spin (0.01);
  g_assert_false (studio_viewer_is_exporting (viewer));
  dir = g_dir_open (out, 0, &error);
  g_assert_no_error (error);
  while (g_dir_read_name (dir) != NULL)
    n_files++;
  g_assert_cmpint (n_files, ==, present);

  /* the class mask asked for over the image itself: refused, the image stays as it was */
  input = g_file_new_for_path (studio_segmentation_get_image_path (segmentation));
  g_assert_true (g_file_load_contents (input, NULL, &before, &before_size, NULL, &error));
  studio_viewer_export_to (viewer, STUDIO_EXPORT_KIND_MASK, input, 0);
  end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (studio_viewer_is_exporting (viewer) && g_get_monotonic_time () < end)
    studio_test_spin (0.01);
  g_assert_true (g_file_load_contents (input, NULL, &after, &after_size, NULL, &error));
  g_assert_cmpmem (before, before_size, after, after_size);

  /* every image's masks into the folder of PNG images they would replace: refused at once */
  {
    g_autofree char *folder = g_build_filename (tmp_dir, "png-inputs", NULL);
    g_autofree char *png = g_build_filename (folder, "slice.png", NULL);
    g_autoptr(GFile) png_file = g_file_new_for_path (png);
    g_autoptr(GFile) folder_file = g_file_new_for_path (folder);
    g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 16);
    g_autofree char *png_before = NULL, *png_after = NULL;
    gsize png_before_size, png_after_size;

    g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
    gdk_pixbuf_fill (pixbuf, 0x336699ff);
    g_assert_true (gdk_pixbuf_save (pixbuf, png, "png", &error, NULL));
    g_assert_true (g_file_get_contents (png, &png_before, &png_before_size, &error));
    studio_window_open_files (window, &png_file, 1);
    studio_viewer_export_to (viewer, STUDIO_EXPORT_KIND_ALL_IMAGES, folder_file, STUDIO_EXPORT_MASK);
    g_assert_false (studio_viewer_is_exporting (viewer));
    studio_test_spin (0.5);
    g_assert_true (g_file_get_contents (png, &png_after, &png_after_size, &error));
    g_assert_cmpmem (png_before, png_before_size, png_after, png_after_size);
  }
}
