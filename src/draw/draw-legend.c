/* draw-legend.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "draw-file-private.h"
#include "draw-legend.h"

/* Row geometry shared by measuring and drawing, so the two can never disagree. */
typedef struct
{
  double swatch;      /* side of the colour square */
  double gap;         /* swatch to name */
  double column_gap;  /* name to percentage */
  double row_height;
  double ascent;
  double descent;
  double name_width;  /* widest name */
  double share_width; /* widest percentage */
} Layout;

void
draw_legend_style_init_default (DrawLegendStyle *style)
{
  g_return_if_fail (style != NULL);

  style->font_size = 14.0;
  style->padding = 10.0;
  style->row_spacing = 6.0;
  style->foreground[0] = style->foreground[1] = style->foreground[2] = 0.13;
  style->background[0] = style->background[1] = style->background[2] = 1.0;
  style->background[3] = 1.0;
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const DrawLegendEntry *x = a;
  const DrawLegendEntry *y = b;

  if (x->share != y->share)
    return x->share > y->share ? -1 : 1;
  return x->index - y->index;
}

GArray *
draw_legend_entries_new (const guint64      *counts,
                         int                 n_classes,
                         const char *const  *names,
                         const guint8       *palette)
{
  GArray *entries;
  guint64 total = 0;

  g_return_val_if_fail (counts != NULL, NULL);
  g_return_val_if_fail (names != NULL, NULL);
  g_return_val_if_fail (palette != NULL, NULL);

  entries = g_array_new (FALSE, TRUE, sizeof (DrawLegendEntry));
  for (int k = 0; k < n_classes; k++)
    total += counts[k];
  for (int k = 0; k < n_classes; k++)
    {
      DrawLegendEntry entry = { 0 };

      if (counts[k] == 0)
        continue;
      entry.index = k;
      entry.name = names[k];
      entry.rgb[0] = palette[3 * k];
      entry.rgb[1] = palette[3 * k + 1];
      entry.rgb[2] = palette[3 * k + 2];
      entry.share = (double) counts[k] / (double) total;
      g_array_append_val (entries, entry);
    }
  g_array_sort (entries, compare_entries);
  return entries;
}

static void
format_share (double share,
              char   buffer[32])
{
  /* A class that is present must never read as "0.0 %". */
  if (share > 0.0 && share < 0.0005)
    g_snprintf (buffer, 32, "<0.1 %%");
  else
    g_snprintf (buffer, 32, "%.1f %%", 100.0 * share);
}

static void
compute_layout (cairo_t               *cr,
                const DrawLegendEntry *entries,
                guint                  n_entries,
                const DrawLegendStyle *style,
                Layout                *layout)
{
  cairo_font_extents_t font;

  cairo_set_font_size (cr, style->font_size);
  cairo_font_extents (cr, &font);

  layout->ascent = font.ascent;
  layout->descent = font.descent;
  layout->swatch = round (style->font_size * 1.15);
  layout->gap = round (style->font_size * 0.6);
  layout->column_gap = round (style->font_size * 1.5);
  layout->row_height = ceil (MAX (layout->swatch, font.ascent + font.descent));
  layout->name_width = 0.0;
  layout->share_width = 0.0;

  for (guint i = 0; i < n_entries; i++)
    {
      cairo_text_extents_t text;
      char share[32];

      cairo_text_extents (cr, entries[i].name ? entries[i].name : "", &text);
      layout->name_width = MAX (layout->name_width, text.x_advance);
      format_share (entries[i].share, share);
      cairo_text_extents (cr, share, &text);
      layout->share_width = MAX (layout->share_width, text.x_advance);
    }
  layout->name_width = ceil (layout->name_width);
  layout->share_width = ceil (layout->share_width);
}

static void
layout_size (const Layout          *layout,
             guint                  n_entries,
             const DrawLegendStyle *style,
             double                *width,
             double                *height)
{
  if (width != NULL)
    *width = 2 * style->padding + layout->swatch + layout->gap + layout->name_width
             + layout->column_gap + layout->share_width;
  if (height != NULL)
    *height = 2 * style->padding + n_entries * layout->row_height
              + (n_entries > 0 ? (n_entries - 1) * style->row_spacing : 0.0);
}

