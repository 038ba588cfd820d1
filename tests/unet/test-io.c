/* test-io.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "unet/unet-error.h"
#include "unet/unet-io.h"
#include "unet/unet-model.h"
#include "unet/unet-optimizer.h"
#include "unet/unet-rng.h"
#include "unet/unet-safetensors.h"
#include "unet/unet-model-train.h"

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-io-XXXXXX", &error);
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

static char *
fixture_path (Fixture    *fixture,
              const char *name)
{
  return g_build_filename (fixture->dir, name, NULL);
}

/* Every float different, running statistics included, so a swapped or dropped tensor shows. */
static UnetModel *
make_model (int         depth,
            UnetPadding padding,
            UnetNorm    norm,
            int         classes,
            guint64     seed)
{
  g_autoptr(GError) error = NULL;
  UnetConfig config;
  UnetModel *model;
  UnetRng rng;

  unet_config_init_default (&config);
  config.depth = depth;
  config.base = 4;
  config.padding = padding;
  config.norm = norm;
  config.classes = classes;
  config.dropout = 0.3f;

  model = unet_model_new (&config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (model);

  unet_rng_seed (&rng, seed);
  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);

      for (size_t k = 0; k < param->numel; k++)
        param->data[k] = (float) unet_rng_normal (&rng);
    }
  return model;
}

static void
assert_models_equal (UnetModel *a,
                     UnetModel *b)
{
  const UnetConfig *ca = unet_model_get_config (a);
  const UnetConfig *cb = unet_model_get_config (b);
  float mean_a[3], std_a[3], mean_b[3], std_b[3];

  g_assert_cmpint (ca->depth, ==, cb->depth);
  g_assert_cmpint (ca->base, ==, cb->base);
  g_assert_cmpint (ca->in_channels, ==, cb->in_channels);
  g_assert_cmpint (ca->classes, ==, cb->classes);
  g_assert_cmpint (ca->padding, ==, cb->padding);
  g_assert_cmpint (ca->norm, ==, cb->norm);
  g_assert_true (memcmp (&ca->dropout, &cb->dropout, sizeof (float)) == 0);

  g_assert_cmpuint (unet_model_get_n_params (a), ==, unet_model_get_n_params (b));
  for (guint i = 0; i < unet_model_get_n_params (a); i++)
    {
      UnetParam *pa = unet_model_get_param (a, i);
      UnetParam *pb = unet_model_get_param (b, i);

      g_assert_cmpstr (pa->name, ==, pb->name);
      g_assert_cmpuint (pa->numel, ==, pb->numel);
      g_assert_cmpmem (pa->data, pa->numel * sizeof (float), pb->data, pb->numel * sizeof (float));
    }

  for (int k = 0; k < ca->classes; k++)
    g_assert_cmpstr (unet_model_get_class_names (a)[k], ==, unet_model_get_class_names (b)[k]);
  g_assert_cmpmem (unet_model_get_palette (a), 3 * ca->classes,
                   unet_model_get_palette (b), 3 * cb->classes);

  unet_model_get_normalization (a, mean_a, std_a);
  unet_model_get_normalization (b, mean_b, std_b);
  g_assert_cmpmem (mean_a, sizeof mean_a, mean_b, sizeof mean_b);
  g_assert_cmpmem (std_a, sizeof std_a, std_b, sizeof std_b);
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *const names[3] = { "sky", "ground \"quoted\" \\ é", "thing\nwith newline" };
  const guint8 palette[9] = { 0, 0, 0, 255, 128, 1, 7, 8, 9 };
  const float mean[3] = { 0.485f, 0.456f, 0.406f };
  const float std[3] = { 0.229f, 1e-3f, 3.0f };

  for (int depth = 1; depth <= 3; depth++)
    for (int padding = UNET_PADDING_VALID; padding <= UNET_PADDING_SAME; padding++)
      for (int norm = UNET_NORM_NONE; norm <= UNET_NORM_BATCH; norm++)
        {
          g_autofree char *path = fixture_path (fixture, "model.safetensors");
          g_autoptr(UnetModel) model = NULL;
          g_autoptr(UnetModel) loaded = NULL;
          g_autoptr(UnetModel) from_bytes = NULL;
          g_autoptr(GError) error = NULL;
          g_autoptr(GBytes) bytes = NULL;
          g_autofree char *contents = NULL;
          gboolean custom = (depth + padding + norm) % 2 == 0;
          gsize length;

          g_test_message ("depth %d, %s, %s", depth, unet_padding_to_string (padding),
                          unet_norm_to_string (norm));
          model = make_model (depth, padding, norm, custom ? 3 : 21, depth * 100 + padding * 10 + norm);
          if (custom)
            {
              unet_model_set_classes (model, names, palette);
              unet_model_set_normalization (model, mean, std);
            }
          unet_model_set_info (model, "data", "VOC2012 train");
          unet_model_set_info (model, "epochs", "12");
          unet_model_set_info (model, "val_miou", "0.6125");
          unet_model_set_info (model, "unicode ✓", "value \"with\" quotes\n");
          /* structural keys cannot be overridden by info strings */
          unet_model_set_info (model, "depth", "99");
          unet_model_set_info (model, "format", "evil/1");

          g_assert_true (unet_model_save (model, path, &error));
          g_assert_no_error (error);

          loaded = unet_model_load (path, &error);
          g_assert_no_error (error);
          g_assert_nonnull (loaded);
          assert_models_equal (model, loaded);

          g_assert_cmpuint (g_hash_table_size (unet_model_get_info_table (loaded)), ==, 4);
          g_assert_cmpstr (unet_model_get_info (loaded, "data"), ==, "VOC2012 train");
          g_assert_cmpstr (unet_model_get_info (loaded, "epochs"), ==, "12");
          g_assert_cmpstr (unet_model_get_info (loaded, "val_miou"), ==, "0.6125");
          g_assert_cmpstr (unet_model_get_info (loaded, "unicode ✓"), ==, "value \"with\" quotes\n");
          g_assert_null (unet_model_get_info (loaded, "depth"));

          g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
          bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
          from_bytes = unet_model_load_bytes (bytes, "memory.safetensors", &error);
          g_assert_no_error (error);
          assert_models_equal (model, from_bytes);

          /* saving again gives the very same bytes */
          {
            g_autofree char *path2 = fixture_path (fixture, "again.safetensors");
            g_autofree char *again = NULL;
            gsize again_length;

            g_assert_true (unet_model_save (loaded, path2, &error));
            g_assert_no_error (error);
            g_assert_true (g_file_get_contents (path2, &again, &again_length, NULL));
            g_assert_cmpmem (again, again_length, g_bytes_get_data (bytes, NULL),
                             g_bytes_get_size (bytes));
          }
        }
}

