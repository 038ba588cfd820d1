/* unet-safetensors.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifdef G_OS_UNIX
# include <unistd.h>
#endif

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "unet-error.h"
#include "unet-safetensors.h"

/* Our own files nest three levels deep; anything far deeper is hostile, and json-glib's parser
 * recurses once per level. */
#define MAX_JSON_DEPTH 32
/* Tensor names come from the file and could be megabytes long: keep error messages readable. */
#define MAX_NAME_IN_MESSAGE 120

typedef struct
{
  const char *name;
  size_t      size;
} DtypeInfo;

static const DtypeInfo dtype_infos[] = {
  [UNET_DTYPE_F32]  = { "F32", 4 },
  [UNET_DTYPE_F64]  = { "F64", 8 },
  [UNET_DTYPE_F16]  = { "F16", 2 },
  [UNET_DTYPE_BF16] = { "BF16", 2 },
  [UNET_DTYPE_U8]   = { "U8", 1 },
  [UNET_DTYPE_I64]  = { "I64", 8 },
};

struct _UnetSafetensors
{
  GBytes         *bytes;
  UnetTensorView *views;
  guint           n_views;
  GPtrArray      *names;     /* owns the views' names */
  GHashTable     *by_name;   /* name -> UnetTensorView* */
  GHashTable     *metadata;
};

/* --- error helpers ------------------------------------------------------------------------- */

static char *
shorten (const char *s)
{
  const char *end;

  if (strlen (s) <= MAX_NAME_IN_MESSAGE)
    return g_strdup (s);

  end = g_utf8_find_prev_char (s, s + MAX_NAME_IN_MESSAGE);
  if (end == NULL)
    end = s;
  return g_strdup_printf ("%.*s…", (int) (end - s), s);
}

static gboolean G_GNUC_PRINTF (5, 6)
set_error (GError    **error,
           int         code,
           const char *file,
           const char *tensor,
           const char *format,
           ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (tensor != NULL)
    {
      g_autofree char *short_name = shorten (tensor);

      g_set_error (error, UNET_ERROR, code, "%s: tensor “%s”: %s", file, short_name, message);
    }
  else
    g_set_error (error, UNET_ERROR, code, "%s: %s", file, message);

  return FALSE;
}

static char *
format_shape (int            ndim,
              const int64_t *shape)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i > 0 ? ", " : "", (gint64) shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* --- strict JSON check --------------------------------------------------------------------- */

/* json-glib 1.6 is lenient (comments, single quotes, hex numbers, integers that silently wrap
 * around, no depth limit), so the header is first held to RFC 8259 here: whatever passes is
 * parsed by json-glib exactly as the specification means it. */

typedef enum
{
  JSON_EXPECT_VALUE,
  JSON_EXPECT_KEY,
  JSON_AFTER_VALUE,
} JsonCheckState;

static gboolean
is_json_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (const char  *p,
           const char  *end,
           guint       *value)
{
  guint v = 0;

  if (end - p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int h = hex_value (p[i]);

      if (h < 0)
        return FALSE;
      v = (v << 4) | (guint) h;
    }
  *value = v;
  return TRUE;
}

/* *pp points at the opening quote and is moved past the closing one; on failure it is left
 * near the fault and *why says what it is. */
static gboolean
scan_string (const char **pp,
             const char  *end,
             const char **why)
{
  const char *p = *pp + 1;

#define FAIL(reason) G_STMT_START { *why = (reason); *pp = p; return FALSE; } G_STMT_END

  while (p < end)
    {
      guchar c = (guchar) *p;

      if (c == '"')
        {
          *pp = p + 1;
          return TRUE;
        }
      if (c < 0x20)
        FAIL ("control character in a string");
      if (c != '\\')
        {
          p++;
          continue;
        }

      if (end - p < 2)
        break;
      switch (p[1])
        {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          p += 2;
          break;

        case 'u':
          {
            guint v;

            if (!read_hex4 (p + 2, end, &v))
              FAIL ("invalid \\u escape");
            p += 6;
            /* NUL would silently cut the string short in json-glib */
            if (v == 0)
              FAIL ("\\u0000 in a string");
            if (v >= 0xdc00 && v <= 0xdfff)
              FAIL ("unpaired surrogate in a \\u escape");
            if (v >= 0xd800 && v <= 0xdbff)
              {
                guint low;

                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
                    !read_hex4 (p + 2, end, &low) || low < 0xdc00 || low > 0xdfff)
                  FAIL ("unpaired surrogate in a \\u escape");
                p += 6;
              }
          }
          break;

        default:
          FAIL ("invalid escape in a string");
        }
    }

  FAIL ("unterminated string");
#undef FAIL
}

