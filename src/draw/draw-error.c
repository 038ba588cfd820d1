/* draw-error.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "draw-error.h"

G_DEFINE_QUARK (draw-error-quark, draw_error)