static void
test_metadata_keys (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *path = fixture_path (fixture, "model.safetensors");
  g_autoptr(UnetModel) model = make_model (2, UNET_PADDING_SAME, UNET_NORM_BATCH, 21, 1);
  g_autoptr(UnetSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  const UnetTensorView *view;

  g_assert_true (unet_model_save (model, path, &error));
  g_assert_no_error (error);
  st = unet_safetensors_load_file (path, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "format"), ==, UNET_FORMAT_NAME);
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "depth"), ==, "2");
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "base"), ==, "4");
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "in_channels"), ==, "3");
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "padding"), ==, "same");
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "norm"), ==, "batch");
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "dropout"), ==, "0.3");
  g_assert_true (g_str_has_prefix (unet_safetensors_get_metadata_string (st, "classes"),
                                   "[\"background\",\"aeroplane\","));
  g_assert_true (g_str_has_prefix (unet_safetensors_get_metadata_string (st, "palette"),
                                   "[[0, 0, 0], [128, 0, 0], [0, 128, 0]"));
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "mean"), ==,
                   "[0.485, 0.456, 0.406]");

  /* PyTorch names and layouts */
  view = unet_safetensors_lookup (st, "enc.0.conv1.weight");
  g_assert_nonnull (view);
  g_assert_cmpint (view->dtype, ==, UNET_DTYPE_F32);
  g_assert_cmpint (view->ndim, ==, 4);
  g_assert_cmpint (view->shape[0], ==, 4);
  g_assert_cmpint (view->shape[1], ==, 3);
  g_assert_cmpint (view->shape[2], ==, 3);
  g_assert_cmpint (view->shape[3], ==, 3);
  view = unet_safetensors_lookup (st, "dec.1.up.weight");
  g_assert_nonnull (view);
  g_assert_cmpint (view->shape[0], ==, 16);
  g_assert_cmpint (view->shape[1], ==, 8);
  view = unet_safetensors_lookup (st, "head.weight");
  g_assert_nonnull (view);
  g_assert_cmpint (view->shape[0], ==, 21);
  g_assert_cmpint (view->shape[1], ==, 4);
  g_assert_nonnull (unet_safetensors_lookup (st, "mid.bn2.running_var"));
  g_assert_null (unet_safetensors_lookup (st, "mid.bn2.num_batches_tracked"));
}

/* Copies a safetensors file with changes: a tensor dropped, one added, one reshaped, metadata
 * overridden (NULL removes the key). */
typedef struct
{
  const char *drop;
  const char *add;
  const char *reshape;
  int64_t     new_last_dim;
  const char *as_u8;
  const char *meta_key;
  const char *meta_value;
} Edit;

