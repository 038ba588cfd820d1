/* voc-image.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Images and masks larger than this are refused before anything is decoded (a decompression
 * bomb must not allocate gigabytes): 100 megapixels is a 10000×10000 scan. */
#define VOC_IMAGE_MAX_PIXELS (100 * 1000 * 1000)
/* Files larger than this are refused before they are read. */
#define VOC_IMAGE_MAX_BYTES  (G_GINT64_CONSTANT (512) * 1024 * 1024)

/* Decode any image GdkPixbuf reads (JPEG, PNG, …) into planar RGB floats [3,height,width] in
 * [0,1], turned upright by its EXIF orientation; greyscale becomes RGB and alpha is dropped.
 * JPEG and PNG files are checked for truncation first (GdkPixbuf itself accepts a cut-off
 * file and fills the rest with grey). Free the result with g_free(). */
float   *voc_image_load_rgb    (const char    *path,
                                int           *width,
                                int           *height,
                                GError       **error);

/* The same image as packed 8-bit RGB [height,width,3], rows without padding: 3 bytes a pixel
 * instead of 12, where value v stands for the v / 255.0f voc_image_load_rgb gives. The bytes
 * may be the decoder's own memory (a JPEG's usually are), kept alive by them: no copy. */
GBytes  *voc_image_load_rgb8   (const char    *path,
                                int           *width,
                                int           *height,
                                GError       **error);

/* Read a mask PNG as raw indices [height,width]: a palette PNG gives its palette indices (the
 * palette itself is ignored, never expanded to RGB), an 8-bit greyscale PNG its grey values.
 * RGB, alpha and 16-bit PNGs are refused. Free with g_free(). */
guint8  *voc_mask_load         (const char    *path,
                                int           *width,
                                int           *height,
                                GError       **error);

/* Write a class map [height,width] as an 8-bit palette PNG whose pixel values are the class
 * indices, with the full 256-entry VOC colormap (as in SegmentationClass/), atomically: a
 * temporary file in the same folder, fsync, rename. */
gboolean voc_mask_save_png     (const char    *path,
                                const guint8  *classes,
                                int            width,
                                int            height,
                                GError       **error);

/* The same with another palette: 768 bytes r,g,b for indices 0..255 (NULL = VOC colormap). */
gboolean voc_mask_save_png_with_palette (const char   *path,
                                         const guint8 *classes,
                                         int           width,
                                         int           height,
                                         const guint8 *palette,
                                         GError      **error);

/* Blend class colours over an image: out [height,width,3] interleaved 8-bit RGB. Pixels of class
 * 0 (background) and 255 (void) keep the image; the others become
 * (1 - alpha)·image + alpha·colour. palette as above (NULL = VOC colormap). */
void     voc_overlay_render    (const float   *rgb,
                                const guint8  *classes,
                                int            width,
                                int            height,
                                const guint8  *palette,
                                double         alpha,
                                guint8        *out);

/* voc_overlay_render() written as an RGB PNG, atomically. */
gboolean voc_overlay_save_png  (const char    *path,
                                const float   *rgb,
                                const guint8  *classes,
                                int            width,
                                int            height,
                                const guint8  *palette,
                                double         alpha,
                                GError       **error);

/* voc_overlay_render for packed 8-bit RGB [height,width,3]: the same pixels as from the floats
 * voc_image_load_rgb gives for it. out may be rgb8 itself. */
void     voc_overlay_render_rgb8 (const guint8 *rgb8,
                                  const guint8 *classes,
                                  int           width,
                                  int           height,
                                  const guint8 *palette,
                                  double        alpha,
                                  guint8       *out);

/* voc_overlay_render_rgb8() written as an RGB PNG, atomically, a row at a time: it needs no
 * memory of the image's size. */
gboolean voc_overlay_save_png_rgb8 (const char   *path,
                                    const guint8 *rgb8,
                                    const guint8 *classes,
                                    int           width,
                                    int           height,
                                    const guint8 *palette,
                                    double        alpha,
                                    GError      **error);

G_END_DECLS
