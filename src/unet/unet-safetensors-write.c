/* unet-safetensors-write.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "unet-file.h"
#include "unet-safetensors-private.h"

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
      size_t limit = G_MAXSIZE / unet_dtype_get_size (dtype) / MAX (numel, 1);

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
  entry.n_bytes = numel * unet_dtype_get_size (dtype);
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
                              unet_dtype_get_name (entry->dtype));
      for (int d = 0; d < entry->ndim; d++)
        g_string_append_printf (s, "%s%" G_GINT64_FORMAT, d > 0 ? "," : "",
                                (gint64) entry->shape[d]);
      g_string_append_printf (s, "],\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
                              "]}", offset, offset + (guint64) entry->n_bytes);
      offset += entry->n_bytes;
    }
  g_string_append_c (s, '}');

  /* The reference writer pads with spaces so that the data starts 8-byte aligned. */
  while (s->len % 8 != 0)
    g_string_append_c (s, ' ');

  return s;
}

static gboolean
write_entry (UnetAtomicFile     *file,
             const WriterEntry  *entry,
             GError            **error)
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
          if (!unet_atomic_file_write (file, chunk, 4 * n, error))
            return FALSE;
        }
      return TRUE;
    }
#endif
  return unet_atomic_file_write (file, entry->data, entry->n_bytes, error);
}

gboolean
unet_safetensors_writer_write (UnetSafetensorsWriter  *self,
                               const char             *path,
                               GError                **error)
{
  g_autoptr(UnetAtomicFile) file = NULL;
  g_autoptr(GString) header = NULL;
  guint64 header_length;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  header = build_header (self);
  header_length = GUINT64_TO_LE ((guint64) header->len);

  file = unet_atomic_file_open (path, error);
  if (file == NULL ||
      !unet_atomic_file_write (file, &header_length, sizeof header_length, error) ||
      !unet_atomic_file_write (file, header->str, header->len, error))
    return FALSE;
  for (guint i = 0; i < self->entries->len; i++)
    if (!write_entry (file, &g_array_index (self->entries, WriterEntry, i), error))
      return FALSE;

  return unet_atomic_file_commit (file, error);
}
