/* draw-plot-axis.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Nice ticks and their labels, the grid, the axis lines, the title and the axis labels. */

#include "config.h"

#include <math.h>

#include "draw-plot-private.h"

/* --- ticks and numbers --------------------------------------------------------------------- */

guint
draw_plot_nice_ticks (double    lo,
                      double    hi,
                      guint     max_ticks,
                      gboolean  integral,
                      double   *first,
                      double   *step)
{
  static const double mantissas[] = { 1.0, 2.0, 5.0 };
  double raw, s;
  int exponent, m = 0;
  gint64 k0, k1;

  if (first)
    *first = 0.0;
  if (step)
    *step = 0.0;
  if (!isfinite (hi - lo) || !(hi > lo) || max_ticks == 0)
    return 0;

  /* max_ticks ticks span max_ticks - 1 steps: from the power of ten below that, take the first
   * nice step that leaves no more ticks than asked for */
  raw = (hi - lo) / MAX (max_ticks - 1, 1);
  exponent = (int) floor (log10 (raw));
  if (integral && exponent < 0)
    exponent = 0;
  for (;;)
    {
      s = mantissas[m] * pow (10.0, exponent);
      k0 = (gint64) ceil (lo / s - 1e-9);
      k1 = (gint64) floor (hi / s + 1e-9);
      if (k1 - k0 + 1 <= (gint64) MAX (max_ticks, 1))
        break;
      /* too many: the next step in 1, 2, 5, 10, 20, … */
      if (++m == (int) G_N_ELEMENTS (mantissas))
        {
          m = 0;
          exponent++;
        }
    }

  if (first)
    *first = k0 * s;
  if (step)
    *step = s;
  return k1 >= k0 ? (guint) (k1 - k0 + 1) : 0;
}

/* A tick label with as many decimals as the step needs: 0.5 → "0.5", 20 → "20". */
void
draw_format_number (double  value,
                    double  step,
                    char   *buffer,
                    gsize   size)
{
  int decimals = 0;

  if (fabs (value) < fabs (step) * 1e-6)
    value = 0.0; /* never "-0" or "1e-17" */
  if (step > 0.0 && step < 1.0)
    decimals = (int) ceil (-log10 (step) - 1e-9);
  if (fabs (value) >= 1e7 || decimals > 6)
    g_snprintf (buffer, size, "%.3g", value);
  else
    g_snprintf (buffer, size, "%.*f", decimals, value);
}

static double
tick_value (const DrawTicks *t,
            guint            i)
{
  return t->first + i * t->step;
}

double
draw_plot_widest_tick_label (DrawPainter     *p,
                             const DrawTicks *t)
{
  double widest = 0.0;

  for (guint i = 0; i < t->n; i++)
    {
      char text[64];

      draw_format_number (tick_value (t, i), t->step, text, sizeof text);
      widest = MAX (widest, draw_painter_text_width (p, text, 1.0, FALSE));
    }
  return widest;
}

/* y ticks at least two lines apart. */
void
draw_plot_y_ticks (const DrawMetrics *m,
                   double             y0,
                   double             y1,
                   double             height,
                   DrawTicks         *t)
{
  guint max_ticks = (guint) CLAMP (height / (m->font * 2.3), 2.0, 12.0);

  t->n = draw_plot_nice_ticks (y0, y1, max_ticks, FALSE, &t->first, &t->step);
}

/* x ticks as many as fit with their labels a couple of characters apart. */
void
draw_plot_x_ticks (DrawPainter       *p,
                   const DrawMetrics *m,
                   double             x0,
                   double             x1,
                   double             width,
                   gboolean           integral,
                   DrawTicks         *t)
{
  guint max_ticks = (guint) CLAMP (width / (m->font * 4.0), 2.0, 15.0);

  for (;;)
    {
      double widest;

      t->n = draw_plot_nice_ticks (x0, x1, max_ticks, integral, &t->first, &t->step);
      if (t->n == 0 || max_ticks <= 2)
        return;
      widest = draw_plot_widest_tick_label (p, t);
      if (t->n * (widest + m->font * 2.5) <= width)
        return;
      max_ticks--;
    }
}

/* --- axes ---------------------------------------------------------------------------------- */

/* The centre of the pixel a 1-pixel line at v should run through: crisp, not two grey rows. */
static double
snap (double v)
{
  return floor (v) + 0.5;
}

