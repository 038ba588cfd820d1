/* voc-image.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <png.h>

#include "unet/unet-file.h"

#include "voc-colormap.h"
#include "voc-error.h"
#include "voc-image.h"
#include "voc-private.h"

/* --- file checks ------------------------------------------------------------------------- */

static gboolean
check_regular_file (const char  *path,
                    const char  *display,
                    GError     **error)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT || saved_errno == ENOTDIR)
        g_set_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND, "%s: no such file", display);
      else
        g_set_error (error, VOC_ERROR, VOC_ERROR_IO, "%s: %s", display, g_strerror (saved_errno));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_IO, "%s: not a regular file", display);
      return FALSE;
    }
  if (st.st_size == 0)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT, "%s: the file is empty", display);
      return FALSE;
    }
  if ((gint64) st.st_size > VOC_IMAGE_MAX_BYTES)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_TOO_LARGE,
                   "%s: the file is %" G_GINT64_FORMAT " MiB, over the limit of %" G_GINT64_FORMAT
                   " MiB", display, (gint64) st.st_size >> 20, VOC_IMAGE_MAX_BYTES >> 20);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_pixels (gint64       width,
              gint64       height,
              const char  *display,
              GError     **error)
{
  if (width <= 0 || height <= 0)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT,
                   "%s: the image has no pixels (%" G_GINT64_FORMAT "×%" G_GINT64_FORMAT ")",
                   display, width, height);
      return FALSE;
    }
  /* IHDR sizes go up to 2^32 - 1: test each side first, or width × height can overflow */
  if (width > VOC_IMAGE_MAX_PIXELS || height > VOC_IMAGE_MAX_PIXELS ||
      width * height > VOC_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_TOO_LARGE,
                   "%s: the image is %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT ", over the limit "
                   "of %d megapixels", display, width, height, VOC_IMAGE_MAX_PIXELS / 1000000);
      return FALSE;
    }
  return TRUE;
}

/* Walk the JPEG marker structure up to the end-of-image marker. A cut-off file has no EOI;
 * libjpeg only warns about that and GdkPixbuf returns the image padded with grey. */
static gboolean
jpeg_is_complete (const guint8  *d,
                  gsize          n,
                  const char   **reason)
{
  gsize i = 2;

  if (n < 4 || d[0] != 0xff || d[1] != 0xd8)
    {
      *reason = "no JPEG start-of-image marker";
      return FALSE;
    }

  while (i < n)
    {
      guint8 marker;
      gsize len;

      if (d[i] != 0xff)
        {
          *reason = "damaged marker structure";
          return FALSE;
        }
      while (i < n && d[i] == 0xff)
        i++;
      if (i >= n)
        break;
      marker = d[i++];
      if (marker == 0xd9)
        return TRUE;
      if ((marker >= 0xd0 && marker <= 0xd7) || marker == 0x01)
        continue;
      if (i + 2 > n)
        break;
      len = ((gsize) d[i] << 8) | d[i + 1];
      if (len < 2)
        {
          *reason = "damaged marker structure";
          return FALSE;
        }
      if (i + len > n)
        break;
      i += len;

      if (marker == 0xda)
        {
          /* Entropy-coded data: 0xff is followed by a stuffed 0x00 or a restart marker until
           * the next real marker. */
          while (i < n)
            {
              const guint8 *p = memchr (d + i, 0xff, n - i);
              guint8 next;

              if (p == NULL || (gsize) (p - d) + 1 >= n)
                {
                  i = n;
                  break;
                }
              i = p - d;
              next = d[i + 1];
              if (next == 0x00 || (next >= 0xd0 && next <= 0xd7) || next == 0xff)
                i += next == 0xff ? 1 : 2;
              else
                break;
            }
        }
    }

  *reason = "the file ends before the end-of-image marker (truncated)";
  return FALSE;
}

