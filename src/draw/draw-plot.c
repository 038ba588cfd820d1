/* draw-plot.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A DrawPlot's data, series with their smoothing or bars, and the figure: its ranges, its
 * layout, the order its parts are drawn in, and the files rendered from it. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "draw-file-private.h"
#include "draw-plot-private.h"

/* --- styles -------------------------------------------------------------------------------- */

static void
set_rgba (double out[4],
          double r,
          double g,
          double b,
          double a)
{
  draw_set_rgb (out, r, g, b);
  out[3] = a;
}

void
draw_plot_style_init_default (DrawPlotStyle *style)
{
  g_return_if_fail (style != NULL);

  memset (style, 0, sizeof *style);
  style->font_size = 13.0;
  draw_set_rgb (style->foreground, 0.15, 0.15, 0.17);
  set_rgba (style->background, 1.0, 1.0, 1.0, 1.0);
  set_rgba (style->grid, 0.0, 0.0, 0.0, 0.09);
  set_rgba (style->legend_background, 1.0, 1.0, 1.0, 0.85);
  /* GNOME blue 3 */
  draw_set_rgb (style->accent, 0x35 / 255.0, 0x84 / 255.0, 0xe4 / 255.0);
}

void
draw_plot_style_init_dark (DrawPlotStyle *style)
{
  g_return_if_fail (style != NULL);

  draw_plot_style_init_default (style);
  draw_set_rgb (style->foreground, 0.92, 0.92, 0.92);
  set_rgba (style->background, 0.14, 0.14, 0.15, 1.0);
  set_rgba (style->grid, 1.0, 1.0, 1.0, 0.10);
  set_rgba (style->legend_background, 0.14, 0.14, 0.15, 0.85);
  draw_set_rgb (style->accent, 0x78 / 255.0, 0xae / 255.0, 0xed / 255.0);
}

/* --- the model ----------------------------------------------------------------------------- */

static void
series_free (gpointer data)
{
  DrawSeries *series = data;

  g_free (series->label);
  g_array_unref (series->x);
  g_array_unref (series->y);
  g_clear_pointer (&series->smooth, g_array_unref);
  g_free (series);
}

static void
series_clear (DrawSeries *series)
{
  g_array_set_size (series->x, 0);
  g_array_set_size (series->y, 0);
  if (series->smooth)
    g_array_set_size (series->smooth, 0);
  series->ema = 0.0;
  series->ema_decay = 1.0;
  series->sorted = TRUE;
  series->integral = TRUE;
}

DrawPlot *
draw_plot_new (void)
{
  DrawPlot *plot = g_new0 (DrawPlot, 1);

  plot->y_min = NAN;
  plot->y_max = NAN;
  plot->series = g_ptr_array_new_with_free_func (series_free);
  plot->bar_labels = g_ptr_array_new_with_free_func (g_free);
  plot->bar_values = g_array_new (FALSE, FALSE, sizeof (double));
  plot->bar_colors = g_byte_array_new ();
  return plot;
}

void
draw_plot_free (DrawPlot *plot)
{
  if (plot == NULL)
    return;

  g_free (plot->title);
  g_free (plot->x_label);
  g_free (plot->y_label);
  g_ptr_array_unref (plot->series);
  g_ptr_array_unref (plot->bar_labels);
  g_array_unref (plot->bar_values);
  g_byte_array_unref (plot->bar_colors);
  g_free (plot);
}

void
draw_plot_set_title (DrawPlot   *plot,
                     const char *title)
{
  g_return_if_fail (plot != NULL);

  g_free (plot->title);
  plot->title = g_strdup (title);
}

const char *
draw_plot_get_title (DrawPlot *plot)
{
  g_return_val_if_fail (plot != NULL, NULL);

  return plot->title;
}

void
draw_plot_set_x_label (DrawPlot   *plot,
                       const char *label)
{
  g_return_if_fail (plot != NULL);

  g_free (plot->x_label);
  plot->x_label = g_strdup (label);
}

const char *
draw_plot_get_x_label (DrawPlot *plot)
{
  g_return_val_if_fail (plot != NULL, NULL);

  return plot->x_label;
}

void
draw_plot_set_y_label (DrawPlot   *plot,
                       const char *label)
{
  g_return_if_fail (plot != NULL);

  g_free (plot->y_label);
  plot->y_label = g_strdup (label);
}

