/* studio-image-item.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define STUDIO_TYPE_IMAGE_ITEM (studio_image_item_get_type ())

G_DECLARE_FINAL_TYPE (StudioImageItem, studio_image_item, STUDIO, IMAGE_ITEM, GObject)

/* One image being browsed: its file, its dataset's mask (or NULL) and, once loaded, its
 * thumbnail. Properties: "path", "truth-path", "thumbnail". */
StudioImageItem *studio_image_item_new           (const char      *path,
                                                  const char      *truth_path);
const char      *studio_image_item_get_path      (StudioImageItem *self);
const char      *studio_image_item_get_truth_path (StudioImageItem *self);
GdkTexture      *studio_image_item_get_thumbnail (StudioImageItem *self);
void             studio_image_item_set_thumbnail (StudioImageItem *self,
                                                  GdkTexture      *thumbnail);

G_END_DECLS
