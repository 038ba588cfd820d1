/* draw-plot-bars.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A bar chart's bars, their values and the labels under the axis. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "draw-plot-private.h"

void
draw_plot_plan_bar_labels (DrawPlot          *plot,
                           DrawPainter       *p,
                           const DrawMetrics *m,
                           double             area_width,
                           double             height,
                           DrawBarLabels     *out)
{
  guint n = plot->bar_values->len;
  double slot = n > 0 ? area_width / n : area_width;
  double widest = 0.0;

  for (guint i = 0; i < n; i++)
    widest = MAX (widest, draw_painter_text_width (p, g_ptr_array_index (plot->bar_labels, i),
                                                   1.0, FALSE));

  out->every = 1;
  if (widest <= slot - m->font * 0.4)
    {
      out->mode = DRAW_LABELS_HORIZONTAL;
      out->band = m->gap + m->line;
      return;
    }
  /* slanted while neighbours stay a line apart, at most a third of the height, then
   * ellipsized */
  if (slot * G_SQRT2 / 2 >= m->line)
    {
      out->mode = DRAW_LABELS_SLANTED;
      out->band = m->gap + MIN (ceil ((widest + m->line) * G_SQRT2 / 2), round (height / 3));
      return;
    }
  /* upright, and only every n-th when even that is too tight */
  out->mode = DRAW_LABELS_VERTICAL;
  out->band = m->gap + MIN (ceil (widest), round (height / 3));
  if (slot < m->line)
    out->every = (guint) ceil (m->line / MAX (slot, 1.0));
}

void
draw_plot_draw_bar_labels (DrawPlot            *plot,
                           DrawPainter         *p,
                           const DrawMetrics   *m,
                           const DrawFrame     *f,
                           const DrawBarLabels *plan,
                           const DrawPlotStyle *style)
{
  guint n = plot->bar_values->len;
  double slot = (f->right - f->left) / MAX (n, 1);

  for (guint i = 0; i < n; i += plan->every)
    {
      const char *label = g_ptr_array_index (plot->bar_labels, i);
      double cx = f->left + (i + 0.5) * slot;

      if (!draw_has_text (label))
        continue;
      if (plan->mode == DRAW_LABELS_HORIZONTAL)
        {
          draw_painter_set_text (p, label, 1.0, FALSE, 0.0);
          draw_painter_show (p, cx, f->bottom + 1 + m->gap, 0.5, 0.0, 0.0, style->foreground,
                             0.75);
        }
      else if (plan->mode == DRAW_LABELS_SLANTED)
        {
          /* the text ends at the bar; it may not run off the band nor the picture's left */
          double room = MIN ((plan->band - m->gap) * G_SQRT2 - m->line,
                             (cx - m->pad) * G_SQRT2 - m->line);

          draw_painter_set_text (p, label, 1.0, FALSE, MAX (room, m->font));
          draw_painter_show (p, cx + m->line * 0.35, f->bottom + 1 + m->gap * 0.5, 1.0, 0.0,
                             -G_PI / 4, style->foreground, 0.75);
        }
      else
        {
          draw_painter_set_text (p, label, 1.0, FALSE, plan->band - m->gap);
          draw_painter_show (p, cx, f->bottom + 1 + m->gap, 1.0, 0.5, -G_PI / 2,
                             style->foreground, 0.75);
        }
    }
}

static double
luminance (const double rgb[3])
{
  return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
}

/* Text inside a bar: white on a dark one, black on a light one. */
static void
ink_on (const double rgb[3],
        double       ink[3])
{
  draw_set_rgb (ink, 1.0, 1.0, 1.0);
  if (luminance (rgb) > 0.55)
    draw_set_rgb (ink, 0.0, 0.0, 0.0);
}