const char *
draw_plot_get_y_label (DrawPlot *plot)
{
  g_return_val_if_fail (plot != NULL, NULL);

  return plot->y_label;
}

void
draw_plot_set_y_range (DrawPlot *plot,
                       double    min,
                       double    max)
{
  g_return_if_fail (plot != NULL);

  plot->y_min = min;
  plot->y_max = max;
}

void
draw_plot_set_legend (DrawPlot       *plot,
                      DrawPlotLegend  legend)
{
  g_return_if_fail (plot != NULL);

  plot->legend = legend;
}

static gboolean
has_fixed_y_range (DrawPlot *plot)
{
  return isfinite (plot->y_min) && isfinite (plot->y_max) && plot->y_min < plot->y_max;
}

guint
draw_plot_add_series (DrawPlot     *plot,
                      const char   *label,
                      const double  rgb[3],
                      double        smoothing)
{
  DrawSeries *series;

  g_return_val_if_fail (plot != NULL, 0);
  g_return_val_if_fail (rgb != NULL, 0);

  series = g_new0 (DrawSeries, 1);
  series->label = g_strdup (label);
  memcpy (series->rgb, rgb, sizeof series->rgb);
  series->smoothing = isfinite (smoothing) ? CLAMP (smoothing, 0.0, 0.9999) : 0.0;
  series->x = g_array_new (FALSE, FALSE, sizeof (double));
  series->y = g_array_new (FALSE, FALSE, sizeof (double));
  if (series->smoothing > 0.0)
    series->smooth = g_array_new (FALSE, FALSE, sizeof (double));
  series_clear (series);
  g_ptr_array_add (plot->series, series);
  return plot->series->len - 1;
}

guint
draw_plot_get_n_series (DrawPlot *plot)
{
  g_return_val_if_fail (plot != NULL, 0);

  return plot->series->len;
}

void
draw_plot_append (DrawPlot *plot,
                  guint     index,
                  double    x,
                  double    y)
{
  DrawSeries *series;

  g_return_if_fail (plot != NULL);
  g_return_if_fail (index < plot->series->len);

  series = g_ptr_array_index (plot->series, index);
  if (series->x->len > 0 && !(x >= g_array_index (series->x, double, series->x->len - 1)))
    series->sorted = FALSE;
  if (!(isfinite (x) && x == floor (x)))
    series->integral = FALSE;
  g_array_append_val (series->x, x);
  g_array_append_val (series->y, y);

  if (series->smooth != NULL)
    {
      double w = series->smoothing;
      double value = NAN;

      /* Debiased as TensorBoard does: an average started at zero, divided by the weight it has
       * gathered so far, so the first smoothed value is the first raw one. */
      if (isfinite (y))
        {
          series->ema = w * series->ema + (1.0 - w) * y;
          series->ema_decay *= w;
          value = series->ema / (1.0 - series->ema_decay);
        }
      g_array_append_val (series->smooth, value);
    }
}

guint
draw_plot_get_n_points (DrawPlot *plot,
                        guint     index)
{
  g_return_val_if_fail (plot != NULL, 0);
  g_return_val_if_fail (index < plot->series->len, 0);

  return ((DrawSeries *) g_ptr_array_index (plot->series, index))->x->len;
}

gboolean
draw_plot_get_point (DrawPlot *plot,
                     guint     index,
                     guint     point,
                     double   *x,
                     double   *y,
                     double   *smoothed)
{
  DrawSeries *series;

  g_return_val_if_fail (plot != NULL, FALSE);

  if (index >= plot->series->len)
    return FALSE;
  series = g_ptr_array_index (plot->series, index);
  if (point >= series->x->len)
    return FALSE;
  if (x)
    *x = g_array_index (series->x, double, point);
  if (y)
    *y = g_array_index (series->y, double, point);
  if (smoothed)
    *smoothed = series->smooth ? g_array_index (series->smooth, double, point) : NAN;
  return TRUE;
}

void
draw_plot_set_bars (DrawPlot          *plot,
                    const char *const *labels,
                    const double      *values,
                    const guint8      *colors,
                    guint              n)
{
  g_return_if_fail (plot != NULL);
  g_return_if_fail (values != NULL || n == 0);

  plot->bars = TRUE;
  g_ptr_array_set_size (plot->bar_labels, 0);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (plot->bar_labels, labels ? g_strdup (labels[i]) : NULL);
  g_array_set_size (plot->bar_values, 0);
  if (n > 0)
    g_array_append_vals (plot->bar_values, values, n);
  g_byte_array_set_size (plot->bar_colors, 0);
  if (colors != NULL && n > 0)
    g_byte_array_append (plot->bar_colors, colors, 3 * n);
}

