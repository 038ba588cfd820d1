/* studio-run-history.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "studio-log-record.h"
#include "studio-model-file.h"
#include "studio-run-history.h"

#define LOG_NAME "log.jsonl"
/* Progress reports per log: enough for a smooth bar, few enough not to flood the main loop. */
#define N_PROGRESS_REPORTS 50
#define LINES_PER_CANCEL_CHECK 1024

static StudioRunHistory *
run_history_new (void)
{
  StudioRunHistory *history = g_new0 (StudioRunHistory, 1);

  history->loss = g_array_new (FALSE, FALSE, sizeof (StudioRunPoint));
  history->miou = g_array_new (FALSE, FALSE, sizeof (StudioRunPoint));
  history->best_miou = -1.0;
  return history;
}

void
studio_run_history_free (StudioRunHistory *history)
{
  if (history == NULL)
    return;
  g_array_unref (history->loss);
  g_array_unref (history->miou);
  g_strfreev (history->class_names);
  g_free (history->class_iou);
  g_free (history);
}

/* Adds one parsed line; returns whether it was the latest validation with per-class IoU. */
static gboolean
add_record (StudioRunHistory      *history,
            const StudioLogRecord *record)
{
  StudioRunPoint point;

  switch (record->kind)
    {
    case STUDIO_LOG_RECORD_TRAIN:
      point = (StudioRunPoint) { (double) record->step, record->loss };
      g_array_append_val (history->loss, point);
      return FALSE;

    case STUDIO_LOG_RECORD_VAL:
      point = (StudioRunPoint) { record->epoch, 100.0 * record->miou };
      g_array_append_val (history->miou, point);
      if (isfinite (record->miou))
        history->best_miou = MAX (history->best_miou, record->miou);
      return record->class_names != NULL;

    case STUDIO_LOG_RECORD_OTHER:
    default:
      return FALSE;
    }
}

/* The log names classes; the ones it leaves out were in neither truth nor prediction. */
static void
set_class_iou (StudioRunHistory      *history,
               const StudioLogRecord *last_val)
{
  guint n = history->class_names != NULL ? g_strv_length (history->class_names) : 0;

  if (n == 0)
    return;
  history->class_iou = g_new (double, n);
  for (guint k = 0; k < n; k++)
    history->class_iou[k] = studio_log_record_get_class_iou (last_val, history->class_names[k]);
}

