/* voc-dataset.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "unet/unet-rng.h"

#include "voc-colormap.h"
#include "voc-dataset.h"
#include "voc-image.h"
#include "voc-private.h"

/* Split lists and classes.txt are text files of a few KiB; refuse anything absurd. */
#define LIST_MAX_BYTES (16 * 1024 * 1024)
#define ID_MAX_LENGTH 255

struct _VocDataset
{
  gatomicrefcount  ref_count;
  VocLayout        layout;
  char            *root;         /* the VOC2007 folder or the plain root */
  char            *display_root; /* its base name, the prefix of paths in messages */
  VocClasses      *classes;
  /* Plain layout: the folders' names (images/ or image/, …), id → image and mask file names
   * inside them, and the sorted ids. */
  char            *images_dir;
  char            *masks_dir;
  GHashTable      *plain_images;
  GHashTable      *plain_masks;
  /* Two-class greyscale masks are read as binary (0 and 255) or as class numbers (0 and 1, 255
   * void): the first mask read each way, so that a dataset whose masks disagree on what 255
   * means is an error rather than a guess. */
  GMutex           reading_lock;
  char            *first_binary;
  char            *first_numbered;
  GPtrArray       *plain_ids;
  GPtrArray       *layout_problems; /* VocProblem, found while opening */
};

/* --- small helpers ----------------------------------------------------------------------- */

static VocProblem *
problem_new (const char *id,
             VocError    code,
             char       *message)
{
  VocProblem *problem = g_new0 (VocProblem, 1);

  problem->id = g_strdup (id);
  problem->code = code;
  problem->message = message;
  return problem;
}

void
voc_problem_free (VocProblem *problem)
{
  if (problem == NULL)
    return;
  g_free (problem->id);
  g_free (problem->message);
  g_free (problem);
}

/* For g_ptr_array_sort(), which passes pointers to the elements. */
static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
is_dir (const char *dir,
        const char *child)
{
  g_autofree char *path = child ? g_build_filename (dir, child, NULL) : g_strdup (dir);

  return g_file_test (path, G_FILE_TEST_IS_DIR);
}

static gboolean
is_file (const char *path)
{
  return path != NULL && g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

/* An id names files inside one folder: no separators, no "..", no control characters. */
static gboolean
id_is_valid (const char *id)
{
  gsize len;

  if (id == NULL || id[0] == '\0' || id[0] == '.')
    return FALSE;
  len = strlen (id);
  if (len > ID_MAX_LENGTH || !g_utf8_validate (id, len, NULL))
    return FALSE;
  for (const char *p = id; *p; p++)
    if (*p == '/' || *p == '\\' || (guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

static gboolean
split_name_is_valid (const char *split)
{
  if (split == NULL || split[0] == '\0' || strlen (split) > 64)
    return FALSE;
  for (const char *p = split; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
      return FALSE;
  return split[0] != '.';
}

static char *
display_path (VocDataset *self,
              const char *relative)
{
  return g_build_filename (self->display_root, relative, NULL);
}

static gboolean
read_list_file (const char  *path,
                const char  *display,
                char       **contents,
                gsize       *length,
                GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND, "%s: no such file", display);
      return FALSE;
    }
  if (!g_file_get_contents (path, contents, length, &local_error))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_IO, "%s: %s", display, local_error->message);
      return FALSE;
    }
  return TRUE;
}

char **
_voc_split_list_lines (const char  *contents,
                  gsize        length,
                  const char  *display,
                  GError     **error)
{
  g_autofree char *text = NULL;

  if (length > LIST_MAX_BYTES || memchr (contents, '\0', length) != NULL
      || !g_utf8_validate (contents, length, NULL))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT,
                   "%s: not a text list (binary, not UTF-8, or over %d MiB)", display,
                   LIST_MAX_BYTES >> 20);
      return NULL;
    }
  text = g_strndup (contents, length);
  return g_strsplit (text, "\n", -1);
}

/* --- opening ----------------------------------------------------------------------------- */

static gboolean
looks_like_voc (const char *dir)
{
  return is_dir (dir, "JPEGImages") || is_dir (dir, "ImageSets");
}

