/* studio-plot.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define STUDIO_TYPE_PLOT (studio_plot_get_type ())

G_DECLARE_FINAL_TYPE (StudioPlot, studio_plot, STUDIO, PLOT, GtkWidget)

/* A live chart drawn with Cairo: line series (loss per step, with an optional smoothed line;
 * mIoU per epoch) or labelled bars (per-class IoU), with axes, ticks and labels. The drawing
 * itself is the same code `unet plot` uses (src/draw/draw-plot.h).
 *
 * Properties: "title", "x-label", "y-label" (strings). */
GtkWidget *studio_plot_new               (void);

void       studio_plot_set_title         (StudioPlot        *self,
                                          const char        *title);
void       studio_plot_set_x_label       (StudioPlot        *self,
                                          const char        *label);
void       studio_plot_set_y_label       (StudioPlot        *self,
                                          const char        *label);
/* Fixes the y range (e.g. 0..1 for IoU); min > max lets it follow the data. */
void       studio_plot_set_y_range       (StudioPlot        *self,
                                          double             min,
                                          double             max);

/* Adds a line series and returns its index. smoothing in [0,1): 0 draws the raw points only,
 * otherwise a second, bolder line with exponential smoothing of that weight (0.9 ≈ the last
 * ten points) is drawn over faint raw points. */
guint      studio_plot_add_series        (StudioPlot        *self,
                                          const char        *label,
                                          const GdkRGBA     *color,
                                          double             smoothing);
void       studio_plot_append            (StudioPlot        *self,
                                          guint              series,
                                          double             x,
                                          double             y);
guint      studio_plot_get_n_points      (StudioPlot        *self,
                                          guint              series);

/* Replaces the chart by labelled bars (values NAN are drawn as "n/a"); colors is n × 3 bytes,
 * or NULL for the accent colour. */
void       studio_plot_set_bars          (StudioPlot        *self,
                                          const char *const *labels,
                                          const double      *values,
                                          const guint8      *colors,
                                          guint              n);
guint      studio_plot_get_n_bars        (StudioPlot        *self);

/* Removes every point and bar, keeping the series and labels. */
void       studio_plot_clear             (StudioPlot        *self);

G_END_DECLS
