/* unet-run.h — the one reader and writer of a training run's folder
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "unet-train-options.h"

G_BEGIN_DECLS

/* A run's folder holds these, and nothing else the run writes. */
#define UNET_RUN_CHECKPOINT "last.safetensors"  /* weights, momentum, options and state */
#define UNET_RUN_BEST_MODEL "best.safetensors"  /* the model with the best validation mIoU */
#define UNET_RUN_LOG_JSONL  "log.jsonl"         /* one JSON object a line, see UnetRunRecord */
#define UNET_RUN_LOG_CSV    "log.csv"           /* the same records as a table */

char *unet_run_path (const char *dir,
                     const char *name);

typedef enum
{
  UNET_RUN_RECORD_TRAIN,  /* {"type":"train", step, epoch, loss, lr, images_per_s} */
  UNET_RUN_RECORD_VAL,    /* {"type":"val", step, epoch, val_loss, miou, pixel_accuracy,
                           *  mean_class_accuracy, per_class_iou: {name: IoU}} */
} UnetRunRecordKind;

/* One line of a log. Numbers a line does not hold are NAN (epoch: 0). */
typedef struct
{
  UnetRunRecordKind  kind;
  gint64             step;
  int                epoch;
  /* TRAIN */
  double             loss;
  double             lr;
  double             images_per_s;
  /* VAL */
  double             val_loss;
  double             miou;
  double             pixel_accuracy;
  double             mean_class_accuracy;
  guint              n_classes;        /* the classes present in truth or prediction: */
  char             **class_names;      /*   their names (NULL-terminated) */
  double            *class_iou;        /*   and their IoU */
} UnetRunRecord;

void unet_run_record_init  (UnetRunRecord     *record,
                            UnetRunRecordKind  kind);
void unet_run_record_clear (UnetRunRecord     *record);

/* --- reading ---------------------------------------------------------------------------------- */

typedef enum
{
  UNET_RUN_LOG_STRICT   = 0,
  /* a line that cannot be read is left out and counted instead of failing the whole log: for
   * a live view, which would rather show the rest */
  UNET_RUN_LOG_SKIP_BAD = 1 << 0,
} UnetRunLogFlags;

typedef struct
{
  char     *display;      /* the log's name, for messages */
  GArray   *records;      /* UnetRunRecord, in the order of the file */
  guint     n_train;
  guint     n_val;
  /* the last line had no newline: one the trainer was writing when the log was read, left
   * out; its number */
  guint     torn_line;
  /* UNET_RUN_LOG_SKIP_BAD: how many lines were left out, and why the first was */
  guint     n_bad_lines;
  char     *first_bad_line;
} UnetRunLog;

/* Parses the text of a log.jsonl or a log.csv (told apart by their first character; contents
 * need not be NUL-terminated). A line that cannot be read fails with "DISPLAY:LINE: reason"
 * (G_FILE_ERROR_INVAL), as does a log without a single record. */
UnetRunLog *unet_run_log_parse (const char       *contents,
                                gsize             length,
                                const char       *display,
                                UnetRunLogFlags   flags,
                                GError          **error);
/* Called with the share of the text read so far, in [0,1]. */
typedef void (*UnetRunProgressFunc) (double   fraction,
                                     gpointer user_data);

/* The same, for a reader on a thread: cancellable is checked every thousand lines (failing with
 * G_IO_ERROR_CANCELLED), and progress, if not NULL, is called on this thread. */
UnetRunLog *unet_run_log_parse_full (const char             *contents,
                                     gsize                   length,
                                     const char             *display,
                                     UnetRunLogFlags         flags,
                                     GCancellable           *cancellable,
                                     UnetRunProgressFunc     progress,
                                     gpointer                progress_data,
                                     GError                **error);
/* The same for a file; a folder stands for its log.jsonl, else its log.csv. */
UnetRunLog *unet_run_log_read  (const char       *path,
                                UnetRunLogFlags   flags,
                                GError          **error);
void        unet_run_log_free  (UnetRunLog       *log);

/* --- writing ---------------------------------------------------------------------------------- */

typedef struct _UnetRunWriter UnetRunWriter;

/* Creates the logs of a new run in dir, or (resume_step >= 0) reopens those of a resumed run
 * for appending, first dropping what was written after its checkpoint at resume_step (and a
 * line torn by a crash), so that they read as if the run had never stopped. */
UnetRunWriter *unet_run_writer_open   (const char           *dir,
                                       gint64                resume_step,
                                       GError              **error);
/* Adds the record to both logs and flushes them. Strings go through json-glib's generator, so
 * the log is JSON for any UTF-8 class name. */
gboolean       unet_run_writer_append (UnetRunWriter        *writer,
                                       const UnetRunRecord  *record,
                                       GError              **error);
/* Forces what was appended to the disk: before a checkpoint, which the logs must not lag. */
gboolean       unet_run_writer_sync   (UnetRunWriter        *writer,
                                       GError              **error);
void           unet_run_writer_free   (UnetRunWriter        *writer);

/* JSON text of root, on one line, its numbers at six significant digits (json-glib alone
 * writes seventeen). */
char          *unet_run_json_generate  (JsonNode            *root);
/* The line a record makes in log.jsonl, without its newline. */
char          *unet_run_record_to_json (const UnetRunRecord *record);

/* --- the checkpoint's run state --------------------------------------------------------------- */

typedef struct
{
  gint64  step;       /* SGD steps done */
  double  best_miou;  /* -1: not validated yet */
  double  seconds;    /* training time over every process that had the run */
  int     ranks;      /* processes of the last one (distributed training) */
} UnetRunState;

/* The metadata a checkpoint stores for its run (string → string, as the safetensors
 * metadata): the options as JSON, and the state. */
GHashTable *unet_run_state_to_metadata   (const UnetTrainOptions  *options,
                                          const UnetRunState      *state);
/* Reads them back; `path` names the checkpoint in errors. A file without them is a model, not
 * a checkpoint (UNET_ERROR_CORRUPT). */
gboolean    unet_run_state_from_metadata (GHashTable              *metadata,
                                          const char              *path,
                                          UnetTrainOptions        *options,
                                          UnetRunState            *state,
                                          GError                 **error);

/* The options, state and class names of the run saved in dir (its checkpoint's header alone,
 * not its weights): what a resume would continue. */
gboolean    unet_run_read_checkpoint     (const char              *dir,
                                          UnetTrainOptions        *options,
                                          UnetRunState            *state,
                                          char                  ***class_names,
                                          GError                 **error);

/* Removes what a run killed during an atomic write left of the files it owns:
 * "NAME.XXXXXX" beside NAME. No other process writes into a run's folder while it trains. */
void        unet_run_remove_stale_temporaries (const char *dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetRunLog, unet_run_log_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetRunWriter, unet_run_writer_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (UnetRunRecord, unet_run_record_clear)

G_END_DECLS
