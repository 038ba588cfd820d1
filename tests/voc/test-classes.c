/* test-classes.c — classes.txt and the masks people have: binary, 0/1, colour, 16-bit, listed
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <png.h>

#include "voc/voc.h"
#include "voc-test-util.h"

#define SIDE 6

/* --- writing masks as other tools do ---------------------------------------------------- */

/* A greyscale PNG (8 or 16 bits, or 1 bit for 0/1 values) or an RGB PNG (channels 3). */
static void
write_png (const char    *path,
           const guint16 *values,
           const guint8  *rgb,
           int            bits)
{
  FILE *fp = fopen (path, "wb");
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  guint8 row[SIDE * 3 * 2];

  g_assert_nonnull (fp);
  png_init_io (png, fp);
  png_set_IHDR (png, info, SIDE, SIDE, rgb ? 8 : bits,
                rgb ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  if (bits < 8)
    png_set_packing (png);
  for (int y = 0; y < SIDE; y++)
    {
      for (int x = 0; x < SIDE; x++)
        {
          int i = y * SIDE + x;

          if (rgb != NULL)
            memcpy (row + 3 * x, rgb + 3 * i, 3);
          else if (bits == 16)
            {
              row[2 * x] = values[i] >> 8;
              row[2 * x + 1] = values[i] & 0xff;
            }
          else
            row[x] = (guint8) values[i];
        }
      png_write_row (png, row);
    }
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  fclose (fp);
}

/* A dataset of one image `a` and its mask written by `write`. */
typedef struct
{
  char *dir;
  char *root;
  char *masks;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *images = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
  g_autofree char *image = NULL;
  g_autoptr(GError) error = NULL;

  f->dir = voc_test_tmpdir ();
  f->root = g_build_filename (f->dir, "cells", NULL);
  images = g_build_filename (f->root, "images", NULL);
  f->masks = g_build_filename (f->root, "masks", NULL);
  g_assert_cmpint (g_mkdir_with_parents (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (f->masks, 0755), ==, 0);
  gdk_pixbuf_fill (pixbuf, 0x808080ff);
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("%c.png", 'a' + i);

      image = g_build_filename (images, name, NULL);
      g_assert_true (gdk_pixbuf_save (pixbuf, image, "png", &error, NULL));
      g_clear_pointer (&image, g_free);
    }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  voc_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->root);
  g_free (f->masks);
}

static char *
mask_path (Fixture    *f,
           const char *id)
{
  g_autofree char *name = g_strdup_printf ("%s.png", id);

  return g_build_filename (f->masks, name, NULL);
}

/* values[i] = the pattern's digit at i (a 6-character row repeated) times scale */
static void
fill_values (guint16    *values,
             const char *row,
             guint       scale)
{
  for (int i = 0; i < SIDE * SIDE; i++)
    values[i] = (guint16) ((row[i % SIDE] - '0') * scale);
}

/* Loads `id`'s labels, or returns NULL and sets the error. */
static guint8 *
load_labels (Fixture         *f,
             const char      *classes_txt,
             const char      *id,
             VocMaskReading  *reading,
             GError         **error)
{
  g_autoptr(VocDataset) dataset = NULL;
  g_autoptr(VocSample) sample = NULL;

  voc_test_write (f->root, "classes.txt", classes_txt, -1);
  dataset = voc_dataset_open (f->root, error);
  if (dataset == NULL)
    return NULL;
  sample = voc_dataset_load_sample (dataset, id, VOC_LOAD_LABELS, error);
  if (sample == NULL)
    return NULL;
  if (reading != NULL)
    *reading = sample->reading;
  return g_steal_pointer (&sample->labels);
}

/* Reads `id`'s mask with classes_txt: read as `expected`, its first row `first_row`. */
static void
assert_read_as (Fixture        *f,
                const char     *classes_txt,
                const char     *id,
                VocMaskReading  expected,
                const char     *first_row)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *labels = NULL;
  VocMaskReading reading;

  labels = load_labels (f, classes_txt, id, &reading, &error);
  g_assert_no_error (error);
  g_assert_cmpint (reading, ==, expected);
  g_assert_cmpmem (labels, SIDE, first_row, SIDE);
}

