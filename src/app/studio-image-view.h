/* studio-image-view.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define STUDIO_TYPE_IMAGE_VIEW (studio_image_view_get_type ())

G_DECLARE_FINAL_TYPE (StudioImageView, studio_image_view, STUDIO, IMAGE_VIEW, GtkWidget)

/* An image with a semi-transparent layer over it, zoomed and panned with the mouse, the scroll
 * wheel, pinch gestures or the keyboard.
 *
 * Properties: "texture", "overlay" (a texture the image's size, or NULL), "overlay-opacity",
 * "zoom" (1 = one image pixel per logical pixel), "fit" (zoom follows the widget's size).
 * Signal "hover" (int x, int y): the image pixel under the pointer, or -1, -1. */
GtkWidget  *studio_image_view_new                 (void);

void        studio_image_view_set_texture         (StudioImageView *self,
                                                   GdkTexture      *texture);
GdkTexture *studio_image_view_get_texture         (StudioImageView *self);
void        studio_image_view_set_overlay         (StudioImageView *self,
                                                   GdkTexture      *overlay);
GdkTexture *studio_image_view_get_overlay         (StudioImageView *self);
void        studio_image_view_set_overlay_opacity (StudioImageView *self,
                                                   double           opacity);
double      studio_image_view_get_overlay_opacity (StudioImageView *self);

double      studio_image_view_get_zoom            (StudioImageView *self);
/* Zooms about the widget's centre; leaves fit mode. */
void        studio_image_view_set_zoom            (StudioImageView *self,
                                                   double           zoom);
gboolean    studio_image_view_get_fit             (StudioImageView *self);
void        studio_image_view_set_fit             (StudioImageView *self,
                                                   gboolean         fit);
void        studio_image_view_zoom_in             (StudioImageView *self);
void        studio_image_view_zoom_out            (StudioImageView *self);

/* Image pixel under a widget point; FALSE outside the image. */
gboolean    studio_image_view_widget_to_image     (StudioImageView *self,
                                                   double           x,
                                                   double           y,
                                                   int             *image_x,
                                                   int             *image_y);

G_END_DECLS
