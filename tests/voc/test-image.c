/* test-image.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <png.h>

#include "voc/voc.h"
#include "voc-test-util.h"

static void
test_colormap (void)
{
  static const struct { int index; guint8 rgb[3]; } expected[] = {
    { 0, { 0, 0, 0 } }, { 1, { 128, 0, 0 } }, { 2, { 0, 128, 0 } }, { 3, { 128, 128, 0 } },
    { 4, { 0, 0, 128 } }, { 5, { 128, 0, 128 } }, { 15, { 192, 128, 128 } },
    { 20, { 0, 64, 128 } }, { 255, { 224, 224, 192 } },
  };
  const guint8 *table = voc_colormap_table ();
  const char *const *names = voc_class_names_default ();

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      guint8 rgb[3];

      voc_colormap (expected[i].index, rgb);
      g_assert_cmpmem (rgb, 3, expected[i].rgb, 3);
      g_assert_cmpmem (table + 3 * expected[i].index, 3, expected[i].rgb, 3);
    }
  g_assert_cmpuint (g_strv_length ((char **) names), ==, VOC_N_CLASSES);
  g_assert_cmpstr (names[0], ==, "background");
  g_assert_cmpstr (names[15], ==, "person");
  g_assert_cmpstr (names[20], ==, "tvmonitor");
}

/* Read a PNG's palette with libpng directly, to check what voc_mask_save_png() wrote. */
static int
read_palette (const char *path,
              guint8      palette[768],
              int        *color_type)
{
  FILE *fp = fopen (path, "rb");
  png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  png_colorp colors = NULL;
  int n = 0;

  g_assert_nonnull (fp);
  if (setjmp (png_jmpbuf (png)))
    g_assert_not_reached ();
  png_init_io (png, fp);
  png_read_info (png, info);
  *color_type = png_get_color_type (png, info);
  if (png_get_PLTE (png, info, &colors, &n))
    for (int i = 0; i < n; i++)
      {
        palette[3 * i] = colors[i].red;
        palette[3 * i + 1] = colors[i].green;
        palette[3 * i + 2] = colors[i].blue;
      }
  png_destroy_read_struct (&png, &info, NULL);
  fclose (fp);
  return n;
}

