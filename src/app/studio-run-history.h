/* studio-run-history.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What a run folder's log says happened so far, as the dashboard plots it. A long run's log
 * holds a line per step, so it is read on a thread. */

typedef struct
{
  double x;
  double y;
} StudioRunPoint;

typedef struct
{
  GArray   *loss;         /* StudioRunPoint: (step, loss) of every training step */
  GArray   *miou;         /* StudioRunPoint: (epoch, mIoU in %) of every validation */
  double    best_miou;    /* in [0,1]; < 0 before any validation */
  /* The checkpoint's class names (NULL when it names none) and the IoU in [0,1] the last
   * validation gave each, NAN for classes it did not see; class_iou is NULL when there was no
   * validation with per-class IoU. */
  GStrv     class_names;
  double   *class_iou;
  guint     n_bad_lines;  /* skipped: torn, not JSON, or members of the wrong type */
} StudioRunHistory;

/* Called with the share of the log read so far, in [0,1]. */
typedef void (*StudioRunHistoryProgress) (double   fraction,
                                          gpointer user_data);

/* Reads run_dir's log.jsonl and, for the class names, its checkpoint. Lines after the
 * checkpoint's step are left out, as resuming the run drops them. A folder without a log has
 * an empty history. progress, if not NULL, is called on this thread. */
StudioRunHistory *studio_run_history_read        (const char                *run_dir,
                                                  GCancellable              *cancellable,
                                                  StudioRunHistoryProgress   progress,
                                                  gpointer                   progress_data,
                                                  GError                   **error);
/* The same on a thread; progress, if not NULL, is called on the caller's thread-default main
 * context, never once cancellable is cancelled. progress_data_free may run on any thread. */
void              studio_run_history_read_async  (const char                *run_dir,
                                                  GCancellable              *cancellable,
                                                  StudioRunHistoryProgress   progress,
                                                  gpointer                   progress_data,
                                                  GDestroyNotify             progress_data_free,
                                                  GAsyncReadyCallback        callback,
                                                  gpointer                   user_data);
StudioRunHistory *studio_run_history_read_finish (GAsyncResult              *result,
                                                  GError                   **error);
void              studio_run_history_free        (StudioRunHistory          *history);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StudioRunHistory, studio_run_history_free)

G_END_DECLS
