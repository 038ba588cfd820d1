/* unet-safetensors.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "unet-error.h"
#include "unet-error-private.h"
#include "unet-safetensors-private.h"

/* The reader; the strict JSON check, the dtypes and the writer have files of their own. */

struct _UnetSafetensors
{
  GBytes         *bytes;     /* NULL when only the header was read */
  UnetTensorView *views;
  guint           n_views;
  GPtrArray      *names;     /* owns the views' names */
  GHashTable     *by_name;   /* name -> UnetTensorView* */
  GHashTable     *metadata;
};

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

/* dtype, shape and with them the tensor's size in bytes */
static gboolean
parse_dtype_and_shape (UnetTensorView  *view,
                       const char      *file,
                       const char      *name,
                       JsonNode        *dtype_node,
                       JsonNode        *shape_node,
                       GError         **error)
{
  const int code = UNET_ERROR_CORRUPT;
  JsonArray *array;
  guint n;
  guint64 numel = 1;
  size_t size;

  if (!JSON_NODE_HOLDS_VALUE (dtype_node) || json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    return unet_set_tensor_error (error, code, file, name, "“dtype” is not a string");
  if (!unet_dtype_from_name (json_node_get_string (dtype_node), &view->dtype))
    {
      g_autofree char *short_dtype = unet_shorten (json_node_get_string (dtype_node),
                                                   UNET_MAX_NAME_IN_MESSAGE);

      return unet_set_tensor_error (error, code, file, name,
                                    "unsupported dtype “%s”", short_dtype);
    }
  size = unet_dtype_get_size (view->dtype);

  if (!JSON_NODE_HOLDS_ARRAY (shape_node))
    return unet_set_tensor_error (error, code, file, name, "“shape” is not an array");
  array = json_node_get_array (shape_node);
  n = json_array_get_length (array);
  if (n > UNET_SAFETENSORS_MAX_DIMS)
    return unet_set_tensor_error (error, code, file, name,
                                  "“shape” has %u dimensions, at most %d are supported",
                                  n, UNET_SAFETENSORS_MAX_DIMS);
  view->ndim = (int) n;
  for (guint i = 0; i < n; i++)
    {
      gint64 dim;

      if (!get_uint_member (json_array_get_element (array, i), &dim))
        return unet_set_tensor_error (error, code, file, name,
                                      "“shape” holds something other than a non-negative "
                                      "integer");
      view->shape[i] = dim;
    }
  /* Products are checked only while non-zero: a zero anywhere makes the tensor empty. */
  for (guint i = 0; i < n; i++)
    if (view->shape[i] == 0)
      numel = 0;
  for (guint i = 0; numel != 0 && i < n; i++)
    {
      if ((guint64) view->shape[i] > G_MAXUINT64 / numel)
        {
          numel = G_MAXUINT64;
          break;
        }
      numel *= (guint64) view->shape[i];
    }
  if (numel > G_MAXSIZE / size || numel > (guint64) G_MAXINT64 / size)
    {
      g_autofree char *shape = unet_format_shape (view->ndim, view->shape);

      return unet_set_tensor_error (error, code, file, name,
                                    "shape %s has too many elements", shape);
    }
  view->numel = (size_t) numel;
  view->n_bytes = (size_t) (numel * size);
  return TRUE;
}

static gboolean
parse_offsets (const UnetTensorView  *view,
               gint64                 offsets[2],
               const char            *file,
               const char            *name,
               JsonNode              *offsets_node,
               size_t                 data_length,
               GError               **error)
{
  const int code = UNET_ERROR_CORRUPT;
  JsonArray *array;

  array = JSON_NODE_HOLDS_ARRAY (offsets_node) ? json_node_get_array (offsets_node) : NULL;
  if (array == NULL || json_array_get_length (array) != 2 ||
      !get_uint_member (json_array_get_element (array, 0), &offsets[0]) ||
      !get_uint_member (json_array_get_element (array, 1), &offsets[1]))
    return unet_set_tensor_error (error, code, file, name,
                                  "“data_offsets” is not a pair of non-negative integers");
  if (offsets[1] < offsets[0])
    return unet_set_tensor_error (error, code, file, name,
                                  "data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] "
                                  "end before they begin", offsets[0], offsets[1]);
  if ((guint64) (offsets[1] - offsets[0]) != view->n_bytes)
    {
      g_autofree char *shape = unet_format_shape (view->ndim, view->shape);

      return unet_set_tensor_error (error, code, file, name,
                                    "data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] "
                                    "do not match shape %s of %s (%" G_GSIZE_FORMAT " bytes)",
                                    offsets[0], offsets[1], shape,
                                    unet_dtype_get_name (view->dtype), (gsize) view->n_bytes);
    }
  if ((guint64) offsets[1] > data_length)
    return unet_set_tensor_error (error, code, file, name,
                                  "data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] "
                                  "run past the end of the data (%" G_GSIZE_FORMAT " bytes)",
                                  offsets[0], offsets[1], (gsize) data_length);
  return TRUE;
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
  JsonObjectIter iter;
  const char *member;
  JsonNode *value;
  JsonNode *dtype_node = NULL, *shape_node = NULL, *offsets_node = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return unet_set_tensor_error (error, UNET_ERROR_CORRUPT, file, name,
                                  "entry is not a JSON object");

  json_object_iter_init (&iter, json_node_get_object (node));
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
          g_autofree char *short_member = unet_shorten (member, UNET_MAX_NAME_IN_MESSAGE);

          return unet_set_tensor_error (error, UNET_ERROR_CORRUPT, file, name,
                                        "unexpected field “%s”", short_member);
        }
    }

  if (dtype_node == NULL)
    return unet_set_tensor_error (error, UNET_ERROR_CORRUPT, file, name, "missing “dtype”");
  if (shape_node == NULL)
    return unet_set_tensor_error (error, UNET_ERROR_CORRUPT, file, name, "missing “shape”");
  if (offsets_node == NULL)
    return unet_set_tensor_error (error, UNET_ERROR_CORRUPT, file, name,
                                  "missing “data_offsets”");

  return parse_dtype_and_shape (view, file, name, dtype_node, shape_node, error) &&
         parse_offsets (view, offsets, file, name, offsets_node, data_length, error);
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
    return unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                                "“__metadata__” is not an object");

  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_autofree char *short_key = unet_shorten (key, UNET_MAX_NAME_IN_MESSAGE);

          return unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                                      "metadata “%s” is not a string", short_key);
        }
      g_hash_table_insert (self->metadata, g_strdup (key), g_strdup (json_node_get_string (value)));
    }

  return TRUE;
}

