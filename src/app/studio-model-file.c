/* studio-model-file.c — what the app asks of a model or checkpoint without loading it, on the
 * engine's header-only peek (unet_model_file_peek) and the run folder's reader (UnetRun)
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <gio/gio.h>
#include <string.h>

#include "train/unet-run.h"

#include "studio-model-file.h"
#include "studio-util.h"

gboolean
studio_model_file_read_config (const char  *path,
                               UnetConfig  *config,
                               GError     **error)
{
  g_autoptr(UnetModelFileInfo) info = unet_model_file_peek (path, error);

  if (info == NULL)
    return FALSE;
  *config = info->config;
  return TRUE;
}

gboolean
studio_model_file_read_run_options (const char        *run_dir,
                                    UnetTrainOptions  *options,
                                    GError           **error)
{
  g_autofree char *path = unet_run_path (run_dir, UNET_RUN_CHECKPOINT);
  g_autoptr(GError) local_error = NULL;
  UnetRunState state;

  unet_train_options_init_default (options);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *name = studio_display_path (run_dir);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("“%s” holds no stopped run to resume (no last.safetensors)"), name);
      return FALSE;
    }
  if (unet_run_read_checkpoint (run_dir, options, &state, NULL, &local_error))
    return TRUE;
  /* a model is readable, it only holds no run: say what to do with it */
  if (g_error_matches (local_error, UNET_ERROR, UNET_ERROR_CORRUPT) &&
      strstr (local_error->message, "not a training checkpoint") != NULL)
    {
      g_autofree char *name = studio_display_path (path);

      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   _("“%s” is a model, not a training checkpoint; start from it as a file instead"),
                   name);
      return FALSE;
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}