void
draw_legend_measure (cairo_t               *cr,
                     const DrawLegendEntry *entries,
                     guint                  n_entries,
                     const DrawLegendStyle *style,
                     double                *width,
                     double                *height)
{
  DrawLegendStyle defaults;
  Layout layout;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (entries != NULL || n_entries == 0);

  if (style == NULL)
    {
      draw_legend_style_init_default (&defaults);
      style = &defaults;
    }
  cairo_save (cr);
  compute_layout (cr, entries, n_entries, style, &layout);
  cairo_restore (cr);
  layout_size (&layout, n_entries, style, width, height);
}

void
draw_legend_draw (cairo_t               *cr,
                  const DrawLegendEntry *entries,
                  guint                  n_entries,
                  const DrawLegendStyle *style)
{
  DrawLegendStyle defaults;
  Layout layout;
  double width, height;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (entries != NULL || n_entries == 0);

  if (style == NULL)
    {
      draw_legend_style_init_default (&defaults);
      style = &defaults;
    }

  cairo_save (cr);
  compute_layout (cr, entries, n_entries, style, &layout);
  layout_size (&layout, n_entries, style, &width, &height);

  if (style->background[3] > 0.0)
    {
      cairo_set_source_rgba (cr, style->background[0], style->background[1],
                             style->background[2], style->background[3]);
      cairo_rectangle (cr, 0, 0, width, height);
      cairo_fill (cr);
    }

  cairo_set_line_width (cr, 1.0);
  for (guint i = 0; i < n_entries; i++)
    {
      const DrawLegendEntry *entry = &entries[i];
      double top = round (style->padding + i * (layout.row_height + style->row_spacing));
      double left = round (style->padding);
      double swatch_top = top + round ((layout.row_height - layout.swatch) / 2);
      double baseline = top + (layout.row_height - (layout.ascent + layout.descent)) / 2
                        + layout.ascent;
      cairo_text_extents_t text;
      char share[32];

      /* Fill, then outline on the half-pixel so a white or black class still shows its square. */
      cairo_set_source_rgb (cr, entry->rgb[0] / 255.0, entry->rgb[1] / 255.0,
                            entry->rgb[2] / 255.0);
      cairo_rectangle (cr, left, swatch_top, layout.swatch, layout.swatch);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, style->foreground[0], style->foreground[1],
                            style->foreground[2]);
      cairo_rectangle (cr, left + 0.5, swatch_top + 0.5, layout.swatch - 1, layout.swatch - 1);
      cairo_stroke (cr);

      cairo_move_to (cr, left + layout.swatch + layout.gap, baseline);
      cairo_show_text (cr, entry->name ? entry->name : "");

      format_share (entry->share, share);
      cairo_text_extents (cr, share, &text);
      cairo_move_to (cr, width - style->padding - text.x_advance, baseline);
      cairo_show_text (cr, share);
    }
  cairo_restore (cr);
}

static GBytes *
render (const DrawLegendEntry  *entries,
        guint                   n_entries,
        const DrawLegendStyle  *style,
        DrawFormat              format,
        GError                **error)
{
  DrawFile file;
  cairo_surface_t *surface;
  cairo_t *cr;
  double width, height;

  g_return_val_if_fail (entries != NULL || n_entries == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Measure on a scratch surface: text extents need a context. */
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cr = cairo_create (surface);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  draw_legend_measure (cr, entries, n_entries, style, &width, &height);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);

  cr = cairo_create (draw_file_begin (&file, format, width, height));
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  draw_legend_draw (cr, entries, n_entries, style);
  return draw_file_end (&file, cr, "legend", error);
}

GBytes *
draw_legend_render_png (const DrawLegendEntry  *entries,
                        guint                   n_entries,
                        const DrawLegendStyle  *style,
                        GError                **error)
{
  return render (entries, n_entries, style, DRAW_FORMAT_PNG, error);
}

GBytes *
draw_legend_render_svg (const DrawLegendEntry  *entries,
                        guint                   n_entries,
                        const DrawLegendStyle  *style,
                        GError                **error)
{
  return render (entries, n_entries, style, DRAW_FORMAT_SVG, error);
}