/* The header as a JSON object, held to RFC 8259 and without duplicate members. */
static JsonParser *
parse_json (const char  *file,
            const char  *header,
            size_t       header_length,
            GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) json_error = NULL;
  g_autofree char *duplicate = NULL;
  DuplicateCheck check = { NULL, NULL };
  JsonNode *root;
  gboolean ok;

  /* as the reference implementation, which refuses anything else before parsing */
  if (header[0] != '{')
    {
      unet_set_file_error (error, UNET_ERROR_CORRUPT, file, "header does not start with “{”");
      return NULL;
    }
  if (!g_utf8_validate (header, header_length, NULL))
    {
      unet_set_file_error (error, UNET_ERROR_CORRUPT, file, "header is not valid UTF-8");
      return NULL;
    }
  if (!unet_safetensors_check_json (header, header_length, file, error))
    return NULL;

  parser = json_parser_new ();
  check.seen = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) json_object_unref,
                                      (GDestroyNotify) g_hash_table_unref);
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &check);
  ok = json_parser_load_from_data (parser, header, header_length, &json_error);
  g_signal_handlers_disconnect_by_func (parser, on_object_member, &check);
  g_hash_table_unref (check.seen);
  duplicate = g_steal_pointer (&check.duplicate);
  if (!ok)
    {
      unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                           "header is not valid JSON: %s", json_error->message);
      return NULL;
    }
  if (duplicate != NULL)
    {
      g_autofree char *short_name = unet_shorten (duplicate, UNET_MAX_NAME_IN_MESSAGE);

      unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                           "“%s” appears more than once in the header", short_name);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      unet_set_file_error (error, UNET_ERROR_CORRUPT, file, "header is not a JSON object");
      return NULL;
    }
  return g_steal_pointer (&parser);
}

/* As the reference implementation: sorted by offset, each tensor must start where the
 * previous one ended and the last must end at the end of the file. */
