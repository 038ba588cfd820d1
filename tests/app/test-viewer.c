/* test-viewer.c: the viewer in a real window
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>

#include "voc/voc.h"

#include "app/studio-application.h"
#include "app/studio-dashboard.h"
#include "app/studio-dataset-summary.h"
#include "app/studio-export.h"
#include "app/studio-image-view.h"
#include "app/studio-legend.h"
#include "app/studio-viewer.h"
#include "app/studio-viewer-private.h"
#include "app/studio-window.h"
#include "app/studio-worker-private.h"
#include "studio-test-util.h"
#include "voc-test-util.h"

static StudioApplication *app;
static StudioWindow *window;
static char *tmp_dir;

static const char *
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

static char *
image_path (const char *id)
{
  g_autofree char *name = g_strconcat (id, ".jpg", NULL);

  return g_build_filename (voc_root (), "VOC2007", "JPEGImages", name, NULL);
}

static StudioViewer *
get_viewer (void)
{
  GtkWidget *viewer = studio_test_find_child (GTK_WIDGET (window), STUDIO_TYPE_VIEWER);

  g_assert_nonnull (viewer);
  return STUDIO_VIEWER (viewer);
}

static GtkWidget *
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
static gboolean
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

static void
on_segmented (StudioViewer *viewer)
{
  segmented = studio_viewer_get_segmentation (viewer) != NULL;
}

/* Waits for the viewer to show the segmentation of the current image. */
static StudioSegmentation *
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
static gboolean
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
static void
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

static void
assert_colour_near (const guint8 *got,
                    const guint8 *want,
                    int           tolerance)
{
  for (int c = 0; c < 3; c++)
    if (abs ((int) got[c] - (int) want[c]) > tolerance)
      g_error ("pixel is %d,%d,%d; expected %d,%d,%d (±%d)", got[0], got[1], got[2], want[0],
               want[1], want[2], tolerance);
}

static void
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
static void
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

/* A plain folder of the user's own: masks of 0 and 255 (binary), which the truth view shows as
 * the two classes, not as class 0 and void. */
/* A plain folder of two 32×32 grey slices whose binary masks (0 and 255) hold a 16×16 cell in
 * the middle, with classes.txt naming membrane and cell. */
static char *
write_binary_folder (void)
{
  char *dir = g_build_filename (tmp_dir, "binary", NULL);
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_autofree char *masks = g_build_filename (dir, "masks", NULL);
  g_autofree char *classes_path = g_build_filename (dir, "classes.txt", NULL);
  g_autoptr(GdkPixbuf) image = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 32, 32);
  g_autoptr(GdkPixbuf) mask = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 32, 32);
  g_autoptr(GdkPixbuf) cell = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (masks, 0755), ==, 0);
  g_assert_true (g_file_set_contents (classes_path, "membrane\ncell\n", -1, &error));
  gdk_pixbuf_fill (image, 0x404040ff);
  gdk_pixbuf_fill (mask, 0x000000ff);
  cell = gdk_pixbuf_new_subpixbuf (mask, 8, 8, 16, 16);
  gdk_pixbuf_fill (cell, 0xffffffff);
  /* two images: a plain folder's val split takes a fifth, and at least one of two */
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *name = g_strdup_printf ("slice%d.png", i);
      g_autofree char *image_path = g_build_filename (images, name, NULL);
      g_autofree char *mask_path = g_build_filename (masks, name, NULL);

      g_assert_true (gdk_pixbuf_save (image, image_path, "png", &error, NULL));
      g_assert_true (gdk_pixbuf_save (mask, mask_path, "png", &error, NULL));
      g_assert_no_error (error);
    }
  return dir;
}

