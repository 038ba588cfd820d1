/* unet-trainer.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet-train-options.h"

G_BEGIN_DECLS

typedef enum
{
  UNET_TRAIN_EVENT_PROGRESS,   /* after every SGD step */
  UNET_TRAIN_EVENT_EVALUATED,  /* after validation, at the end of every val_every-th epoch */
  UNET_TRAIN_EVENT_CHECKPOINT, /* a checkpoint was written */
  UNET_TRAIN_EVENT_FINISHED,   /* the last step is done and saved */
} UnetTrainEventKind;

/* Pointers in an event are valid only during the callback. */
typedef struct
{
  UnetTrainEventKind  kind;
  gint64              step;          /* steps done */
  gint64              total_steps;   /* 0: as many as the time limit allows */
  int                 epoch;         /* 1-based epoch the last step belonged to */
  int                 n_epochs;
  double              loss;
  double              lr;
  double              images_per_s;
  double              eta_seconds;
  double              progress;      /* 0 to 1, by steps or by the time limit, the further */

  /* EVALUATED */
  double              val_loss;
  double              miou;
  double              pixel_accuracy;
  double              mean_class_accuracy;
  int                 n_classes;
  const double       *per_class_iou; /* NAN for classes absent from truth and prediction */
  gboolean            is_best;
  /* the first validation image, for a live preview */
  const char         *sample_id;
  const float        *sample_rgb;    /* [3,h,w] in [0,1] */
  const guint8       *sample_prediction;
  const guint8       *sample_truth;
  int                 sample_width;
  int                 sample_height;

  /* CHECKPOINT and FINISHED */
  const char         *path;
} UnetTrainEvent;

typedef void (*UnetTrainEventFunc) (const UnetTrainEvent *event,
                                    gpointer              user_data);

typedef struct _UnetTrainer UnetTrainer;

/* Opens the dataset, builds (or loads) the model and creates the output folder. */
UnetTrainer      *unet_trainer_new            (const UnetTrainOptions *options,
                                               GError                **error);
/* Continues the run saved in dir/last.safetensors with its stored options; steps or epochs
 * (when > 0) replace the stored length, to extend a finished run. */
UnetTrainer      *unet_trainer_resume         (const char             *dir,
                                               gint64                  steps,
                                               gint64                  epochs,
                                               GError                **error);
void              unet_trainer_free           (UnetTrainer            *self);

void              unet_trainer_set_event_func (UnetTrainer            *self,
                                               UnetTrainEventFunc      func,
                                               gpointer                user_data);
const UnetTrainOptions *unet_trainer_get_options (UnetTrainer        *self);
UnetModel        *unet_trainer_get_model      (UnetTrainer            *self);
gint64            unet_trainer_get_step       (UnetTrainer            *self);
gint64            unet_trainer_get_total_steps (UnetTrainer           *self);
/* A new time limit for the run (seconds, counting those it has trained; 0 = none): for a
 * resumed run, which otherwise keeps its own. */
void              unet_trainer_set_time_limit (UnetTrainer            *self,
                                               double                  seconds);
gboolean          unet_trainer_is_finished    (UnetTrainer            *self);
/* Threads for the rest of the run (0 = every core), also stored in its checkpoints. */
void              unet_trainer_set_threads    (UnetTrainer            *self,
                                               int                     threads);

/* One SGD step, followed by validation at an epoch's end and a checkpoint when one is due. */
gboolean          unet_trainer_step           (UnetTrainer            *self,
                                               GError                **error);
/* Validates on the validation split now (also used at every epoch's end). */
gboolean          unet_trainer_validate       (UnetTrainer            *self,
                                               GError                **error);
/* Writes dir/last.safetensors (atomically). */
gboolean          unet_trainer_save_checkpoint (UnetTrainer           *self,
                                                GError               **error);

/* Safe from a signal handler: the run stops after the current step and saves a checkpoint (in a
 * distributed run, every rank does once one rank has asked). */
void              unet_trainer_request_stop   (UnetTrainer            *self);
/* Steps until finished or stopped. A stopped run saves a checkpoint and fails with
 * G_IO_ERROR_CANCELLED; a finished one saves the checkpoint and emits FINISHED. */
gboolean          unet_trainer_run            (UnetTrainer            *self,
                                               GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetTrainer, unet_trainer_free)

G_END_DECLS
