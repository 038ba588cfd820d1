/* draw-plot-text.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The plots' text through Pango, and the sizes that follow from the style's font. */

#include "config.h"

#include <math.h>

#include "draw-plot-private.h"

void
draw_painter_init (DrawPainter         *p,
                   cairo_t             *cr,
                   const DrawPlotStyle *style)
{
  p->cr = cr;
  p->style = style;
  p->layout = pango_cairo_create_layout (cr);
  p->font = pango_font_description_from_string (style->font_family ? style->font_family
                                                                   : "Sans");
}

void
draw_painter_clear (DrawPainter *p)
{
  g_clear_object (&p->layout);
  g_clear_pointer (&p->font, pango_font_description_free);
}

/* Sets the layout's text at scale × the style's font size; max_width > 0 ellipsizes. */
void
draw_painter_set_text (DrawPainter *p,
                       const char  *text,
                       double       scale,
                       gboolean     bold,
                       double       max_width)
{
  pango_font_description_set_absolute_size (p->font, p->style->font_size * scale * PANGO_SCALE);
  pango_font_description_set_weight (p->font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description (p->layout, p->font);
  pango_layout_set_text (p->layout, text ? text : "", -1);
  if (max_width > 0.0)
    {
      pango_layout_set_width (p->layout, (int) (max_width * PANGO_SCALE));
      pango_layout_set_ellipsize (p->layout, PANGO_ELLIPSIZE_END);
    }
  else
    {
      pango_layout_set_width (p->layout, -1);
      pango_layout_set_ellipsize (p->layout, PANGO_ELLIPSIZE_NONE);
    }
}

void
draw_painter_size (DrawPainter *p,
                   double      *width,
                   double      *height)
{
  PangoRectangle logical;

  pango_layout_get_pixel_extents (p->layout, NULL, &logical);
  if (width)
    *width = logical.width;
  if (height)
    *height = logical.height;
}

double
draw_painter_text_width (DrawPainter *p,
                         const char  *text,
                         double       scale,
                         gboolean     bold)
{
  double width;

  draw_painter_set_text (p, text, scale, bold, 0.0);
  draw_painter_size (p, &width, NULL);
  return width;
}

double
draw_painter_text_height (DrawPainter *p,
                          double       scale,
                          gboolean     bold)
{
  double height;

  draw_painter_set_text (p, "0", scale, bold, 0.0);
  draw_painter_size (p, NULL, &height);
  return height;
}

/* Draws the current layout so that the point (ax, ay) of its box, in fractions of its width
 * and height, lands on (x, y), turned by angle radians around that point. */
void
draw_painter_show (DrawPainter  *p,
                   double        x,
                   double        y,
                   double        ax,
                   double        ay,
                   double        angle,
                   const double  rgb[3],
                   double        alpha)
{
  PangoRectangle logical;

  pango_layout_get_pixel_extents (p->layout, NULL, &logical);
  cairo_save (p->cr);
  cairo_translate (p->cr, x, y);
  if (angle != 0.0)
    cairo_rotate (p->cr, angle);
  /* whole pixels keep horizontal text sharp */
  cairo_move_to (p->cr, round (-ax * logical.width - logical.x),
                 round (-ay * logical.height - logical.y));
  cairo_set_source_rgba (p->cr, rgb[0], rgb[1], rgb[2], alpha);
  pango_cairo_update_layout (p->cr, p->layout);
  pango_cairo_show_layout (p->cr, p->layout);
  cairo_restore (p->cr);
}

void
draw_metrics_init (DrawMetrics *m,
                   DrawPainter *p)
{
  m->font = p->style->font_size;
  m->pad = round (m->font * 0.8);
  m->gap = round (m->font * 0.4);
  m->tick = round (m->font * 0.35);
  m->line = draw_painter_text_height (p, 1.0, FALSE);
  m->label_line = draw_painter_text_height (p, DRAW_LABEL_SCALE, FALSE);
  m->title_line = draw_painter_text_height (p, DRAW_TITLE_SCALE, TRUE);
}
