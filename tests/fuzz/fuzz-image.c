/* fuzz-image.c — libFuzzer harness for image decoding through the data layer
 * (voc_image_load_rgb() and voc_image_load_rgb8(): the truncation checks, GdkPixbuf, EXIF
 * orientation, the packing of the bytes)
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "voc/voc-image.h"

#include "fuzz-common.h"

/* The data layer accepts up to VOC_IMAGE_MAX_PIXELS, a second of decoding and over a gigabyte of
 * floats: more than one fuzz run may take. Larger declared sizes are skipped here; the size
 * limit itself is covered by the mask harness and by tests/voc/test-image.c. */
#define FUZZ_MAX_PIXELS (1024 * 1024)
#define FUZZ_MAX_BYTES (256 * 1024)

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
  g_autofree char *path = NULL;
  g_autofree float *rgb = NULL;
  g_autoptr(GBytes) rgb8 = NULL;
  const guint8 *bytes;
  int width = -1, height = -1, width8 = -1, height8 = -1;
  size_t plane;

  if (size > FUZZ_MAX_BYTES)
    return -1;
  path = fuzz_write_file ("image", data, size);
  if (gdk_pixbuf_get_file_info (path, &width, &height) != NULL &&
      (gint64) width * height > FUZZ_MAX_PIXELS)
    return -1;

  width = height = -1;
  rgb = voc_image_load_rgb (path, &width, &height, NULL);
  if (rgb == NULL)
    return 0;
  FUZZ_CHECK (width > 0 && height > 0 && (gint64) width * height <= VOC_IMAGE_MAX_PIXELS);
  for (gint64 i = 0; i < 3 * (gint64) width * height; i++)
    FUZZ_CHECK (rgb[i] >= 0.0f && rgb[i] <= 1.0f);

  /* the same file as bytes: the same size and the same pixels */
  rgb8 = voc_image_load_rgb8 (path, &width8, &height8, NULL);
  FUZZ_CHECK (rgb8 != NULL && width8 == width && height8 == height);
  plane = (size_t) width * height;
  FUZZ_CHECK (g_bytes_get_size (rgb8) == 3 * plane);
  bytes = g_bytes_get_data (rgb8, NULL);
  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      FUZZ_CHECK ((float) bytes[3 * i + c] / 255.0f == rgb[c * plane + i]);
  return 0;
}