static void
rewrite (const char *src,
         const char *dst,
         const Edit *edit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetSafetensors) st = unet_safetensors_load_file (src, &error);
  g_autoptr(UnetSafetensorsWriter) writer = unet_safetensors_writer_new ();
  g_autoptr(GPtrArray) buffers = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;

  g_assert_no_error (error);

  g_hash_table_iter_init (&iter, unet_safetensors_get_metadata (st));
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (edit->meta_key != NULL && g_str_equal (key, edit->meta_key))
        continue;
      unet_safetensors_writer_set_metadata (writer, key, value);
    }
  if (edit->meta_key != NULL && edit->meta_value != NULL)
    unet_safetensors_writer_set_metadata (writer, edit->meta_key, edit->meta_value);

  for (guint i = 0; i < unet_safetensors_get_n_tensors (st); i++)
    {
      const UnetTensorView *view = unet_safetensors_get_tensor (st, i);
      int64_t shape[UNET_SAFETENSORS_MAX_DIMS];
      float *buffer;
      size_t numel = 1;

      if (edit->drop != NULL && g_str_equal (view->name, edit->drop))
        continue;
      memcpy (shape, view->shape, sizeof shape);
      if (edit->reshape != NULL && g_str_equal (view->name, edit->reshape))
        shape[view->ndim - 1] = edit->new_last_dim;
      for (int d = 0; d < view->ndim; d++)
        numel *= (size_t) shape[d];

      buffer = g_new0 (float, MAX (MAX (numel, view->numel), 1));
      g_ptr_array_add (buffers, buffer);
      unet_tensor_view_copy_f32 (view, buffer);
      if (edit->as_u8 != NULL && g_str_equal (view->name, edit->as_u8))
        unet_safetensors_writer_add_u8 (writer, view->name, (const guint8 *) buffer, view->ndim, shape);
      else
        unet_safetensors_writer_add_f32 (writer, view->name, buffer, view->ndim, shape);
    }
  if (edit->add != NULL)
    {
      const int64_t shape[1] = { 2 };
      float *buffer = g_new0 (float, 2);

      g_ptr_array_add (buffers, buffer);
      unet_safetensors_writer_add_f32 (writer, edit->add, buffer, 1, shape);
    }

  g_assert_true (unet_safetensors_writer_write (writer, dst, &error));
  g_assert_no_error (error);
}

/* The peek at the header is as strict as loading: it fails the same way, or else only loading
 * can tell, from the model's table of tensors, that a tensor is missing, extra or of the wrong
 * shape or type. */
static void
assert_load_fails (const char *path,
                   int         code,
                   const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) peek_error = NULL;
  g_autoptr(UnetModel) model = unet_model_load (path, &error);
  g_autoptr(UnetModelFileInfo) info = unet_model_file_peek (path, &peek_error);

  g_assert_null (model);
  g_assert_error (error, UNET_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, path));
  if (strstr (error->message, expected) == NULL)
    g_error ("expected “%s” in “%s”", expected, error->message);

  if (info == NULL)
    {
      g_assert_error (peek_error, UNET_ERROR, code);
      g_assert_cmpstr (peek_error->message, ==, error->message);
    }
  else
    g_assert_cmpint (code, ==, UNET_ERROR_MISMATCH);
}

