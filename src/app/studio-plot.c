/* studio-plot.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "draw/draw-plot.h"

#include "studio-plot.h"

struct _StudioPlot
{
  GtkWidget  parent_instance;

  DrawPlot  *plot;
  GArray    *colors;    /* GdkRGBA per series, for the hover marker */

  /* the pointer over the plot, for the marker on the nearest point */
  gboolean   hovering;
  double     hover_x;
  double     hover_y;
};

G_DEFINE_FINAL_TYPE (StudioPlot, studio_plot, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_X_LABEL,
  PROP_Y_LABEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Tick labels a little smaller than the body text, as in GNOME's own charts. */
#define FONT_SCALE 0.85

static void
rgba_to_rgb (const GdkRGBA *rgba,
             double         rgb[3])
{
  rgb[0] = rgba->red;
  rgb[1] = rgba->green;
  rgb[2] = rgba->blue;
}

/* The plot's look from the theme: its text colour (dark style included), its accent colour and
 * its font. The card behind the widget is the background. GtkStyleContext is the way to read
 * them in GTK 4.8 (gtk_widget_get_color is 4.10). */
static void
get_style (StudioPlot    *self,
           DrawPlotStyle *style,
           char         **family)
{
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self));
  PangoContext *pango = gtk_widget_get_pango_context (GTK_WIDGET (self));
  const PangoFontDescription *font = pango_context_get_font_description (pango);
  GdkRGBA fg, color;
  double size = 0.0;

  draw_plot_style_init_default (style);

  gtk_style_context_get_color (context, &fg);
  rgba_to_rgb (&fg, style->foreground);
  style->background[3] = 0.0;
  style->grid[0] = fg.red;
  style->grid[1] = fg.green;
  style->grid[2] = fg.blue;
  style->grid[3] = 0.1;

  if (gtk_style_context_lookup_color (context, "view_bg_color", &color))
    {
      style->legend_background[0] = color.red;
      style->legend_background[1] = color.green;
      style->legend_background[2] = color.blue;
    }
  else
    {
      /* no libadwaita colours: the opposite of the text */
      double v = (fg.red + fg.green + fg.blue) / 3 > 0.5 ? 0.15 : 1.0;

      style->legend_background[0] = style->legend_background[1] = style->legend_background[2] = v;
    }
  style->legend_background[3] = 0.85;

  if (gtk_style_context_lookup_color (context, "accent_bg_color", &color))
    rgba_to_rgb (&color, style->accent);

  if (font != NULL)
    {
      const char *name = pango_font_description_get_family (font);
      int pango_size = pango_font_description_get_size (font);

      if (pango_size > 0)
        {
          size = (double) pango_size / PANGO_SCALE;
          if (!pango_font_description_get_size_is_absolute (font))
            {
              double dpi = pango_cairo_context_get_resolution (pango);

              size *= (dpi > 0 ? dpi : 96.0) / 72.0;
            }
        }
      if (name != NULL)
        *family = g_strdup (name);
    }
  style->font_family = *family;
  style->font_size = size > 0.0 ? round (size * FONT_SCALE) : 12.0;
  style->empty_text = _("No data yet");
  /* TRANSLATORS: in place of a bar whose value is not available */
  style->na_text = _("n/a");
}

static void
studio_plot_snapshot (GtkWidget   *widget,
                      GtkSnapshot *snapshot)
{
  StudioPlot *self = STUDIO_PLOT (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autofree char *family = NULL;
  DrawPlotStyle style;
  DrawPlotHit hit;
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;

  get_style (self, &style, &family);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  draw_plot_draw (self->plot, cr, width, height, &style);

  /* the point the tooltip describes: a guide line and a ring on it */
  if (self->hovering && draw_plot_pick (self->plot, self->hover_x, self->hover_y, &hit) &&
      hit.series >= 0 && (guint) hit.series < self->colors->len)
    {
      const GdkRGBA *color = &g_array_index (self->colors, GdkRGBA, hit.series);
      double top, area_height;

      draw_plot_get_area (self->plot, NULL, &top, NULL, &area_height);
      cairo_set_line_width (cr, 1.0);
      cairo_set_source_rgba (cr, style.foreground[0], style.foreground[1], style.foreground[2],
                             0.3);
      cairo_move_to (cr, floor (hit.px) + 0.5, top);
      cairo_line_to (cr, floor (hit.px) + 0.5, top + area_height);
      cairo_stroke (cr);

      cairo_arc (cr, hit.px, hit.py, 4.5, 0, 2 * G_PI);
      gdk_cairo_set_source_rgba (cr, color);
      cairo_fill_preserve (cr);
      cairo_set_source_rgb (cr, style.legend_background[0], style.legend_background[1],
                            style.legend_background[2]);
      cairo_set_line_width (cr, 1.5);
      cairo_stroke (cr);
    }
  cairo_destroy (cr);
}

static void
studio_plot_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 200;
      *natural = 400;
    }
  else
    {
      *minimum = 120;
      *natural = 240;
    }
}

