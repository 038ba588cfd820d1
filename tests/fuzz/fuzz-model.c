/* fuzz-model.c — libFuzzer harness for model files: unet_model_load_bytes(), and the same bytes
 * as a checkpoint through unet_checkpoint_load() and unet_model_file_peek(), which only take a
 * path; whatever loads must peek, and peek as what it loads
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "unet/unet-io.h"
#include "unet/unet-optimizer.h"

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_quiet_logs ();
  g_setenv ("OMP_NUM_THREADS", "1", FALSE);
  return 0;
}

/* The peek describes what loading built. */
static void
check_peek (const UnetModelFileInfo *info,
            UnetModel               *model)
{
  const UnetConfig *config = unet_model_get_config (model);
  const char *const *names = unet_model_get_class_names (model);

  FUZZ_CHECK (info != NULL);
  FUZZ_CHECK (info->config.depth == config->depth && info->config.base == config->base &&
              info->config.in_channels == config->in_channels &&
              info->config.classes == config->classes &&
              info->config.padding == config->padding && info->config.norm == config->norm &&
              info->config.dropout == config->dropout);
  FUZZ_CHECK (g_strv_length (info->class_names) == (guint) config->classes);
  for (int k = 0; k < config->classes; k++)
    FUZZ_CHECK (g_strcmp0 (info->class_names[k], names[k]) == 0);
  FUZZ_CHECK (memcmp (info->palette, unet_model_get_palette (model), 3 * config->classes) == 0);
  FUZZ_CHECK (info->input_scale == unet_model_get_input_scale (model));
  FUZZ_CHECK (info->max_classes == unet_model_get_max_classes (model));
  FUZZ_CHECK (info->metadata != NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(UnetModelFileInfo) info = NULL;
  g_autofree char *path = NULL;
  UnetModel *model;
  UnetOptimizer *optimizer = NULL;
  GHashTable *state = NULL;

  path = fuzz_write_file ("checkpoint.safetensors", data, size);
  info = unet_model_file_peek (path, NULL);

  model = unet_model_load_bytes (bytes, "fuzz.safetensors", NULL);
  if (model != NULL)
    {
      FUZZ_CHECK (unet_model_get_config (model) != NULL);
      FUZZ_CHECK (unet_model_get_class_names (model) != NULL);
      check_peek (info, model);
      unet_model_free (model);
    }

  model = unet_checkpoint_load (path, &optimizer, &state, NULL);
  if (model != NULL)
    {
      FUZZ_CHECK (optimizer != NULL && state != NULL);
      check_peek (info, model);
      FUZZ_CHECK (info->is_checkpoint);
      unet_optimizer_free (optimizer);
      g_hash_table_unref (state);
      unet_model_free (model);
    }
  else
    FUZZ_CHECK (optimizer == NULL && state == NULL);
  return 0;
}
