/* test-safetensors.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "unet/unet-error.h"
#include "unet/unet-safetensors.h"

#define NAME "test.safetensors"

/* An exact-size copy, so that AddressSanitizer and valgrind see any read past the end. */
static GBytes *
make_file (const char *header,
           const void *data,
           size_t      data_length)
{
  size_t header_length = strlen (header);
  guint64 n = GUINT64_TO_LE ((guint64) header_length);
  guint8 *buf = g_malloc (8 + header_length + data_length);

  memcpy (buf, &n, 8);
  memcpy (buf + 8, header, header_length);
  if (data_length > 0)
    memcpy (buf + 8 + header_length, data, data_length);
  return g_bytes_new_take (buf, 8 + header_length + data_length);
}

static GBytes *
make_raw (const void *raw,
          size_t      length)
{
  return g_bytes_new (raw, length);
}

static void
assert_bytes_rejected (GBytes     *bytes,
                       const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetSafetensors) st = NULL;

  st = unet_safetensors_load_bytes (bytes, NAME, &error);
  g_assert_null (st);
  g_assert_error (error, UNET_ERROR, UNET_ERROR_CORRUPT);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, NAME ": "));
  if (strstr (error->message, expected) == NULL)
    g_error ("expected “%s” in “%s”", expected, error->message);
}

static void
assert_rejected (const char *header,
                 size_t      data_length,
                 const char *expected)
{
  g_autofree guint8 *data = g_malloc0 (MAX (data_length, 1));
  g_autoptr(GBytes) bytes = make_file (header, data, data_length);

  assert_bytes_rejected (bytes, expected);
}

static UnetSafetensors *
load_ok (const char *header,
         const void *data,
         size_t      data_length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = make_file (header, data, data_length);
  UnetSafetensors *st = unet_safetensors_load_bytes (bytes, NAME, &error);

  g_assert_no_error (error);
  g_assert_nonnull (st);
  return st;
}

