/* unet-error.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "unet-error.h"
#include "unet-error-private.h"

G_DEFINE_QUARK (unet-error-quark, unet_error)

gboolean
unet_set_file_error (GError     **error,
                     int          code,
                     const char  *file,
                     const char  *format,
                     ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, UNET_ERROR, code, "%s: %s", file, message);
  return FALSE;
}

gboolean
unet_set_tensor_error (GError     **error,
                       int          code,
                       const char  *file,
                       const char  *tensor,
                       const char  *format,
                       ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (tensor != NULL)
    {
      g_autofree char *short_name = unet_shorten (tensor, UNET_MAX_NAME_IN_MESSAGE);

      g_set_error (error, UNET_ERROR, code, "%s: tensor “%s”: %s", file, short_name, message);
    }
  else
    g_set_error (error, UNET_ERROR, code, "%s: %s", file, message);
  return FALSE;
}

char *
unet_shorten (const char *s,
              gsize       max_bytes)
{
  const char *end;

  if (strlen (s) <= max_bytes)
    return g_strdup (s);

  end = g_utf8_find_prev_char (s, s + max_bytes);
  if (end == NULL)
    end = s;
  return g_strdup_printf ("%.*s…", (int) (end - s), s);
}

char *
unet_format_shape (int            ndim,
                   const int64_t *shape)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i > 0 ? ", " : "", (gint64) shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}