/* Find the VOC20xx folder: ROOT itself, ROOT/VOC2007, or the first ROOT/VOC20xx. */
static char *
find_voc_folder (const char *root)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) candidates = NULL;
  g_autofree char *voc2007 = NULL;
  const char *name;

  if (looks_like_voc (root))
    return g_strdup (root);
  voc2007 = g_build_filename (root, "VOC2007", NULL);
  if (looks_like_voc (voc2007))
    return g_steal_pointer (&voc2007);

  dir = g_dir_open (root, 0, NULL);
  if (dir == NULL)
    return NULL;
  candidates = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (root, name, NULL);

      if (g_str_has_prefix (name, "VOC") && looks_like_voc (path))
        g_ptr_array_add (candidates, g_strdup (path));
    }
  if (candidates->len == 0)
    return NULL;
  g_ptr_array_sort (candidates, compare_strings);
  return g_strdup (g_ptr_array_index (candidates, 0));
}

static gboolean
load_classes (VocDataset  *self,
              GError     **error)
{
  g_autofree char *path = g_build_filename (self->root, "classes.txt", NULL);
  g_autofree char *display = display_path (self, "classes.txt");
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!read_list_file (path, display, &contents, &length, error))
    return FALSE;
  self->classes = voc_classes_parse (contents, length, display, error);
  return self->classes != NULL;
}

/* The regular, non-hidden files of a folder, sorted by name. */
static GPtrArray *
list_folder (VocDataset  *self,
             const char  *folder,
             GError     **error)
{
  g_autofree char *path = g_build_filename (self->root, folder, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &local_error);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    {
      g_autofree char *display = display_path (self, folder);

      g_set_error (error, VOC_ERROR, VOC_ERROR_IO, "%s: %s", display, local_error->message);
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);

      if (name[0] != '.' && is_file (file))
        g_ptr_array_add (files, g_strdup (name));
    }
  g_ptr_array_sort (files, compare_strings);
  return g_steal_pointer (&files);
}

/* An image file's id: its name without the last extension. */
static char *
file_id (const char *file)
{
  const char *dot = strrchr (file, '.');

  return dot ? g_strndup (file, dot - file) : g_strdup (file);
}

/* A mask file's id: its name without the extension and without a suffix that mask folders
 * often add to the image's name ("cell_07_mask.png" is the mask of "cell_07.tif"). */
static char *
mask_id (const char *file,
         GHashTable *images)
{
  static const char *const suffixes[] = { "_mask", "-mask", "_masks", "_label", "-label",
                                          "_labels", "_gt", "_seg", "_segmentation" };
  g_autofree char *id = file_id (file);

  if (g_hash_table_contains (images, id))
    return g_steal_pointer (&id);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (id, suffixes[i]))
      {
        g_autofree char *stem = g_strndup (id, strlen (id) - strlen (suffixes[i]));

        if (g_hash_table_contains (images, stem))
          return g_steal_pointer (&stem);
      }
  return g_steal_pointer (&id);
}

/* id → file name, for the files of `folder`; the first of two files with one id wins and the
 * other is a layout problem. */
static GHashTable *
scan_plain_folder (VocDataset  *self,
                   const char  *folder,
                   GHashTable  *images,
                   GPtrArray   *ids,
                   GError     **error)
{
  g_autoptr(GPtrArray) files = list_folder (self, folder, error);
  g_autoptr(GHashTable) found = NULL;

  if (files == NULL)
    return NULL;
  found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      g_autofree char *id = images != NULL ? mask_id (file, images) : file_id (file);

      if (!id_is_valid (id))
        continue;
      if (g_hash_table_contains (found, id))
        {
          g_ptr_array_add (self->layout_problems,
                           problem_new (id, VOC_ERROR_LAYOUT,
                                        g_strdup_printf ("%s/%s/%s: ignored, “%s” already has "
                                                         "the file %s", self->display_root,
                                                         folder, file, id,
                                                         (char *) g_hash_table_lookup (found,
                                                                                       id))));
          continue;
        }
      g_hash_table_insert (found, g_strdup (id), g_strdup (file));
      if (ids != NULL)
        g_ptr_array_add (ids, g_steal_pointer (&id));
    }
  return g_steal_pointer (&found);
}

static gboolean
scan_plain_images (VocDataset  *self,
                   GError     **error)
{
  self->plain_ids = g_ptr_array_new_with_free_func (g_free);
  self->plain_images = scan_plain_folder (self, self->images_dir, NULL, self->plain_ids, error);
  if (self->plain_images == NULL)
    return FALSE;
  self->plain_masks = scan_plain_folder (self, self->masks_dir, self->plain_images, NULL, error);
  return self->plain_masks != NULL;
}