static char *
make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("test-safetensors-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
assert_float_bits (float a,
                   float b)
{
  guint32 x, y;

  memcpy (&x, &a, 4);
  memcpy (&y, &b, 4);
  if (x != y)
    g_error ("float %a (0x%08x) != %a (0x%08x)", a, x, b, y);
}

/* --- round trips --------------------------------------------------------------------------- */

static void
test_round_trip (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "round.safetensors", NULL);
  g_autoptr(UnetSafetensorsWriter) writer = unet_safetensors_writer_new ();
  g_autoptr(UnetSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  guint64 header_length;
  const float matrix[6] = { 1.0f, -2.5f, 3.25f, INFINITY, -0.0f, 1e-40f };
  const float scalar = 42.5f;
  const float big[1 * 1 * 1 * 1 * 1 * 1 * 1 * 2] = { 7.0f, 8.0f };
  const guint8 bytes[5] = { 0, 1, 127, 128, 255 };
  const int64_t matrix_shape[2] = { 2, 3 };
  const int64_t empty_shape[2] = { 0, 5 };
  const int64_t bytes_shape[1] = { 5 };
  const int64_t big_shape[8] = { 1, 1, 1, 1, 1, 1, 1, 2 };
  const UnetTensorView *view;
  float out[6];

  unet_safetensors_writer_add_f32 (writer, "matrix", matrix, 2, matrix_shape);
  unet_safetensors_writer_add_f32 (writer, "scalar", &scalar, 0, NULL);
  unet_safetensors_writer_add_f32 (writer, "empty", NULL, 2, empty_shape);
  unet_safetensors_writer_add_u8 (writer, "bytes", bytes, 1, bytes_shape);
  unet_safetensors_writer_add_f32 (writer, "eight.dims", big, 8, big_shape);
  unet_safetensors_writer_set_metadata (writer, "format", "test/1");
  unet_safetensors_writer_set_metadata (writer, "quote\"back\\slash", "line\nbreak\ttab\x01 é ✓ 😀");
  unet_safetensors_writer_set_metadata (writer, "empty", "");
  unet_safetensors_writer_set_metadata (writer, "format", "test/2");

  g_assert_true (unet_safetensors_writer_write (writer, path, &error));
  g_assert_no_error (error);

  /* header padded to a multiple of 8, __metadata__ first */
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  memcpy (&header_length, contents, 8);
  header_length = GUINT64_FROM_LE (header_length);
  g_assert_cmpuint (header_length % 8, ==, 0);
  g_assert_cmpuint (length, ==, 8 + header_length + 24 + 4 + 0 + 5 + 8);
  g_assert_true (g_str_has_prefix (contents + 8, "{\"__metadata__\":{"));

  st = unet_safetensors_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (st);

  g_assert_cmpuint (unet_safetensors_get_n_tensors (st), ==, 5);
  /* file order is insertion order; the empty tensor shares its offsets with "bytes" */
  g_assert_cmpstr (unet_safetensors_get_tensor (st, 0)->name, ==, "matrix");
  g_assert_cmpstr (unet_safetensors_get_tensor (st, 1)->name, ==, "scalar");
  g_assert_cmpstr (unet_safetensors_get_tensor (st, 4)->name, ==, "eight.dims");

  view = unet_safetensors_lookup (st, "matrix");
  g_assert_nonnull (view);
  g_assert_cmpint (view->dtype, ==, UNET_DTYPE_F32);
  g_assert_cmpint (view->ndim, ==, 2);
  g_assert_cmpint (view->shape[0], ==, 2);
  g_assert_cmpint (view->shape[1], ==, 3);
  g_assert_cmpuint (view->numel, ==, 6);
  g_assert_cmpuint (view->n_bytes, ==, 24);
  unet_tensor_view_copy_f32 (view, out);
  for (int i = 0; i < 6; i++)
    assert_float_bits (out[i], matrix[i]);

  view = unet_safetensors_lookup (st, "scalar");
  g_assert_nonnull (view);
  g_assert_cmpint (view->ndim, ==, 0);
  g_assert_cmpuint (view->numel, ==, 1);
  unet_tensor_view_copy_f32 (view, out);
  assert_float_bits (out[0], scalar);

  view = unet_safetensors_lookup (st, "empty");
  g_assert_nonnull (view);
  g_assert_cmpint (view->ndim, ==, 2);
  g_assert_cmpint (view->shape[0], ==, 0);
  g_assert_cmpint (view->shape[1], ==, 5);
  g_assert_cmpuint (view->numel, ==, 0);
  g_assert_cmpuint (view->n_bytes, ==, 0);
  unet_tensor_view_copy_f32 (view, out);

  view = unet_safetensors_lookup (st, "bytes");
  g_assert_nonnull (view);
  g_assert_cmpint (view->dtype, ==, UNET_DTYPE_U8);
  g_assert_cmpmem (view->bytes, view->n_bytes, bytes, sizeof bytes);
  unet_tensor_view_copy_f32 (view, out);
  g_assert_cmpfloat (out[4], ==, 255.0f);

  view = unet_safetensors_lookup (st, "eight.dims");
  g_assert_nonnull (view);
  g_assert_cmpint (view->ndim, ==, 8);
  g_assert_cmpint (view->shape[7], ==, 2);
  unet_tensor_view_copy_f32 (view, out);
  g_assert_cmpfloat (out[1], ==, 8.0f);

  g_assert_null (unet_safetensors_lookup (st, "missing"));

  g_assert_cmpuint (g_hash_table_size (unet_safetensors_get_metadata (st)), ==, 3);
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "format"), ==, "test/2");
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "quote\"back\\slash"), ==,
                   "line\nbreak\ttab\x01 é ✓ 😀");
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "empty"), ==, "");
  g_assert_null (unet_safetensors_get_metadata_string (st, "nope"));

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpuint (count_entries (dir), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_empty_file (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "empty.safetensors", NULL);
  g_autoptr(UnetSafetensorsWriter) writer = unet_safetensors_writer_new ();
  g_autoptr(UnetSafetensors) st = NULL;
  g_autoptr(UnetSafetensors) st2 = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (unet_safetensors_writer_write (writer, path, &error));
  g_assert_no_error (error);
  st = unet_safetensors_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unet_safetensors_get_n_tensors (st), ==, 0);
  g_assert_nonnull (unet_safetensors_get_metadata (st));
  g_assert_cmpuint (g_hash_table_size (unet_safetensors_get_metadata (st)), ==, 0);

  /* the smallest valid file, with no padding */
  st2 = load_ok ("{}", NULL, 0);
  g_assert_cmpuint (unet_safetensors_get_n_tensors (st2), ==, 0);

  g_unlink (path);
  g_rmdir (dir);
}

