/* test-viewer-overlay.c: the overlay on a photo — class colours, the legend, hover, the
 * confidence view, zoom — and the overlay drawn on a thread
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "voc/voc.h"

#include "app/studio-application.h"
#include "app/studio-image-view.h"
#include "app/studio-legend.h"
#include "app/studio-viewer.h"
#include "app/studio-viewer-private.h"
#include "app/studio-window.h"
#include "studio-test-util.h"
#include "test-viewer.h"

static char *
image_path (const char *id)
{
  g_autofree char *name = g_strconcat (id, ".jpg", NULL);

  return g_build_filename (voc_root (), "VOC2007", "JPEGImages", name, NULL);
}

/* The overlay layer's RGBA at an image pixel. */
static void
overlay_pixel (StudioImageView *view,
               int              x,
               int              y,
               guint8           rgba[4])
{
  GdkTexture *overlay = studio_image_view_get_overlay (view);
  int width = gdk_texture_get_width (overlay);
  g_autofree guint8 *data = g_malloc ((gsize) width * 4 * gdk_texture_get_height (overlay));
  const guint8 *p;

  gdk_texture_download (overlay, data, (gsize) width * 4);
  /* B,G,R,A in memory */
  p = data + ((gsize) y * width + x) * 4;
  rgba[0] = p[2];
  rgba[1] = p[1];
  rgba[2] = p[0];
  rgba[3] = p[3];
}