guint
draw_plot_get_n_bars (DrawPlot *plot)
{
  g_return_val_if_fail (plot != NULL, 0);

  return plot->bar_values->len;
}

void
draw_plot_clear (DrawPlot *plot)
{
  g_return_if_fail (plot != NULL);

  for (guint i = 0; i < plot->series->len; i++)
    series_clear (g_ptr_array_index (plot->series, i));
  g_ptr_array_set_size (plot->bar_labels, 0);
  g_array_set_size (plot->bar_values, 0);
  g_byte_array_set_size (plot->bar_colors, 0);
}

/* --- ranges -------------------------------------------------------------------------------- */

static gboolean
line_ranges (DrawPlot *plot,
             double   *x0,
             double   *x1,
             double   *y0,
             double   *y1,
             gboolean *integral)
{
  gboolean any = FALSE;

  *x0 = *y0 = G_MAXDOUBLE;
  *x1 = *y1 = -G_MAXDOUBLE;
  *integral = TRUE;
  for (guint s = 0; s < plot->series->len; s++)
    {
      DrawSeries *series = g_ptr_array_index (plot->series, s);

      for (guint i = 0; i < series->x->len; i++)
        {
          double x = g_array_index (series->x, double, i);
          double y = g_array_index (series->y, double, i);

          if (!isfinite (x) || !isfinite (y))
            continue;
          /* absurd values are clipped at the edge rather than overflow the ranges */
          x = CLAMP (x, -1e150, 1e150);
          y = CLAMP (y, -1e150, 1e150);
          any = TRUE;
          *x0 = MIN (*x0, x);
          *x1 = MAX (*x1, x);
          *y0 = MIN (*y0, y);
          *y1 = MAX (*y1, y);
        }
      if (series->x->len > 0 && !series->integral)
        *integral = FALSE;
    }
  return any;
}

/* Widens [*lo, *hi] by margin of its length on each side, or around a single value. */
static void
pad_range (double  *lo,
           double  *hi,
           double   margin,
           gboolean integral)
{
  if (*hi > *lo)
    {
      double d = (*hi - *lo) * margin;

      *lo -= d;
      *hi += d;
    }
  else
    {
      double d = integral ? 1.0 : (*lo != 0.0 ? fabs (*lo) * 0.1 : 1.0);

      *lo -= d;
      *hi += d;
    }
}

static gboolean
bar_range (DrawPlot *plot,
           double   *y0,
           double   *y1)
{
  gboolean any = FALSE;

  *y0 = 0.0;
  *y1 = 0.0;
  for (guint i = 0; i < plot->bar_values->len; i++)
    {
      double v = g_array_index (plot->bar_values, double, i);

      if (!isfinite (v))
        continue;
      any = TRUE;
      *y0 = MIN (*y0, v);
      *y1 = MAX (*y1, v);
    }
  return any;
}

/* The data ranges the frame maps, with a margin around lines and room above bars, or the fixed
 * y range; FALSE when there are no data. *integral: every x is a whole number. */
static gboolean
frame_ranges (DrawPlot  *plot,
              DrawFrame *f,
              gboolean  *integral)
{
  gboolean has_data, fixed = has_fixed_y_range (plot);

  *integral = TRUE;
  if (plot->bars)
    {
      has_data = plot->bar_values->len > 0;
      bar_range (plot, &f->y0, &f->y1);
      if (f->y1 == f->y0)
        f->y1 = f->y0 + 1.0;
      else
        f->y1 += (f->y1 - f->y0) * 0.08; /* room for the values over the bars */
      f->x0 = 0.0;
      f->x1 = MAX (plot->bar_values->len, 1);
    }
  else
    {
      has_data = line_ranges (plot, &f->x0, &f->x1, &f->y0, &f->y1, integral);
      if (has_data)
        {
          pad_range (&f->x0, &f->x1, 0.03, *integral);
          pad_range (&f->y0, &f->y1, 0.06, FALSE);
        }
      else
        {
          f->x0 = 0.0;
          f->x1 = 1.0;
          f->y0 = 0.0;
          f->y1 = 1.0;
        }
    }
  if (fixed)
    {
      f->y0 = plot->y_min;
      f->y1 = plot->y_max;
    }
  f->has_y = has_data || fixed;
  return has_data;
}

