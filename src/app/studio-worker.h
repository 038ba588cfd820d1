/* studio-worker.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "train/unet-trainer.h"
#include "studio-export.h"
#include "studio-model-info.h"
#include "studio-segmentation.h"

G_BEGIN_DECLS

typedef enum
{
  STUDIO_TRAIN_STATE_IDLE,      /* no run; Start may be pressed */
  STUDIO_TRAIN_STATE_STARTING,  /* opening the dataset and building the model */
  STUDIO_TRAIN_STATE_RUNNING,
  STUDIO_TRAIN_STATE_PAUSED,
  STUDIO_TRAIN_STATE_STOPPING,  /* saving a checkpoint before the run ends */
} StudioTrainState;

GType studio_train_state_get_type (void) G_GNUC_CONST;
#define STUDIO_TYPE_TRAIN_STATE (studio_train_state_get_type ())

#define STUDIO_TYPE_WORKER (studio_worker_get_type ())

G_DECLARE_FINAL_TYPE (StudioWorker, studio_worker, STUDIO, WORKER, GObject)

/* The one thread that computes. It owns the viewer's model and the training run; the UI sends
 * it commands and hears back through signals, always emitted on the main context that created
 * the worker:
 *
 *   model-loaded   (StudioModelInfo *info)
 *   segmented      (StudioSegmentation *segmentation)  for the latest studio_worker_segment()
 *   segment-failed (const char *path, GError *error)
 *   train-event    (const UnetTrainEvent *event)  PROGRESS, EVALUATED, CHECKPOINT, FINISHED;
 *                  the event and what it points to live only during the emission
 *   train-ended    (const char *run_dir, const char *model_path, GError *error)
 *                  model_path is best.safetensors of a finished run, NULL when stopped or failed;
 *                  error is NULL when finished, G_IO_ERROR_CANCELLED when stopped
 *   export-progress (guint done, guint total, const char *path)
 *   export-ended   (guint written, GError *error)
 *   error          (GError *error)  a command that failed outright (e.g. a model that would not load)
 *
 * Between two training steps the worker serves segmentation requests, so the viewer stays
 * usable during a run, and it never runs BLAS from two threads at once. A newer segmentation
 * request cancels the one under way (between tiles of the network), not only those waiting. */
StudioWorker    *studio_worker_new             (void);
/* Finishes the current command, saves a running training's checkpoint and joins the thread. */
void             studio_worker_shutdown        (StudioWorker           *self);

void             studio_worker_set_threads     (StudioWorker           *self,
                                                int                     threads);

/* Average each prediction with that of the mirrored image. */
void             studio_worker_set_flip_averaging (StudioWorker        *self,
                                                   gboolean             flip);

void             studio_worker_load_model      (StudioWorker           *self,
                                                const char             *path);
/* Loads the model from memory (the embedded default). */
void             studio_worker_load_model_bytes (StudioWorker          *self,
                                                 GBytes                *bytes,
                                                 const char            *name);
StudioModelInfo *studio_worker_get_model_info  (StudioWorker           *self);

/* Decodes and segments an image; truth_path (its dataset's mask) may be NULL. With
 * truth_classes the mask is read as that dataset reads it (binary, colour, listed values; see
 * voc_classes_load_mask()), else as a palette mask. A newer request supersedes older ones still
 * waiting. Returns the request's serial, which the result carries. */
guint            studio_worker_segment         (StudioWorker           *self,
                                                const char             *image_path,
                                                const char             *truth_path,
                                                VocClasses             *truth_classes,
                                                gboolean                truth_binary_allowed);
gboolean         studio_worker_get_busy        (StudioWorker           *self);

gboolean         studio_worker_train_start     (StudioWorker           *self,
                                                const UnetTrainOptions *options,
                                                GError                **error);
/* Continues the run saved in run_dir (its last.safetensors). */
gboolean         studio_worker_train_resume_run (StudioWorker          *self,
                                                 const char            *run_dir,
                                                 GError               **error);
void             studio_worker_train_pause     (StudioWorker           *self);
void             studio_worker_train_continue  (StudioWorker           *self);
void             studio_worker_train_stop      (StudioWorker           *self);
StudioTrainState studio_worker_get_train_state (StudioWorker           *self);

/* Segments every file in image_paths and writes what flags asks for into out_dir (see
 * studio_export_segmentation()); palette (classes × 3 bytes, NULL = the model's) colours the
 * overlays and legends. Progress and the end come as export-progress and export-ended. */
void             studio_worker_export_folder   (StudioWorker           *self,
                                                GPtrArray              *image_paths,
                                                const char             *out_dir,
                                                StudioExportFlags       flags,
                                                const guint8           *palette,
                                                double                  opacity,
                                                GCancellable           *cancellable);

G_END_DECLS