static gboolean
check_layout (GArray      *pending,
              const char  *file,
              size_t       data_length,
              GError     **error)
{
  const int code = UNET_ERROR_CORRUPT;
  gint64 expected = 0;

  g_array_sort (pending, compare_pending);
  for (guint i = 0; i < pending->len; i++)
    {
      const PendingTensor *t = &g_array_index (pending, PendingTensor, i);

      if (t->begin < expected)
        {
          const PendingTensor *prev = &g_array_index (pending, PendingTensor, i - 1);
          g_autofree char *prev_name = unet_shorten (prev->view.name, UNET_MAX_NAME_IN_MESSAGE);

          return unet_set_tensor_error (error, code, file, t->view.name,
                                        "data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                                        "] overlap tensor “%s” [%" G_GINT64_FORMAT ", %"
                                        G_GINT64_FORMAT "]",
                                        t->begin, t->end, prev_name, prev->begin, prev->end);
        }
      if (t->begin > expected)
        return unet_set_tensor_error (error, code, file, t->view.name,
                                      "data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                                      "] leave a hole of %" G_GINT64_FORMAT " bytes before the "
                                      "tensor", t->begin, t->end, t->begin - expected);
      expected = t->end;
    }
  if ((guint64) expected != data_length)
    return unet_set_file_error (error, code, file,
                                "%" G_GUINT64_FORMAT " bytes after the last tensor belong to none",
                                (guint64) (data_length - (guint64) expected));
  return TRUE;
}

/* data is NULL when only the header was read: the views then have no bytes, but every check
 * against the data's length is made all the same. */
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
  g_autoptr(GArray) pending = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  parser = parse_json (file, header, header_length, error);
  if (parser == NULL)
    return FALSE;

  pending = g_array_new (FALSE, TRUE, sizeof (PendingTensor));
  json_object_iter_init (&iter, json_node_get_object (json_parser_get_root (parser)));
  while (json_object_iter_next (&iter, &name, &node))
    {
      PendingTensor t = { { 0 }, 0, 0 };
      gint64 offsets[2] = { 0, 0 };

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

  if (!check_layout (pending, file, data_length, error))
    return FALSE;

  self->n_views = pending->len;
  self->views = g_new0 (UnetTensorView, MAX (pending->len, 1));
  for (guint i = 0; i < pending->len; i++)
    {
      const PendingTensor *t = &g_array_index (pending, PendingTensor, i);
      UnetTensorView *view = &self->views[i];
      char *owned_name = g_strdup (t->view.name);

      *view = t->view;
      view->name = owned_name;
      view->bytes = data != NULL ? data + t->begin : NULL;
      g_ptr_array_add (self->names, owned_name);
      g_hash_table_insert (self->by_name, owned_name, view);
    }

  return TRUE;
}

