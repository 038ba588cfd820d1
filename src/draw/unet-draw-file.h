/* unet-draw-file.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  UNET_DRAW_PNG,
  UNET_DRAW_SVG,
} UnetDrawFormat;

/* A picture drawn into memory as a PNG or SVG file's contents. */
typedef struct
{
  UnetDrawFormat   format;
  GByteArray      *bytes;
  cairo_surface_t *surface;
} UnetDrawFile;

/* A surface of width × height pixels (an SVG measured in pixels, too) to draw on. */
cairo_surface_t *unet_draw_file_begin (UnetDrawFile   *file,
                                       UnetDrawFormat  format,
                                       double          width,
                                       double          height);
/* Destroys cr and the surface and returns the file's contents; NULL with an error saying what
 * could not be drawn when cairo failed. */
GBytes          *unet_draw_file_end   (UnetDrawFile   *file,
                                       cairo_t        *cr,
                                       const char     *what,
                                       GError        **error);

G_END_DECLS