static void
test_strict (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *good = fixture_path (fixture, "good.safetensors");
  g_autofree char *bad = fixture_path (fixture, "bad.safetensors");
  g_autoptr(UnetModel) model = make_model (1, UNET_PADDING_VALID, UNET_NORM_BATCH, 21, 7);
  g_autoptr(GError) error = NULL;
  const struct
  {
    Edit        edit;
    int         code;
    const char *expected;
  } cases[] = {
    { { .drop = "head.bias" }, UNET_ERROR_MISMATCH, "missing tensor “head.bias”" },
    { { .drop = "enc.0.bn1.running_var" }, UNET_ERROR_MISMATCH, "missing tensor “enc.0.bn1.running_var”" },
    { { .add = "extra.weight" }, UNET_ERROR_MISMATCH, "unexpected tensor “extra.weight”" },
    { { .add = "enc.0.bn1.num_batches_tracked" }, UNET_ERROR_MISMATCH,
      "unexpected tensor “enc.0.bn1.num_batches_tracked”" },
    { { .reshape = "enc.0.conv1.weight", .new_last_dim = 2 }, UNET_ERROR_MISMATCH,
      "tensor “enc.0.conv1.weight” has shape [4, 3, 3, 2], expected [4, 3, 3, 3]" },
    { { .reshape = "head.bias", .new_last_dim = 20 }, UNET_ERROR_MISMATCH,
      "tensor “head.bias” has shape [20], expected [21]" },
    { { .as_u8 = "mid.conv1.bias" }, UNET_ERROR_MISMATCH,
      "tensor “mid.conv1.bias” does not hold floating-point numbers" },
    { { .meta_key = "format", .meta_value = "other-tool/2" }, UNET_ERROR_CORRUPT,
      "unsupported format “other-tool/2” (expected “unet-studio/1”)" },
    { { .meta_key = "format" }, UNET_ERROR_CORRUPT, "no “format”" },
    { { .meta_key = "depth", .meta_value = "9" }, UNET_ERROR_CORRUPT, "metadata “depth”" },
    { { .meta_key = "depth", .meta_value = "0" }, UNET_ERROR_CORRUPT, "metadata “depth”" },
    { { .meta_key = "depth", .meta_value = "two" }, UNET_ERROR_CORRUPT, "metadata “depth”" },
    { { .meta_key = "depth", .meta_value = " 1" }, UNET_ERROR_CORRUPT, "metadata “depth”" },
    { { .meta_key = "depth" }, UNET_ERROR_CORRUPT, "metadata “depth” is missing" },
    { { .meta_key = "depth", .meta_value = "2" }, UNET_ERROR_MISMATCH,
      "tensor “mid.conv2.weight” has shape [8, 8, 3, 3], expected [16, 16, 3, 3]" },
    /* a huge model announced by a small file is refused before it is allocated */
    { { .meta_key = "base", .meta_value = "1024" }, UNET_ERROR_MISMATCH,
      "tensor “mid.conv2.weight” has shape [8, 8, 3, 3], expected [2048, 2048, 3, 3]" },
    { { .drop = "mid.conv1.weight" }, UNET_ERROR_MISMATCH, "missing tensor “mid.conv1.weight”" },
    { { .meta_key = "base", .meta_value = "0" }, UNET_ERROR_CORRUPT, "metadata “base”" },
    { { .meta_key = "base", .meta_value = "100000" }, UNET_ERROR_CORRUPT, "Base width" },
    { { .meta_key = "base", .meta_value = "8" }, UNET_ERROR_MISMATCH, "has shape" },
    { { .meta_key = "in_channels", .meta_value = "99999999999" }, UNET_ERROR_CORRUPT, "metadata “in_channels”" },
    { { .meta_key = "padding", .meta_value = "diagonal" }, UNET_ERROR_CORRUPT, "metadata “padding”" },
    { { .meta_key = "norm", .meta_value = "layer" }, UNET_ERROR_CORRUPT, "metadata “norm”" },
    { { .meta_key = "norm", .meta_value = "none" }, UNET_ERROR_MISMATCH, "unexpected tensor “enc.0.bn1.weight”" },
    { { .meta_key = "dropout", .meta_value = "1.5" }, UNET_ERROR_CORRUPT, "metadata “dropout”" },
    { { .meta_key = "dropout", .meta_value = "nan" }, UNET_ERROR_CORRUPT, "metadata “dropout”" },
    { { .meta_key = "dropout", .meta_value = "0.5x" }, UNET_ERROR_CORRUPT, "metadata “dropout”" },
    { { .meta_key = "classes", .meta_value = "[\"a\", 2]" }, UNET_ERROR_CORRUPT, "metadata “classes”" },
    { { .meta_key = "classes", .meta_value = "{\"a\": 1}" }, UNET_ERROR_CORRUPT, "metadata “classes”" },
    { { .meta_key = "classes", .meta_value = "[\"a\"" }, UNET_ERROR_CORRUPT, "metadata “classes”" },
    { { .meta_key = "classes", .meta_value = "" }, UNET_ERROR_CORRUPT, "metadata “classes”" },
    { { .meta_key = "classes", .meta_value = "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" },
      UNET_ERROR_CORRUPT, "metadata “classes”" },
    { { .meta_key = "classes", .meta_value = "[/*]]]]*/ \"a\"]" }, UNET_ERROR_CORRUPT, "metadata “classes”" },
    { { .meta_key = "classes", .meta_value = "[\"a\"]" }, UNET_ERROR_CORRUPT, "metadata “palette”" },
    { { .meta_key = "classes" }, UNET_ERROR_CORRUPT, "metadata “classes” is missing" },
    { { .meta_key = "palette", .meta_value = "[[0, 0, 0]]" }, UNET_ERROR_CORRUPT, "metadata “palette”" },
    { { .meta_key = "mean", .meta_value = "[0.5, 0.5]" }, UNET_ERROR_CORRUPT, "metadata “mean”" },
    { { .meta_key = "mean", .meta_value = "[0.5, 0.5, \"x\"]" }, UNET_ERROR_CORRUPT, "metadata “mean”" },
    { { .meta_key = "mean", .meta_value = "[0.5, 0.5, 1e999]" }, UNET_ERROR_CORRUPT, "metadata “mean”" },
    { { .meta_key = "std", .meta_value = "[0.5, 0, 0.5]" }, UNET_ERROR_CORRUPT, "metadata “std”" },
  };

  g_assert_true (unet_model_save (model, good, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      rewrite (good, bad, &cases[i].edit);
      assert_load_fails (bad, cases[i].code, cases[i].expected);
    }

  /* and a copy without changes loads */
  {
    const Edit none = { 0 };
    g_autoptr(UnetModel) loaded = NULL;

    rewrite (good, bad, &none);
    loaded = unet_model_load (bad, &error);
    g_assert_no_error (error);
    assert_models_equal (model, loaded);
  }

  /* a palette with more than 255 classes, and wrong palettes in the right count */
  {
    const char *const palettes[] = {
      "[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128], "
      "[0, 128, 128], [128, 128, 128], [64, 0, 0], [192, 0, 0], [64, 128, 0], [192, 128, 0], "
      "[64, 0, 128], [192, 0, 128], [64, 128, 128], [192, 128, 128], [0, 64, 0], [128, 64, 0], "
      "[0, 192, 0], [128, 192, 0], [0, 64, 256]]",
      "[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128], "
      "[0, 128, 128], [128, 128, 128], [64, 0, 0], [192, 0, 0], [64, 128, 0], [192, 128, 0], "
      "[64, 0, 128], [192, 0, 128], [64, 128, 128], [192, 128, 128], [0, 64, 0], [128, 64, 0], "
      "[0, 192, 0], [128, 192, 0], [0, 64]]",
    };

    for (guint i = 0; i < G_N_ELEMENTS (palettes); i++)
      {
        const Edit edit = { .meta_key = "palette", .meta_value = palettes[i] };

        rewrite (good, bad, &edit);
        assert_load_fails (bad, UNET_ERROR_CORRUPT, "metadata “palette”: colour 20");
      }
  }

  /* errors from the container name the file too */
  g_assert_true (g_file_set_contents (bad, "not a model", -1, NULL));
  assert_load_fails (bad, UNET_ERROR_CORRUPT, "header length");
  g_unlink (bad);
  assert_load_fails (bad, UNET_ERROR_IO, "cannot read");
}

static void
test_torch_fixture (Fixture       *fixture,
                    gconstpointer  data)
{
  const char *const names[] = {
    "torch-valid.model.safetensors", "torch-same.model.safetensors",
    "torch-same-bn.model.safetensors",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", names[i], NULL);
      g_autoptr(UnetModel) model = NULL;
      g_autoptr(GError) error = NULL;

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_test_skip ("fixtures not found");
          return;
        }
      model = unet_model_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (unet_model_get_config (model)->base, ==, 4);
      g_assert_cmpint (unet_model_get_config (model)->classes, ==, 21);
      g_assert_cmpstr (unet_model_get_class_names (model)[1], ==, "aeroplane");
    }
}