static void
put_u16 (guint8  *p,
         guint16  v)
{
  v = GUINT16_TO_LE (v);
  memcpy (p, &v, 2);
}

static void
put_u64 (guint8  *p,
         guint64  v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
}

static void
put_f64 (guint8 *p,
         double  d)
{
  guint64 v;

  memcpy (&v, &d, 8);
  put_u64 (p, v);
}

static void
test_dtypes (void)
{
  /* A one-byte tensor first, so that every following tensor sits at an odd address. */
  const char *header =
    "{\"odd\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
    "\"f16\":{\"dtype\":\"F16\",\"shape\":[11],\"data_offsets\":[1,23]},"
    "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[6],\"data_offsets\":[23,35]},"
    "\"f64\":{\"dtype\":\"F64\",\"shape\":[5],\"data_offsets\":[35,75]},"
    "\"i64\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[75,99]},"
    "\"f32\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[99,107]}}";
  const guint16 f16[11] = { 0x3c00, 0xc000, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00, 0x8000,
                            0x7bff, 0x3555, 0x0400 };
  const float f16_expected[11] = { 1.0f, -2.0f, 0x1p-24f, 0x3ffp-24f, INFINITY, -INFINITY, NAN,
                                   -0.0f, 65504.0f, 0x1.554p-2f, 0x1p-14f };
  const guint16 bf16[6] = { 0x3f80, 0x7f80, 0x0001, 0x7fc0, 0xc040, 0x8000 };
  const float bf16_expected[6] = { 1.0f, INFINITY, 0x1p-133f, NAN, -3.0f, -0.0f };
  const double f64[5] = { 1.5, 1e300, -1e-50, 0.1, -1e300 };
  const float f64_expected[5] = { 1.5f, INFINITY, -0.0f, 0.1f, -INFINITY };
  guint8 data[107];
  g_autoptr(UnetSafetensors) st = NULL;
  const UnetTensorView *view;
  float out[16];

  data[0] = 0xab;
  for (int i = 0; i < 11; i++)
    put_u16 (data + 1 + 2 * i, f16[i]);
  for (int i = 0; i < 6; i++)
    put_u16 (data + 23 + 2 * i, bf16[i]);
  for (int i = 0; i < 5; i++)
    put_f64 (data + 35 + 8 * i, f64[i]);
  put_u64 (data + 75, (guint64) -3);
  put_u64 (data + 83, G_GUINT64_CONSTANT (1) << 40);
  put_u64 (data + 91, 0);
  {
    const float f32[2] = { -7.5f, 0x1p-149f };
    guint32 bits;

    for (int i = 0; i < 2; i++)
      {
        memcpy (&bits, &f32[i], 4);
        bits = GUINT32_TO_LE (bits);
        memcpy (data + 99 + 4 * i, &bits, 4);
      }
  }

  st = load_ok (header, data, sizeof data);
  g_assert_cmpuint (unet_safetensors_get_n_tensors (st), ==, 6);

  view = unet_safetensors_lookup (st, "f16");
  g_assert_cmpint (view->dtype, ==, UNET_DTYPE_F16);
  unet_tensor_view_copy_f32 (view, out);
  for (int i = 0; i < 11; i++)
    {
      if (isnan (f16_expected[i]))
        g_assert_true (isnan (out[i]));
      else
        assert_float_bits (out[i], f16_expected[i]);
    }

  view = unet_safetensors_lookup (st, "bf16");
  g_assert_cmpint (view->dtype, ==, UNET_DTYPE_BF16);
  unet_tensor_view_copy_f32 (view, out);
  for (int i = 0; i < 6; i++)
    {
      if (isnan (bf16_expected[i]))
        g_assert_true (isnan (out[i]));
      else
        assert_float_bits (out[i], bf16_expected[i]);
    }

  view = unet_safetensors_lookup (st, "f64");
  g_assert_cmpint (view->dtype, ==, UNET_DTYPE_F64);
  unet_tensor_view_copy_f32 (view, out);
  for (int i = 0; i < 5; i++)
    assert_float_bits (out[i], f64_expected[i]);

  view = unet_safetensors_lookup (st, "i64");
  g_assert_cmpint (view->dtype, ==, UNET_DTYPE_I64);
  unet_tensor_view_copy_f32 (view, out);
  g_assert_cmpfloat (out[0], ==, -3.0f);
  g_assert_cmpfloat (out[1], ==, 0x1p40f);
  g_assert_cmpfloat (out[2], ==, 0.0f);

  view = unet_safetensors_lookup (st, "f32");
  unet_tensor_view_copy_f32 (view, out);
  assert_float_bits (out[0], -7.5f);
  assert_float_bits (out[1], 0x1p-149f);

  view = unet_safetensors_get_tensor (st, 0);
  g_assert_cmpstr (view->name, ==, "odd");
  g_assert_cmpuint (view->bytes[0], ==, 0xab);
}

