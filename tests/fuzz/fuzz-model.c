/* fuzz-model.c — libFuzzer harness for model files: unet_model_load_bytes(), and the same bytes
 * as a checkpoint through unet_checkpoint_load(), which only takes a path
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "unet-io.h"

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_quiet_logs ();
  g_setenv ("OMP_NUM_THREADS", "1", FALSE);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autofree char *path = NULL;
  UnetModel *model;
  UnetOptimizer *optimizer = NULL;
  GHashTable *state = NULL;

  model = unet_model_load_bytes (bytes, "fuzz.safetensors", NULL);
  if (model != NULL)
    {
      FUZZ_CHECK (unet_model_get_config (model) != NULL);
      FUZZ_CHECK (unet_model_get_class_names (model) != NULL);
      unet_model_free (model);
    }

  path = fuzz_write_file ("checkpoint.safetensors", data, size);
  model = unet_checkpoint_load (path, &optimizer, &state, NULL);
  if (model != NULL)
    {
      FUZZ_CHECK (optimizer != NULL && state != NULL);
      unet_optimizer_free (optimizer);
      g_hash_table_unref (state);
      unet_model_free (model);
    }
  else
    FUZZ_CHECK (optimizer == NULL && state == NULL);
  return 0;
}