/* Walk the PNG chunks up to IEND. */
static gboolean
png_is_complete (const guint8  *d,
                 gsize          n,
                 const char   **reason)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  gsize i = 8;
  gboolean first = TRUE;

  if (n < 8 || memcmp (d, signature, 8) != 0)
    {
      *reason = "no PNG signature";
      return FALSE;
    }
  while (i + 12 <= n)
    {
      guint32 len = ((guint32) d[i] << 24) | ((guint32) d[i + 1] << 16)
                    | ((guint32) d[i + 2] << 8) | d[i + 3];
      const guint8 *type = d + i + 4;

      if (len > 0x7fffffffu)
        {
          *reason = "damaged chunk length";
          return FALSE;
        }
      if (first && memcmp (type, "IHDR", 4) != 0)
        {
          *reason = "the first chunk is not IHDR";
          return FALSE;
        }
      first = FALSE;
      if ((gsize) len + 12 > n - i)
        break;
      if (memcmp (type, "IEND", 4) == 0)
        return TRUE;
      i += (gsize) len + 12;
    }
  *reason = "the file ends before the IEND chunk (truncated)";
  return FALSE;
}

/* --- RGB images -------------------------------------------------------------------------- */

/* The decoded image, turned upright by its EXIF orientation, checked to be 8-bit RGB(A) within
 * the pixel limit; NULL with an error otherwise. */
static GdkPixbuf *
load_pixbuf (const char  *path,
             const char  *display,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GdkPixbuf) oriented = NULL;
  g_autofree char *data = NULL;
  g_autofree char *format_name = NULL;
  GdkPixbufFormat *format;
  GdkPixbuf *pixbuf;
  const char *reason = NULL;
  gsize length = 0;
  int info_w = 0, info_h = 0;
  int w, h, n_channels;

  if (!check_regular_file (path, display, error))
    return NULL;

  if (!g_file_get_contents (path, &data, &length, &local_error))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_IO, "%s: %s", display, local_error->message);
      return NULL;
    }

  /* The header alone gives the size: refuse a bomb before anything is allocated for it. A PNG
   * without image data is not even recognised by GdkPixbuf, so read its IHDR here. */
  if (length >= 24 && memcmp (data + 1, "PNG", 3) == 0 && memcmp (data + 12, "IHDR", 4) == 0)
    {
      const guint8 *d = (const guint8 *) data;
      gint64 iw = ((gint64) d[16] << 24) | (d[17] << 16) | (d[18] << 8) | d[19];
      gint64 ih = ((gint64) d[20] << 24) | (d[21] << 16) | (d[22] << 8) | d[23];

      if (!check_pixels (iw, ih, display, error))
        return NULL;
    }
  format = gdk_pixbuf_get_file_info (path, &info_w, &info_h);
  if (format == NULL)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT,
                   "%s: not an image GdkPixbuf can decode (unknown format or damaged header)",
                   display);
      return NULL;
    }
  if ((info_w > 0 || info_h > 0) && !check_pixels (info_w, info_h, display, error))
    return NULL;
  format_name = gdk_pixbuf_format_get_name (format);

  if ((g_strcmp0 (format_name, "jpeg") == 0
       && !jpeg_is_complete ((const guint8 *) data, length, &reason))
      || (g_strcmp0 (format_name, "png") == 0
          && !png_is_complete ((const guint8 *) data, length, &reason)))
    {
      g_autofree char *upper = g_ascii_strup (format_name, -1);

      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT, "%s: damaged %s file: %s",
                   display, upper, reason);
      return NULL;
    }

  loader = gdk_pixbuf_loader_new_with_type (format_name, &local_error);
  if (loader == NULL
      || !gdk_pixbuf_loader_write (loader, (const guchar *) data, length, &local_error)
      || !gdk_pixbuf_loader_close (loader, &local_error))
    {
      if (loader != NULL)
        gdk_pixbuf_loader_close (loader, NULL);
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT, "%s: cannot decode the image: %s",
                   display, local_error ? local_error->message : "unknown error");
      return NULL;
    }
  /* the encoded file is no longer needed, and on a large image it is megabytes */
  g_clear_pointer (&data, g_free);
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT, "%s: cannot decode the image", display);
      return NULL;
    }
  oriented = gdk_pixbuf_apply_embedded_orientation (pixbuf);
  if (oriented == NULL)
    oriented = g_object_ref (pixbuf);

  w = gdk_pixbuf_get_width (oriented);
  h = gdk_pixbuf_get_height (oriented);
  n_channels = gdk_pixbuf_get_n_channels (oriented);
  if (!check_pixels (w, h, display, error))
    return NULL;
  if (gdk_pixbuf_get_bits_per_sample (oriented) != 8 || n_channels < 3
      || gdk_pixbuf_get_colorspace (oriented) != GDK_COLORSPACE_RGB)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_UNSUPPORTED,
                   "%s: unsupported pixel layout (%d bits, %d channels)", display,
                   gdk_pixbuf_get_bits_per_sample (oriented), n_channels);
      return NULL;
    }
  return g_steal_pointer (&oriented);
}

