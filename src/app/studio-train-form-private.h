/* studio-train-form-private.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "studio-dataset-summary.h"
#include "studio-recent-datasets.h"
#include "studio-train-form.h"

G_BEGIN_DECLS

/* Shared by the form (studio-train-form.c) and where its paths come from
 * (studio-train-form-files.c). */

typedef enum
{
  CHOOSE_DATASET,
  CHOOSE_OUTPUT,
  CHOOSE_INIT,
  CHOOSE_RUN,
} ChooserKind;

struct _StudioTrainForm
{
  GtkWidget              parent_instance;

  GSettings             *settings;
  StudioRecentDatasets  *recent_datasets;   /* the app's one list, on settings */
  gboolean               editable;

  /* What the form does not show (steps, threads, augmentation strengths, ...) comes from here:
   * the defaults, or the options given last to studio_train_form_set_options(). */
  UnetTrainOptions       base;
  char                  *dataset;
  char                  *train_split;
  char                  *val_split;       /* NULL: no validation */
  char                  *output_dir;      /* NULL: a new dated folder per run */
  char                  *init_from;
  char                  *resume_dir;

  /* of the chosen dataset, once loaded in a thread */
  char                 **splits;
  char                 **class_names;
  guint8                *palette;         /* 256 × RGB */
  GCancellable          *dataset_cancellable;

  GtkFileChooserNative  *chooser;
  ChooserKind            chooser_kind;
  guint                  estimate_source;
  gboolean               updating_splits;
  gboolean               applying_options;
  char                  *error_message;

  /* template widgets */
  GtkRevealer           *error_revealer;
  GtkLabel              *error_label;
  GtkWidget             *form_box;
  AdwPreferencesGroup   *data_group;
  AdwActionRow          *dataset_row;
  GtkMenuButton         *recent_button;
  AdwComboRow           *train_split_row;
  GtkStringList         *train_split_model;
  AdwComboRow           *val_split_row;
  GtkStringList         *val_split_model;
  GtkSpinButton         *val_every_spin;
  GtkSpinButton         *time_limit_spin;
  GtkWidget             *classes_group;
  StudioDatasetSummary  *dataset_summary;
  GtkSwitch             *skip_bad_switch;
  AdwComboRow           *start_from_row;
  AdwActionRow          *init_row;
  AdwActionRow          *resume_row;
  AdwActionRow          *output_row;
  GtkWidget             *output_reset_button;
  AdwPreferencesGroup   *model_group;
  GtkSpinButton         *depth_spin;
  GtkSpinButton         *base_spin;
  AdwComboRow           *padding_row;
  AdwComboRow           *norm_row;
  GtkSpinButton         *dropout_spin;
  AdwPreferencesGroup   *training_group;
  GtkSpinButton         *tile_spin;
  GtkSpinButton         *batch_spin;
  GtkSpinButton         *epochs_spin;
  GtkSpinButton         *lr_spin;
  AdwComboRow           *schedule_row;
  GtkSpinButton         *momentum_spin;
  GtkSpinButton         *weight_decay_spin;
  GtkSpinButton         *seed_spin;
  AdwPreferencesGroup   *loss_group;
  GtkSwitch             *weighted_switch;
  AdwExpanderRow        *augment_row;
  GtkSwitch             *elastic_switch;
  GtkSwitch             *rotation_switch;
  GtkSwitch             *flip_switch;
  GtkSwitch             *colour_switch;
  GtkSpinButton         *scale_min_spin;
  GtkSpinButton         *scale_max_spin;
};

/* studio-train-form.c */
void  studio_train_form_set_string         (char            **field,
                                            const char       *value);
void  studio_train_form_set_dataset        (StudioTrainForm  *self,
                                            const char       *dataset);
void  studio_train_form_update_file_rows   (StudioTrainForm  *self);
void  studio_train_form_update_split_rows  (StudioTrainForm  *self);
void  studio_train_form_notify_classes     (StudioTrainForm  *self);
/* The estimate builds a model, so it waits for the spinning to settle. */
void  studio_train_form_queue_estimate     (StudioTrainForm  *self);

/* studio-train-form-files.c */
void  studio_train_form_install_file_actions (GtkWidgetClass   *widget_class);
void  studio_train_form_load_dataset_info  (StudioTrainForm  *self);
void  studio_train_form_update_recent_menu (StudioTrainForm  *self);

G_END_DECLS