static void
test_checkpoint (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *path = fixture_path (fixture, "checkpoint.safetensors");
  g_autofree char *model_path = fixture_path (fixture, "model.safetensors");
  g_autoptr(UnetModel) model = make_model (2, UNET_PADDING_VALID, UNET_NORM_BATCH, 5, 42);
  g_autoptr(UnetOptimizer) optimizer = unet_optimizer_new (model, 0.99, 5e-4);
  g_autoptr(UnetModel) loaded = NULL;
  g_autoptr(UnetModel) weights_only = NULL;
  g_autoptr(UnetOptimizer) loaded_optimizer = NULL;
  g_autoptr(GHashTable) state = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) loaded_state = NULL;
  g_autoptr(UnetSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  UnetRng rng;

  unet_rng_seed (&rng, 3);
  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);
      float *velocity = unet_optimizer_get_velocity (optimizer, i);

      if (param->kind == UNET_PARAM_RUNNING_STAT)
        {
          g_assert_null (velocity);
          continue;
        }
      g_assert_nonnull (velocity);
      for (size_t k = 0; k < param->numel; k++)
        velocity[k] = (float) unet_rng_normal (&rng);
    }
  unet_model_set_info (model, "epochs", "3");
  g_hash_table_insert (state, "step", "1200");
  g_hash_table_insert (state, "epoch", "3");
  g_hash_table_insert (state, "rng", "12345678901234567890 42");
  g_hash_table_insert (state, "best_miou", "0.512");

  g_assert_true (unet_checkpoint_save (model, optimizer, state, path, &error));
  g_assert_no_error (error);

  st = unet_safetensors_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (unet_safetensors_lookup (st, "optim.enc.0.conv1.weight"));
  g_assert_nonnull (unet_safetensors_lookup (st, "optim.enc.0.bn1.weight"));
  g_assert_null (unet_safetensors_lookup (st, "optim.enc.0.bn1.running_mean"));
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "state.step"), ==, "1200");
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "optim.momentum"), ==, "0.98999999999999999");

  loaded = unet_checkpoint_load (path, &loaded_optimizer, &loaded_state, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  g_assert_nonnull (loaded_optimizer);
  g_assert_nonnull (loaded_state);
  assert_models_equal (model, loaded);
  g_assert_cmpfloat (unet_optimizer_get_momentum (loaded_optimizer), ==, 0.99);
  g_assert_cmpfloat (unet_optimizer_get_weight_decay (loaded_optimizer), ==, 5e-4);
  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);
      float *a = unet_optimizer_get_velocity (optimizer, i);
      float *b = unet_optimizer_get_velocity (loaded_optimizer, i);

      if (a == NULL)
        {
          g_assert_null (b);
          continue;
        }
      g_assert_cmpmem (a, param->numel * sizeof (float), b, param->numel * sizeof (float));
    }
  g_assert_cmpuint (g_hash_table_size (loaded_state), ==, 4);
  g_assert_cmpstr (g_hash_table_lookup (loaded_state, "step"), ==, "1200");
  g_assert_cmpstr (g_hash_table_lookup (loaded_state, "epoch"), ==, "3");
  g_assert_cmpstr (g_hash_table_lookup (loaded_state, "rng"), ==, "12345678901234567890 42");
  g_assert_cmpstr (g_hash_table_lookup (loaded_state, "best_miou"), ==, "0.512");
  /* checkpoint keys do not leak into the model's info */
  g_assert_cmpuint (g_hash_table_size (unet_model_get_info_table (loaded)), ==, 1);
  g_assert_cmpstr (unet_model_get_info (loaded, "epochs"), ==, "3");

  /* the weights alone */
  weights_only = unet_model_load (path, &error);
  g_assert_no_error (error);
  assert_models_equal (model, weights_only);
  g_clear_pointer (&weights_only, unet_model_free);

  /* neither optimizer nor state wanted */
  weights_only = unet_checkpoint_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_models_equal (model, weights_only);
  g_clear_pointer (&weights_only, unet_model_free);

  /* a model file is not a checkpoint when the optimizer is asked for */
  g_assert_true (unet_model_save (model, model_path, &error));
  g_assert_no_error (error);
  {
    UnetOptimizer *none = (UnetOptimizer *) 0x1;
    GHashTable *no_state = (GHashTable *) 0x1;

    g_assert_null (unet_checkpoint_load (model_path, &none, &no_state, &error));
    g_assert_error (error, UNET_ERROR, UNET_ERROR_MISMATCH);
    g_assert_true (g_str_has_prefix (error->message, model_path));
    g_assert_nonnull (strstr (error->message, "optim.momentum"));
    g_assert_null (none);
    g_assert_null (no_state);
    g_clear_error (&error);
  }
  {
    g_autoptr(GHashTable) empty_state = NULL;

    weights_only = unet_checkpoint_load (model_path, NULL, &empty_state, &error);
    g_assert_no_error (error);
    g_assert_nonnull (empty_state);
    g_assert_cmpuint (g_hash_table_size (empty_state), ==, 0);
  }
}

