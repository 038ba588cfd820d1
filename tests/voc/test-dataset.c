/* test-dataset.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "voc/voc.h"
#include "voc-test-util.h"

/* The ids of AVAILABLE.txt (beside VOCdevkit/) in one split. */
static GHashTable *
available_ids (const char *split)
{
  g_autofree char *path = g_build_filename (g_getenv ("VOC2007_ROOT"), "..", "AVAILABLE.txt",
                                            NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  GHashTable *ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_auto(GStrv) f = g_strsplit (*l, " ", 2);

      if (f[0] && f[1] && g_strcmp0 (g_strstrip (f[1]), split) == 0)
        g_hash_table_add (ids, g_strdup (f[0]));
    }
  return ids;
}

static void
test_open_layouts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VocDataset) devkit = NULL;
  g_autoptr(VocDataset) voc2007 = NULL;
  g_autofree char *voc2007_path = NULL;
  g_autofree char *missing = NULL;
  g_auto(GStrv) splits = NULL;
  const char *root = voc_test_root ();

  if (root == NULL)
    return;
  voc2007_path = voc_test_path (NULL);
  devkit = voc_dataset_open (root, &error);
  g_assert_no_error (error);
  voc2007 = voc_dataset_open (voc2007_path, &error);
  g_assert_no_error (error);

  g_assert_cmpint (voc_dataset_get_layout (devkit), ==, VOC_LAYOUT_VOCDEVKIT);
  g_assert_cmpint (voc_dataset_get_layout (voc2007), ==, VOC_LAYOUT_VOCDEVKIT);
  g_assert_cmpstr (voc_dataset_get_root (devkit), ==, voc_dataset_get_root (voc2007));
  g_assert_cmpint (voc_dataset_get_n_classes (devkit), ==, 21);
  g_assert_cmpstr (voc_dataset_get_class_names (devkit)[11], ==, "diningtable");
  g_assert_null (voc_dataset_get_class_names (devkit)[21]);
  g_assert_cmpmem (voc_dataset_get_palette (devkit), 768, voc_colormap_table (), 768);

  splits = voc_dataset_list_splits (devkit);
  g_assert_cmpstrv (splits, ((const char *const[]) { "test", "train", "trainval", "val", NULL }));

  missing = g_build_filename (root, "no-such-folder", NULL);
  g_assert_null (voc_dataset_open (missing, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "no-such-folder"));
  g_clear_error (&error);

  /* A folder that is neither layout. */
  {
    g_autofree char *dir = voc_test_tmpdir ();

    g_assert_null (voc_dataset_open (dir, &error));
    g_assert_error (error, VOC_ERROR, VOC_ERROR_LAYOUT);
    g_clear_error (&error);
    voc_test_rm_rf (dir);
  }
}

