/* draw-plot-private.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <pango/pangocairo.h>

#include "draw-plot.h"

G_BEGIN_DECLS

/* What the files of a DrawPlot share: draw-plot.c holds the data and lays the figure out,
 * draw-plot-text.c sets text, draw-plot-axis.c draws the grid, ticks and titles,
 * draw-plot-lines.c and draw-plot-bars.c the data, draw-plot-legend.c places the legend and
 * draw-plot-pick.c finds what lies under a point. */

/* Pixel coordinates beyond this are clamped before they reach Cairo, whose fixed-point
 * coordinates overflow around ±8 million: a value far outside a fixed range must still draw
 * a line that leaves the area, not garbage. */
#define DRAW_COORD_LIMIT 1e5

/* Text sizes, as multiples of the style's font size. */
#define DRAW_LABEL_SCALE 1.0
#define DRAW_TITLE_SCALE 1.2
#define DRAW_VALUE_SCALE 0.85
#define DRAW_LEGEND_SCALE 0.95
#define DRAW_EMPTY_SCALE 1.1

typedef struct
{
  char    *label;
  double   rgb[3];
  double   smoothing;
  GArray  *x;        /* double */
  GArray  *y;        /* double */
  GArray  *smooth;   /* double, only with smoothing */
  double   ema;      /* biased moving average of the finite values so far */
  double   ema_decay; /* smoothing^count: what the average still owes its zero start */
  gboolean sorted;   /* x never decreases: binary search for pick */
  gboolean integral; /* every x is a whole number: ticks at least 1 apart */
  gboolean markers;  /* the last drawing put dots on the points: so does the legend */
} DrawSeries;

/* The geometry of the last drawing: the data area in user space and the data ranges it maps. */
typedef struct
{
  gboolean valid;
  double   left, top, right, bottom;
  double   x0, x1, y0, y1;
  gboolean has_y; /* y0..y1 mean something (data or a fixed range) */
} DrawFrame;

struct _DrawPlot
{
  char          *title;
  char          *x_label;
  char          *y_label;
  double         y_min;
  double         y_max;
  DrawPlotLegend legend;

  GPtrArray     *series;     /* DrawSeries */

  gboolean       bars;       /* a bar chart since draw_plot_set_bars() */
  GPtrArray     *bar_labels; /* char *, may hold NULL */
  GArray        *bar_values; /* double */
  GByteArray    *bar_colors; /* 3 per bar, or empty for the accent colour */

  DrawFrame      frame;
};

/* Text through Pango, so that translations get shaping and font fallback. */
typedef struct
{
  cairo_t              *cr;
  PangoLayout          *layout;
  PangoFontDescription *font;
  const DrawPlotStyle  *style;
} DrawPainter;

/* Sizes derived from the style's font, shared by the layout and every part drawn. */
typedef struct
{
  double font;       /* tick label size */
  double pad;        /* around everything */
  double gap;        /* between a label and what it labels */
  double tick;       /* tick length */
  double line;       /* height of a tick label */
  double label_line; /* height of an axis label */
  double title_line; /* height of the title */
} DrawMetrics;

typedef struct
{
  guint  n;
  double first;
  double step;
} DrawTicks;

/* Per pixel column, the vertical extent of what was drawn there: the legend goes where it
 * hides the least. */
typedef struct
{
  int    n;
  double left;
  float *lo;
  float *hi;
} DrawCoverage;

typedef enum
{
  DRAW_LABELS_HORIZONTAL,
  DRAW_LABELS_SLANTED,   /* 45°, as matplotlib's rotation=45, ha="right" */
  DRAW_LABELS_VERTICAL,
} DrawLabelMode;

/* How the bar labels fit under the axis. */
typedef struct
{
  DrawLabelMode mode;
  double        band;   /* height below the axis */
  guint         every;  /* label every n-th bar when they would overlap */
} DrawBarLabels;

static inline void
draw_set_rgb (double out[3],
              double r,
              double g,
              double b)
{
  out[0] = r;
  out[1] = g;
  out[2] = b;
}

static inline gboolean
draw_has_text (const char *text)
{
  return text != NULL && text[0] != '\0';
}

static inline double
draw_frame_x (const DrawFrame *f,
              double           x)
{
  double px = f->left + (x - f->x0) / (f->x1 - f->x0) * (f->right - f->left);

  return CLAMP (px, -DRAW_COORD_LIMIT, DRAW_COORD_LIMIT);
}