static gboolean
scan_number (const char **pp,
             const char  *end,
             const char **why)
{
  const char *p = *pp;
  gboolean negative = FALSE;
  gboolean integer = TRUE;
  guint64 magnitude = 0;
  gboolean overflow = FALSE;

#define FAIL(reason) G_STMT_START { *why = (reason); *pp = p; return FALSE; } G_STMT_END

  if (*p == '-')
    {
      negative = TRUE;
      p++;
    }
  if (p >= end || !g_ascii_isdigit (*p))
    FAIL ("invalid number");
  if (*p == '0' && p + 1 < end && g_ascii_isdigit (p[1]))
    FAIL ("number with a leading zero");
  while (p < end && g_ascii_isdigit (*p))
    {
      guint d = (guint) (*p - '0');

      if (magnitude > (G_MAXUINT64 - d) / 10)
        overflow = TRUE;
      else
        magnitude = magnitude * 10 + d;
      p++;
    }
  if (p < end && *p == '.')
    {
      integer = FALSE;
      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        FAIL ("invalid number");
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      integer = FALSE;
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        FAIL ("invalid number");
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }

  /* json-glib wraps integers around 2^64 instead of failing */
  if (integer &&
      (overflow || magnitude > (guint64) G_MAXINT64 + (negative ? 1 : 0)))
    FAIL ("integer out of range");

  *pp = p;
  return TRUE;
#undef FAIL
}

static gboolean
check_json (const char  *json,
            size_t       length,
            const char  *file,
            GError     **error)
{
  const char *p = json;
  const char *end = json + length;
  char stack[MAX_JSON_DEPTH];
  int depth = 0;
  JsonCheckState state = JSON_EXPECT_VALUE;
  const char *why = NULL;

  for (;;)
    {
      while (p < end && is_json_space (*p))
        p++;

      if (state == JSON_AFTER_VALUE && depth == 0)
        {
          if (p != end)
            {
              why = "unexpected characters after the top-level value";
              goto fail;
            }
          return TRUE;
        }

      if (p >= end)
        {
          why = "unexpected end of the header";
          goto fail;
        }

      switch (state)
        {
        case JSON_EXPECT_KEY:
          if (*p != '"')
            {
              why = "expected a member name";
              goto fail;
            }
          if (!scan_string (&p, end, &why))
            goto fail;
          while (p < end && is_json_space (*p))
            p++;
          if (p >= end || *p != ':')
            {
              why = "expected “:”";
              goto fail;
            }
          p++;
          state = JSON_EXPECT_VALUE;
          break;

        case JSON_EXPECT_VALUE:
          if (*p == '{' || *p == '[')
            {
              char close = *p == '{' ? '}' : ']';

              if (depth == MAX_JSON_DEPTH)
                {
                  why = "nested too deeply";
                  goto fail;
                }
              stack[depth++] = close;
              p++;
              while (p < end && is_json_space (*p))
                p++;
              if (p < end && *p == close)
                {
                  p++;
                  depth--;
                  state = JSON_AFTER_VALUE;
                }
              else
                state = close == '}' ? JSON_EXPECT_KEY : JSON_EXPECT_VALUE;
            }
          else if (*p == '"')
            {
              if (!scan_string (&p, end, &why))
                goto fail;
              state = JSON_AFTER_VALUE;
            }
          else if (*p == '-' || g_ascii_isdigit (*p))
            {
              if (!scan_number (&p, end, &why))
                goto fail;
              state = JSON_AFTER_VALUE;
            }
          else
            {
              static const char *const literals[] = { "true", "false", "null" };
              gboolean found = FALSE;

              for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
                {
                  size_t n = strlen (literals[i]);

                  if ((size_t) (end - p) >= n && memcmp (p, literals[i], n) == 0)
                    {
                      p += n;
                      found = TRUE;
                      break;
                    }
                }
              if (!found)
                {
                  why = "unexpected character";
                  goto fail;
                }
              state = JSON_AFTER_VALUE;
            }
          break;

        case JSON_AFTER_VALUE:
          if (*p == ',')
            {
              p++;
              state = stack[depth - 1] == '}' ? JSON_EXPECT_KEY : JSON_EXPECT_VALUE;
            }
          else if (*p == stack[depth - 1])
            {
              p++;
              depth--;
            }
          else
            {
              why = "expected “,” or the end of the object or array";
              goto fail;
            }
          break;

        default:
          g_assert_not_reached ();
        }
    }

fail:
  return set_error (error, UNET_ERROR_CORRUPT, file, NULL,
                    "header is not valid JSON: %s at byte %" G_GSIZE_FORMAT " of the header",
                    why, (gsize) (MIN (p, end) - json));
}

/* --- loading ------------------------------------------------------------------------------- */

typedef struct
{
  GHashTable *seen;      /* JsonObject* (ref) -> GHashTable of member names */
  char       *duplicate; /* the first duplicate member name */
} DuplicateCheck;

/* json-glib keeps the last of duplicate members without a word; its object-member signal is
 * the one place that sees every member as it is parsed. */
