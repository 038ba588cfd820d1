/* studio-worker-private.h: what the UI tests reach inside the worker for
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "studio-worker.h"

G_BEGIN_DECLS

/* Segmentation requests a newer one cancelled after the worker had started on them. */
guint studio_worker_get_n_cancelled (StudioWorker *self);

G_END_DECLS
