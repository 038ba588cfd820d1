/* unet-trainer.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet/unet.h"
#include "unet-distributed.h"
#include "voc.h"

G_BEGIN_DECLS

/* UnetTrainOptions.val_every: choose by the dataset's size (the default) */
#define UNET_VAL_EVERY_AUTO 0
#define UNET_VAL_MIN_STEPS  100

/* Everything a training run is made of. A run's options are stored in its checkpoints, so
 * `--resume` needs nothing but the run's folder. */
typedef struct
{
  /* data */
  char              *dataset;          /* VOCdevkit, VOC2007 or plain dataset folder */
  char              *train_split;      /* "train" */
  char              *val_split;        /* "val"; NULL or "" = no validation */
  gboolean           skip_bad;         /* skip samples whose files are missing or broken */

  /* model */
  UnetConfig         model;
  char              *init_from;        /* start from this model or checkpoint's weights, or NULL */
  double             input_scale;      /* images are resized by this before the network sees
                                        * them, in training and (stored in the model) in every
                                        * later prediction; 1, at most 4. Wins over the scale
                                        * of an init_from model. */
  int                max_classes;      /* stored in the model (unet_model_set_max_classes), so
                                        * validation and later predictions keep at most this
                                        * many foreground classes per image; 0 = no limit */

  /* optimisation */
  int                tile;             /* input tile side; rounded up to one the model takes */
  int                batch;            /* images per SGD step; a distributed run splits them
                                        * over its ranks */
  gint64             epochs;           /* used when steps == 0 */
  gint64             steps;            /* total SGD steps; 0 = epochs × steps per epoch */
  double             time_limit;       /* seconds of training (steps and validations, over
                                        * every resumption) after which the run ends, with the
                                        * learning-rate schedule spread over them; 0 = none.
                                        * With steps and epochs 0 the run lasts just that long */
  UnetScheduleKind   schedule;
  double             lr;
  gint64             warmup_steps;
  double             momentum;         /* 0.99, the paper's */
  double             weight_decay;
  gboolean           estimate_bn;      /* before each validation (and the saved models), batch
                                        * norm's running statistics re-estimated on the
                                        * training images (unet_model_accumulate_bn_statistics)
                                        * instead of the steps' moving averages; TRUE */

  /* augmentation and loss */
  gboolean           augment;
  VocAugmentOptions  augment_options;
  double             paste_balance;    /* copy-paste draws its source by repeat factor
                                        * (voc_repeat_factors) with this threshold; 0 draws
                                        * every training sample alike */
  gboolean           weighted_loss;    /* the paper's weight map: class balance + borders */
  double             w0;
  double             sigma;

  /* run */
  guint64            seed;
  int                threads;          /* 0 = every core (a distributed run: the cores of
                                        * the machine shared by its ranks there) */
  char              *output_dir;
  gint64             checkpoint_every; /* steps; 0 = only at the end and when stopped */
  int                val_every;        /* validate every this many epochs (and at the end);
                                        * UNET_VAL_EVERY_AUTO: every epoch on a dataset of
                                        * UNET_VAL_MIN_STEPS steps an epoch or more, else every
                                        * few epochs, at least that many steps apart */
} UnetTrainOptions;

void      unet_train_options_init_default (UnetTrainOptions       *options);
void      unet_train_options_clear        (UnetTrainOptions       *options);
void      unet_train_options_copy         (UnetTrainOptions       *dest,
                                           const UnetTrainOptions *src);
/* JSON, as stored in checkpoints. */
char     *unet_train_options_to_json      (const UnetTrainOptions *options);
gboolean  unet_train_options_from_json    (UnetTrainOptions       *options,
                                           const char             *json,
                                           GError                **error);

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
/* The same for one rank of a distributed run: every rank of `dist` calls it with the same
 * options (or the same folder), and the ranks then train one model together, each on its part
 * of every batch. Only rank 0 reads the checkpoint or --init model (and sends it to the others)
 * and writes the output folder; every rank reads the dataset from its own disk. A resumed run
 * may have a different number of ranks: the batch stays the run's and is split anew. dist NULL
 * is unet_trainer_new / unet_trainer_resume. */
UnetTrainer      *unet_trainer_new_distributed    (const UnetTrainOptions *options,
                                                   UnetDistributed        *dist,
                                                   GError                **error);
UnetTrainer      *unet_trainer_resume_distributed (const char             *dir,
                                                   gint64                  steps,
                                                   gint64                  epochs,
                                                   UnetDistributed        *dist,
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
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (UnetTrainOptions, unet_train_options_clear)

G_END_DECLS
