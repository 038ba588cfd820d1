/* unet-trainer-private.h — the trainer's state, shared by its files
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "unet-run.h"
#include "unet-trainer-distributed.h"

G_BEGIN_DECLS

/* Decoded samples are kept in memory up to this many bytes; beyond it they are decoded again
 * each time they are drawn. The 20 VOC images of a small run take about 50 MB. */
#define SAMPLE_CACHE_BUDGET ((gsize) 2 << 30)

/* total_steps of a run that lasts as long as its time limit: never reached, and far from
 * overflowing the arithmetic on it */
#define UNBOUNDED_STEPS ((gint64) G_MAXINT32)

struct _UnetTrainer
{
  UnetTrainOptions    options;

  VocDataset         *dataset;
  GPtrArray          *train_ids;
  GPtrArray          *val_ids;
  VocSample         **cache;          /* train_ids->len entries, NULL = not cached */
  gsize               cache_bytes;
  VocWeightMap        weight_map;
  double             *class_weights;

  UnetModel          *model;
  UnetOptimizer      *optimizer;
  UnetSchedule        schedule;

  int                 in_size, out_size;
  gint64              step;
  gint64              total_steps;    /* UNBOUNDED_STEPS: until the time limit */
  gint64              steps_per_epoch;
  double              trained_seconds; /* before this process took the run over */
  gint64              session_start;  /* monotonic µs this process's part of the run began */
  gint64              val_interval;   /* steps between validations (options.val_every epochs) */
  double              best_miou;

  float              *batch_input;
  guint8             *batch_labels;
  float              *batch_weights;
  /* one tile of another sample, for copy-paste augmentation */
  float              *paste_input;
  guint8             *paste_labels;
  float              *paste_weights;
  double             *paste_cumulative; /* running sums of the sources' repeat factors, or
                                         * NULL to draw them alike */
  GArray             *bn_tiles;       /* the tiles estimate_bn_statistics takes: 2 × sample
                                       * + mirrored, for every sample that loads; listed once */
  guint32            *order;          /* this epoch's sample order */
  gint64              order_epoch;

  UnetRunWriter      *logs;           /* rank 0 only */
  double              last_loss;
  double              step_seconds;   /* smoothed, from one step's end to the next */
  double              images_per_s;   /* batch / step_seconds */
  gint64              last_step_time; /* monotonic µs of the last step's end in this process */

  UnetTrainEventFunc  event_func;
  gpointer            event_data;
  volatile gint       stop_requested;

  /* A distributed run; without one this process is rank 0 of 1 and holds the whole batch. */
  UnetDistributed    *dist;
  int                 rank, n_ranks;
  int                 batch_first;    /* this rank's images of each batch: */
  int                 batch_local;    /*   [batch_first, batch_first + batch_local) */
  gboolean            stop_agreed;    /* some rank asked to stop, and every rank knows */
};

/* unet-trainer.c */
guint64  unet_trainer_step_seed (guint64              seed,
                                 gint64               step,
                                 guint64              index);
gboolean unet_trainer_agree     (UnetTrainer         *self,
                                 const char          *what,
                                 GError             **local_error,
                                 GError             **error);
void     unet_trainer_emit      (UnetTrainer         *self,
                                 UnetTrainEvent      *event);
char    *unet_trainer_output_path (UnetTrainer       *self,
                                   const char        *name);

/* unet-train-batches.c */
gboolean   unet_trainer_allocate_batch (UnetTrainer  *self,
                                        GError      **error);
/* The next batch of the epoch's order into batch_input/labels/weights, augmented. */
gboolean   unet_trainer_fill_batch     (UnetTrainer  *self,
                                        GError      **error);
/* Training sample `index`, from the cache or decoded (then *owned: the caller frees it). */
VocSample *unet_trainer_load_sample    (UnetTrainer  *self,
                                        guint         index,
                                        gboolean     *owned,
                                        GError      **error);
/* The model's per-channel mean and std, applied in place to one input tile. */
void       unet_trainer_normalise      (UnetTrainer  *self,
                                        float        *image);

/* unet-train-validate.c */
void       unet_trainer_set_model_info (UnetTrainer  *self,
                                        double        miou);

G_END_DECLS