float *
_voc_image_load_rgb_named (const char  *path,
                           const char  *display,
                           int         *width,
                           int         *height,
                           GError     **error)
{
  g_autoptr(GdkPixbuf) pixbuf = load_pixbuf (path, display, error);
  const guint8 *pixels;
  float lut[256];
  float *rgb;
  int w, h, n_channels, rowstride;
  size_t plane;

  if (pixbuf == NULL)
    return NULL;
  w = gdk_pixbuf_get_width (pixbuf);
  h = gdk_pixbuf_get_height (pixbuf);
  n_channels = gdk_pixbuf_get_n_channels (pixbuf);
  rowstride = gdk_pixbuf_get_rowstride (pixbuf);

  for (int i = 0; i < 256; i++)
    lut[i] = (float) i / 255.0f;
  plane = (size_t) w * h;
  rgb = g_try_new (float, 3 * plane);
  if (rgb == NULL)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_TOO_LARGE, "%s: out of memory for %d×%d pixels",
                   display, w, h);
      return NULL;
    }
  pixels = gdk_pixbuf_read_pixels (pixbuf);
  for (int y = 0; y < h; y++)
    {
      const guint8 *row = pixels + (size_t) y * rowstride;
      float *r = rgb + (size_t) y * w;
      float *g = r + plane;
      float *b = g + plane;

      for (int x = 0; x < w; x++, row += n_channels)
        {
          r[x] = lut[row[0]];
          g[x] = lut[row[1]];
          b[x] = lut[row[2]];
        }
    }

  if (width)
    *width = w;
  if (height)
    *height = h;
  return rgb;
}

float *
voc_image_load_rgb (const char  *path,
                    int         *width,
                    int         *height,
                    GError     **error)
{
  g_autofree char *display = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display = g_filename_display_name (path);
  return _voc_image_load_rgb_named (path, display, width, height, error);
}

/* A decoded image's pixels copied as packed 8-bit RGB [height,width,3], alpha dropped; NULL with
 * an error when there is no memory for them. */
static guint8 *
pack_rgb8 (GdkPixbuf   *pixbuf,
           const char  *display,
           GError     **error)
{
  int w = gdk_pixbuf_get_width (pixbuf), h = gdk_pixbuf_get_height (pixbuf);
  int n_channels = gdk_pixbuf_get_n_channels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  guint8 *packed = g_try_malloc ((size_t) 3 * w * h);

  if (packed == NULL)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_TOO_LARGE, "%s: out of memory for %d×%d pixels",
                   display, w, h);
      return NULL;
    }
  for (int y = 0; y < h; y++)
    {
      const guint8 *row = pixels + (size_t) y * rowstride;
      guint8 *dst = packed + (size_t) y * w * 3;

      for (int x = 0; x < w; x++, row += n_channels)
        memcpy (dst + 3 * x, row, 3);
    }
  return packed;
}

