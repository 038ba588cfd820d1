/* unet-threads.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sets how many cores the engine uses: OpenBLAS's threads and the engine's own parallel loops
 * get the same number and run one after the other, never at the same time, so they do not
 * oversubscribe. n <= 0 means every online core. Call it from the thread that runs the model. */
void unet_set_threads (int n);
int  unet_get_threads (void);

G_END_DECLS
