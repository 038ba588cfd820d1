/* test-plot.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "draw/draw-plot.h"

/* --- pixels -------------------------------------------------------------------------------- */

typedef struct
{
  cairo_surface_t *surface;
  cairo_t         *cr;
  int              width;
  int              height;
} Canvas;

static void
canvas_init (Canvas *canvas,
             int     width,
             int     height)
{
  canvas->width = width;
  canvas->height = height;
  canvas->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  canvas->cr = cairo_create (canvas->surface);
}

static void
canvas_clear (Canvas *canvas)
{
  g_clear_pointer (&canvas->cr, cairo_destroy);
  g_clear_pointer (&canvas->surface, cairo_surface_destroy);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Canvas, canvas_clear)

static void
canvas_draw (Canvas              *canvas,
             DrawPlot            *plot,
             const DrawPlotStyle *style)
{
  draw_plot_draw (plot, canvas->cr, canvas->width, canvas->height, style);
  g_assert_cmpint (cairo_status (canvas->cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_flush (canvas->surface);
}

/* r, g, b of an opaque pixel (the plots here all have an opaque background) */
static void
canvas_pixel (Canvas *canvas,
              int     x,
              int     y,
              guint8  rgb[3])
{
  const guint8 *data = cairo_image_surface_get_data (canvas->surface);
  int stride = cairo_image_surface_get_stride (canvas->surface);
  guint32 pixel;

  g_assert_true (x >= 0 && x < canvas->width && y >= 0 && y < canvas->height);
  memcpy (&pixel, data + (gsize) y * stride + 4 * x, 4);
  rgb[0] = (pixel >> 16) & 0xff;
  rgb[1] = (pixel >> 8) & 0xff;
  rgb[2] = pixel & 0xff;
}

typedef gboolean (*PixelTest) (const guint8 rgb[3]);

/* Strong red, green or blue: the colour of a bold line or a bar, not an antialiased fringe, a
 * faint raw line or the grey text and grid. */
static gboolean
is_red (const guint8 rgb[3])
{
  return rgb[0] > 190 && rgb[1] < 90 && rgb[2] < 90;
}

static gboolean
is_green (const guint8 rgb[3])
{
  return rgb[1] > 190 && rgb[0] < 90 && rgb[2] < 90;
}

static gboolean
is_blue (const guint8 rgb[3])
{
  return rgb[2] > 190 && rgb[0] < 90 && rgb[1] < 90;
}

static gboolean
is_ink (const guint8 rgb[3])
{
  return rgb[0] < 160 && rgb[1] < 160 && rgb[2] < 160;
}

/* How many pixels of the rectangle [x0, x1) × [y0, y1), clamped to the canvas, pass. */
static guint
count_pixels (Canvas    *canvas,
              double     x0,
              double     y0,
              double     x1,
              double     y1,
              PixelTest  test)
{
  guint n = 0;

  for (int y = MAX ((int) floor (y0), 0); y < MIN ((int) ceil (y1), canvas->height); y++)
    for (int x = MAX ((int) floor (x0), 0); x < MIN ((int) ceil (x1), canvas->width); x++)
      {
        guint8 rgb[3];

        canvas_pixel (canvas, x, y, rgb);
        n += test (rgb);
      }
  return n;
}

static const double red[3] = { 1.0, 0.0, 0.0 };

/* --- tests --------------------------------------------------------------------------------- */

static void
test_nice_ticks (void)
{
  double first, step;

  g_assert_cmpuint (draw_plot_nice_ticks (0.0, 1.0, 6, FALSE, &first, &step), ==, 6);
  g_assert_cmpfloat_with_epsilon (step, 0.2, 1e-12);
  g_assert_cmpfloat (first, ==, 0.0);

  g_assert_cmpuint (draw_plot_nice_ticks (0.0, 100.0, 6, FALSE, &first, &step), ==, 6);
  g_assert_cmpfloat (step, ==, 20.0);

  /* the range rarely starts on a tick */
  g_assert_cmpuint (draw_plot_nice_ticks (-0.13, 3.13, 5, FALSE, &first, &step), ==, 4);
  g_assert_cmpfloat (step, ==, 1.0);
  g_assert_cmpfloat (first, ==, 0.0);

  g_assert_cmpuint (draw_plot_nice_ticks (0.37, 0.41, 5, FALSE, &first, &step), ==, 5);
  g_assert_cmpfloat_with_epsilon (step, 0.01, 1e-12);
  g_assert_cmpfloat_with_epsilon (first, 0.37, 1e-12);

  /* only 1, 2 or 5 × 10^k, never more ticks than asked for */
  for (double hi = 0.7; hi < 1e6; hi *= 1.37)
    for (guint max_ticks = 2; max_ticks <= 12; max_ticks++)
      {
        guint n = draw_plot_nice_ticks (-0.1 * hi, hi, max_ticks, FALSE, &first, &step);
        double mantissa = step / pow (10.0, floor (log10 (step) + 1e-9));

        g_assert_cmpuint (n, >=, 1);
        g_assert_cmpuint (n, <=, max_ticks);
        g_assert_true (fabs (mantissa - 1.0) < 1e-9 || fabs (mantissa - 2.0) < 1e-9 ||
                       fabs (mantissa - 5.0) < 1e-9);
        g_assert_cmpfloat (first, >=, -0.1 * hi - 1e-9 * hi);
        g_assert_cmpfloat (first - step, <, -0.1 * hi);
      }

  /* whole numbers stay whole: two epochs are not 1.0, 1.5, 2.0 */
  g_assert_cmpuint (draw_plot_nice_ticks (0.9, 2.1, 10, TRUE, &first, &step), ==, 2);
  g_assert_cmpfloat (step, ==, 1.0);

  g_assert_cmpuint (draw_plot_nice_ticks (1.0, 1.0, 5, FALSE, &first, &step), ==, 0);
  g_assert_cmpuint (draw_plot_nice_ticks (2.0, 1.0, 5, FALSE, &first, &step), ==, 0);
  g_assert_cmpuint (draw_plot_nice_ticks (NAN, 1.0, 5, FALSE, &first, &step), ==, 0);
  g_assert_cmpuint (draw_plot_nice_ticks (0.0, INFINITY, 5, FALSE, &first, &step), ==, 0);
  g_assert_cmpuint (draw_plot_nice_ticks (-1e308, 1e308, 5, FALSE, &first, &step), ==, 0);
}

static void
test_model (void)
{
  g_autoptr(DrawPlot) plot = draw_plot_new ();
  const char *labels[] = { "a", "b" };
  const double values[] = { 1.0, 2.0 };
  double x, y, smoothed;
  guint s;

  draw_plot_set_title (plot, "Title");
  draw_plot_set_x_label (plot, "Step");
  draw_plot_set_y_label (plot, NULL);
  g_assert_cmpstr (draw_plot_get_title (plot), ==, "Title");
  g_assert_cmpstr (draw_plot_get_x_label (plot), ==, "Step");
  g_assert_null (draw_plot_get_y_label (plot));

  g_assert_cmpuint (draw_plot_add_series (plot, "raw", red, 0.0), ==, 0);
  s = draw_plot_add_series (plot, "smooth", red, 0.5);
  g_assert_cmpuint (s, ==, 1);
  g_assert_cmpuint (draw_plot_get_n_series (plot), ==, 2);

  draw_plot_append (plot, 0, 1.0, 5.0);
  g_assert_true (draw_plot_get_point (plot, 0, 0, &x, &y, &smoothed));
  g_assert_cmpfloat (x, ==, 1.0);
  g_assert_cmpfloat (y, ==, 5.0);
  g_assert_true (isnan (smoothed));
  g_assert_false (draw_plot_get_point (plot, 0, 1, NULL, NULL, NULL));
  g_assert_false (draw_plot_get_point (plot, 7, 0, NULL, NULL, NULL));

  /* debiased: the average starts at the first value, not at zero */
  draw_plot_append (plot, s, 1.0, 1.0);
  draw_plot_append (plot, s, 2.0, 3.0);
  draw_plot_append (plot, s, 3.0, NAN);
  draw_plot_append (plot, s, 4.0, 3.0);
  g_assert_true (draw_plot_get_point (plot, s, 0, NULL, NULL, &smoothed));
  g_assert_cmpfloat_with_epsilon (smoothed, 1.0, 1e-12);
  g_assert_true (draw_plot_get_point (plot, s, 1, NULL, NULL, &smoothed));
  g_assert_cmpfloat_with_epsilon (smoothed, 1.75 / 0.75, 1e-12);
  /* a gap has no average and does not disturb the next one */
  g_assert_true (draw_plot_get_point (plot, s, 2, NULL, NULL, &smoothed));
  g_assert_true (isnan (smoothed));
  g_assert_true (draw_plot_get_point (plot, s, 3, NULL, NULL, &smoothed));
  g_assert_cmpfloat_with_epsilon (smoothed, (0.5 * 1.75 + 1.5) / 0.875, 1e-12);
  g_assert_cmpuint (draw_plot_get_n_points (plot, s), ==, 4);

  draw_plot_clear (plot);
  g_assert_cmpuint (draw_plot_get_n_series (plot), ==, 2);
  g_assert_cmpuint (draw_plot_get_n_points (plot, 0), ==, 0);
  g_assert_cmpuint (draw_plot_get_n_points (plot, s), ==, 0);
  /* a cleared series starts its average afresh */
  draw_plot_append (plot, s, 1.0, 7.0);
  g_assert_true (draw_plot_get_point (plot, s, 0, NULL, NULL, &smoothed));
  g_assert_cmpfloat_with_epsilon (smoothed, 7.0, 1e-12);

  draw_plot_set_bars (plot, labels, values, NULL, 2);
  g_assert_cmpuint (draw_plot_get_n_bars (plot), ==, 2);
  draw_plot_clear (plot);
  g_assert_cmpuint (draw_plot_get_n_bars (plot), ==, 0);
}

/* A rising red line: its bold pixels are in the lower left and the upper right of the data
 * area, not in the upper left or the lower right. */
static void
test_line_pixels (void)
{
  g_auto(Canvas) canvas = { 0 };
  g_autoptr(DrawPlot) plot = draw_plot_new ();
  double x, y, w, h;

  canvas_init (&canvas, 400, 300);
  draw_plot_set_title (plot, "Rising");
  draw_plot_set_x_label (plot, "Step");
  draw_plot_set_y_label (plot, "Value");
  draw_plot_add_series (plot, "line", red, 0.0);
  for (int i = 0; i <= 100; i++)
    draw_plot_append (plot, 0, i, 0.5 * i);

  g_assert_false (draw_plot_get_area (plot, NULL, NULL, NULL, NULL));
  canvas_draw (&canvas, plot, NULL);
  g_assert_true (draw_plot_get_area (plot, &x, &y, &w, &h));
  /* room for the title, labels and ticks, but most of the picture is data */
  g_assert_cmpfloat (x, >, 20);
  g_assert_cmpfloat (y, >, 15);
  g_assert_cmpfloat (w, >, 300);
  g_assert_cmpfloat (h, >, 180);
  g_assert_cmpfloat (x + w, <=, 400);
  g_assert_cmpfloat (y + h, <=, 300);

  g_assert_cmpuint (count_pixels (&canvas, x, y + h / 2, x + w / 2, y + h, is_red), >, 50);
  g_assert_cmpuint (count_pixels (&canvas, x + w / 2, y, x + w, y + h / 2, is_red), >, 50);
  g_assert_cmpuint (count_pixels (&canvas, x, y, x + w / 3, y + h / 3, is_red), ==, 0);
  g_assert_cmpuint (count_pixels (&canvas, x + 2 * w / 3, y + 2 * h / 3, x + w, y + h, is_red),
                    ==, 0);
  /* nothing red outside the data area */
  g_assert_cmpuint (count_pixels (&canvas, 0, 0, 400, y - 2, is_red), ==, 0);
  g_assert_cmpuint (count_pixels (&canvas, 0, y + h + 2, 400, 300, is_red), ==, 0);
  /* and there is text and axes: dark pixels left of and under the area */
  g_assert_cmpuint (count_pixels (&canvas, 0, y, x - 1, y + h, is_ink), >, 20);
  g_assert_cmpuint (count_pixels (&canvas, x, y + h + 1, x + w, 300, is_ink), >, 20);
}

/* A fixed range clips: values from -50 to 150 in a 0..100 plot stay inside the area, and the
 * line runs along the top and the bottom edge where it left. */
static void
test_fixed_range_clips (void)
{
  g_auto(Canvas) canvas = { 0 };
  g_autoptr(DrawPlot) plot = draw_plot_new ();
  double x, y, w, h;

  canvas_init (&canvas, 400, 300);
  draw_plot_set_y_range (plot, 0.0, 100.0);
  draw_plot_add_series (plot, "line", red, 0.0);
  for (int i = 0; i <= 200; i++)
    draw_plot_append (plot, 0, i, i - 50.0);
  canvas_draw (&canvas, plot, NULL);
  g_assert_true (draw_plot_get_area (plot, &x, &y, &w, &h));

  g_assert_cmpuint (count_pixels (&canvas, 0, 0, 400, y, is_red), ==, 0);
  g_assert_cmpuint (count_pixels (&canvas, 0, y + h, 400, 300, is_red), ==, 0);
  /* the line crosses the whole height: red near both edges */
  g_assert_cmpuint (count_pixels (&canvas, x, y, x + w, y + 3, is_red), >, 0);
  g_assert_cmpuint (count_pixels (&canvas, x, y + h - 3, x + w, y + h, is_red), >, 0);

  /* the same data with a free range: nothing is clipped, the line ends inside */
  draw_plot_set_y_range (plot, 1.0, 0.0);
  cairo_set_source_rgb (canvas.cr, 1, 1, 1);
  cairo_paint (canvas.cr);
  canvas_draw (&canvas, plot, NULL);
  g_assert_true (draw_plot_get_area (plot, &x, &y, &w, &h));
  g_assert_cmpuint (count_pixels (&canvas, x, y, x + w, y + 3, is_red), ==, 0);
}

/* 100000 points of noise with one spike up and one down: drawn in well under a second, and
 * the per-column decimation keeps both spikes, a single point each. */
static void
test_decimation (void)
{
  g_auto(Canvas) canvas = { 0 };
  g_autoptr(DrawPlot) plot = draw_plot_new ();
  const guint n = 100000;
  double x, y, w, h, spike_up, spike_down;
  gint64 start;
  double seconds;

  canvas_init (&canvas, 500, 300);
  draw_plot_add_series (plot, "noise", red, 0.0);
  for (guint i = 0; i < n; i++)
    {
      double v = 0.05 * sin (i * 12.9898) * sin (i * 78.233);

      if (i == 30001)
        v = 1.0;
      else if (i == 70001)
        v = -1.0;
      draw_plot_append (plot, 0, i, v);
    }

  start = g_get_monotonic_time ();
  canvas_draw (&canvas, plot, NULL);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_test_message ("100000 points drawn in %.3f s", seconds);
  g_assert_cmpfloat (seconds, <, 0.5);

  g_assert_true (draw_plot_get_area (plot, &x, &y, &w, &h));
  /* the x range has a 3 % margin each side; y is -1..1 plus a margin, so the spikes' tips are
   * near the top and the bottom */
  spike_up = x + w * (30001.0 / (n - 1) + 0.03) / 1.06;
  spike_down = x + w * (70001.0 / (n - 1) + 0.03) / 1.06;
  g_assert_cmpuint (count_pixels (&canvas, spike_up - 3, y, spike_up + 3, y + h * 0.15, is_red),
                    >, 0);
  g_assert_cmpuint (count_pixels (&canvas, spike_down - 3, y + h * 0.85, spike_down + 3, y + h,
                                  is_red), >, 0);
  /* nowhere else does the line get there */
  g_assert_cmpuint (count_pixels (&canvas, x, y, spike_up - 4, y + h * 0.15, is_red), ==, 0);
  g_assert_cmpuint (count_pixels (&canvas, spike_up + 4, y, x + w, y + h * 0.15, is_red), ==, 0);

  /* a smoothed series of the same size costs about the same */
  draw_plot_add_series (plot, "smooth", red, 0.99);
  for (guint i = 0; i < n; i++)
    draw_plot_append (plot, 1, i, cos (i * 1e-4));
  start = g_get_monotonic_time ();
  canvas_draw (&canvas, plot, NULL);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_test_message ("2 × 100000 points drawn in %.3f s", seconds);
  g_assert_cmpfloat (seconds, <, 1.0);
}

/* Bars: one per value in its own slot and colour; NAN draws no bar; a fixed range. */
static void
test_bars (void)
{
  g_auto(Canvas) canvas = { 0 };
  g_autoptr(DrawPlot) plot = draw_plot_new ();
  const char *labels[] = { "red", "green", "blue" };
  const double values[] = { 50.0, NAN, 100.0 };
  const guint8 colors[] = { 255, 0, 0, 0, 255, 0, 0, 0, 255 };
  double x, y, w, h, slot;
  DrawPlotHit hit;

  canvas_init (&canvas, 360, 240);
  draw_plot_set_title (plot, "IoU per class");
  draw_plot_set_y_range (plot, 0.0, 100.0);
  draw_plot_set_bars (plot, labels, values, colors, 3);
  canvas_draw (&canvas, plot, NULL);
  g_assert_true (draw_plot_get_area (plot, &x, &y, &w, &h));
  slot = w / 3;

  /* the red bar fills its slot's lower half only */
  g_assert_cmpuint (count_pixels (&canvas, x, y + h * 0.55, x + slot, y + h, is_red), >,
                    slot * h * 0.2);
  g_assert_cmpuint (count_pixels (&canvas, x, y, x + slot, y + h * 0.45, is_red), ==, 0);
  /* no green bar at all: its value is not available */
  g_assert_cmpuint (count_pixels (&canvas, 0, 0, canvas.width, canvas.height, is_green), ==, 0);
  /* …but its "n/a" is written in the slot */
  g_assert_cmpuint (count_pixels (&canvas, x + slot, y + h * 0.7, x + 2 * slot, y + h, is_ink),
                    >, 0);
  /* the blue bar reaches the top */
  g_assert_cmpuint (count_pixels (&canvas, x + 2 * slot, y, x + w, y + 6, is_blue), >, 0);
  g_assert_cmpuint (count_pixels (&canvas, x, 0, x + 2 * slot, canvas.height, is_blue), ==, 0);

  g_assert_true (draw_plot_pick (plot, x + slot * 1.5, y + h / 2, &hit));
  g_assert_cmpint (hit.series, ==, -1);
  g_assert_cmpuint (hit.index, ==, 1);
  g_assert_true (isnan (hit.y));
  g_assert_cmpstr (hit.label, ==, "green");
  g_assert_true (draw_plot_pick (plot, x + slot * 2.5, y + h / 2, &hit));
  g_assert_cmpfloat (hit.y, ==, 100.0);

  /* without colours, the style's accent */
  {
    DrawPlotStyle style;

    draw_plot_style_init_default (&style);
    style.accent[0] = 0.0;
    style.accent[1] = 0.0;
    style.accent[2] = 1.0;
    draw_plot_set_bars (plot, labels, values, NULL, 3);
    canvas_draw (&canvas, plot, &style);
    g_assert_cmpuint (count_pixels (&canvas, x, y + h * 0.55, x + slot, y + h, is_blue), >,
                      slot * h * 0.2);
  }
}

/* Many bars with long labels stay inside the picture and still draw every bar. */
static void
test_bars_narrow (void)
{
  g_auto(Canvas) canvas = { 0 };
  g_autoptr(DrawPlot) plot = draw_plot_new ();
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  double values[40];
  guint8 colors[40 * 3];
  double x, y, w, h;

  for (int i = 0; i < 40; i++)
    {
      g_ptr_array_add (labels, g_strdup_printf ("a rather long class name %d", i));
      values[i] = i % 7 == 3 ? NAN : 10.0 + i;
      colors[3 * i] = 255;
      colors[3 * i + 1] = colors[3 * i + 2] = 0;
    }
  canvas_init (&canvas, 300, 200);
  draw_plot_set_bars (plot, (const char *const *) labels->pdata, values, colors, 40);
  canvas_draw (&canvas, plot, NULL);
  g_assert_true (draw_plot_get_area (plot, &x, &y, &w, &h));
  /* the labels take at most about a third of the height */
  g_assert_cmpfloat (h, >, 200 / 3.0);
  for (int i = 0; i < 40; i++)
    {
      double cx = x + (i + 0.5) * w / 40;

      if (isnan (values[i]))
        g_assert_cmpuint (count_pixels (&canvas, cx - 1, y, cx + 1, y + h, is_red), ==, 0);
      else
        g_assert_cmpuint (count_pixels (&canvas, cx - 0.5, y + h - 4, cx + 0.5, y + h - 1,
                                        is_red), >, 0);
    }
}

/* Without data: axes, and the empty text in the middle; no line. */
static void
test_empty (void)
{
  g_auto(Canvas) canvas = { 0 };
  g_autoptr(DrawPlot) plot = draw_plot_new ();
  DrawPlotStyle style;
  DrawPlotHit hit;
  double x, y, w, h;

  canvas_init (&canvas, 400, 240);
  draw_plot_style_init_default (&style);
  style.empty_text = "Noch keine Daten";
  draw_plot_set_title (plot, "Validation mIoU");
  draw_plot_add_series (plot, "mIoU", red, 0.0);
  draw_plot_append (plot, 0, 1.0, NAN); /* a gap is not data */
  canvas_draw (&canvas, plot, &style);
  g_assert_true (draw_plot_get_area (plot, &x, &y, &w, &h));

  g_assert_cmpuint (count_pixels (&canvas, 0, 0, 400, 240, is_red), ==, 0);
  g_assert_cmpuint (count_pixels (&canvas, x + w / 4, y + h / 2 - 10, x + 3 * w / 4,
                                  y + h / 2 + 10, is_ink), >, 20);
  /* nothing to point at */
  g_assert_false (draw_plot_pick (plot, x + w / 2, y + h / 2, &hit));

  /* an empty bar chart too */
  draw_plot_set_bars (plot, NULL, NULL, NULL, 0);
  canvas_draw (&canvas, plot, NULL);
  g_assert_cmpuint (count_pixels (&canvas, x + w / 4, y + h / 2 - 10, x + 3 * w / 4,
                                  y + h / 2 + 10, is_ink), >, 20);
}

/* The dark style paints its background and light text. */
static void
test_dark_style (void)
{
  g_auto(Canvas) canvas = { 0 };
  g_autoptr(DrawPlot) plot = draw_plot_new ();
  DrawPlotStyle style;
  guint8 rgb[3];
  double x, y, w, h;
  guint light = 0;

  canvas_init (&canvas, 300, 200);
  draw_plot_style_init_dark (&style);
  draw_plot_set_title (plot, "Dark");
  draw_plot_add_series (plot, "line", red, 0.9);
  for (int i = 0; i < 50; i++)
    draw_plot_append (plot, 0, i, i % 2);
  canvas_draw (&canvas, plot, &style);
  canvas_pixel (&canvas, 1, 1, rgb);
  g_assert_cmpint (abs (rgb[0] - (int) round (style.background[0] * 255)), <=, 1);
  g_assert_cmpint (abs (rgb[2] - (int) round (style.background[2] * 255)), <=, 1);

  g_assert_true (draw_plot_get_area (plot, &x, &y, &w, &h));
  for (int py = 0; py < (int) y; py++)
    for (int px = 0; px < canvas.width; px++)
      {
        canvas_pixel (&canvas, px, py, rgb);
        light += rgb[0] > 200 && rgb[1] > 200 && rgb[2] > 200;
      }
  g_assert_cmpuint (light, >, 10); /* the title */
}

static void
test_pick (void)
{
  g_auto(Canvas) canvas = { 0 };
  g_autoptr(DrawPlot) plot = draw_plot_new ();
  const double blue[3] = { 0.0, 0.0, 1.0 };
  DrawPlotHit hit;
  double x, y, w, h;

  canvas_init (&canvas, 400, 300);
  g_assert_false (draw_plot_pick (plot, 10, 10, &hit));
  draw_plot_add_series (plot, "low", red, 0.0);
  draw_plot_add_series (plot, "high", blue, 0.0);
  for (int i = 0; i <= 10; i++)
    {
      draw_plot_append (plot, 0, i, 1.0);
      draw_plot_append (plot, 1, i, 9.0);
    }
  canvas_draw (&canvas, plot, NULL);
  g_assert_true (draw_plot_get_area (plot, &x, &y, &w, &h));

  /* near the top: the high series, at the nearest x */
  g_assert_true (draw_plot_pick (plot, x + w / 2 + 3, y + 10, &hit));
  g_assert_cmpint (hit.series, ==, 1);
  g_assert_cmpuint (hit.index, ==, 5);
  g_assert_cmpfloat (hit.x, ==, 5.0);
  g_assert_cmpfloat (hit.y, ==, 9.0);
  g_assert_cmpstr (hit.label, ==, "high");
  g_assert_cmpfloat (fabs (hit.px - (x + w / 2)), <, 1.0);
  /* near the bottom: the low one */
  g_assert_true (draw_plot_pick (plot, x + 2, y + h - 10, &hit));
  g_assert_cmpint (hit.series, ==, 0);
  g_assert_cmpuint (hit.index, ==, 0);
  /* outside the area: nothing */
  g_assert_false (draw_plot_pick (plot, x - 20, y + h / 2, &hit));
  g_assert_false (draw_plot_pick (plot, x + w / 2, y + h + 20, &hit));
}

static void
check_png (GBytes *bytes,
           int     width,
           int     height)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  cairo_surface_t *surface;
  int fd;

  g_assert_nonnull (bytes);
  g_assert_cmpuint (g_bytes_get_size (bytes), >, 8);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), 8, "\x89PNG\r\n\x1a\n", 8);

  fd = g_file_open_tmp ("test-plot-XXXXXX.png", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  surface = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (surface), ==, width);
  g_assert_cmpint (cairo_image_surface_get_height (surface), ==, height);
  cairo_surface_destroy (surface);
  g_unlink (path);
}

