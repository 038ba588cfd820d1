/* fuzz-safetensors.c — libFuzzer harness for the safetensors container parser
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "unet/unet-safetensors.h"

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_quiet_logs ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* a copy of exactly `size` bytes, so that ASan sees any read past the end */
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(UnetSafetensors) st = NULL;
  const guint8 *start = g_bytes_get_data (bytes, NULL);
  GHashTableIter iter;
  gpointer key, value;

  st = unet_safetensors_load_bytes (bytes, "fuzz.safetensors", NULL);
  if (st == NULL)
    return 0;

  /* What load_bytes promises: every tensor inside the data, and its bytes matching its shape. */
  for (guint i = 0; i < unet_safetensors_get_n_tensors (st); i++)
    {
      const UnetTensorView *view = unet_safetensors_get_tensor (st, i);
      size_t numel = 1;

      FUZZ_CHECK (view != NULL && view->name != NULL);
      FUZZ_CHECK (view->ndim >= 0 && view->ndim <= UNET_SAFETENSORS_MAX_DIMS);
      for (int d = 0; d < view->ndim; d++)
        {
          FUZZ_CHECK (view->shape[d] >= 0);
          numel *= (size_t) view->shape[d];
        }
      FUZZ_CHECK (numel == view->numel);
      FUZZ_CHECK (view->bytes >= start && view->n_bytes <= size &&
                  (size_t) (view->bytes - start) <= size - view->n_bytes);
      FUZZ_CHECK (unet_safetensors_lookup (st, view->name) == view);
      if (view->numel <= (1 << 16))
        {
          g_autofree float *floats = g_new (float, MAX (view->numel, 1));

          unet_tensor_view_copy_f32 (view, floats);
        }
    }

  g_hash_table_iter_init (&iter, unet_safetensors_get_metadata (st));
  while (g_hash_table_iter_next (&iter, &key, &value))
    FUZZ_CHECK (g_strcmp0 (unet_safetensors_get_metadata_string (st, key), value) == 0);
  return 0;
}
