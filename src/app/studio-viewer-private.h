/* studio-viewer-private.h: the viewer's state, shared by the files that make it up
 * (studio-viewer*.c), and what the UI tests reach inside it for
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "voc/voc.h"

#include "studio-dataset-summary.h"
#include "studio-export.h"
#include "studio-image-list.h"
#include "studio-image-view.h"
#include "studio-legend.h"
#include "studio-overlay.h"
#include "studio-recent-datasets.h"
#include "studio-viewer.h"

G_BEGIN_DECLS

/* Up to this many pixels the overlay is drawn on the spot (about 7 ms for a heat map, 1 ms for
 * the classes); a larger image's is drawn on a thread, so that a 48-megapixel photo does not
 * freeze the window for most of a second at every change of view (docs/reliability.md). */
#define STUDIO_VIEWER_SYNC_OVERLAY_MAX_PIXELS (512 * 1024)

#define STUDIO_VIEWER_MAX_CLASSES STUDIO_OVERLAY_MAX_CLASSES

struct _StudioViewer
{
  GtkWidget             parent_instance;

  StudioWorker         *worker;
  GSettings            *settings;
  StudioRecentDatasets *recent_datasets;

  /* what is browsed; for dataset splits, how the dataset reads its masks (or NULL) */
  StudioImageList      *images;
  VocClasses           *truth_classes;
  gboolean              truth_binary_allowed;
  GtkSingleSelection   *selection;
  GCancellable         *thumbnail_cancellable;
  char                 *dataset_title;
  /* a dataset whose files are being checked on a thread */
  GCancellable         *open_cancellable;

  StudioSegmentation   *segmentation;
  guint                 pending_serial;
  /* the segmentation the overlay on show was drawn for, and the drawing under way */
  StudioSegmentation   *overlay_segmentation;
  GCancellable         *overlay_cancellable;
  gsize                 sync_overlay_max_pixels;
  StudioViewMode        view_mode;
  guint8                palette[STUDIO_VIEWER_MAX_CLASSES * 3];
  int                   hover_x;
  int                   hover_y;

  /* an export under way: every image's on the worker, or one image's files on a thread */
  GCancellable         *export_cancellable;
  guint                 n_image_exports;
  /* pulses the progress bar while a task cannot count its steps */
  guint                 pulse_id;

  GtkStack             *stack;
  StudioImageView      *image_view;
  GtkSpinner           *spinner;
  GtkLabel             *hover_label;
  GtkWidget            *dataset_box;
  StudioDatasetSummary *dataset_summary;
  GtkLabel             *zoom_label;
  GtkLabel             *mode_hint;
  GtkDropDown          *confidence_dropdown;
  GtkAdjustment        *opacity_adjustment;
  GtkLabel             *score_label;
  StudioLegend         *legend;
  GtkLabel             *model_label;
  GtkListView          *thumbnails_view;
  GtkWidget            *thumbnail_scroller;
  GtkRevealer          *export_revealer;
  GtkLabel             *export_label;
  GtkProgressBar       *export_progress;
  GtkWidget            *export_cancel_button;
};

/* studio-viewer.c */
void                studio_viewer_add_toast            (StudioViewer       *self,
                                                        const char         *message);
const char         *studio_viewer_get_current_path     (StudioViewer       *self);
void                studio_viewer_show_segmentation    (StudioViewer       *self,
                                                        StudioSegmentation *segmentation);
void                studio_viewer_segment_current      (StudioViewer       *self);
void                studio_viewer_notify_position      (StudioViewer       *self);
/* The bar under the image: what runs, and how far it is (fraction < 0: unknown, pulsing). */
void                studio_viewer_show_progress        (StudioViewer       *self,
                                                        const char         *label,
                                                        double              fraction);
void                studio_viewer_hide_progress        (StudioViewer       *self);

/* studio-viewer-open.c: what is browsed */
void                studio_viewer_set_images           (StudioViewer       *self,
                                                        GPtrArray          *paths,
                                                        GPtrArray          *truth_paths,
                                                        VocDataset         *dataset,
                                                        guint               position);

/* studio-viewer-thumbnails.c */
GtkListItemFactory *studio_viewer_thumbnail_factory_new (StudioViewer      *self);

/* studio-viewer-overlay.c: the colours over the image */
void                studio_viewer_update_palette       (StudioViewer       *self);
int                 studio_viewer_get_confidence_class (StudioViewer       *self);
void                studio_viewer_update_confidence_classes (StudioViewer  *self);
void                studio_viewer_update_overlay       (StudioViewer       *self);

/* studio-viewer-hover.c: the texts beside the image */
void                studio_viewer_update_mode_hint     (StudioViewer       *self);
void                studio_viewer_update_hover         (StudioViewer       *self);
void                studio_viewer_update_score         (StudioViewer       *self);
void                studio_viewer_update_model_label   (StudioViewer       *self);

/* studio-viewer-exports.c */
void                studio_viewer_on_export_progress   (StudioViewer       *self,
                                                        guint               done,
                                                        guint               total,
                                                        const char         *path,
                                                        StudioWorker       *worker);
void                studio_viewer_on_export_ended      (StudioViewer       *self,
                                                        guint               written,
                                                        GError             *error,
                                                        StudioWorker       *worker);

/* --- for the UI tests ---------------------------------------------------------------------- */

/* TRUE while an overlay is being drawn on a thread. */
gboolean      studio_viewer_is_drawing_overlay          (StudioViewer      *self);
/* Images up to this many pixels get their overlay drawn on the spot, larger ones on a thread;
 * tests set 0 to draw every overlay on a thread. */
void          studio_viewer_set_sync_overlay_max_pixels (StudioViewer      *self,
                                                         gsize              max_pixels);
/* The colours the overlay, the legend and the exports use: the model's, under the user's. */
const guint8 *studio_viewer_get_palette                 (StudioViewer      *self);
/* What the export dialogs do once the user has chosen: target is the file, or the folder for
 * STUDIO_EXPORT_KIND_CLASS_MASKS and _ALL_IMAGES; flags say what _ALL_IMAGES writes. */
void          studio_viewer_export_to                   (StudioViewer      *self,
                                                         StudioExportKind   kind,
                                                         GFile             *target,
                                                         StudioExportFlags  flags);
/* TRUE while an export runs. */
gboolean      studio_viewer_is_exporting                (StudioViewer      *self);
/* TRUE while a dataset's files are being checked. */
gboolean      studio_viewer_is_opening                  (StudioViewer      *self);

G_END_DECLS
