/* draw-file.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The kinds of file a drawing can be rendered into. */
typedef enum
{
  DRAW_FORMAT_PNG,
  DRAW_FORMAT_SVG,
} DrawFormat;

G_END_DECLS