static void
on_object_member (JsonParser *parser,
                  JsonObject *object,
                  const char *member_name,
                  gpointer    user_data)
{
  DuplicateCheck *check = user_data;
  GHashTable *names;

  if (check->duplicate != NULL)
    return;

  names = g_hash_table_lookup (check->seen, object);
  if (names == NULL)
    {
      names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (check->seen, json_object_ref (object), names);
    }
  if (!g_hash_table_add (names, g_strdup (member_name)))
    check->duplicate = g_strdup (member_name);
}

static gboolean
get_uint_member (JsonNode   *node,
                 gint64     *value)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return *value >= 0;
}

static gboolean
parse_tensor (UnetTensorView *view,
              gint64          offsets[2],
              const char     *file,
              const char     *name,
              JsonNode       *node,
              size_t          data_length,
              GError        **error)
{
  JsonObject *object;
  JsonObjectIter iter;
  const char *member;
  JsonNode *value;
  JsonNode *dtype_node = NULL, *shape_node = NULL, *offsets_node = NULL;
  JsonArray *array;
  guint n;
  guint64 numel = 1;
  guint64 n_bytes;
  gboolean dtype_found = FALSE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return set_error (error, UNET_ERROR_CORRUPT, file, name, "entry is not a JSON object");

  object = json_node_get_object (node);
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &member, &value))
    {
      if (g_str_equal (member, "dtype"))
        dtype_node = value;
      else if (g_str_equal (member, "shape"))
        shape_node = value;
      else if (g_str_equal (member, "data_offsets"))
        offsets_node = value;
      else
        {
          g_autofree char *short_member = shorten (member);

          return set_error (error, UNET_ERROR_CORRUPT, file, name,
                            "unexpected field “%s”", short_member);
        }
    }

  if (dtype_node == NULL)
    return set_error (error, UNET_ERROR_CORRUPT, file, name, "missing “dtype”");
  if (shape_node == NULL)
    return set_error (error, UNET_ERROR_CORRUPT, file, name, "missing “shape”");
  if (offsets_node == NULL)
    return set_error (error, UNET_ERROR_CORRUPT, file, name, "missing “data_offsets”");

  if (!JSON_NODE_HOLDS_VALUE (dtype_node) || json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    return set_error (error, UNET_ERROR_CORRUPT, file, name, "“dtype” is not a string");
  for (guint i = 0; i < G_N_ELEMENTS (dtype_infos); i++)
    {
      if (g_strcmp0 (json_node_get_string (dtype_node), dtype_infos[i].name) == 0)
        {
          view->dtype = (UnetDtype) i;
          dtype_found = TRUE;
          break;
        }
    }
  if (!dtype_found)
    {
      g_autofree char *short_dtype = shorten (json_node_get_string (dtype_node));

      return set_error (error, UNET_ERROR_CORRUPT, file, name,
                        "unsupported dtype “%s”", short_dtype);
    }

  if (!JSON_NODE_HOLDS_ARRAY (shape_node))
    return set_error (error, UNET_ERROR_CORRUPT, file, name, "“shape” is not an array");
  array = json_node_get_array (shape_node);
  n = json_array_get_length (array);
  if (n > UNET_SAFETENSORS_MAX_DIMS)
    return set_error (error, UNET_ERROR_CORRUPT, file, name,
                      "“shape” has %u dimensions, at most %d are supported",
                      n, UNET_SAFETENSORS_MAX_DIMS);
  view->ndim = (int) n;
  for (guint i = 0; i < n; i++)
    {
      gint64 dim;

      if (!get_uint_member (json_array_get_element (array, i), &dim))
        return set_error (error, UNET_ERROR_CORRUPT, file, name,
                          "“shape” holds something other than a non-negative integer");
      view->shape[i] = dim;
    }
  /* Products are checked only while non-zero: a zero anywhere makes the tensor empty. */
  for (guint i = 0; i < n; i++)
    if (view->shape[i] == 0)
      numel = 0;
  if (numel != 0)
    for (guint i = 0; i < n; i++)
      {
        if ((guint64) view->shape[i] > G_MAXUINT64 / numel)
          {
            g_autofree char *shape = format_shape (view->ndim, view->shape);

            return set_error (error, UNET_ERROR_CORRUPT, file, name,
                              "shape %s has too many elements", shape);
          }
        numel *= (guint64) view->shape[i];
      }
  if (numel > G_MAXSIZE / dtype_infos[view->dtype].size ||
      numel > (guint64) G_MAXINT64 / dtype_infos[view->dtype].size)
    {
      g_autofree char *shape = format_shape (view->ndim, view->shape);

      return set_error (error, UNET_ERROR_CORRUPT, file, name,
                        "shape %s has too many elements", shape);
    }
  n_bytes = numel * dtype_infos[view->dtype].size;
  view->numel = (size_t) numel;
  view->n_bytes = (size_t) n_bytes;

  array = JSON_NODE_HOLDS_ARRAY (offsets_node) ? json_node_get_array (offsets_node) : NULL;
  if (array == NULL || json_array_get_length (array) != 2 ||
      !get_uint_member (json_array_get_element (array, 0), &offsets[0]) ||
      !get_uint_member (json_array_get_element (array, 1), &offsets[1]))
    return set_error (error, UNET_ERROR_CORRUPT, file, name,
                      "“data_offsets” is not a pair of non-negative integers");
  if (offsets[1] < offsets[0])
    return set_error (error, UNET_ERROR_CORRUPT, file, name,
                      "data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] end before "
                      "they begin", offsets[0], offsets[1]);
  if ((guint64) (offsets[1] - offsets[0]) != n_bytes)
    {
      g_autofree char *shape = format_shape (view->ndim, view->shape);

      return set_error (error, UNET_ERROR_CORRUPT, file, name,
                        "data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] do not match "
                        "shape %s of %s (%" G_GUINT64_FORMAT " bytes)",
                        offsets[0], offsets[1], shape, dtype_infos[view->dtype].name, n_bytes);
    }
  if ((guint64) offsets[1] > data_length)
    return set_error (error, UNET_ERROR_CORRUPT, file, name,
                      "data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] run past the end "
                      "of the data (%" G_GSIZE_FORMAT " bytes)",
                      offsets[0], offsets[1], (gsize) data_length);

  return TRUE;
}

