/* draw-plot.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <pango/pangocairo.h>

#include "draw-file-private.h"
#include "draw-plot.h"

/* Pixel coordinates beyond this are clamped before they reach Cairo, whose fixed-point
 * coordinates overflow around ±8 million: a value far outside a fixed range must still draw
 * a line that leaves the area, not garbage. */
#define COORD_LIMIT 1e5

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
} Series;

/* The geometry of the last drawing: the data area in user space and the data ranges it maps. */
typedef struct
{
  gboolean valid;
  double   left, top, right, bottom;
  double   x0, x1, y0, y1;
  gboolean has_y; /* y0..y1 mean something (data or a fixed range) */
} Frame;

struct _DrawPlot
{
  char          *title;
  char          *x_label;
  char          *y_label;
  double         y_min;
  double         y_max;
  DrawPlotLegend legend;

  GPtrArray     *series;     /* Series */

  gboolean       bars;       /* a bar chart since draw_plot_set_bars() */
  GPtrArray     *bar_labels; /* char *, may hold NULL */
  GArray        *bar_values; /* double */
  GByteArray    *bar_colors; /* 3 per bar, or empty for the accent colour */

  Frame          frame;
};

/* Text through Pango, so that translations get shaping and font fallback. */
typedef struct
{
  cairo_t              *cr;
  PangoLayout          *layout;
  PangoFontDescription *font;
  const DrawPlotStyle  *style;
} Painter;

/* Per pixel column, the vertical extent of what was drawn there: the legend goes where it
 * hides the least. */
typedef struct
{
  int    n;
  double left;
  float *lo;
  float *hi;
} Coverage;

/* --- styles ------------------------------------------------------------------------------ */

static void
set3 (double      out[3],
      double      r,
      double      g,
      double      b)
{
  out[0] = r;
  out[1] = g;
  out[2] = b;
}

static void
set4 (double      out[4],
      double      r,
      double      g,
      double      b,
      double      a)
{
  set3 (out, r, g, b);
  out[3] = a;
}

void
draw_plot_style_init_default (DrawPlotStyle *style)
{
  g_return_if_fail (style != NULL);

  memset (style, 0, sizeof *style);
  style->font_size = 13.0;
  set3 (style->foreground, 0.15, 0.15, 0.17);
  set4 (style->background, 1.0, 1.0, 1.0, 1.0);
  set4 (style->grid, 0.0, 0.0, 0.0, 0.09);
  set4 (style->legend_background, 1.0, 1.0, 1.0, 0.85);
  /* GNOME blue 3 */
  set3 (style->accent, 0x35 / 255.0, 0x84 / 255.0, 0xe4 / 255.0);
}

void
draw_plot_style_init_dark (DrawPlotStyle *style)
{
  g_return_if_fail (style != NULL);

  draw_plot_style_init_default (style);
  set3 (style->foreground, 0.92, 0.92, 0.92);
  set4 (style->background, 0.14, 0.14, 0.15, 1.0);
  set4 (style->grid, 1.0, 1.0, 1.0, 0.10);
  set4 (style->legend_background, 0.14, 0.14, 0.15, 0.85);
  set3 (style->accent, 0x78 / 255.0, 0xae / 255.0, 0xed / 255.0);
}

/* --- the model --------------------------------------------------------------------------- */

static void
series_free (gpointer data)
{
  Series *series = data;

  g_free (series->label);
  g_array_unref (series->x);
  g_array_unref (series->y);
  g_clear_pointer (&series->smooth, g_array_unref);
  g_free (series);
}

static void
series_clear (Series *series)
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
  Series *series;

  g_return_val_if_fail (plot != NULL, 0);
  g_return_val_if_fail (rgb != NULL, 0);

  series = g_new0 (Series, 1);
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
  Series *series;

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

  return ((Series *) g_ptr_array_index (plot->series, index))->x->len;
}