static void
test_real_image_and_mask (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *jpg = NULL, *cls = NULL, *obj = NULL;
  g_autofree float *rgb = NULL;
  g_autofree guint8 *mask = NULL, *inst = NULL;
  guint8 palette[768];
  gboolean seen[256] = { FALSE };
  int w = 0, h = 0, mw = 0, mh = 0, iw = 0, ih = 0, color_type = 0;
  float lo = 1, hi = 0;

  if (voc_test_root () == NULL)
    return;
  jpg = voc_test_path ("JPEGImages", "000032.jpg", NULL);
  cls = voc_test_path ("SegmentationClass", "000032.png", NULL);
  obj = voc_test_path ("SegmentationObject", "000032.png", NULL);

  rgb = voc_image_load_rgb (jpg, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, 500);
  g_assert_cmpint (h, ==, 281);
  for (size_t i = 0; i < (size_t) 3 * w * h; i++)
    {
      lo = MIN (lo, rgb[i]);
      hi = MAX (hi, rgb[i]);
    }
  g_assert_cmpfloat (lo, >=, 0.0f);
  g_assert_cmpfloat (hi, <=, 1.0f);
  g_assert_cmpfloat (hi - lo, >, 0.5f);

  /* Raw palette indices: only classes and void, never RGB. */
  mask = voc_mask_load (cls, &mw, &mh, &error);
  g_assert_no_error (error);
  g_assert_cmpint (mw, ==, 500);
  g_assert_cmpint (mh, ==, 281);
  for (size_t i = 0; i < (size_t) mw * mh; i++)
    seen[mask[i]] = TRUE;
  for (int v = 0; v < 256; v++)
    if (seen[v])
      g_assert_true (v <= 20 || v == 255);
  g_assert_true (seen[0] && seen[1] && seen[15] && seen[255]); /* aeroplanes and people */

  inst = voc_mask_load (obj, &iw, &ih, &error);
  g_assert_no_error (error);
  g_assert_cmpint (iw, ==, 500);
  g_assert_cmpint (ih, ==, 281);
  memset (seen, 0, sizeof seen);
  for (size_t i = 0; i < (size_t) iw * ih; i++)
    seen[inst[i]] = TRUE;
  for (int v = 1; v <= 4; v++)
    g_assert_true (seen[v]);
  for (int v = 5; v < 255; v++)
    g_assert_false (seen[v]);

  /* The devkit's own palette is the colormap rule. */
  g_assert_cmpint (read_palette (cls, palette, &color_type), ==, 256);
  g_assert_cmpmem (palette, 768, voc_colormap_table (), 768);
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_mask_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "mask.png", NULL);
  g_autofree guint8 *classes = NULL;
  g_autofree guint8 *back = NULL;
  guint8 palette[768];
  GRand *rand = g_rand_new_with_seed (7);
  int w = 37, h = 23, rw = 0, rh = 0, color_type = -1;

  classes = g_new (guint8, w * h);
  for (int i = 0; i < w * h; i++)
    classes[i] = g_rand_int_range (rand, 0, 4) == 0 ? 255 : g_rand_int_range (rand, 0, 21);
  g_rand_free (rand);

  g_assert_true (voc_mask_save_png (path, classes, w, h, &error));
  g_assert_no_error (error);
  /* Written twice: the rename replaces the file and leaves no temporary behind. */
  classes[0] = 7;
  g_assert_true (voc_mask_save_png (path, classes, w, h, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (dir), ==, 1);

  back = voc_mask_load (path, &rw, &rh, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rw, ==, w);
  g_assert_cmpint (rh, ==, h);
  g_assert_cmpmem (back, w * h, classes, w * h);

  g_assert_cmpint (read_palette (path, palette, &color_type), ==, 256);
  g_assert_cmpint (color_type, ==, PNG_COLOR_TYPE_PALETTE);
  g_assert_cmpmem (palette, 768, voc_colormap_table (), 768);

  /* Into a folder that does not exist: an error naming the file, no crash. */
  {
    g_autofree char *bad = g_build_filename (dir, "nope", "mask.png", NULL);

    g_assert_false (voc_mask_save_png (bad, classes, w, h, &error));
    g_assert_error (error, VOC_ERROR, VOC_ERROR_IO);
    g_assert_nonnull (strstr (error->message, "mask.png"));
    g_clear_error (&error);
  }

  voc_test_rm_rf (dir);
}

static void
test_overlay (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "overlay.png", NULL);
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  float rgb[3 * 4] = { 0.5f, 0.5f, 0.5f, 0.5f, 0.2f, 0.2f, 0.2f, 0.2f, 1, 1, 1, 1 };
  guint8 classes[4] = { 0, 1, 15, 255 };
  guint8 out[12];
  const guint8 *pixels;

  voc_overlay_render (rgb, classes, 2, 2, NULL, 0.5, out);
  /* background and void keep the image; class 1 (128,0,0) blended half and half */
  g_assert_cmpuint (out[0], ==, 128);
  g_assert_cmpuint (out[1], ==, 51);
  g_assert_cmpuint (out[2], ==, 255);
  g_assert_cmpuint (out[3], ==, (guint) (0.5 * 127.5 + 0.5 * 128 + 0.5));
  g_assert_cmpuint (out[4], ==, (guint) (0.5 * 51 + 0.5 * 0 + 0.5));
  g_assert_cmpuint (out[9], ==, 128);

  g_assert_true (voc_overlay_save_png (path, rgb, classes, 2, 2, NULL, 0.5, &error));
  g_assert_no_error (error);
  pixbuf = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 2);
  pixels = gdk_pixbuf_read_pixels (pixbuf);
  g_assert_cmpmem (pixels, 6, out, 6);
  voc_test_rm_rf (dir);
}

