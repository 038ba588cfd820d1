/* studio-image-view.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "studio-image-view.h"

#define MIN_ZOOM  0.02
#define MAX_ZOOM  32.0
#define ZOOM_STEP 1.25

struct _StudioImageView
{
  GtkWidget   parent_instance;

  GdkTexture *texture;
  GdkTexture *overlay;
  double      overlay_opacity;

  gboolean    fit;
  double      zoom;
  /* The image point shown at the widget's centre, in image pixels. */
  double      center_x;
  double      center_y;

  /* pan and pinch state */
  double      drag_center_x;
  double      drag_center_y;
  double      gesture_zoom;
  int         hover_x;
  int         hover_y;
};

G_DEFINE_FINAL_TYPE (StudioImageView, studio_image_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TEXTURE,
  PROP_OVERLAY,
  PROP_OVERLAY_OPACITY,
  PROP_ZOOM,
  PROP_FIT,
  N_PROPS
};

enum {
  HOVER,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

GtkWidget *
studio_image_view_new (void)
{
  return g_object_new (STUDIO_TYPE_IMAGE_VIEW, NULL);
}

static double
fit_zoom (StudioImageView *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));
  int image_width, image_height;

  if (self->texture == NULL || width <= 0 || height <= 0)
    return 1.0;
  image_width = gdk_texture_get_width (self->texture);
  image_height = gdk_texture_get_height (self->texture);
  return CLAMP (MIN ((double) width / image_width, (double) height / image_height),
                MIN_ZOOM, MAX_ZOOM);
}

static double
effective_zoom (StudioImageView *self)
{
  return self->fit ? fit_zoom (self) : self->zoom;
}

/* The image's top-left corner in widget coordinates, snapped to whole pixels so the picture
 * does not blur while panning. */
static void
image_origin (StudioImageView *self,
              double          *x,
              double          *y)
{
  double zoom = effective_zoom (self);
  double cx = self->fit ? gdk_texture_get_width (self->texture) / 2.0 : self->center_x;
  double cy = self->fit ? gdk_texture_get_height (self->texture) / 2.0 : self->center_y;

  *x = round (gtk_widget_get_width (GTK_WIDGET (self)) / 2.0 - cx * zoom);
  *y = round (gtk_widget_get_height (GTK_WIDGET (self)) / 2.0 - cy * zoom);
}

static void
studio_image_view_snapshot (GtkWidget   *widget,
                            GtkSnapshot *snapshot)
{
  StudioImageView *self = STUDIO_IMAGE_VIEW (widget);
  double zoom, x, y;
  graphene_rect_t bounds;

  if (self->texture == NULL)
    return;

  zoom = effective_zoom (self);
  image_origin (self, &x, &y);
  graphene_rect_init (&bounds, x, y, gdk_texture_get_width (self->texture) * zoom,
                      gdk_texture_get_height (self->texture) * zoom);

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                                                         gtk_widget_get_height (widget)));
  gtk_snapshot_append_texture (snapshot, self->texture, &bounds);
  if (self->overlay != NULL && self->overlay_opacity > 0.0)
    {
      gtk_snapshot_push_opacity (snapshot, self->overlay_opacity);
      gtk_snapshot_append_texture (snapshot, self->overlay, &bounds);
      gtk_snapshot_pop (snapshot);
    }
  gtk_snapshot_pop (snapshot);
}

static void
studio_image_view_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  StudioImageView *self = STUDIO_IMAGE_VIEW (widget);

  *minimum = 64;
  if (self->texture == NULL)
    *natural = 64;
  else if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *natural = gdk_texture_get_width (self->texture);
  else
    *natural = gdk_texture_get_height (self->texture);
  /* an image smaller than the minimum (a 32-pixel tile, an EM crop) is shown zoomed */
  *natural = MAX (*natural, *minimum);
}