static void
test_unicode_names (void)
{
  const char *header =
    "{\"\\ud83d\\ude00 \\u00e9\\/\\\"x\\\\\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]},"
    "\"\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[1,1]}}   ";
  guint8 data[1] = { 9 };
  g_autoptr(UnetSafetensors) st = load_ok (header, data, 1);

  g_assert_nonnull (unet_safetensors_lookup (st, "😀 é/\"x\\"));
  g_assert_nonnull (unet_safetensors_lookup (st, ""));
}

static void
test_official_fixture (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                 "torch-same-bn.model.safetensors", NULL);
  g_autoptr(UnetSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  const UnetTensorView *view;
  guint64 expected = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("fixture not found");
      return;
    }

  st = unet_safetensors_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (unet_safetensors_get_metadata_string (st, "format"), ==, "unet-studio/1");
  view = unet_safetensors_lookup (st, "enc.0.conv1.weight");
  g_assert_nonnull (view);
  g_assert_cmpint (view->ndim, ==, 4);
  g_assert_cmpint (view->shape[0], ==, 4);
  g_assert_cmpint (view->shape[1], ==, 3);
  for (guint i = 0; i < unet_safetensors_get_n_tensors (st); i++)
    {
      view = unet_safetensors_get_tensor (st, i);
      g_assert_true (view->bytes == unet_safetensors_get_tensor (st, 0)->bytes + expected);
      expected += view->n_bytes;
    }
}

/* --- hostile input ------------------------------------------------------------------------- */

static void
test_short_files (void)
{
  guint8 raw[16] = { 0 };
  g_autoptr(GBytes) empty = make_raw (raw, 0);
  g_autoptr(GBytes) seven = make_raw (raw, 7);
  g_autoptr(GBytes) zero_header = make_raw (raw, 8);
  g_autoptr(GBytes) one_header = NULL;
  g_autoptr(GBytes) huge = NULL;
  g_autoptr(GBytes) past_end = NULL;
  g_autoptr(GBytes) over_limit = NULL;

  assert_bytes_rejected (empty, "too short");
  assert_bytes_rejected (seven, "too short");
  assert_bytes_rejected (zero_header, "header length 0 is too small");

  put_u64 (raw, 1);
  raw[8] = '{';
  one_header = make_raw (raw, 9);
  assert_bytes_rejected (one_header, "too small");

  put_u64 (raw, G_GUINT64_CONSTANT (1) << 63);
  huge = make_raw (raw, 16);
  assert_bytes_rejected (huge, "header length 9223372036854775808");

  put_u64 (raw, UNET_SAFETENSORS_MAX_HEADER + 1);
  over_limit = make_raw (raw, 16);
  assert_bytes_rejected (over_limit, "limit");

  put_u64 (raw, 9);
  memcpy (raw + 8, "{}      ", 8);
  past_end = make_raw (raw, 16);
  assert_bytes_rejected (past_end, "runs past the end of the file (16 bytes)");
}

/* A tensor's data_offsets that do not match its shape, leave holes, overlap or overflow. */
static void
assert_bad_offsets_rejected (void)
{
  /* the example of the specification of the error messages */
  assert_rejected ("{\"enc.0.conv1.weight\":{\"dtype\":\"F32\",\"shape\":[4,3,3,3],"
                   "\"data_offsets\":[0,400]}}", 400,
                   NAME ": tensor “enc.0.conv1.weight”: data_offsets [0, 400] do not match "
                   "shape [4, 3, 3, 3] of F32 (432 bytes)");

  /* offsets */
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 2,
                   "tensor “a”: data_offsets [0, 4] run past the end of the data (2 bytes)");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                   "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}}", 6,
                   "tensor “b”: data_offsets [2, 6] overlap tensor “a” [0, 4]");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                   "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}", 6,
                   "tensor “b”: data_offsets [4, 6] leave a hole of 2 bytes");
  assert_rejected ("{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}", 4,
                   "tensor “b”: data_offsets [2, 4] leave a hole");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 6,
                   "2 bytes after the last tensor");
  assert_rejected ("{}", 1, "1 bytes after the last tensor");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4,
                   "tensor “a”: data_offsets [4, 0] end before they begin");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4,4]}}", 4,
                   "tensor “a”: “data_offsets” is not a pair");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[-1,3]}}", 4,
                   "“data_offsets” is not a pair of non-negative integers");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,18446744073709551620]}}",
                   4, "integer out of range");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],"
                   "\"data_offsets\":[18446744073709551615,18446744073709551619]}}",
                   4, "integer out of range");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],"
                   "\"data_offsets\":[9223372036854775804,9223372036854775807]}}",
                   4, "do not match");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[3],"
                   "\"data_offsets\":[9223372036854775804,9223372036854775807]}}",
                   4, "run past the end");
}