/* --- drawing ------------------------------------------------------------------------------- */

static void
draw_empty_text (DrawPainter         *p,
                 const DrawFrame     *f,
                 const DrawPlotStyle *style)
{
  draw_painter_set_text (p, style->empty_text ? style->empty_text : "No data yet",
                         DRAW_EMPTY_SCALE, FALSE, f->right - f->left);
  draw_painter_show (p, (f->left + f->right) / 2, (f->top + f->bottom) / 2, 0.5, 0.5, 0.0,
                     style->foreground, 0.55);
}

void
draw_plot_draw (DrawPlot            *plot,
                cairo_t             *cr,
                double               width,
                double               height,
                const DrawPlotStyle *style)
{
  DrawPlotStyle defaults;
  DrawPainter p = { 0 };
  DrawMetrics m;
  DrawFrame f = { 0 };
  DrawTicks xt = { 0 }, yt = { 0 };
  DrawCoverage cov = { 0 };
  DrawBarLabels plan = { 0 };
  gboolean has_data, integral;
  double left, bottom_band, y_tick_w = 0.0;

  g_return_if_fail (plot != NULL);
  g_return_if_fail (cr != NULL);

  if (style == NULL)
    {
      draw_plot_style_init_default (&defaults);
      style = &defaults;
    }
  plot->frame.valid = FALSE;
  if (!(width > 0.0) || !(height > 0.0) || !isfinite (width) || !isfinite (height))
    return;

  cairo_save (cr);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_clip (cr);
  if (style->background[3] > 0.0)
    {
      cairo_set_source_rgba (cr, style->background[0], style->background[1],
                             style->background[2], style->background[3]);
      cairo_paint (cr);
    }

  draw_painter_init (&p, cr, style);
  draw_metrics_init (&m, &p);
  has_data = frame_ranges (plot, &f, &integral);

  /* the data area: vertical margins first, then the y ticks they allow, then the left margin
   * their labels need */
  f.top = m.pad + (draw_has_text (plot->title) ? m.title_line + m.gap * 1.5 : m.line / 2);
  bottom_band = m.tick + m.gap * 0.5 + m.line;
  if (draw_has_text (plot->x_label))
    bottom_band += m.gap + m.label_line;
  if (plot->bars)
    {
      /* the label band depends on the slot width: plan it with a first guess of the area */
      draw_plot_plan_bar_labels (plot, &p, &m, width * 0.8, height, &plan);
      bottom_band = plan.band + (draw_has_text (plot->x_label) ? m.gap + m.label_line : 0.0);
    }
  f.bottom = height - m.pad - bottom_band;
  if (f.has_y)
    {
      draw_plot_y_ticks (&m, f.y0, f.y1, f.bottom - f.top, &yt);
      y_tick_w = draw_plot_widest_tick_label (&p, &yt);
    }
  left = m.pad + (draw_has_text (plot->y_label) ? m.label_line + m.gap : 0.0) + y_tick_w + m.gap
         + m.tick + 1;
  f.left = round (left);
  f.right = round (width - m.pad - m.font * 0.5);
  if (plot->bars)
    {
      draw_plot_plan_bar_labels (plot, &p, &m, f.right - f.left, height, &plan);
      bottom_band = plan.band + (draw_has_text (plot->x_label) ? m.gap + m.label_line : 0.0);
      f.bottom = height - m.pad - bottom_band;
      if (f.has_y)
        draw_plot_y_ticks (&m, f.y0, f.y1, f.bottom - f.top, &yt);
    }
  f.top = round (f.top);
  f.bottom = round (f.bottom);

  if (f.right - f.left < 8 || f.bottom - f.top < 8)
    {
      /* too small for a plot: the background is all there is room for */
      draw_painter_clear (&p);
      cairo_restore (cr);
      return;
    }

  if (has_data && !plot->bars)
    draw_plot_x_ticks (&p, &m, f.x0, f.x1, f.right - f.left, integral, &xt);

  draw_plot_draw_grid_and_ticks (cr, &p, &m, &f, plot->bars || !has_data ? NULL : &xt,
                                 f.has_y ? &yt : NULL, width, style);

  draw_coverage_init (&cov, &f);
  if (has_data && plot->bars)
    draw_plot_draw_bars (plot, cr, &p, &m, &f, yt.step > 0 ? yt.step : 1.0, style);
  else if (has_data)
    {
      cairo_save (cr);
      cairo_rectangle (cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
      cairo_clip (cr);
      draw_plot_draw_lines (plot, cr, &f, &cov);
      cairo_restore (cr);
    }
  draw_plot_draw_spines (cr, &f, style);
  if (has_data && plot->bars)
    draw_plot_draw_bar_labels (plot, &p, &m, &f, &plan, style);
  draw_plot_draw_titles (plot, &p, &m, &f, width, height, style);
  if (!has_data)
    draw_empty_text (&p, &f, style);
  else if (!plot->bars)
    draw_plot_draw_legend (plot, cr, &p, &m, &f, &cov, style);

  draw_coverage_clear (&cov);
  draw_painter_clear (&p);
  cairo_restore (cr);

  f.valid = TRUE;
  f.has_y = f.has_y && has_data;
  plot->frame = f;
}

gboolean
draw_plot_get_area (DrawPlot *plot,
                    double   *x,
                    double   *y,
                    double   *width,
                    double   *height)
{
  const DrawFrame *f;

  g_return_val_if_fail (plot != NULL, FALSE);

  f = &plot->frame;
  if (x)
    *x = f->valid ? f->left : 0.0;
  if (y)
    *y = f->valid ? f->top : 0.0;
  if (width)
    *width = f->valid ? f->right - f->left : 0.0;
  if (height)
    *height = f->valid ? f->bottom - f->top : 0.0;
  return f->valid;
}

/* --- files --------------------------------------------------------------------------------- */

GBytes *
draw_plot_render_stack (DrawPlot *const     *plots,
                        guint                n_plots,
                        const char          *title,
                        int                  width,
                        int                  height,
                        DrawFormat           format,
                        const DrawPlotStyle *style,
                        GError             **error)
{
  DrawFile file;
  DrawPlotStyle defaults;
  cairo_t *cr;
  double top = 0.0;

  g_return_val_if_fail (plots != NULL || n_plots == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (width < 1 || height < 1 || width > 32767 || height > 32767)
    {
      g_set_error (error, DRAW_ERROR, DRAW_ERROR_INVALID_ARGUMENT,
                   "A picture of %d×%d pixels cannot be drawn (1 to 32767 each way)", width,
                   height);
      return NULL;
    }
  if (style == NULL)
    {
      draw_plot_style_init_default (&defaults);
      style = &defaults;
    }

  cr = cairo_create (draw_file_begin (&file, format, width, height));

  if (style->background[3] > 0.0)
    {
      cairo_set_source_rgba (cr, style->background[0], style->background[1],
                             style->background[2], style->background[3]);
      cairo_paint (cr);
    }
  if (draw_has_text (title))
    {
      DrawPainter p = { 0 };
      DrawMetrics m;
      double h;

      draw_painter_init (&p, cr, style);
      draw_metrics_init (&m, &p);
      draw_painter_set_text (&p, title, 1.35, TRUE, width - 2 * m.pad);
      draw_painter_size (&p, NULL, &h);
      draw_painter_show (&p, width / 2.0, m.pad, 0.5, 0.0, 0.0, style->foreground, 1.0);
      top = round (m.pad + h);
      draw_painter_clear (&p);
    }
  for (guint i = 0; i < n_plots; i++)
    {
      double y0 = round (top + (height - top) * i / n_plots);
      double y1 = round (top + (height - top) * (i + 1) / n_plots);

      cairo_save (cr);
      cairo_translate (cr, 0, y0);
      draw_plot_draw (plots[i], cr, width, y1 - y0, style);
      cairo_restore (cr);
    }

  return draw_file_end (&file, cr, "plot", error);
}

GBytes *
draw_plot_render_png (DrawPlot            *plot,
                      int                  width,
                      int                  height,
                      const DrawPlotStyle *style,
                      GError             **error)
{
  g_return_val_if_fail (plot != NULL, NULL);

  return draw_plot_render_stack (&plot, 1, NULL, width, height, DRAW_FORMAT_PNG, style,
                                 error);
}

GBytes *
draw_plot_render_svg (DrawPlot            *plot,
                      int                  width,
                      int                  height,
                      const DrawPlotStyle *style,
                      GError             **error)
{
  g_return_val_if_fail (plot != NULL, NULL);

  return draw_plot_render_stack (&plot, 1, NULL, width, height, DRAW_FORMAT_SVG, style,
                                 error);
}
