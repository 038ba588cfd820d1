/* voc-survey.h — what a dataset's class masks hold: pixels per class, void, how they were read,
 * and what looks wrong
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "voc-classes.h"
#include "voc-dataset.h"

G_BEGIN_DECLS

typedef struct
{
  int       n_classes;
  guint64  *pixels;       /* n_classes + 1 counts: the classes', then void's (and any value
                           * beyond the classes) */
  guint     n_masks;      /* masks read */
  guint     n_unreadable; /* masks that could not be read (the integrity check says why) */
  guint     by_reading[VOC_MASK_READ_COLOUR + 1]; /* masks read each way */
} VocMaskSurvey;

VocMaskSurvey *voc_mask_survey_new      (int                   n_classes);
void           voc_mask_survey_free     (VocMaskSurvey        *survey);

/* Counts one mask: per class pixel counts (n_classes + 1, void last) and how it was read. */
void           voc_mask_survey_add      (VocMaskSurvey        *survey,
                                         const guint64        *pixels,
                                         VocMaskReading        reading);

/* Every id of every split of the dataset, each once. Stops with G_IO_ERROR_CANCELLED when
 * cancellable is cancelled (checked between masks). */
VocMaskSurvey *voc_dataset_survey_masks (VocDataset           *dataset,
                                         GCancellable         *cancellable,
                                         GError              **error);

/* The share of class k (n_classes: void) of all the pixels read, 0 to 1. */
double         voc_mask_survey_share    (const VocMaskSurvey  *survey,
                                         int                   k);

/* How the masks were read, a line a way: "30 masks: values 0 and 255, read as membrane and
 * cell". NULL-terminated. */
char         **voc_mask_survey_describe (const VocMaskSurvey  *survey,
                                         VocClasses           *classes);

/* What looks wrong: a class without a single pixel, void over half the pixels. NULL-terminated,
 * empty when nothing does. */
char         **voc_mask_survey_warnings (const VocMaskSurvey  *survey,
                                         VocClasses           *classes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VocMaskSurvey, voc_mask_survey_free)

G_END_DECLS
