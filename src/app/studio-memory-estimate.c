/* studio-memory-estimate.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "studio-memory-estimate.h"

/* Assumed free when /proc/meminfo cannot be read: low enough to refuse what would surely fail
 * on a small laptop, high enough to let the defaults run. */
#define FALLBACK_AVAILABLE_MEMORY ((guint64) 2 * 1000 * 1000 * 1000)

guint64
studio_memory_get_available (void)
{
  g_autofree char *contents = NULL;
  const char *line;

  if (g_file_get_contents ("/proc/meminfo", &contents, NULL, NULL) &&
      (line = strstr (contents, "MemAvailable:")) != NULL)
    {
      guint64 kib = g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10);

      if (kib > 0)
        return kib * 1024;
    }
  return FALLBACK_AVAILABLE_MEMORY;
}

guint64
studio_memory_estimate_run (const UnetConfig *config,
                            int               batch,
                            int               tile)
{
  int in = unet_config_round_input_size (config, tile);
  size_t model = unet_model_estimate_memory (config, batch, in, in, TRUE);

  if (model == 0)
    return 0;
  return (guint64) model + (guint64) batch * in * in * (3 * sizeof (float) + 1 + sizeof (float));
}

gboolean
studio_memory_check_run (const UnetConfig  *config,
                         int                batch,
                         int                tile,
                         GError           **error)
{
  guint64 needed, available;

  g_return_val_if_fail (config != NULL, FALSE);

  needed = studio_memory_estimate_run (config, batch, tile);
  available = studio_memory_get_available ();

  if (needed == 0)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                   _("A tile of %d pixels does not suit this model. Try another tile or depth."),
                   tile);
      return FALSE;
    }
  if (needed > available)
    {
      g_autofree char *needed_text = g_format_size (needed);
      g_autofree char *available_text = g_format_size (available);

      g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                   _("This run needs about %s, but only %s of memory is free. "
                     "Use a smaller tile or batch."),
                   needed_text, available_text);
      return FALSE;
    }
  return TRUE;
}
