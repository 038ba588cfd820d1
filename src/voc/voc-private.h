/* voc-private.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "voc-annotation.h"
#include "voc-classes.h"

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
/* The lines of a list file (split at '\n'), or NULL when it is not one (see above). */
char         **_voc_split_list_lines      (const char  *contents,
                                           gsize        length,
                                           const char  *display,
                                           GError     **error);

/* Any mask file decoded, before it means classes (voc-classes.h): PNGs of any kind through
 * libpng (palette indices, 1–16-bit grey, RGB), other formats through GdkPixbuf as RGB. */
gboolean       _voc_mask_load_raw_named   (const char  *path,
                                           const char  *display,
                                           VocRawMask  *raw,
                                           GError     **error);

G_END_DECLS