/* The names people give the two folders of a plain dataset, the usual first. */
static const char *const image_folders[] = { "images", "image", "imgs", "img", NULL };
static const char *const mask_folders[] = { "masks", "mask", "labels", "label", "annotations",
                                            "gt", "groundtruth", NULL };

static const char *
find_child (const char         *root,
            const char *const  *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (is_dir (root, names[i]))
      return names[i];
  return NULL;
}

VocDataset *
voc_dataset_open (const char  *root,
                  GError     **error)
{
  g_autoptr(VocDataset) self = NULL;
  g_autofree char *display = NULL;
  const char *images_dir, *masks_dir;
  char *voc;

  g_return_val_if_fail (root != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display = g_filename_display_name (root);
  if (!g_file_test (root, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND, "%s: no such folder", display);
      return NULL;
    }

  self = g_new0 (VocDataset, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->layout_problems = g_ptr_array_new_with_free_func ((GDestroyNotify) voc_problem_free);
  g_mutex_init (&self->reading_lock);

  if ((voc = find_voc_folder (root)) != NULL)
    {
      self->layout = VOC_LAYOUT_VOCDEVKIT;
      self->root = voc;
      self->classes = voc_classes_new_voc ();
    }
  else if ((images_dir = find_child (root, image_folders)) != NULL &&
           (masks_dir = find_child (root, mask_folders)) != NULL)
    {
      self->layout = VOC_LAYOUT_PLAIN;
      self->root = g_strdup (root);
      self->images_dir = g_strdup (images_dir);
      self->masks_dir = g_strdup (masks_dir);
    }
  else
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_LAYOUT,
                   "%s: not a dataset: expected a VOCdevkit folder (with VOC2007/ inside), a "
                   "VOC2007 folder (with JPEGImages/ and ImageSets/), or a folder with images/, "
                   "masks/ and classes.txt", display);
      return NULL;
    }

  {
    g_autofree char *canonical = g_canonicalize_filename (self->root, NULL);
    g_autofree char *base = g_path_get_basename (canonical);

    self->display_root = g_filename_display_name (base);
  }

  if (self->layout == VOC_LAYOUT_PLAIN
      && (!load_classes (self, error) || !scan_plain_images (self, error)))
    return NULL;

  return g_steal_pointer (&self);
}

VocDataset *
voc_dataset_ref (VocDataset *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
voc_dataset_unref (VocDataset *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->root);
  g_free (self->display_root);
  g_clear_pointer (&self->classes, voc_classes_unref);
  g_free (self->images_dir);
  g_free (self->masks_dir);
  g_free (self->first_binary);
  g_free (self->first_numbered);
  g_mutex_clear (&self->reading_lock);
  g_clear_pointer (&self->plain_images, g_hash_table_unref);
  g_clear_pointer (&self->plain_masks, g_hash_table_unref);
  g_clear_pointer (&self->plain_ids, g_ptr_array_unref);
  g_clear_pointer (&self->layout_problems, g_ptr_array_unref);
  g_free (self);
}

VocLayout
voc_dataset_get_layout (VocDataset *self)
{
  g_return_val_if_fail (self != NULL, VOC_LAYOUT_VOCDEVKIT);
  return self->layout;
}

const char *
voc_dataset_get_root (VocDataset *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->root;
}

int
voc_dataset_get_n_classes (VocDataset *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return voc_classes_get_n (self->classes);
}

const char *const *
voc_dataset_get_class_names (VocDataset *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return voc_classes_get_names (self->classes);
}

VocClasses *
voc_dataset_get_classes (VocDataset *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->classes;
}

const guint8 *
voc_dataset_get_palette (VocDataset *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return voc_classes_get_palette (self->classes);
}

/* --- paths ------------------------------------------------------------------------------- */

