/* studio-viewer-hover.c: the texts beside the image — what the view mode shows, the class
 * under the pointer, the image's scores against its truth, the model in use
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "studio-viewer-private.h"

void
studio_viewer_update_mode_hint (StudioViewer *self)
{
  const char *hint = NULL;
  gboolean has_truth = self->segmentation != NULL &&
                       studio_segmentation_get_truth (self->segmentation) != NULL;

  switch (self->view_mode)
    {
    case STUDIO_VIEW_MODE_TRUTH:
      hint = has_truth ? _("The dataset’s mask; cream marks the void border, which is not scored")
                       : _("This image has no ground truth: open it from a dataset");
      break;
    case STUDIO_VIEW_MODE_ERRORS:
      hint = has_truth ? _("Red: the prediction differs from the truth")
                       : _("This image has no ground truth: open it from a dataset");
      break;
    case STUDIO_VIEW_MODE_CONFIDENCE:
      if (studio_viewer_get_confidence_class (self) >= 0 && self->segmentation != NULL &&
          studio_segmentation_get_class_probabilities (self->segmentation, studio_viewer_get_confidence_class (self)) == NULL)
        hint = _("This image is too large to keep every class’s probability: showing the predicted class’s");
      else if (studio_viewer_get_confidence_class (self) >= 0)
        hint = _("Probability of the chosen class: bright where the model sees it");
      else if (self->settings != NULL && g_settings_get_enum (self->settings, "confidence-kind") == 1)
        hint = _("Entropy of the class probabilities: bright where the model hesitates between classes");
      else
        hint = _("Probability of the predicted class: bright where the model is sure, dark where it is not");
      break;
    case STUDIO_VIEW_MODE_PREDICTION:
    default:
      break;
    }
  gtk_label_set_label (self->mode_hint, hint != NULL ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->mode_hint), hint != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->confidence_dropdown),
                          self->view_mode == STUDIO_VIEW_MODE_CONFIDENCE && self->segmentation != NULL);
}

void
studio_viewer_update_hover (StudioViewer *self)
{
  const char *const *names;
  g_autofree char *text = NULL;
  int x = self->hover_x, y = self->hover_y, c;
  float probability;
  const guint8 *truth;

  if (self->segmentation == NULL || x < 0 || y < 0 ||
      x >= studio_segmentation_get_width (self->segmentation) ||
      y >= studio_segmentation_get_height (self->segmentation))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->hover_label), FALSE);
      studio_legend_set_highlight (self->legend, -1);
      return;
    }

  names = studio_segmentation_get_class_names (self->segmentation);
  c = studio_segmentation_get_classes (self->segmentation)[(gsize) y * studio_segmentation_get_width (self->segmentation) + x];
  probability = studio_segmentation_get_probability (self->segmentation, x, y, -1);
  truth = studio_segmentation_get_truth (self->segmentation);
  /* Translators: the class under the pointer and the model's probability for it */
  text = g_strdup_printf (_("%s · %.0f %%"), names[c], probability * 100.0);
  if (truth != NULL)
    {
      guint8 t = truth[(gsize) y * studio_segmentation_get_width (self->segmentation) + x];
      g_autofree char *with_truth = NULL;

      /* Translators: appended to the class under the pointer: the dataset's class there */
      with_truth = g_strdup_printf (_("%s (truth: %s)"), text,
                                    t < studio_segmentation_get_n_classes (self->segmentation)
                                    ? names[t] : _("void"));
      g_free (text);
      text = g_steal_pointer (&with_truth);
    }
  gtk_label_set_label (self->hover_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->hover_label), TRUE);
  studio_legend_set_highlight (self->legend, c);
}

void
studio_viewer_update_score (StudioViewer *self)
{
  double miou, accuracy;
  g_autofree char *text = NULL;

  if (self->segmentation == NULL ||
      !studio_segmentation_get_scores (self->segmentation, &miou, &accuracy))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->score_label), FALSE);
      return;
    }
  /* Translators: scores of the prediction against the dataset's ground truth */
  text = g_strdup_printf (_("This image: mean IoU %.1f %%, pixel accuracy %.1f %%"),
                          miou * 100.0, accuracy * 100.0);
  gtk_label_set_label (self->score_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->score_label), TRUE);
}

void
studio_viewer_update_model_label (StudioViewer *self)
{
  StudioModelInfo *info = self->worker != NULL ? studio_worker_get_model_info (self->worker) : NULL;
  g_autofree char *text = NULL;

  if (info == NULL)
    text = g_strdup (_("No model loaded"));
  else
    /* Translators: %s is a model's name or file name */
    text = g_strdup_printf (_("Model: %s"), studio_model_info_get_name (info));
  gtk_label_set_label (self->model_label, text);
}
