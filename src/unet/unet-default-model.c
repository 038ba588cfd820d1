/* unet-default-model.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "unet-default-model-resources.h"
#include "unet-default-model.h"

#define RESOURCE_PATH "/io/github/unetstudio/UnetStudio/model/default.safetensors"

GBytes *
unet_default_model_get_bytes (char   **name,
                              GError **error)
{
  const char *env = g_getenv ("UNET_DEFAULT_MODEL");

  if (env != NULL && env[0] != '\0')
    {
      g_autoptr(GMappedFile) mapped = g_mapped_file_new (env, FALSE, error);

      if (mapped == NULL)
        {
          g_prefix_error (error, "UNET_DEFAULT_MODEL: ");
          return NULL;
        }
      if (name != NULL)
        *name = g_strdup (env);
      return g_mapped_file_get_bytes (mapped);
    }

  if (name != NULL)
    *name = g_strdup (UNET_DEFAULT_MODEL_NAME);
  /* Looked up in this program's own resource, which also links it in from the static library. */
  return g_resource_lookup_data (unet_default_model_get_resource (), RESOURCE_PATH,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, error);
}