/* Every value from 0 to 255 under background, two classes and void, at an opacity that leaves
 * fractions to round: the 8-bit overlay is the float one, pixel for pixel, also in place and
 * written a row at a time. */
static void
test_overlay_rgb8 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "overlay8.png", NULL);
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  const guint8 labels[4] = { 0, 1, 15, 255 };
  const int w = 64, h = 16;
  size_t plane = (size_t) w * h;
  g_autofree guint8 *rgb8 = g_new (guint8, 3 * plane);
  g_autofree float *rgb = g_new (float, 3 * plane);
  g_autofree guint8 *classes = g_new (guint8, plane);
  g_autofree guint8 *expected = g_new (guint8, 3 * plane);
  g_autofree guint8 *out = g_new (guint8, 3 * plane);

  for (size_t i = 0; i < plane; i++)
    {
      classes[i] = labels[i / 256];
      for (int c = 0; c < 3; c++)
        {
          rgb8[3 * i + c] = (guint8) ((i + 85 * c) % 256);
          rgb[c * plane + i] = (float) rgb8[3 * i + c] / 255.0f;
        }
    }
  voc_overlay_render (rgb, classes, w, h, NULL, 0.37, expected);
  voc_overlay_render_rgb8 (rgb8, classes, w, h, NULL, 0.37, out);
  g_assert_cmpmem (out, 3 * plane, expected, 3 * plane);

  g_assert_true (voc_overlay_save_png_rgb8 (path, rgb8, classes, w, h, NULL, 0.37, &error));
  g_assert_no_error (error);
  pixbuf = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, w);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, h);
  for (int y = 0; y < h; y++)
    g_assert_cmpmem (gdk_pixbuf_read_pixels (pixbuf) + (size_t) y * gdk_pixbuf_get_rowstride (pixbuf),
                     3 * w, expected + (size_t) 3 * w * y, 3 * w);

  voc_overlay_render_rgb8 (rgb8, classes, w, h, NULL, 0.37, rgb8);
  g_assert_cmpmem (rgb8, 3 * plane, expected, 3 * plane);

  /* a size it cannot write: an error, and no file */
  g_assert_false (voc_overlay_save_png_rgb8 (path, rgb8, classes, 0, h, NULL, 0.37, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT);
  voc_test_rm_rf (dir);
}

/* voc_image_load_rgb8 gives the pixels voc_image_load_rgb gives, as bytes. */
static void
assert_rgb8_matches (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *rgb = NULL;
  g_autoptr(GBytes) rgb8 = NULL;
  const guint8 *bytes;
  int w = 0, h = 0, w8 = 0, h8 = 0;
  size_t plane;

  rgb = voc_image_load_rgb (path, &w, &h, &error);
  g_assert_no_error (error);
  rgb8 = voc_image_load_rgb8 (path, &w8, &h8, &error);
  g_assert_no_error (error);
  g_assert_cmpint (w8, ==, w);
  g_assert_cmpint (h8, ==, h);
  plane = (size_t) w * h;
  g_assert_cmpuint (g_bytes_get_size (rgb8), ==, 3 * plane);
  bytes = g_bytes_get_data (rgb8, NULL);
  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      if ((float) bytes[3 * i + c] / 255.0f != rgb[c * plane + i])
        g_error ("%s: pixel %zu channel %d is %u as a byte, %.9g as a float", path, i, c,
                 bytes[3 * i + c], rgb[c * plane + i]);
}