typedef struct
{
  UnetTensorView view;
  gint64         begin;
  gint64         end;
} PendingTensor;

static int
compare_pending (gconstpointer a,
                 gconstpointer b)
{
  const PendingTensor *pa = a;
  const PendingTensor *pb = b;

  if (pa->begin != pb->begin)
    return pa->begin < pb->begin ? -1 : 1;
  if (pa->end != pb->end)
    return pa->end < pb->end ? -1 : 1;
  return strcmp (pa->view.name, pb->view.name);
}

static gboolean
parse_metadata (UnetSafetensors  *self,
                const char       *file,
                JsonNode         *node,
                GError          **error)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return set_error (error, UNET_ERROR_CORRUPT, file, NULL, "“__metadata__” is not an object");

  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_autofree char *short_key = shorten (key);

          return set_error (error, UNET_ERROR_CORRUPT, file, NULL,
                            "metadata “%s” is not a string", short_key);
        }
      g_hash_table_insert (self->metadata, g_strdup (key), g_strdup (json_node_get_string (value)));
    }

  return TRUE;
}

static gboolean
parse_header (UnetSafetensors  *self,
              const char       *file,
              const char       *header,
              size_t            header_length,
              const guint8     *data,
              size_t            data_length,
              GError          **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) json_error = NULL;
  g_autoptr(GArray) pending = NULL;
  DuplicateCheck check = { NULL, NULL };
  JsonNode *root;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  gboolean ok;
  gint64 expected;

  /* as the reference implementation, which refuses anything else before parsing */
  if (header[0] != '{')
    return set_error (error, UNET_ERROR_CORRUPT, file, NULL, "header does not start with “{”");
  if (!g_utf8_validate (header, header_length, NULL))
    return set_error (error, UNET_ERROR_CORRUPT, file, NULL, "header is not valid UTF-8");
  if (!check_json (header, header_length, file, error))
    return FALSE;

  parser = json_parser_new ();
  check.seen = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) json_object_unref,
                                      (GDestroyNotify) g_hash_table_unref);
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &check);
  ok = json_parser_load_from_data (parser, header, header_length, &json_error);
  g_signal_handlers_disconnect_by_func (parser, on_object_member, &check);
  g_hash_table_unref (check.seen);
  if (!ok)
    {
      g_free (check.duplicate);
      return set_error (error, UNET_ERROR_CORRUPT, file, NULL,
                        "header is not valid JSON: %s", json_error->message);
    }
  if (check.duplicate != NULL)
    {
      g_autofree char *duplicate = g_steal_pointer (&check.duplicate);
      g_autofree char *short_name = shorten (duplicate);

      return set_error (error, UNET_ERROR_CORRUPT, file, NULL,
                        "“%s” appears more than once in the header", short_name);
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return set_error (error, UNET_ERROR_CORRUPT, file, NULL, "header is not a JSON object");

  pending = g_array_new (FALSE, TRUE, sizeof (PendingTensor));
  json_object_iter_init (&iter, json_node_get_object (root));
  while (json_object_iter_next (&iter, &name, &node))
    {
      PendingTensor t = { { 0 }, 0, 0 };
      gint64 offsets[2];

      if (g_str_equal (name, "__metadata__"))
        {
          if (!parse_metadata (self, file, node, error))
            return FALSE;
          continue;
        }

      if (!parse_tensor (&t.view, offsets, file, name, node, data_length, error))
        return FALSE;
      t.view.name = name;
      t.begin = offsets[0];
      t.end = offsets[1];
      g_array_append_val (pending, t);
    }

  /* As the reference implementation: sorted by offset, each tensor must start where the
   * previous one ended and the last must end at the end of the file. */
  g_array_sort (pending, compare_pending);
  expected = 0;
  for (guint i = 0; i < pending->len; i++)
    {
      const PendingTensor *t = &g_array_index (pending, PendingTensor, i);

      if (t->begin < expected)
        {
          const PendingTensor *prev = &g_array_index (pending, PendingTensor, i - 1);
          g_autofree char *prev_name = shorten (prev->view.name);

          return set_error (error, UNET_ERROR_CORRUPT, file, t->view.name,
                            "data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] overlap "
                            "tensor “%s” [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
                            t->begin, t->end, prev_name, prev->begin, prev->end);
        }
      if (t->begin > expected)
        return set_error (error, UNET_ERROR_CORRUPT, file, t->view.name,
                          "data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] leave a hole "
                          "of %" G_GINT64_FORMAT " bytes before the tensor",
                          t->begin, t->end, t->begin - expected);
      expected = t->end;
    }
  if ((guint64) expected != data_length)
    return set_error (error, UNET_ERROR_CORRUPT, file, NULL,
                      "%" G_GUINT64_FORMAT " bytes after the last tensor belong to none",
                      (guint64) (data_length - (guint64) expected));

  self->n_views = pending->len;
  self->views = g_new0 (UnetTensorView, MAX (pending->len, 1));
  for (guint i = 0; i < pending->len; i++)
    {
      const PendingTensor *t = &g_array_index (pending, PendingTensor, i);
      UnetTensorView *view = &self->views[i];
      char *owned_name = g_strdup (t->view.name);

      *view = t->view;
      view->name = owned_name;
      view->bytes = data + t->begin;
      g_ptr_array_add (self->names, owned_name);
      g_hash_table_insert (self->by_name, owned_name, view);
    }

  return TRUE;
}