static void
studio_image_view_size_allocate (GtkWidget *widget,
                                 int        width,
                                 int        height,
                                 int        baseline)
{
  StudioImageView *self = STUDIO_IMAGE_VIEW (widget);

  /* a fitted image's zoom follows the widget's size */
  if (self->fit && self->texture != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

gboolean
studio_image_view_widget_to_image (StudioImageView *self,
                                   double           x,
                                   double           y,
                                   int             *image_x,
                                   int             *image_y)
{
  double zoom, origin_x, origin_y;
  int ix, iy;

  g_return_val_if_fail (STUDIO_IS_IMAGE_VIEW (self), FALSE);

  if (self->texture == NULL)
    return FALSE;
  zoom = effective_zoom (self);
  image_origin (self, &origin_x, &origin_y);
  ix = (int) floor ((x - origin_x) / zoom);
  iy = (int) floor ((y - origin_y) / zoom);
  if (ix < 0 || iy < 0 || ix >= gdk_texture_get_width (self->texture) ||
      iy >= gdk_texture_get_height (self->texture))
    return FALSE;
  if (image_x != NULL)
    *image_x = ix;
  if (image_y != NULL)
    *image_y = iy;
  return TRUE;
}

/* Keeps the image point under (widget_x, widget_y) in place while the zoom changes. */
static void
zoom_at (StudioImageView *self,
         double           zoom,
         double           widget_x,
         double           widget_y)
{
  double old_zoom = effective_zoom (self);
  double half_width = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
  double half_height = gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;
  double point_x, point_y;

  if (self->texture == NULL)
    return;
  if (self->fit)
    {
      self->center_x = gdk_texture_get_width (self->texture) / 2.0;
      self->center_y = gdk_texture_get_height (self->texture) / 2.0;
    }
  zoom = CLAMP (zoom, MIN_ZOOM, MAX_ZOOM);
  point_x = self->center_x + (widget_x - half_width) / old_zoom;
  point_y = self->center_y + (widget_y - half_height) / old_zoom;
  self->center_x = point_x - (widget_x - half_width) / zoom;
  self->center_y = point_y - (widget_y - half_height) / zoom;
  self->zoom = zoom;

  if (self->fit)
    {
      self->fit = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
studio_image_view_get_zoom (StudioImageView *self)
{
  g_return_val_if_fail (STUDIO_IS_IMAGE_VIEW (self), 1.0);

  return effective_zoom (self);
}

void
studio_image_view_set_zoom (StudioImageView *self,
                            double           zoom)
{
  g_return_if_fail (STUDIO_IS_IMAGE_VIEW (self));

  zoom_at (self, zoom, gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
           gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
}

void
studio_image_view_zoom_in (StudioImageView *self)
{
  g_return_if_fail (STUDIO_IS_IMAGE_VIEW (self));

  studio_image_view_set_zoom (self, effective_zoom (self) * ZOOM_STEP);
}

void
studio_image_view_zoom_out (StudioImageView *self)
{
  g_return_if_fail (STUDIO_IS_IMAGE_VIEW (self));

  studio_image_view_set_zoom (self, effective_zoom (self) / ZOOM_STEP);
}

gboolean
studio_image_view_get_fit (StudioImageView *self)
{
  g_return_val_if_fail (STUDIO_IS_IMAGE_VIEW (self), TRUE);

  return self->fit;
}

void
studio_image_view_set_fit (StudioImageView *self,
                           gboolean         fit)
{
  g_return_if_fail (STUDIO_IS_IMAGE_VIEW (self));

  fit = !!fit;
  if (self->fit == fit)
    return;
  if (!fit)
    {
      self->zoom = fit_zoom (self);
      if (self->texture != NULL)
        {
          self->center_x = gdk_texture_get_width (self->texture) / 2.0;
          self->center_y = gdk_texture_get_height (self->texture) / 2.0;
        }
    }
  self->fit = fit;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
studio_image_view_set_texture (StudioImageView *self,
                               GdkTexture      *texture)
{
  gboolean same_size;

  g_return_if_fail (STUDIO_IS_IMAGE_VIEW (self));
  g_return_if_fail (texture == NULL || GDK_IS_TEXTURE (texture));

  if (self->texture == texture)
    return;
  same_size = self->texture != NULL && texture != NULL &&
              gdk_texture_get_width (self->texture) == gdk_texture_get_width (texture) &&
              gdk_texture_get_height (self->texture) == gdk_texture_get_height (texture);
  g_set_object (&self->texture, texture);
  /* A new image of another size starts centred; browsing same-sized images keeps the view. */
  if (texture != NULL && !same_size)
    {
      self->center_x = gdk_texture_get_width (texture) / 2.0;
      self->center_y = gdk_texture_get_height (texture) / 2.0;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXTURE]);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

GdkTexture *
studio_image_view_get_texture (StudioImageView *self)
{
  g_return_val_if_fail (STUDIO_IS_IMAGE_VIEW (self), NULL);

  return self->texture;
}

void
studio_image_view_set_overlay (StudioImageView *self,
                               GdkTexture      *overlay)
{
  g_return_if_fail (STUDIO_IS_IMAGE_VIEW (self));
  g_return_if_fail (overlay == NULL || GDK_IS_TEXTURE (overlay));

  if (g_set_object (&self->overlay, overlay))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OVERLAY]);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

GdkTexture *
studio_image_view_get_overlay (StudioImageView *self)
{
  g_return_val_if_fail (STUDIO_IS_IMAGE_VIEW (self), NULL);

  return self->overlay;
}

void
studio_image_view_set_overlay_opacity (StudioImageView *self,
                                       double           opacity)
{
  g_return_if_fail (STUDIO_IS_IMAGE_VIEW (self));

  opacity = CLAMP (opacity, 0.0, 1.0);
  if (self->overlay_opacity == opacity)
    return;
  self->overlay_opacity = opacity;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OVERLAY_OPACITY]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
studio_image_view_get_overlay_opacity (StudioImageView *self)
{
  g_return_val_if_fail (STUDIO_IS_IMAGE_VIEW (self), 0.0);

  return self->overlay_opacity;
}

static void
set_hover (StudioImageView *self,
           int              x,
           int              y)
{
  if (self->hover_x == x && self->hover_y == y)
    return;
  self->hover_x = x;
  self->hover_y = y;
  g_signal_emit (self, signals[HOVER], 0, x, y);
}

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           StudioImageView          *self)
{
  int image_x, image_y;

  if (studio_image_view_widget_to_image (self, x, y, &image_x, &image_y))
    set_hover (self, image_x, image_y);
  else
    set_hover (self, -1, -1);
}

static void
on_leave (GtkEventControllerMotion *controller,
          StudioImageView          *self)
{
  set_hover (self, -1, -1);
}

static gboolean
on_scroll (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           StudioImageView          *self)
{
  GdkEvent *event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller));
  double x = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
  double y = gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;

  if (self->texture == NULL || dy == 0.0)
    return FALSE;
  if (event != NULL)
    {
      double event_x, event_y;
      graphene_point_t point;

      if (gdk_event_get_position (event, &event_x, &event_y))
        {
          GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
          double nx, ny;

          gtk_native_get_surface_transform (native, &nx, &ny);
          if (gtk_widget_compute_point (GTK_WIDGET (native), GTK_WIDGET (self),
                                        &GRAPHENE_POINT_INIT (event_x - nx, event_y - ny), &point))
            {
              x = point.x;
              y = point.y;
            }
        }
    }
  zoom_at (self, effective_zoom (self) * pow (ZOOM_STEP, -dy), x, y);
  return TRUE;
}

static void
on_drag_begin (GtkGestureDrag  *gesture,
               double           x,
               double           y,
               StudioImageView *self)
{
  if (self->texture == NULL)
    {
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
      return;
    }
  if (self->fit)
    {
      /* panning a fitted image: leave fit mode at the same zoom */
      studio_image_view_set_fit (self, FALSE);
    }
  self->drag_center_x = self->center_x;
  self->drag_center_y = self->center_y;
}

static void
on_drag_update (GtkGestureDrag  *gesture,
                double           offset_x,
                double           offset_y,
                StudioImageView *self)
{
  double zoom = effective_zoom (self);

  self->center_x = self->drag_center_x - offset_x / zoom;
  self->center_y = self->drag_center_y - offset_y / zoom;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_zoom_begin (GtkGesture       *gesture,
               GdkEventSequence *sequence,
               StudioImageView  *self)
{
  self->gesture_zoom = effective_zoom (self);
}

static void
on_zoom_scale_changed (GtkGestureZoom  *gesture,
                       double           scale,
                       StudioImageView *self)
{
  double x, y;

  if (!gtk_gesture_get_bounding_box_center (GTK_GESTURE (gesture), &x, &y))
    {
      x = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
      y = gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;
    }
  zoom_at (self, self->gesture_zoom * scale, x, y);
}

static void
studio_image_view_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  StudioImageView *self = STUDIO_IMAGE_VIEW (object);

  switch (prop_id)
    {
    case PROP_TEXTURE:
      g_value_set_object (value, self->texture);
      break;
    case PROP_OVERLAY:
      g_value_set_object (value, self->overlay);
      break;
    case PROP_OVERLAY_OPACITY:
      g_value_set_double (value, self->overlay_opacity);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, effective_zoom (self));
      break;
    case PROP_FIT:
      g_value_set_boolean (value, self->fit);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_image_view_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  StudioImageView *self = STUDIO_IMAGE_VIEW (object);

  switch (prop_id)
    {
    case PROP_TEXTURE:
      studio_image_view_set_texture (self, g_value_get_object (value));
      break;
    case PROP_OVERLAY:
      studio_image_view_set_overlay (self, g_value_get_object (value));
      break;
    case PROP_OVERLAY_OPACITY:
      studio_image_view_set_overlay_opacity (self, g_value_get_double (value));
      break;
    case PROP_ZOOM:
      studio_image_view_set_zoom (self, g_value_get_double (value));
      break;
    case PROP_FIT:
      studio_image_view_set_fit (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_image_view_dispose (GObject *object)
{
  StudioImageView *self = STUDIO_IMAGE_VIEW (object);

  g_clear_object (&self->texture);
  g_clear_object (&self->overlay);

  G_OBJECT_CLASS (studio_image_view_parent_class)->dispose (object);
}

static void
studio_image_view_class_init (StudioImageViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = studio_image_view_dispose;
  object_class->get_property = studio_image_view_get_property;
  object_class->set_property = studio_image_view_set_property;

  widget_class->snapshot = studio_image_view_snapshot;
  widget_class->measure = studio_image_view_measure;
  widget_class->size_allocate = studio_image_view_size_allocate;

  properties[PROP_TEXTURE] =
    g_param_spec_object ("texture", NULL, NULL, GDK_TYPE_TEXTURE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OVERLAY] =
    g_param_spec_object ("overlay", NULL, NULL, GDK_TYPE_TEXTURE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OVERLAY_OPACITY] =
    g_param_spec_double ("overlay-opacity", NULL, NULL, 0.0, 1.0, 0.6,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, MIN_ZOOM, MAX_ZOOM, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FIT] =
    g_param_spec_boolean ("fit", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[HOVER] =
    g_signal_new ("hover", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);

  gtk_widget_class_set_css_name (widget_class, "studio-image-view");
}

static void
studio_image_view_init (StudioImageView *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *scroll =
    gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL |
                                     GTK_EVENT_CONTROLLER_SCROLL_DISCRETE);
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkGesture *zoom = gtk_gesture_zoom_new ();

  self->fit = TRUE;
  self->zoom = 1.0;
  self->overlay_opacity = 0.6;
  self->hover_x = self->hover_y = -1;

  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "crosshair");

  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), GDK_BUTTON_PRIMARY);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  g_signal_connect (zoom, "begin", G_CALLBACK (on_zoom_begin), self);
  g_signal_connect (zoom, "scale-changed", G_CALLBACK (on_zoom_scale_changed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (zoom));
}
