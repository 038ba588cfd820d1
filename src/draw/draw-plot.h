/* draw-plot.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <cairo.h>
#include <glib.h>

#include "draw-error.h"
#include "draw-file.h"

G_BEGIN_DECLS

/* A chart drawn with Cairo and Pango, shared by `unet plot` and the application's StudioPlot:
 * either line series (x, y) with optional exponential smoothing, or labelled bars. It owns its
 * data; drawing reads it and remembers the geometry for draw_plot_pick(). Not thread-safe. */
typedef struct _DrawPlot DrawPlot;

/* Everything about the look that is not data. Colours are 0..1. */
typedef struct
{
  const char *font_family;          /* NULL: "Sans" */
  double      font_size;            /* tick labels, pixels; titles are larger. 13 */
  double      foreground[3];        /* text, axes and ticks */
  double      background[4];        /* RGBA; alpha 0 leaves the target as it is */
  double      grid[4];              /* RGBA of the grid lines */
  double      legend_background[4]; /* RGBA behind the legend */
  double      accent[3];            /* bars that have no colour of their own */
  const char *empty_text;           /* centred on a plot without data; NULL: "No data yet" */
  const char *na_text;              /* in place of a NAN bar; NULL: "n/a" */
} DrawPlotStyle;

typedef enum
{
  DRAW_PLOT_LEGEND_AUTO,  /* when there are two series or more */
  DRAW_PLOT_LEGEND_SHOW,
  DRAW_PLOT_LEGEND_HIDE,
} DrawPlotLegend;

/* What draw_plot_pick() found under a point. */
typedef struct
{
  int         series;   /* line series index, or -1 for a bar */
  guint       index;    /* point or bar index */
  double      x;        /* the point's x (a bar: its index) */
  double      y;        /* the raw value (a bar: its value, maybe NAN) */
  double      smoothed; /* the smoothed value, NAN when the series is not smoothed */
  double      px, py;   /* where it was drawn, in the last draw_plot_draw()'s user space */
  const char *label;    /* the series' or bar's label, borrowed; may be NULL */
} DrawPlotHit;

/* Light: dark grey on white, as in `unet plot`'s pictures. */
void        draw_plot_style_init_default (DrawPlotStyle        *style);
/* Light grey on a dark background. */
void        draw_plot_style_init_dark    (DrawPlotStyle        *style);

DrawPlot   *draw_plot_new                (void);
void        draw_plot_free               (DrawPlot             *plot);

void        draw_plot_set_title          (DrawPlot             *plot,
                                          const char           *title);
const char *draw_plot_get_title          (DrawPlot             *plot);
void        draw_plot_set_x_label        (DrawPlot             *plot,
                                          const char           *label);
const char *draw_plot_get_x_label        (DrawPlot             *plot);
void        draw_plot_set_y_label        (DrawPlot             *plot,
                                          const char           *label);
const char *draw_plot_get_y_label        (DrawPlot             *plot);
/* Fixes the y range (values outside are clipped); min >= max, or a NAN, lets it follow the
 * data. */
void        draw_plot_set_y_range        (DrawPlot             *plot,
                                          double                min,
                                          double                max);
void        draw_plot_set_legend         (DrawPlot             *plot,
                                          DrawPlotLegend        legend);

/* Adds a line series and returns its index. rgb is the line's colour. smoothing in [0,1): 0
 * draws the raw line only; otherwise faint raw data under a bold line, the exponential moving
 * average with that weight (0.9 ≈ the last ten points), debiased so that it starts at the
 * first value. */
guint       draw_plot_add_series         (DrawPlot             *plot,
                                          const char           *label,
                                          const double          rgb[3],
                                          double                smoothing);
guint       draw_plot_get_n_series       (DrawPlot             *plot);
/* Appends a point; a non-finite y leaves a gap in the line. */
void        draw_plot_append             (DrawPlot             *plot,
                                          guint                 series,
                                          double                x,
                                          double                y);
guint       draw_plot_get_n_points       (DrawPlot             *plot,
                                          guint                 series);
/* Point `index` of a series: any of x, y, smoothed may be NULL. smoothed is NAN for a series
 * without smoothing. FALSE when there is no such point. */
gboolean    draw_plot_get_point          (DrawPlot             *plot,
                                          guint                 series,
                                          guint                 index,
                                          double               *x,
                                          double               *y,
                                          double               *smoothed);

/* Turns the plot into a bar chart with n bars (labels may be NULL, or hold NULLs); a NAN
 * value is drawn as "n/a". colors is n × r,g,b, or NULL for the style's accent colour. The
 * arrays are copied. */
void        draw_plot_set_bars           (DrawPlot             *plot,
                                          const char *const    *labels,
                                          const double         *values,
                                          const guint8         *colors,
                                          guint                 n);
guint       draw_plot_get_n_bars         (DrawPlot             *plot);

/* Removes every point and bar, keeping the series, labels and ranges. */
void        draw_plot_clear              (DrawPlot             *plot);

/* Draws the plot into the rectangle (0, 0, width, height) of cr's user space: background,
 * title, grid, axes with "nice" ticks (1, 2 or 5 × 10^k) and their labels, the data, the
 * legend; or the style's empty text when there is no data. A series costs time in proportion
 * to its points but Cairo only ever sees a few segments per pixel column. style may be NULL
 * for the defaults. The cairo state is saved and restored. */
void        draw_plot_draw               (DrawPlot             *plot,
                                          cairo_t              *cr,
                                          double                width,
                                          double                height,
                                          const DrawPlotStyle  *style);

/* The rectangle the data were drawn in by the last draw_plot_draw(); FALSE before any. */
gboolean    draw_plot_get_area           (DrawPlot             *plot,
                                          double               *x,
                                          double               *y,
                                          double               *width,
                                          double               *height);

/* The point (of any series) or bar nearest to (px, py), in the user space of the last
 * draw_plot_draw(). Lines: the point nearest in x of each series, then the nearest of those;
 * bars: the bar whose column holds px. FALSE when (px, py) is outside the data area or there is
 * nothing there. */
gboolean    draw_plot_pick               (DrawPlot             *plot,
                                          double                px,
                                          double                py,
                                          DrawPlotHit          *hit);

/* The plot as PNG or SVG file contents (SVG: vectors, text as glyph outlines). style may be
 * NULL. */
GBytes     *draw_plot_render_png         (DrawPlot             *plot,
                                          int                   width,
                                          int                   height,
                                          const DrawPlotStyle  *style,
                                          GError              **error);
GBytes     *draw_plot_render_svg         (DrawPlot             *plot,
                                          int                   width,
                                          int                   height,
                                          const DrawPlotStyle  *style,
                                          GError              **error);

/* Several plots stacked top to bottom in one picture, each an equal share of the height below
 * an optional bold title (NULL or "" for none). */
GBytes     *draw_plot_render_stack       (DrawPlot *const      *plots,
                                          guint                 n_plots,
                                          const char           *title,
                                          int                   width,
                                          int                   height,
                                          DrawFormat            format,
                                          const DrawPlotStyle  *style,
                                          GError              **error);

/* "Nice" ticks for [lo, hi]: a step of 1, 2 or 5 × 10^k (at least 1 when integral) giving at
 * most max_ticks ticks, the first multiple of it at or above lo, and their number. Returns 0 for
 * an empty or non-finite range. */
guint       draw_plot_nice_ticks         (double                lo,
                                          double                hi,
                                          guint                 max_ticks,
                                          gboolean              integral,
                                          double               *first,
                                          double               *step);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrawPlot, draw_plot_free)

G_END_DECLS
