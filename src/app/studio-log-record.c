/* studio-log-record.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include <glib/gi18n.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "studio-log-record.h"

/* json-glib's *_with_default getters raise criticals on a member of another type (or return
 * NULL for a number read as a string), and criticals are fatal under G_DEBUG: every member is
 * checked here before it is read. */
static gboolean
is_number (JsonNode *node)
{
  GType type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  return type == G_TYPE_INT64 || type == G_TYPE_DOUBLE;
}

/* A missing member or null gives fallback; anything but a number is an error. */
static gboolean
read_number (JsonObject  *object,
             const char  *name,
             double       fallback,
             double      *value,
             GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      *value = fallback;
      return TRUE;
    }
  if (!is_number (node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The log line’s “%s” is not a number"), name);
      return FALSE;
    }
  *value = json_node_get_double (node);
  return TRUE;
}

static gboolean
read_integer (JsonObject  *object,
              const char  *name,
              gint64      *value,
              GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      *value = 0;
      return TRUE;
    }
  if (!is_number (node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The log line’s “%s” is not a number"), name);
      return FALSE;
    }
  *value = json_node_get_int (node);
  return TRUE;
}

/* A missing "type" makes a line of no kind the dashboard knows, as before; one that is not a
 * string makes it a bad line. */
static gboolean
read_kind (JsonObject           *object,
           StudioLogRecordKind  *kind,
           GError              **error)
{
  JsonNode *node = json_object_get_member (object, "type");
  const char *type;

  *kind = STUDIO_LOG_RECORD_OTHER;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The log line’s “type” is not a string"));
      return FALSE;
    }
  type = json_node_get_string (node);
  if (g_str_equal (type, "train"))
    *kind = STUDIO_LOG_RECORD_TRAIN;
  else if (g_str_equal (type, "val"))
    *kind = STUDIO_LOG_RECORD_VAL;
  return TRUE;
}

static gboolean
read_class_iou (StudioLogRecord  *record,
                JsonObject       *object,
                GError          **error)
{
  JsonNode *node = json_object_get_member (object, "per_class_iou");
  g_autoptr(GStrvBuilder) names = NULL;
  g_autoptr(GArray) values = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *per_class;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The log line’s “per_class_iou” is not an object"));
      return FALSE;
    }
  per_class = json_node_get_object (node);
  members = json_object_get_members (per_class);
  names = g_strv_builder_new ();
  values = g_array_new (FALSE, FALSE, sizeof (double));
  for (GList *l = members; l != NULL; l = l->next)
    {
      double iou;

      if (!read_number (per_class, l->data, NAN, &iou, error))
        return FALSE;
      g_strv_builder_add (names, l->data);
      g_array_append_val (values, iou);
    }
  record->class_names = g_strv_builder_end (names);
  record->class_iou = (double *) g_array_free (g_steal_pointer (&values), FALSE);
  return TRUE;
}

static gboolean
read_record (StudioLogRecord  *record,
             JsonObject       *object,
             GError          **error)
{
  double epoch;

  if (!read_kind (object, &record->kind, error))
    return FALSE;
  if (record->kind == STUDIO_LOG_RECORD_OTHER)
    return TRUE;
  if (!read_integer (object, "step", &record->step, error) ||
      !read_number (object, "epoch", 0.0, &epoch, error))
    return FALSE;
  record->epoch = (int) CLAMP (epoch, G_MININT, G_MAXINT);
  if (record->kind == STUDIO_LOG_RECORD_TRAIN)
    return read_number (object, "loss", NAN, &record->loss, error);
  return read_number (object, "miou", NAN, &record->miou, error) &&
         read_class_iou (record, object, error);
}

gboolean
studio_log_record_parse (StudioLogRecord  *record,
                         const char       *line,
                         gssize            length,
                         GError          **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (line != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *record = (StudioLogRecord) {
    .kind = STUDIO_LOG_RECORD_OTHER,
    .loss = NAN,
    .miou = NAN,
  };
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, line, length, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The log line is not JSON: %s"), local_error->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The log line is not a JSON object"));
      return FALSE;
    }
  if (!read_record (record, json_node_get_object (root), error))
    {
      studio_log_record_clear (record);
      return FALSE;
    }
  return TRUE;
}

void
studio_log_record_clear (StudioLogRecord *record)
{
  g_return_if_fail (record != NULL);

  g_clear_pointer (&record->class_names, g_strfreev);
  g_clear_pointer (&record->class_iou, g_free);
}

double
studio_log_record_get_class_iou (const StudioLogRecord *record,
                                 const char            *name)
{
  g_return_val_if_fail (record != NULL, NAN);

  for (guint k = 0; record->class_names != NULL && record->class_names[k] != NULL; k++)
    if (g_str_equal (record->class_names[k], name))
      return record->class_iou[k];
  return NAN;
}
