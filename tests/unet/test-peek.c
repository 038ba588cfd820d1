/* test-peek.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "unet/unet-error.h"
#include "unet/unet-io.h"
#include "unet/unet-model.h"
#include "unet/unet-optimizer.h"
#include "unet/unet-safetensors.h"

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-peek-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

      g_unlink (path);
    }
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);
  g_free (fixture->dir);
}

static UnetModel *
make_model (int depth,
            int base,
            int classes)
{
  g_autoptr(GError) error = NULL;
  const char *const names[] = { "background", "membrane", "cell", NULL };
  const guint8 palette[] = { 0, 0, 0, 200, 10, 20, 30, 220, 40 };
  const float mean[3] = { 0.25f, 0.5f, 0.75f };
  const float std[3] = { 0.125f, 0.25f, 2.0f };
  UnetConfig config;
  UnetModel *model;

  unet_config_init_default (&config);
  config.depth = depth;
  config.base = base;
  config.padding = UNET_PADDING_SAME;
  config.norm = UNET_NORM_BATCH;
  config.classes = classes;
  config.dropout = 0.25f;
  model = unet_model_new (&config, &error);
  g_assert_no_error (error);

  g_assert_cmpint (classes, ==, 3);
  unet_model_set_classes (model, names, palette);
  unet_model_set_normalization (model, mean, std);
  unet_model_set_input_scale (model, 0.5);
  unet_model_set_max_classes (model, 1);
  unet_model_set_info (model, "data", "cells/train");
  return model;
}

static void
assert_describes (const UnetModelFileInfo *info,
                  UnetModel               *model)
{
  const UnetConfig *config = unet_model_get_config (model);
  float mean[3], std[3];

  g_assert_cmpint (info->config.depth, ==, config->depth);
  g_assert_cmpint (info->config.base, ==, config->base);
  g_assert_cmpint (info->config.in_channels, ==, config->in_channels);
  g_assert_cmpint (info->config.padding, ==, config->padding);
  g_assert_cmpint (info->config.norm, ==, config->norm);
  g_assert_cmpfloat (info->config.dropout, ==, config->dropout);
  g_assert_cmpint (info->config.classes, ==, config->classes);
  g_assert_cmpuint (g_strv_length (info->class_names), ==, (guint) config->classes);
  for (int k = 0; k < config->classes; k++)
    g_assert_cmpstr (info->class_names[k], ==, unet_model_get_class_names (model)[k]);
  g_assert_cmpmem (info->palette, 3 * config->classes, unet_model_get_palette (model),
                   3 * config->classes);
  unet_model_get_normalization (model, mean, std);
  g_assert_cmpmem (info->mean, sizeof mean, mean, sizeof mean);
  g_assert_cmpmem (info->std, sizeof std, std, sizeof std);
  g_assert_cmpfloat (info->input_scale, ==, unet_model_get_input_scale (model));
  g_assert_cmpint (info->max_classes, ==, unet_model_get_max_classes (model));
  g_assert_cmpstr (g_hash_table_lookup (info->metadata, "data"), ==, "cells/train");
  g_assert_cmpstr (g_hash_table_lookup (info->metadata, "format"), ==, UNET_FORMAT_NAME);
}

static void
test_model_and_checkpoint (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *model_path = g_build_filename (fixture->dir, "best.safetensors", NULL);
  g_autofree char *checkpoint_path = g_build_filename (fixture->dir, "last.safetensors", NULL);
  g_autoptr(UnetModel) model = make_model (2, 4, 3);
  g_autoptr(UnetOptimizer) optimizer = unet_optimizer_new (model, 0.99, 5e-4);
  g_autoptr(GHashTable) state = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(UnetModelFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (unet_model_save (model, model_path, &error));
  g_assert_no_error (error);
  info = unet_model_file_peek (model_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  assert_describes (info, model);
  g_assert_false (info->is_checkpoint);
  g_clear_pointer (&info, unet_model_file_info_free);

  g_hash_table_insert (state, "step", "1200");
  g_hash_table_insert (state, "options", "{\"epochs\":3}");
  g_assert_true (unet_checkpoint_save (model, optimizer, state, checkpoint_path, &error));
  g_assert_no_error (error);
  info = unet_model_file_peek (checkpoint_path, &error);
  g_assert_no_error (error);
  assert_describes (info, model);
  g_assert_true (info->is_checkpoint);
  g_assert_cmpstr (g_hash_table_lookup (info->metadata, "state.step"), ==, "1200");
  g_assert_cmpstr (g_hash_table_lookup (info->metadata, "state.options"), ==, "{\"epochs\":3}");
  g_assert_nonnull (g_hash_table_lookup (info->metadata, "optim.momentum"));
  g_clear_pointer (&info, unet_model_file_info_free);

  /* state alone, without the optimizer, is a checkpoint too */
  g_assert_true (unet_checkpoint_save (model, NULL, state, checkpoint_path, &error));
  g_assert_no_error (error);
  info = unet_model_file_peek (checkpoint_path, &error);
  g_assert_no_error (error);
  g_assert_true (info->is_checkpoint);
}

