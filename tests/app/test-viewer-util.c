/* test-viewer-util.c: what the viewer tests share — the viewer in the window, opening a
 * dataset, waiting for a segmentation, finding its pixels on screen, loading a model
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>

#include "app/studio-application.h"
#include "app/studio-image-view.h"
#include "app/studio-viewer.h"
#include "app/studio-viewer-private.h"
#include "app/studio-window.h"
#include "studio-test-util.h"
#include "test-viewer.h"

const char *
voc_root (void)
{
  static char *root;

  /* canonical, as the paths the viewer lists */
  if (root == NULL)
    root = g_canonicalize_filename (g_getenv ("VOC2007_ROOT") != NULL ? g_getenv ("VOC2007_ROOT")
                                                                       : "../shared/voc2007/VOCdevkit",
                                    NULL);
  return root;
}

StudioViewer *
get_viewer (void)
{
  GtkWidget *viewer = studio_test_find_child (GTK_WIDGET (window), STUDIO_TYPE_VIEWER);

  g_assert_nonnull (viewer);
  return STUDIO_VIEWER (viewer);
}

GtkWidget *
find_by_css_class (GtkWidget  *root,
                   const char *css_class)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (gtk_widget_has_css_class (child, css_class))
        return child;
      if ((found = find_by_css_class (child, css_class)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean segmented;
static gboolean segmented_early;

/* Opens a dataset as the window does, and waits until its files are checked and its images
 * listed. */
gboolean
open_dataset (StudioViewer *viewer,
              const char   *root,
              const char   *split,
              GError      **error)
{
  gboolean ok;
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  segmented = FALSE;
  ok = studio_viewer_open_dataset (viewer, root, split, error);
  while (ok && studio_viewer_is_opening (viewer) && g_get_monotonic_time () < end)
    studio_test_spin (0.01);
  g_assert_false (studio_viewer_is_opening (viewer));
  /* a small image's segmentation may already be in: wait_for_segmentation() takes it */
  segmented_early = segmented;
  return ok;
}

void
on_segmented (StudioViewer *viewer)
{
  segmented = studio_viewer_get_segmentation (viewer) != NULL;
}

/* Waits for the viewer to show the segmentation of the current image. */
StudioSegmentation *
wait_for_segmentation (StudioViewer *viewer)
{
  StudioSegmentation *segmentation;
  g_autofree char *title = NULL;

  if (!segmented_early)
    segmented = FALSE;
  segmented_early = FALSE;
  g_assert_true (studio_test_wait_for (&segmented, 120));
  segmentation = studio_viewer_get_segmentation (viewer);
  g_assert_nonnull (segmentation);
  studio_test_spin (0.3);
  return segmentation;
}

/* An image pixel whose 7×7 neighbourhood has one class other than background, so that the
 * scaled overlay shows exactly that class's colour there. */
gboolean
find_uniform_pixel (StudioSegmentation *segmentation,
                    const guint8       *map,
                    int                *out_x,
                    int                *out_y)
{
  int width = studio_segmentation_get_width (segmentation);
  int height = studio_segmentation_get_height (segmentation);

  for (int y = 3; y < height - 3; y += 2)
    for (int x = 3; x < width - 3; x += 2)
      {
        guint8 c = map[(gsize) y * width + x];
        gboolean uniform = c != 0 && c != 255;

        for (int dy = -3; dy <= 3 && uniform; dy++)
          for (int dx = -3; dx <= 3 && uniform; dx++)
            uniform = map[(gsize) (y + dy) * width + x + dx] == c;
        if (uniform)
          {
            *out_x = x;
            *out_y = y;
            return TRUE;
          }
      }
  return FALSE;
}

/* The window pixel showing image pixel (x, y). */
void
window_point (StudioImageView *view,
              int              x,
              int              y,
              int             *wx,
              int             *wy)
{
  graphene_point_t point;
  double zoom = studio_image_view_get_zoom (view);
  int ix, iy;

  /* search the widget pixel whose image pixel is (x, y), at its centre */
  for (int py = 0; py < gtk_widget_get_height (GTK_WIDGET (view)); py++)
    for (int px = 0; px < gtk_widget_get_width (GTK_WIDGET (view)); px++)
      if (studio_image_view_widget_to_image (view, px + 0.5, py + 0.5, &ix, &iy) &&
          ix == x && iy == y)
        {
          g_assert_true (gtk_widget_compute_point (GTK_WIDGET (view), GTK_WIDGET (window),
                                                   &GRAPHENE_POINT_INIT (px + zoom / 2, py + zoom / 2),
                                                   &point));
          *wx = (int) point.x;
          *wy = (int) point.y;
          return;
        }
  g_assert_not_reached ();
}

void
assert_colour_near (const guint8 *got,
                    const guint8 *want,
                    int           tolerance)
{
  for (int c = 0; c < 3; c++)
    if (abs ((int) got[c] - (int) want[c]) > tolerance)
      g_error ("pixel is %d,%d,%d; expected %d,%d,%d (±%d)", got[0], got[1], got[2], want[0],
               want[1], want[2], tolerance);
}

static gboolean model_loaded;

static void
on_model_loaded (StudioWorker *worker)
{
  model_loaded = TRUE;
}

void
load_model (const char *path)
{
  StudioWorker *worker = studio_application_get_worker (app);
  gulong id = g_signal_connect (worker, "model-loaded", G_CALLBACK (on_model_loaded), NULL);

  model_loaded = FALSE;
  studio_worker_load_model (worker, path);
  g_assert_true (studio_test_wait_for (&model_loaded, 60));
  g_signal_handler_disconnect (worker, id);
}