static void
format_value (double  value,
              char   *buffer,
              gsize   size)
{
  if (isnan (value))
    g_strlcpy (buffer, _("n/a"), size);
  else
    g_snprintf (buffer, size, "%.4g", value);
}

static gboolean
studio_plot_query_tooltip (GtkWidget  *widget,
                           int         x,
                           int         y,
                           gboolean    keyboard_mode,
                           GtkTooltip *tooltip)
{
  StudioPlot *self = STUDIO_PLOT (widget);
  const char *x_label = draw_plot_get_x_label (self->plot);
  g_autofree char *markup = NULL;
  g_autofree char *where = NULL;
  DrawPlotHit hit;
  char value[64], smoothed[64], position[64];

  if (keyboard_mode || !draw_plot_pick (self->plot, x, y, &hit))
    return FALSE;

  format_value (hit.y, value, sizeof value);
  if (hit.series < 0)
    {
      markup = g_markup_printf_escaped ("<b>%s</b>\n%s", hit.label ? hit.label : "", value);
      gtk_tooltip_set_markup (tooltip, markup);
      return TRUE;
    }

  format_value (hit.x, position, sizeof position);
  /* TRANSLATORS: where a point is, e.g. "Step 120" (the axis' label, then the value) */
  where = x_label && *x_label ? g_strdup_printf (C_("plot tooltip", "%s %s"), x_label, position)
                              : g_strdup (position);
  if (!isnan (hit.smoothed))
    {
      format_value (hit.smoothed, smoothed, sizeof smoothed);
      /* TRANSLATORS: a raw value and its moving average, e.g. "0.523 (smoothed 0.61)" */
      markup = g_markup_printf_escaped (_("<b>%s</b>\n%s: %s (smoothed %s)"),
                                        hit.label ? hit.label : "", where, value, smoothed);
    }
  else
    markup = g_markup_printf_escaped ("<b>%s</b>\n%s: %s", hit.label ? hit.label : "", where,
                                      value);
  gtk_tooltip_set_markup (tooltip, markup);
  return TRUE;
}

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           StudioPlot               *self)
{
  self->hovering = TRUE;
  self->hover_x = x;
  self->hover_y = y;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_leave (GtkEventControllerMotion *controller,
          StudioPlot               *self)
{
  self->hovering = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
studio_plot_css_changed (GtkWidget         *widget,
                         GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (studio_plot_parent_class)->css_changed (widget, change);

  /* colours and fonts are read while drawing: a theme switch must redraw */
  gtk_widget_queue_draw (widget);
}

static void
studio_plot_finalize (GObject *object)
{
  StudioPlot *self = STUDIO_PLOT (object);

  g_clear_pointer (&self->plot, draw_plot_free);
  g_clear_pointer (&self->colors, g_array_unref);

  G_OBJECT_CLASS (studio_plot_parent_class)->finalize (object);
}

static void
studio_plot_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  StudioPlot *self = STUDIO_PLOT (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, draw_plot_get_title (self->plot));
      break;
    case PROP_X_LABEL:
      g_value_set_string (value, draw_plot_get_x_label (self->plot));
      break;
    case PROP_Y_LABEL:
      g_value_set_string (value, draw_plot_get_y_label (self->plot));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_plot_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  StudioPlot *self = STUDIO_PLOT (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      studio_plot_set_title (self, g_value_get_string (value));
      break;
    case PROP_X_LABEL:
      studio_plot_set_x_label (self, g_value_get_string (value));
      break;
    case PROP_Y_LABEL:
      studio_plot_set_y_label (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_plot_class_init (StudioPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = studio_plot_finalize;
  object_class->get_property = studio_plot_get_property;
  object_class->set_property = studio_plot_set_property;

  widget_class->snapshot = studio_plot_snapshot;
  widget_class->measure = studio_plot_measure;
  widget_class->query_tooltip = studio_plot_query_tooltip;
  widget_class->css_changed = studio_plot_css_changed;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_X_LABEL] =
    g_param_spec_string ("x-label", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_Y_LABEL] =
    g_param_spec_string ("y-label", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "studio-plot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
studio_plot_init (StudioPlot *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->plot = draw_plot_new ();
  self->colors = g_array_new (FALSE, FALSE, sizeof (GdkRGBA));

  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
}

GtkWidget *
studio_plot_new (void)
{
  return g_object_new (STUDIO_TYPE_PLOT, NULL);
}

/* The title is what a screen reader says for the picture. */
static void
update_accessible_label (StudioPlot *self)
{
  const char *title = draw_plot_get_title (self->plot);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  title ? title : "", -1);
}

void
studio_plot_set_title (StudioPlot *self,
                       const char *title)
{
  g_return_if_fail (STUDIO_IS_PLOT (self));

  if (g_strcmp0 (title, draw_plot_get_title (self->plot)) == 0)
    return;
  draw_plot_set_title (self->plot, title);
  update_accessible_label (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

void
studio_plot_set_x_label (StudioPlot *self,
                         const char *label)
{
  g_return_if_fail (STUDIO_IS_PLOT (self));

  if (g_strcmp0 (label, draw_plot_get_x_label (self->plot)) == 0)
    return;
  draw_plot_set_x_label (self->plot, label);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_X_LABEL]);
}

void
studio_plot_set_y_label (StudioPlot *self,
                         const char *label)
{
  g_return_if_fail (STUDIO_IS_PLOT (self));

  if (g_strcmp0 (label, draw_plot_get_y_label (self->plot)) == 0)
    return;
  draw_plot_set_y_label (self->plot, label);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_Y_LABEL]);
}

void
studio_plot_set_y_range (StudioPlot *self,
                         double      min,
                         double      max)
{
  g_return_if_fail (STUDIO_IS_PLOT (self));

  draw_plot_set_y_range (self->plot, min, max);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
studio_plot_add_series (StudioPlot    *self,
                        const char    *label,
                        const GdkRGBA *color,
                        double         smoothing)
{
  double rgb[3];

  g_return_val_if_fail (STUDIO_IS_PLOT (self), 0);
  g_return_val_if_fail (color != NULL, 0);
  g_return_val_if_fail (smoothing >= 0.0 && smoothing < 1.0, 0);

  rgba_to_rgb (color, rgb);
  g_array_append_val (self->colors, *color);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return draw_plot_add_series (self->plot, label, rgb, smoothing);
}

void
studio_plot_append (StudioPlot *self,
                    guint       series,
                    double      x,
                    double      y)
{
  g_return_if_fail (STUDIO_IS_PLOT (self));
  g_return_if_fail (series < draw_plot_get_n_series (self->plot));

  draw_plot_append (self->plot, series, x, y);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
studio_plot_get_n_points (StudioPlot *self,
                          guint       series)
{
  g_return_val_if_fail (STUDIO_IS_PLOT (self), 0);
  g_return_val_if_fail (series < draw_plot_get_n_series (self->plot), 0);

  return draw_plot_get_n_points (self->plot, series);
}

void
studio_plot_set_bars (StudioPlot        *self,
                      const char *const *labels,
                      const double      *values,
                      const guint8      *colors,
                      guint              n)
{
  g_return_if_fail (STUDIO_IS_PLOT (self));
  g_return_if_fail (values != NULL || n == 0);

  draw_plot_set_bars (self->plot, labels, values, colors, n);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
studio_plot_get_n_bars (StudioPlot *self)
{
  g_return_val_if_fail (STUDIO_IS_PLOT (self), 0);

  return draw_plot_get_n_bars (self->plot);
}

void
studio_plot_clear (StudioPlot *self)
{
  g_return_if_fail (STUDIO_IS_PLOT (self));

  draw_plot_clear (self->plot);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
