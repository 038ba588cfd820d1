/* test-viewer-dataset.c: datasets in the viewer — VOC's val split with its truth and errors,
 * a plain folder of binary masks, and a model of the user's own classes over it
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "voc/voc.h"

#include "app/studio-application.h"
#include "app/studio-dataset-summary.h"
#include "app/studio-export.h"
#include "app/studio-image-view.h"
#include "app/studio-legend.h"
#include "app/studio-viewer.h"
#include "app/studio-viewer-private.h"
#include "app/studio-window.h"
#include "studio-test-util.h"
#include "voc-test-util.h"
#include "test-viewer.h"

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
void
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

/* A model with the user's classes (two or three), names and colours: the overlay, the hover
 * text, the legend and every export use them, never VOC's. */
void
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

void
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