/* A tensor entry's shape, dtype or members, and metadata, that are not what the format allows. */
static void
assert_bad_entries_rejected (void)
{
  /* shapes */
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0,
                   "tensor “a”: “shape” holds something other than a non-negative integer");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[2.0],\"data_offsets\":[0,2]}}", 2,
                   "non-negative integer");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[\"2\"],\"data_offsets\":[0,2]}}", 2,
                   "non-negative integer");
  assert_rejected ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
                   "\"data_offsets\":[0,0]}}", 0, "tensor “a”: shape [4294967296, 4294967296, "
                   "4294967296] has too many elements");
  assert_rejected ("{\"a\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,2],"
                   "\"data_offsets\":[0,0]}}", 0, "too many elements");
  assert_rejected ("{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],"
                   "\"data_offsets\":[0,0]}}", 0, "too many elements");
  assert_rejected ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4,0],"
                   "\"data_offsets\":[0,4]}}", 4, "do not match");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],"
                   "\"data_offsets\":[0,1]}}", 1, "“shape” has 9 dimensions, at most 8");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":4,\"data_offsets\":[0,4]}}", 4,
                   "“shape” is not an array");

  /* dtypes and members */
  assert_rejected ("{\"a\":{\"dtype\":\"Q8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4,
                   "tensor “a”: unsupported dtype “Q8”");
  assert_rejected ("{\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                   "unsupported dtype “I32”");
  assert_rejected ("{\"a\":{\"dtype\":null,\"shape\":[4],\"data_offsets\":[0,4]}}", 4,
                   "“dtype” is not a string");
  assert_rejected ("{\"a\":{\"shape\":[4],\"data_offsets\":[0,4]}}", 4, "tensor “a”: missing “dtype”");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,4]}}", 4, "missing “shape”");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[4]}}", 4, "missing “data_offsets”");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4],\"x\":1}}", 4,
                   "tensor “a”: unexpected field “x”");
  assert_rejected ("{\"a\":[1,2]}", 0, "tensor “a”: entry is not a JSON object");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                   "\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}", 8,
                   "“a” appears more than once");
  assert_rejected ("{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}",
                   4, "“dtype” appears more than once");
  assert_rejected ("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "“k” appears more than once");

  /* metadata */
  assert_rejected ("{\"__metadata__\":{\"format\":1}}", 0, "metadata “format” is not a string");
  assert_rejected ("{\"__metadata__\":{\"format\":[\"x\"]}}", 0, "metadata “format” is not a string");
  assert_rejected ("{\"__metadata__\":{\"format\":null}}", 0, "not a string");
  assert_rejected ("{\"__metadata__\":\"x\"}", 0, "“__metadata__” is not an object");
}