UnetSafetensors *
unet_safetensors_load_bytes (GBytes      *bytes,
                             const char  *name,
                             GError     **error)
{
  g_autoptr(UnetSafetensors) self = NULL;
  const guint8 *contents;
  gsize size;
  guint64 header_length;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (name == NULL)
    name = "safetensors data";

  self = g_new0 (UnetSafetensors, 1);
  self->bytes = g_bytes_ref (bytes);
  self->names = g_ptr_array_new_with_free_func (g_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  contents = g_bytes_get_data (bytes, &size);
  if (size < 8)
    {
      set_error (error, UNET_ERROR_CORRUPT, name, NULL,
                 "%" G_GSIZE_FORMAT " bytes are too short for a safetensors file", size);
      return NULL;
    }

  memcpy (&header_length, contents, sizeof header_length);
  header_length = GUINT64_FROM_LE (header_length);
  if (header_length < 2)
    {
      set_error (error, UNET_ERROR_CORRUPT, name, NULL,
                 "header length %" G_GUINT64_FORMAT " is too small", header_length);
      return NULL;
    }
  if (header_length > UNET_SAFETENSORS_MAX_HEADER)
    {
      set_error (error, UNET_ERROR_CORRUPT, name, NULL,
                 "header length %" G_GUINT64_FORMAT " is larger than the limit of %d bytes",
                 header_length, UNET_SAFETENSORS_MAX_HEADER);
      return NULL;
    }
  if (header_length > size - 8)
    {
      set_error (error, UNET_ERROR_CORRUPT, name, NULL,
                 "header length %" G_GUINT64_FORMAT " runs past the end of the file "
                 "(%" G_GSIZE_FORMAT " bytes)", header_length, size);
      return NULL;
    }

  if (!parse_header (self, name, (const char *) contents + 8, (size_t) header_length,
                     contents + 8 + header_length, size - 8 - (size_t) header_length, error))
    return NULL;

  return g_steal_pointer (&self);
}

UnetSafetensors *
unet_safetensors_load_file (const char  *path,
                            GError     **error)
{
  g_autofree char *display = NULL;
  g_autofree guint8 *contents = NULL;
  g_autoptr(GBytes) bytes = NULL;
  GStatBuf st;
  size_t length = 0;
  int fd;
  int saved_errno;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display = g_filename_display_name (path);

  /* Read, not mapped: a file truncated by someone else while mapped would kill us with SIGBUS,
   * and the weights are copied into the model anyway. */
  fd = g_open (path, O_RDONLY
#ifdef O_CLOEXEC
               | O_CLOEXEC
#endif
               , 0);
  if (fd < 0)
    goto fail;
  if (fstat (fd, &st) < 0)
    goto fail;
  if (!S_ISREG (st.st_mode))
    {
      errno = S_ISDIR (st.st_mode) ? EISDIR : EINVAL;
      goto fail;
    }
  if ((guint64) st.st_size >= G_MAXSIZE)
    {
      errno = EFBIG;
      goto fail;
    }

  contents = g_try_malloc (MAX ((size_t) st.st_size, 1));
  if (contents == NULL)
    {
      errno = ENOMEM;
      goto fail;
    }
  /* The size may change under us: read what is there, up to the size we planned for. */
  while (length < (size_t) st.st_size)
    {
      gssize n = read (fd, contents + length, (size_t) st.st_size - length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail;
      if (n == 0)
        break;
      length += (size_t) n;
    }
  close (fd);

  bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
  return unet_safetensors_load_bytes (bytes, display, error);

fail:
  saved_errno = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, UNET_ERROR, UNET_ERROR_IO, "%s: cannot read: %s", display,
               g_strerror (saved_errno));
  return NULL;
}

void
unet_safetensors_free (UnetSafetensors *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->names, g_ptr_array_unref);
  g_clear_pointer (&self->metadata, g_hash_table_unref);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_free (self->views);
  g_free (self);
}

