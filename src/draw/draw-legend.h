/* draw-legend.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <cairo.h>
#include <glib.h>

#include "draw-error.h"

G_BEGIN_DECLS

/* One row of a segmentation legend. */
typedef struct
{
  int         index;  /* class index (the pixel value in the mask) */
  const char *name;   /* borrowed */
  guint8      rgb[3];
  double      share;  /* fraction of the image's pixels, 0..1 */
} DrawLegendEntry;

typedef struct
{
  double font_size;      /* pixels; 14 */
  double padding;        /* around the whole legend; 10 */
  double row_spacing;    /* between rows; 6 */
  double foreground[3];  /* text and swatch outline; dark grey */
  double background[4];  /* RGBA; white. Alpha 0 draws no background */
} DrawLegendStyle;

void    draw_legend_style_init_default (DrawLegendStyle        *style);

/* The entries of the classes that have pixels, largest share first (ties: lower index first).
 * counts and palette (r,g,b per class) are n_classes long; names are borrowed, so they must
 * outlive the array. (element-type DrawLegendEntry) */
GArray *draw_legend_entries_new        (const guint64          *counts,
                                        int                     n_classes,
                                        const char *const      *names,
                                        const guint8           *palette);

/* Size in user units of the legend draw_legend_draw() draws with this style and cr's font face. */
void    draw_legend_measure            (cairo_t                *cr,
                                        const DrawLegendEntry  *entries,
                                        guint                   n_entries,
                                        const DrawLegendStyle  *style,
                                        double                 *width,
                                        double                 *height);

/* Draws the legend with its top-left corner at the user-space origin: per row a colour swatch,
 * the class name and its share of the pixels as a percentage, right-aligned. style may be NULL
 * for the defaults. The cairo state is saved and restored. */
void    draw_legend_draw               (cairo_t                *cr,
                                        const DrawLegendEntry  *entries,
                                        guint                   n_entries,
                                        const DrawLegendStyle  *style);

/* The legend as PNG file contents, sized to fit. style may be NULL. */
GBytes *draw_legend_render_png         (const DrawLegendEntry  *entries,
                                        guint                   n_entries,
                                        const DrawLegendStyle  *style,
                                        GError                **error);

/* The same as an SVG document (text stays text). */
GBytes *draw_legend_render_svg         (const DrawLegendEntry  *entries,
                                        guint                   n_entries,
                                        const DrawLegendStyle  *style,
                                        GError                **error);

G_END_DECLS
