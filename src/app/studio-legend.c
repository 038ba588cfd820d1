/* studio-legend.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "draw/draw-legend.h"

#include "studio-legend.h"

#define MAX_CLASSES 256

struct _StudioLegend
{
  GtkWidget   parent_instance;

  GtkListBox *list_box;
  /* class index of every row, in row order */
  GArray     *row_classes;
  gboolean    hidden[MAX_CLASSES];
};

G_DEFINE_FINAL_TYPE (StudioLegend, studio_legend, GTK_TYPE_WIDGET)

enum {
  VISIBILITY_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
draw_swatch (GtkDrawingArea *area,
             cairo_t        *cr,
             int             width,
             int             height,
             gpointer        user_data)
{
  guint32 rgb = GPOINTER_TO_UINT (user_data);

  cairo_set_source_rgb (cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                        (rgb & 0xff) / 255.0);
  cairo_rectangle (cr, 0.5, 0.5, width - 1, height - 1);
  cairo_fill_preserve (cr);
  cairo_set_source_rgba (cr, 0.5, 0.5, 0.5, 0.6);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);
}

GtkWidget *
studio_legend_swatch_new (const guint8 rgb[3])
{
  GtkWidget *swatch = gtk_drawing_area_new ();
  guint32 packed = ((guint32) rgb[0] << 16) | ((guint32) rgb[1] << 8) | rgb[2];

  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (swatch), 16);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (swatch), 16);
  gtk_widget_set_valign (swatch, GTK_ALIGN_CENTER);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (swatch), draw_swatch,
                                  GUINT_TO_POINTER (packed), NULL);
  return swatch;
}

static void
on_check_toggled (GtkCheckButton *check,
                  StudioLegend   *self)
{
  int class_index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (check), "class-index"));

  self->hidden[class_index] = !gtk_check_button_get_active (check);
  g_signal_emit (self, signals[VISIBILITY_CHANGED], 0);
}

static GtkWidget *
create_row (StudioLegend          *self,
            const DrawLegendEntry *entry)
{
  g_autofree char *share = NULL;
  g_autofree char *tooltip = NULL;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *name = gtk_label_new (entry->name);
  GtkWidget *share_label;
  GtkWidget *check = gtk_check_button_new ();
  GtkWidget *row = gtk_list_box_row_new ();

  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 8);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_box_append (GTK_BOX (box), studio_legend_swatch_new (entry->rgb));

  gtk_label_set_xalign (GTK_LABEL (name), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_box_append (GTK_BOX (box), name);

  share = entry->share >= 0.001 ? g_strdup_printf ("%.1f %%", entry->share * 100.0)
                                : g_strdup ("< 0.1 %");
  share_label = gtk_label_new (share);
  gtk_widget_add_css_class (share_label, "dim-label");
  gtk_widget_add_css_class (share_label, "numeric");
  gtk_box_append (GTK_BOX (box), share_label);

  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), !self->hidden[entry->index]);
  /* Translators: %s is a class name such as "person" */
  tooltip = g_strdup_printf (_("Show “%s” in the overlay"), entry->name);
  gtk_widget_set_tooltip_text (check, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  g_object_set_data (G_OBJECT (check), "class-index", GINT_TO_POINTER (entry->index));
  g_signal_connect (check, "toggled", G_CALLBACK (on_check_toggled), self);
  gtk_box_append (GTK_BOX (box), check);

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  return row;
}

void
studio_legend_set_classes (StudioLegend      *self,
                           const guint64     *counts,
                           int                n_classes,
                           const char *const *names,
                           const guint8      *palette)
{
  g_autoptr(GArray) entries = NULL;
  GtkWidget *child;

  g_return_if_fail (STUDIO_IS_LEGEND (self));
  g_return_if_fail (n_classes >= 0 && n_classes <= MAX_CLASSES);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box))) != NULL)
    gtk_list_box_remove (self->list_box, child);
  g_array_set_size (self->row_classes, 0);
  if (counts == NULL || n_classes == 0)
    return;

  entries = draw_legend_entries_new (counts, n_classes, names, palette);
  for (guint i = 0; i < entries->len; i++)
    {
      const DrawLegendEntry *entry = &g_array_index (entries, DrawLegendEntry, i);

      gtk_list_box_append (self->list_box, create_row (self, entry));
      g_array_append_val (self->row_classes, entry->index);
    }
}

gboolean
studio_legend_get_class_visible (StudioLegend *self,
                                 int           class_index)
{
  g_return_val_if_fail (STUDIO_IS_LEGEND (self), TRUE);

  if (class_index < 0 || class_index >= MAX_CLASSES)
    return TRUE;
  return !self->hidden[class_index];
}

void
studio_legend_set_class_visible (StudioLegend *self,
                                 int           class_index,
                                 gboolean      visible)
{
  g_return_if_fail (STUDIO_IS_LEGEND (self));
  g_return_if_fail (class_index >= 0 && class_index < MAX_CLASSES);

  for (guint i = 0; i < self->row_classes->len; i++)
    if (g_array_index (self->row_classes, int, i) == class_index)
      {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->list_box, i);
        GtkWidget *check = gtk_widget_get_last_child (gtk_list_box_row_get_child (row));

        /* emits visibility-changed through the toggled handler */
        gtk_check_button_set_active (GTK_CHECK_BUTTON (check), visible);
        return;
      }
  if (self->hidden[class_index] != !visible)
    {
      self->hidden[class_index] = !visible;
      g_signal_emit (self, signals[VISIBILITY_CHANGED], 0);
    }
}

void
studio_legend_set_highlight (StudioLegend *self,
                             int           class_index)
{
  g_return_if_fail (STUDIO_IS_LEGEND (self));

  for (guint i = 0; i < self->row_classes->len; i++)
    if (g_array_index (self->row_classes, int, i) == class_index)
      {
        gtk_list_box_select_row (self->list_box, gtk_list_box_get_row_at_index (self->list_box, i));
        return;
      }
  gtk_list_box_unselect_all (self->list_box);
}

guint
studio_legend_get_n_rows (StudioLegend *self)
{
  g_return_val_if_fail (STUDIO_IS_LEGEND (self), 0);

  return self->row_classes->len;
}

int
studio_legend_get_row_class (StudioLegend *self,
                             guint         row)
{
  g_return_val_if_fail (STUDIO_IS_LEGEND (self), -1);

  if (row >= self->row_classes->len)
    return -1;
  return g_array_index (self->row_classes, int, row);
}

static void
studio_legend_dispose (GObject *object)
{
  StudioLegend *self = STUDIO_LEGEND (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), STUDIO_TYPE_LEGEND);
  g_clear_pointer (&self->row_classes, g_array_unref);

  G_OBJECT_CLASS (studio_legend_parent_class)->dispose (object);
}

static void
studio_legend_class_init (StudioLegendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = studio_legend_dispose;

  signals[VISIBILITY_CHANGED] =
    g_signal_new ("visibility-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/unetstudio/UnetStudio/studio-legend.ui");
  gtk_widget_class_bind_template_child (widget_class, StudioLegend, list_box);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "studio-legend");
}

static void
studio_legend_init (StudioLegend *self)
{
  self->row_classes = g_array_new (FALSE, FALSE, sizeof (int));
  gtk_widget_init_template (GTK_WIDGET (self));
}