/* The truth masks of a plain folder with binary masks read as its two classes. */
static void
test_viewer_binary_truth (void)
{
  StudioViewer *viewer = get_viewer ();
  g_autofree char *dir = write_binary_folder ();
  g_autoptr(GError) error = NULL;
  StudioSegmentation *segmentation;
  const guint8 *truth;
  guint counts[256] = { 0 };

  open_dataset (viewer, dir, NULL, &error);
  g_assert_no_error (error);
  segmentation = wait_for_segmentation (viewer);
  truth = studio_segmentation_get_truth (segmentation);
  g_assert_nonnull (truth);
  for (int i = 0; i < 32 * 32; i++)
    counts[truth[i]]++;
  g_assert_cmpuint (counts[1], ==, 16 * 16);
  g_assert_cmpuint (counts[0], ==, 32 * 32 - 16 * 16);
  g_assert_cmpuint (counts[255], ==, 0);

  /* the sidebar shows the dataset's classes, their colours and shares, nothing to warn of */
  {
    StudioDatasetSummary *summary = STUDIO_DATASET_SUMMARY (studio_test_find_child (GTK_WIDGET (viewer), STUDIO_TYPE_DATASET_SUMMARY));
    g_autofree char *first = NULL, *second = NULL;
    gboolean ready = FALSE;

    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (summary)));
    for (int i = 0; i < 600 && !ready; i++)
      {
        studio_test_spin (0.05);
        ready = studio_dataset_summary_is_ready (summary);
      }
    g_assert_true (ready);
    g_assert_cmpuint (studio_dataset_summary_get_n_rows (summary), ==, 2);
    first = studio_dataset_summary_get_row_text (summary, 0);
    second = studio_dataset_summary_get_row_text (summary, 1);
    g_assert_cmpstr (first, ==, "membrane 75.0 %");
    g_assert_cmpstr (second, ==, "cell 25.0 %");
    g_assert_cmpuint (studio_dataset_summary_get_n_warnings (summary), ==, 0);
  }
  g_assert_true (open_dataset (viewer, voc_root (), "val", &error));
  g_assert_no_error (error);
  voc_test_rm_rf (dir);
}

static gboolean model_loaded;

static void
on_model_loaded (StudioWorker *worker)
{
  model_loaded = TRUE;
}

static void
load_model (const char *path)
{
  StudioWorker *worker = studio_application_get_worker (app);
  gulong id = g_signal_connect (worker, "model-loaded", G_CALLBACK (on_model_loaded), NULL);

  model_loaded = FALSE;
  studio_worker_load_model (worker, path);
  g_assert_true (studio_test_wait_for (&model_loaded, 60));
  g_signal_handler_disconnect (worker, id);
}

/* A model with the user's classes (two or three), names and colours: the overlay, the hover
 * text, the legend and every export use them, never VOC's. */
