/* studio-train-form.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "train/unet-trainer.h"

G_BEGIN_DECLS

#define STUDIO_TYPE_TRAIN_FORM (studio_train_form_get_type ())

G_DECLARE_FINAL_TYPE (StudioTrainForm, studio_train_form, STUDIO, TRAIN_FORM, GtkWidget)

typedef enum
{
  STUDIO_START_FROM_SCRATCH,  /* a new model */
  STUDIO_START_FROM_FILE,     /* the weights of a model or checkpoint file */
  STUDIO_START_FROM_RUN,      /* a stopped run, with its own settings */
} StudioStartFrom;

/* The settings pane of the training page: the run's options (dataset, splits, model, training,
 * augmentation) as a form, with the dataset's classes, recent datasets, file choosers, a
 * memory estimate and an inline error.
 *
 * Properties:
 *   "settings" (GSettings): recent datasets, threads
 *   "editable" (gboolean): FALSE while a run goes on
 *   "class-names" (GStrv, read-only, notified): the chosen dataset's classes once read, or NULL
 *   "palette" (GBytes, read-only, notified with class-names): their colours, 256 × RGB, or NULL */
GtkWidget        *studio_train_form_new               (void);

void              studio_train_form_set_settings      (StudioTrainForm        *self,
                                                       GSettings              *settings);
void              studio_train_form_set_editable      (StudioTrainForm        *self,
                                                       gboolean                editable);

/* Fills the form. What the form does not show (steps, threads, checkpoint_every, augmentation
 * strengths) is kept for the next run; "Start from" becomes init_from's file or a new model. */
void              studio_train_form_set_options       (StudioTrainForm        *self,
                                                       const UnetTrainOptions *options);
/* The options the form describes; options must be empty. output_dir NULL: a new folder. */
void              studio_train_form_get_options       (StudioTrainForm        *self,
                                                       UnetTrainOptions       *options);
StudioStartFrom   studio_train_form_get_start_from    (StudioTrainForm        *self);
/* "Start from: a stopped run" with run_dir (the form shows its settings); NULL: a new model. */
void              studio_train_form_set_resume_dir    (StudioTrainForm        *self,
                                                       const char             *run_dir);
const char       *studio_train_form_get_resume_dir    (StudioTrainForm        *self);
/* Offers run_dir for "Start from: a stopped run" without choosing it for the user. */
void              studio_train_form_offer_resume_dir  (StudioTrainForm        *self,
                                                       const char             *run_dir);

/* Puts dataset first in the recent datasets. */
void              studio_train_form_add_recent_dataset (StudioTrainForm       *self,
                                                        const char            *dataset);

const char *const *studio_train_form_get_class_names  (StudioTrainForm        *self);
const guint8     *studio_train_form_get_palette       (StudioTrainForm        *self);

/* The error shown above the form (NULL hides it). */
void              studio_train_form_show_error        (StudioTrainForm        *self,
                                                       const char             *message);
const char       *studio_train_form_get_error_message (StudioTrainForm        *self);

G_END_DECLS
