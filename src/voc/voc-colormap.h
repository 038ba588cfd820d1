/* voc-colormap.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The 20 PASCAL VOC object classes plus background, index = pixel value in SegmentationClass. */
#define VOC_N_CLASSES 21
/* Mask value for "void": object outlines and hard regions, left out of the loss and metrics. */
#define VOC_VOID 255

/* The standard VOC colour of palette index 0..255 (bit-interleaved rule of the devkit). */
void               voc_colormap             (int     index,
                                             guint8  rgb[3]);
/* The full 256-entry colormap as 768 bytes r,g,b,r,g,b,… (static, never freed). */
const guint8      *voc_colormap_table       (void);
/* Whether a class of this colour is left clear in overlays: black, the colour of VOC's
 * background, and of any class a user colours so (a membrane given a colour is drawn). */
static inline gboolean
voc_colour_is_clear (const guint8 rgb[3])
{
  return rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 0;
}

/* The 21 VOC class names, "background" first, NULL-terminated (static). */
const char *const *voc_class_names_default  (void);

G_END_DECLS
