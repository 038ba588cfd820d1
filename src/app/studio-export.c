/* studio-export.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "draw/draw-legend.h"
#include "voc/voc.h"

#include "studio-export.h"

char *
studio_export_stem (const char *image_path)
{
  g_autofree char *name = g_path_get_basename (image_path);
  char *dot = strrchr (name, '.');

  if (dot != NULL && dot != name)
    *dot = '\0';
  return g_steal_pointer (&name);
}

/* The voc writers take a full 256-entry palette: the model's classes first, VOC's for the rest. */
static void
full_palette (const guint8 *palette,
              int           n_classes,
              guint8        out[768])
{
  memcpy (out, voc_colormap_table (), 768);
  if (palette != NULL)
    memcpy (out, palette, (gsize) MIN (n_classes, 256) * 3);
}

gboolean
studio_export_mask (StudioSegmentation  *segmentation,
                    const char          *path,
                    const guint8        *palette,
                    GError             **error)
{
  guint8 colours[768];

  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (segmentation), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  full_palette (palette, studio_segmentation_get_n_classes (segmentation), colours);
  return voc_mask_save_png_with_palette (path, studio_segmentation_get_classes (segmentation),
                                         studio_segmentation_get_width (segmentation),
                                         studio_segmentation_get_height (segmentation),
                                         colours, error);
}

gboolean
studio_export_overlay (StudioSegmentation  *segmentation,
                       const char          *path,
                       const guint8        *palette,
                       double               opacity,
                       GError             **error)
{
  int width, height;
  guint8 colours[768];

  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (segmentation), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  width = studio_segmentation_get_width (segmentation);
  height = studio_segmentation_get_height (segmentation);
  full_palette (palette, studio_segmentation_get_n_classes (segmentation), colours);
  /* from the bytes, a row at a time: nothing the image's size is allocated */
  return voc_overlay_save_png_rgb8 (path, studio_segmentation_get_rgb (segmentation),
                                    studio_segmentation_get_classes (segmentation), width, height,
                                    colours, opacity, error);
}

gboolean
studio_export_class_masks (StudioSegmentation  *segmentation,
                           const char          *dir,
                           const char          *stem,
                           GPtrArray           *written,
                           GError             **error)
{
  const guint64 *counts;
  const guint8 *classes;
  const char *const *names;
  int n_classes, width, height;
  gsize n_pixels;
  g_autofree guint8 *binary = NULL;
  guint8 grey[768];

  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (segmentation), FALSE);
  g_return_val_if_fail (dir != NULL && stem != NULL, FALSE);

  counts = studio_segmentation_get_counts (segmentation);
  classes = studio_segmentation_get_classes (segmentation);
  names = studio_segmentation_get_class_names (segmentation);
  n_classes = studio_segmentation_get_n_classes (segmentation);
  width = studio_segmentation_get_width (segmentation);
  height = studio_segmentation_get_height (segmentation);
  n_pixels = (gsize) width * height;
  binary = g_malloc (n_pixels);

  /* A grey ramp as the palette: the pixel values 0 and 255 show as black and white. */
  for (int i = 0; i < 256; i++)
    grey[i * 3] = grey[i * 3 + 1] = grey[i * 3 + 2] = (guint8) i;

  for (int c = 0; c < n_classes; c++)
    {
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;

      if (counts[c] == 0)
        continue;
      for (gsize i = 0; i < n_pixels; i++)
        binary[i] = classes[i] == c ? 255 : 0;
      /* a class name is free text (classes.txt, a model's metadata): never a path */
      name = g_strdup_printf ("%s-%s.png", stem, names[c]);
      g_strdelimit (name, "/\\", '_');
      path = g_build_filename (dir, name, NULL);
      if (!voc_mask_save_png_with_palette (path, binary, width, height, grey, error))
        return FALSE;
      if (written != NULL)
        g_ptr_array_add (written, g_steal_pointer (&path));
    }
  return TRUE;
}

gboolean
studio_export_legend (StudioSegmentation  *segmentation,
                      const char          *path,
                      const guint8        *palette,
                      GError             **error)
{
  g_autoptr(GArray) entries = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gboolean svg;

  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (segmentation), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  entries = draw_legend_entries_new (studio_segmentation_get_counts (segmentation),
                                     studio_segmentation_get_n_classes (segmentation),
                                     studio_segmentation_get_class_names (segmentation),
                                     palette != NULL ? palette : voc_colormap_table ());
  svg = g_str_has_suffix (path, ".svg") || g_str_has_suffix (path, ".SVG");
  bytes = svg ? draw_legend_render_svg ((DrawLegendEntry *) entries->data, entries->len, NULL, error)
              : draw_legend_render_png ((DrawLegendEntry *) entries->data, entries->len, NULL, error);
  if (bytes == NULL)
    return FALSE;
  return g_file_set_contents_full (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0644, error);
}

gboolean
studio_export_segmentation (StudioSegmentation  *segmentation,
                            const char          *out_dir,
                            StudioExportFlags    flags,
                            const guint8        *palette,
                            double               opacity,
                            GError             **error)
{
  g_autofree char *stem = NULL;

  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (segmentation), FALSE);
  g_return_val_if_fail (out_dir != NULL, FALSE);

  stem = studio_export_stem (studio_segmentation_get_image_path (segmentation));
  if (g_mkdir_with_parents (out_dir, 0755) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create the folder %s: %s"), out_dir, g_strerror (saved_errno));
      return FALSE;
    }
  if (flags & STUDIO_EXPORT_MASK)
    {
      g_autofree char *name = g_strconcat (stem, ".png", NULL);
      g_autofree char *path = g_build_filename (out_dir, name, NULL);

      if (!studio_export_mask (segmentation, path, palette, error))
        return FALSE;
    }
  if (flags & STUDIO_EXPORT_OVERLAY)
    {
      g_autofree char *name = g_strconcat (stem, "-overlay.png", NULL);
      g_autofree char *path = g_build_filename (out_dir, name, NULL);

      if (!studio_export_overlay (segmentation, path, palette, opacity, error))
        return FALSE;
    }
  if ((flags & STUDIO_EXPORT_CLASS_MASKS) &&
      !studio_export_class_masks (segmentation, out_dir, stem, NULL, error))
    return FALSE;
  if (flags & STUDIO_EXPORT_LEGEND)
    {
      g_autofree char *name = g_strconcat (stem, "-legend.png", NULL);
      g_autofree char *path = g_build_filename (out_dir, name, NULL);

      if (!studio_export_legend (segmentation, path, palette, error))
        return FALSE;
    }
  return TRUE;
}