static void
write_grey_png (const char   *path,
                const guint8 *pixels,
                int           w,
                int           h,
                int           color_type,
                int           rows_to_write)
{
  FILE *fp = fopen (path, "wb");
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  int channels = color_type == PNG_COLOR_TYPE_RGB ? 3 : 1;

  g_assert_nonnull (fp);
  if (setjmp (png_jmpbuf (png)))
    g_assert_not_reached ();
  png_init_io (png, fp);
  png_set_IHDR (png, info, w, h, 8, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  for (int y = 0; y < rows_to_write; y++)
    png_write_row (png, (png_const_bytep) pixels + (size_t) y * w * channels);
  if (rows_to_write == h)
    png_write_end (png, NULL);
  else
    fflush (fp);
  png_destroy_write_struct (&png, &info);
  fclose (fp);
}

static void
test_grey_and_rgb_masks (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *grey = g_build_filename (dir, "grey.png", NULL);
  g_autofree char *rgb = g_build_filename (dir, "rgb.png", NULL);
  g_autofree char *huge = g_build_filename (dir, "huge.png", NULL);
  g_autofree guint8 *back = NULL;
  guint8 pixels[6 * 4 * 3];
  int w = 0, h = 0;

  for (guint i = 0; i < sizeof pixels; i++)
    pixels[i] = i % 3 == 0 ? 255 : i % 21;
  write_grey_png (grey, pixels, 6, 4, PNG_COLOR_TYPE_GRAY, 4);
  back = voc_mask_load (grey, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, 6);
  g_assert_cmpmem (back, 24, pixels, 24);

  write_grey_png (rgb, pixels, 6, 4, PNG_COLOR_TYPE_RGB, 4);
  g_assert_null (voc_mask_load (rgb, &w, &h, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "rgb.png"));
  g_assert_nonnull (strstr (error->message, "RGB"));
  g_clear_error (&error);

  /* A header announcing 20000×20000 pixels: refused before any allocation. */
  write_grey_png (huge, pixels, 20000, 20000, PNG_COLOR_TYPE_GRAY, 0);
  g_assert_null (voc_mask_load (huge, &w, &h, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_null (voc_image_load_rgb (huge, &w, &h, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "huge.png"));
  g_clear_error (&error);

  voc_test_rm_rf (dir);
}

static void
assert_fails (const char *path,
              gboolean    as_mask,
              VocError    code,
              const char *words)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_path_get_basename (path);
  int w = -1, h = -1;

  if (as_mask)
    g_assert_null (voc_mask_load (path, &w, &h, &error));
  else
    g_assert_null (voc_image_load_rgb (path, &w, &h, &error));
  g_assert_error (error, VOC_ERROR, (int) code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, base));
  if (words != NULL)
    g_assert_nonnull (strstr (error->message, words));
}

static void
test_corrupt_files (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *jpg = NULL, *cls = NULL, *jpeg_data = NULL, *png_data = NULL;
  g_autofree char *p_trunc_jpg = g_build_filename (dir, "cut.jpg", NULL);
  g_autofree char *p_trunc_png = g_build_filename (dir, "cut.png", NULL);
  g_autofree char *p_garbage = g_build_filename (dir, "garbage.jpg", NULL);
  g_autofree char *p_empty = g_build_filename (dir, "empty.png", NULL);
  g_autofree char *p_header = g_build_filename (dir, "header.jpg", NULL);
  g_autofree char *p_flipped = g_build_filename (dir, "flipped.png", NULL);
  g_autofree char *p_missing = g_build_filename (dir, "missing.jpg", NULL);
  gsize jpeg_len = 0, png_len = 0;

  if (voc_test_root () == NULL)
    {
      voc_test_rm_rf (dir);
      return;
    }
  jpg = voc_test_path ("JPEGImages", "000032.jpg", NULL);
  cls = voc_test_path ("SegmentationClass", "000032.png", NULL);
  g_assert_true (g_file_get_contents (jpg, &jpeg_data, &jpeg_len, NULL));
  g_assert_true (g_file_get_contents (cls, &png_data, &png_len, NULL));

  voc_test_write (dir, "cut.jpg", jpeg_data, jpeg_len / 2);
  voc_test_write (dir, "cut.png", png_data, png_len / 2);
  voc_test_write (dir, "garbage.jpg", "this is not a JPEG at all", -1);
  voc_test_write (dir, "empty.png", "", 0);
  voc_test_write (dir, "header.jpg", jpeg_data, 300);
  /* A byte flipped inside the compressed data: the CRC no longer matches. */
  png_data[png_len / 2] ^= 0x5a;
  voc_test_write (dir, "flipped.png", png_data, png_len);

  assert_fails (p_trunc_jpg, FALSE, VOC_ERROR_CORRUPT, "truncated");
  assert_fails (p_trunc_png, FALSE, VOC_ERROR_CORRUPT, "truncated");
  assert_fails (p_trunc_png, TRUE, VOC_ERROR_CORRUPT, "truncated");
  assert_fails (p_garbage, FALSE, VOC_ERROR_CORRUPT, NULL);
  assert_fails (p_garbage, TRUE, VOC_ERROR_CORRUPT, "not a PNG");
  assert_fails (p_empty, FALSE, VOC_ERROR_CORRUPT, "empty");
  assert_fails (p_empty, TRUE, VOC_ERROR_CORRUPT, "empty");
  assert_fails (p_header, FALSE, VOC_ERROR_CORRUPT, NULL);
  assert_fails (p_flipped, TRUE, VOC_ERROR_CORRUPT, NULL);
  assert_fails (p_missing, FALSE, VOC_ERROR_NOT_FOUND, "no such file");
  assert_fails (p_missing, TRUE, VOC_ERROR_NOT_FOUND, "no such file");
  assert_fails (dir, FALSE, VOC_ERROR_IO, "not a regular file");

  voc_test_rm_rf (dir);
}

static void
test_decode_time (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *list = NULL;
  g_auto(GStrv) lines = NULL;
  double decode = 0, mask = 0;
  guint n = 0;
  gint64 t0;

  if (voc_test_root () == NULL)
    return;
  {
    g_autofree char *dir = voc_test_path ("JPEGImages", NULL);
    g_autoptr(GDir) d = g_dir_open (dir, 0, &error);
    const char *name;

    g_assert_no_error (error);
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);
        g_autofree char *id = g_strndup (name, strlen (name) - 4);
        g_autofree char *png = g_strconcat (id, ".png", NULL);
        g_autofree char *mpath = voc_test_path ("SegmentationClass", png, NULL);
        g_autofree float *rgb = NULL;
        g_autofree guint8 *m = NULL;
        int w, h;

        t0 = g_get_monotonic_time ();
        rgb = voc_image_load_rgb (path, &w, &h, &error);
        decode += (g_get_monotonic_time () - t0) / 1000.0;
        g_assert_no_error (error);
        t0 = g_get_monotonic_time ();
        m = voc_mask_load (mpath, &w, &h, &error);
        mask += (g_get_monotonic_time () - t0) / 1000.0;
        g_assert_no_error (error);
        n++;
      }
  }
  g_assert_cmpuint (n, ==, 36);
  g_test_message ("decode: %.2f ms per JPEG, %.2f ms per mask PNG (%u images)", decode / n,
                  mask / n, n);
}

