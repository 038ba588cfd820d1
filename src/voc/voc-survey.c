/* voc-survey.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "voc-error.h"
#include "voc-survey.h"

VocMaskSurvey *
voc_mask_survey_new (int n_classes)
{
  VocMaskSurvey *survey;

  g_return_val_if_fail (n_classes > 0 && n_classes <= 255, NULL);

  survey = g_new0 (VocMaskSurvey, 1);
  survey->n_classes = n_classes;
  survey->pixels = g_new0 (guint64, n_classes + 1);
  return survey;
}

void
voc_mask_survey_free (VocMaskSurvey *survey)
{
  if (survey == NULL)
    return;
  g_free (survey->pixels);
  g_free (survey);
}

void
voc_mask_survey_add (VocMaskSurvey  *survey,
                     const guint64  *pixels,
                     VocMaskReading  reading)
{
  g_return_if_fail (survey != NULL && pixels != NULL);
  g_return_if_fail (reading <= VOC_MASK_READ_COLOUR);

  for (int k = 0; k <= survey->n_classes; k++)
    survey->pixels[k] += pixels[k];
  survey->by_reading[reading]++;
  survey->n_masks++;
}

VocMaskSurvey *
voc_dataset_survey_masks (VocDataset    *dataset,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(VocMaskSurvey) survey = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) splits = NULL;
  int n_classes;

  g_return_val_if_fail (dataset != NULL, NULL);

  n_classes = voc_dataset_get_n_classes (dataset);
  survey = voc_mask_survey_new (n_classes);
  splits = voc_dataset_list_splits (dataset);
  for (guint s = 0; splits[s] != NULL; s++)
    {
      g_autoptr(GPtrArray) ids = voc_dataset_get_split (dataset, splits[s], TRUE, NULL, NULL);

      /* a split without a usable id has nothing to count */
      for (guint i = 0; ids != NULL && i < ids->len; i++)
        {
          const char *id = g_ptr_array_index (ids, i);
          g_autoptr(VocSample) mask = NULL;
          g_autofree guint64 *pixels = NULL;
          size_t n;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return NULL;
          if (!g_hash_table_add (seen, g_strdup (id)))
            continue;
          /* a broken mask is counted, not reported: the integrity check says why */
          mask = voc_dataset_load_sample (dataset, id, VOC_LOAD_LABELS, NULL);
          if (mask == NULL || mask->labels == NULL)
            {
              survey->n_unreadable++;
              continue;
            }
          pixels = g_new0 (guint64, n_classes + 1);
          n = (size_t) mask->width * mask->height;
          for (size_t p = 0; p < n; p++)
            {
              int v = mask->labels[p];

              pixels[v < n_classes ? v : n_classes]++;
            }
          voc_mask_survey_add (survey, pixels, mask->reading);
        }
    }
  return g_steal_pointer (&survey);
}

static guint64
total_pixels (const VocMaskSurvey *survey)
{
  guint64 total = 0;

  for (int k = 0; k <= survey->n_classes; k++)
    total += survey->pixels[k];
  return total;
}

double
voc_mask_survey_share (const VocMaskSurvey *survey,
                       int                  k)
{
  guint64 total;

  g_return_val_if_fail (survey != NULL, 0.0);
  g_return_val_if_fail (k >= 0 && k <= survey->n_classes, 0.0);

  total = total_pixels (survey);
  return total > 0 ? (double) survey->pixels[k] / total : 0.0;
}

char **
voc_mask_survey_describe (const VocMaskSurvey *survey,
                          VocClasses          *classes)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (survey != NULL && classes != NULL, NULL);

  for (int r = 0; r <= VOC_MASK_READ_COLOUR; r++)
    if (survey->by_reading[r] > 0)
      {
        g_autofree char *how = voc_classes_describe_reading (classes, r);

        g_ptr_array_add (lines, g_strdup_printf ("%u %s %s", survey->by_reading[r],
                                                 survey->by_reading[r] == 1 ? "mask:" : "masks:",
                                                 how));
      }
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&lines), FALSE);
}

char **
voc_mask_survey_warnings (const VocMaskSurvey *survey,
                          VocClasses          *classes)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  const char *const *names;
  int n;
  guint64 total;

  g_return_val_if_fail (survey != NULL && classes != NULL, NULL);

  names = voc_classes_get_names (classes);
  n = MIN (survey->n_classes, voc_classes_get_n (classes));
  total = total_pixels (survey);
  if (survey->n_masks > 0)
    {
      for (int k = 0; k < n; k++)
        if (survey->pixels[k] == 0)
          g_ptr_array_add (warnings,
                           g_strdup_printf ("class “%s” has no pixels in any mask: check how the "
                                            "masks are read (above), or take it out of the "
                                            "classes", names[k]));
      if (survey->pixels[survey->n_classes] * 2 > total)
        g_ptr_array_add (warnings,
                         g_strdup_printf ("void covers %.1f %% of the pixels: training learns "
                                          "only from the rest; if the value or colour that "
                                          "covers most of the masks is a class, say so in "
                                          "classes.txt (see docs/datasets.md)",
                                          100.0 * survey->pixels[survey->n_classes] / total));
    }
  g_ptr_array_add (warnings, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&warnings), FALSE);
}
