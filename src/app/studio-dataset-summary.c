/* studio-dataset-summary.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "studio-dataset-summary.h"
#include "studio-legend.h"

struct _StudioDatasetSummary
{
  GtkWidget     parent_instance;

  GtkWidget    *box;
  GtkLabel     *reading_label;
  GtkListBox   *classes_list;
  GtkBox       *warnings_box;

  GCancellable *cancellable;
  GPtrArray    *row_texts;   /* "name share" of every class row, for tests and accessibility */
  GStrv         warnings;
  gboolean      ready;
};

G_DEFINE_FINAL_TYPE (StudioDatasetSummary, studio_dataset_summary, GTK_TYPE_WIDGET)

typedef struct
{
  VocMaskSurvey *survey;
  VocClasses    *classes;
} SurveyResult;

static void
survey_result_free (gpointer data)
{
  SurveyResult *result = data;

  voc_mask_survey_free (result->survey);
  g_clear_pointer (&result->classes, voc_classes_unref);
  g_free (result);
}

static void
clear (StudioDatasetSummary *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->classes_list))) != NULL)
    gtk_list_box_remove (self->classes_list, child);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->warnings_box))) != NULL)
    gtk_box_remove (self->warnings_box, child);
  g_ptr_array_set_size (self->row_texts, 0);
  g_clear_pointer (&self->warnings, g_strfreev);
  self->ready = FALSE;
}

static void
add_class_row (StudioDatasetSummary *self,
               const char           *name,
               const guint8          rgb[3],
               double                share)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *name_label = gtk_label_new (name);
  g_autofree char *share_text = share >= 0.0005 || share == 0.0
                                ? g_strdup_printf ("%.1f %%", share * 100.0)
                                : g_strdup ("< 0.1 %");
  GtkWidget *share_label = gtk_label_new (share_text);

  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 8);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_box_append (GTK_BOX (box), studio_legend_swatch_new (rgb));
  gtk_label_set_xalign (GTK_LABEL (name_label), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (name_label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (name_label, TRUE);
  gtk_box_append (GTK_BOX (box), name_label);
  gtk_widget_add_css_class (share_label, "dim-label");
  gtk_widget_add_css_class (share_label, "numeric");
  gtk_box_append (GTK_BOX (box), share_label);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_append (self->classes_list, row);
  g_ptr_array_add (self->row_texts, g_strdup_printf ("%s %s", name, share_text));
}

static void
add_warning (StudioDatasetSummary *self,
             const char           *text)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_set_valign (icon, GTK_ALIGN_START);
  gtk_widget_add_css_class (icon, "warning");
  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (self->warnings_box, box);
}

void
studio_dataset_summary_show (StudioDatasetSummary *self,
                             const VocMaskSurvey  *survey,
                             VocClasses           *classes)
{
  g_auto(GStrv) lines = NULL;
  g_autofree char *reading = NULL;
  const char *const *names;
  const guint8 *palette;
  int n;

  g_return_if_fail (STUDIO_IS_DATASET_SUMMARY (self));
  g_return_if_fail (survey != NULL && classes != NULL);

  clear (self);
  names = voc_classes_get_names (classes);
  palette = voc_classes_get_palette (classes);
  n = MIN (survey->n_classes, voc_classes_get_n (classes));
  lines = voc_mask_survey_describe (survey, classes);
  if (survey->n_masks == 0)
    reading = g_strdup (_("No class mask could be read"));
  else
    reading = g_strjoinv ("\n", lines);
  gtk_label_set_label (self->reading_label, reading);
  for (int k = 0; k < n; k++)
    add_class_row (self, names[k], palette + 3 * k, voc_mask_survey_share (survey, k));
  if (survey->pixels[survey->n_classes] > 0)
    {
      /* void in VOC's cream, as the truth view shows it */
      add_class_row (self, _("void"), voc_colormap_table () + 3 * VOC_VOID,
                     voc_mask_survey_share (survey, survey->n_classes));
    }
  self->warnings = voc_mask_survey_warnings (survey, classes);
  for (guint i = 0; self->warnings[i] != NULL; i++)
    add_warning (self, self->warnings[i]);
  self->ready = TRUE;
}