guint
unet_safetensors_get_n_tensors (const UnetSafetensors *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_views;
}

const UnetTensorView *
unet_safetensors_get_tensor (const UnetSafetensors *self,
                             guint                  index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->n_views, NULL);

  return &self->views[index];
}

const UnetTensorView *
unet_safetensors_lookup (const UnetSafetensors *self,
                         const char            *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (self->by_name, name);
}

GHashTable *
unet_safetensors_get_metadata (const UnetSafetensors *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->metadata;
}

const char *
unet_safetensors_get_metadata_string (const UnetSafetensors *self,
                                      const char            *key)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return g_hash_table_lookup (self->metadata, key);
}

/* --- conversion ---------------------------------------------------------------------------- */

static float
float_from_bits (guint32 bits)
{
  float f;

  memcpy (&f, &bits, sizeof f);
  return f;
}

static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000u) << 16;
  guint32 exponent = (h >> 10) & 0x1fu;
  guint32 mantissa = h & 0x3ffu;

  if (exponent == 0x1f)
    return float_from_bits (sign | 0x7f800000u | (mantissa << 13)); /* inf, NaN keeps payload */
  if (exponent != 0)
    return float_from_bits (sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
  if (mantissa == 0)
    return float_from_bits (sign);

  /* Subnormal halves are normal floats: shift the leading one into the implicit bit. */
  exponent = 127 - 15 + 1;
  while ((mantissa & 0x400u) == 0)
    {
      mantissa <<= 1;
      exponent--;
    }
  return float_from_bits (sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13));
}

void
unet_tensor_view_copy_f32 (const UnetTensorView *view,
                           float                *dest)
{
  const guint8 *src;

  g_return_if_fail (view != NULL);
  g_return_if_fail (dest != NULL || view->numel == 0);

  src = view->bytes;
  switch (view->dtype)
    {
    case UNET_DTYPE_F32:
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      if (view->numel > 0)
        memcpy (dest, src, view->numel * sizeof (float));
#else
      for (size_t i = 0; i < view->numel; i++)
        {
          guint32 bits;

          memcpy (&bits, src + 4 * i, 4);
          dest[i] = float_from_bits (GUINT32_FROM_LE (bits));
        }
#endif
      break;

    case UNET_DTYPE_F64:
      for (size_t i = 0; i < view->numel; i++)
        {
          guint64 bits;
          double d;

          memcpy (&bits, src + 8 * i, 8);
          bits = GUINT64_FROM_LE (bits);
          memcpy (&d, &bits, sizeof d);
          dest[i] = (float) d;
        }
      break;

    case UNET_DTYPE_F16:
      for (size_t i = 0; i < view->numel; i++)
        {
          guint16 bits;

          memcpy (&bits, src + 2 * i, 2);
          dest[i] = half_to_float (GUINT16_FROM_LE (bits));
        }
      break;

    case UNET_DTYPE_BF16:
      for (size_t i = 0; i < view->numel; i++)
        {
          guint16 bits;

          memcpy (&bits, src + 2 * i, 2);
          dest[i] = float_from_bits ((guint32) GUINT16_FROM_LE (bits) << 16);
        }
      break;

    case UNET_DTYPE_U8:
      for (size_t i = 0; i < view->numel; i++)
        dest[i] = src[i];
      break;

    case UNET_DTYPE_I64:
      for (size_t i = 0; i < view->numel; i++)
        {
          guint64 bits;

          memcpy (&bits, src + 8 * i, 8);
          dest[i] = (float) (gint64) GUINT64_FROM_LE (bits);
        }
      break;

    default:
      g_return_if_reached ();
    }
}

/* --- writing ------------------------------------------------------------------------------- */

typedef struct
{
  char         *name;
  UnetDtype     dtype;
  int           ndim;
  int64_t       shape[UNET_SAFETENSORS_MAX_DIMS];
  const guint8 *data;
  size_t        n_bytes;
} WriterEntry;

struct _UnetSafetensorsWriter
{
  GArray     *entries;   /* WriterEntry, in insertion order */
  GHashTable *names;
  GPtrArray  *meta_keys; /* insertion order */
  GHashTable *metadata;
};

static void
writer_entry_clear (gpointer data)
{
  WriterEntry *entry = data;

  g_free (entry->name);
}

