/* fuzz-mask.c — libFuzzer harness for the class-mask PNG reader (voc_mask_load(), libpng)
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "voc/voc-image.h"

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
  g_autofree char *path = fuzz_write_file ("mask.png", data, size);
  g_autofree guint8 *mask = NULL;
  int width = -1, height = -1;
  guint64 sum = 0;

  mask = voc_mask_load (path, &width, &height, NULL);
  if (mask == NULL)
    return 0;
  FUZZ_CHECK (width > 0 && height > 0 && (gint64) width * height <= VOC_IMAGE_MAX_PIXELS);
  /* touch every pixel: ASan catches a buffer smaller than width × height */
  for (gint64 i = 0; i < (gint64) width * height; i++)
    sum += mask[i];
  FUZZ_CHECK (sum <= (guint64) 255 * width * height);
  return 0;
}