void
draw_plot_draw_grid_and_ticks (cairo_t             *cr,
                               DrawPainter         *p,
                               const DrawMetrics   *m,
                               const DrawFrame     *f,
                               const DrawTicks     *xt,
                               const DrawTicks     *yt,
                               double               width,
                               const DrawPlotStyle *style)
{
  const double *fg = style->foreground;

  cairo_set_line_width (cr, 1.0);
  cairo_set_source_rgba (cr, style->grid[0], style->grid[1], style->grid[2], style->grid[3]);
  for (guint i = 0; yt && i < yt->n; i++)
    {
      double y = snap (draw_frame_y (f, tick_value (yt, i)));

      if (y < f->top || y > f->bottom)
        continue;
      cairo_move_to (cr, f->left, y);
      cairo_line_to (cr, f->right, y);
    }
  for (guint i = 0; xt && i < xt->n; i++)
    {
      double x = snap (draw_frame_x (f, tick_value (xt, i)));

      if (x < f->left || x > f->right)
        continue;
      cairo_move_to (cr, x, f->top);
      cairo_line_to (cr, x, f->bottom);
    }
  cairo_stroke (cr);

  cairo_set_source_rgba (cr, fg[0], fg[1], fg[2], 0.55);
  for (guint i = 0; yt && i < yt->n; i++)
    {
      double y = snap (draw_frame_y (f, tick_value (yt, i)));

      if (y < f->top - 0.5 || y > f->bottom + 0.5)
        continue;
      cairo_move_to (cr, f->left - 1, y);
      cairo_line_to (cr, f->left - 1 - m->tick, y);
    }
  for (guint i = 0; xt && i < xt->n; i++)
    {
      double x = snap (draw_frame_x (f, tick_value (xt, i)));

      if (x < f->left - 0.5 || x > f->right + 0.5)
        continue;
      cairo_move_to (cr, x, f->bottom + 1);
      cairo_line_to (cr, x, f->bottom + 1 + m->tick);
    }
  cairo_stroke (cr);

  for (guint i = 0; yt && i < yt->n; i++)
    {
      double y = draw_frame_y (f, tick_value (yt, i));
      char text[64];

      if (y < f->top - 0.5 || y > f->bottom + 0.5)
        continue;
      draw_format_number (tick_value (yt, i), yt->step, text, sizeof text);
      draw_painter_set_text (p, text, 1.0, FALSE, 0.0);
      draw_painter_show (p, f->left - 1 - m->tick - m->gap, y, 1.0, 0.5, 0.0, fg, 0.75);
    }
  for (guint i = 0; xt && i < xt->n; i++)
    {
      double x = draw_frame_x (f, tick_value (xt, i));
      double w;
      char text[64];

      if (x < f->left - 0.5 || x > f->right + 0.5)
        continue;
      draw_format_number (tick_value (xt, i), xt->step, text, sizeof text);
      draw_painter_set_text (p, text, 1.0, FALSE, 0.0);
      draw_painter_size (p, &w, NULL);
      /* the last label may not hang off the picture */
      x = CLAMP (x, w / 2, width - w / 2);
      draw_painter_show (p, x, f->bottom + 1 + m->tick + m->gap * 0.5, 0.5, 0.0, 0.0, fg, 0.75);
    }
}

void
draw_plot_draw_spines (cairo_t             *cr,
                       const DrawFrame     *f,
                       const DrawPlotStyle *style)
{
  const double *fg = style->foreground;

  cairo_set_line_width (cr, 1.0);
  cairo_set_source_rgba (cr, fg[0], fg[1], fg[2], 0.55);
  cairo_move_to (cr, f->left - 0.5, f->top);
  cairo_line_to (cr, f->left - 0.5, f->bottom + 0.5);
  cairo_line_to (cr, f->right, f->bottom + 0.5);
  cairo_stroke (cr);
}

void
draw_plot_draw_titles (DrawPlot            *plot,
                       DrawPainter         *p,
                       const DrawMetrics   *m,
                       const DrawFrame     *f,
                       double               width,
                       double               height,
                       const DrawPlotStyle *style)
{
  const double *fg = style->foreground;
  double cx = (f->left + f->right) / 2;

  if (draw_has_text (plot->title))
    {
      double w;

      draw_painter_set_text (p, plot->title, DRAW_TITLE_SCALE, TRUE, width - 2 * m->pad);
      draw_painter_size (p, &w, NULL);
      /* centred over the data area, but whole inside the picture */
      draw_painter_show (p, CLAMP (cx, m->pad + w / 2, width - m->pad - w / 2), m->pad, 0.5, 0.0,
                         0.0, fg, 1.0);
    }
  if (draw_has_text (plot->x_label))
    {
      draw_painter_set_text (p, plot->x_label, DRAW_LABEL_SCALE, FALSE, width - 2 * m->pad);
      draw_painter_show (p, cx, height - m->pad, 0.5, 1.0, 0.0, fg, 0.9);
    }
  if (draw_has_text (plot->y_label))
    {
      draw_painter_set_text (p, plot->y_label, DRAW_LABEL_SCALE, FALSE,
                             f->bottom - f->top + 2 * m->pad);
      draw_painter_show (p, m->pad, (f->top + f->bottom) / 2, 0.5, 0.0, -G_PI / 2, fg, 0.9);
    }
}