/* The path of one of a sample's files relative to the root, or NULL. */
static char *
relative_path (VocDataset   *self,
               const char   *id,
               VocLoadFlags  which)
{
  if (!id_is_valid (id))
    return NULL;

  if (self->layout == VOC_LAYOUT_VOCDEVKIT)
    {
      switch ((int) which)
        {
        case VOC_LOAD_IMAGE:
          return g_strdup_printf ("JPEGImages/%s.jpg", id);
        case VOC_LOAD_LABELS:
          return g_strdup_printf ("SegmentationClass/%s.png", id);
        case VOC_LOAD_INSTANCES:
          return g_strdup_printf ("SegmentationObject/%s.png", id);
        case VOC_LOAD_ANNOTATION:
          return g_strdup_printf ("Annotations/%s.xml", id);
        default:
          g_assert_not_reached ();
        }
    }

  switch ((int) which)
    {
    case VOC_LOAD_IMAGE:
      {
        const char *file = g_hash_table_lookup (self->plain_images, id);

        return file ? g_build_filename (self->images_dir, file, NULL) : NULL;
      }
    case VOC_LOAD_LABELS:
      {
        const char *file = g_hash_table_lookup (self->plain_masks, id);

        return file ? g_build_filename (self->masks_dir, file, NULL)
                    : g_strdup_printf ("%s/%s.png", self->masks_dir, id);
      }
    case VOC_LOAD_INSTANCES:
      return g_strdup_printf ("instances/%s.png", id);
    case VOC_LOAD_ANNOTATION:
      return NULL;
    default:
      g_assert_not_reached ();
    }
  return NULL;
}

static char *
absolute_path (VocDataset   *self,
               const char   *id,
               VocLoadFlags  which)
{
  g_autofree char *relative = relative_path (self, id, which);

  return relative ? g_build_filename (self->root, relative, NULL) : NULL;
}

char *
voc_dataset_get_image_path (VocDataset *self,
                            const char *id)
{
  g_return_val_if_fail (self != NULL, NULL);
  return absolute_path (self, id, VOC_LOAD_IMAGE);
}

char *
voc_dataset_get_mask_path (VocDataset *self,
                           const char *id)
{
  g_return_val_if_fail (self != NULL, NULL);
  return absolute_path (self, id, VOC_LOAD_LABELS);
}

char *
voc_dataset_get_instance_path (VocDataset *self,
                               const char *id)
{
  g_return_val_if_fail (self != NULL, NULL);
  return absolute_path (self, id, VOC_LOAD_INSTANCES);
}

char *
voc_dataset_get_annotation_path (VocDataset *self,
                                 const char *id)
{
  g_return_val_if_fail (self != NULL, NULL);
  return absolute_path (self, id, VOC_LOAD_ANNOTATION);
}

/* --- splits ------------------------------------------------------------------------------ */

char **
voc_dataset_list_splits (VocDataset *self)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *folder = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->layout == VOC_LAYOUT_VOCDEVKIT)
    folder = g_build_filename (self->root, "ImageSets", "Segmentation", NULL);
  else
    folder = g_build_filename (self->root, "splits", NULL);

  if (self->layout == VOC_LAYOUT_PLAIN && !g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (names, g_strdup ("all"));
      g_ptr_array_add (names, g_strdup ("train"));
      g_ptr_array_add (names, g_strdup ("val"));
    }
  else if ((dir = g_dir_open (folder, 0, NULL)) != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (name, ".txt"))
          {
            g_autofree char *split = g_strndup (name, strlen (name) - 4);

            if (split_name_is_valid (split))
              g_ptr_array_add (names, g_steal_pointer (&split));
          }
    }
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

/* The plain layout's seeded split when there is no splits/ folder. */
static GPtrArray *
plain_virtual_split (VocDataset  *self,
                     const char  *split,
                     GError     **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree guint *order = NULL;
  g_autofree gboolean *in_val = NULL;
  guint n = self->plain_ids->len;
  guint n_val;
  UnetRng rng;

  if (g_strcmp0 (split, "all") != 0 && g_strcmp0 (split, "trainval") != 0
      && g_strcmp0 (split, "train") != 0 && g_strcmp0 (split, "val") != 0)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND,
                   "%s: no split “%s” (without a splits/ folder there are all, train and val)",
                   self->display_root, split);
      return NULL;
    }

  order = g_new (guint, MAX (n, 1));
  in_val = g_new0 (gboolean, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    order[i] = i;
  unet_rng_seed (&rng, VOC_PLAIN_SPLIT_SEED);
  for (guint i = n; i > 1; i--)
    {
      guint j = unet_rng_below (&rng, i);
      guint t = order[i - 1];

      order[i - 1] = order[j];
      order[j] = t;
    }
  n_val = n >= 2 ? MAX (1, (guint) (n * VOC_PLAIN_VAL_FRACTION + 0.5)) : 0;
  for (guint i = 0; i < n_val; i++)
    in_val[order[i]] = TRUE;

  for (guint i = 0; i < n; i++)
    {
      gboolean want = g_strcmp0 (split, "val") == 0 ? in_val[i]
                      : g_strcmp0 (split, "train") == 0 ? !in_val[i] : TRUE;

      if (want)
        g_ptr_array_add (ids, g_strdup (g_ptr_array_index (self->plain_ids, i)));
    }
  return g_steal_pointer (&ids);
}

