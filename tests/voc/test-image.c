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

#include "voc.h"
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/voc/image/colormap", test_colormap);
  g_test_add_func ("/voc/image/real", test_real_image_and_mask);
  g_test_add_func ("/voc/image/mask-round-trip", test_mask_round_trip);
  g_test_add_func ("/voc/image/overlay", test_overlay);
  g_test_add_func ("/voc/image/grey-and-rgb-masks", test_grey_and_rgb_masks);
  g_test_add_func ("/voc/image/corrupt", test_corrupt_files);
  g_test_add_func ("/voc/image/decode-time", test_decode_time);

  return g_test_run ();
}
