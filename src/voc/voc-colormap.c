/* voc-colormap.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "voc-colormap.h"

static const char *const class_names[VOC_N_CLASSES + 1] = {
  "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
  "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
  "sheep", "sofa", "train", "tvmonitor", NULL,
};

void
voc_colormap (int    index,
              guint8 rgb[3])
{
  int c = index & 0xff;
  guint8 r = 0, g = 0, b = 0;

  g_return_if_fail (rgb != NULL);

  /* Bits 0, 1, 2 of the index go to the top bits of r, g, b; the next three bits to the next
   * bits down, and so on: neighbouring classes get clearly different colours. */
  for (int j = 0; j < 8; j++)
    {
      r |= ((c >> 0) & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
  rgb[0] = r;
  rgb[1] = g;
  rgb[2] = b;
}

const guint8 *
voc_colormap_table (void)
{
  static guint8 table[256 * 3];
  static gsize initialised = 0;

  if (g_once_init_enter (&initialised))
    {
      for (int i = 0; i < 256; i++)
        voc_colormap (i, table + 3 * i);
      g_once_init_leave (&initialised, 1);
    }
  return table;
}

const char *const *
voc_class_names_default (void)
{
  return class_names;
}