static void
test_checkpoint_strict (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *good = fixture_path (fixture, "good.safetensors");
  g_autofree char *bad = fixture_path (fixture, "bad.safetensors");
  g_autoptr(UnetModel) model = make_model (1, UNET_PADDING_SAME, UNET_NORM_BATCH, 2, 9);
  g_autoptr(UnetOptimizer) optimizer = unet_optimizer_new (model, 0.9, 0.0);
  g_autoptr(GError) error = NULL;
  const struct
  {
    Edit        edit;
    const char *expected;
  } cases[] = {
    { { .drop = "optim.head.weight" }, "missing tensor “optim.head.weight”" },
    { { .add = "optim.enc.0.bn1.running_mean" }, "unexpected tensor “optim.enc.0.bn1.running_mean”" },
    { { .add = "optim.nothing" }, "unexpected tensor “optim.nothing”" },
    { { .reshape = "optim.mid.conv2.weight", .new_last_dim = 1 }, "tensor “optim.mid.conv2.weight” has shape" },
    { { .meta_key = "optim.momentum", .meta_value = "-1" }, "optim.momentum" },
    { { .meta_key = "optim.weight_decay" }, "optim.weight_decay" },
  };

  g_assert_true (unet_checkpoint_save (model, optimizer, NULL, good, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(UnetOptimizer) loaded_optimizer = NULL;
      g_autoptr(UnetModel) loaded = NULL;

      rewrite (good, bad, &cases[i].edit);
      loaded = unet_checkpoint_load (bad, &loaded_optimizer, NULL, &error);
      g_assert_null (loaded);
      g_assert_null (loaded_optimizer);
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, bad));
      if (strstr (error->message, cases[i].expected) == NULL)
        g_error ("expected “%s” in “%s”", cases[i].expected, error->message);
      g_clear_error (&error);

      /* the model part alone is still fine */
      loaded = unet_model_load (bad, &error);
      g_assert_no_error (error);
    }
}

