/* studio-run-monitor.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "studio-plot.h"
#include "studio-worker.h"

G_BEGIN_DECLS

#define STUDIO_TYPE_RUN_MONITOR (studio_run_monitor_get_type ())

G_DECLARE_FINAL_TYPE (StudioRunMonitor, studio_run_monitor, STUDIO, RUN_MONITOR, GtkWidget)

typedef enum
{
  STUDIO_RUN_PLOT_LOSS,       /* training loss per step: raw and smoothed */
  STUDIO_RUN_PLOT_MIOU,       /* validation mIoU (%) per epoch */
  STUDIO_RUN_PLOT_CLASS_IOU,  /* per-class IoU (%) bars of the latest validation */
} StudioRunPlot;

/* The run pane of the training page: Start / Pause / Stop and what the run is doing, its
 * progress, plots and latest validation sample. It shows what it is told (the trainer's events,
 * the run's state) and reads a resumed run's history from its log on a thread.
 *
 * Properties:
 *   "settings" (GSettings): the overlay opacity of the sample
 *   "state" (StudioTrainState): what the buttons and the status say
 *   "replaying" (gboolean, read-only, notified): a run's history is being read */
GtkWidget        *studio_run_monitor_new          (void);

void              studio_run_monitor_set_settings (StudioRunMonitor      *self,
                                                   GSettings             *settings);
void              studio_run_monitor_set_state    (StudioRunMonitor      *self,
                                                   StudioTrainState       state);
/* The names and colours (256 × RGB) of the dataset's classes, for the bars and the sample;
 * NULL: the VOC ones. Copied. */
void              studio_run_monitor_set_classes  (StudioRunMonitor      *self,
                                                   const char *const     *class_names,
                                                   const guint8          *palette);

/* Empties the plots for a new run, dropping a history still being read. */
void              studio_run_monitor_begin        (StudioRunMonitor      *self);
/* Reads run_dir's log on a thread, showing how far it got, then puts its points before the
 * ones that arrived meanwhile. */
void              studio_run_monitor_replay       (StudioRunMonitor      *self,
                                                   const char            *run_dir);
gboolean          studio_run_monitor_is_replaying (StudioRunMonitor      *self);
/* Lines of the last history read that were skipped as unreadable. */
guint             studio_run_monitor_get_n_skipped_lines (StudioRunMonitor *self);
void              studio_run_monitor_add_event    (StudioRunMonitor      *self,
                                                   const UnetTrainEvent  *event);
/* The run is over: text says how, under a full bar if it finished. */
void              studio_run_monitor_end          (StudioRunMonitor      *self,
                                                   gboolean               finished,
                                                   const char            *text);
/* The best validation mIoU in [0,1] of the run, its history included; < 0: none yet. */
double            studio_run_monitor_get_best_miou (StudioRunMonitor     *self);

StudioPlot       *studio_run_monitor_get_plot     (StudioRunMonitor      *self,
                                                   StudioRunPlot          plot);
/* The latest validation sample with its predicted classes over it, or NULL. */
GdkPaintable     *studio_run_monitor_get_preview  (StudioRunMonitor      *self);

G_END_DECLS