static void
test_fixture (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                 "torch-same-bn.model.safetensors", NULL);
  g_autoptr(UnetModelFileInfo) info = NULL;
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("fixtures not found");
      return;
    }
  info = unet_model_file_peek (path, &error);
  g_assert_no_error (error);
  model = unet_model_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->config.depth, ==, unet_model_get_config (model)->depth);
  g_assert_cmpint (info->config.base, ==, unet_model_get_config (model)->base);
  g_assert_cmpint (info->config.norm, ==, UNET_NORM_BATCH);
  g_assert_cmpint (info->config.classes, ==, 21);
  g_assert_cmpstr (info->class_names[1], ==, "aeroplane");
  g_assert_false (info->is_checkpoint);
}

static void
write_bytes (const char *path,
             const void *data,
             gsize       length)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, data, (gssize) length, &error));
  g_assert_no_error (error);
}

static void
assert_peek_fails (const char *path,
                   int         code,
                   const char *expected)
{
  g_autoptr(UnetModelFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = unet_model_file_peek (path, &error);
  g_assert_null (info);
  g_assert_error (error, UNET_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, path));
  if (strstr (error->message, expected) == NULL)
    g_error ("expected “%s” in “%s”", expected, error->message);
}

static void
test_broken (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *good = g_build_filename (fixture->dir, "good.safetensors", NULL);
  g_autofree char *bad = g_build_filename (fixture->dir, "bad.safetensors", NULL);
  g_autoptr(UnetModel) model = make_model (1, 4, 3);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  guint64 header_length;

  g_assert_true (unet_model_save (model, good, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (good, &contents, &length, &error));
  g_assert_no_error (error);
  memcpy (&header_length, contents, 8);
  header_length = GUINT64_FROM_LE (header_length);

  assert_peek_fails (bad, UNET_ERROR_IO, g_strerror (ENOENT));
  assert_peek_fails (fixture->dir, UNET_ERROR_IO, g_strerror (EISDIR));

  write_bytes (bad, "", 0);
  assert_peek_fails (bad, UNET_ERROR_CORRUPT, "too short");
  write_bytes (bad, "not a model", 11);
  assert_peek_fails (bad, UNET_ERROR_CORRUPT, "header length");
  write_bytes (bad, contents, 8);
  assert_peek_fails (bad, UNET_ERROR_CORRUPT, "runs past the end of the file");
  /* cut inside the header */
  write_bytes (bad, contents, 8 + header_length / 2);
  assert_peek_fails (bad, UNET_ERROR_CORRUPT, "runs past the end of the file");
  /* the header whole, the data cut: the offsets are checked against the file's size, as the
   * full reader does, so a file that cannot load does not peek either */
  write_bytes (bad, contents, length - 1);
  assert_peek_fails (bad, UNET_ERROR_CORRUPT, "run past the end of the data");
  write_bytes (bad, contents, 8 + header_length);
  assert_peek_fails (bad, UNET_ERROR_CORRUPT, "run past the end of the data");

  /* garbage in the header */
  {
    g_autofree char *garbled = g_memdup2 (contents, length);

    garbled[8 + header_length / 3] = '\x01';
    write_bytes (bad, garbled, length);
    assert_peek_fails (bad, UNET_ERROR_CORRUPT, "header is not valid JSON");
  }

  /* the same file whole peeks */
  write_bytes (bad, contents, length);
  {
    g_autoptr(UnetModelFileInfo) info = unet_model_file_peek (bad, &error);

    g_assert_no_error (error);
    assert_describes (info, model);
  }
}

/* The bytes this process has read so far (Linux), or -1. */
static gint64
bytes_read (void)
{
  g_autofree char *io = NULL;
  const char *rchar;

  if (!g_file_get_contents ("/proc/self/io", &io, NULL, NULL) ||
      (rchar = strstr (io, "rchar: ")) == NULL)
    return -1;
  return g_ascii_strtoll (rchar + 7, NULL, 10);
}

/* The weights are never read: a model of megabytes costs the header's kilobytes, and tensors
 * in a hole of the file (zeros never written) are not even looked at. */
static void
test_header_only (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "large.safetensors", NULL);
  g_autofree char *sparse = g_build_filename (fixture->dir, "sparse.safetensors", NULL);
  g_autoptr(UnetModel) model = make_model (3, 32, 3);
  g_autoptr(UnetModelFileInfo) info = NULL;
  g_autoptr(UnetSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf stat_buf;
  gint64 before, after;

  g_assert_true (unet_model_save (model, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &stat_buf), ==, 0);
  g_assert_cmpint (stat_buf.st_size, >, 4 << 20);

  before = bytes_read ();
  info = unet_model_file_peek (path, &error);
  after = bytes_read ();
  g_assert_no_error (error);
  assert_describes (info, model);
  if (before >= 0 && after >= 0)
    {
      g_test_message ("peeking at %" G_GINT64_FORMAT " bytes read %" G_GINT64_FORMAT,
                      (gint64) stat_buf.st_size, after - before);
      g_assert_cmpint (after - before, <, 64 * 1024);
    }

  /* a container announcing 1 GiB of data it holds only as a hole */
  {
    const char header[] = "{\"hole\":{\"dtype\":\"U8\",\"shape\":[1073741824],"
                          "\"data_offsets\":[0,1073741824]}}";
    guint64 n = GUINT64_TO_LE (sizeof header - 1);
    FILE *file = g_fopen (sparse, "wb");
    const UnetTensorView *view;

    g_assert_nonnull (file);
    g_assert_cmpint (fwrite (&n, 8, 1, file), ==, 1);
    g_assert_cmpint (fwrite (header, 1, sizeof header - 1, file), ==, sizeof header - 1);
    g_assert_cmpint (fclose (file), ==, 0);
    if (truncate (sparse, 8 + (sizeof header - 1) + G_GINT64_CONSTANT (1073741824)) != 0)
      {
        g_test_message ("no sparse files here: %s", g_strerror (errno));
        return;
      }
    st = unet_safetensors_load_header (sparse, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (unet_safetensors_get_n_tensors (st), ==, 1);
    view = unet_safetensors_lookup (st, "hole");
    g_assert_nonnull (view);
    g_assert_null (view->bytes);
    g_assert_cmpuint (view->n_bytes, ==, G_GUINT64_CONSTANT (1073741824));
    /* not a model: the peek says why, from the header */
    assert_peek_fails (sparse, UNET_ERROR_CORRUPT, "no “format”");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/peek/model-and-checkpoint", Fixture, NULL, fixture_setup,
              test_model_and_checkpoint, fixture_teardown);
  g_test_add ("/peek/fixture", Fixture, NULL, fixture_setup, test_fixture, fixture_teardown);
  g_test_add ("/peek/broken", Fixture, NULL, fixture_setup, test_broken, fixture_teardown);
  g_test_add ("/peek/header-only", Fixture, NULL, fixture_setup, test_header_only,
              fixture_teardown);

  return g_test_run ();
}
