/* studio-dashboard.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "studio-plot.h"
#include "studio-run-monitor.h"
#include "studio-worker.h"

G_BEGIN_DECLS

#define STUDIO_TYPE_DASHBOARD (studio_dashboard_get_type ())

G_DECLARE_FINAL_TYPE (StudioDashboard, studio_dashboard, STUDIO, DASHBOARD, GtkWidget)

/* The training page: the run's settings (StudioTrainForm) beside the run (StudioRunMonitor:
 * Start / Pause / Stop, live plots, progress and a preview), wired to the worker.
 *
 * Signals:
 *   run-ended (const char *model_path, const char *message)
 *     a run finished (model_path is its best model) or stopped (model_path NULL); message is
 *     for a toast. */
void              studio_dashboard_set_worker     (StudioDashboard *self,
                                                   StudioWorker    *worker);
void              studio_dashboard_set_settings   (StudioDashboard *self,
                                                   GSettings       *settings);
/* Reads the form and starts a run; FALSE with an error a user can act on (no dataset, a tile
 * and batch that will not fit in memory, ...). */
gboolean          studio_dashboard_start          (StudioDashboard *self,
                                                   GError         **error);
void              studio_dashboard_toggle_pause   (StudioDashboard *self);
void              studio_dashboard_stop           (StudioDashboard *self);
StudioTrainState  studio_dashboard_get_state      (StudioDashboard *self);

/* Properties: "worker" and "settings" (the setters above), and "state" (StudioTrainState,
 * read-only, notified): the worker's train-state, except that it stays STOPPING from a stop
 * request until train-ended, so Start never comes back before the run is saved.
 *
 * For tests and callers that configure runs themselves: */
typedef enum
{
  STUDIO_DASHBOARD_PLOT_LOSS,       /* training loss per step: raw and smoothed */
  STUDIO_DASHBOARD_PLOT_MIOU,       /* validation mIoU (%) per epoch */
  STUDIO_DASHBOARD_PLOT_CLASS_IOU,  /* per-class IoU (%) bars of the latest validation */
} StudioDashboardPlot;

/* Fills the form. What the form does not show (steps, threads, checkpoint_every, augmentation
 * strengths) is kept for the next run; "Start from" becomes init_from's file or a new model. */
void              studio_dashboard_set_options    (StudioDashboard        *self,
                                                   const UnetTrainOptions *options);
/* The options the form describes; options must be empty, clear it with
 * unet_train_options_clear(). output_dir NULL: each run gets a new dated folder. */
void              studio_dashboard_get_options    (StudioDashboard        *self,
                                                   UnetTrainOptions       *options);
/* "Start from: a stopped run" with run_dir (the form shows its settings); NULL: a new model. */
void              studio_dashboard_set_resume_dir (StudioDashboard        *self,
                                                   const char             *run_dir);
StudioPlot       *studio_dashboard_get_plot       (StudioDashboard        *self,
                                                   StudioDashboardPlot     plot);
/* The latest validation sample with its predicted classes over it, or NULL. */
GdkPaintable     *studio_dashboard_get_preview    (StudioDashboard        *self);
/* The error shown in the settings pane, or NULL. */
const char       *studio_dashboard_get_error_message (StudioDashboard     *self);
/* The run pane, e.g. to wait for a resumed run's history. */
StudioRunMonitor *studio_dashboard_get_monitor    (StudioDashboard        *self);

G_END_DECLS