static void
test_viewer_own_model (gconstpointer data)
{
  int n = GPOINTER_TO_INT (data);
  StudioViewer *viewer = get_viewer ();
  StudioImageView *view = STUDIO_IMAGE_VIEW (studio_test_find_child (GTK_WIDGET (viewer), STUDIO_TYPE_IMAGE_VIEW));
  GtkWidget *hover = find_by_css_class (GTK_WIDGET (viewer), "hover-label");
  /* a slash in a name must not make the class mask's file name a path */
  const char *const all_names[] = { "membrane", "cell/wall", "mitochondrion", NULL };
  const guint8 colours[9] = { 250, 20, 200, 30, 220, 90, 20, 40, 240 };
  g_auto(GStrv) names = g_strdupv ((char **) all_names);
  g_autofree char *dir = write_binary_folder ();
  g_autofree char *model_path = g_build_filename (tmp_dir, "own-classes.safetensors", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "own-classes-export", NULL);
  g_autofree char *legend_png = g_build_filename (out, "legend.png", NULL);
  g_autofree char *stem = NULL, *mask_path = NULL, *overlay_path = NULL;
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(GdkPixbuf) mask_pixbuf = NULL, overlay_pixbuf = NULL, legend_pixbuf = NULL;
  StudioLegend *legend = STUDIO_LEGEND (studio_test_find_child (GTK_WIDGET (viewer), STUDIO_TYPE_LEGEND));
  g_autoptr(GError) error = NULL;
  StudioSegmentation *segmentation;
  const guint8 *classes, *palette;
  const guint64 *counts;
  UnetConfig config;
  int n_class_masks = 0;

  unet_config_init_default (&config);
  config.depth = 2;
  config.base = 8;
  config.classes = n;
  config.padding = UNET_PADDING_SAME;
  config.dropout = 0.0f;
  model = unet_model_new (&config, &error);
  g_assert_no_error (error);
  unet_model_init_weights (model, 11);
  g_clear_pointer (&names[n], g_free);
  unet_model_set_classes (model, (const char *const *) names, colours);
  g_assert_true (unet_model_save (model, model_path, &error));
  g_assert_no_error (error);

  load_model (model_path);
  palette = studio_viewer_get_palette (viewer);
  g_assert_cmpmem (palette, 3 * n, colours, 3 * n);
  g_assert_true (open_dataset (viewer, dir, NULL, &error));
  g_assert_no_error (error);
  segmentation = wait_for_segmentation (viewer);
  g_assert_cmpint (studio_segmentation_get_n_classes (segmentation), ==, n);
  g_assert_cmpstrv (studio_segmentation_get_class_names (segmentation), (const char *const *) names);
  classes = studio_segmentation_get_classes (segmentation);
  counts = studio_segmentation_get_counts (segmentation);

  /* hovering the cell in the middle names the model's class there and the truth's */
  g_signal_emit_by_name (view, "hover", 16, 16);
  {
    g_autofree char *expected = g_strdup_printf ("%s · %.0f %% (truth: cell/wall)", names[classes[16 * 32 + 16]],
                                                 studio_segmentation_get_probability (segmentation, 16, 16, -1) * 100.0);

    g_assert_true (gtk_widget_get_visible (hover));
    g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (hover)), ==, expected);
  }
  g_signal_emit_by_name (view, "hover", 0, 0);
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (hover)), "(truth: membrane)"));
  g_signal_emit_by_name (view, "hover", -1, -1);

  /* the exports, as the viewer makes them: at full opacity the overlay is the class colours */
  g_assert_true (studio_export_segmentation (segmentation, out,
                                             STUDIO_EXPORT_MASK | STUDIO_EXPORT_OVERLAY |
                                             STUDIO_EXPORT_CLASS_MASKS | STUDIO_EXPORT_LEGEND,
                                             palette, 1.0, &error));
  g_assert_no_error (error);
  stem = studio_export_stem (studio_segmentation_get_image_path (segmentation));
  mask_path = g_strdup_printf ("%s/%s.png", out, stem);
  overlay_path = g_strdup_printf ("%s/%s-overlay.png", out, stem);
  /* the mask holds class numbers, its palette the model's colours (what a viewer shows) */
  {
    g_autofree guint8 *values = NULL;
    int width, height;

    values = voc_mask_load (mask_path, &width, &height, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (values, 32 * 32, classes, 32 * 32);
  }
  mask_pixbuf = gdk_pixbuf_new_from_file (mask_path, &error);
  g_assert_no_error (error);
  overlay_pixbuf = gdk_pixbuf_new_from_file (overlay_path, &error);
  g_assert_no_error (error);
  for (int y = 0; y < 32; y++)
    for (int x = 0; x < 32; x++)
      {
        const guint8 *expected = colours + 3 * classes[y * 32 + x];
        const guint8 *shown = gdk_pixbuf_read_pixels (mask_pixbuf) +
                              y * gdk_pixbuf_get_rowstride (mask_pixbuf) +
                              x * gdk_pixbuf_get_n_channels (mask_pixbuf);
        const guint8 *blended = gdk_pixbuf_read_pixels (overlay_pixbuf) +
                                y * gdk_pixbuf_get_rowstride (overlay_pixbuf) +
                                x * gdk_pixbuf_get_n_channels (overlay_pixbuf);

        g_assert_cmpmem (shown, 3, expected, 3);
        g_assert_cmpmem (blended, 3, expected, 3);
      }
  /* a mask per class present, named by the model's class */
  for (int c = 0; c < n; c++)
    {
      const char *const file_names[] = { "membrane", "cell_wall", "mitochondrion" };
      g_autofree char *path = g_strdup_printf ("%s/%s-%s.png", out, stem, file_names[c]);

      g_assert_cmpint (g_file_test (path, G_FILE_TEST_EXISTS), ==, counts[c] > 0);
      n_class_masks += counts[c] > 0;
    }
  g_assert_cmpint (n_class_masks, >, 0);
  /* the legend lists the classes present and draws their colours */
  g_assert_true (studio_export_legend (segmentation, legend_png, palette, &error));
  g_assert_no_error (error);
  legend_pixbuf = gdk_pixbuf_new_from_file (legend_png, &error);
  g_assert_no_error (error);
  for (int c = 0; c < n; c++)
    {
      int width = gdk_pixbuf_get_width (legend_pixbuf);
      int height = gdk_pixbuf_get_height (legend_pixbuf);
      int channels = gdk_pixbuf_get_n_channels (legend_pixbuf);
      int stride = gdk_pixbuf_get_rowstride (legend_pixbuf);
      const guint8 *pixels = gdk_pixbuf_read_pixels (legend_pixbuf);
      int swatch = 0;

      for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
          swatch += memcmp (pixels + y * stride + x * channels, colours + 3 * c, 3) == 0;
      g_assert_cmpint (swatch > 20, ==, counts[c] > 0);
    }
  {
    guint present = 0;

    for (int c = 0; c < n; c++)
      present += counts[c] > 0;
    g_assert_cmpuint (studio_legend_get_n_rows (legend), ==, present);
  }

  /* back to the default model and VOC for the tests after this one */
  load_model (g_getenv ("UNET_DEFAULT_MODEL"));
  g_assert_true (open_dataset (viewer, voc_root (), "val", &error));
  g_assert_no_error (error);
  wait_for_segmentation (viewer);
  voc_test_rm_rf (dir);
  voc_test_rm_rf (out);
}

