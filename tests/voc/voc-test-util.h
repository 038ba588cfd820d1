/* voc-test-util.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <glib/gstdio.h>

/* The VOCdevkit folder of the shared subset (VOC2007_ROOT, set by meson), or NULL after marking
 * the test skipped when it is not there. */
static inline const char *
voc_test_root (void)
{
  const char *root = g_getenv ("VOC2007_ROOT");
  g_autofree char *voc2007 = NULL;

  if (root == NULL)
    {
      g_test_skip ("VOC2007_ROOT is not set");
      return NULL;
    }
  voc2007 = g_build_filename (root, "VOC2007", NULL);
  if (!g_file_test (voc2007, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("the shared VOC 2007 subset is not there");
      return NULL;
    }
  return root;
}

static inline char *
voc_test_path (const char *first,
               ...)
{
  const char *root = g_getenv ("VOC2007_ROOT");
  va_list args;
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();

  g_ptr_array_add (parts, (gpointer) root);
  g_ptr_array_add (parts, (gpointer) "VOC2007");
  va_start (args, first);
  for (const char *p = first; p != NULL; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

static inline char *
voc_test_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("voc-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static inline void
voc_test_write (const char *dir,
                const char *name,
                const void *data,
                gssize      length)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, data, length, &error);
  g_assert_no_error (error);
}

static inline void
voc_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR)
              && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            voc_test_rm_rf (child);
          else
            g_unlink (child);
        }
      g_rmdir (path);
    }
}

/* One column of a training run's log.csv (step,epoch,loss,lr,…), a value per step: the
 * validation rows, which leave the loss empty, are left out. */
static inline GArray *
voc_test_read_log_column (const char *run_dir,
                          guint       column)
{
  g_autofree char *path = g_build_filename (run_dir, "log.csv", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GArray *values = g_array_new (FALSE, FALSE, sizeof (double));

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], ",", -1);
      double value;

      g_assert_cmpuint (g_strv_length (fields), >, column);
      if (fields[2][0] == '\0')
        continue;
      g_assert_cmpint (g_ascii_strtoll (fields[0], NULL, 10), ==, values->len + 1);
      value = g_ascii_strtod (fields[column], NULL);
      g_array_append_val (values, value);
    }
  return values;
}