GBytes *
voc_image_load_rgb8 (const char  *path,
                     int         *width,
                     int         *height,
                     GError     **error)
{
  g_autofree char *display = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  guint8 *packed;
  int w, h, n_channels, rowstride;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display = g_filename_display_name (path);
  pixbuf = load_pixbuf (path, display, error);
  if (pixbuf == NULL)
    return NULL;
  w = gdk_pixbuf_get_width (pixbuf);
  h = gdk_pixbuf_get_height (pixbuf);
  n_channels = gdk_pixbuf_get_n_channels (pixbuf);
  rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  if (width)
    *width = w;
  if (height)
    *height = h;

  /* A JPEG usually decodes to exactly this layout: hand out the decoder's own pixels, which
   * the bytes keep alive, rather than a copy. */
  if (n_channels == 3 && rowstride == 3 * w)
    return gdk_pixbuf_read_pixel_bytes (pixbuf);

  packed = pack_rgb8 (pixbuf, display, error);
  return packed ? g_bytes_new_take (packed, (size_t) 3 * w * h) : NULL;
}

/* --- libpng plumbing --------------------------------------------------------------------- */

/* Lives in memory (its address goes to libpng), so what is stored in it after setjmp() is still
 * there after the longjmp(). */
typedef struct
{
  char        message[256];
  guint8     *pixels;
  png_bytep  *rows;
} PngState;

static void
png_error_cb (png_structp     png,
              png_const_charp message)
{
  PngState *state = png_get_error_ptr (png);

  g_strlcpy (state->message, message, sizeof state->message);
  png_longjmp (png, 1);
}

static void
png_warning_cb (png_structp     png,
                png_const_charp message)
{
}

static const char *
describe_color_type (int color_type,
                     int bit_depth)
{
  switch (color_type)
    {
    case PNG_COLOR_TYPE_RGB:
      return "an RGB";
    case PNG_COLOR_TYPE_RGB_ALPHA:
      return "an RGBA";
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      return "a greyscale+alpha";
    default:
      return bit_depth > 8 ? "a 16-bit" : "an unusual";
    }
}

/* --- masks in ---------------------------------------------------------------------------- */

/* Decodes a PNG mask into state->pixels. Strict (instance masks, voc_mask_load()): 8-bit
 * palette or greyscale only, one byte a pixel. Otherwise any PNG: *channels is 1 (palette
 * indices or grey, 8 or 16 bits a sample, 16 as big-endian byte pairs) or 3 (RGB, 8 bits; 16-bit
 * colour is cut to 8 and alpha dropped). */
