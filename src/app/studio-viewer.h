/* studio-viewer.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "studio-segmentation.h"
#include "studio-worker.h"

G_BEGIN_DECLS

typedef enum
{
  STUDIO_VIEW_MODE_PREDICTION,
  STUDIO_VIEW_MODE_TRUTH,       /* the dataset's mask, when the image has one */
  STUDIO_VIEW_MODE_ERRORS,      /* pixels where prediction and truth disagree */
  STUDIO_VIEW_MODE_CONFIDENCE,  /* heat map of the predicted class's probability, or entropy */
} StudioViewMode;

typedef enum
{
  STUDIO_EXPORT_KIND_MASK,
  STUDIO_EXPORT_KIND_OVERLAY,
  STUDIO_EXPORT_KIND_CLASS_MASKS,
  STUDIO_EXPORT_KIND_LEGEND,
  STUDIO_EXPORT_KIND_ALL_IMAGES, /* every image being browsed, into a folder, with progress */
} StudioExportKind;

#define STUDIO_TYPE_VIEWER (studio_viewer_get_type ())

G_DECLARE_FINAL_TYPE (StudioViewer, studio_viewer, STUDIO, VIEWER, GtkWidget)

/* The image browser and segmentation view. Properties: "title" (the image's name),
 * "subtitle" (its position in the list), "busy" (segmenting), "has-image", "has-segmentation",
 * "has-truth", "view-mode". */
void                studio_viewer_set_worker       (StudioViewer     *self,
                                                    StudioWorker     *worker);
void                studio_viewer_set_settings     (StudioViewer     *self,
                                                    GSettings        *settings);

/* One file: shows it and browses the images of its folder. Several: browses those. */
void                studio_viewer_open_files       (StudioViewer     *self,
                                                    GFile           **files,
                                                    int               n_files);
gboolean            studio_viewer_open_folder      (StudioViewer     *self,
                                                    GFile            *folder,
                                                    GError          **error);
/* The images of a dataset split, with their ground-truth masks; split NULL picks val, else
 * train, else the first split with images. The dataset is read and every id's files checked on
 * a thread, with a progress bar; the images show when that is done, and the dataset joins the
 * recent datasets. A newer open (of anything) cancels one under way. */
void                studio_viewer_open_dataset_async  (StudioViewer        *self,
                                                       const char          *root,
                                                       const char          *split,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean            studio_viewer_open_dataset_finish (StudioViewer        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* studio_viewer_open_dataset_async(), its failures shown as a toast; FALSE at once only when
 * root is no folder. */
gboolean            studio_viewer_open_dataset     (StudioViewer     *self,
                                                    const char       *root,
                                                    const char       *split,
                                                    GError          **error);
guint               studio_viewer_get_n_images     (StudioViewer     *self);
guint               studio_viewer_get_position     (StudioViewer     *self);
void                studio_viewer_set_position     (StudioViewer     *self,
                                                    guint             position);
/* The paths of the images being browsed. (element-type utf8) */
GPtrArray          *studio_viewer_get_image_paths  (StudioViewer     *self);
void                studio_viewer_next             (StudioViewer     *self);
void                studio_viewer_previous         (StudioViewer     *self);

void                studio_viewer_zoom_in          (StudioViewer     *self);
void                studio_viewer_zoom_out         (StudioViewer     *self);
void                studio_viewer_zoom_fit         (StudioViewer     *self);
void                studio_viewer_zoom_original    (StudioViewer     *self);

StudioViewMode      studio_viewer_get_view_mode    (StudioViewer     *self);
void                studio_viewer_set_view_mode    (StudioViewer     *self,
                                                    StudioViewMode    mode);

StudioSegmentation *studio_viewer_get_segmentation (StudioViewer     *self);
/* Asks where to save, then writes on a thread (every image: on the worker) with a progress bar;
 * the result is shown as a toast. An export never replaces the image or mask it comes from. */
void                studio_viewer_export           (StudioViewer     *self,
                                                    StudioExportKind  kind);

G_END_DECLS