static inline double
draw_frame_y (const DrawFrame *f,
              double           y)
{
  double py = f->bottom - (y - f->y0) / (f->y1 - f->y0) * (f->bottom - f->top);

  return CLAMP (py, -DRAW_COORD_LIMIT, DRAW_COORD_LIMIT);
}

/* draw-plot-text.c */
void   draw_painter_init             (DrawPainter          *p,
                                      cairo_t              *cr,
                                      const DrawPlotStyle  *style);
void   draw_painter_clear            (DrawPainter          *p);
void   draw_painter_set_text         (DrawPainter          *p,
                                      const char           *text,
                                      double                scale,
                                      gboolean              bold,
                                      double                max_width);
void   draw_painter_size             (DrawPainter          *p,
                                      double               *width,
                                      double               *height);
double draw_painter_text_width       (DrawPainter          *p,
                                      const char           *text,
                                      double                scale,
                                      gboolean              bold);
double draw_painter_text_height      (DrawPainter          *p,
                                      double                scale,
                                      gboolean              bold);
void   draw_painter_show             (DrawPainter          *p,
                                      double                x,
                                      double                y,
                                      double                ax,
                                      double                ay,
                                      double                angle,
                                      const double          rgb[3],
                                      double                alpha);
void   draw_metrics_init             (DrawMetrics          *m,
                                      DrawPainter          *p);

/* draw-plot-axis.c */
void   draw_format_number            (double                value,
                                      double                step,
                                      char                 *buffer,
                                      gsize                 size);
double draw_plot_widest_tick_label   (DrawPainter          *p,
                                      const DrawTicks      *t);
void   draw_plot_y_ticks             (const DrawMetrics    *m,
                                      double                y0,
                                      double                y1,
                                      double                height,
                                      DrawTicks            *t);
void   draw_plot_x_ticks             (DrawPainter          *p,
                                      const DrawMetrics    *m,
                                      double                x0,
                                      double                x1,
                                      double                width,
                                      gboolean              integral,
                                      DrawTicks            *t);
void   draw_plot_draw_grid_and_ticks (cairo_t              *cr,
                                      DrawPainter          *p,
                                      const DrawMetrics    *m,
                                      const DrawFrame      *f,
                                      const DrawTicks      *xt,
                                      const DrawTicks      *yt,
                                      double                width,
                                      const DrawPlotStyle  *style);
void   draw_plot_draw_spines         (cairo_t              *cr,
                                      const DrawFrame      *f,
                                      const DrawPlotStyle  *style);
void   draw_plot_draw_titles         (DrawPlot             *plot,
                                      DrawPainter          *p,
                                      const DrawMetrics    *m,
                                      const DrawFrame      *f,
                                      double                width,
                                      double                height,
                                      const DrawPlotStyle  *style);

/* draw-plot-lines.c */
void   draw_plot_draw_lines          (DrawPlot             *plot,
                                      cairo_t              *cr,
                                      const DrawFrame      *f,
                                      DrawCoverage         *cov);

/* draw-plot-bars.c */
void   draw_plot_plan_bar_labels     (DrawPlot             *plot,
                                      DrawPainter          *p,
                                      const DrawMetrics    *m,
                                      double                area_width,
                                      double                height,
                                      DrawBarLabels        *out);
void   draw_plot_draw_bars           (DrawPlot             *plot,
                                      cairo_t              *cr,
                                      DrawPainter          *p,
                                      const DrawMetrics    *m,
                                      const DrawFrame      *f,
                                      double                value_step,
                                      const DrawPlotStyle  *style);
void   draw_plot_draw_bar_labels     (DrawPlot             *plot,
                                      DrawPainter          *p,
                                      const DrawMetrics    *m,
                                      const DrawFrame      *f,
                                      const DrawBarLabels  *plan,
                                      const DrawPlotStyle  *style);

/* draw-plot-legend.c */
void   draw_coverage_init            (DrawCoverage         *cov,
                                      const DrawFrame      *f);
void   draw_coverage_clear           (DrawCoverage         *cov);
void   draw_coverage_add             (DrawCoverage         *cov,
                                      double                x0,
                                      double                y0,
                                      double                x1,
                                      double                y1);
void   draw_plot_draw_legend         (DrawPlot             *plot,
                                      cairo_t              *cr,
                                      DrawPainter          *p,
                                      const DrawMetrics    *m,
                                      const DrawFrame      *f,
                                      const DrawCoverage   *cov,
                                      const DrawPlotStyle  *style);

G_END_DECLS