/* --- large and odd images ---------------------------------------------------------------- */

/* Just over the pixel limit (10001×10000, 100.01 megapixels), declared by a PNG's header and by
 * a JPEG's frame header: both refused from the header, long before 1.2 GB of floats would be
 * allocated for them, and quickly. */
static void
test_over_the_pixel_limit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) small = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 16);
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *png = g_build_filename (dir, "over.png", NULL);
  g_autofree char *jpg = g_build_filename (dir, "over.jpg", NULL);
  g_autofree char *jpeg_data = NULL;
  guint8 row[3 * 16] = { 0 };
  gsize jpeg_len = 0;
  gboolean patched = FALSE;
  gint64 t0;
  int w = 0, h = 0;

  write_grey_png (png, row, 10001, 10000, PNG_COLOR_TYPE_RGB, 0);
  t0 = g_get_monotonic_time ();
  g_assert_null (voc_image_load_rgb (png, &w, &h, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "over.png"));
  g_assert_nonnull (strstr (error->message, "10001×10000"));
  g_assert_nonnull (strstr (error->message, "100 megapixels"));
  g_clear_error (&error);

  /* A real 16×16 JPEG whose SOF0 then claims 10001×10000 */
  gdk_pixbuf_fill (small, 0x808080ff);
  g_assert_true (gdk_pixbuf_save_to_buffer (small, &jpeg_data, &jpeg_len, "jpeg", &error, NULL));
  g_assert_no_error (error);
  for (gsize i = 2; i + 9 < jpeg_len && !patched; i++)
    if ((guint8) jpeg_data[i] == 0xff && (guint8) jpeg_data[i + 1] == 0xc0)
      {
        jpeg_data[i + 5] = (char) (10000 >> 8);
        jpeg_data[i + 6] = (char) (10000 & 0xff);
        jpeg_data[i + 7] = (char) (10001 >> 8);
        jpeg_data[i + 8] = (char) (10001 & 0xff);
        patched = TRUE;
      }
  g_assert_true (patched);
  voc_test_write (dir, "over.jpg", jpeg_data, jpeg_len);
  g_assert_null (voc_image_load_rgb (jpg, &w, &h, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "over.jpg"));
  g_clear_error (&error);
  /* well under a second even under valgrind: nothing was decoded */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);

  voc_test_rm_rf (dir);
}