static void
test_splits (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VocDataset) ds = NULL;
  const char *root = voc_test_root ();
  const char *names[] = { "train", "val" };
  const guint present[] = { 20, 16 };
  const guint listed[] = { 209, 213 };

  if (root == NULL)
    return;
  ds = voc_dataset_open (root, &error);
  g_assert_no_error (error);

  for (guint s = 0; s < G_N_ELEMENTS (names); s++)
    {
      g_autoptr(GHashTable) available = available_ids (names[s]);
      g_autoptr(GPtrArray) ids = NULL;
      g_autoptr(GPtrArray) missing = NULL;

      /* Strict: the first id without files is the error, by name. */
      g_assert_null (voc_dataset_get_split (ds, names[s], FALSE, NULL, &error));
      g_assert_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND);
      g_assert_nonnull (strstr (error->message, "ImageSets/Segmentation"));
      g_assert_nonnull (strstr (error->message, "JPEGImages/"));
      g_test_message ("%s", error->message);
      g_clear_error (&error);

      ids = voc_dataset_get_split (ds, names[s], TRUE, &missing, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (ids->len, ==, present[s]);
      g_assert_cmpuint (missing->len, ==, listed[s] - present[s]);
      g_assert_cmpuint (g_hash_table_size (available), ==, present[s]);
      for (guint i = 0; i < ids->len; i++)
        g_assert_true (g_hash_table_contains (available, g_ptr_array_index (ids, i)));
      for (guint i = 0; i < missing->len; i++)
        g_assert_false (g_hash_table_contains (available, g_ptr_array_index (missing, i)));
      /* File order. */
      for (guint i = 1; i < ids->len; i++)
        g_assert_cmpstr (g_ptr_array_index (ids, i - 1), <, g_ptr_array_index (ids, i));
    }

  /* The test split has no masks here at all. */
  g_assert_null (voc_dataset_get_split (ds, "test", TRUE, NULL, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_EMPTY_SPLIT);
  g_assert_nonnull (strstr (error->message, "test.txt"));
  g_clear_error (&error);

  g_assert_null (voc_dataset_get_split (ds, "nope", TRUE, NULL, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nope.txt"));
  g_clear_error (&error);

  g_assert_null (voc_dataset_get_split (ds, "../../etc/passwd", TRUE, NULL, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

static void
test_samples (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VocDataset) ds = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  const char *root = voc_test_root ();

  if (root == NULL)
    return;
  ds = voc_dataset_open (root, &error);
  g_assert_no_error (error);
  ids = voc_dataset_get_split (ds, "trainval", TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 36);

  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);
      g_autoptr(VocSample) s = voc_dataset_load_sample (ds, id, VOC_LOAD_ALL, &error);
      gboolean seen[256] = { FALSE };
      size_t n;

      g_assert_no_error (error);
      g_assert_cmpstr (s->id, ==, id);
      g_assert_nonnull (s->rgb);
      g_assert_nonnull (s->labels);
      g_assert_nonnull (s->instances);
      g_assert_nonnull (s->annotation);
      g_assert_cmpint (s->width, ==, s->annotation->width);
      g_assert_cmpint (s->height, ==, s->annotation->height);
      g_assert_cmpint (MAX (s->width, s->height), <=, 500);
      n = (size_t) s->width * s->height;
      for (size_t p = 0; p < n; p++)
        {
          g_assert_true (s->labels[p] <= 20 || s->labels[p] == 255);
          seen[s->instances[p]] = TRUE;
          /* The object mask's foreground is the class mask's. */
          g_assert_cmpint (s->instances[p] == 0, ==, s->labels[p] == 0);
        }
      /* Instances 1..N, N = the XML's objects. */
      for (guint k = 1; k < 255; k++)
        g_assert_cmpint (seen[k], ==, k <= s->annotation->n_objects);
    }

  g_assert_null (voc_dataset_load_sample (ds, "../Annotations/000032", VOC_LOAD_ALL, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (voc_dataset_load_sample (ds, "000005", VOC_LOAD_TRAIN, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "VOC2007/JPEGImages/000005.jpg"));
  g_clear_error (&error);
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (from, &data, &length, &error));
  g_assert_true (g_file_set_contents (to, data, length, &error));
}

static void
test_broken_copy (void)
{
  static const char *const folders[] = { "ImageSets/Segmentation", "JPEGImages",
                                         "SegmentationClass", "SegmentationObject",
                                         "Annotations" };
  static const char *const ext[] = { NULL, ".jpg", ".png", ".png", ".xml" };
  g_autoptr(GError) error = NULL;
  g_autoptr(VocDataset) ds = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GPtrArray) missing = NULL;
  g_autofree char *dir = NULL, *voc = NULL, *jpeg = NULL;
  g_autofree guint8 *mask = NULL;
  guint per_id[6] = { 0 };
  const char *names[6] = { "000032", "000033", "bad1", "bad2", "bad3", "ghost" };
  gsize jpeg_len;

  if (voc_test_root () == NULL)
    return;
  dir = voc_test_tmpdir ();
  voc = g_build_filename (dir, "VOC2007", NULL);
  for (guint f = 0; f < G_N_ELEMENTS (folders); f++)
    {
      g_autofree char *path = g_build_filename (voc, folders[f], NULL);

      g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
      for (guint k = 0; k < 2 && ext[f]; k++)
        {
          g_autofree char *name = g_strconcat (names[k], ext[f], NULL);
          g_autofree char *from = voc_test_path (folders[f], name, NULL);
          g_autofree char *to = g_build_filename (path, name, NULL);

          copy_file (from, to);
        }
    }
  {
    g_autofree char *from = voc_test_path ("JPEGImages", "000032.jpg", NULL);
    g_autofree char *j1 = g_build_filename (voc, "JPEGImages", "bad1.jpg", NULL);
    g_autofree char *j2 = g_build_filename (voc, "JPEGImages", "bad2.jpg", NULL);
    g_autofree char *j3 = g_build_filename (voc, "JPEGImages", "bad3.jpg", NULL);
    g_autofree char *m1 = g_build_filename (voc, "SegmentationClass", "bad1.png", NULL);
    g_autofree char *m2 = g_build_filename (voc, "SegmentationClass", "bad2.png", NULL);
    g_autofree char *m3 = g_build_filename (voc, "SegmentationClass", "bad3.png", NULL);
    g_autofree char *sets = g_build_filename (voc, "ImageSets", "Segmentation", NULL);

    copy_file (from, j1);
    copy_file (from, j2);
    g_assert_true (g_file_get_contents (from, &jpeg, &jpeg_len, NULL));
    g_assert_true (g_file_set_contents (j3, jpeg, jpeg_len - 1000, NULL));
    mask = g_new0 (guint8, 500 * 281);
    g_assert_true (voc_mask_save_png (m1, mask, 10, 10, &error));
    mask[2 * 500 + 3] = 42;
    g_assert_true (voc_mask_save_png (m2, mask, 500, 281, &error));
    mask[2 * 500 + 3] = 0;
    g_assert_true (voc_mask_save_png (m3, mask, 500, 281, &error));
    g_assert_no_error (error);
    voc_test_write (sets, "train.txt", "000032\n000033\nbad1\nbad2\nbad3\nghost\n000032\n", -1);
    voc_test_write (sets, "empty.txt", "\n\n", -1);
    voc_test_write (sets, "bogus.txt", "000032\n../../x\n", -1);
  }

  /* The VOC2007 folder found inside a folder of another name. */
  ds = voc_dataset_open (dir, &error);
  g_assert_no_error (error);

  {
    g_autoptr(VocSample) s = voc_dataset_load_sample (ds, "bad1", VOC_LOAD_TRAIN, &error);

    g_assert_null (s);
    g_assert_error (error, VOC_ERROR, VOC_ERROR_SIZE_MISMATCH);
    g_assert_cmpstr (error->message, ==,
                     "VOC2007/SegmentationClass/bad1.png: mask is 10×10 but the image is 500×281");
    g_clear_error (&error);
  }
  {
    g_autoptr(VocSample) s = voc_dataset_load_sample (ds, "bad2", VOC_LOAD_TRAIN, &error);

    g_assert_null (s);
    g_assert_error (error, VOC_ERROR, VOC_ERROR_INVALID_VALUE);
    g_assert_nonnull (strstr (error->message, "bad2.png: pixel (3, 2) has the value 42, which is not a class (0–20)"));
    g_clear_error (&error);
  }
  {
    g_autoptr(VocSample) s = voc_dataset_load_sample (ds, "bad3", VOC_LOAD_TRAIN, &error);

    g_assert_null (s);
    g_assert_error (error, VOC_ERROR, VOC_ERROR_CORRUPT);
    g_assert_nonnull (strstr (error->message, "VOC2007/JPEGImages/bad3.jpg"));
    g_clear_error (&error);
  }

  g_assert_null (voc_dataset_get_split (ds, "train", FALSE, NULL, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "ghost"));
  g_clear_error (&error);
  ids = voc_dataset_get_split (ds, "train", TRUE, &missing, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 6);
  g_assert_cmpuint (missing->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (missing, 0), ==, "ghost");

  g_assert_null (voc_dataset_get_split (ds, "empty", TRUE, NULL, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_EMPTY_SPLIT);
  g_assert_nonnull (strstr (error->message, "empty.txt"));
  g_clear_error (&error);
  g_assert_null (voc_dataset_get_split (ds, "bogus", TRUE, NULL, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "bogus.txt:2"));
  g_clear_error (&error);

  /* Every problem, not just the first. */
  problems = voc_dataset_check (ds, "train", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < problems->len; i++)
    {
      VocProblem *p = g_ptr_array_index (problems, i);

      g_test_message ("problem: %s", p->message);
      for (guint k = 0; k < G_N_ELEMENTS (names); k++)
        if (g_strcmp0 (p->id, names[k]) == 0)
          per_id[k]++;
    }
  g_assert_cmpuint (per_id[0], ==, 1); /* listed twice */
  g_assert_cmpuint (per_id[1], ==, 0);
  g_assert_cmpuint (per_id[2], ==, 2); /* size mismatch, no instance mask or XML */
  g_assert_cmpuint (per_id[3], ==, 2); /* value 42, no instance mask or XML */
  g_assert_cmpuint (per_id[4], ==, 2); /* truncated JPEG, no instance mask or XML */
  g_assert_cmpuint (per_id[5], ==, 1); /* nothing at all */
  g_assert_cmpuint (problems->len, ==, 8);

  voc_test_rm_rf (dir);
}

static void
test_check_real (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VocDataset) ds = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GHashTable) available = NULL;
  const char *root = voc_test_root ();

  if (root == NULL)
    return;
  ds = voc_dataset_open (root, &error);
  g_assert_no_error (error);
  available = available_ids ("train");
  problems = voc_dataset_check (ds, "train", &error);
  g_assert_no_error (error);
  /* One "missing" line for each of the 189 ids without files, nothing for the 20 present. */
  g_assert_cmpuint (problems->len, ==, 189);
  for (guint i = 0; i < problems->len; i++)
    {
      VocProblem *p = g_ptr_array_index (problems, i);

      g_assert_cmpint (p->code, ==, VOC_ERROR_NOT_FOUND);
      g_assert_false (g_hash_table_contains (available, p->id));
      g_assert_nonnull (strstr (p->message, "JPEGImages/"));
    }
}

static void
write_rgb_png (const char *path,
               int         w,
               int         h,
               guint8      shade)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w, h);

  gdk_pixbuf_fill (pixbuf, (guint32) shade << 24 | (guint32) shade << 8 | 0xff);
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
}