gboolean
draw_plot_get_point (DrawPlot *plot,
                     guint     index,
                     guint     point,
                     double   *x,
                     double   *y,
                     double   *smoothed)
{
  Series *series;

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
static void
format_number (double  value,
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

/* --- text ---------------------------------------------------------------------------------- */

static void
painter_init (Painter             *p,
              cairo_t             *cr,
              const DrawPlotStyle *style)
{
  p->cr = cr;
  p->style = style;
  p->layout = pango_cairo_create_layout (cr);
  p->font = pango_font_description_from_string (style->font_family ? style->font_family
                                                                   : "Sans");
}

static void
painter_clear (Painter *p)
{
  g_clear_object (&p->layout);
  g_clear_pointer (&p->font, pango_font_description_free);
}

/* Sets the layout's text at scale × the style's font size; max_width > 0 ellipsizes. */
static void
painter_set_text (Painter    *p,
                  const char *text,
                  double      scale,
                  gboolean    bold,
                  double      max_width)
{
  pango_font_description_set_absolute_size (p->font, p->style->font_size * scale * PANGO_SCALE);
  pango_font_description_set_weight (p->font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description (p->layout, p->font);
  pango_layout_set_text (p->layout, text ? text : "", -1);
  if (max_width > 0.0)
    {
      pango_layout_set_width (p->layout, (int) (max_width * PANGO_SCALE));
      pango_layout_set_ellipsize (p->layout, PANGO_ELLIPSIZE_END);
    }
  else
    {
      pango_layout_set_width (p->layout, -1);
      pango_layout_set_ellipsize (p->layout, PANGO_ELLIPSIZE_NONE);
    }
}

static void
painter_size (Painter *p,
              double  *width,
              double  *height)
{
  PangoRectangle logical;

  pango_layout_get_pixel_extents (p->layout, NULL, &logical);
  if (width)
    *width = logical.width;
  if (height)
    *height = logical.height;
}

static double
text_width (Painter    *p,
            const char *text,
            double      scale,
            gboolean    bold)
{
  double width;

  painter_set_text (p, text, scale, bold, 0.0);
  painter_size (p, &width, NULL);
  return width;
}

static double
text_height (Painter *p,
             double   scale,
             gboolean bold)
{
  double height;

  painter_set_text (p, "0", scale, bold, 0.0);
  painter_size (p, NULL, &height);
  return height;
}

/* Draws the current layout so that the point (ax, ay) of its box, in fractions of its width
 * and height, lands on (x, y), turned by angle radians around that point. */
static void
painter_show (Painter      *p,
              double        x,
              double        y,
              double        ax,
              double        ay,
              double        angle,
              const double  rgb[3],
              double        alpha)
{
  PangoRectangle logical;

  pango_layout_get_pixel_extents (p->layout, NULL, &logical);
  cairo_save (p->cr);
  cairo_translate (p->cr, x, y);
  if (angle != 0.0)
    cairo_rotate (p->cr, angle);
  /* whole pixels keep horizontal text sharp */
  cairo_move_to (p->cr, round (-ax * logical.width - logical.x),
                 round (-ay * logical.height - logical.y));
  cairo_set_source_rgba (p->cr, rgb[0], rgb[1], rgb[2], alpha);
  pango_cairo_update_layout (p->cr, p->layout);
  pango_cairo_show_layout (p->cr, p->layout);
  cairo_restore (p->cr);
}

/* --- geometry ------------------------------------------------------------------------------ */

static double
frame_x (const Frame *f,
         double       x)
{
  double px = f->left + (x - f->x0) / (f->x1 - f->x0) * (f->right - f->left);

  return CLAMP (px, -COORD_LIMIT, COORD_LIMIT);
}

static double
frame_y (const Frame *f,
         double       y)
{
  double py = f->bottom - (y - f->y0) / (f->y1 - f->y0) * (f->bottom - f->top);

  return CLAMP (py, -COORD_LIMIT, COORD_LIMIT);
}

/* The centre of the pixel a 1-pixel line at v should run through: crisp, not two grey rows. */
static double
snap (double v)
{
  return floor (v) + 0.5;
}

static void
coverage_init (Coverage    *cov,
               const Frame *f)
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

static void
coverage_clear (Coverage *cov)
{
  g_clear_pointer (&cov->lo, g_free);
  g_clear_pointer (&cov->hi, g_free);
}

static void
coverage_add (Coverage *cov,
              double    x0,
              double    y0,
              double    x1,
              double    y1)
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
coverage_count (const Coverage *cov,
                double          x,
                double          y,
                double          width,
                double          height)
{
  int c0 = MAX ((int) floor (x - cov->left), 0);
  int c1 = MIN ((int) ceil (x + width - cov->left), cov->n);
  int count = 0;

  for (int c = c0; c < c1; c++)
    if (cov->hi[c] >= y && cov->lo[c] <= y + height)
      count++;
  return count;
}

/* --- lines --------------------------------------------------------------------------------- */

typedef struct
{
  cairo_t  *cr;
  Coverage *cov;
  gboolean  pen_down;
  double    last_x, last_y;
  guint     n_ops;
} PathBuilder;

static void
path_point (PathBuilder *b,
            double       x,
            double       y)
{
  if (b->pen_down)
    {
      cairo_line_to (b->cr, x, y);
      coverage_add (b->cov, b->last_x, b->last_y, x, y);
    }
  else
    {
      cairo_move_to (b->cr, x, y);
      coverage_add (b->cov, x, y, x, y);
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
add_line_path (cairo_t      *cr,
               const Frame  *f,
               Coverage     *cov,
               const double *xs,
               const double *ys,
               guint         n)
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
      px[i] = frame_x (f, xs[i]);
      py[i] = frame_y (f, ys[i]);
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
count_finite (const Series *series)
{
  guint n = 0;

  for (guint i = 0; i < series->x->len; i++)
    if (isfinite (g_array_index (series->x, double, i)) &&
        isfinite (g_array_index (series->y, double, i)))
      n++;
  return n;
}

static void
draw_markers (cairo_t      *cr,
              const Frame  *f,
              Coverage     *cov,
              const double *xs,
              const double *ys,
              guint         n,
              double        radius)
{
  for (guint i = 0; i < n; i++)
    {
      double x, y;

      if (!isfinite (xs[i]) || !isfinite (ys[i]))
        continue;
      x = frame_x (f, xs[i]);
      y = frame_y (f, ys[i]);
      cairo_new_sub_path (cr);
      cairo_arc (cr, x, y, radius, 0, 2 * G_PI);
      coverage_add (cov, x - radius, y - radius, x + radius, y + radius);
    }
  cairo_fill (cr);
}

static void
draw_series (DrawPlot    *plot,
             cairo_t     *cr,
             const Frame *f,
             Coverage    *cov)
{
  double width = f->right - f->left;

  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);

  for (guint s = 0; s < plot->series->len; s++)
    {
      Series *series = g_ptr_array_index (plot->series, s);
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
      Series *series = g_ptr_array_index (plot->series, s);

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

/* --- layout -------------------------------------------------------------------------------- */

typedef struct
{
  double font;       /* tick label size */
  double pad;        /* around everything */
  double gap;        /* between a label and what it labels */
  double tick;       /* tick length */
  double line;       /* height of a tick label */
  double label_line; /* height of an axis label */
  double title_line; /* height of the title */
} Metrics;

#define LABEL_SCALE 1.0
#define TITLE_SCALE 1.2
#define VALUE_SCALE 0.85
#define LEGEND_SCALE 0.95
#define EMPTY_SCALE 1.1

static void
metrics_init (Metrics *m,
              Painter *p)
{
  m->font = p->style->font_size;
  m->pad = round (m->font * 0.8);
  m->gap = round (m->font * 0.4);
  m->tick = round (m->font * 0.35);
  m->line = text_height (p, 1.0, FALSE);
  m->label_line = text_height (p, LABEL_SCALE, FALSE);
  m->title_line = text_height (p, TITLE_SCALE, TRUE);
}

static gboolean
has_text (const char *text)
{
  return text != NULL && text[0] != '\0';
}

typedef struct
{
  guint  n;
  double first;
  double step;
} Ticks;

static double
tick_value (const Ticks *t,
            guint        i)
{
  return t->first + i * t->step;
}

static double
widest_tick_label (Painter     *p,
                   const Ticks *t)
{
  double widest = 0.0;

  for (guint i = 0; i < t->n; i++)
    {
      char text[64];

      format_number (tick_value (t, i), t->step, text, sizeof text);
      widest = MAX (widest, text_width (p, text, 1.0, FALSE));
    }
  return widest;
}

/* y ticks at least two lines apart. */
static void
y_ticks (const Metrics *m,
         double         y0,
         double         y1,
         double         height,
         Ticks         *t)
{
  guint max_ticks = (guint) CLAMP (height / (m->font * 2.3), 2.0, 12.0);

  t->n = draw_plot_nice_ticks (y0, y1, max_ticks, FALSE, &t->first, &t->step);
}

/* x ticks as many as fit with their labels a couple of characters apart. */
static void
x_ticks (Painter       *p,
         const Metrics *m,
         double         x0,
         double         x1,
         double         width,
         gboolean       integral,
         Ticks         *t)
{
  guint max_ticks = (guint) CLAMP (width / (m->font * 4.0), 2.0, 15.0);

  for (;;)
    {
      double widest;

      t->n = draw_plot_nice_ticks (x0, x1, max_ticks, integral, &t->first, &t->step);
      if (t->n == 0 || max_ticks <= 2)
        return;
      widest = widest_tick_label (p, t);
      if (t->n * (widest + m->font * 2.5) <= width)
        return;
      max_ticks--;
    }
}

/* --- axes ---------------------------------------------------------------------------------- */

static void
draw_grid_and_ticks (cairo_t             *cr,
                     Painter             *p,
                     const Metrics       *m,
                     const Frame         *f,
                     const Ticks         *xt,
                     const Ticks         *yt,
                     double               width,
                     const DrawPlotStyle *style)
{
  const double *fg = style->foreground;

  cairo_set_line_width (cr, 1.0);
  cairo_set_source_rgba (cr, style->grid[0], style->grid[1], style->grid[2], style->grid[3]);
  for (guint i = 0; yt && i < yt->n; i++)
    {
      double y = snap (frame_y (f, tick_value (yt, i)));

      if (y < f->top || y > f->bottom)
        continue;
      cairo_move_to (cr, f->left, y);
      cairo_line_to (cr, f->right, y);
    }
  for (guint i = 0; xt && i < xt->n; i++)
    {
      double x = snap (frame_x (f, tick_value (xt, i)));

      if (x < f->left || x > f->right)
        continue;
      cairo_move_to (cr, x, f->top);
      cairo_line_to (cr, x, f->bottom);
    }
  cairo_stroke (cr);

  cairo_set_source_rgba (cr, fg[0], fg[1], fg[2], 0.55);
  for (guint i = 0; yt && i < yt->n; i++)
    {
      double y = snap (frame_y (f, tick_value (yt, i)));

      if (y < f->top - 0.5 || y > f->bottom + 0.5)
        continue;
      cairo_move_to (cr, f->left - 1, y);
      cairo_line_to (cr, f->left - 1 - m->tick, y);
    }
  for (guint i = 0; xt && i < xt->n; i++)
    {
      double x = snap (frame_x (f, tick_value (xt, i)));

      if (x < f->left - 0.5 || x > f->right + 0.5)
        continue;
      cairo_move_to (cr, x, f->bottom + 1);
      cairo_line_to (cr, x, f->bottom + 1 + m->tick);
    }
  cairo_stroke (cr);

  for (guint i = 0; yt && i < yt->n; i++)
    {
      double y = frame_y (f, tick_value (yt, i));
      char text[64];

      if (y < f->top - 0.5 || y > f->bottom + 0.5)
        continue;
      format_number (tick_value (yt, i), yt->step, text, sizeof text);
      painter_set_text (p, text, 1.0, FALSE, 0.0);
      painter_show (p, f->left - 1 - m->tick - m->gap, y, 1.0, 0.5, 0.0, fg, 0.75);
    }
  for (guint i = 0; xt && i < xt->n; i++)
    {
      double x = frame_x (f, tick_value (xt, i));
      double w;
      char text[64];

      if (x < f->left - 0.5 || x > f->right + 0.5)
        continue;
      format_number (tick_value (xt, i), xt->step, text, sizeof text);
      painter_set_text (p, text, 1.0, FALSE, 0.0);
      painter_size (p, &w, NULL);
      /* the last label may not hang off the picture */
      x = CLAMP (x, w / 2, width - w / 2);
      painter_show (p, x, f->bottom + 1 + m->tick + m->gap * 0.5, 0.5, 0.0, 0.0, fg, 0.75);
    }
}

static void
draw_spines (cairo_t             *cr,
             const Frame         *f,
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

static void
draw_titles (DrawPlot            *plot,
             Painter             *p,
             const Metrics       *m,
             const Frame         *f,
             double               width,
             double               height,
             const DrawPlotStyle *style)
{
  const double *fg = style->foreground;
  double cx = (f->left + f->right) / 2;

  if (has_text (plot->title))
    {
      double w;

      painter_set_text (p, plot->title, TITLE_SCALE, TRUE, width - 2 * m->pad);
      painter_size (p, &w, NULL);
      /* centred over the data area, but whole inside the picture */
      painter_show (p, CLAMP (cx, m->pad + w / 2, width - m->pad - w / 2), m->pad, 0.5, 0.0, 0.0,
                    fg, 1.0);
    }
  if (has_text (plot->x_label))
    {
      painter_set_text (p, plot->x_label, LABEL_SCALE, FALSE, width - 2 * m->pad);
      painter_show (p, cx, height - m->pad, 0.5, 1.0, 0.0, fg, 0.9);
    }
  if (has_text (plot->y_label))
    {
      painter_set_text (p, plot->y_label, LABEL_SCALE, FALSE, f->bottom - f->top + 2 * m->pad);
      painter_show (p, m->pad, (f->top + f->bottom) / 2, 0.5, 0.0, -G_PI / 2, fg, 0.9);
    }
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

static void
draw_legend (DrawPlot            *plot,
             cairo_t             *cr,
             Painter             *p,
             const Metrics       *m,
             const Frame         *f,
             const Coverage      *cov,
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
      Series *series = g_ptr_array_index (plot->series, s);

      if (!has_text (series->label))
        continue;
      text_w = MAX (text_w, text_width (p, series->label, LEGEND_SCALE, FALSE));
      n++;
    }
  if (n == 0)
    return;

  row = ceil (text_height (p, LEGEND_SCALE, FALSE) * 1.15);
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
      Series *series = g_ptr_array_index (plot->series, s);
      double y = inner + r * row + row / 2;

      if (!has_text (series->label))
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
      painter_set_text (p, series->label, LEGEND_SCALE, FALSE, 0.0);
      painter_show (p, inner + swatch + inner, y, 0.0, 0.5, 0.0, style->foreground, 0.9);
      r++;
    }
  cairo_restore (cr);
}

/* --- bars ---------------------------------------------------------------------------------- */

typedef enum
{
  LABELS_HORIZONTAL,
  LABELS_SLANTED,   /* 45°, as matplotlib's rotation=45, ha="right" */
  LABELS_VERTICAL,
} LabelMode;

typedef struct
{
  LabelMode mode;
  double    band;   /* height below the axis */
  guint     every;  /* label every n-th bar when they would overlap */
} BarLabels;

static void
plan_bar_labels (DrawPlot      *plot,
                 Painter       *p,
                 const Metrics *m,
                 double         area_width,
                 double         height,
                 BarLabels     *out)
{
  guint n = plot->bar_values->len;
  double slot = n > 0 ? area_width / n : area_width;
  double widest = 0.0;

  for (guint i = 0; i < n; i++)
    widest = MAX (widest, text_width (p, g_ptr_array_index (plot->bar_labels, i), 1.0, FALSE));

  out->every = 1;
  if (widest <= slot - m->font * 0.4)
    {
      out->mode = LABELS_HORIZONTAL;
      out->band = m->gap + m->line;
      return;
    }
  /* slanted while neighbours stay a line apart, at most a third of the height, then
   * ellipsized */
  if (slot * G_SQRT2 / 2 >= m->line)
    {
      out->mode = LABELS_SLANTED;
      out->band = m->gap + MIN (ceil ((widest + m->line) * G_SQRT2 / 2), round (height / 3));
      return;
    }
  /* upright, and only every n-th when even that is too tight */
  out->mode = LABELS_VERTICAL;
  out->band = m->gap + MIN (ceil (widest), round (height / 3));
  if (slot < m->line)
    out->every = (guint) ceil (m->line / MAX (slot, 1.0));
}

static void
draw_bar_labels (DrawPlot            *plot,
                 Painter             *p,
                 const Metrics       *m,
                 const Frame         *f,
                 const BarLabels     *plan,
                 const DrawPlotStyle *style)
{
  guint n = plot->bar_values->len;
  double slot = (f->right - f->left) / MAX (n, 1);

  for (guint i = 0; i < n; i += plan->every)
    {
      const char *label = g_ptr_array_index (plot->bar_labels, i);
      double cx = f->left + (i + 0.5) * slot;

      if (!has_text (label))
        continue;
      if (plan->mode == LABELS_HORIZONTAL)
        {
          painter_set_text (p, label, 1.0, FALSE, 0.0);
          painter_show (p, cx, f->bottom + 1 + m->gap, 0.5, 0.0, 0.0, style->foreground, 0.75);
        }
      else if (plan->mode == LABELS_SLANTED)
        {
          /* the text ends at the bar; it may not run off the band nor the picture's left */
          double room = MIN ((plan->band - m->gap) * G_SQRT2 - m->line,
                             (cx - m->pad) * G_SQRT2 - m->line);

          painter_set_text (p, label, 1.0, FALSE, MAX (room, m->font));
          painter_show (p, cx + m->line * 0.35, f->bottom + 1 + m->gap * 0.5, 1.0, 0.0,
                        -G_PI / 4, style->foreground, 0.75);
        }
      else
        {
          painter_set_text (p, label, 1.0, FALSE, plan->band - m->gap);
          painter_show (p, cx, f->bottom + 1 + m->gap, 1.0, 0.5, -G_PI / 2, style->foreground,
                        0.75);
        }
    }
}

static double
luminance (const double rgb[3])
{
  return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
}

static void
draw_bars (DrawPlot            *plot,
           cairo_t             *cr,
           Painter             *p,
           const Metrics       *m,
           const Frame         *f,
           double               value_step,
           const DrawPlotStyle *style)
{
  guint n = plot->bar_values->len;
  double slot = (f->right - f->left) / MAX (n, 1);
  double base = frame_y (f, CLAMP (0.0, f->y0, f->y1));
  const char *na = style->na_text ? style->na_text : "n/a";
  double value_h = text_height (p, VALUE_SCALE, FALSE);

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
        set3 (rgb, plot->bar_colors->data[3 * i] / 255.0, plot->bar_colors->data[3 * i + 1] / 255.0,
              plot->bar_colors->data[3 * i + 2] / 255.0);
      else
        memcpy (rgb, style->accent, sizeof rgb);

      if (!isfinite (v))
        {
          /* no bar: a dim "n/a" on the axis, upright when the slot is narrow */
          painter_set_text (p, na, VALUE_SCALE, FALSE, 0.0);
          painter_size (p, &w, NULL);
          if (w <= slot - 2)
            painter_show (p, (x0 + x1) / 2, base - 2, 0.5, 1.0, 0.0, style->foreground, 0.55);
          else if (value_h <= slot + 2)
            painter_show (p, (x0 + x1) / 2, base - 2, 0.0, 0.5, -G_PI / 2, style->foreground,
                          0.55);
          continue;
        }

      top = round (frame_y (f, CLAMP (v, f->y0, f->y1)));
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
      cairo_rectangle (cr, x0 + 0.5, MIN (top, base) + 0.5, x1 - x0 - 1, MAX (fabs (base - top) - 1, 0));
      cairo_stroke (cr);
      cairo_restore (cr);

      /* the value over the bar, inside its top when there is no room above */
      format_number (v, value_step, text, sizeof text);
      painter_set_text (p, text, VALUE_SCALE, FALSE, 0.0);
      painter_size (p, &w, NULL);
      room = v >= 0 ? top - f->top + m->pad * 0.5 : f->bottom - top;
      if (w <= slot - 2)
        {
          if (room >= value_h + 2)
            painter_show (p, (x0 + x1) / 2, v >= 0 ? top - 2 : top + 2, 0.5, v >= 0 ? 1.0 : 0.0,
                          0.0, style->foreground, 0.85);
          else if (fabs (base - top) >= value_h + 2)
            {
              double ink[3];

              set3 (ink, 1.0, 1.0, 1.0);
              if (luminance (rgb) > 0.55)
                set3 (ink, 0.0, 0.0, 0.0);
              painter_show (p, (x0 + x1) / 2, top + 2, 0.5, 0.0, 0.0, ink, 0.9);
            }
        }
      else if (value_h <= slot + 2 && v >= 0)
        {
          if (room >= w + 4)
            painter_show (p, (x0 + x1) / 2, top - 3, 0.0, 0.5, -G_PI / 2, style->foreground, 0.85);
          else if (fabs (base - top) >= w + 4)
            {
              double ink[3];

              set3 (ink, 1.0, 1.0, 1.0);
              if (luminance (rgb) > 0.55)
                set3 (ink, 0.0, 0.0, 0.0);
              painter_show (p, (x0 + x1) / 2, top + 3, 1.0, 0.5, -G_PI / 2, ink, 0.9);
            }
        }
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

/* --- drawing ------------------------------------------------------------------------------- */

static void
draw_empty_text (Painter             *p,
                 const Frame         *f,
                 const DrawPlotStyle *style)
{
  painter_set_text (p, style->empty_text ? style->empty_text : "No data yet", EMPTY_SCALE, FALSE,
                    f->right - f->left);
  painter_show (p, (f->left + f->right) / 2, (f->top + f->bottom) / 2, 0.5, 0.5, 0.0,
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
  Painter p = { 0 };
  Metrics m;
  Frame f = { 0 };
  Ticks xt = { 0 }, yt = { 0 };
  Coverage cov = { 0 };
  BarLabels plan = { 0 };
  gboolean has_data, integral = TRUE, fixed;
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

  painter_init (&p, cr, style);
  metrics_init (&m, &p);
  fixed = has_fixed_y_range (plot);

  /* the data ranges */
  if (plot->bars)
    {
      has_data = plot->bar_values->len > 0;
      bar_range (plot, &f.y0, &f.y1);
      if (f.y1 == f.y0)
        f.y1 = f.y0 + 1.0;
      else
        f.y1 += (f.y1 - f.y0) * 0.08; /* room for the values over the bars */
      f.x0 = 0.0;
      f.x1 = MAX (plot->bar_values->len, 1);
    }
  else
    {
      has_data = line_ranges (plot, &f.x0, &f.x1, &f.y0, &f.y1, &integral);
      if (has_data)
        {
          pad_range (&f.x0, &f.x1, 0.03, integral);
          pad_range (&f.y0, &f.y1, 0.06, FALSE);
        }
      else
        {
          f.x0 = 0.0;
          f.x1 = 1.0;
          f.y0 = 0.0;
          f.y1 = 1.0;
        }
    }
  if (fixed)
    {
      f.y0 = plot->y_min;
      f.y1 = plot->y_max;
    }
  f.has_y = has_data || fixed;

  /* the data area: vertical margins first, then the y ticks they allow, then the left margin
   * their labels need */
  f.top = m.pad + (has_text (plot->title) ? m.title_line + m.gap * 1.5 : m.line / 2);
  bottom_band = m.tick + m.gap * 0.5 + m.line;
  if (has_text (plot->x_label))
    bottom_band += m.gap + m.label_line;
  if (plot->bars)
    {
      /* the label band depends on the slot width: plan it with a first guess of the area */
      plan_bar_labels (plot, &p, &m, width * 0.8, height, &plan);
      bottom_band = plan.band + (has_text (plot->x_label) ? m.gap + m.label_line : 0.0);
    }
  f.bottom = height - m.pad - bottom_band;
  if (f.has_y)
    {
      y_ticks (&m, f.y0, f.y1, f.bottom - f.top, &yt);
      y_tick_w = widest_tick_label (&p, &yt);
    }
  left = m.pad + (has_text (plot->y_label) ? m.label_line + m.gap : 0.0) + y_tick_w + m.gap
         + m.tick + 1;
  f.left = round (left);
  f.right = round (width - m.pad - m.font * 0.5);
  if (plot->bars)
    {
      plan_bar_labels (plot, &p, &m, f.right - f.left, height, &plan);
      bottom_band = plan.band + (has_text (plot->x_label) ? m.gap + m.label_line : 0.0);
      f.bottom = height - m.pad - bottom_band;
      if (f.has_y)
        y_ticks (&m, f.y0, f.y1, f.bottom - f.top, &yt);
    }
  f.top = round (f.top);
  f.bottom = round (f.bottom);

  if (f.right - f.left < 8 || f.bottom - f.top < 8)
    {
      /* too small for a plot: the background is all there is room for */
      painter_clear (&p);
      cairo_restore (cr);
      return;
    }

  if (has_data && !plot->bars)
    x_ticks (&p, &m, f.x0, f.x1, f.right - f.left, integral, &xt);

  draw_grid_and_ticks (cr, &p, &m, &f, plot->bars || !has_data ? NULL : &xt,
                       f.has_y ? &yt : NULL, width, style);

  coverage_init (&cov, &f);
  if (has_data && plot->bars)
    draw_bars (plot, cr, &p, &m, &f, yt.step > 0 ? yt.step : 1.0, style);
  else if (has_data)
    {
      cairo_save (cr);
      cairo_rectangle (cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
      cairo_clip (cr);
      draw_series (plot, cr, &f, &cov);
      cairo_restore (cr);
    }
  draw_spines (cr, &f, style);
  if (has_data && plot->bars)
    draw_bar_labels (plot, &p, &m, &f, &plan, style);
  draw_titles (plot, &p, &m, &f, width, height, style);
  if (!has_data)
    draw_empty_text (&p, &f, style);
  else if (!plot->bars)
    draw_legend (plot, cr, &p, &m, &f, &cov, style);

  coverage_clear (&cov);
  painter_clear (&p);
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
  const Frame *f;

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

/* --- picking ------------------------------------------------------------------------------- */

/* The index of the finite point of the series whose x is nearest to x, or -1. */
static gint64
nearest_index (const Series *series,
               double        x)
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
  const Frame *f;
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
      hit->py = isfinite (v) ? frame_y (f, CLAMP (v, f->y0, f->y1))
                             : frame_y (f, CLAMP (0.0, f->y0, f->y1));
      hit->label = g_ptr_array_index (plot->bar_labels, i);
      return TRUE;
    }

  for (guint s = 0; s < plot->series->len; s++)
    {
      Series *series = g_ptr_array_index (plot->series, s);
      double x = f->x0 + (px - f->left) / (f->right - f->left) * (f->x1 - f->x0);
      gint64 i = nearest_index (series, x);
      double xi, yi, shown, qx, qy, d;

      if (i < 0)
        continue;
      xi = g_array_index (series->x, double, i);
      yi = g_array_index (series->y, double, i);
      shown = series->smooth ? g_array_index (series->smooth, double, i) : yi;
      qx = frame_x (f, xi);
      qy = frame_y (f, shown);
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
  if (has_text (title))
    {
      Painter p = { 0 };
      Metrics m;
      double h;

      painter_init (&p, cr, style);
      metrics_init (&m, &p);
      painter_set_text (&p, title, 1.35, TRUE, width - 2 * m.pad);
      painter_size (&p, NULL, &h);
      painter_show (&p, width / 2.0, m.pad, 0.5, 0.0, 0.0, style->foreground, 1.0);
      top = round (m.pad + h);
      painter_clear (&p);
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
