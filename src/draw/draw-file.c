/* draw-file.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include <cairo-svg.h>

#include "draw-error.h"
#include "draw-file-private.h"

static cairo_status_t
append_to_byte_array (void                *closure,
                      const unsigned char *data,
                      unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

cairo_surface_t *
draw_file_begin (DrawFile   *file,
                 DrawFormat  format,
                 double      width,
                 double      height)
{
  g_return_val_if_fail (file != NULL, NULL);

  file->format = format;
  file->bytes = g_byte_array_new ();
  if (format == DRAW_FORMAT_SVG)
    {
      file->surface = cairo_svg_surface_create_for_stream (append_to_byte_array, file->bytes,
                                                           ceil (width), ceil (height));
      /* as large as the PNG would be, not 4/3 of it in points */
      cairo_svg_surface_set_document_unit (file->surface, CAIRO_SVG_UNIT_PX);
    }
  else
    file->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) ceil (width),
                                                (int) ceil (height));
  return file->surface;
}

GBytes *
draw_file_end (DrawFile    *file,
               cairo_t     *cr,
               const char  *what,
               GError     **error)
{
  g_autoptr(GByteArray) bytes = NULL;
  cairo_status_t status;

  g_return_val_if_fail (file != NULL && file->surface != NULL, NULL);

  bytes = g_steal_pointer (&file->bytes);
  status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_flush (file->surface);
  if (status == CAIRO_STATUS_SUCCESS && file->format == DRAW_FORMAT_PNG)
    status = cairo_surface_write_to_png_stream (file->surface, append_to_byte_array, bytes);
  /* an SVG surface writes its document when it is finished */
  cairo_surface_finish (file->surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (file->surface);
  g_clear_pointer (&file->surface, cairo_surface_destroy);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, DRAW_ERROR, DRAW_ERROR_FAILED, "Cannot draw the %s: %s", what,
                   cairo_status_to_string (status));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}