static gboolean
mask_read_png (FILE        *fp,
               const char  *display,
               PngState    *state,
               gboolean     strict,
               int         *width,
               int         *height,
               int         *channels,
               int         *sample_bytes,
               gboolean    *palette,
               GError     **error)
{
  png_structp png;
  png_infop info;
  png_uint_32 w, h;
  int bit_depth, color_type, interlace;
  volatile int n_channels = 1, bytes = 1;  /* set after setjmp */

  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, state, png_error_cb, png_warning_cb);
  if (png == NULL)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_IO, "%s: cannot start the PNG reader", display);
      return FALSE;
    }
  info = png_create_info_struct (png);
  if (info == NULL || setjmp (png_jmpbuf (png)))
    {
      png_destroy_read_struct (&png, &info, NULL);
      g_clear_pointer (&state->pixels, g_free);
      g_clear_pointer (&state->rows, g_free);
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT, "%s: damaged PNG: %s", display,
                   strstr (state->message, "Read Error") ? "the file is truncated"
                                                         : state->message);
      return FALSE;
    }

  png_init_io (png, fp);
  png_set_sig_bytes (png, 8);
  png_read_info (png, info);
  png_get_IHDR (png, info, &w, &h, &bit_depth, &color_type, &interlace, NULL, NULL);

  if (strict && ((color_type != PNG_COLOR_TYPE_PALETTE && color_type != PNG_COLOR_TYPE_GRAY)
                 || bit_depth > 8))
    {
      png_destroy_read_struct (&png, &info, NULL);
      g_set_error (error, VOC_ERROR, VOC_ERROR_UNSUPPORTED,
                   "%s: %s PNG is not a mask; a mask holds class indices as an 8-bit palette "
                   "or greyscale PNG", display, describe_color_type (color_type, bit_depth));
      return FALSE;
    }
  if (!check_pixels (w, h, display, error))
    {
      png_destroy_read_struct (&png, &info, NULL);
      return FALSE;
    }
  /* Indices stay indices: no palette expansion, no rescaling of 1/2/4-bit grey. */
  if (bit_depth < 8)
    png_set_packing (png);
  if (color_type & PNG_COLOR_MASK_ALPHA)
    png_set_strip_alpha (png);
  if (color_type & PNG_COLOR_MASK_COLOR && color_type != PNG_COLOR_TYPE_PALETTE)
    {
      png_set_strip_16 (png);
      n_channels = 3;
    }
  else if (bit_depth == 16)
    bytes = 2;
  png_set_interlace_handling (png);
  png_read_update_info (png, info);
  if (png_get_rowbytes (png, info) != (size_t) w * n_channels * bytes)
    png_error (png, "unexpected row size");

  state->pixels = g_try_malloc ((size_t) w * h * n_channels * bytes);
  if (state->pixels == NULL)
    png_error (png, "out of memory");
  state->rows = g_new (png_bytep, h);
  for (png_uint_32 y = 0; y < h; y++)
    state->rows[y] = state->pixels + (size_t) y * w * n_channels * bytes;
  png_read_image (png, state->rows);
  png_read_end (png, NULL);
  png_destroy_read_struct (&png, &info, NULL);
  g_clear_pointer (&state->rows, g_free);

  *width = w;
  *height = h;
  *channels = n_channels;
  *sample_bytes = bytes;
  *palette = color_type == PNG_COLOR_TYPE_PALETTE;
  return TRUE;
}

/* Opens a PNG and checks its signature and its size before libpng reads further; NULL (with an
 * error) when it is not one. */
static FILE *
open_png (const char  *path,
          const char  *display,
          GError     **error)
{
  guint8 header[8];
  guint8 ihdr[16];
  FILE *fp;

  if (!check_regular_file (path, display, error))
    return NULL;
  fp = g_fopen (path, "rb");
  if (fp == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, VOC_ERROR, VOC_ERROR_IO, "%s: %s", display, g_strerror (saved_errno));
      return NULL;
    }
  if (fread (header, 1, 8, fp) != 8 || png_sig_cmp (header, 0, 8) != 0)
    {
      fclose (fp);
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT, "%s: not a PNG file", display);
      return NULL;
    }
  /* The size from IHDR (always the first chunk) before libpng reads any further. */
  if (fread (ihdr, 1, sizeof ihdr, fp) == sizeof ihdr && memcmp (ihdr + 4, "IHDR", 4) == 0)
    {
      gint64 iw = ((gint64) ihdr[8] << 24) | (ihdr[9] << 16) | (ihdr[10] << 8) | ihdr[11];
      gint64 ih = ((gint64) ihdr[12] << 24) | (ihdr[13] << 16) | (ihdr[14] << 8) | ihdr[15];

      if (iw > 0 && ih > 0 && !check_pixels (iw, ih, display, error))
        {
          fclose (fp);
          return NULL;
        }
    }
  if (fseek (fp, 8, SEEK_SET) != 0)
    {
      int saved_errno = errno;

      fclose (fp);
      g_set_error (error, VOC_ERROR, VOC_ERROR_IO, "%s: %s", display, g_strerror (saved_errno));
      return NULL;
    }
  return fp;
}