/* Headers that are not one JSON object in UTF-8, and nesting bombs. */
static void
assert_bad_json_rejected (void)
{
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) deep_object = g_string_new ("{\"a\":{\"dtype\":\"U8\",\"shape\":");

  /* not JSON, or not an object */
  assert_rejected ("[]", 0, "header does not start with “{”");
  assert_rejected ("\"{}\"", 0, "header does not start with “{”");
  assert_rejected ("42", 0, "header does not start with “{”");
  assert_rejected (" {}", 0, "header does not start with “{”");
  assert_rejected ("{\"a\"}", 0, "not valid JSON");
  assert_rejected ("{\"a\":}", 0, "not valid JSON");
  assert_rejected ("{\"a\":1,}", 0, "not valid JSON");
  assert_rejected ("{,}", 0, "not valid JSON");
  assert_rejected ("{} {}", 0, "not valid JSON");
  assert_rejected ("{}x", 0, "not valid JSON");
  assert_rejected ("{/**/}", 0, "not valid JSON");
  assert_rejected ("{'a':1}", 0, "not valid JSON");
  assert_rejected ("{\"a\":0x10}", 0, "not valid JSON");
  assert_rejected ("{\"a\":01}", 0, "not valid JSON");
  assert_rejected ("{\"a\":1.}", 0, "not valid JSON");
  assert_rejected ("{\"a\":-}", 0, "not valid JSON");
  assert_rejected ("{\"a\":tru}", 0, "not valid JSON");
  assert_rejected ("{\"a\":\"\\x\"}", 0, "not valid JSON");
  assert_rejected ("{\"a\":\"\\ud800\"}", 0, "surrogate");
  assert_rejected ("{\"a\":\"\\udc00\"}", 0, "surrogate");
  assert_rejected ("{\"a\":\"\\ud800\\u0041\"}", 0, "surrogate");
  assert_rejected ("{\"a\\u0000b\":1}", 0, "\\u0000");
  assert_rejected ("{\"a\":\"\\u12\"}", 0, "\\u escape");
  assert_rejected ("{\"a\":\"tab\there\"}", 0, "control character");
  assert_rejected ("{\"\xff\":1}", 0, "UTF-8");
  assert_rejected ("{\"\xc3\":1}", 0, "UTF-8");
  assert_rejected ("{\"a\":\"", 0, "not valid JSON");
  assert_rejected ("{\"a\":\"\\", 0, "not valid JSON");
  assert_rejected ("{\"a\":{\"b\":[1,2", 0, "not valid JSON");
  assert_rejected ("{ ", 0, "not valid JSON");

  {
    const char with_nul[] = "{\"a\":1}\0  ";
    g_autoptr(GBytes) bytes = NULL;
    guint8 raw[8 + sizeof with_nul - 1];

    put_u64 (raw, sizeof with_nul - 1);
    memcpy (raw + 8, with_nul, sizeof with_nul - 1);
    bytes = make_raw (raw, sizeof raw);
    assert_bytes_rejected (bytes, "UTF-8");
  }

  /* nesting bombs: the parser must not recurse into them */
  g_string_append_c (deep, '{');
  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  assert_rejected (deep->str, 0, "not valid JSON");
  g_string_truncate (deep, 0);
  g_string_append (deep, "{\"a\":");
  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  assert_rejected (deep->str, 0, "nested too deeply");
  g_string_truncate (deep, 0);
  for (int i = 0; i < 100000; i++)
    g_string_append (deep, "{\"a\":");
  assert_rejected (deep->str, 0, "nested too deeply");
  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep_object, '[');
  assert_rejected (deep_object->str, 0, "nested too deeply");
}

static void
test_hostile_headers (void)
{
  assert_bad_offsets_rejected ();
  assert_bad_entries_rejected ();
  assert_bad_json_rejected ();
}

static void
test_long_name_message (void)
{
  g_autoptr(GString) header = g_string_new ("{\"");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(UnetSafetensors) st = NULL;

  for (int i = 0; i < 100000; i++)
    g_string_append (header, "é");
  g_string_append (header, "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,2]}}");
  bytes = make_file (header->str, "ab", 2);
  st = unet_safetensors_load_bytes (bytes, NAME, &error);
  g_assert_null (st);
  g_assert_error (error, UNET_ERROR, UNET_ERROR_CORRUPT);
  g_assert_cmpuint (strlen (error->message), <, 1000);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_nonnull (strstr (error->message, "…"));
}

/* A valid file of about 1 KB with every dtype, a 0-dim and a 0-size tensor and metadata. */
static GBytes *
make_fuzz_seed (void)
{
  const char *header =
    "{\"__metadata__\":{\"format\":\"unet-studio/1\",\"classes\":\"[\\\"a\\\", \\\"b\\\"]\","
    "\"note\":\"\\u00e9\\ud83d\\ude00\"},"
    "\"enc.0.conv1.weight\":{\"dtype\":\"F32\",\"shape\":[2,1,3,3],\"data_offsets\":[0,72]},"
    "\"enc.0.conv1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[72,80]},"
    "\"half\":{\"dtype\":\"F16\",\"shape\":[3,2],\"data_offsets\":[80,92]},"
    "\"brain\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[92,100]},"
    "\"double\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[100,108]},"
    "\"nothing\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[108,108]},"
    "\"labels\":{\"dtype\":\"U8\",\"shape\":[5],\"data_offsets\":[108,113]},"
    "\"count\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[113,129]}}    ";
  guint8 data[129];

  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) (i * 37 + 11);
  return make_file (header, data, sizeof data);
}

