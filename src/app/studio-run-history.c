/* studio-run-history.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "train/unet-run.h"

#include "studio-run-history.h"

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

static void
add_record (StudioRunHistory    *history,
            const UnetRunRecord *record)
{
  StudioRunPoint point;

  if (record->kind == UNET_RUN_RECORD_TRAIN)
    {
      point = (StudioRunPoint) { (double) record->step, record->loss };
      g_array_append_val (history->loss, point);
      return;
    }
  point = (StudioRunPoint) { record->epoch, 100.0 * record->miou };
  g_array_append_val (history->miou, point);
  if (isfinite (record->miou))
    history->best_miou = MAX (history->best_miou, record->miou);
}

/* The log names the classes a validation saw; the ones it leaves out were in neither truth nor
 * prediction. */
static void
set_class_iou (StudioRunHistory    *history,
               const UnetRunRecord *last_val)
{
  guint n = history->class_names != NULL ? g_strv_length (history->class_names) : 0;

  if (n == 0 || last_val == NULL || last_val->class_names == NULL)
    return;
  history->class_iou = g_new (double, n);
  for (guint k = 0; k < n; k++)
    {
      history->class_iou[k] = NAN;
      for (guint j = 0; j < last_val->n_classes; j++)
        if (g_strcmp0 (last_val->class_names[j], history->class_names[k]) == 0)
          history->class_iou[k] = last_val->class_iou[j];
    }
}

StudioRunHistory *
studio_run_history_read (const char                *run_dir,
                         GCancellable              *cancellable,
                         StudioRunHistoryProgress   progress,
                         gpointer                   progress_data,
                         GError                   **error)
{
  g_autoptr(StudioRunHistory) history = NULL;
  g_autoptr(UnetRunLog) log = NULL;
  g_autofree char *path = NULL;
  g_autofree char *display = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(UnetTrainOptions) options = { 0 };
  const UnetRunRecord *last_val = NULL;
  UnetRunState state = { .step = -1 };
  gsize length = 0;

  g_return_val_if_fail (run_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  history = run_history_new ();
  path = unet_run_path (run_dir, UNET_RUN_LOG_JSONL);
  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&history);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  /* a run that has not saved a checkpoint yet names no classes and keeps every line */
  unet_train_options_init_default (&options);
  if (!unet_run_read_checkpoint (run_dir, &options, &state, &history->class_names, NULL))
    state.step = -1;

  display = g_filename_display_name (path);
  log = unet_run_log_parse_full (contents, length, display, UNET_RUN_LOG_SKIP_BAD, cancellable,
                                 progress, progress_data, &local_error);
  if (log == NULL)
    {
      /* a log without a single record yet is an empty history */
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_INVAL))
        return g_steal_pointer (&history);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  history->n_bad_lines = log->n_bad_lines + (log->torn_line > 0 ? 1 : 0);
  for (guint i = 0; i < log->records->len; i++)
    {
      const UnetRunRecord *record = &g_array_index (log->records, UnetRunRecord, i);

      /* resuming the run drops what came after its checkpoint */
      if (state.step >= 0 && record->step > state.step)
        continue;
      add_record (history, record);
      if (record->kind == UNET_RUN_RECORD_VAL && record->class_names != NULL)
        last_val = record;
    }
  set_class_iou (history, last_val);
  if (log->first_bad_line != NULL)
    g_debug ("%u unreadable lines skipped, the first at %s", log->n_bad_lines,
             log->first_bad_line);
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
