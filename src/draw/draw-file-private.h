/* draw-file-private.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <cairo.h>
#include <glib.h>

#include "draw-file.h"

G_BEGIN_DECLS

/* A picture drawn into memory as a PNG or SVG file's contents. */
typedef struct
{
  DrawFormat       format;
  GByteArray      *bytes;
  cairo_surface_t *surface;
} DrawFile;

/* A surface of width × height pixels (an SVG measured in pixels, too) to draw on. */
cairo_surface_t *draw_file_begin (DrawFile    *file,
                                  DrawFormat   format,
                                  double       width,
                                  double       height);
/* Destroys cr and the surface and returns the file's contents; NULL with an error saying what
 * could not be drawn when cairo failed. */
GBytes          *draw_file_end   (DrawFile    *file,
                                  cairo_t     *cr,
                                  const char  *what,
                                  GError     **error);

G_END_DECLS