static void
exercise (UnetSafetensors *st)
{
  for (guint i = 0; i < unet_safetensors_get_n_tensors (st); i++)
    {
      const UnetTensorView *view = unet_safetensors_get_tensor (st, i);
      g_autofree float *out = NULL;

      g_assert_nonnull (view);
      g_assert_true (unet_safetensors_lookup (st, view->name) == view);
      /* a huge but empty tensor (one dimension 0) must not be allocated */
      if (view->numel > 4096)
        g_error ("a %" G_GSIZE_FORMAT "-element tensor in a 1 KB file", view->numel);
      out = g_new (float, MAX (view->numel, 1));
      unet_tensor_view_copy_f32 (view, out);
    }
}

static void
try_load (const guint8 *data,
          size_t        length)
{
  g_autoptr(GBytes) bytes = make_raw (data, length);
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetSafetensors) st = unet_safetensors_load_bytes (bytes, NAME, &error);

  if (st != NULL)
    {
      g_assert_no_error (error);
      exercise (st);
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == UNET_ERROR);
      g_assert_true (g_str_has_prefix (error->message, NAME ": "));
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
    }
}

static void
test_truncated (void)
{
  g_autoptr(GBytes) seed = make_fuzz_seed ();
  gsize size;
  const guint8 *data = g_bytes_get_data (seed, &size);
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetSafetensors) st = unet_safetensors_load_bytes (seed, NAME, &error);

  g_assert_no_error (error);
  exercise (st);
  g_assert_cmpuint (size, >, 500);
  g_assert_cmpuint (size, <, 2048);

  for (gsize length = 0; length < size; length++)
    {
      g_autoptr(GBytes) bytes = make_raw (data, length);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(UnetSafetensors) truncated = unet_safetensors_load_bytes (bytes, NAME, &local_error);

      /* every truncation breaks the header length or the exact coverage of the data */
      g_assert_null (truncated);
      g_assert_error (local_error, UNET_ERROR, UNET_ERROR_CORRUPT);
      g_assert_true (g_str_has_prefix (local_error->message, NAME ": "));
    }
}

static void
test_corrupted (void)
{
  g_autoptr(GBytes) seed = make_fuzz_seed ();
  gsize size;
  const guint8 *data = g_bytes_get_data (seed, &size);
  g_autofree guint8 *copy = g_memdup2 (data, size);

  for (gsize i = 0; i < size; i++)
    {
      const guint8 values[] = { 0x00, 0xff, data[i] ^ 0x01, data[i] ^ 0x80, '"', '9', '[', '}',
                                ',', '\\', ' ', '-', 0xc3 };

      for (guint k = 0; k < G_N_ELEMENTS (values); k++)
        {
          copy[i] = values[k];
          try_load (copy, size);
        }
      copy[i] = data[i];
    }

  /* also every byte dropped and every byte doubled, which shifts the rest of the file */
  for (gsize i = 0; i < size; i++)
    {
      g_autofree guint8 *shifted = g_malloc (size + 1);

      memcpy (shifted, data, i);
      memcpy (shifted + i, data + i + 1, size - i - 1);
      try_load (shifted, size - 1);
      memcpy (shifted, data, i + 1);
      memcpy (shifted + i + 1, data + i, size - i);
      try_load (shifted, size + 1);
    }
}

/* --- writing ------------------------------------------------------------------------------- */

static gboolean
write_simple (const char  *path,
              size_t       numel,
              float        fill,
              GError     **error)
{
  g_autoptr(UnetSafetensorsWriter) writer = unet_safetensors_writer_new ();
  g_autofree float *data = g_new (float, numel);
  int64_t shape[1] = { (int64_t) numel };

  for (size_t i = 0; i < numel; i++)
    data[i] = fill;
  unet_safetensors_writer_add_f32 (writer, "x", data, 1, shape);
  unet_safetensors_writer_set_metadata (writer, "fill", "yes");
  return unet_safetensors_writer_write (writer, path, error);
}

