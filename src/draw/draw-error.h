/* draw-error.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DRAW_ERROR (draw_error_quark ())

typedef enum
{
  DRAW_ERROR_INVALID_ARGUMENT, /* a picture size out of range */
  DRAW_ERROR_FAILED,           /* Cairo could not draw or encode the picture */
} DrawError;

GQuark draw_error_quark (void);

G_END_DECLS
