/* studio-test-util.h: what the UI tests share
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "unet/unet.h"

#include "app/studio-application.h"

/* The application as the programs run it, but not unique on a session bus (the tests have none)
 * and registered, so that its startup has run: settings, worker, the built-in model. */
static inline StudioApplication *
studio_test_application_new (void)
{
  g_autoptr(GError) error = NULL;
  StudioApplication *app = studio_application_new ();

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  return app;
}

/* Spins the default main context until *flag turns TRUE or the timeout passes. */
static inline gboolean
studio_test_wait_for (const gboolean *flag,
                      double          timeout_seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (timeout_seconds * G_USEC_PER_SEC);

  while (!*flag && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  return *flag;
}

/* Spins for a while, letting GTK lay out and draw. */
static inline void
studio_test_spin (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}

/* The first widget of this type below root, depth first. */
static inline GtkWidget *
studio_test_find_child (GtkWidget *root,
                        GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      if ((found = studio_test_find_child (child, type)) != NULL)
        return found;
    }
  return NULL;
}

/* The window as drawn, as a texture. */
static inline GdkTexture *
studio_test_render_texture (GtkWidget *window)
{
  GdkPaintable *paintable = gtk_widget_paintable_new (window);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  int width = gtk_widget_get_width (window);
  int height = gtk_widget_get_height (window);

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_object_unref (paintable);
  g_assert_nonnull (node);
  return gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                      &GRAPHENE_RECT_INIT (0, 0, width, height));
}

/* A small same-padding model with seeded random weights, written to dir: it predicts a mix of
 * classes, which is all the UI tests need from it. */
static inline char *
studio_test_write_model (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetModel) model = NULL;
  g_autofree char *path = g_build_filename (dir, "test-model.safetensors", NULL);
  UnetConfig config;

  unet_config_init_default (&config);
  config.depth = 2;
  config.base = 8;
  config.padding = UNET_PADDING_SAME;
  config.dropout = 0.0f;
  model = unet_model_new (&config, &error);
  g_assert_no_error (error);
  unet_model_init_weights (model, 7);
  g_assert_true (unet_model_save (model, path, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

/* The window as drawn, read back as RGBA bytes (rows of width * 4). */
static inline GBytes *
studio_test_render (GtkWidget *window,
                    int       *width,
                    int       *height)
{
  g_autoptr(GdkTexture) texture = studio_test_render_texture (window);
  guint8 *data;
  gsize stride;

  *width = gdk_texture_get_width (texture);
  *height = gdk_texture_get_height (texture);
  stride = (gsize) *width * 4;
  data = g_malloc (stride * *height);
  /* gdk_texture_download gives premultiplied B,G,R,A in memory (CAIRO_FORMAT_ARGB32) */
  gdk_texture_download (texture, data, stride);
  return g_bytes_new_take (data, stride * *height);
}

static inline void
studio_test_pixel (GBytes *pixels,
                   int     width,
                   int     x,
                   int     y,
                   guint8  rgb[3])
{
  const guint8 *data = g_bytes_get_data (pixels, NULL);
  const guint8 *p = data + ((gsize) y * width + x) * 4;

  rgb[0] = p[2];
  rgb[1] = p[1];
  rgb[2] = p[0];
}