/* --- classes.txt -------------------------------------------------------------------------- */

static void
assert_parse_error (const char *text,
                    const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VocClasses) classes = voc_classes_parse (text, strlen (text), "c/classes.txt",
                                                     &error);

  g_assert_null (classes);
  g_assert_error (error, VOC_ERROR, VOC_ERROR_CORRUPT);
  if (strstr (error->message, expected) == NULL)
    g_error ("“%s” is not in “%s”", expected, error->message);
}

static void
test_parse (void)
{
  static const char text[] = "# cells\nmembrane #ff0000 = 0\ncell = 255 #00ff00\n\n"
                             "void = 128 #e0e0c0\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(VocClasses) classes = voc_classes_parse (text, strlen (text), "classes.txt", &error);
  g_autofree char *listed = NULL;
  const char *const names[] = { "membrane", "cell", NULL };

  g_assert_no_error (error);
  g_assert_cmpint (voc_classes_get_n (classes), ==, 2);
  g_assert_cmpstrv (voc_classes_get_names (classes), names);
  g_assert_true (voc_classes_is_listed (classes));
  g_assert_cmpmem (voc_classes_get_palette (classes), 3, "\xff\x00\x00", 3);
  listed = voc_classes_describe_reading (classes, VOC_MASK_READ_LISTED);
  g_assert_cmpstr (listed, ==, "values as classes.txt lists them: 0 membrane, 255 cell, 128 void");

  assert_parse_error ("a\nb = 1 x\n", "c/classes.txt:2: “x” is neither a mask value (0–65535), "
                      "a range of them (1-65535) nor a colour (#rrggbb)");
  assert_parse_error ("a\nb = 5-3\n", "“5-3” is neither a mask value");
  assert_parse_error ("a = 0-10\nb = 10-20\n",
                      "c/classes.txt:2: value 10 already stands for “a”");
  assert_parse_error ("a = 3\nb = 3\n", "c/classes.txt:2: value 3 already stands for “a” "
                      "(line 1)");
  assert_parse_error ("a = 1\nb\n", "c/classes.txt:2: “b” stands for the value 1, its index, "
                      "which line 1 gives to “a”");
  assert_parse_error ("a #010203\nb #010203\n", "c/classes.txt:2: colour #010203 already "
                      "stands for “a” (line 1)");
  assert_parse_error ("a\nvoid\n", "c/classes.txt:2: “void” is not a class; say which mask "
                      "values or colours mean void, e.g. “void = 255”");
  assert_parse_error ("a\nvoid = 1\nvoid = 2\n", "c/classes.txt:3: a second void line (the "
                      "first is line 2)");
  assert_parse_error ("a\nb =\n", "c/classes.txt:2: nothing after “=”");
  assert_parse_error ("a\n = 4\n", "c/classes.txt:2: a mask value without a class name");
  assert_parse_error ("a\nb = 65536\n", "“65536” is neither a mask value");
  assert_parse_error ("# nothing\n", "c/classes.txt: no class names");
}

/* --- masks -------------------------------------------------------------------------------- */

/* 0/255 greyscale masks of a two-class dataset are the two classes; 0/1 ones are too, with 255
 * void; a dataset whose masks mix the two is refused, whichever comes first. */
