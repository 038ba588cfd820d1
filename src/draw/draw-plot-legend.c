/* draw-plot-legend.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The legend of a line plot, in the corner of the data area where it hides the least of
 * what the series drew. */

#include "config.h"

#include <math.h>

#include "draw-plot-private.h"

/* --- coverage ------------------------------------------------------------------------------ */

void
draw_coverage_init (DrawCoverage    *cov,
                    const DrawFrame *f)
{
  cov->left = f->left;
  cov->n = MAX ((int) (f->right - f->left), 1);
  cov->lo = g_new (float, cov->n);
  cov->hi = g_new (float, cov->n);
  for (int i = 0; i < cov->n; i++)
    {
      cov->lo[i] = G_MAXFLOAT;
      cov->hi[i] = -G_MAXFLOAT;
    }
}

void
draw_coverage_clear (DrawCoverage *cov)
{
  g_clear_pointer (&cov->lo, g_free);
  g_clear_pointer (&cov->hi, g_free);
}

void
draw_coverage_add (DrawCoverage *cov,
                   double        x0,
                   double        y0,
                   double        x1,
                   double        y1)
{
  int c0, c1;

  if (cov->lo == NULL)
    return;
  if (x0 > x1)
    {
      double t = x0;
      x0 = x1;
      x1 = t;
      t = y0;
      y0 = y1;
      y1 = t;
    }
  c0 = MAX ((int) floor (x0 - cov->left), 0);
  c1 = MIN ((int) floor (x1 - cov->left), cov->n - 1);
  for (int c = c0; c <= c1; c++)
    {
      /* the segment's extent over this column */
      double xa = MAX (x0, cov->left + c), xb = MIN (x1, cov->left + c + 1);
      double ya = x1 > x0 ? y0 + (y1 - y0) * (xa - x0) / (x1 - x0) : y0;
      double yb = x1 > x0 ? y0 + (y1 - y0) * (xb - x0) / (x1 - x0) : y1;

      cov->lo[c] = MIN (cov->lo[c], (float) MIN (ya, yb));
      cov->hi[c] = MAX (cov->hi[c], (float) MAX (ya, yb));
    }
}

/* How many columns of the rectangle have something drawn in them. */
static int
coverage_count (const DrawCoverage *cov,
                double              x,
                double              y,
                double              width,
                double              height)
{
  int c0 = MAX ((int) floor (x - cov->left), 0);
  int c1 = MIN ((int) ceil (x + width - cov->left), cov->n);
  int count = 0;

  for (int c = c0; c < c1; c++)
    if (cov->hi[c] >= y && cov->lo[c] <= y + height)
      count++;
  return count;
}

/* --- legend -------------------------------------------------------------------------------- */

static void
rounded_rectangle (cairo_t *cr,
                   double   x,
                   double   y,
                   double   w,
                   double   h,
                   double   r)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

void
draw_plot_draw_legend (DrawPlot            *plot,
                       cairo_t             *cr,
                       DrawPainter         *p,
                       const DrawMetrics   *m,
                       const DrawFrame     *f,
                       const DrawCoverage  *cov,
                       const DrawPlotStyle *style)
{
  double swatch = round (m->font * 1.8);
  double inner = round (m->font * 0.5);
  double row, text_w = 0.0, box_w, box_h, inset = round (m->font * 0.6);
  double candidates[4][2];
  int best = -1, best_count = G_MAXINT;
  guint n = 0;

  if (plot->legend == DRAW_PLOT_LEGEND_HIDE ||
      (plot->legend == DRAW_PLOT_LEGEND_AUTO && plot->series->len < 2))
    return;

  for (guint s = 0; s < plot->series->len; s++)
    {
      DrawSeries *series = g_ptr_array_index (plot->series, s);

      if (!draw_has_text (series->label))
        continue;
      text_w = MAX (text_w, draw_painter_text_width (p, series->label, DRAW_LEGEND_SCALE, FALSE));
      n++;
    }
  if (n == 0)
    return;

  row = ceil (draw_painter_text_height (p, DRAW_LEGEND_SCALE, FALSE) * 1.15);
  box_w = ceil (2 * inner + swatch + inner + text_w);
  box_h = ceil (2 * inner + n * row);
  if (box_w + 2 * inset > f->right - f->left || box_h + 2 * inset > f->bottom - f->top)
    return;

  /* matplotlib's "best": the corner that hides the least, upper right when all are free */
  candidates[0][0] = f->right - inset - box_w;
  candidates[0][1] = f->top + inset;
  candidates[1][0] = f->left + inset;
  candidates[1][1] = f->top + inset;
  candidates[2][0] = f->left + inset;
  candidates[2][1] = f->bottom - inset - box_h;
  candidates[3][0] = f->right - inset - box_w;
  candidates[3][1] = f->bottom - inset - box_h;
  for (int i = 0; i < 4; i++)
    {
      int count = coverage_count (cov, candidates[i][0], candidates[i][1], box_w, box_h);

      if (count < best_count)
        {
          best = i;
          best_count = count;
        }
    }

  cairo_save (cr);
  cairo_translate (cr, round (candidates[best][0]), round (candidates[best][1]));
  rounded_rectangle (cr, 0.5, 0.5, box_w - 1, box_h - 1, 4.0);
  cairo_set_source_rgba (cr, style->legend_background[0], style->legend_background[1],
                         style->legend_background[2], style->legend_background[3]);
  cairo_fill_preserve (cr);
  cairo_set_source_rgba (cr, style->foreground[0], style->foreground[1], style->foreground[2],
                         0.2);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);

  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  for (guint s = 0, r = 0; s < plot->series->len; s++)
    {
      DrawSeries *series = g_ptr_array_index (plot->series, s);
      double y = inner + r * row + row / 2;

      if (!draw_has_text (series->label))
        continue;
      if (series->smooth != NULL)
        {
          /* faint jagged raw data behind the bold line, as in the plot */
          cairo_set_source_rgba (cr, series->rgb[0], series->rgb[1], series->rgb[2], 0.3);
          cairo_set_line_width (cr, 1.0);
          cairo_move_to (cr, inner, y);
          for (int k = 1; k <= 6; k++)
            cairo_line_to (cr, inner + swatch * k / 6.0, y + ((k % 2) ? -3.0 : 3.0));
          cairo_stroke (cr);
        }
      cairo_set_source_rgb (cr, series->rgb[0], series->rgb[1], series->rgb[2]);
      cairo_set_line_width (cr, 2.0);
      cairo_move_to (cr, inner, y);
      cairo_line_to (cr, inner + swatch, y);
      cairo_stroke (cr);
      if (series->markers)
        {
          cairo_arc (cr, inner + swatch / 2, y, 3.5, 0, 2 * G_PI);
          cairo_fill (cr);
        }
      draw_painter_set_text (p, series->label, DRAW_LEGEND_SCALE, FALSE, 0.0);
      draw_painter_show (p, inner + swatch + inner, y, 0.0, 0.5, 0.0, style->foreground, 0.9);
      r++;
    }
  cairo_restore (cr);
}