StudioRunHistory *
studio_run_history_read (const char                *run_dir,
                         GCancellable              *cancellable,
                         StudioRunHistoryProgress   progress,
                         gpointer                   progress_data,
                         GError                   **error)
{
  g_autoptr(StudioRunHistory) history = NULL;
  g_auto(StudioLogRecord) last_val = { 0 };
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *first_bad = NULL;
  gsize length = 0, next_report = 0;
  gint64 last_step;
  guint n_lines = 0;

  g_return_val_if_fail (run_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  history = run_history_new ();
  path = g_build_filename (run_dir, LOG_NAME, NULL);
  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&history);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  history->class_names = studio_model_file_read_class_names (run_dir);
  last_step = studio_model_file_read_step (run_dir);

  for (const char *line = contents; line < contents + length; n_lines++)
    {
      const char *end = memchr (line, '\n', contents + length - line);
      g_auto(StudioLogRecord) record = { 0 };
      gsize offset;

      if (end == NULL)
        end = contents + length;
      if (end > line && !studio_log_record_parse (&record, line, end - line, &local_error))
        {
          if (history->n_bad_lines++ == 0)
            first_bad = g_strdup_printf ("line %u: %s", n_lines + 1, local_error->message);
          g_clear_error (&local_error);
        }
      else if (end > line && (last_step < 0 || record.step <= last_step) &&
               add_record (history, &record))
        {
          studio_log_record_clear (&last_val);
          last_val = record;
          record = (StudioLogRecord) { 0 };
        }
      line = end + 1;

      offset = MIN ((gsize) (line - contents), length);
      if (progress != NULL && offset >= next_report)
        {
          progress ((double) offset / length, progress_data);
          next_report = offset + length / N_PROGRESS_REPORTS;
        }
      if (n_lines % LINES_PER_CANCEL_CHECK == 0 &&
          g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
    }
  set_class_iou (history, &last_val);
  if (first_bad != NULL)
    g_debug ("%s: %u unreadable lines skipped, the first at %s", path, history->n_bad_lines,
             first_bad);
  return g_steal_pointer (&history);
}

/* --- on a thread --------------------------------------------------------------------------- */

/* Carries progress from the thread to the caller's main context; each report holds a
 * reference, so reports still queued when the task is gone find it intact. */
typedef struct
{
  gatomicrefcount           ref_count;
  GMainContext             *context;
  GCancellable             *cancellable;
  StudioRunHistoryProgress  callback;
  gpointer                  data;
  GDestroyNotify            data_free;
} ProgressRelay;

typedef struct
{
  ProgressRelay *relay;
  double         fraction;
} ProgressReport;

static ProgressRelay *
progress_relay_ref (ProgressRelay *relay)
{
  g_atomic_ref_count_inc (&relay->ref_count);
  return relay;
}

static void
progress_relay_unref (ProgressRelay *relay)
{
  if (!g_atomic_ref_count_dec (&relay->ref_count))
    return;
  if (relay->data_free != NULL)
    relay->data_free (relay->data);
  g_main_context_unref (relay->context);
  g_clear_object (&relay->cancellable);
  g_free (relay);
}

static void
progress_report_free (gpointer data)
{
  ProgressReport *report = data;

  progress_relay_unref (report->relay);
  g_free (report);
}

static gboolean
progress_report_deliver (gpointer data)
{
  ProgressReport *report = data;

  if (!g_cancellable_is_cancelled (report->relay->cancellable))
    report->relay->callback (report->fraction, report->relay->data);
  return G_SOURCE_REMOVE;
}

/* On the thread: queues the report for the main context. */
static void
progress_relay_post (double   fraction,
                     gpointer data)
{
  ProgressRelay *relay = data;
  ProgressReport *report = g_new (ProgressReport, 1);

  report->relay = progress_relay_ref (relay);
  report->fraction = fraction;
  g_main_context_invoke_full (relay->context, G_PRIORITY_DEFAULT, progress_report_deliver,
                              report, progress_report_free);
}

typedef struct
{
  char          *run_dir;
  ProgressRelay *relay;   /* NULL: no progress wanted */
} ReadData;

static void
read_data_free (gpointer data)
{
  ReadData *read = data;

  g_free (read->run_dir);
  g_clear_pointer (&read->relay, progress_relay_unref);
  g_free (read);
}

static void
read_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ReadData *read = task_data;
  GError *error = NULL;
  StudioRunHistory *history;

  history = studio_run_history_read (read->run_dir, cancellable,
                                     read->relay != NULL ? progress_relay_post : NULL,
                                     read->relay, &error);
  if (history == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, history, (GDestroyNotify) studio_run_history_free);
}

void
studio_run_history_read_async (const char                *run_dir,
                               GCancellable              *cancellable,
                               StudioRunHistoryProgress   progress,
                               gpointer                   progress_data,
                               GDestroyNotify             progress_data_free,
                               GAsyncReadyCallback        callback,
                               gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  ReadData *read;

  g_return_if_fail (run_dir != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  read = g_new0 (ReadData, 1);
  read->run_dir = g_strdup (run_dir);
  if (progress != NULL)
    {
      read->relay = g_new0 (ProgressRelay, 1);
      g_atomic_ref_count_init (&read->relay->ref_count);
      read->relay->context = g_main_context_ref_thread_default ();
      read->relay->cancellable = cancellable != NULL ? g_object_ref (cancellable)
                                                     : g_cancellable_new ();
      read->relay->callback = progress;
      read->relay->data = progress_data;
      read->relay->data_free = progress_data_free;
    }
  else if (progress_data_free != NULL)
    progress_data_free (progress_data);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, studio_run_history_read_async);
  g_task_set_task_data (task, read, read_data_free);
  g_task_run_in_thread (task, read_thread);
}

StudioRunHistory *
studio_run_history_read_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        studio_run_history_read_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