static void
test_binary (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *a = mask_path (f, "a"), *b = mask_path (f, "b");
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *labels = NULL;
  guint16 values[SIDE * SIDE];
  VocMaskReading reading;

  fill_values (values, "001100", 255);
  write_png (a, values, NULL, 8);
  assert_read_as (f, "membrane\ncell\n", "a", VOC_MASK_READ_BINARY, "\0\0\1\1\0\0");

  /* 0/1 in a 1-bit PNG, as PIL saves a mode "1" image */
  fill_values (values, "011000", 1);
  write_png (a, values, NULL, 1);
  assert_read_as (f, "membrane\ncell\n", "a", VOC_MASK_READ_INDEX, "\0\1\1\0\0\0");

  /* a third class: 255 is void again, and a binary reading is never guessed */
  fill_values (values, "001100", 255);
  write_png (a, values, NULL, 8);
  assert_read_as (f, "membrane\ncell\nother\n", "a", VOC_MASK_READ_INDEX, "\0\0\xff\xff\0\0");

  /* one dataset, two conventions: a (0/255) then b (0/1 with 255 void) */
  fill_values (values, "011005", 51);
  for (int i = 0; i < SIDE * SIDE; i++)
    values[i] = values[i] == 51 ? 1 : values[i];
  write_png (b, values, NULL, 8);
  {
    g_autoptr(VocDataset) dataset = NULL;
    g_autoptr(VocSample) first = NULL, second = NULL;

    voc_test_write (f->root, "classes.txt", "membrane\ncell\n", -1);
    dataset = voc_dataset_open (f->root, &error);
    g_assert_no_error (error);
    first = voc_dataset_load_sample (dataset, "a", VOC_LOAD_LABELS, &error);
    g_assert_no_error (error);
    second = voc_dataset_load_sample (dataset, "b", VOC_LOAD_LABELS, &error);
    g_assert_null (second);
    g_assert_error (error, VOC_ERROR, VOC_ERROR_INVALID_VALUE);
    g_assert_cmpstr (error->message, ==,
                     "cells/masks/b.png: the masks disagree on what 255 means: this one has 0 "
                     "and 1, but the mask of “a” has only 0 and 255 (binary). Say it in "
                     "classes.txt: “cell = 1 255” if 255 is cell, or “void = 255”");
    g_clear_error (&error);
  }
  /* … which classes.txt settles */
  assert_read_as (f, "membrane\ncell\nvoid = 255\n", "b", VOC_MASK_READ_LISTED, "\0\1\1\0\0\xff");

  /* a value that is no class: the file, the pixel, the value and the line to add */
  fill_values (values, "001200", 64);
  write_png (a, values, NULL, 8);
  labels = load_labels (f, "membrane\ncell\n", "a", &reading, &error);
  g_assert_null (labels);
  g_assert_error (error, VOC_ERROR, VOC_ERROR_INVALID_VALUE);
  g_assert_cmpstr (error->message, ==,
                   "cells/masks/a.png: pixel (2, 0) has the value 64, which is not a class (0–1) "
                   "or 255 (void); if the masks number their objects, say in classes.txt that "
                   "every number is “cell”: “cell = 1-65535”; if only 64 stands for a class, "
                   "“cell = 64”, or “void = 64”");
  g_clear_error (&error);

  /* … which reads instance-label masks (one number per cell) as the two classes */
  assert_read_as (f, "membrane\ncell = 1-65535\n", "a", VOC_MASK_READ_LISTED, "\0\0\1\1\0\0");
  {
    static const char text[] = "membrane\ncell = 1-65535\n";
    g_autoptr(VocClasses) classes = voc_classes_parse (text, strlen (text), "c", NULL);
    g_autofree char *described = voc_classes_describe_reading (classes, VOC_MASK_READ_LISTED);

    g_assert_cmpstr (described, ==, "values as classes.txt lists them: 0 membrane, 1-65535 cell");
  }
}

static void
test_listed (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *a = mask_path (f, "a");
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *labels = NULL;
  guint16 values[SIDE * SIDE];
  VocMaskReading reading;

  /* the EM slices with a grey "unsure" band */
  fill_values (values, "012210", 1);
  for (int i = 0; i < SIDE * SIDE; i++)
    values[i] = (guint16[]) { 0, 128, 255 }[values[i]];
  write_png (a, values, NULL, 8);
  assert_read_as (f, "membrane = 0\ncell = 255\nvoid = 128\n", "a", VOC_MASK_READ_LISTED,
                  "\0\xff\1\1\xff\0");

  labels = load_labels (f, "membrane = 0\ncell = 255\n", "a", &reading, &error);
  g_assert_null (labels);
  g_assert_cmpstr (error->message, ==,
                   "cells/masks/a.png: pixel (1, 0) has the value 128, which classes.txt does "
                   "not list; add it after a class's “=” (e.g. “cell = 128”) or to the void "
                   "line (“void = 128”)");
}