UnetSafetensorsWriter *
unet_safetensors_writer_new (void)
{
  UnetSafetensorsWriter *self = g_new0 (UnetSafetensorsWriter, 1);

  self->entries = g_array_new (FALSE, TRUE, sizeof (WriterEntry));
  g_array_set_clear_func (self->entries, writer_entry_clear);
  self->names = g_hash_table_new (g_str_hash, g_str_equal);
  self->meta_keys = g_ptr_array_new_with_free_func (g_free);
  self->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  return self;
}

void
unet_safetensors_writer_free (UnetSafetensorsWriter *self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->names);
  g_array_unref (self->entries);
  g_hash_table_unref (self->metadata);
  g_ptr_array_unref (self->meta_keys);
  g_free (self);
}

static void
writer_add (UnetSafetensorsWriter *self,
            const char            *name,
            UnetDtype              dtype,
            const void            *data,
            int                    ndim,
            const int64_t         *shape)
{
  WriterEntry entry = { 0 };
  size_t numel = 1;

  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL && g_utf8_validate (name, -1, NULL));
  g_return_if_fail (!g_str_equal (name, "__metadata__"));
  g_return_if_fail (!g_hash_table_contains (self->names, name));
  g_return_if_fail (ndim >= 0 && ndim <= UNET_SAFETENSORS_MAX_DIMS);
  g_return_if_fail (ndim == 0 || shape != NULL);

  for (int i = 0; i < ndim; i++)
    {
      size_t limit = G_MAXSIZE / dtype_infos[dtype].size / MAX (numel, 1);

      g_return_if_fail (shape[i] >= 0 && (guint64) shape[i] <= limit);
      numel *= (size_t) shape[i];
    }
  g_return_if_fail (data != NULL || numel == 0);

  entry.name = g_strdup (name);
  entry.dtype = dtype;
  entry.ndim = ndim;
  for (int i = 0; i < ndim; i++)
    entry.shape[i] = shape[i];
  entry.data = data;
  entry.n_bytes = numel * dtype_infos[dtype].size;
  g_array_append_val (self->entries, entry);
  g_hash_table_add (self->names, g_array_index (self->entries, WriterEntry,
                                                self->entries->len - 1).name);
}

void
unet_safetensors_writer_add_f32 (UnetSafetensorsWriter *self,
                                 const char            *name,
                                 const float           *data,
                                 int                    ndim,
                                 const int64_t         *shape)
{
  writer_add (self, name, UNET_DTYPE_F32, data, ndim, shape);
}

void
unet_safetensors_writer_add_u8 (UnetSafetensorsWriter *self,
                                const char            *name,
                                const guint8          *data,
                                int                    ndim,
                                const int64_t         *shape)
{
  writer_add (self, name, UNET_DTYPE_U8, data, ndim, shape);
}

void
unet_safetensors_writer_set_metadata (UnetSafetensorsWriter *self,
                                      const char            *key,
                                      const char            *value)
{
  char *owned_key;

  g_return_if_fail (self != NULL);
  g_return_if_fail (key != NULL && g_utf8_validate (key, -1, NULL));
  g_return_if_fail (value != NULL && g_utf8_validate (value, -1, NULL));

  if (!g_hash_table_lookup_extended (self->metadata, key, (gpointer *) &owned_key, NULL))
    {
      owned_key = g_strdup (key);
      g_ptr_array_add (self->meta_keys, owned_key);
    }
  g_hash_table_insert (self->metadata, owned_key, g_strdup (value));
}

static void
append_json_string (GString    *s,
                    const char *string)
{
  g_string_append_c (s, '"');
  for (const char *p = string; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      switch (c)
        {
        case '"':
          g_string_append (s, "\\\"");
          break;
        case '\\':
          g_string_append (s, "\\\\");
          break;
        case '\n':
          g_string_append (s, "\\n");
          break;
        case '\r':
          g_string_append (s, "\\r");
          break;
        case '\t':
          g_string_append (s, "\\t");
          break;
        default:
          if (c < 0x20)
            g_string_append_printf (s, "\\u%04x", c);
          else
            g_string_append_c (s, (char) c);
        }
    }
  g_string_append_c (s, '"');
}

