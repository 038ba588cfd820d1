/* draw-plot-lines.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The line series: each a polyline of at most four points per pixel column, with dots on
 * the points while they stay apart, recording where it drew for the legend. */

#include "config.h"

#include <math.h>

#include "draw-plot-private.h"

typedef struct
{
  cairo_t      *cr;
  DrawCoverage *cov;
  gboolean      pen_down;
  double        last_x, last_y;
  guint         n_ops;
} PathBuilder;

static void
path_point (PathBuilder *b,
            double       x,
            double       y)
{
  if (b->pen_down)
    {
      cairo_line_to (b->cr, x, y);
      draw_coverage_add (b->cov, b->last_x, b->last_y, x, y);
    }
  else
    {
      cairo_move_to (b->cr, x, y);
      draw_coverage_add (b->cov, x, y, x, y);
    }
  b->pen_down = TRUE;
  b->last_x = x;
  b->last_y = y;
  b->n_ops++;
}

/* The points of one pixel column: where the line enters, its lowest and highest point, where
 * it leaves. Emitted in their original order, they draw exactly what every point would. */
typedef struct
{
  gboolean open;
  double   column;
  guint    first, lo, hi, last;
} Bucket;

static void
bucket_flush (Bucket       *bucket,
              PathBuilder  *b,
              const double *px,
              const double *py)
{
  guint order[4] = { bucket->first, bucket->lo, bucket->hi, bucket->last };

  if (!bucket->open)
    return;
  /* first <= lo, hi <= last: only the middle pair can be out of order */
  if (order[1] > order[2])
    {
      order[1] = bucket->hi;
      order[2] = bucket->lo;
    }
  for (guint i = 0; i < 4; i++)
    if (i == 0 || order[i] != order[i - 1])
      path_point (b, px[order[i]], py[order[i]]);
  bucket->open = FALSE;
}

/* Adds the polyline through (xs, ys) to cr's path, at most four points per pixel column; a
 * non-finite value starts a new piece. Returns the number of path operations. */
static guint
add_line_path (cairo_t         *cr,
               const DrawFrame *f,
               DrawCoverage    *cov,
               const double    *xs,
               const double    *ys,
               guint            n)
{
  PathBuilder b = { cr, cov, FALSE, 0.0, 0.0, 0 };
  Bucket bucket = { 0 };
  g_autofree double *px = g_new (double, MAX (n, 1));
  g_autofree double *py = g_new (double, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      double column;

      if (!isfinite (xs[i]) || !isfinite (ys[i]))
        {
          bucket_flush (&bucket, &b, px, py);
          b.pen_down = FALSE;
          continue;
        }
      px[i] = draw_frame_x (f, xs[i]);
      py[i] = draw_frame_y (f, ys[i]);
      column = floor (px[i]);
      if (bucket.open && column == bucket.column)
        {
          if (py[i] < py[bucket.lo])
            bucket.lo = i;
          if (py[i] > py[bucket.hi])
            bucket.hi = i;
          bucket.last = i;
          continue;
        }
      bucket_flush (&bucket, &b, px, py);
      bucket.open = TRUE;
      bucket.column = column;
      bucket.first = bucket.lo = bucket.hi = bucket.last = i;
    }
  bucket_flush (&bucket, &b, px, py);
  return b.n_ops;
}

static guint
count_finite (const DrawSeries *series)
{
  guint n = 0;

  for (guint i = 0; i < series->x->len; i++)
    if (isfinite (g_array_index (series->x, double, i)) &&
        isfinite (g_array_index (series->y, double, i)))
      n++;
  return n;
}

static void
draw_markers (cairo_t         *cr,
              const DrawFrame *f,
              DrawCoverage    *cov,
              const double    *xs,
              const double    *ys,
              guint            n,
              double           radius)
{
  for (guint i = 0; i < n; i++)
    {
      double x, y;

      if (!isfinite (xs[i]) || !isfinite (ys[i]))
        continue;
      x = draw_frame_x (f, xs[i]);
      y = draw_frame_y (f, ys[i]);
      cairo_new_sub_path (cr);
      cairo_arc (cr, x, y, radius, 0, 2 * G_PI);
      draw_coverage_add (cov, x - radius, y - radius, x + radius, y + radius);
    }
  cairo_fill (cr);
}

void
draw_plot_draw_lines (DrawPlot        *plot,
                      cairo_t         *cr,
                      const DrawFrame *f,
                      DrawCoverage    *cov)
{
  double width = f->right - f->left;

  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);

  for (guint s = 0; s < plot->series->len; s++)
    {
      DrawSeries *series = g_ptr_array_index (plot->series, s);
      const double *xs = (const double *) series->x->data;
      const double *ys = (const double *) series->y->data;
      guint n = series->x->len;
      guint n_finite = count_finite (series);
      /* dots only while they stay apart */
      gboolean markers = n_finite == 1 || (series->smooth == NULL && n_finite <= width / 12.0);

      series->markers = markers;
      if (n_finite == 0)
        continue;

      if (series->smooth != NULL)
        {
          cairo_set_source_rgba (cr, series->rgb[0], series->rgb[1], series->rgb[2], 0.3);
          cairo_set_line_width (cr, 1.0);
          add_line_path (cr, f, cov, xs, ys, n);
          cairo_stroke (cr);
          if (n_finite == 1)
            draw_markers (cr, f, cov, xs, ys, n, 2.5);
          ys = (const double *) series->smooth->data;
        }

      cairo_set_source_rgb (cr, series->rgb[0], series->rgb[1], series->rgb[2]);
      cairo_set_line_width (cr, 2.0);
      add_line_path (cr, f, cov, xs, ys, n);
      cairo_stroke (cr);
      if (markers)
        draw_markers (cr, f, cov, xs, ys, n, 3.5);
    }
}