/* 16-bit label images hold class numbers */
static void
test_sixteen_bit (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *a = mask_path (f, "a");
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *labels = NULL;
  guint16 values[SIDE * SIDE];
  VocMaskReading reading;

  fill_values (values, "012210", 1);
  write_png (a, values, NULL, 16);
  assert_read_as (f, "background\ncell\nborder\n", "a", VOC_MASK_READ_INDEX, "\0\1\2\2\1\0");

  values[3] = 1000;
  write_png (a, values, NULL, 16);
  labels = load_labels (f, "background\ncell\nborder\n", "a", &reading, &error);
  g_assert_null (labels);
  g_assert_nonnull (strstr (error->message, "pixel (3, 0) has the value 1000"));
  g_clear_error (&error);
  labels = load_labels (f, "background\ncell\nborder = 2 1000\n", "a", &reading, &error);
  g_assert_no_error (error);
  g_assert_cmpint (labels[3], ==, 2);
}

/* RGB masks whose colours are the classes' colours (CVAT, labelme-style tools, CamVid) */
static void
test_colour (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *a = mask_path (f, "a");
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *labels = NULL;
  guint8 rgb[SIDE * SIDE * 3];
  static const guint8 colours[4][3] = { { 0, 0, 0 }, { 0, 255, 0 }, { 255, 0, 0 },
                                        { 224, 224, 192 } };
  static const char classes_txt[] = "background #000000\ncell #00ff00\nborder #ff0000\n";
  VocMaskReading reading;

  for (int i = 0; i < SIDE * SIDE; i++)
    memcpy (rgb + 3 * i, colours[(i % SIDE) % 4], 3);
  write_png (a, NULL, rgb, 8);
  assert_read_as (f, classes_txt, "a", VOC_MASK_READ_COLOUR, "\0\1\2\xff\0\1");

  rgb[3 * 4] = 7;
  write_png (a, NULL, rgb, 8);
  labels = load_labels (f, classes_txt, "a", &reading, &error);
  g_assert_null (labels);
  g_assert_cmpstr (error->message, ==,
                   "cells/masks/a.png: pixel (4, 0) has the colour #070000, which is no class's "
                   "colour in classes.txt; give it to a class (e.g. “border = #070000”) or to "
                   "void (“void = #070000”)");
  g_clear_error (&error);
  labels = load_labels (f, "background #000000 = #070000\ncell #00ff00\nborder #ff0000\n", "a",
                        &reading, &error);
  g_assert_no_error (error);
  g_assert_cmpint (labels[4], ==, 0);
}

/* Masks as other folders name them, and other formats: an RGB TIFF of 0 and 255 named
 * label/b_mask.tif is b's binary mask. */
static void
test_folders_and_tiff (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *label = g_build_filename (f->root, "label", NULL);
  g_autofree char *tiff = g_build_filename (label, "b_mask.tif", NULL);
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_rename (f->masks, label), ==, 0);
  gdk_pixbuf_fill (pixbuf, 0x000000ff);
  {
    g_autoptr(GdkPixbuf) white = gdk_pixbuf_new_subpixbuf (pixbuf, 0, 0, 2, SIDE);

    gdk_pixbuf_fill (white, 0xffffffff);
  }
  if (!gdk_pixbuf_save (pixbuf, tiff, "tiff", &error, NULL))
    {
      g_test_skip ("GdkPixbuf cannot write TIFF here");
      return;
    }
  assert_read_as (f, "background\ncell\n", "b", VOC_MASK_READ_BINARY, "\1\1\0\0\0\0");
}

