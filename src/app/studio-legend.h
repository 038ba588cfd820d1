/* studio-legend.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define STUDIO_TYPE_LEGEND (studio_legend_get_type ())

G_DECLARE_FINAL_TYPE (StudioLegend, studio_legend, STUDIO, LEGEND, GtkWidget)

/* The classes present in an image, largest share first: a colour swatch, the name, the share of
 * the pixels and a switch to hide the class from the overlay. Hidden classes stay hidden from
 * one image to the next. Signal "visibility-changed" when one is toggled. */
void        studio_legend_set_classes       (StudioLegend      *self,
                                             const guint64     *counts,
                                             int                n_classes,
                                             const char *const *names,
                                             const guint8      *palette);
gboolean    studio_legend_get_class_visible (StudioLegend      *self,
                                             int                class_index);
void        studio_legend_set_class_visible (StudioLegend      *self,
                                             int                class_index,
                                             gboolean           visible);
/* Selects the row of this class (the one under the pointer), or none with -1. */
void        studio_legend_set_highlight     (StudioLegend      *self,
                                             int                class_index);
guint       studio_legend_get_n_rows        (StudioLegend      *self);
/* The class index shown in row i, or -1. */
int         studio_legend_get_row_class     (StudioLegend      *self,
                                             guint              row);

/* A class's colour swatch, 16 px square, as the legend draws it. */
GtkWidget  *studio_legend_swatch_new        (const guint8       rgb[3]);

G_END_DECLS
