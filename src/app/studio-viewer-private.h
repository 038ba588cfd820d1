/* studio-viewer-private.h: what the UI tests reach inside the viewer for
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "studio-viewer.h"

G_BEGIN_DECLS

/* Up to this many pixels the overlay is drawn on the spot (about 7 ms for a heat map, 1 ms for
 * the classes); a larger image's is drawn on a thread, so that a 48-megapixel photo does not
 * freeze the window for most of a second at every change of view (docs/reliability.md). */
#define STUDIO_VIEWER_SYNC_OVERLAY_MAX_PIXELS (512 * 1024)

/* TRUE while an overlay is being drawn on a thread. */
gboolean studio_viewer_is_drawing_overlay          (StudioViewer *self);
/* Images up to this many pixels get their overlay drawn on the spot, larger ones on a thread;
 * tests set 0 to draw every overlay on a thread. */
void     studio_viewer_set_sync_overlay_max_pixels (StudioViewer *self,
                                                    gsize         max_pixels);
/* The colours the overlay, the legend and the exports use: the model's, under the user's. */
const guint8 *studio_viewer_get_palette            (StudioViewer *self);

G_END_DECLS
