/* screenshots.c: the README's and the metainfo's screenshots, taken from the real app
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Run through tools/screenshots.sh, which builds it and gives it an Xvfb display:
 *   tools/screenshots.sh [OUTPUT_DIR]   (default docs/images)
 * Writes screenshot-viewer.png (a VOC val image with its overlay and legend) and
 * screenshot-training.png (the dashboard a few epochs into a short run on the VOC subset).
 */

#include "config.h"

#include <glib/gstdio.h>

#include "app/studio-application.h"
#include "app/studio-dashboard.h"
#include "app/studio-viewer.h"
#include "app/studio-window.h"
#include "studio-test-util.h"

static void
save_window (GtkWidget  *window,
             const char *path)
{
  g_autoptr(GdkTexture) texture = studio_test_render_texture (window);

  if (!gdk_texture_save_to_png (texture, path))
    g_error ("cannot write %s", path);
  g_print ("%s\n", path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(StudioApplication) app = NULL;
  const char *out_dir = argc > 1 ? argv[1] : "docs/images";
  const char *root = g_getenv ("VOC2007_ROOT");
  g_autofree char *viewer_png = g_build_filename (out_dir, "screenshot-viewer.png", NULL);
  g_autofree char *training_png = g_build_filename (out_dir, "screenshot-training.png", NULL);
  g_autofree char *run_dir = NULL;
  StudioWindow *window;
  StudioViewer *viewer;
  StudioDashboard *dashboard;
  UnetTrainOptions options;

  if (root == NULL)
    root = "../shared/voc2007/VOCdevkit";
  gtk_init ();
  adw_init ();

  app = studio_test_application_new ();
  window = studio_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  studio_test_spin (1.0);

  /* the viewer on a val image of the VOC subset, one with several classes */
  viewer = STUDIO_VIEWER (studio_test_find_child (GTK_WIDGET (window), STUDIO_TYPE_VIEWER));
  studio_window_open_dataset (window, root, "val");
  studio_viewer_set_position (viewer, g_getenv ("SCREENSHOT_IMAGE") != NULL
                                      ? atoi (g_getenv ("SCREENSHOT_IMAGE")) : 2);
  studio_test_spin (8.0);
  save_window (GTK_WIDGET (window), viewer_png);

  /* the dashboard during a short run */
  dashboard = STUDIO_DASHBOARD (studio_test_find_child (GTK_WIDGET (window), STUDIO_TYPE_DASHBOARD));
  run_dir = g_dir_make_tmp ("unet-studio-screenshot-XXXXXX", &error);
  g_assert_no_error (error);
  unet_train_options_init_default (&options);
  g_free (options.dataset);
  options.dataset = g_strdup (root);
  options.skip_bad = TRUE;
  options.model.padding = UNET_PADDING_SAME;
  options.model.norm = UNET_NORM_BATCH;
  options.model.base = 8;
  options.model.depth = 3;
  options.tile = 128;
  options.batch = 4;
  options.epochs = 400;
  options.momentum = 0.9;
  options.lr = 0.02;
  options.val_every = 2;
  g_free (options.output_dir);
  options.output_dir = g_strdup (run_dir);
  studio_dashboard_set_options (dashboard, &options);
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-page", g_variant_new_string ("training"));
  if (!studio_dashboard_start (dashboard, &error))
    g_error ("%s", error->message);
  studio_test_spin (g_getenv ("SCREENSHOT_SECONDS") != NULL ? atof (g_getenv ("SCREENSHOT_SECONDS")) : 90.0);
  save_window (GTK_WIDGET (window), training_png);

  studio_dashboard_stop (dashboard);
  studio_test_spin (3.0);
  unet_train_options_clear (&options);
  gtk_window_destroy (GTK_WINDOW (window));
  studio_test_spin (0.5);
  return 0;
}
