/* test-file.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "unet/unet-error.h"
#include "unet/unet-file.h"

typedef struct
{
  char *dir;
} Fixture;

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-file-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static guint
count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
assert_contents (const char *path,
                 const char *expected)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, expected);
}

static void
test_write (Fixture       *fixture,
            gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "out.json", NULL);
  g_autoptr(GError) error = NULL;
  GStatBuf st;
  mode_t mask;

  g_assert_true (unet_file_write_atomic (path, "first", 5, &error));
  g_assert_no_error (error);
  assert_contents (path, "first");

  /* replaced whole, nothing left beside it */
  g_assert_true (unet_file_write_atomic (path, "second, longer", 14, &error));
  g_assert_no_error (error);
  assert_contents (path, "second, longer");
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);

  g_assert_true (unet_file_write_atomic (path, NULL, 0, &error));
  g_assert_no_error (error);
  assert_contents (path, "");

  /* the permissions of any new file: the umask decides, not the temporary's 0600 */
  mask = umask (022);
  umask (mask);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0666 & ~mask);
}

static void
test_stream (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "mask.png", NULL);
  g_autoptr(UnetAtomicFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint n_temporaries = 0;

  g_assert_true (unet_file_write_atomic (path, "old", 3, &error));
  g_assert_no_error (error);

  file = unet_atomic_file_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (file);
  g_assert_cmpint (fprintf (unet_atomic_file_get_stream (file), "new %d", 42), >, 0);
  g_assert_true (unet_atomic_file_write (file, " and more", 9, &error));
  g_assert_no_error (error);

  /* until the commit, readers see the old file; the temporary is what the trainer's clean-up
   * takes for a leftover of "mask.png" */
  assert_contents (path, "old");
  dir = g_dir_open (fixture->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!g_str_equal (name, "mask.png"))
      {
        g_assert_true (unet_file_is_atomic_temporary (name, "mask.png"));
        g_assert_false (unet_file_is_atomic_temporary (name, "mask.pn"));
        g_assert_false (unet_file_is_atomic_temporary (name, "other.png"));
        n_temporaries++;
      }
  g_assert_cmpuint (n_temporaries, ==, 1);

  g_assert_true (unet_atomic_file_commit (file, &error));
  g_assert_no_error (error);
  assert_contents (path, "new 42 and more");
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);

  g_assert_true (unet_file_is_atomic_temporary ("last.safetensors.a1B2c3", "last.safetensors"));
  g_assert_false (unet_file_is_atomic_temporary ("last.safetensors.a1B2c", "last.safetensors"));
  g_assert_false (unet_file_is_atomic_temporary ("last.safetensors.a1B2c3d", "last.safetensors"));
  g_assert_false (unet_file_is_atomic_temporary ("last.safetensors.a1-2c3", "last.safetensors"));
  g_assert_false (unet_file_is_atomic_temporary ("last.safetensorsXa1B2c3", "last.safetensors"));
  g_assert_false (unet_file_is_atomic_temporary ("last.safetensors", "last.safetensors"));
}

static void
test_abort (Fixture       *fixture,
            gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "log.csv", NULL);
  g_autoptr(GError) error = NULL;
  UnetAtomicFile *file;

  g_assert_true (unet_file_write_atomic (path, "kept", 4, &error));
  g_assert_no_error (error);

  /* given up before the commit: the old file stays, the temporary goes */
  file = unet_atomic_file_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (unet_atomic_file_write (file, "lost", 4, &error));
  g_assert_cmpuint (count_entries (fixture->dir), ==, 2);
  unet_atomic_file_free (file);
  assert_contents (path, "kept");
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);
}

static void
test_errors (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (fixture->dir, "no-such-folder", "a.png", NULL);
  g_autofree char *folder = g_build_filename (fixture->dir, "folder.png", NULL);
  g_autofree char *inside = g_build_filename (folder, "keep", NULL);
  g_autofree char *path = g_build_filename (fixture->dir, "big.bin", NULL);
  g_autofree char *big = g_malloc0 (100000);
  g_autoptr(GError) error = NULL;

  g_assert_false (unet_file_write_atomic (missing, "x", 1, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, missing));
  g_assert_nonnull (strstr (error->message, g_strerror (ENOENT)));
  g_clear_error (&error);
  g_assert_null (unet_atomic_file_open (missing, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_IO);
  g_clear_error (&error);

  /* the rename fails after everything was written: the temporary must go */
  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  g_assert_true (g_file_set_contents (inside, "keep", -1, NULL));
  g_assert_false (unet_file_write_atomic (folder, "x", 1, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, folder));
  g_assert_nonnull (strstr (error->message, "cannot replace"));
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);

  /* a write that fails (the file size limit gives EFBIG even to root) leaves the old file */
  g_assert_true (unet_file_write_atomic (path, "old", 3, &error));
  g_assert_no_error (error);
  {
    struct rlimit saved, limit;
    void (*saved_handler) (int);
    gboolean ok;

    g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
    limit = saved;
    limit.rlim_cur = 4096;
    saved_handler = signal (SIGXFSZ, SIG_IGN);
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
    ok = unet_file_write_atomic (path, big, 100000, &error);
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
    signal (SIGXFSZ, saved_handler);

    g_assert_false (ok);
    g_assert_error (error, UNET_ERROR, UNET_ERROR_IO);
    g_test_message ("%s", error->message);
    g_assert_true (g_str_has_prefix (error->message, path));
    g_assert_nonnull (strstr (error->message, g_strerror (EFBIG)));
    g_clear_error (&error);
  }
  assert_contents (path, "old");
  g_assert_cmpuint (count_entries (fixture->dir), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/file/write", Fixture, NULL, fixture_setup, test_write, fixture_teardown);
  g_test_add ("/file/stream", Fixture, NULL, fixture_setup, test_stream, fixture_teardown);
  g_test_add ("/file/abort", Fixture, NULL, fixture_setup, test_abort, fixture_teardown);
  g_test_add ("/file/errors", Fixture, NULL, fixture_setup, test_errors, fixture_teardown);

  return g_test_run ();
}
