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

/* The parsers of the dataset's text lists, apart from the files, so that they can be fuzzed.
 * contents need not be NUL-terminated; a list over 16 MiB, with a NUL byte or not UTF-8 is
 * refused. `display` names the file in messages. */
/* A split list: (element-type utf8) the ids in file order; never empty. */
GPtrArray     *_voc_parse_split_list      (const char  *contents,
                                           gsize        length,
                                           const char  *display,
                                           GError     **error);
/* classes.txt: the class names (NULL-terminated, at most 255); the colours given in the file
 * are written into palette (r,g,b per class index), the other entries are left alone. */
char         **_voc_parse_class_names     (const char  *contents,
                                           gsize        length,
                                           const char  *display,
                                           guint8       palette[256 * 3],
                                           GError     **error);

G_END_DECLS