void
test_viewer_overlay (void)
{
  StudioViewer *viewer = get_viewer ();
  StudioImageView *view = STUDIO_IMAGE_VIEW (studio_test_find_child (GTK_WIDGET (viewer), STUDIO_TYPE_IMAGE_VIEW));
  StudioLegend *legend = STUDIO_LEGEND (studio_test_find_child (GTK_WIDGET (viewer), STUDIO_TYPE_LEGEND));
  GSettings *settings = studio_application_get_settings (app);
  g_autofree char *path = image_path ("000032");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GBytes) pixels = NULL;
  StudioSegmentation *segmentation;
  const guint8 *classes, *rgb;
  const guint64 *counts;
  guint8 got[3];
  const guint8 *palette = voc_colormap_table ();
  int x, y, wx, wy, width, window_width, window_height;
  guint n_present = 0;

  studio_window_open_files (window, &file, 1);
  segmentation = wait_for_segmentation (viewer);
  g_assert_cmpstr (studio_segmentation_get_image_path (segmentation), ==, path);
  g_assert_cmpint (studio_segmentation_get_width (segmentation), ==, 500);
  g_assert_cmpint (studio_segmentation_get_height (segmentation), ==, 281);
  /* one file opened: its folder is browsed */
  g_assert_cmpuint (studio_viewer_get_n_images (viewer), >, 1);

  /* the legend lists exactly the classes present, largest share first */
  counts = studio_segmentation_get_counts (segmentation);
  for (int c = 0; c < studio_segmentation_get_n_classes (segmentation); c++)
    n_present += counts[c] > 0;
  g_assert_cmpuint (studio_legend_get_n_rows (legend), ==, n_present);
  for (guint i = 1; i < studio_legend_get_n_rows (legend); i++)
    g_assert_cmpuint (counts[studio_legend_get_row_class (legend, i - 1)], >=,
                      counts[studio_legend_get_row_class (legend, i)]);

  /* opaque overlay: the window shows the class colour, at a pixel inside a region of one
   * foreground class (the next images are tried until one has such a region) */
  classes = studio_segmentation_get_classes (segmentation);
  for (guint i = 1; !find_uniform_pixel (segmentation, classes, &x, &y); i++)
    {
      g_assert_cmpuint (i, <, studio_viewer_get_n_images (viewer));
      studio_viewer_next (viewer);
      segmentation = wait_for_segmentation (viewer);
      classes = studio_segmentation_get_classes (segmentation);
    }
  width = studio_segmentation_get_width (segmentation);
  rgb = studio_segmentation_get_rgb (segmentation);
  g_settings_set_double (settings, "overlay-opacity", 1.0);
  studio_test_spin (0.3);
  window_point (view, x, y, &wx, &wy);
  pixels = studio_test_render (GTK_WIDGET (window), &window_width, &window_height);
  studio_test_pixel (pixels, window_width, wx, wy, got);
  assert_colour_near (got, palette + classes[(gsize) y * width + x] * 3, 6);
  g_clear_pointer (&pixels, g_bytes_unref);

  /* hiding that class in the legend shows the photo there again */
  studio_legend_set_class_visible (legend, classes[(gsize) y * width + x], FALSE);
  studio_test_spin (0.3);
  pixels = studio_test_render (GTK_WIDGET (window), &window_width, &window_height);
  studio_test_pixel (pixels, window_width, wx, wy, got);
  /* the photo is scaled with a linear filter: compare with a loose bound */
  assert_colour_near (got, rgb + ((gsize) y * width + x) * 3, 40);
  g_clear_pointer (&pixels, g_bytes_unref);
  studio_legend_set_class_visible (legend, classes[(gsize) y * width + x], TRUE);

  /* transparent overlay: the photo */
  g_settings_set_double (settings, "overlay-opacity", 0.0);
  studio_test_spin (0.3);
  pixels = studio_test_render (GTK_WIDGET (window), &window_width, &window_height);
  studio_test_pixel (pixels, window_width, wx, wy, got);
  assert_colour_near (got, rgb + ((gsize) y * width + x) * 3, 40);
  g_clear_pointer (&pixels, g_bytes_unref);
  g_settings_set_double (settings, "overlay-opacity", 0.6);

  /* hovering names the class under the pointer with its probability */
  g_signal_emit_by_name (view, "hover", x, y);
  {
    GtkWidget *label = find_by_css_class (GTK_WIDGET (viewer), "hover-label");
    g_autofree char *expected = NULL;
    const char *const *names = studio_segmentation_get_class_names (segmentation);

    g_assert_nonnull (label);
    g_assert_true (gtk_widget_get_visible (label));
    expected = g_strdup_printf ("%s · %.0f %%", names[classes[(gsize) y * width + x]],
                                studio_segmentation_get_probability (segmentation, x, y, -1) * 100.0);
    g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (label)), ==, expected);
  }
  g_signal_emit_by_name (view, "hover", -1, -1);

  /* the confidence view: a heat map of the predicted class's probability, or of a chosen
   * class's; at a pixel of class c, choosing c draws what "predicted class" draws, and a class
   * the model finds less likely there draws darker */
  studio_viewer_set_view_mode (viewer, STUDIO_VIEW_MODE_CONFIDENCE);
  {
    GtkDropDown *dropdown = GTK_DROP_DOWN (studio_test_find_child (GTK_WIDGET (viewer),
                                                                  GTK_TYPE_DROP_DOWN));
    int c = classes[(gsize) y * width + x], other = c == 0 ? 1 : 0;
    guint8 predicted[4], chosen[4], unlikely[4];

    g_assert_nonnull (dropdown);
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dropdown)));
    g_assert_cmpuint (gtk_drop_down_get_selected (dropdown), ==, 0);
    overlay_pixel (view, x, y, predicted);
    gtk_drop_down_set_selected (dropdown, c + 1);
    overlay_pixel (view, x, y, chosen);
    g_assert_cmpmem (predicted, 4, chosen, 4);
    g_assert_cmpfloat (studio_segmentation_get_probability (segmentation, x, y, other), <,
                       studio_segmentation_get_probability (segmentation, x, y, c));
    gtk_drop_down_set_selected (dropdown, other + 1);
    overlay_pixel (view, x, y, unlikely);
    g_assert_cmpint (unlikely[0] + unlikely[1] + unlikely[2], <, predicted[0] + predicted[1] + predicted[2]);
    gtk_drop_down_set_selected (dropdown, 0);
  }
  studio_viewer_set_view_mode (viewer, STUDIO_VIEW_MODE_PREDICTION);

  /* zoom: 100 % and back to fit */
  studio_viewer_zoom_original (viewer);
  g_assert_cmpfloat_with_epsilon (studio_image_view_get_zoom (view), 1.0, 1e-9);
  studio_viewer_zoom_in (viewer);
  g_assert_cmpfloat (studio_image_view_get_zoom (view), >, 1.0);
  studio_viewer_zoom_fit (viewer);
  g_assert_true (studio_image_view_get_fit (view));
}

/* The overlay on show, as bytes (NULL when there is none). */
static GBytes *
overlay_bytes (StudioImageView *view)
{
  GdkTexture *overlay = studio_image_view_get_overlay (view);
  gsize stride;
  guint8 *data;

  if (overlay == NULL)
    return NULL;
  stride = (gsize) gdk_texture_get_width (overlay) * 4;
  data = g_malloc (stride * gdk_texture_get_height (overlay));
  gdk_texture_download (overlay, data, stride);
  return g_bytes_new_take (data, stride * gdk_texture_get_height (overlay));
}