/* A split list: one id per line, blank lines and '#' comments skipped; every id in file order. */
GPtrArray *
_voc_parse_split_list (const char  *contents,
                       gsize        length,
                       const char  *display,
                       GError     **error)
{
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  guint line_no = 0;

  lines = _voc_split_list_lines (contents, length, display, error);
  if (lines == NULL)
    return NULL;
  for (char **l = lines; *l; l++)
    {
      char *line = g_strstrip (*l);
      char *end;

      line_no++;
      if (line[0] == '\0' || line[0] == '#')
        continue;
      /* ImageSets/Main lists carry a second column ("000005 -1"); the id is the first. */
      end = strpbrk (line, " \t");
      if (end != NULL)
        *end = '\0';
      if (!id_is_valid (line))
        {
          g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT, "%s:%u: “%s” is not a valid id",
                       display, line_no, line);
          return NULL;
        }
      g_ptr_array_add (ids, g_strdup (line));
    }
  if (ids->len == 0)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_EMPTY_SPLIT, "%s: the split list has no ids",
                   display);
      return NULL;
    }
  return g_steal_pointer (&ids);
}

/* Every id of a split, in file order, without looking at the files. */
static GPtrArray *
read_split (VocDataset  *self,
            const char  *split,
            char       **display_out,
            GError     **error)
{
  g_autofree char *relative = NULL;
  g_autofree char *display = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  gsize length = 0;

  if (!split_name_is_valid (split))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a split name (letters, digits, ‘_’, ‘-’ and ‘.’)", split);
      return NULL;
    }

  if (self->layout == VOC_LAYOUT_VOCDEVKIT)
    relative = g_strdup_printf ("ImageSets/Segmentation/%s.txt", split);
  else
    {
      g_autofree char *splits = g_build_filename (self->root, "splits", NULL);

      if (!g_file_test (splits, G_FILE_TEST_IS_DIR))
        {
          *display_out = g_strdup_printf ("%s split “%s”", self->display_root, split);
          return plain_virtual_split (self, split, error);
        }
      relative = g_strdup_printf ("splits/%s.txt", split);
    }
  display = display_path (self, relative);
  path = g_build_filename (self->root, relative, NULL);

  if (!read_list_file (path, display, &contents, &length, error))
    return NULL;
  ids = _voc_parse_split_list (contents, length, display, error);
  if (ids == NULL)
    return NULL;
  *display_out = g_steal_pointer (&display);
  return g_steal_pointer (&ids);
}

/* NULL when the id's image and class mask are there, else the display path of the first
 * absent one. */
static char *
first_missing_file (VocDataset *self,
                    const char *id)
{
  static const VocLoadFlags needed[] = { VOC_LOAD_IMAGE, VOC_LOAD_LABELS };

  for (guint i = 0; i < G_N_ELEMENTS (needed); i++)
    {
      g_autofree char *path = absolute_path (self, id, needed[i]);

      if (!is_file (path))
        {
          g_autofree char *relative = relative_path (self, id, needed[i]);

          if (relative == NULL)
            return g_strdup_printf ("%s/images/%s.*", self->display_root, id);
          return display_path (self, relative);
        }
    }
  return NULL;
}

GPtrArray *
voc_dataset_get_split (VocDataset  *self,
                       const char  *split,
                       gboolean     skip_missing,
                       GPtrArray  **missing,
                       GError     **error)
{
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GPtrArray) absent = NULL;
  g_autofree char *display = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (split != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (missing)
    *missing = NULL;
  all = read_split (self, split, &display, error);
  if (all == NULL)
    return NULL;

  ids = g_ptr_array_new_with_free_func (g_free);
  absent = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < all->len; i++)
    {
      const char *id = g_ptr_array_index (all, i);
      g_autofree char *file = first_missing_file (self, id);

      if (file == NULL)
        g_ptr_array_add (ids, g_strdup (id));
      else if (skip_missing)
        g_ptr_array_add (absent, g_strdup (id));
      else
        {
          g_set_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND,
                       "%s: id %s has no files: %s is missing",
                       display, id, file);
          return NULL;
        }
    }
  if (ids->len == 0)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_EMPTY_SPLIT,
                   "%s: none of its %u ids has both an image and a mask", display, all->len);
      return NULL;
    }
  if (missing)
    *missing = g_steal_pointer (&absent);
  return g_steal_pointer (&ids);
}