static void
test_render (void)
{
  g_autoptr(DrawPlot) loss = draw_plot_new ();
  g_autoptr(DrawPlot) miou = draw_plot_new ();
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GBytes) svg = NULL;
  g_autoptr(GBytes) stack = NULL;
  g_autoptr(GBytes) none = NULL;
  g_autoptr(GError) error = NULL;
  DrawPlot *plots[2] = { loss, miou };
  const char *text;

  draw_plot_set_title (loss, "Loss");
  draw_plot_add_series (loss, "train", red, 0.9);
  for (int i = 1; i <= 500; i++)
    draw_plot_append (loss, 0, i, 3.0 / sqrt (i));
  draw_plot_set_title (miou, "mIoU & <more>");
  draw_plot_add_series (miou, "mIoU", red, 0.0);

  png = draw_plot_render_png (loss, 640, 360, NULL, &error);
  g_assert_no_error (error);
  check_png (png, 640, 360);

  svg = draw_plot_render_svg (miou, 640, 360, NULL, &error);
  g_assert_no_error (error);
  text = g_bytes_get_data (svg, NULL);
  g_assert_true (g_str_has_prefix (text, "<?xml"));
  g_assert_nonnull (g_strstr_len (text, g_bytes_get_size (svg), "<svg"));
  g_assert_nonnull (g_strstr_len (text, g_bytes_get_size (svg), "</svg>"));

  stack = draw_plot_render_stack (plots, 2, "A run", 800, 700, DRAW_FORMAT_PNG, NULL,
                                  &error);
  g_assert_no_error (error);
  check_png (stack, 800, 700);

  none = draw_plot_render_png (loss, 0, 100, NULL, &error);
  g_assert_error (error, DRAW_ERROR, DRAW_ERROR_INVALID_ARGUMENT);
  g_assert_null (none);
}

