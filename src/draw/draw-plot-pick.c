/* draw-plot-pick.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What lies under a point of the last drawing: the tooltips of the application's plots. */

#include "config.h"

#include <math.h>

#include "draw-plot-private.h"

/* The index of the finite point of the series whose x is nearest to x, or -1. */
static gint64
nearest_index (const DrawSeries *series,
               double            x)
{
  const double *xs = (const double *) series->x->data;
  const double *ys = (const double *) series->y->data;
  guint n = series->x->len;
  gint64 best = -1;
  double best_d = G_MAXDOUBLE;

  if (series->sorted && n > 0)
    {
      guint lo = 0, hi = n;

      while (lo < hi)
        {
          guint mid = lo + (hi - lo) / 2;

          if (xs[mid] < x)
            lo = mid + 1;
          else
            hi = mid;
        }
      /* the neighbours on both sides, skipping gaps */
      for (gint64 i = (gint64) lo - 1; i >= 0; i--)
        if (isfinite (ys[i]))
          {
            best = i;
            best_d = fabs (xs[i] - x);
            break;
          }
      for (guint i = lo; i < n; i++)
        if (isfinite (ys[i]))
          {
            if (fabs (xs[i] - x) < best_d)
              best = i;
            break;
          }
      return best;
    }

  for (guint i = 0; i < n; i++)
    if (isfinite (xs[i]) && isfinite (ys[i]) && fabs (xs[i] - x) < best_d)
      {
        best = i;
        best_d = fabs (xs[i] - x);
      }
  return best;
}

gboolean
draw_plot_pick (DrawPlot    *plot,
                double       px,
                double       py,
                DrawPlotHit *hit)
{
  const DrawFrame *f;
  double best_d = G_MAXDOUBLE;
  const double slack = 4.0;

  g_return_val_if_fail (plot != NULL, FALSE);
  g_return_val_if_fail (hit != NULL, FALSE);

  f = &plot->frame;
  if (!f->valid || !f->has_y ||
      px < f->left - slack || px > f->right + slack ||
      py < f->top - slack || py > f->bottom + slack)
    return FALSE;

  if (plot->bars)
    {
      guint n = plot->bar_values->len;
      double slot = (f->right - f->left) / MAX (n, 1);
      int i = (int) floor ((px - f->left) / slot);
      double v;

      if (n == 0)
        return FALSE;
      i = CLAMP (i, 0, (int) n - 1);
      v = g_array_index (plot->bar_values, double, i);
      hit->series = -1;
      hit->index = i;
      hit->x = i;
      hit->y = v;
      hit->smoothed = NAN;
      hit->px = f->left + (i + 0.5) * slot;
      hit->py = isfinite (v) ? draw_frame_y (f, CLAMP (v, f->y0, f->y1))
                             : draw_frame_y (f, CLAMP (0.0, f->y0, f->y1));
      hit->label = g_ptr_array_index (plot->bar_labels, i);
      return TRUE;
    }

  for (guint s = 0; s < plot->series->len; s++)
    {
      DrawSeries *series = g_ptr_array_index (plot->series, s);
      double x = f->x0 + (px - f->left) / (f->right - f->left) * (f->x1 - f->x0);
      gint64 i = nearest_index (series, x);
      double xi, yi, shown, qx, qy, d;

      if (i < 0)
        continue;
      xi = g_array_index (series->x, double, i);
      yi = g_array_index (series->y, double, i);
      shown = series->smooth ? g_array_index (series->smooth, double, i) : yi;
      qx = draw_frame_x (f, xi);
      qy = draw_frame_y (f, shown);
      d = hypot (qx - px, qy - py);
      if (d < best_d)
        {
          best_d = d;
          hit->series = s;
          hit->index = i;
          hit->x = xi;
          hit->y = yi;
          hit->smoothed = series->smooth ? shown : NAN;
          hit->px = qx;
          hit->py = CLAMP (qy, f->top, f->bottom);
          hit->label = series->label;
        }
    }
  return best_d < G_MAXDOUBLE;
}
