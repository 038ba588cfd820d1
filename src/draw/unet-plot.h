/* unet-plot.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <cairo.h>
#include <glib.h>

#include "unet-draw-file.h"

G_BEGIN_DECLS

/* A chart drawn with Cairo and Pango, shared by `unet plot` and the application's StudioPlot:
 * either line series (x, y) with optional exponential smoothing, or labelled bars. It owns its
 * data; drawing reads it and remembers the geometry for unet_plot_pick(). Not thread-safe. */
typedef struct _UnetPlot UnetPlot;

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
} UnetPlotStyle;

typedef enum
{
  UNET_PLOT_LEGEND_AUTO,  /* when there are two series or more */
  UNET_PLOT_LEGEND_SHOW,
  UNET_PLOT_LEGEND_HIDE,
} UnetPlotLegend;

/* What unet_plot_pick() found under a point. */
typedef struct
{
  int         series;   /* line series index, or -1 for a bar */
  guint       index;    /* point or bar index */
  double      x;        /* the point's x (a bar: its index) */
  double      y;        /* the raw value (a bar: its value, maybe NAN) */
  double      smoothed; /* the smoothed value, NAN when the series is not smoothed */
  double      px, py;   /* where it was drawn, in the last unet_plot_draw()'s user space */
  const char *label;    /* the series' or bar's label, borrowed; may be NULL */
} UnetPlotHit;

/* Light: dark grey on white, as in `unet plot`'s pictures. */
void        unet_plot_style_init_default (UnetPlotStyle        *style);
/* Light grey on a dark background. */
void        unet_plot_style_init_dark    (UnetPlotStyle        *style);

UnetPlot   *unet_plot_new                (void);
void        unet_plot_free               (UnetPlot             *plot);

void        unet_plot_set_title          (UnetPlot             *plot,
                                          const char           *title);
const char *unet_plot_get_title          (UnetPlot             *plot);
void        unet_plot_set_x_label        (UnetPlot             *plot,
                                          const char           *label);
const char *unet_plot_get_x_label        (UnetPlot             *plot);
void        unet_plot_set_y_label        (UnetPlot             *plot,
                                          const char           *label);
const char *unet_plot_get_y_label        (UnetPlot             *plot);
/* Fixes the y range (values outside are clipped); min >= max, or a NAN, lets it follow the
 * data. */
void        unet_plot_set_y_range        (UnetPlot             *plot,
                                          double                min,
                                          double                max);
void        unet_plot_set_legend         (UnetPlot             *plot,
                                          UnetPlotLegend        legend);

/* Adds a line series and returns its index. rgb is the line's colour. smoothing in [0,1): 0
 * draws the raw line only; otherwise faint raw data under a bold line, the exponential moving
 * average with that weight (0.9 ≈ the last ten points), debiased so that it starts at the
 * first value. */
guint       unet_plot_add_series         (UnetPlot             *plot,
                                          const char           *label,
                                          const double          rgb[3],
                                          double                smoothing);
guint       unet_plot_get_n_series       (UnetPlot             *plot);
/* Appends a point; a non-finite y leaves a gap in the line. */
void        unet_plot_append             (UnetPlot             *plot,
                                          guint                 series,
                                          double                x,
                                          double                y);
guint       unet_plot_get_n_points       (UnetPlot             *plot,
                                          guint                 series);
/* Point `index` of a series: any of x, y, smoothed may be NULL. smoothed is NAN for a series
 * without smoothing. FALSE when there is no such point. */
gboolean    unet_plot_get_point          (UnetPlot             *plot,
                                          guint                 series,
                                          guint                 index,
                                          double               *x,
                                          double               *y,
                                          double               *smoothed);

/* Turns the plot into a bar chart with n bars (labels may be NULL, or hold NULLs); a NAN
 * value is drawn as "n/a". colors is n × r,g,b, or NULL for the style's accent colour. The
 * arrays are copied. */
void        unet_plot_set_bars           (UnetPlot             *plot,
                                          const char *const    *labels,
                                          const double         *values,
                                          const guint8         *colors,
                                          guint                 n);
guint       unet_plot_get_n_bars         (UnetPlot             *plot);

/* Removes every point and bar, keeping the series, labels and ranges. */
void        unet_plot_clear              (UnetPlot             *plot);

/* Draws the plot into the rectangle (0, 0, width, height) of cr's user space: background,
 * title, grid, axes with "nice" ticks (1, 2 or 5 × 10^k) and their labels, the data, the
 * legend; or the style's empty text when there is no data. A series costs time in proportion
 * to its points but Cairo only ever sees a few segments per pixel column. style may be NULL
 * for the defaults. The cairo state is saved and restored. */
void        unet_plot_draw               (UnetPlot             *plot,
                                          cairo_t              *cr,
                                          double                width,
                                          double                height,
                                          const UnetPlotStyle  *style);

/* The rectangle the data were drawn in by the last unet_plot_draw(); FALSE before any. */
gboolean    unet_plot_get_area           (UnetPlot             *plot,
                                          double               *x,
                                          double               *y,
                                          double               *width,
                                          double               *height);

/* The point (of any series) or bar nearest to (px, py), in the user space of the last
 * unet_plot_draw(). Lines: the point nearest in x of each series, then the nearest of those;
 * bars: the bar whose column holds px. FALSE when (px, py) is outside the data area or there is
 * nothing there. */
gboolean    unet_plot_pick               (UnetPlot             *plot,
                                          double                px,
                                          double                py,
                                          UnetPlotHit          *hit);

/* The plot as PNG or SVG file contents (SVG: vectors, text as glyph outlines). style may be
 * NULL. */
GBytes     *unet_plot_render_png         (UnetPlot             *plot,
                                          int                   width,
                                          int                   height,
                                          const UnetPlotStyle  *style,
                                          GError              **error);
GBytes     *unet_plot_render_svg         (UnetPlot             *plot,
                                          int                   width,
                                          int                   height,
                                          const UnetPlotStyle  *style,
                                          GError              **error);

/* Several plots stacked top to bottom in one picture, each an equal share of the height below
 * an optional bold title (NULL or "" for none). */
GBytes     *unet_plot_render_stack       (UnetPlot *const      *plots,
                                          guint                 n_plots,
                                          const char           *title,
                                          int                   width,
                                          int                   height,
                                          UnetDrawFormat        format,
                                          const UnetPlotStyle  *style,
                                          GError              **error);

/* "Nice" ticks for [lo, hi]: a step of 1, 2 or 5 × 10^k (at least 1 when integral) giving at
 * most max_ticks ticks, the first multiple of it at or above lo, and their number. Returns 0 for
 * an empty or non-finite range. */
guint       unet_plot_nice_ticks         (double                lo,
                                          double                hi,
                                          guint                 max_ticks,
                                          gboolean              integral,
                                          double               *first,
                                          double               *step);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetPlot, unet_plot_free)

G_END_DECLS
