/* studio-model-file.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "studio-model-file.h"
#include "studio-util.h"

GHashTable *
studio_model_file_read_metadata (const char  *path,
                                 GError     **error)
{
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *header = NULL;
  g_autofree char *name = studio_display_path (path);
  guint8 prefix[8];
  guint64 length = 0;
  JsonNode *root;
  JsonObject *object;
  FILE *file;
  gboolean ok;

  file = g_fopen (path, "rb");
  if (file == NULL)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not open “%s”: %s"), name, g_strerror (saved));
      return NULL;
    }
  ok = fread (prefix, 1, sizeof prefix, file) == sizeof prefix;
  for (int i = 7; ok && i >= 0; i--)
    length = (length << 8) | prefix[i];
  ok = ok && length > 1 && length <= UNET_SAFETENSORS_MAX_HEADER;
  if (ok)
    {
      header = g_malloc (length + 1);
      ok = fread (header, 1, length, file) == length;
      header[length] = '\0';
    }
  fclose (file);

  if (!ok || !json_parser_load_from_data (parser, header, length, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   _("“%s” is not a U-Net model or checkpoint (.safetensors)"), name);
      return NULL;
    }
  object = json_node_get_object (root);
  if (json_object_has_member (object, "__metadata__") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "__metadata__")))
    {
      JsonObject *meta = json_object_get_object_member (object, "__metadata__");
      g_autoptr(GList) members = json_object_get_members (meta);

      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *node = json_object_get_member (meta, l->data);

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            g_hash_table_insert (metadata, g_strdup (l->data),
                                 g_strdup (json_node_get_string (node)));
        }
    }
  return g_steal_pointer (&metadata);
}

gboolean
studio_model_file_read_config (const char  *path,
                               UnetConfig  *config,
                               GError     **error)
{
  g_autoptr(GHashTable) metadata = studio_model_file_read_metadata (path, error);
  g_autofree char *name = NULL;
  const char *depth, *base, *padding, *norm;

  if (metadata == NULL)
    return FALSE;
  unet_config_init_default (config);
  depth = g_hash_table_lookup (metadata, "depth");
  base = g_hash_table_lookup (metadata, "base");
  padding = g_hash_table_lookup (metadata, "padding");
  norm = g_hash_table_lookup (metadata, "norm");
  if (depth == NULL || base == NULL || padding == NULL || norm == NULL ||
      !unet_padding_from_string (padding, &config->padding, NULL) ||
      !unet_norm_from_string (norm, &config->norm, NULL))
    {
      name = studio_display_path (path);
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   _("“%s” does not describe its network; it was not written by U-Net Studio"),
                   name);
      return FALSE;
    }
  config->depth = (int) g_ascii_strtoll (depth, NULL, 10);
  config->base = (int) g_ascii_strtoll (base, NULL, 10);
  if (g_hash_table_contains (metadata, "in_channels"))
    config->in_channels = (int) g_ascii_strtoll (g_hash_table_lookup (metadata, "in_channels"),
                                                 NULL, 10);
  return unet_config_validate (config, error);
}

gboolean
studio_model_file_read_run_options (const char        *run_dir,
                                    UnetTrainOptions  *options,
                                    GError           **error)
{
  g_autofree char *path = g_build_filename (run_dir, "last.safetensors", NULL);
  g_autoptr(GHashTable) metadata = NULL;
  const char *json;

  unet_train_options_init_default (options);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *name = studio_display_path (run_dir);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("“%s” holds no stopped run to resume (no last.safetensors)"), name);
      return FALSE;
    }
  metadata = studio_model_file_read_metadata (path, error);
  if (metadata == NULL)
    return FALSE;
  json = g_hash_table_lookup (metadata, "state.options");
  if (json == NULL)
    {
      g_autofree char *name = studio_display_path (path);

      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   _("“%s” is a model, not a training checkpoint; start from it as a file instead"),
                   name);
      return FALSE;
    }
  return unet_train_options_from_json (options, json, error);
}

/* The checkpoint stores them as a JSON list. */
char **
studio_model_file_read_class_names (const char *run_dir)
{
  g_autofree char *path = g_build_filename (run_dir, "last.safetensors", NULL);
  g_autoptr(GHashTable) metadata = studio_model_file_read_metadata (path, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GStrvBuilder) builder = NULL;
  const char *json = metadata != NULL ? g_hash_table_lookup (metadata, "classes") : NULL;
  JsonNode *root;
  JsonArray *array;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    return NULL;
  array = json_node_get_array (root);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      const char *name = json_array_get_string_element (array, i);

      g_strv_builder_add (builder, name != NULL ? name : "");
    }
  return g_strv_builder_end (builder);
}

gint64
studio_model_file_read_step (const char *run_dir)
{
  g_autofree char *path = g_build_filename (run_dir, "last.safetensors", NULL);
  g_autoptr(GHashTable) metadata = studio_model_file_read_metadata (path, NULL);
  const char *step = metadata != NULL ? g_hash_table_lookup (metadata, "state.step") : NULL;
  guint64 value;

  if (step == NULL || !g_ascii_string_to_unsigned (step, 10, 0, G_MAXINT64, &value, NULL))
    return -1;
  return (gint64) value;
}