static gboolean
has_png_signature (const char *path)
{
  guint8 header[8];
  FILE *fp = g_fopen (path, "rb");
  gboolean png;

  if (fp == NULL)
    return FALSE;
  png = fread (header, 1, 8, fp) == 8 && png_sig_cmp (header, 0, 8) == 0;
  fclose (fp);
  return png;
}

gboolean
_voc_mask_load_raw_named (const char  *path,
                          const char  *display,
                          VocRawMask  *raw,
                          GError     **error)
{
  memset (raw, 0, sizeof *raw);
  if (has_png_signature (path))
    {
      PngState state = { { 0 }, NULL, NULL };
      FILE *fp = open_png (path, display, error);
      int channels = 1, bytes = 1;
      gboolean ok;
      size_t n;

      if (fp == NULL)
        return FALSE;
      ok = mask_read_png (fp, display, &state, FALSE, &raw->width, &raw->height, &channels,
                          &bytes, &raw->palette, error);
      fclose (fp);
      if (!ok)
        return FALSE;
      n = (size_t) raw->width * raw->height;
      if (channels == 3)
        {
          raw->rgb = g_steal_pointer (&state.pixels);
          return TRUE;
        }
      raw->bits = 8 * bytes;
      raw->values = g_try_new (guint16, n);
      if (raw->values == NULL)
        {
          g_free (state.pixels);
          g_set_error (error, VOC_ERROR, VOC_ERROR_TOO_LARGE,
                       "%s: out of memory for %d×%d pixels", display, raw->width, raw->height);
          return FALSE;
        }
      for (size_t i = 0; i < n; i++)
        raw->values[i] = bytes == 2 ? (state.pixels[2 * i] << 8) | state.pixels[2 * i + 1]
                                    : state.pixels[i];
      g_free (state.pixels);
      return TRUE;
    }

  /* TIFF, BMP, GIF, …: what GdkPixbuf reads, as 8-bit RGB */
  {
    g_autoptr(GdkPixbuf) pixbuf = load_pixbuf (path, display, error);

    if (pixbuf == NULL)
      return FALSE;
    raw->width = gdk_pixbuf_get_width (pixbuf);
    raw->height = gdk_pixbuf_get_height (pixbuf);
    raw->rgb = pack_rgb8 (pixbuf, display, error);
    return raw->rgb != NULL;
  }
}

guint8 *
_voc_mask_load_named (const char  *path,
                      const char  *display,
                      int         *width,
                      int         *height,
                      GError     **error)
{
  PngState state = { { 0 }, NULL, NULL };
  FILE *fp = open_png (path, display, error);
  int w = 0, h = 0, channels, bytes;
  gboolean palette, ok;

  if (fp == NULL)
    return NULL;
  ok = mask_read_png (fp, display, &state, TRUE, &w, &h, &channels, &bytes, &palette, error);
  fclose (fp);
  if (!ok)
    return NULL;

  if (width)
    *width = w;
  if (height)
    *height = h;
  return state.pixels;
}

guint8 *
voc_mask_load (const char  *path,
               int         *width,
               int         *height,
               GError     **error)
{
  g_autofree char *display = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display = g_filename_display_name (path);
  return _voc_mask_load_named (path, display, width, height, error);
}

/* --- PNGs out ---------------------------------------------------------------------------- */

/* Fills row y (width × channels bytes) of an image that is written without being held whole. */
typedef void (*RowFunc) (guint8   *row,
                         int       y,
                         gpointer  user_data);

/* channels 1: palette indices with `palette`; channels 3: interleaved RGB. The rows are
 * `pixels`, or when that is NULL what render_row makes of them one at a time. */
