/* studio-image-list.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "studio-image-item.h"

G_BEGIN_DECLS

#define STUDIO_TYPE_IMAGE_LIST (studio_image_list_get_type ())

G_DECLARE_FINAL_TYPE (StudioImageList, studio_image_list, STUDIO, IMAGE_LIST, GObject)

/* The images being browsed, a GListModel of StudioImageItem. */
StudioImageList *studio_image_list_new        (void);
/* Replaces every item; truth_paths may be NULL or shorter than paths. Takes neither array.
 * A long list joins the model a few dozen items per main-loop iteration, so that the views
 * never build all their rows in one go; studio_image_list_get(), _get_n_total() and
 * _dup_paths() see every item at once. */
void             studio_image_list_set        (StudioImageList *self,
                                               GPtrArray       *paths,
                                               GPtrArray       *truth_paths);
/* Every item, shown in the model yet or not. */
guint            studio_image_list_get_n_total (StudioImageList *self);
/* Shows every item up to position in the model now (to select it). */
void             studio_image_list_ensure_shown (StudioImageList *self,
                                                 guint            position);
/* (transfer none) */
StudioImageItem *studio_image_list_get        (StudioImageList *self,
                                               guint            position);
/* The items' paths, in order. (element-type utf8) */
GPtrArray       *studio_image_list_dup_paths  (StudioImageList *self);

/* The image files of a folder, in the order a file manager shows them. */
GPtrArray       *studio_image_list_scan_folder (GFile          *folder,
                                                GCancellable   *cancellable,
                                                GError        **error);

G_END_DECLS