/* --- samples ----------------------------------------------------------------------------- */

VocSample *
voc_sample_new (const char *id,
                int         width,
                int         height)
{
  VocSample *sample = g_new0 (VocSample, 1);

  sample->id = g_strdup (id);
  sample->width = width;
  sample->height = height;
  return sample;
}

void
voc_sample_free (VocSample *sample)
{
  if (sample == NULL)
    return;
  g_free (sample->id);
  g_free (sample->rgb);
  g_free (sample->labels);
  g_free (sample->instances);
  g_free (sample->weights);
  g_clear_pointer (&sample->annotation, voc_annotation_free);
  g_free (sample);
}

static gboolean
check_size (const char  *display,
            const char  *what,
            int          width,
            int          height,
            const char  *reference,
            int          ref_width,
            int          ref_height,
            GError     **error)
{
  if (width == ref_width && height == ref_height)
    return TRUE;
  g_set_error (error, VOC_ERROR, VOC_ERROR_SIZE_MISMATCH, "%s: %s is %d×%d but the %s is %d×%d",
               display, what, width, height, reference, ref_width, ref_height);
  return FALSE;
}

/* Whether a mask read as class numbers uses 1 for class 1, as a binary mask uses 255. */
static gboolean
uses_value_one (const guint8 *labels,
                size_t        n)
{
  for (size_t i = 0; i < n; i++)
    if (labels[i] == 1)
      return TRUE;
  return FALSE;
}

/* A class mask: decoded, read as classes.txt says, and checked against the other masks read so
 * far (see reading_lock). */
static guint8 *
read_class_mask (VocDataset      *self,
                 const char      *id,
                 const char      *path,
                 const char      *display,
                 int             *width,
                 int             *height,
                 VocMaskReading  *reading,
                 GError         **error)
{
  g_auto(VocRawMask) raw = { 0 };
  g_autofree guint8 *labels = NULL;
  gboolean plain = self->layout == VOC_LAYOUT_PLAIN;
  VocMaskReading how;

  if (!_voc_mask_load_raw_named (path, display, &raw, error))
    return NULL;
  /* known even when the values are wrong: the integrity check reports both */
  *width = raw.width;
  *height = raw.height;
  if (!plain && raw.values == NULL)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_UNSUPPORTED,
                   "%s: an RGB PNG is not a VOC mask; SegmentationClass holds 8-bit palette "
                   "PNGs", display);
      return NULL;
    }
  labels = voc_classes_read_mask (self->classes, &raw, plain, display, &how, error);
  if (labels == NULL)
    return NULL;

  if (plain && voc_classes_get_n (self->classes) == 2 && !voc_classes_is_listed (self->classes)
      && (how == VOC_MASK_READ_BINARY ||
          (how == VOC_MASK_READ_INDEX && !raw.palette
           && uses_value_one (labels, (size_t) raw.width * raw.height))))
    {
      g_autofree char *other = NULL;
      const char *const *names = voc_classes_get_names (self->classes);

      g_mutex_lock (&self->reading_lock);
      if (how == VOC_MASK_READ_BINARY)
        {
          if (self->first_binary == NULL)
            self->first_binary = g_strdup (id);
          other = g_strdup (self->first_numbered);
        }
      else
        {
          if (self->first_numbered == NULL)
            self->first_numbered = g_strdup (id);
          other = g_strdup (self->first_binary);
        }
      g_mutex_unlock (&self->reading_lock);
      if (other != NULL)
        {
          g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_VALUE,
                       "%s: the masks disagree on what 255 means: this one has %s, but the "
                       "mask of “%s” has %s. Say it in classes.txt: “%s = 1 255” if 255 is "
                       "%s, or “void = 255”", display,
                       how == VOC_MASK_READ_BINARY ? "only 0 and 255 (binary)" : "0 and 1",
                       other,
                       how == VOC_MASK_READ_BINARY ? "the values 0 and 1" : "only 0 and 255 "
                       "(binary)", names[1], names[1]);
          return NULL;
        }
    }
  if (reading != NULL)
    *reading = how;
  return g_steal_pointer (&labels);
}

