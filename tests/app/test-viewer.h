/* test-viewer.h: what the files of the viewer tests share
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "app/studio-application.h"
#include "app/studio-image-view.h"
#include "app/studio-segmentation.h"
#include "app/studio-viewer.h"
#include "app/studio-window.h"

G_BEGIN_DECLS

/* --- the window every test works in (test-viewer.c) -------------------------------------- */

extern StudioApplication *app;
extern StudioWindow *window;
extern char *tmp_dir;

/* --- helpers (test-viewer-util.c) -------------------------------------------------------- */

const char         *voc_root              (void);
StudioViewer       *get_viewer            (void);
GtkWidget          *find_by_css_class     (GtkWidget          *root,
                                           const char         *css_class);
gboolean            open_dataset          (StudioViewer       *viewer,
                                           const char         *root,
                                           const char         *split,
                                           GError            **error);
void                on_segmented          (StudioViewer       *viewer);
StudioSegmentation *wait_for_segmentation (StudioViewer       *viewer);
gboolean            find_uniform_pixel    (StudioSegmentation *segmentation,
                                           const guint8       *map,
                                           int                *out_x,
                                           int                *out_y);
void                window_point          (StudioImageView    *view,
                                           int                 x,
                                           int                 y,
                                           int                *wx,
                                           int                *wy);
void                assert_colour_near    (const guint8       *got,
                                           const guint8       *want,
                                           int                 tolerance);
void                load_model            (const char         *path);

/* --- the tests, which main() registers in the order they run ----------------------------- */

/* test-viewer-overlay.c */
void test_viewer_overlay         (void);
void test_viewer_overlay_thread  (void);
/* test-viewer-dataset.c */
void test_viewer_dataset         (void);
void test_viewer_binary_truth    (void);
void test_viewer_own_model       (gconstpointer data);
/* test-viewer-switching.c */
void test_viewer_switching       (void);
void test_viewer_switch_cancels  (void);
/* test-viewer-exports.c */
void test_viewer_export          (void);
void test_viewer_export_folder   (void);
void test_viewer_export_thread   (void);

G_END_DECLS
