/* studio-overlay.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "studio-segmentation.h"
#include "studio-viewer.h"

G_BEGIN_DECLS

#define STUDIO_OVERLAY_MAX_CLASSES 256

/* Everything the layer over the image depends on besides the segmentation, copied out of the
 * viewer, so that the layer can be drawn on another thread while the user changes the view. */
typedef struct
{
  StudioViewMode mode;
  /* the confidence view: this class's probability, or with -1 the predicted class's (or the
   * entropy, when `entropy`) */
  int            confidence_class;
  gboolean       entropy;
  guint8         palette[STUDIO_OVERLAY_MAX_CLASSES * 3];
  gboolean       visible[STUDIO_OVERLAY_MAX_CLASSES];
} StudioOverlayStyle;

/* The layer drawn over the segmentation's image: RGBA [height,width,4], transparent where the
 * photo shows; NULL when there is not enough memory. Reads only its arguments (a segmentation is
 * immutable), so any thread may call it. */
GBytes *studio_overlay_render (StudioSegmentation       *segmentation,
                               const StudioOverlayStyle *style);

G_END_DECLS