static void
survey_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VocDataset) dataset = voc_dataset_open (task_data, &error);
  SurveyResult *result;

  if (dataset == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  result = g_new0 (SurveyResult, 1);
  result->survey = voc_dataset_survey_masks (dataset, cancellable, &error);
  if (result->survey == NULL)
    {
      survey_result_free (result);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  result->classes = voc_classes_ref (voc_dataset_get_classes (dataset));
  g_task_return_pointer (task, result, survey_result_free);
}

static void
survey_done (GObject      *source_object,
             GAsyncResult *task,
             gpointer      user_data)
{
  StudioDatasetSummary *self = STUDIO_DATASET_SUMMARY (source_object);
  g_autoptr(GError) error = NULL;
  SurveyResult *result = g_task_propagate_pointer (G_TASK (task), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  if (result == NULL)
    {
      clear (self);
      gtk_label_set_label (self->reading_label, error->message);
      self->ready = TRUE;
      return;
    }
  studio_dataset_summary_show (self, result->survey, result->classes);
  survey_result_free (result);
}

void
studio_dataset_summary_set_dataset (StudioDatasetSummary *self,
                                    const char           *root)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (STUDIO_IS_DATASET_SUMMARY (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  clear (self);
  gtk_label_set_label (self->reading_label, _("Reading the masks…"));
  gtk_widget_set_visible (GTK_WIDGET (self), root != NULL);
  if (root == NULL)
    return;

  self->cancellable = g_cancellable_new ();
  /* the task holds the widget until the survey ends: a cancelled one ends at the next mask */
  task = g_task_new (self, self->cancellable, survey_done, NULL);
  g_task_set_source_tag (task, studio_dataset_summary_set_dataset);
  g_task_set_task_data (task, g_strdup (root), g_free);
  g_task_run_in_thread (task, survey_thread);
}

gboolean
studio_dataset_summary_is_ready (StudioDatasetSummary *self)
{
  g_return_val_if_fail (STUDIO_IS_DATASET_SUMMARY (self), FALSE);

  return self->ready;
}

guint
studio_dataset_summary_get_n_rows (StudioDatasetSummary *self)
{
  g_return_val_if_fail (STUDIO_IS_DATASET_SUMMARY (self), 0);

  return self->row_texts->len;
}

char *
studio_dataset_summary_get_row_text (StudioDatasetSummary *self,
                                     guint                 row)
{
  g_return_val_if_fail (STUDIO_IS_DATASET_SUMMARY (self), NULL);
  g_return_val_if_fail (row < self->row_texts->len, NULL);

  return g_strdup (g_ptr_array_index (self->row_texts, row));
}

guint
studio_dataset_summary_get_n_warnings (StudioDatasetSummary *self)
{
  g_return_val_if_fail (STUDIO_IS_DATASET_SUMMARY (self), 0);

  return self->warnings != NULL ? g_strv_length (self->warnings) : 0;
}

const char *
studio_dataset_summary_get_warning (StudioDatasetSummary *self,
                                    guint                 i)
{
  g_return_val_if_fail (STUDIO_IS_DATASET_SUMMARY (self), NULL);
  g_return_val_if_fail (i < studio_dataset_summary_get_n_warnings (self), NULL);

  return self->warnings[i];
}

GtkWidget *
studio_dataset_summary_new (void)
{
  return g_object_new (STUDIO_TYPE_DATASET_SUMMARY, NULL);
}

static void
studio_dataset_summary_dispose (GObject *object)
{
  StudioDatasetSummary *self = STUDIO_DATASET_SUMMARY (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), STUDIO_TYPE_DATASET_SUMMARY);
  g_clear_pointer (&self->row_texts, g_ptr_array_unref);
  g_clear_pointer (&self->warnings, g_strfreev);

  G_OBJECT_CLASS (studio_dataset_summary_parent_class)->dispose (object);
}

static void
studio_dataset_summary_class_init (StudioDatasetSummaryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = studio_dataset_summary_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/unetstudio/UnetStudio/studio-dataset-summary.ui");
  gtk_widget_class_bind_template_child (widget_class, StudioDatasetSummary, box);
  gtk_widget_class_bind_template_child (widget_class, StudioDatasetSummary, reading_label);
  gtk_widget_class_bind_template_child (widget_class, StudioDatasetSummary, classes_list);
  gtk_widget_class_bind_template_child (widget_class, StudioDatasetSummary, warnings_box);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "studio-dataset-summary");
}

static void
studio_dataset_summary_init (StudioDatasetSummary *self)
{
  self->row_texts = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
}
