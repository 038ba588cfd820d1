/* unet-train-options.h — what a training run is made of
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet/unet.h"
#include "voc/voc.h"
#include "unet/unet-optimizer.h"

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
  /* the ids to train and validate on instead of the two splits' (a cross-validation fold),
   * NULL-terminated; NULL: the splits' */
  char             **train_ids;
  char             **val_ids;

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
/* Whether the options make a run: a dataset, sizes and rates in range, a valid model. */
gboolean  unet_train_options_check        (const UnetTrainOptions *options,
                                           GError                **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (UnetTrainOptions, unet_train_options_clear)

G_END_DECLS