static gboolean
write_png_rows (FILE          *fp,
                const guint8  *pixels,
                RowFunc        render_row,
                gpointer       user_data,
                int            width,
                int            height,
                int            channels,
                const guint8  *palette,
                PngState      *state)
{
  png_structp png;
  png_infop info;

  png = png_create_write_struct (PNG_LIBPNG_VER_STRING, state, png_error_cb, png_warning_cb);
  if (png == NULL)
    {
      g_strlcpy (state->message, "cannot start the PNG writer", sizeof state->message);
      return FALSE;
    }
  info = png_create_info_struct (png);
  if (info == NULL || setjmp (png_jmpbuf (png)))
    {
      png_destroy_write_struct (&png, &info);
      g_clear_pointer (&state->rows, g_free);
      g_clear_pointer (&state->pixels, g_free);
      return FALSE;
    }

  png_init_io (png, fp);
  if (channels == 1)
    {
      png_color colors[256];

      for (int i = 0; i < 256; i++)
        {
          colors[i].red = palette[3 * i];
          colors[i].green = palette[3 * i + 1];
          colors[i].blue = palette[3 * i + 2];
        }
      png_set_IHDR (png, info, width, height, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
                    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
      png_set_PLTE (png, info, colors, 256);
    }
  else
    {
      png_set_IHDR (png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    }
  png_write_info (png, info);
  if (pixels != NULL)
    {
      state->rows = g_new (png_bytep, height);
      for (int y = 0; y < height; y++)
        state->rows[y] = (png_bytep) pixels + (size_t) y * width * channels;
      png_write_image (png, state->rows);
    }
  else
    {
      /* state->pixels, so that an error frees it */
      state->pixels = g_malloc ((size_t) width * channels);
      for (int y = 0; y < height; y++)
        {
          render_row (state->pixels, y, user_data);
          png_write_row (png, state->pixels);
        }
      g_clear_pointer (&state->pixels, g_free);
    }
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  g_clear_pointer (&state->rows, g_free);
  return TRUE;
}

/* Readers never see a half-written file: libunet's atomic writer puts the PNG in a temporary
 * file beside the target, flushes it to disk, then renames it over the target. */
static gboolean
png_save_atomic (const char    *path,
                 const guint8  *pixels,
                 RowFunc        render_row,
                 gpointer       user_data,
                 int            width,
                 int            height,
                 int            channels,
                 const guint8  *palette,
                 GError       **error)
{
  g_autofree char *display = g_filename_display_name (path);
  g_autoptr(UnetAtomicFile) file = NULL;
  g_autoptr(GError) local_error = NULL;
  PngState state = { { 0 }, NULL, NULL };

  if (width <= 0 || height <= 0
      || (gint64) width * height > VOC_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT,
                   "%s: cannot write a %d×%d image", display, width, height);
      return FALSE;
    }

  file = unet_atomic_file_open (path, &local_error);
  if (file == NULL)
    goto fail;
  if (!write_png_rows (unet_atomic_file_get_stream (file), pixels, render_row, user_data,
                       width, height, channels, palette, &state))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_IO, "%s: cannot write the PNG: %s", display,
                   state.message);
      return FALSE;
    }
  if (!unet_atomic_file_commit (file, &local_error))
    goto fail;
  return TRUE;

fail:
  /* the data layer's errors are VOC_ERROR; the message already names the file */
  g_set_error_literal (error, VOC_ERROR, VOC_ERROR_IO, local_error->message);
  return FALSE;
}

