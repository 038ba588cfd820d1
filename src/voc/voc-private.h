/* voc-private.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "voc-annotation.h"

G_BEGIN_DECLS

/* The loaders with the name used in messages given separately from the path opened, so that
 * dataset errors read "VOC2007/SegmentationClass/000032.png: …" rather than a long path. */
float         *_voc_image_load_rgb_named  (const char  *path,
                                           const char  *display,
                                           int         *width,
                                           int         *height,
                                           GError     **error);
guint8        *_voc_mask_load_named       (const char  *path,
                                           const char  *display,
                                           int         *width,
                                           int         *height,
                                           GError     **error);
VocAnnotation *_voc_annotation_load_named (const char  *path,
                                           const char  *display,
                                           GError     **error);

G_END_DECLS
