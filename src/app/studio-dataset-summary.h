/* studio-dataset-summary.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "voc/voc.h"

G_BEGIN_DECLS

#define STUDIO_TYPE_DATASET_SUMMARY (studio_dataset_summary_get_type ())

G_DECLARE_FINAL_TYPE (StudioDatasetSummary, studio_dataset_summary, STUDIO, DATASET_SUMMARY,
                      GtkWidget)

/* What a dataset's masks hold, for the viewer and the dashboard: how they were read, every class
 * with its colour and share of the pixels (void too, when there is any), and the warnings of
 * `unet info` (a class without pixels, void over half the data). */
GtkWidget   *studio_dataset_summary_new          (void);

/* Surveys the dataset at root on a worker thread (reading every mask) and shows the result;
 * a later call, or NULL, drops what an earlier one was doing. */
void         studio_dataset_summary_set_dataset  (StudioDatasetSummary *self,
                                                  const char           *root);
/* Shows a survey made elsewhere. */
void         studio_dataset_summary_show         (StudioDatasetSummary *self,
                                                  const VocMaskSurvey  *survey,
                                                  VocClasses           *classes);

/* For tests: whether a survey is shown, the text of class row i ("cell 78.0 %"), the warnings. */
gboolean     studio_dataset_summary_is_ready     (StudioDatasetSummary *self);
guint        studio_dataset_summary_get_n_rows   (StudioDatasetSummary *self);
char        *studio_dataset_summary_get_row_text (StudioDatasetSummary *self,
                                                  guint                 row);
guint        studio_dataset_summary_get_n_warnings (StudioDatasetSummary *self);
const char  *studio_dataset_summary_get_warning  (StudioDatasetSummary *self,
                                                  guint                 i);

G_END_DECLS