VocSample *
voc_dataset_load_sample (VocDataset    *self,
                         const char    *id,
                         VocLoadFlags   flags,
                         GError       **error)
{
  g_autoptr(VocSample) sample = NULL;
  const char *reference = NULL;
  int w = 0, h = 0;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!id_is_valid (id))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_ARGUMENT, "“%s” is not a valid id", id);
      return NULL;
    }
  sample = voc_sample_new (id, 0, 0);

  if (flags & VOC_LOAD_IMAGE)
    {
      g_autofree char *path = absolute_path (self, id, VOC_LOAD_IMAGE);
      g_autofree char *relative = relative_path (self, id, VOC_LOAD_IMAGE);
      g_autofree char *display = NULL;

      if (path == NULL)
        {
          g_set_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND, "%s/images/%s.*: no such image",
                       self->display_root, id);
          return NULL;
        }
      display = display_path (self, relative);
      sample->rgb = _voc_image_load_rgb_named (path, display, &w, &h, error);
      if (sample->rgb == NULL)
        return NULL;
      reference = "image";
    }

  if (flags & VOC_LOAD_LABELS)
    {
      g_autofree char *path = absolute_path (self, id, VOC_LOAD_LABELS);
      g_autofree char *relative = relative_path (self, id, VOC_LOAD_LABELS);
      g_autofree char *display = display_path (self, relative);
      int mw, mh;

      sample->labels = read_class_mask (self, id, path, display, &mw, &mh, &sample->reading,
                                        error);
      if (sample->labels == NULL)
        return NULL;
      if (reference != NULL && !check_size (display, "mask", mw, mh, reference, w, h, error))
        return NULL;
      if (reference == NULL)
        {
          w = mw;
          h = mh;
          reference = "class mask";
        }
    }

  if (flags & VOC_LOAD_INSTANCES)
    {
      g_autofree char *path = absolute_path (self, id, VOC_LOAD_INSTANCES);
      g_autofree char *relative = relative_path (self, id, VOC_LOAD_INSTANCES);
      g_autofree char *display = display_path (self, relative);
      int mw, mh;

      if (self->layout == VOC_LAYOUT_VOCDEVKIT || is_file (path))
        {
          sample->instances = _voc_mask_load_named (path, display, &mw, &mh, error);
          if (sample->instances == NULL)
            return NULL;
          if (reference != NULL
              && !check_size (display, "instance mask", mw, mh, reference, w, h, error))
            return NULL;
          if (reference == NULL)
            {
              w = mw;
              h = mh;
              reference = "instance mask";
            }
        }
    }

  if ((flags & VOC_LOAD_ANNOTATION) && self->layout == VOC_LAYOUT_VOCDEVKIT)
    {
      g_autofree char *path = absolute_path (self, id, VOC_LOAD_ANNOTATION);
      g_autofree char *relative = relative_path (self, id, VOC_LOAD_ANNOTATION);
      g_autofree char *display = display_path (self, relative);
      VocAnnotation *annotation;

      annotation = _voc_annotation_load_named (path, display, error);
      if (annotation == NULL)
        return NULL;
      sample->annotation = annotation;
      if (reference != NULL
          && !check_size (display, "<size>", annotation->width, annotation->height, reference,
                          w, h, error))
        return NULL;
      if (reference == NULL)
        {
          w = annotation->width;
          h = annotation->height;
        }
    }

  sample->width = w;
  sample->height = h;
  return g_steal_pointer (&sample);
}

/* --- integrity check --------------------------------------------------------------------- */

static void
add_error_problem (GPtrArray  *problems,
                   const char *id,
                   GError     *error)
{
  g_ptr_array_add (problems, problem_new (id, error->code, g_strdup (error->message)));
}

