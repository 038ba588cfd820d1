/* fuzz-common.h — what every libFuzzer harness shares
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

/* Rejected inputs are the normal case: their warnings would drown libFuzzer's own output.
 * A critical is a broken precondition inside the code under test, which is a bug: abort, so
 * that libFuzzer keeps the input. */
static inline GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    {
      g_log_writer_standard_streams (level, fields, n_fields, user_data);
      abort ();
    }
  return G_LOG_WRITER_HANDLED;
}

static inline void
fuzz_quiet_logs (void)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}

/* A private folder for the harnesses that can only hand paths to the code under test, removed
 * when the process ends. */
static char *fuzz_tmpdir G_GNUC_UNUSED;

static inline void
fuzz_remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            fuzz_remove_tree (child);
          else
            g_unlink (child);
          g_free (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static inline void
fuzz_remove_tmpdir (void)
{
  if (fuzz_tmpdir != NULL)
    fuzz_remove_tree (fuzz_tmpdir);
}

static inline const char *
fuzz_get_tmpdir (void)
{
  if (fuzz_tmpdir == NULL)
    {
      GError *error = NULL;

      fuzz_tmpdir = g_dir_make_tmp ("unet-fuzz-XXXXXX", &error);
      if (fuzz_tmpdir == NULL)
        {
          fprintf (stderr, "fuzz: cannot make a temporary folder: %s\n", error->message);
          abort ();
        }
      atexit (fuzz_remove_tmpdir);
    }
  return fuzz_tmpdir;
}

/* Writes data to `name` inside the private folder and returns its path (owned by the caller). */
static inline char *
fuzz_write_file (const char    *name,
                 const uint8_t *data,
                 size_t         size)
{
  char *path = g_build_filename (fuzz_get_tmpdir (), name, NULL);
  FILE *file = fopen (path, "wb");

  if (file == NULL || (size > 0 && fwrite (data, 1, size, file) != size) || fclose (file) != 0)
    {
      fprintf (stderr, "fuzz: cannot write %s\n", path);
      abort ();
    }
  return path;
}

/* A failed check of the code under test's promises: crash so that libFuzzer reports it. */
#define FUZZ_CHECK(cond) \
  G_STMT_START { if (G_UNLIKELY (!(cond))) { \
    fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); abort (); } \
  } G_STMT_END
