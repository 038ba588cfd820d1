/* make-seeds.c — writes the engine-made seeds of the fuzz corpora: a tiny model (depth 1,
 * base 2, batch norm) and a checkpoint of it with momentum buffers and trainer state.
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   ninja -C build-fuzz tests/fuzz/fuzz-make-seeds && build-fuzz/tests/fuzz/fuzz-make-seeds tests/fuzz
 */

#include "config.h"

#include "unet/unet.h"
#include "unet/unet-optimizer.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) state = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *model_path = NULL, *model_path2 = NULL, *checkpoint_path = NULL;
  UnetModel *model;
  UnetOptimizer *optimizer;
  UnetConfig config;

  if (argc != 2)
    {
      g_printerr ("usage: %s TESTS-FUZZ-FOLDER\n", argv[0]);
      return 2;
    }
  unet_config_init_default (&config);
  config.depth = 1;
  config.base = 2;
  config.padding = UNET_PADDING_SAME;
  config.norm = UNET_NORM_BATCH;
  model = unet_model_new (&config, &error);
  g_assert_no_error (error);
  unet_model_init_weights (model, 7);
  unet_model_set_info (model, "data", "fuzz seed");
  optimizer = unet_optimizer_new (model, 0.99, 0.0005);
  g_hash_table_insert (state, "step", "3");
  g_hash_table_insert (state, "epoch", "1");

  model_path = g_build_filename (argv[1], "corpus", "model", "tiny-model.safetensors", NULL);
  model_path2 = g_build_filename (argv[1], "corpus", "safetensors", "tiny-model.safetensors", NULL);
  checkpoint_path = g_build_filename (argv[1], "corpus", "model", "tiny-checkpoint.safetensors",
                                      NULL);
  if (!unet_model_save (model, model_path, &error) ||
      !unet_model_save (model, model_path2, &error) ||
      !unet_checkpoint_save (model, optimizer, state, checkpoint_path, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  unet_optimizer_free (optimizer);
  unet_model_free (model);
  return 0;
}