static void
test_plain (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VocDataset) ds = NULL;
  g_autoptr(GPtrArray) all = NULL, train = NULL, val = NULL;
  g_autoptr(VocSample) s = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_autofree char *masks = g_build_filename (dir, "masks", NULL);
  g_auto(GStrv) splits = NULL;
  guint8 mask[8 * 6];
  const guint8 *palette;

  g_assert_cmpint (g_mkdir (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (masks, 0755), ==, 0);

  /* Without classes.txt it is an error that says so. */
  g_assert_null (voc_dataset_open (dir, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "classes.txt"));
  g_clear_error (&error);

  voc_test_write (dir, "classes.txt",
                  "# my classes\nbackground\nleaf #00ff00\n\npotted plant  #AbCdEf\nroot\n", -1);
  for (int i = 0; i < 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("img%02d.png", i);
      g_autofree char *ipath = g_build_filename (images, name, NULL);
      g_autofree char *mpath = g_build_filename (masks, name, NULL);

      write_rgb_png (ipath, 8, 6, i * 20);
      for (int p = 0; p < 8 * 6; p++)
        mask[p] = p == 0 ? 255 : (p + i) % 4;
      if (i != 9)
        g_assert_true (voc_mask_save_png (mpath, mask, 8, 6, &error));
    }
  voc_test_write (images, "notes.txt.jpg", "not an image", -1);

  ds = voc_dataset_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (voc_dataset_get_layout (ds), ==, VOC_LAYOUT_PLAIN);
  g_assert_cmpint (voc_dataset_get_n_classes (ds), ==, 4);
  g_assert_cmpstrv (voc_dataset_get_class_names (ds),
                    ((const char *const[]) { "background", "leaf", "potted plant", "root",
                                             NULL }));
  palette = voc_dataset_get_palette (ds);
  g_assert_cmpmem (palette + 3, 3, ((guint8[]) { 0, 255, 0 }), 3);
  g_assert_cmpmem (palette + 6, 3, ((guint8[]) { 0xab, 0xcd, 0xef }), 3);
  g_assert_cmpmem (palette + 9, 3, voc_colormap_table () + 9, 3); /* no colour given */

  splits = voc_dataset_list_splits (ds);
  g_assert_cmpstrv (splits, ((const char *const[]) { "all", "train", "val", NULL }));

  /* img09 has no mask and notes.txt has no mask: skipped and counted. */
  all = voc_dataset_get_split (ds, "all", TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 9);
  train = voc_dataset_get_split (ds, "train", TRUE, NULL, &error);
  g_assert_no_error (error);
  val = voc_dataset_get_split (ds, "val", TRUE, NULL, &error);
  g_assert_no_error (error);
  /* 11 images, 2 of them (a fifth, rounded) in val; the seeded split is the same every time. */
  g_assert_cmpuint (train->len + val->len, ==, 9);
  g_assert_cmpuint (val->len, >=, 1);
  for (guint i = 0; i < val->len; i++)
    {
      g_assert_false (g_ptr_array_find_with_equal_func (train, g_ptr_array_index (val, i),
                                                        g_str_equal, NULL));
    }
  {
    g_autoptr(VocDataset) again = voc_dataset_open (dir, &error);
    g_autoptr(GPtrArray) val2 = voc_dataset_get_split (again, "val", TRUE, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (val2->len, ==, val->len);
    for (guint i = 0; i < val->len; i++)
      g_assert_cmpstr (g_ptr_array_index (val2, i), ==, g_ptr_array_index (val, i));
  }

  s = voc_dataset_load_sample (ds, "img03", VOC_LOAD_ALL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->width, ==, 8);
  g_assert_cmpint (s->height, ==, 6);
  g_assert_cmpfloat_with_epsilon (s->rgb[0], 60 / 255.0f, 1e-6);
  g_assert_cmpuint (s->labels[0], ==, 255);
  g_assert_cmpuint (s->labels[1], ==, (1 + 3) % 4);
  g_assert_null (s->instances);
  g_assert_null (s->annotation);

  /* A label beyond the 4 classes. */
  {
    g_autofree char *mpath = g_build_filename (masks, "img01.png", NULL);
    g_autoptr(VocSample) bad = NULL;

    mask[5] = 4;
    g_assert_true (voc_mask_save_png (mpath, mask, 8, 6, &error));
    bad = voc_dataset_load_sample (ds, "img01", VOC_LOAD_TRAIN, &error);
    g_assert_null (bad);
    g_assert_error (error, VOC_ERROR, VOC_ERROR_INVALID_VALUE);
    g_assert_nonnull (strstr (error->message, "masks/img01.png: pixel (5, 0) has the value 4, which is not a class"));
    g_assert_nonnull (strstr (error->message, "0–3"));
    g_clear_error (&error);
  }

  problems = voc_dataset_check (ds, "all", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < problems->len; i++)
    g_test_message ("problem: %s", ((VocProblem *) g_ptr_array_index (problems, i))->message);
  /* img01's value, img09's mask, notes.txt's mask and its undecodable image */
  g_assert_cmpuint (problems->len, ==, 4);

  /* With splits/, the lists are used as they are. */
  {
    g_autofree char *splits_dir = g_build_filename (dir, "splits", NULL);
    g_autoptr(VocDataset) ds2 = NULL;
    g_autoptr(GPtrArray) t = NULL;

    g_assert_cmpint (g_mkdir (splits_dir, 0755), ==, 0);
    voc_test_write (splits_dir, "train.txt", "img05\nimg02\n", -1);
    ds2 = voc_dataset_open (dir, &error);
    g_assert_no_error (error);
    t = voc_dataset_get_split (ds2, "train", FALSE, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (t->len, ==, 2);
    g_assert_cmpstr (g_ptr_array_index (t, 0), ==, "img05");
    g_assert_null (voc_dataset_get_split (ds2, "val", FALSE, NULL, &error));
    g_assert_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  voc_test_rm_rf (dir);
}

typedef struct
{
  VocDataset *ds;
  GPtrArray  *ids;
  guint64    *sums;
} ThreadJob;

static guint64
sample_checksum (VocSample *s)
{
  guint64 h = 1469598103934665603ull;
  size_t n = (size_t) s->width * s->height;

  for (size_t i = 0; i < 3 * n; i++)
    h = (h ^ (guint64) (s->rgb[i] * 255.0f + 0.5f)) * 1099511628211ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ s->labels[i] ^ ((guint64) s->instances[i] << 8)) * 1099511628211ull;
  return h ^ s->annotation->n_objects;
}

static void
load_in_thread (gpointer data,
                gpointer user_data)
{
  ThreadJob *job = user_data;
  guint i = GPOINTER_TO_UINT (data) - 1;
  g_autoptr(GError) error = NULL;
  g_autoptr(VocSample) s = voc_dataset_load_sample (job->ds, g_ptr_array_index (job->ids, i),
                                                    VOC_LOAD_ALL, &error);

  g_assert_no_error (error);
  job->sums[i] = sample_checksum (s);
}

/* The dataset is shared read-only between loader threads: the same samples either way. */
static void
test_threads (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VocDataset) ds = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autofree guint64 *serial = NULL;
  g_autofree guint64 *parallel = NULL;
  ThreadJob job;
  GThreadPool *pool;
  const char *root = voc_test_root ();

  if (root == NULL)
    return;
  ds = voc_dataset_open (root, &error);
  g_assert_no_error (error);
  ids = voc_dataset_get_split (ds, "trainval", TRUE, NULL, &error);
  g_assert_no_error (error);
  serial = g_new0 (guint64, ids->len);
  parallel = g_new0 (guint64, ids->len);

  job = (ThreadJob) { ds, ids, serial };
  for (guint i = 0; i < ids->len; i++)
    load_in_thread (GUINT_TO_POINTER (i + 1), &job);

  job.sums = parallel;
  pool = g_thread_pool_new (load_in_thread, &job, 4, TRUE, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < ids->len; i++)
    g_thread_pool_push (pool, GUINT_TO_POINTER (i + 1), NULL);
  g_thread_pool_free (pool, FALSE, TRUE);
  g_assert_cmpmem (serial, sizeof (guint64) * ids->len, parallel, sizeof (guint64) * ids->len);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/voc/dataset/open-layouts", test_open_layouts);
  g_test_add_func ("/voc/dataset/splits", test_splits);
  g_test_add_func ("/voc/dataset/samples", test_samples);
  g_test_add_func ("/voc/dataset/broken-copy", test_broken_copy);
  g_test_add_func ("/voc/dataset/check-real", test_check_real);
  g_test_add_func ("/voc/dataset/plain", test_plain);
  g_test_add_func ("/voc/dataset/threads", test_threads);

  return g_test_run ();
}
