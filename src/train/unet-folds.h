/* unet-folds.h — K-fold cross-validation of a training recipe
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet-trainer.h"

G_BEGIN_DECLS

/* A cross-validation's folder holds its plan, its results so far, and a run folder per fold
 * ("fold-1", …), each an ordinary run. */
#define UNET_FOLDS_PLAN         "folds-plan.json"
#define UNET_FOLDS_RESULTS_JSON "folds.json"
#define UNET_FOLDS_RESULTS_CSV  "folds.csv"
#define UNET_FOLDS_MAX          20

/* Deals n images into k folds of sizes as even as they go: the images in a random order drawn
 * from seed, then those whose rarest foreground class is rarest first, each to the fold (with
 * room left) that holds that class least often, so that a class found in k images or more is
 * in every fold. present is [n, n_classes], non-zero where the image holds the class (class 0,
 * the background, does not count). Returns each image's fold, 0 to k - 1. */
guint *unet_folds_assign (const guint8 *present,
                          guint         n,
                          int           n_classes,
                          int           k,
                          guint64       seed);

/* What one fold's model scored on its held-out images, after its last step (no choosing among
 * checkpoints). */
typedef struct
{
  gboolean  done;
  guint     n_train;
  guint     n_val;
  double    miou;
  double    pixel_accuracy;
  double    mean_class_accuracy;
  double    val_loss;
  double   *class_iou;            /* n_classes; NAN for classes in neither truth nor prediction */
} UnetFoldResult;

typedef struct _UnetFolds UnetFolds;

/* Plans a cross-validation of `options` (its training split is what is dealt into folds; its
 * validation split is not used) over n_folds folds, seeded with options->seed, and writes the
 * plan into options->output_dir. Each fold then trains as `options` says, for its fixed length,
 * and is validated once, at its end. */
UnetFolds            *unet_folds_new            (const UnetTrainOptions  *options,
                                                 int                      n_folds,
                                                 GError                 **error);
/* The cross-validation planned in dir, with the results of the folds already done. */
UnetFolds            *unet_folds_resume         (const char              *dir,
                                                 GError                 **error);
void                  unet_folds_free           (UnetFolds               *self);

/* The next fold to train (0-based), or the number of folds when all are done. */
int                   unet_folds_get_next       (UnetFolds               *self);
int                   unet_folds_get_n_folds    (UnetFolds               *self);
/* A trainer for fold `fold`: new, or continuing the fold's stopped run. */
UnetTrainer          *unet_folds_start          (UnetFolds               *self,
                                                 int                      fold,
                                                 GError                 **error);
/* Reads the finished fold's result from its log and writes the results so far. */
gboolean              unet_folds_finish         (UnetFolds               *self,
                                                 int                      fold,
                                                 GError                 **error);
const UnetFoldResult *unet_folds_get_result     (UnetFolds               *self,
                                                 int                      fold);
/* Mean and sample standard deviation of the done folds' mIoU (sd NAN below two folds). */
void                  unet_folds_get_summary    (UnetFolds               *self,
                                                 double                  *mean,
                                                 double                  *sd,
                                                 int                     *n_done);
/* The class names the folds were scored on. */
const char * const   *unet_folds_get_class_names (UnetFolds              *self);

/* --- reading the results, as unet plot does ----------------------------------------------- */

typedef struct
{
  int     fold;        /* 1-based */
  guint   n_train;
  guint   n_val;
  double  miou;        /* NAN when the file has none */
} UnetFoldScore;

/* What folds.json says: the folds done so far, and each class's IoU averaged over the folds
 * that scored it. */
typedef struct
{
  char     *display;       /* the file, for messages */
  int       n_folds;       /* planned */
  GArray   *scores;        /* UnetFoldScore, in the file's order */
  double    mean_miou;
  double    sd_miou;       /* NAN below two folds */
  char    **class_names;   /* NULL-terminated, in the order of first appearance */
  double   *class_iou;     /* their mean IoU */
} UnetFoldsReport;

/* Reads folds.json, or the one in a cross-validation's folder; a file that is not one is an
 * error naming it and what is wrong. */
UnetFoldsReport      *unet_folds_report_read    (const char              *path,
                                                 GError                 **error);
void                  unet_folds_report_free    (UnetFoldsReport         *report);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetFolds, unet_folds_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetFoldsReport, unet_folds_report_free)

G_END_DECLS