/* Odd data and odd sizes draw something sane, never crash or put Cairo in an error state. */
static void
test_degenerate (void)
{
  static const int sizes[][2] = { { 1, 1 }, { 5, 5 }, { 30, 20 }, { 120, 60 }, { 400, 300 } };
  g_autoptr(DrawPlot) plot = draw_plot_new ();
  const char *const labels[] = { NULL, "", "x" };
  const double bars[] = { -5.0, INFINITY, 1e300 };

  draw_plot_set_title (plot, "A title far longer than any of the small pictures could hold");
  draw_plot_set_x_label (plot, "x");
  draw_plot_set_y_label (plot, "y");
  draw_plot_add_series (plot, "one", red, 0.0);
  draw_plot_add_series (plot, "two", red, 0.95);
  draw_plot_add_series (plot, NULL, red, 0.0);

  for (int round = 0; round < 7; round++)
    {
      switch (round)
        {
        case 0: /* no points */
          break;
        case 1: /* a single point */
          draw_plot_append (plot, 0, 3.0, 2.0);
          break;
        case 2: /* all the same y, non-finite values, x going backwards */
          draw_plot_append (plot, 1, 5.0, 2.0);
          draw_plot_append (plot, 1, 2.0, 2.0);
          draw_plot_append (plot, 1, NAN, 2.0);
          draw_plot_append (plot, 1, 4.0, INFINITY);
          draw_plot_append (plot, 2, -INFINITY, 1.0);
          break;
        case 3: /* absurd magnitudes */
          draw_plot_append (plot, 0, 1e300, -1e300);
          draw_plot_append (plot, 2, -1e-300, 1e-300);
          break;
        case 4: /* a tiny range far from zero */
          draw_plot_clear (plot);
          draw_plot_append (plot, 0, 1e9, 1.0);
          draw_plot_append (plot, 0, 1e9 + 1, 1.0 + 1e-12);
          break;
        case 5: /* a fixed range with nothing in it */
          draw_plot_set_y_range (plot, 10.0, 20.0);
          break;
        case 6: /* bars with odd values and labels */
          draw_plot_set_y_range (plot, NAN, NAN);
          draw_plot_set_bars (plot, labels, bars, NULL, 3);
          break;
        }
      for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
        {
          g_auto(Canvas) canvas = { 0 };
          DrawPlotHit hit;

          canvas_init (&canvas, sizes[s][0], sizes[s][1]);
          canvas_draw (&canvas, plot, NULL);
          draw_plot_pick (plot, sizes[s][0] / 2.0, sizes[s][1] / 2.0, &hit);
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/draw/plot/nice-ticks", test_nice_ticks);
  g_test_add_func ("/draw/plot/model", test_model);
  g_test_add_func ("/draw/plot/line-pixels", test_line_pixels);
  g_test_add_func ("/draw/plot/fixed-range-clips", test_fixed_range_clips);
  g_test_add_func ("/draw/plot/decimation", test_decimation);
  g_test_add_func ("/draw/plot/bars", test_bars);
  g_test_add_func ("/draw/plot/bars-narrow", test_bars_narrow);
  g_test_add_func ("/draw/plot/empty", test_empty);
  g_test_add_func ("/draw/plot/dark-style", test_dark_style);
  g_test_add_func ("/draw/plot/pick", test_pick);
  g_test_add_func ("/draw/plot/render", test_render);
  g_test_add_func ("/draw/plot/degenerate", test_degenerate);

  return g_test_run ();
}