static void
assert_holds (const char *path,
              size_t      numel,
              float       fill)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetSafetensors) st = unet_safetensors_load_file (path, &error);
  const UnetTensorView *view;
  g_autofree float *out = g_new (float, numel);

  g_assert_no_error (error);
  view = unet_safetensors_lookup (st, "x");
  g_assert_nonnull (view);
  g_assert_cmpuint (view->numel, ==, numel);
  unet_tensor_view_copy_f32 (view, out);
  for (size_t i = 0; i < numel; i++)
    g_assert_cmpfloat (out[i], ==, fill);
}

static void
test_write_errors (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "m.safetensors", NULL);
  g_autofree char *regular = g_build_filename (dir, "regular", NULL);
  g_autofree char *under_regular = g_build_filename (regular, "m.safetensors", NULL);
  g_autofree char *folder = g_build_filename (dir, "folder.safetensors", NULL);
  g_autofree char *inside = g_build_filename (folder, "keep", NULL);
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (write_simple (missing, 4, 1.0f, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, missing));
  g_assert_nonnull (strstr (error->message, g_strerror (ENOENT)));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (regular, "plain", -1, NULL));
  g_assert_false (write_simple (under_regular, 4, 1.0f, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, under_regular));
  g_clear_error (&error);

  /* the rename fails after everything was written: the temporary file must go */
  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  g_assert_true (g_file_set_contents (inside, "keep", -1, NULL));
  g_assert_false (write_simple (folder, 4, 1.0f, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, folder));
  g_clear_error (&error);
  g_assert_true (g_file_test (inside, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (count_entries (dir), ==, 2);

  /* replacing works, and a failed write leaves the previous file as it was: the file size
   * limit makes write() fail with EFBIG even for root */
  g_assert_true (write_simple (path, 16, 1.0f, &error));
  g_assert_no_error (error);
  g_assert_true (write_simple (path, 32, 2.0f, &error));
  g_assert_no_error (error);
  assert_holds (path, 32, 2.0f);
  g_assert_cmpuint (count_entries (dir), ==, 3);
  {
    struct rlimit saved, limit;
    void (*saved_handler) (int);
    gboolean ok;

    g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
    limit = saved;
    limit.rlim_cur = 4096;
    saved_handler = signal (SIGXFSZ, SIG_IGN);
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
    ok = write_simple (path, 100000, 3.0f, &error);
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
    signal (SIGXFSZ, saved_handler);

    g_assert_false (ok);
    g_assert_error (error, UNET_ERROR, UNET_ERROR_IO);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, path));
    g_assert_nonnull (strstr (error->message, g_strerror (EFBIG)));
    g_clear_error (&error);
  }
  assert_holds (path, 32, 2.0f);
  g_assert_cmpuint (count_entries (dir), ==, 3);

  g_assert_null (unet_safetensors_load_file (missing, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, missing));
  g_assert_nonnull (strstr (error->message, g_strerror (ENOENT)));
  g_clear_error (&error);

  g_assert_null (unet_safetensors_load_file (dir, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, dir));
  g_assert_nonnull (strstr (error->message, g_strerror (EISDIR)));
  g_clear_error (&error);

  g_assert_null (unet_safetensors_load_file (regular, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_CORRUPT);
  g_assert_true (g_str_has_prefix (error->message, regular));
  g_clear_error (&error);

  g_unlink (path);
  g_unlink (inside);
  g_rmdir (folder);
  g_unlink (regular);
  g_assert_cmpuint (count_entries (dir), ==, 0);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/safetensors/round-trip", test_round_trip);
  g_test_add_func ("/safetensors/empty-file", test_empty_file);
  g_test_add_func ("/safetensors/dtypes", test_dtypes);
  g_test_add_func ("/safetensors/unicode-names", test_unicode_names);
  g_test_add_func ("/safetensors/official-fixture", test_official_fixture);
  g_test_add_func ("/safetensors/short-files", test_short_files);
  g_test_add_func ("/safetensors/hostile-headers", test_hostile_headers);
  g_test_add_func ("/safetensors/long-name-message", test_long_name_message);
  g_test_add_func ("/safetensors/truncated", test_truncated);
  g_test_add_func ("/safetensors/corrupted", test_corrupted);
  g_test_add_func ("/safetensors/write-errors", test_write_errors);

  return g_test_run ();
}
