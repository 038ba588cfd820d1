/* studio-util.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "studio-util.h"

char *
studio_display_path (const char *path)
{
  const char *home = g_get_home_dir ();
  gsize n = home != NULL ? strlen (home) : 0;

  g_return_val_if_fail (path != NULL, NULL);

  if (n > 1 && g_str_has_prefix (path, home) && (path[n] == '/' || path[n] == '\0'))
    {
      g_autofree char *rest = g_filename_display_name (path + n);

      return g_strconcat ("~", rest, NULL);
    }
  return g_filename_display_name (path);
}