static UnetSafetensors *
safetensors_new (GBytes *bytes)
{
  UnetSafetensors *self = g_new0 (UnetSafetensors, 1);

  self->bytes = bytes != NULL ? g_bytes_ref (bytes) : NULL;
  self->names = g_ptr_array_new_with_free_func (g_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

/* The 8-byte prefix of a file of size bytes: the header's length, checked against the limit and
 * the size. */
static gboolean
check_header_length (const char   *name,
                     const guint8  prefix[8],
                     guint64       size,
                     guint64      *header_length,
                     GError      **error)
{
  const int code = UNET_ERROR_CORRUPT;
  guint64 length;

  memcpy (&length, prefix, sizeof length);
  length = GUINT64_FROM_LE (length);
  if (length < 2)
    return unet_set_file_error (error, code, name,
                                "header length %" G_GUINT64_FORMAT " is too small", length);
  if (length > UNET_SAFETENSORS_MAX_HEADER)
    return unet_set_file_error (error, code, name,
                                "header length %" G_GUINT64_FORMAT " is larger than the limit "
                                "of %d bytes", length, UNET_SAFETENSORS_MAX_HEADER);
  if (length > size - 8)
    return unet_set_file_error (error, code, name,
                                "header length %" G_GUINT64_FORMAT " runs past the end of the "
                                "file (%" G_GUINT64_FORMAT " bytes)", length, size);
  *header_length = length;
  return TRUE;
}

static gboolean
check_size (const char  *name,
            guint64      size,
            GError     **error)
{
  if (size < 8)
    return unet_set_file_error (error, UNET_ERROR_CORRUPT, name,
                                "%" G_GUINT64_FORMAT " bytes are too short for a safetensors file",
                                size);
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

  self = safetensors_new (bytes);
  contents = g_bytes_get_data (bytes, &size);
  if (!check_size (name, size, error) ||
      !check_header_length (name, contents, size, &header_length, error))
    return NULL;

  if (!parse_header (self, name, (const char *) contents + 8, (size_t) header_length,
                     contents + 8 + header_length, size - 8 - (size_t) header_length, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* Opens a regular file for reading; its size in *size. -1 with errno set on failure. */
static int
open_regular_file (const char *path,
                   guint64    *size)
{
  GStatBuf st;
  int fd;
  int saved_errno;

  fd = g_open (path, O_RDONLY
#ifdef O_CLOEXEC
               | O_CLOEXEC
#endif
               , 0);
  if (fd < 0)
    return -1;
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
  *size = (guint64) st.st_size;
  return fd;

fail:
  saved_errno = errno;
  close (fd);
  errno = saved_errno;
  return -1;
}

/* Up to length bytes; fewer only at the end of the file. FALSE with errno set on failure. */
static gboolean
read_up_to (int     fd,
            guint8 *buffer,
            size_t  length,
            size_t *n_read)
{
  *n_read = 0;
  while (*n_read < length)
    {
      gssize n = read (fd, buffer + *n_read, length - *n_read);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      *n_read += (size_t) n;
    }
  return TRUE;
}

static gboolean
set_read_error (GError     **error,
                const char  *display,
                int          saved_errno)
{
  g_set_error (error, UNET_ERROR, UNET_ERROR_IO, "%s: cannot read: %s", display,
               g_strerror (saved_errno));
  return FALSE;
}

UnetSafetensors *
unet_safetensors_load_file (const char  *path,
                            GError     **error)
{
  g_autofree char *display = NULL;
  g_autofree guint8 *contents = NULL;
  g_autoptr(GBytes) bytes = NULL;
  guint64 size = 0;
  size_t length = 0;
  int fd;
  int saved_errno;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display = g_filename_display_name (path);

  /* Read, not mapped: a file truncated by someone else while mapped would kill us with SIGBUS,
   * and the weights are copied into the model anyway. */
  fd = open_regular_file (path, &size);
  if (fd < 0)
    {
      set_read_error (error, display, errno);
      return NULL;
    }

  contents = g_try_malloc (MAX ((size_t) size, 1));
  if (contents == NULL)
    {
      close (fd);
      set_read_error (error, display, ENOMEM);
      return NULL;
    }
  /* The size may change under us: read what is there, up to the size we planned for. */
  if (!read_up_to (fd, contents, (size_t) size, &length))
    {
      saved_errno = errno;
      close (fd);
      set_read_error (error, display, saved_errno);
      return NULL;
    }
  close (fd);

  bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
  return unet_safetensors_load_bytes (bytes, display, error);
}

UnetSafetensors *
unet_safetensors_load_header (const char  *path,
                              GError     **error)
{
  g_autoptr(UnetSafetensors) self = NULL;
  g_autofree char *display = NULL;
  g_autofree char *header = NULL;
  guint8 prefix[8];
  guint64 size = 0;
  guint64 header_length = 0;
  size_t n_read = 0;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display = g_filename_display_name (path);
  fd = open_regular_file (path, &size);
  if (fd < 0)
    {
      set_read_error (error, display, errno);
      return NULL;
    }

  /* The size from fstat stands for the data: the checks of the offsets against it are the
   * full reader's, without reading a byte of the tensors. */
  if (!check_size (display, size, error) ||
      !read_up_to (fd, prefix, sizeof prefix, &n_read) ||
      (n_read == sizeof prefix &&
       !check_header_length (display, prefix, size, &header_length, error)))
    goto fail;
  if (n_read == sizeof prefix)
    {
      header = g_try_malloc (header_length);
      if (header == NULL)
        errno = ENOMEM;
      if (header == NULL || !read_up_to (fd, (guint8 *) header, header_length, &n_read))
        goto fail;
    }
  /* shorter than fstat said: the file was cut while we read it */
  if (n_read != (header != NULL ? header_length : sizeof prefix))
    {
      close (fd);
      unet_set_file_error (error, UNET_ERROR_CORRUPT, display,
                           "the file ends inside its header");
      return NULL;
    }
  close (fd);

  self = safetensors_new (NULL);
  if (!parse_header (self, display, header, (size_t) header_length, NULL,
                     (size_t) (size - 8 - header_length), error))
    return NULL;
  return g_steal_pointer (&self);

fail:
  if (error != NULL && *error == NULL)
    set_read_error (error, display, errno);
  close (fd);
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