static gboolean shown_without_overlay;

/* When a segmentation is shown, whether it is shown without an overlay, drawing one. */
static void
on_shown (StudioViewer    *viewer,
          GParamSpec      *pspec,
          StudioImageView *view)
{
  shown_without_overlay = studio_image_view_get_overlay (view) == NULL &&
                          studio_viewer_is_drawing_overlay (viewer);
}

static void
wait_for_overlay (StudioViewer *viewer)
{
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (studio_viewer_is_drawing_overlay (viewer) && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  g_assert_false (studio_viewer_is_drawing_overlay (viewer));
}

/* A large image's overlay is drawn on a thread: the window keeps the overlay it shows until
 * the new one is ready (never another image's), a newer view replaces a drawing under way,
 * and what arrives is what drawing on the spot gives. The threshold is set to 0 so that an
 * ordinary photo takes the large images' way. */
void
test_viewer_overlay_thread (void)
{
  StudioViewer *viewer = get_viewer ();
  StudioImageView *view = STUDIO_IMAGE_VIEW (studio_test_find_child (GTK_WIDGET (viewer), STUDIO_TYPE_IMAGE_VIEW));
  g_autofree char *path = image_path ("000032");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GBytes) prediction = NULL;
  g_autoptr(GBytes) confidence = NULL;
  g_autoptr(GBytes) got = NULL;
  StudioSegmentation *segmentation;
  gulong handler;

  studio_window_open_files (window, &file, 1);
  segmentation = wait_for_segmentation (viewer);
  g_assert_cmpstr (studio_segmentation_get_image_path (segmentation), ==, path);
  g_assert_false (studio_viewer_is_drawing_overlay (viewer));
  studio_viewer_set_view_mode (viewer, STUDIO_VIEW_MODE_PREDICTION);
  prediction = overlay_bytes (view);
  studio_viewer_set_view_mode (viewer, STUDIO_VIEW_MODE_CONFIDENCE);
  confidence = overlay_bytes (view);
  g_assert_nonnull (prediction);
  g_assert_false (g_bytes_equal (prediction, confidence));

  studio_viewer_set_sync_overlay_max_pixels (viewer, 0);
  studio_viewer_set_view_mode (viewer, STUDIO_VIEW_MODE_PREDICTION);
  g_assert_true (studio_viewer_is_drawing_overlay (viewer));
  got = overlay_bytes (view);
  g_assert_true (g_bytes_equal (got, confidence));
  g_clear_pointer (&got, g_bytes_unref);
  wait_for_overlay (viewer);
  got = overlay_bytes (view);
  g_assert_true (g_bytes_equal (got, prediction));
  g_clear_pointer (&got, g_bytes_unref);

  /* two changes in a row: the second wins */
  studio_viewer_set_view_mode (viewer, STUDIO_VIEW_MODE_CONFIDENCE);
  studio_viewer_set_view_mode (viewer, STUDIO_VIEW_MODE_PREDICTION);
  studio_viewer_set_view_mode (viewer, STUDIO_VIEW_MODE_CONFIDENCE);
  wait_for_overlay (viewer);
  studio_test_spin (0.3);
  got = overlay_bytes (view);
  g_assert_true (g_bytes_equal (got, confidence));
  g_clear_pointer (&got, g_bytes_unref);

  /* the next image: no overlay until its own is drawn, then one of its size */
  handler = g_signal_connect (viewer, "notify::has-segmentation", G_CALLBACK (on_shown), view);
  studio_viewer_next (viewer);
  segmentation = wait_for_segmentation (viewer);
  g_signal_handler_disconnect (viewer, handler);
  g_assert_true (shown_without_overlay);
  wait_for_overlay (viewer);
  got = overlay_bytes (view);
  g_assert_nonnull (got);
  g_assert_cmpuint (g_bytes_get_size (got), ==,
                    (gsize) studio_segmentation_get_width (segmentation) *
                    studio_segmentation_get_height (segmentation) * 4);

  studio_viewer_set_view_mode (viewer, STUDIO_VIEW_MODE_PREDICTION);
  wait_for_overlay (viewer);
  studio_viewer_set_sync_overlay_max_pixels (viewer, STUDIO_VIEWER_SYNC_OVERLAY_MAX_PIXELS);
}