static void
test_save_errors (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "missing", "model.safetensors", NULL);
  g_autoptr(UnetModel) model = make_model (1, UNET_PADDING_VALID, UNET_NORM_NONE, 2, 1);
  g_autoptr(UnetOptimizer) optimizer = unet_optimizer_new (model, 0.9, 0.0);
  g_autoptr(GError) error = NULL;

  g_assert_false (unet_model_save (model, path, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  g_assert_false (unet_checkpoint_save (model, optimizer, NULL, path, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
}

/* The input scale: written always as the shortest number that reads back, read back exactly, by
 * checkpoints too; a file without it is an older one, run at full size. */
static void
test_input_scale (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *path = fixture_path (fixture, "model.safetensors");
  g_autofree char *checkpoint = fixture_path (fixture, "checkpoint.safetensors");
  g_autofree char *old = fixture_path (fixture, "old.safetensors");
  const struct
  {
    double      scale;
    const char *text;
  } cases[] = {
    { 1.0, "1" }, { 0.5, "0.5" }, { 0.1, "0.1" }, { 4.0, "4" }, { 0.375, "0.375" },
    { 2.0 / 3.0, "0.6666666666666666" }, { 1e-3, "0.001" },
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(UnetModel) model = make_model (1, UNET_PADDING_SAME, UNET_NORM_NONE, 3, 60 + i);
      g_autoptr(UnetModel) loaded = NULL;
      g_autoptr(UnetSafetensors) st = NULL;

      if (cases[i].scale != 1.0)
        unet_model_set_input_scale (model, cases[i].scale);
      /* an info string cannot take the key's place */
      unet_model_set_info (model, "input_scale", "3");
      g_assert_true (unet_model_save (model, path, &error));
      g_assert_no_error (error);

      st = unet_safetensors_load_file (path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "input_scale"), ==, cases[i].text);

      loaded = unet_model_load (path, &error);
      g_assert_no_error (error);
      g_assert_true (unet_model_get_input_scale (loaded) == cases[i].scale);
      g_assert_null (unet_model_get_info (loaded, "input_scale"));
    }

  /* checkpoints carry it, to the model they load as and to the model they are opened as */
  {
    g_autoptr(UnetModel) model = make_model (2, UNET_PADDING_VALID, UNET_NORM_BATCH, 4, 70);
    g_autoptr(UnetOptimizer) optimizer = unet_optimizer_new (model, 0.9, 1e-4);
    g_autoptr(UnetOptimizer) loaded_optimizer = NULL;
    g_autoptr(GHashTable) state = NULL;
    g_autoptr(UnetModel) loaded = NULL;
    g_autoptr(UnetModel) as_model = NULL;

    unet_model_set_input_scale (model, 0.5);
    g_assert_true (unet_checkpoint_save (model, optimizer, NULL, checkpoint, &error));
    g_assert_no_error (error);
    loaded = unet_checkpoint_load (checkpoint, &loaded_optimizer, &state, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (unet_model_get_input_scale (loaded), ==, 0.5);
    as_model = unet_model_load (checkpoint, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (unet_model_get_input_scale (as_model), ==, 0.5);
  }

  /* a file from before the key existed */
  {
    g_autoptr(UnetModel) model = make_model (1, UNET_PADDING_VALID, UNET_NORM_NONE, 3, 71);
    g_autoptr(UnetModel) loaded = NULL;
    const Edit edit = { .meta_key = "input_scale" };
    g_autoptr(UnetSafetensors) st = NULL;

    unet_model_set_input_scale (model, 0.25);
    g_assert_true (unet_model_save (model, path, &error));
    g_assert_no_error (error);
    rewrite (path, old, &edit);
    st = unet_safetensors_load_file (old, &error);
    g_assert_no_error (error);
    g_assert_null (unet_safetensors_get_metadata_string (st, "input_scale"));
    loaded = unet_model_load (old, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (unet_model_get_input_scale (loaded), ==, 1.0);
  }

  /* anything but a number in (0, 4] is refused, naming the file and the key */
  {
    const char *const bad_values[] = {
      "abc", "0", "-1", "1e9", "4.0001", "nan", "inf", "", " 0.5", "0.5 ", "0,5", "[0.5]",
    };
    g_autoptr(UnetModel) model = make_model (1, UNET_PADDING_VALID, UNET_NORM_NONE, 3, 72);

    g_assert_true (unet_model_save (model, path, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (bad_values); i++)
      {
        const Edit edit = { .meta_key = "input_scale", .meta_value = bad_values[i] };

        rewrite (path, old, &edit);
        assert_load_fails (old, UNET_ERROR_CORRUPT, "metadata “input_scale”");
      }
  }
}

/* The limit on foreground classes per image: absent when there is none (so files stay as they
 * were), a whole number from 1 to classes-1 otherwise, carried by checkpoints too. */
static void
test_max_classes (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *path = fixture_path (fixture, "model.safetensors");
  g_autofree char *checkpoint = fixture_path (fixture, "checkpoint.safetensors");
  g_autofree char *edited = fixture_path (fixture, "edited.safetensors");
  g_autoptr(UnetModel) model = make_model (1, UNET_PADDING_SAME, UNET_NORM_BATCH, 3, 80);
  g_autoptr(UnetOptimizer) optimizer = unet_optimizer_new (model, 0.9, 1e-4);
  g_autoptr(GError) error = NULL;
  int classes = unet_model_get_config (model)->classes;

  for (int max_classes = 0; max_classes < classes; max_classes += classes - 1)
    {
      g_autoptr(UnetModel) loaded = NULL;
      g_autoptr(UnetSafetensors) st = NULL;

      unet_model_set_max_classes (model, max_classes);
      g_assert_true (unet_model_save (model, path, &error));
      g_assert_no_error (error);
      st = unet_safetensors_load_file (path, &error);
      g_assert_no_error (error);
      if (max_classes == 0)
        g_assert_null (unet_safetensors_get_metadata_string (st, "max_classes"));
      else
        g_assert_cmpint (atoi (unet_safetensors_get_metadata_string (st, "max_classes")), ==,
                         max_classes);
      loaded = unet_model_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (unet_model_get_max_classes (loaded), ==, max_classes);
    }

  {
    g_autoptr(UnetOptimizer) loaded_optimizer = NULL;
    g_autoptr(GHashTable) state = NULL;
    g_autoptr(UnetModel) loaded = NULL;

    unet_model_set_max_classes (model, 1);
    g_assert_true (unet_checkpoint_save (model, optimizer, NULL, checkpoint, &error));
    g_assert_no_error (error);
    loaded = unet_checkpoint_load (checkpoint, &loaded_optimizer, &state, &error);
    g_assert_no_error (error);
    g_assert_cmpint (unet_model_get_max_classes (loaded), ==, 1);
  }

  {
    g_autofree char *too_many = g_strdup_printf ("%d", classes);
    const char *const bad_values[] = {
      "abc", "-1", "1.5", "1e300", "-1e300", "nan", "", " 1", "[1]", too_many,
    };

    g_assert_true (unet_model_save (model, path, &error));
    for (guint i = 0; i < G_N_ELEMENTS (bad_values); i++)
      {
        const Edit edit = { .meta_key = "max_classes", .meta_value = bad_values[i] };

        rewrite (path, edited, &edit);
        assert_load_fails (edited, UNET_ERROR_CORRUPT, "metadata “max_classes”");
      }
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/io/round-trip", Fixture, NULL, fixture_setup, test_round_trip, fixture_teardown);
  g_test_add ("/io/max-classes", Fixture, NULL, fixture_setup, test_max_classes, fixture_teardown);
  g_test_add ("/io/metadata-keys", Fixture, NULL, fixture_setup, test_metadata_keys, fixture_teardown);
  g_test_add ("/io/strict", Fixture, NULL, fixture_setup, test_strict, fixture_teardown);
  g_test_add ("/io/torch-fixture", Fixture, NULL, fixture_setup, test_torch_fixture, fixture_teardown);
  g_test_add ("/io/checkpoint", Fixture, NULL, fixture_setup, test_checkpoint, fixture_teardown);
  g_test_add ("/io/checkpoint-strict", Fixture, NULL, fixture_setup, test_checkpoint_strict,
              fixture_teardown);
  g_test_add ("/io/save-errors", Fixture, NULL, fixture_setup, test_save_errors, fixture_teardown);
  g_test_add ("/io/input-scale", Fixture, NULL, fixture_setup, test_input_scale, fixture_teardown);

  return g_test_run ();
}
