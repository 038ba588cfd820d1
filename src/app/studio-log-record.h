/* studio-log-record.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One line of a run's log.jsonl, as the trainer writes it. This is the app's whole knowledge of
 * that format; the run-folder reader in src/train is meant to take its place. */

typedef enum
{
  STUDIO_LOG_RECORD_OTHER,  /* well formed, of a kind the dashboard does not plot */
  STUDIO_LOG_RECORD_TRAIN,  /* a training step: step, epoch, loss */
  STUDIO_LOG_RECORD_VAL,    /* a validation: step, epoch, miou, per-class IoU */
} StudioLogRecordKind;

typedef struct
{
  StudioLogRecordKind  kind;
  gint64               step;         /* 0 when the line has none */
  int                  epoch;        /* 0 when the line has none */
  double               loss;         /* NAN when the line has none */
  double               miou;         /* in [0,1]; NAN when the line has none */
  /* The classes seen in truth or prediction and their IoU in [0,1] (NAN for null); the others
   * are absent. NULL when the line has no per_class_iou. */
  GStrv                class_names;
  double              *class_iou;
} StudioLogRecord;

/* Fills record from one line (without its newline). FALSE for a bad line (not a JSON object,
 * or a member of the wrong type), with a G_IO_ERROR_INVALID_DATA error; the record is then
 * cleared. Safe to call from any thread. */
gboolean  studio_log_record_parse (StudioLogRecord  *record,
                                   const char       *line,
                                   gssize            length,
                                   GError          **error);
/* Frees what the record holds. */
void      studio_log_record_clear (StudioLogRecord  *record);
/* The IoU the record gives class `name`, or NAN. */
double    studio_log_record_get_class_iou (const StudioLogRecord *record,
                                           const char            *name);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StudioLogRecord, studio_log_record_clear)

G_END_DECLS