static void
check_one (VocDataset *self,
           const char *id,
           GPtrArray  *problems)
{
  static const VocLoadFlags parts[] = {
    VOC_LOAD_IMAGE, VOC_LOAD_LABELS, VOC_LOAD_INSTANCES, VOC_LOAD_ANNOTATION
  };
  static const char *const what[] = { "image", "class mask", "instance mask", "XML <size>" };
  g_autoptr(GString) absent = g_string_new (NULL);
  g_autofree guint8 *labels = NULL;
  g_autofree guint8 *instances = NULL;
  g_autoptr(VocAnnotation) annotation = NULL;
  int sizes[4][2] = { { 0 } };
  gboolean have[4] = { FALSE };
  char *displays[4] = { NULL };

  for (guint p = 0; p < G_N_ELEMENTS (parts); p++)
    {
      g_autofree char *path = absolute_path (self, id, parts[p]);
      g_autofree char *relative = relative_path (self, id, parts[p]);
      g_autoptr(GError) error = NULL;

      if (self->layout == VOC_LAYOUT_PLAIN
          && (parts[p] == VOC_LOAD_ANNOTATION
              || (parts[p] == VOC_LOAD_INSTANCES && !is_file (path))))
        continue;
      if (!is_file (path))
        {
          g_autofree char *shown = relative ? display_path (self, relative) : NULL;

          g_string_append_printf (absent, "%s%s", absent->len ? ", " : "",
                                  shown ? shown : "an image in images/");
          continue;
        }
      displays[p] = display_path (self, relative);

      switch ((int) parts[p])
        {
        case VOC_LOAD_IMAGE:
          {
            g_autofree float *rgb = _voc_image_load_rgb_named (path, displays[p], &sizes[p][0],
                                                               &sizes[p][1], &error);

            have[p] = rgb != NULL;
          }
          break;
        case VOC_LOAD_LABELS:
          labels = read_class_mask (self, id, path, displays[p], &sizes[p][0], &sizes[p][1],
                                    NULL, &error);
          have[p] = sizes[p][0] > 0;
          break;
        case VOC_LOAD_INSTANCES:
          instances = _voc_mask_load_named (path, displays[p], &sizes[p][0], &sizes[p][1],
                                            &error);
          have[p] = instances != NULL;
          break;
        case VOC_LOAD_ANNOTATION:
          annotation = _voc_annotation_load_named (path, displays[p], &error);
          have[p] = annotation != NULL;
          if (annotation != NULL)
            {
              sizes[p][0] = annotation->width;
              sizes[p][1] = annotation->height;
            }
          break;
        default:
          g_assert_not_reached ();
        }
      if (error != NULL)
        add_error_problem (problems, id, error);
    }

  if (absent->len > 0)
    g_ptr_array_add (problems,
                     problem_new (id, VOC_ERROR_NOT_FOUND,
                                  g_strdup_printf ("id %s: missing %s", id, absent->str)));

  /* Every size against the first file that could be read. */
  for (guint p = 0; p < G_N_ELEMENTS (parts); p++)
    {
      g_autoptr(GError) error = NULL;
      guint r;

      if (!have[p])
        continue;
      for (r = 0; r < p && !have[r]; r++)
        ;
      if (r == p)
        continue;
      if (!check_size (displays[p], what[p], sizes[p][0], sizes[p][1], what[r],
                       sizes[r][0], sizes[r][1], &error))
        add_error_problem (problems, id, error);
    }

  if (instances != NULL && annotation != NULL)
    {
      size_t n = (size_t) sizes[2][0] * sizes[2][1];
      int highest = 0;

      for (size_t i = 0; i < n; i++)
        if (instances[i] != VOC_VOID && instances[i] > highest)
          highest = instances[i];
      if ((guint) highest > annotation->n_objects)
        g_ptr_array_add (problems,
                         problem_new (id, VOC_ERROR_INVALID_VALUE,
                                      g_strdup_printf ("%s: instance %d has no <object> in the "
                                                       "XML, which lists %u", displays[2],
                                                       highest, annotation->n_objects)));
    }

  for (guint p = 0; p < G_N_ELEMENTS (displays); p++)
    g_free (displays[p]);
}

GPtrArray *
voc_dataset_check (VocDataset  *self,
                   const char  *split,
                   GError     **error)
{
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autofree char *display = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (split != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ids = read_split (self, split, &display, error);
  if (ids == NULL)
    return NULL;

  problems = g_ptr_array_new_with_free_func ((GDestroyNotify) voc_problem_free);
  for (guint i = 0; i < self->layout_problems->len; i++)
    {
      VocProblem *p = g_ptr_array_index (self->layout_problems, i);

      g_ptr_array_add (problems, problem_new (p->id, p->code, g_strdup (p->message)));
    }

  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);

      if (!g_hash_table_add (seen, (gpointer) id))
        {
          g_ptr_array_add (problems,
                           problem_new (id, VOC_ERROR_CORRUPT,
                                        g_strdup_printf ("%s: id %s is listed more than once",
                                                         display, id)));
          continue;
        }
      check_one (self, id, problems);
    }
  return g_steal_pointer (&problems);
}