gboolean
voc_mask_save_png_with_palette (const char   *path,
                                const guint8 *classes,
                                int           width,
                                int           height,
                                const guint8 *palette,
                                GError      **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (classes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return png_save_atomic (path, classes, NULL, NULL, width, height, 1,
                          palette ? palette : voc_colormap_table (), error);
}

gboolean
voc_mask_save_png (const char   *path,
                   const guint8 *classes,
                   int           width,
                   int           height,
                   GError      **error)
{
  return voc_mask_save_png_with_palette (path, classes, width, height, NULL, error);
}

/* One pixel of the overlay: the same arithmetic from the 8-bit value as voc_overlay_render does
 * from the float voc_image_load_rgb makes of it. */
static inline guint8
blend (float        value,
       guint8       k,
       const guint8 colour[3],
       int          c,
       float        a)
{
  float v = CLAMP (value, 0.0f, 1.0f) * 255.0f;

  if (k != VOC_VOID && !voc_colour_is_clear (colour))
    v = (1.0f - a) * v + a * colour[c];
  return (guint8) (v + 0.5f);
}

void
voc_overlay_render (const float  *rgb,
                    const guint8 *classes,
                    int           width,
                    int           height,
                    const guint8 *palette,
                    double        alpha,
                    guint8       *out)
{
  size_t plane = (size_t) width * height;
  float a = (float) CLAMP (alpha, 0.0, 1.0);

  g_return_if_fail (rgb != NULL);
  g_return_if_fail (classes != NULL);
  g_return_if_fail (out != NULL);

  if (palette == NULL)
    palette = voc_colormap_table ();

  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      out[3 * i + c] = blend (rgb[c * plane + i], classes[i], palette + 3 * classes[i], c, a);
}

gboolean
voc_overlay_save_png (const char   *path,
                      const float  *rgb,
                      const guint8 *classes,
                      int           width,
                      int           height,
                      const guint8 *palette,
                      double        alpha,
                      GError      **error)
{
  g_autofree guint8 *pixels = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (rgb != NULL, FALSE);
  g_return_val_if_fail (classes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (width <= 0 || height <= 0 || (gint64) width * height > VOC_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT,
                   "%s: cannot write a %d×%d image", path, width, height);
      return FALSE;
    }
  pixels = g_malloc ((size_t) width * height * 3);
  voc_overlay_render (rgb, classes, width, height, palette, alpha, pixels);
  return png_save_atomic (path, pixels, NULL, NULL, width, height, 3, NULL, error);
}

void
voc_overlay_render_rgb8 (const guint8 *rgb8,
                         const guint8 *classes,
                         int           width,
                         int           height,
                         const guint8 *palette,
                         double        alpha,
                         guint8       *out)
{
  size_t plane = (size_t) width * height;
  float a = (float) CLAMP (alpha, 0.0, 1.0);
  float lut[256];

  g_return_if_fail (rgb8 != NULL);
  g_return_if_fail (classes != NULL);
  g_return_if_fail (out != NULL);

  if (palette == NULL)
    palette = voc_colormap_table ();
  for (int i = 0; i < 256; i++)
    lut[i] = (float) i / 255.0f;

  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      out[3 * i + c] = blend (lut[rgb8[3 * i + c]], classes[i], palette + 3 * classes[i], c, a);
}

typedef struct
{
  const guint8 *rgb8;
  const guint8 *classes;
  int           width;
  const guint8 *palette;
  double        alpha;
} OverlayRows;

static void
render_overlay_row (guint8   *row,
                    int       y,
                    gpointer  user_data)
{
  const OverlayRows *o = user_data;
  size_t at = (size_t) y * o->width;

  voc_overlay_render_rgb8 (o->rgb8 + 3 * at, o->classes + at, o->width, 1, o->palette, o->alpha,
                           row);
}

gboolean
voc_overlay_save_png_rgb8 (const char   *path,
                           const guint8 *rgb8,
                           const guint8 *classes,
                           int           width,
                           int           height,
                           const guint8 *palette,
                           double        alpha,
                           GError      **error)
{
  OverlayRows rows = { rgb8, classes, width, palette, alpha };

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (rgb8 != NULL, FALSE);
  g_return_val_if_fail (classes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return png_save_atomic (path, NULL, render_overlay_row, &rows, width, height, 3, NULL, error);
}