/* What the masks of a dataset hold: shares per class and void, how they were read, and the
 * warnings (a class with no pixels, void over half the pixels). */
static void
test_survey (Fixture       *f,
             gconstpointer  data)
{
  static const guint16 row_some_void[SIDE] = { 0, 1, 2, 2, 255, 255 };
  static const guint16 row_most_void[SIDE] = { 0, 1, 255, 255, 255, 255 };
  const guint16 *rows[] = { row_some_void, row_most_void };

  for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      g_autoptr(VocDataset) dataset = NULL;
      g_autoptr(VocMaskSurvey) survey = NULL;
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) lines = NULL;
      g_auto(GStrv) warnings = NULL;
      guint16 values[SIDE * SIDE];

      for (int i = 0; i < SIDE * SIDE; i++)
        values[i] = rows[r][i % SIDE];
      for (int m = 0; m < 3; m++)
        {
          g_autofree char *id = g_strdup_printf ("%c", 'a' + m);
          g_autofree char *path = mask_path (f, id);

          write_png (path, values, NULL, 8);
        }
      voc_test_write (f->root, "classes.txt", "background\ncell\nnucleus\nspare\n", -1);
      dataset = voc_dataset_open (f->root, &error);
      g_assert_no_error (error);
      survey = voc_dataset_survey_masks (dataset, NULL, &error);
      g_assert_no_error (error);
      /* every id once, though the train and val splits both hold some */
      g_assert_cmpuint (survey->n_masks, ==, 3);
      g_assert_cmpuint (survey->n_unreadable, ==, 0);
      g_assert_cmpfloat_with_epsilon (voc_mask_survey_share (survey, 0), 1.0 / 6, 1e-12);
      g_assert_cmpfloat_with_epsilon (voc_mask_survey_share (survey, 4), r == 0 ? 2.0 / 6 : 4.0 / 6,
                                      1e-12);
      lines = voc_mask_survey_describe (survey, voc_dataset_get_classes (dataset));
      g_assert_cmpuint (g_strv_length (lines), ==, 1);
      g_assert_true (g_str_has_prefix (lines[0], "3 masks: "));
      warnings = voc_mask_survey_warnings (survey, voc_dataset_get_classes (dataset));
      if (r == 0)
        {
          g_assert_cmpuint (g_strv_length (warnings), ==, 1);
          g_assert_cmpstr (warnings[0], ==, "class “spare” has no pixels in any mask: check how "
                                            "the masks are read (above), or take it out of the "
                                            "classes");
        }
      else
        {
          g_assert_cmpuint (g_strv_length (warnings), ==, 3);
          g_assert_true (g_str_has_prefix (warnings[2], "void covers 66.7 % of the pixels"));
        }
    }

  /* a cancelled survey stops */
  {
    g_autoptr(VocDataset) dataset = voc_dataset_open (f->root, NULL);
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(GError) error = NULL;

    g_cancellable_cancel (cancellable);
    g_assert_null (voc_dataset_survey_masks (dataset, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/voc/classes/parse", test_parse);
  g_test_add ("/voc/classes/survey", Fixture, NULL, fixture_setup, test_survey,
              fixture_teardown);
  g_test_add ("/voc/classes/binary", Fixture, NULL, fixture_setup, test_binary,
              fixture_teardown);
  g_test_add ("/voc/classes/listed", Fixture, NULL, fixture_setup, test_listed,
              fixture_teardown);
  g_test_add ("/voc/classes/16-bit", Fixture, NULL, fixture_setup, test_sixteen_bit,
              fixture_teardown);
  g_test_add ("/voc/classes/colour", Fixture, NULL, fixture_setup, test_colour,
              fixture_teardown);
  g_test_add ("/voc/classes/folders-and-tiff", Fixture, NULL, fixture_setup,
              test_folders_and_tiff, fixture_teardown);

  return g_test_run ();
}