static void
assert_rgb (const float *rgb,
            int          w,
            int          h,
            int          x,
            int          y,
            int          r,
            int          g,
            int          b,
            int          tolerance)
{
  size_t plane = (size_t) w * h;
  size_t i = (size_t) y * w + x;

  g_assert_cmpfloat_with_epsilon (rgb[i], r / 255.0f, (tolerance + 0.5f) / 255.0f);
  g_assert_cmpfloat_with_epsilon (rgb[plane + i], g / 255.0f, (tolerance + 0.5f) / 255.0f);
  g_assert_cmpfloat_with_epsilon (rgb[2 * plane + i], b / 255.0f, (tolerance + 0.5f) / 255.0f);
}

/* Writes a PNG of any libpng colour type and bit depth from rows of bytes as libpng takes them
 * (16-bit samples big-endian). */
static void
write_png_any (const char   *path,
               const guint8 *pixels,
               int           w,
               int           h,
               int           color_type,
               int           bit_depth)
{
  FILE *fp = fopen (path, "wb");
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  size_t row_bytes;

  g_assert_nonnull (fp);
  if (setjmp (png_jmpbuf (png)))
    g_assert_not_reached ();
  png_init_io (png, fp);
  png_set_IHDR (png, info, w, h, bit_depth, color_type, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  row_bytes = png_get_rowbytes (png, info);
  for (int y = 0; y < h; y++)
    png_write_row (png, (png_const_bytep) pixels + (size_t) y * row_bytes);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  fclose (fp);
}

/* Greyscale becomes grey RGB; alpha is dropped (the colour as stored, not composited on any
 * background: a photo with an alpha channel is segmented as if it had none); 16-bit samples
 * are cut to 8 bits. */
static void
test_odd_png_layouts (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *grey = g_build_filename (dir, "grey.png", NULL);
  g_autofree char *grey_alpha = g_build_filename (dir, "grey-alpha.png", NULL);
  g_autofree char *rgba = g_build_filename (dir, "rgba.png", NULL);
  g_autofree char *deep = g_build_filename (dir, "rgb16.png", NULL);
  g_autofree char *deep_grey = g_build_filename (dir, "grey16.png", NULL);
  int w, h;

  /* greyscale, 3×2: 0, 100, 255 / 7, 8, 9 */
  {
    const guint8 g8[] = { 0, 100, 255, 7, 8, 9 };
    g_autofree float *rgb = NULL;

    write_png_any (grey, g8, 3, 2, PNG_COLOR_TYPE_GRAY, 8);
    rgb = voc_image_load_rgb (grey, &w, &h, &error);
    g_assert_no_error (error);
    g_assert_cmpint (w, ==, 3);
    g_assert_cmpint (h, ==, 2);
    assert_rgb (rgb, w, h, 1, 0, 100, 100, 100, 0);
    assert_rgb (rgb, w, h, 2, 0, 255, 255, 255, 0);
    assert_rgb (rgb, w, h, 2, 1, 9, 9, 9, 0);
  }

  /* grey and alpha, 2×1: (50, opaque), (200, transparent) */
  {
    const guint8 ga[] = { 50, 255, 200, 0 };
    g_autofree float *rgb = NULL;

    write_png_any (grey_alpha, ga, 2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8);
    rgb = voc_image_load_rgb (grey_alpha, &w, &h, &error);
    g_assert_no_error (error);
    assert_rgb (rgb, w, h, 0, 0, 50, 50, 50, 0);
    assert_rgb (rgb, w, h, 1, 0, 200, 200, 200, 0);
  }

  /* RGBA, 2×1: an opaque and a fully transparent pixel keep their colours */
  {
    const guint8 px[] = { 200, 100, 50, 255, 10, 20, 30, 0 };
    g_autofree float *rgb = NULL;

    write_png_any (rgba, px, 2, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8);
    rgb = voc_image_load_rgb (rgba, &w, &h, &error);
    g_assert_no_error (error);
    g_assert_cmpint (w, ==, 2);
    assert_rgb (rgb, w, h, 0, 0, 200, 100, 50, 0);
    assert_rgb (rgb, w, h, 1, 0, 10, 20, 30, 0);
  }

  /* 16-bit RGB, 2×1: 0xABCD, 0x1234, 0xFFFF / 0, 0x8000, 0x00FF */
  {
    const guint8 px[] = { 0xab, 0xcd, 0x12, 0x34, 0xff, 0xff, 0x00, 0x00, 0x80, 0x00, 0x00, 0xff };
    g_autofree float *rgb = NULL;

    write_png_any (deep, px, 2, 1, PNG_COLOR_TYPE_RGB, 16);
    rgb = voc_image_load_rgb (deep, &w, &h, &error);
    g_assert_no_error (error);
    g_assert_cmpint (w, ==, 2);
    assert_rgb (rgb, w, h, 0, 0, 0xab, 0x12, 0xff, 1);
    assert_rgb (rgb, w, h, 1, 0, 0x00, 0x80, 0x00, 1);
  }

  /* 16-bit greyscale, 1×2 */
  {
    const guint8 px[] = { 0x40, 0x10, 0xc0, 0xf0 };
    g_autofree float *rgb = NULL;

    write_png_any (deep_grey, px, 1, 2, PNG_COLOR_TYPE_GRAY, 16);
    rgb = voc_image_load_rgb (deep_grey, &w, &h, &error);
    g_assert_no_error (error);
    g_assert_cmpint (h, ==, 2);
    assert_rgb (rgb, w, h, 0, 0, 0x40, 0x40, 0x40, 1);
    assert_rgb (rgb, w, h, 0, 1, 0xc0, 0xc0, 0xc0, 1);
  }

  /* the same pixels as bytes, whatever the layout (the alpha ones are repacked) */
  assert_rgb8_matches (grey);
  assert_rgb8_matches (grey_alpha);
  assert_rgb8_matches (rgba);
  assert_rgb8_matches (deep);
  assert_rgb8_matches (deep_grey);

  voc_test_rm_rf (dir);
}

/* A JPEG 16 wide and 8 high, red on the left and blue on the right, with an EXIF APP1 segment
 * (big-endian TIFF, one IFD entry) saying orientation 6: "rotate 90° clockwise to display".
 * Upright it is 8 wide and 16 high, red above blue. GdkPixbuf writes no EXIF, so the segment is
 * spliced in by hand after the JFIF APP0. */
static void
test_exif_orientation (void)
{
  static const guint8 app1[] = {
    0xff, 0xe1, 0x00, 0x22,                          /* APP1, 34 bytes with the length */
    'E', 'x', 'i', 'f', 0, 0,
    'M', 'M', 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08,    /* TIFF header, IFD0 at 8 */
    0x00, 0x01,                                      /* one entry */
    0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,  /* Orientation, SHORT, 1 value */
    0x00, 0x06, 0x00, 0x00,                          /* = 6 */
    0x00, 0x00, 0x00, 0x00,                          /* no next IFD */
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 8);
  g_autoptr(GByteArray) file = g_byte_array_new ();
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "rotated.jpg", NULL);
  g_autofree char *plain_path = g_build_filename (dir, "plain.jpg", NULL);
  g_autofree char *jpeg = NULL;
  g_autofree float *rgb = NULL;
  g_autofree float *plain = NULL;
  guint8 *p = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  gsize length = 0, app0_end;
  int w = 0, h = 0;

  for (int y = 0; y < 8; y++)
    for (int x = 0; x < 16; x++)
      {
        guint8 *px = p + y * stride + 3 * x;

        px[0] = x < 8 ? 255 : 0;
        px[1] = 0;
        px[2] = x < 8 ? 0 : 255;
      }
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &jpeg, &length, "jpeg", &error,
                                            "quality", "100", NULL));
  g_assert_no_error (error);
  /* SOI, then APP0 (JFIF) with its length */
  g_assert_cmpuint ((guint8) jpeg[0], ==, 0xff);
  g_assert_cmpuint ((guint8) jpeg[2], ==, 0xff);
  g_assert_cmpuint ((guint8) jpeg[3], ==, 0xe0);
  app0_end = 4 + (((guint8) jpeg[4] << 8) | (guint8) jpeg[5]);
  g_byte_array_append (file, (const guint8 *) jpeg, app0_end);
  g_byte_array_append (file, app1, sizeof app1);
  g_byte_array_append (file, (const guint8 *) jpeg + app0_end, length - app0_end);
  voc_test_write (dir, "rotated.jpg", file->data, file->len);
  voc_test_write (dir, "plain.jpg", jpeg, length);

  /* without the tag: as stored */
  plain = voc_image_load_rgb (plain_path, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, 16);
  g_assert_cmpint (h, ==, 8);

  rgb = voc_image_load_rgb (path, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, 8);
  g_assert_cmpint (h, ==, 16);
  /* away from the edge, where JPEG's chroma blurs red into blue */
  assert_rgb (rgb, w, h, 4, 2, 255, 0, 0, 24);
  assert_rgb (rgb, w, h, 4, 13, 0, 0, 255, 24);
  /* as bytes too, upright */
  assert_rgb8_matches (path);
  assert_rgb8_matches (plain_path);

  voc_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/voc/image/colormap", test_colormap);
  g_test_add_func ("/voc/image/real", test_real_image_and_mask);
  g_test_add_func ("/voc/image/mask-round-trip", test_mask_round_trip);
  g_test_add_func ("/voc/image/overlay", test_overlay);
  g_test_add_func ("/voc/image/overlay-rgb8", test_overlay_rgb8);
  g_test_add_func ("/voc/image/grey-and-rgb-masks", test_grey_and_rgb_masks);
  g_test_add_func ("/voc/image/corrupt", test_corrupt_files);
  g_test_add_func ("/voc/image/decode-time", test_decode_time);
  g_test_add_func ("/voc/image/over-the-pixel-limit", test_over_the_pixel_limit);
  g_test_add_func ("/voc/image/odd-png-layouts", test_odd_png_layouts);
  g_test_add_func ("/voc/image/exif-orientation", test_exif_orientation);

  return g_test_run ();
}