void
draw_plot_draw_bars (DrawPlot            *plot,
                     cairo_t             *cr,
                     DrawPainter         *p,
                     const DrawMetrics   *m,
                     const DrawFrame     *f,
                     double               value_step,
                     const DrawPlotStyle *style)
{
  guint n = plot->bar_values->len;
  double slot = (f->right - f->left) / MAX (n, 1);
  double base = draw_frame_y (f, CLAMP (0.0, f->y0, f->y1));
  const char *na = style->na_text ? style->na_text : "n/a";
  double value_h = draw_painter_text_height (p, DRAW_VALUE_SCALE, FALSE);

  cairo_set_line_width (cr, 1.0);
  for (guint i = 0; i < n; i++)
    {
      double v = g_array_index (plot->bar_values, double, i);
      double x0 = round (f->left + i * slot + slot * 0.15);
      double x1 = round (f->left + (i + 1) * slot - slot * 0.15);
      double rgb[3];
      char text[64];
      double w, top, room;

      if (x1 - x0 < 1.0)
        x1 = x0 + 1.0;
      if (plot->bar_colors->len >= 3 * (i + 1))
        draw_set_rgb (rgb, plot->bar_colors->data[3 * i] / 255.0,
                      plot->bar_colors->data[3 * i + 1] / 255.0,
                      plot->bar_colors->data[3 * i + 2] / 255.0);
      else
        memcpy (rgb, style->accent, sizeof rgb);

      if (!isfinite (v))
        {
          /* no bar: a dim "n/a" on the axis, upright when the slot is narrow */
          draw_painter_set_text (p, na, DRAW_VALUE_SCALE, FALSE, 0.0);
          draw_painter_size (p, &w, NULL);
          if (w <= slot - 2)
            draw_painter_show (p, (x0 + x1) / 2, base - 2, 0.5, 1.0, 0.0, style->foreground,
                               0.55);
          else if (value_h <= slot + 2)
            draw_painter_show (p, (x0 + x1) / 2, base - 2, 0.0, 0.5, -G_PI / 2,
                               style->foreground, 0.55);
          continue;
        }

      top = round (draw_frame_y (f, CLAMP (v, f->y0, f->y1)));
      cairo_save (cr);
      cairo_rectangle (cr, f->left, f->top, f->right - f->left, f->bottom - f->top);
      cairo_clip (cr);
      cairo_rectangle (cr, x0, MIN (top, base), x1 - x0, fabs (base - top));
      cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
      cairo_fill_preserve (cr);
      /* an outline keeps a black bar visible on a dark background and a white one on white */
      cairo_set_source_rgba (cr, style->foreground[0], style->foreground[1], style->foreground[2],
                             0.25);
      cairo_new_path (cr);
      cairo_rectangle (cr, x0 + 0.5, MIN (top, base) + 0.5, x1 - x0 - 1,
                       MAX (fabs (base - top) - 1, 0));
      cairo_stroke (cr);
      cairo_restore (cr);

      /* the value over the bar, inside its top when there is no room above */
      draw_format_number (v, value_step, text, sizeof text);
      draw_painter_set_text (p, text, DRAW_VALUE_SCALE, FALSE, 0.0);
      draw_painter_size (p, &w, NULL);
      room = v >= 0 ? top - f->top + m->pad * 0.5 : f->bottom - top;
      if (w <= slot - 2)
        {
          if (room >= value_h + 2)
            draw_painter_show (p, (x0 + x1) / 2, v >= 0 ? top - 2 : top + 2, 0.5,
                               v >= 0 ? 1.0 : 0.0, 0.0, style->foreground, 0.85);
          else if (fabs (base - top) >= value_h + 2)
            {
              double ink[3];

              ink_on (rgb, ink);
              draw_painter_show (p, (x0 + x1) / 2, top + 2, 0.5, 0.0, 0.0, ink, 0.9);
            }
        }
      else if (value_h <= slot + 2 && v >= 0)
        {
          if (room >= w + 4)
            draw_painter_show (p, (x0 + x1) / 2, top - 3, 0.0, 0.5, -G_PI / 2, style->foreground,
                               0.85);
          else if (fabs (base - top) >= w + 4)
            {
              double ink[3];

              ink_on (rgb, ink);
              draw_painter_show (p, (x0 + x1) / 2, top + 3, 1.0, 0.5, -G_PI / 2, ink, 0.9);
            }
        }
    }
}
