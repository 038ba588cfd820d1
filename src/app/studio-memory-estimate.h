/* studio-memory-estimate.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet/unet.h"

G_BEGIN_DECLS

/* Whether a run fits in memory, predicted from the tile and batch before it starts rather than
 * discovered an hour into it. */

/* Bytes of memory the system can still hand out without swapping. */
guint64   studio_memory_get_available (void);
/* What a training step holds: the model's own estimate plus the trainer's batch buffers (input,
 * labels and pixel weights). 0 when the tile does not suit the model. */
guint64   studio_memory_estimate_run  (const UnetConfig  *config,
                                       int                batch,
                                       int                tile);
/* FALSE with an error a user can act on when the tile does not suit the model or the run
 * needs more than is free. */
gboolean  studio_memory_check_run     (const UnetConfig  *config,
                                       int                batch,
                                       int                tile,
                                       GError           **error);

G_END_DECLS
