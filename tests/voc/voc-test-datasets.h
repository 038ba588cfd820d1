/* voc-test-datasets.h — small datasets that tests write for themselves
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "voc/voc.h"
#include "voc-test-util.h"

/* A plain dataset of 21 classes, some named outside ASCII; the masks hold background and the
 * last two. */
static inline char *
voc_test_make_non_ascii_dataset (void)
{
  g_autoptr(GString) classes = g_string_new ("background\n");
  char *root = voc_test_tmpdir ();
  g_autofree char *images = g_build_filename (root, "images", NULL);
  g_autofree char *masks = g_build_filename (root, "masks", NULL);

  for (int k = 1; k < 19; k++)
    g_string_append_printf (classes, "class %d\n", k);
  g_string_append (classes, "Gefäß\n細胞\n");
  voc_test_write (root, "classes.txt", classes->str, classes->len);
  g_assert_cmpint (g_mkdir (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (masks, 0755), ==, 0);
  for (int n = 0; n < 6; n++)
    {
      g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 32, 32);
      g_autofree guint8 *labels = g_new0 (guint8, 32 * 32);
      g_autofree char *image_path = g_strdup_printf ("%s/img%d.png", images, n);
      g_autofree char *mask_path = g_strdup_printf ("%s/img%d.png", masks, n);
      g_autoptr(GError) error = NULL;

      gdk_pixbuf_fill (pixbuf, 0x505050ff);
      for (int y = 8; y < 24; y++)
        for (int x = 4 + n; x < 20 + n; x++)
          {
            guint8 *p = gdk_pixbuf_get_pixels (pixbuf) + y * gdk_pixbuf_get_rowstride (pixbuf) + 3 * x;

            p[0] = n % 2 ? 220 : 30;
            p[1] = n % 2 ? 30 : 220;
            labels[y * 32 + x] = n % 2 ? 19 : 20;
          }
      g_assert_true (gdk_pixbuf_save (pixbuf, image_path, "png", &error, NULL));
      g_assert_true (voc_mask_save_png (mask_path, labels, 32, 32, &error));
      g_assert_no_error (error);
    }
  return root;
}