static GString *
build_header (UnetSafetensorsWriter *self)
{
  GString *s = g_string_new ("{");
  guint64 offset = 0;
  gboolean first = TRUE;

  if (self->meta_keys->len > 0)
    {
      g_string_append (s, "\"__metadata__\":{");
      for (guint i = 0; i < self->meta_keys->len; i++)
        {
          const char *key = g_ptr_array_index (self->meta_keys, i);

          if (i > 0)
            g_string_append_c (s, ',');
          append_json_string (s, key);
          g_string_append_c (s, ':');
          append_json_string (s, g_hash_table_lookup (self->metadata, key));
        }
      g_string_append_c (s, '}');
      first = FALSE;
    }

  for (guint i = 0; i < self->entries->len; i++)
    {
      const WriterEntry *entry = &g_array_index (self->entries, WriterEntry, i);

      if (!first)
        g_string_append_c (s, ',');
      first = FALSE;
      append_json_string (s, entry->name);
      g_string_append_printf (s, ":{\"dtype\":\"%s\",\"shape\":[",
                              dtype_infos[entry->dtype].name);
      for (int d = 0; d < entry->ndim; d++)
        g_string_append_printf (s, "%s%" G_GINT64_FORMAT, d > 0 ? "," : "",
                                (gint64) entry->shape[d]);
      g_string_append_printf (s, "],\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]}",
                              offset, offset + (guint64) entry->n_bytes);
      offset += entry->n_bytes;
    }
  g_string_append_c (s, '}');

  /* The reference writer pads with spaces so that the data starts 8-byte aligned. */
  while (s->len % 8 != 0)
    g_string_append_c (s, ' ');

  return s;
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           size_t        length)
{
  while (length > 0)
    {
      gssize n = write (fd, data, MIN (length, (size_t) G_MAXSSIZE));

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      if (n == 0)
        {
          errno = EIO;
          return FALSE;
        }
      data += n;
      length -= (size_t) n;
    }
  return TRUE;
}

static gboolean
write_entry (int                fd,
             const WriterEntry *entry)
{
#if G_BYTE_ORDER == G_BIG_ENDIAN
  if (entry->dtype == UNET_DTYPE_F32)
    {
      guint32 chunk[4096];
      size_t numel = entry->n_bytes / 4;

      for (size_t i = 0; i < numel; i += G_N_ELEMENTS (chunk))
        {
          size_t n = MIN (G_N_ELEMENTS (chunk), numel - i);

          memcpy (chunk, entry->data + 4 * i, 4 * n);
          for (size_t k = 0; k < n; k++)
            chunk[k] = GUINT32_TO_LE (chunk[k]);
          if (!write_all (fd, (const guint8 *) chunk, 4 * n))
            return FALSE;
        }
      return TRUE;
    }
#endif
  return write_all (fd, entry->data, entry->n_bytes);
}

static gboolean
sync_folder (const char *path)
{
#ifdef G_OS_UNIX
  g_autofree char *folder = g_path_get_dirname (path);
  int fd = open (folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int saved_errno;
  int res;

  /* Not being allowed to open the folder for reading leaves nothing to sync with. */
  if (fd < 0)
    return TRUE;
  res = fsync (fd);
  saved_errno = errno;
  close (fd);
  /* Some file systems cannot sync folders at all. */
  if (res < 0 && saved_errno != EINVAL && saved_errno != ENOTSUP)
    {
      errno = saved_errno;
      return FALSE;
    }
#endif
  return TRUE;
}

gboolean
unet_safetensors_writer_write (UnetSafetensorsWriter  *self,
                               const char             *path,
                               GError                **error)
{
  g_autoptr(GString) header = NULL;
  g_autofree char *display = NULL;
  g_autofree char *tmp_path = NULL;
  guint64 header_length;
  const char *step;
  int fd;
  int saved_errno;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  display = g_filename_display_name (path);
  header = build_header (self);
  header_length = GUINT64_TO_LE ((guint64) header->len);

  /* Beside the target, not in /tmp: rename() only replaces atomically within one file system. */
  tmp_path = g_strconcat (path, ".XXXXXX", NULL);
  fd = g_mkstemp_full (tmp_path, O_WRONLY
#ifdef O_CLOEXEC
                       | O_CLOEXEC
#endif
                       , 0666);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, UNET_ERROR, UNET_ERROR_IO,
                   "%s: cannot create a temporary file beside it: %s",
                   display, g_strerror (saved_errno));
      return FALSE;
    }

  step = "cannot write";
  if (!write_all (fd, (const guint8 *) &header_length, sizeof header_length) ||
      !write_all (fd, (const guint8 *) header->str, header->len))
    goto fail;
  for (guint i = 0; i < self->entries->len; i++)
    if (!write_entry (fd, &g_array_index (self->entries, WriterEntry, i)))
      goto fail;

  step = "cannot flush to disk";
  if (g_fsync (fd) < 0)
    goto fail;

  step = "cannot write";
  if (!g_close (fd, NULL))
    {
      fd = -1;
      goto fail;
    }
  fd = -1;

  step = "cannot replace the file";
  if (g_rename (tmp_path, path) < 0)
    goto fail;

  if (!sync_folder (path))
    {
      saved_errno = errno;
      g_set_error (error, UNET_ERROR, UNET_ERROR_IO,
                   "%s: written, but the folder cannot be flushed to disk: %s",
                   display, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;

fail:
  saved_errno = errno;
  if (fd >= 0)
    close (fd);
  g_unlink (tmp_path);
  g_set_error (error, UNET_ERROR, UNET_ERROR_IO, "%s: %s: %s",
               display, step, g_strerror (saved_errno));
  return FALSE;
}
