/* studio-export.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "studio-segmentation.h"

G_BEGIN_DECLS

typedef enum
{
  STUDIO_EXPORT_MASK        = 1 << 0,  /* <name>.png: palette PNG, pixel value = class index */
  STUDIO_EXPORT_OVERLAY     = 1 << 1,  /* <name>-overlay.png: class colours over the image */
  STUDIO_EXPORT_CLASS_MASKS = 1 << 2,  /* <name>-<class>.png: 255 where the class is, else 0 */
  STUDIO_EXPORT_LEGEND      = 1 << 3,  /* <name>-legend.png */
} StudioExportFlags;

/* Every file is written atomically (a temporary file, then a rename), so an existing file is
 * either replaced whole or left as it was. palette is n_classes × 3 bytes. */

/* The class of every pixel as its value, with the model's class colours as the PNG's palette
 * (VOC's for a VOC model, as SegmentationClass/ in VOCdevkit): tools read the indices, viewers
 * show the colours. */
gboolean studio_export_mask          (StudioSegmentation  *segmentation,
                                      const char          *path,
                                      const guint8        *palette,
                                      GError             **error);
gboolean studio_export_overlay       (StudioSegmentation  *segmentation,
                                      const char          *path,
                                      const guint8        *palette,
                                      double               opacity,
                                      GError             **error);
/* One 8-bit greyscale-looking PNG per class present: dir/<stem>-<class>.png. The paths written
 * are appended to written when it is not NULL. */
gboolean studio_export_class_masks   (StudioSegmentation  *segmentation,
                                      const char          *dir,
                                      const char          *stem,
                                      GPtrArray           *written,
                                      GError             **error);
/* PNG, or SVG when path ends in .svg. */
gboolean studio_export_legend        (StudioSegmentation  *segmentation,
                                      const char          *path,
                                      const guint8        *palette,
                                      GError             **error);
/* What flags asks for, into out_dir, named after the image. */
gboolean studio_export_segmentation  (StudioSegmentation  *segmentation,
                                      const char          *out_dir,
                                      StudioExportFlags    flags,
                                      const guint8        *palette,
                                      double               opacity,
                                      GError             **error);
/* The image's file name without its extension. */
char    *studio_export_stem          (const char          *image_path);

G_END_DECLS