static void
test_viewer_dataset (void)
{
  StudioViewer *viewer = get_viewer ();
  StudioImageView *view = STUDIO_IMAGE_VIEW (studio_test_find_child (GTK_WIDGET (viewer), STUDIO_TYPE_IMAGE_VIEW));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pixels = NULL;
  StudioSegmentation *segmentation;
  const guint8 *truth, *classes;
  double miou, accuracy;
  int width, height, x = -1, y = -1, wx, wy, w, h;
  guint8 got[3];
  const guint8 red[3] = { 237, 51, 59 };

  g_assert_true (open_dataset (viewer, voc_root (), "val", &error));
  g_assert_no_error (error);
  /* the subset holds 16 of the official list's val images */
  g_assert_cmpuint (studio_viewer_get_n_images (viewer), ==, 16);
  segmentation = wait_for_segmentation (viewer);
  truth = studio_segmentation_get_truth (segmentation);
  g_assert_nonnull (truth);
  g_assert_true (studio_segmentation_get_scores (segmentation, &miou, &accuracy));
  g_assert_cmpfloat (miou, >=, 0.0);
  g_assert_cmpfloat (accuracy, <=, 1.0);

  /* errors: red where prediction and truth disagree */
  width = studio_segmentation_get_width (segmentation);
  height = studio_segmentation_get_height (segmentation);
  classes = studio_segmentation_get_classes (segmentation);
  {
    g_autofree guint8 *wrong = g_new0 (guint8, (gsize) width * height);

    for (gsize i = 0; i < (gsize) width * height; i++)
      wrong[i] = truth[i] < 21 && truth[i] != classes[i] ? 1 : 0;
    g_assert_true (find_uniform_pixel (segmentation, wrong, &x, &y));
  }
  g_settings_set_double (studio_application_get_settings (app), "overlay-opacity", 1.0);
  g_action_group_activate_action (G_ACTION_GROUP (window), "view-mode", g_variant_new_string ("errors"));
  g_assert_cmpint (studio_viewer_get_view_mode (viewer), ==, STUDIO_VIEW_MODE_ERRORS);
  studio_test_spin (0.3);
  window_point (view, x, y, &wx, &wy);
  pixels = studio_test_render (GTK_WIDGET (window), &w, &h);
  studio_test_pixel (pixels, w, wx, wy, got);
  assert_colour_near (got, red, 6);
  g_action_group_activate_action (G_ACTION_GROUP (window), "view-mode",
                                  g_variant_new_string ("prediction"));
  g_settings_set_double (studio_application_get_settings (app), "overlay-opacity", 0.6);

  /* the dataset is remembered for next time */
  {
    g_auto(GStrv) recent = g_settings_get_strv (studio_application_get_settings (app), "recent-datasets");

    g_assert_cmpstr (recent[0], ==, voc_root ());
  }
}

/* Switching quickly: only the last image's result is shown; stale work is dropped. */
static void
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

static void
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
static void
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
static void
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

/* One image's exports run on a thread, show progress, and never replace their input. */
static void
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
