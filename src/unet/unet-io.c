/* unet-io.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "unet-error.h"
#include "unet-error-private.h"
#include "unet-io.h"
#include "unet-safetensors.h"
#include "unet-model-train.h"
#include "unet-optimizer.h"

#define OPTIM_PREFIX "optim."
#define STATE_PREFIX "state."
/* Metadata values are ours (a list of names, a list of triples): anything deeper is hostile. */
#define MAX_METADATA_JSON_DEPTH 8
#define MAX_VALUE_IN_MESSAGE 60

/* The keys the file needs to rebuild the model; info strings may not take their place. */
static const char *const structural_keys[] = {
  "format", "depth", "base", "in_channels", "padding", "norm", "dropout",
  "classes", "palette", "mean", "std", "input_scale", "max_classes",
};

static gboolean
is_reserved_key (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (structural_keys); i++)
    if (g_str_equal (key, structural_keys[i]))
      return TRUE;
  return g_str_has_prefix (key, OPTIM_PREFIX) || g_str_has_prefix (key, STATE_PREFIX);
}

static char *
format_double (double value,
               int    digits)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  char format[8];

  /* g_ascii_formatd: a locale with a decimal comma must not leak into the file */
  g_snprintf (format, sizeof format, "%%.%dg", digits);
  return g_strdup (g_ascii_formatd (buf, sizeof buf, format, value));
}

/* --- saving -------------------------------------------------------------------------------- */

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Sorted, so that the same model always gives the same bytes. */
static GPtrArray *
sorted_keys (GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  if (table != NULL)
    {
      g_hash_table_iter_init (&iter, table);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (keys, key);
    }
  g_ptr_array_sort (keys, compare_strings);
  return keys;
}

/* The shortest decimal that reads back as the same float: 0.485, not 0.485000014. */
static char *
format_float (float value)
{
  for (int digits = 6; digits < 9; digits++)
    {
      g_autofree char *text = format_double (value, digits);

      if ((float) g_ascii_strtod (text, NULL) == value)
        return g_steal_pointer (&text);
    }
  return format_double (value, 9);
}

/* The shortest decimal that reads back as the same double: 0.5 and 0.1, not 0.10000000000000001. */
static char *
format_double_shortest (double value)
{
  for (int digits = 1; digits < 17; digits++)
    {
      g_autofree char *text = format_double (value, digits);

      if (g_ascii_strtod (text, NULL) == value)
        return g_steal_pointer (&text);
    }
  return format_double (value, 17);
}

static char *
format_triple (const float values[3])
{
  g_autofree char *a = format_float (values[0]);
  g_autofree char *b = format_float (values[1]);
  g_autofree char *c = format_float (values[2]);

  return g_strdup_printf ("[%s, %s, %s]", a, b, c);
}

static UnetSafetensorsWriter *
writer_for_model (UnetModel *model)
{
  g_autoptr(UnetSafetensorsWriter) writer = unet_safetensors_writer_new ();
  const UnetConfig *config = unet_model_get_config (model);
  const char *const *names = unet_model_get_class_names (model);
  const guint8 *palette = unet_model_get_palette (model);
  g_autoptr(JsonArray) names_array = json_array_sized_new (config->classes);
  g_autoptr(JsonNode) names_node = json_node_new (JSON_NODE_ARRAY);
  g_autoptr(GString) palette_json = g_string_new ("[");
  g_autoptr(GPtrArray) info_keys = NULL;
  g_autofree char *number = NULL;
  g_autofree char *names_json = NULL;
  g_autofree char *mean_json = NULL;
  g_autofree char *std_json = NULL;
  g_autofree char *scale = NULL;
  GHashTable *info;
  float mean[3], std[3];

  unet_safetensors_writer_set_metadata (writer, "format", UNET_FORMAT_NAME);

  number = g_strdup_printf ("%d", config->depth);
  unet_safetensors_writer_set_metadata (writer, "depth", number);
  g_free (number);
  number = g_strdup_printf ("%d", config->base);
  unet_safetensors_writer_set_metadata (writer, "base", number);
  g_free (number);
  number = g_strdup_printf ("%d", config->in_channels);
  unet_safetensors_writer_set_metadata (writer, "in_channels", number);
  g_free (number);
  unet_safetensors_writer_set_metadata (writer, "padding",
                                        unet_padding_to_string (config->padding));
  unet_safetensors_writer_set_metadata (writer, "norm", unet_norm_to_string (config->norm));
  number = format_float (config->dropout);
  unet_safetensors_writer_set_metadata (writer, "dropout", number);

  for (int k = 0; k < config->classes; k++)
    {
      const char *name = names != NULL && names[k] != NULL ? names[k] : "";

      json_array_add_string_element (names_array, name);
      g_string_append_printf (palette_json, "%s[%u, %u, %u]", k > 0 ? ", " : "",
                              palette[3 * k], palette[3 * k + 1], palette[3 * k + 2]);
    }
  g_string_append_c (palette_json, ']');
  json_node_set_array (names_node, names_array);
  names_json = json_to_string (names_node, FALSE);
  unet_safetensors_writer_set_metadata (writer, "classes", names_json);
  unet_safetensors_writer_set_metadata (writer, "palette", palette_json->str);

  unet_model_get_normalization (model, mean, std);
  mean_json = format_triple (mean);
  std_json = format_triple (std);
  unet_safetensors_writer_set_metadata (writer, "mean", mean_json);
  unet_safetensors_writer_set_metadata (writer, "std", std_json);
  scale = format_double_shortest (unet_model_get_input_scale (model));
  unet_safetensors_writer_set_metadata (writer, "input_scale", scale);
  /* Absent means no limit, so older readers and files agree. */
  if (unet_model_get_max_classes (model) > 0)
    {
      char max_classes[16];

      g_snprintf (max_classes, sizeof max_classes, "%d", unet_model_get_max_classes (model));
      unet_safetensors_writer_set_metadata (writer, "max_classes", max_classes);
    }

  info = unet_model_get_info_table (model);
  info_keys = sorted_keys (info);
  for (guint i = 0; i < info_keys->len; i++)
    {
      const char *key = g_ptr_array_index (info_keys, i);
      const char *value = g_hash_table_lookup (info, key);

      if (is_reserved_key (key))
        {
          g_debug ("Not saving the info string “%s”: the name is reserved", key);
          continue;
        }
      unet_safetensors_writer_set_metadata (writer, key, value);
    }

  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      const UnetParam *param = unet_model_get_param (model, i);

      unet_safetensors_writer_add_f32 (writer, param->name, param->data, param->ndim, param->shape);
    }

  return g_steal_pointer (&writer);
}

gboolean
unet_model_save (UnetModel   *model,
                 const char  *path,
                 GError     **error)
{
  g_autoptr(UnetSafetensorsWriter) writer = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  writer = writer_for_model (model);
  return unet_safetensors_writer_write (writer, path, error);
}

gboolean
unet_checkpoint_save (UnetModel      *model,
                      UnetOptimizer  *optimizer,
                      GHashTable     *state,
                      const char     *path,
                      GError        **error)
{
  g_autoptr(UnetSafetensorsWriter) writer = NULL;
  g_autoptr(GPtrArray) state_keys = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  writer = writer_for_model (model);

  if (optimizer != NULL)
    {
      /* 17 digits: a double reads back exactly, so a resumed run steps exactly the same */
      g_autofree char *momentum = format_double (unet_optimizer_get_momentum (optimizer), 17);
      g_autofree char *weight_decay =
        format_double (unet_optimizer_get_weight_decay (optimizer), 17);

      unet_safetensors_writer_set_metadata (writer, OPTIM_PREFIX "momentum", momentum);
      unet_safetensors_writer_set_metadata (writer, OPTIM_PREFIX "weight_decay", weight_decay);

      for (guint i = 0; i < unet_model_get_n_params (model); i++)
        {
          const UnetParam *param = unet_model_get_param (model, i);
          const float *velocity = unet_optimizer_get_velocity (optimizer, i);
          g_autofree char *name = NULL;

          if (velocity == NULL)
            continue;
          name = g_strconcat (OPTIM_PREFIX, param->name, NULL);
          unet_safetensors_writer_add_f32 (writer, name, velocity, param->ndim, param->shape);
        }
    }

  state_keys = sorted_keys (state);
  for (guint i = 0; i < state_keys->len; i++)
    {
      const char *key = g_ptr_array_index (state_keys, i);
      g_autofree char *full_key = g_strconcat (STATE_PREFIX, key, NULL);

      unet_safetensors_writer_set_metadata (writer, full_key, g_hash_table_lookup (state, key));
    }

  return unet_safetensors_writer_write (writer, path, error);
}

/* --- loading ------------------------------------------------------------------------------- */

static const char *
require_metadata (UnetSafetensors  *st,
                  const char       *file,
                  const char       *key,
                  GError          **error)
{
  const char *value = unet_safetensors_get_metadata_string (st, key);

  if (value == NULL)
    unet_set_file_error (error, UNET_ERROR_CORRUPT, file, "metadata “%s” is missing", key);
  return value;
}

static gboolean
parse_int (UnetSafetensors  *st,
           const char       *file,
           const char       *key,
           int               min,
           int               max,
           int              *out,
           GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *value;
  gint64 v;

  if ((value = require_metadata (st, file, key, error)) == NULL)
    return FALSE;
  if (!g_ascii_string_to_signed (value, 10, min, max, &v, &local_error))
    return unet_set_file_error (error, UNET_ERROR_CORRUPT, file, "metadata “%s”: %s", key,
                                local_error->message);
  *out = (int) v;
  return TRUE;
}

static gboolean
parse_number (const char *text,
              double     *out)
{
  char *end = NULL;

  if (*text == '\0' || g_ascii_isspace (*text))
    return FALSE;
  *out = g_ascii_strtod (text, &end);
  return end != NULL && *end == '\0' && isfinite (*out);
}

/* json-glib 1.6 recurses once per nesting level and also reads comments and single-quoted
 * strings, which could hide brackets from a simple count: allow only what JSON allows outside
 * double-quoted strings, then the count is exact. */
static gboolean
json_text_is_safe (const char *text)
{
  int depth = 0;

  for (const char *p = text; *p != '\0'; p++)
    {
      char c = *p;

      if (c == '"')
        {
          for (p++; *p != '"'; p++)
            {
              if (*p == '\0')
                return FALSE;
              if (*p == '\\' && *++p == '\0')
                return FALSE;
            }
        }
      else if (c == '[' || c == '{')
        {
          if (++depth > MAX_METADATA_JSON_DEPTH)
            return FALSE;
        }
      else if (c == ']' || c == '}')
        depth--;
      else if (!(g_ascii_isalnum (c) || strchr (" \t\r\n,:+-.", c) != NULL))
        return FALSE;
    }
  return TRUE;
}

static JsonNode *
parse_json_metadata (UnetSafetensors  *st,
                     const char       *file,
                     const char       *key,
                     JsonNodeType      type,
                     GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *value;

  if ((value = require_metadata (st, file, key, error)) == NULL)
    return NULL;
  if (!json_text_is_safe (value))
    {
      unet_set_file_error (error, UNET_ERROR_CORRUPT, file, "metadata “%s” is not valid JSON", key);
      return NULL;
    }
  node = json_from_string (value, &local_error);
  if (node == NULL)
    {
      if (local_error != NULL)
        unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                             "metadata “%s” is not valid JSON: %s", key,
                             local_error->message);
      else
        unet_set_file_error (error, UNET_ERROR_CORRUPT, file, "metadata “%s” is empty", key);
      return NULL;
    }
  if (json_node_get_node_type (node) != type)
    {
      unet_set_file_error (error, UNET_ERROR_CORRUPT, file, "metadata “%s” is not a JSON %s", key,
                           type == JSON_NODE_ARRAY ? "list" : "object");
      return NULL;
    }
  return g_steal_pointer (&node);
}

static gboolean
node_is_number (JsonNode *node,
                double   *value)
{
  GType type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return FALSE;
  *value = json_node_get_double (node);
  return isfinite (*value);
}

static gboolean
parse_triple (UnetSafetensors  *st,
              const char       *file,
              const char       *key,
              gboolean          positive,
              float             out[3],
              GError          **error)
{
  g_autoptr(JsonNode) node = parse_json_metadata (st, file, key, JSON_NODE_ARRAY, error);
  JsonArray *array;

  if (node == NULL)
    return FALSE;
  array = json_node_get_array (node);
  if (json_array_get_length (array) != 3)
    return unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                                "metadata “%s” holds %u numbers instead of 3", key,
                                json_array_get_length (array));
  for (guint c = 0; c < 3; c++)
    {
      double v;

      if (!node_is_number (json_array_get_element (array, c), &v) ||
          fabs (v) > G_MAXFLOAT || (positive && !(v > 0.0)))
        return unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                                    "metadata “%s”: element %u is not a %s number", key, c,
                                    positive ? "positive" : "finite");
      out[c] = (float) v;
    }
  return TRUE;
}

static GStrv
parse_class_names (UnetSafetensors  *st,
                   const char       *file,
                   int              *n_classes,
                   GError          **error)
{
  g_autoptr(JsonNode) node = parse_json_metadata (st, file, "classes", JSON_NODE_ARRAY, error);
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;
  guint n;

  if (node == NULL)
    return NULL;
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  builder = g_strv_builder_new ();
  for (guint k = 0; k < n; k++)
    {
      JsonNode *element = json_array_get_element (array, k);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                               "metadata “classes”: element %u is not a string", k);
          return NULL;
        }
      g_strv_builder_add (builder, json_node_get_string (element));
    }
  *n_classes = (int) MIN (n, (guint) G_MAXINT);
  return g_strv_builder_end (builder);
}

static guint8 *
parse_palette (UnetSafetensors  *st,
               const char       *file,
               int               n_classes,
               GError          **error)
{
  g_autoptr(JsonNode) node = parse_json_metadata (st, file, "palette", JSON_NODE_ARRAY, error);
  g_autofree guint8 *palette = NULL;
  JsonArray *array;

  if (node == NULL)
    return NULL;
  array = json_node_get_array (node);
  if (json_array_get_length (array) != (guint) n_classes)
    {
      unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                           "metadata “palette” has %u colours for %d classes",
                           json_array_get_length (array), n_classes);
      return NULL;
    }
  palette = g_new (guint8, 3 * (gsize) n_classes);
  for (int k = 0; k < n_classes; k++)
    {
      JsonNode *colour = json_array_get_element (array, k);
      JsonArray *rgb;

      if (!JSON_NODE_HOLDS_ARRAY (colour) ||
          json_array_get_length (rgb = json_node_get_array (colour)) != 3)
        {
          unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                               "metadata “palette”: colour %d is not an [r, g, b] triple", k);
          return NULL;
        }
      for (guint c = 0; c < 3; c++)
        {
          JsonNode *element = json_array_get_element (rgb, c);
          gint64 v;

          if (!JSON_NODE_HOLDS_VALUE (element) ||
              json_node_get_value_type (element) != G_TYPE_INT64 ||
              (v = json_node_get_int (element)) < 0 || v > 255)
            {
              unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                                   "metadata “palette”: colour %d is not made of integers 0 to 255",
                                   k);
              return NULL;
            }
          palette[3 * k + c] = (guint8) v;
        }
    }
  return g_steal_pointer (&palette);
}

static gboolean
parse_config (UnetSafetensors  *st,
              const char       *file,
              UnetConfig       *config,
              GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *value;
  double dropout;

  if (!parse_int (st, file, "depth", UNET_MIN_DEPTH, UNET_MAX_DEPTH, &config->depth, error) ||
      !parse_int (st, file, "base", 1, G_MAXINT, &config->base, error) ||
      !parse_int (st, file, "in_channels", 1, G_MAXINT, &config->in_channels, error))
    return FALSE;

  if ((value = require_metadata (st, file, "padding", error)) == NULL)
    return FALSE;
  if (!unet_padding_from_string (value, &config->padding, &local_error))
    return unet_set_file_error (error, UNET_ERROR_CORRUPT, file, "metadata “padding”: %s",
                                local_error->message);

  if ((value = require_metadata (st, file, "norm", error)) == NULL)
    return FALSE;
  if (!unet_norm_from_string (value, &config->norm, &local_error))
    return unet_set_file_error (error, UNET_ERROR_CORRUPT, file, "metadata “norm”: %s",
                                local_error->message);

  if ((value = require_metadata (st, file, "dropout", error)) == NULL)
    return FALSE;
  if (!parse_number (value, &dropout) || dropout < 0.0 || dropout >= 1.0)
    {
      g_autofree char *short_value = unet_shorten (value, MAX_VALUE_IN_MESSAGE);

      return unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                                  "metadata “dropout”: “%s” is not a probability below 1",
                                  short_value);
    }
  config->dropout = (float) dropout;

  return TRUE;
}

/* Optional: files written before the key existed were run at full size, 1. */
static gboolean
parse_input_scale (UnetSafetensors  *st,
                   const char       *file,
                   double           *out,
                   GError          **error)
{
  const char *value = unet_safetensors_get_metadata_string (st, "input_scale");
  double scale;

  *out = 1.0;
  if (value == NULL)
    return TRUE;
  if (!parse_number (value, &scale) || !(scale > 0.0) || scale > UNET_MAX_INPUT_SCALE)
    {
      g_autofree char *short_value = unet_shorten (value, MAX_VALUE_IN_MESSAGE);

      return unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                                  "metadata “input_scale”: “%s” is not a scale above 0 and "
                                  "at most %g", short_value, UNET_MAX_INPUT_SCALE);
    }
  *out = scale;
  return TRUE;
}

/* Optional: no limit when absent. At most classes - 1, the foreground classes there are. */
static gboolean
parse_max_classes (UnetSafetensors  *st,
                   const char       *file,
                   int               classes,
                   int              *out,
                   GError          **error)
{
  const char *value = unet_safetensors_get_metadata_string (st, "max_classes");
  double max_classes;

  *out = 0;
  if (value == NULL)
    return TRUE;
  /* range first: casting a huge double to int is undefined */
  if (!parse_number (value, &max_classes) || max_classes < 0 || max_classes > classes - 1 ||
      max_classes != (int) max_classes)
    {
      g_autofree char *short_value = unet_shorten (value, MAX_VALUE_IN_MESSAGE);

      return unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                                  "metadata “max_classes”: “%s” is not a whole number from 0 to %d",
                                  short_value, classes - 1);
    }
  *out = (int) max_classes;
  return TRUE;
}

static gboolean
check_format (UnetSafetensors  *st,
              const char       *file,
              GError          **error)
{
  const char *format = unet_safetensors_get_metadata_string (st, "format");

  if (format == NULL)
    return unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                                "not a U-Net Studio model: the metadata has no “format” "
                                "(expected “%s”)", UNET_FORMAT_NAME);
  if (!g_str_equal (format, UNET_FORMAT_NAME))
    {
      g_autofree char *short_format = unet_shorten (format, MAX_VALUE_IN_MESSAGE);

      return unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                                  "unsupported format “%s” (expected “%s”)",
                                  short_format, UNET_FORMAT_NAME);
    }
  return TRUE;
}

static gboolean
copy_tensor (const UnetTensorView  *view,
             const char            *file,
             const char            *name,
             int                    ndim,
             const int64_t         *shape,
             float                 *dest,
             GError               **error)
{
  gboolean same = view->ndim == ndim;

  for (int d = 0; same && d < ndim; d++)
    same = view->shape[d] == shape[d];
  if (!same)
    {
      g_autofree char *found = unet_format_shape (view->ndim, view->shape);
      g_autofree char *expected = unet_format_shape (ndim, shape);

      return unet_set_file_error (error, UNET_ERROR_MISMATCH, file,
                                  "tensor “%s” has shape %s, expected %s", name, found, expected);
    }
  if (view->dtype != UNET_DTYPE_F32 && view->dtype != UNET_DTYPE_F64 &&
      view->dtype != UNET_DTYPE_F16 && view->dtype != UNET_DTYPE_BF16)
    return unet_set_file_error (error, UNET_ERROR_MISMATCH, file,
                                "tensor “%s” does not hold floating-point numbers", name);

  unet_tensor_view_copy_f32 (view, dest);
  return TRUE;
}

/* A dozen bytes of metadata can ask for a model of gigabytes: before building it, make sure the
 * file really holds its largest tensors, so the memory we take is bounded by the file's size. */
static gboolean
check_largest_tensors (UnetSafetensors   *st,
                       const char        *file,
                       const UnetConfig  *config,
                       GError           **error)
{
  const int64_t width = (int64_t) config->base << config->depth;
  const struct
  {
    const char *name;
    int64_t     shape[4];
  } largest[] = {
    { "mid.conv2.weight", { width, width, 3, 3 } },
    { "mid.conv1.weight", { width, width / 2, 3, 3 } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (largest); i++)
    {
      const UnetTensorView *view = unet_safetensors_lookup (st, largest[i].name);
      gboolean same;

      if (view == NULL)
        return unet_set_file_error (error, UNET_ERROR_MISMATCH, file,
                                    "missing tensor “%s”", largest[i].name);
      same = view->ndim == 4;
      for (int d = 0; same && d < 4; d++)
        same = view->shape[d] == largest[i].shape[d];
      if (!same)
        {
          g_autofree char *found = unet_format_shape (view->ndim, view->shape);
          g_autofree char *expected = unet_format_shape (4, largest[i].shape);

          return unet_set_file_error (error, UNET_ERROR_MISMATCH, file,
                                      "tensor “%s” has shape %s, expected %s",
                                      largest[i].name, found,
                                      expected);
        }
    }
  return TRUE;
}

static void
model_file_info_clear (UnetModelFileInfo *info)
{
  g_clear_pointer (&info->class_names, g_strfreev);
  g_clear_pointer (&info->palette, g_free);
  g_clear_pointer (&info->metadata, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (UnetModelFileInfo, model_file_info_clear)

/* Everything the metadata says about the model, checked: the one reading of it, for loading and
 * for peeking. Only the tensors' names and shapes are consulted, never their data. */
static gboolean
parse_model_metadata (UnetSafetensors    *st,
                      const char         *file,
                      UnetModelFileInfo  *info,
                      GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  UnetConfig *config = &info->config;

  if (!check_format (st, file, error))
    return FALSE;

  unet_config_init_default (config);
  if (!parse_config (st, file, config, error))
    return FALSE;
  if ((info->class_names = parse_class_names (st, file, &config->classes, error)) == NULL ||
      (info->palette = parse_palette (st, file, config->classes, error)) == NULL ||
      !parse_triple (st, file, "mean", FALSE, info->mean, error) ||
      !parse_triple (st, file, "std", TRUE, info->std, error) ||
      !parse_input_scale (st, file, &info->input_scale, error) ||
      !parse_max_classes (st, file, config->classes, &info->max_classes, error))
    return FALSE;

  if (!unet_config_validate (config, &local_error))
    return unet_set_file_error (error, UNET_ERROR_CORRUPT, file, "%s", local_error->message);
  if (!check_largest_tensors (st, file, config, error))
    return FALSE;

  info->metadata = g_hash_table_ref (unet_safetensors_get_metadata (st));
  return TRUE;
}

static UnetModel *
model_from_safetensors (UnetSafetensors  *st,
                        const char       *file,
                        GError          **error)
{
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(UnetModelFileInfo) info = { 0 };
  GHashTableIter iter;
  gpointer key, value;

  if (!parse_model_metadata (st, file, &info, error))
    return NULL;
  if ((model = unet_model_new (&info.config, &local_error)) == NULL)
    {
      unet_set_file_error (error, local_error->code, file, "%s", local_error->message);
      return NULL;
    }

  unet_model_set_classes (model, (const char *const *) info.class_names, info.palette);
  unet_model_set_normalization (model, info.mean, info.std);
  unet_model_set_input_scale (model, info.input_scale);
  unet_model_set_max_classes (model, info.max_classes);

  g_hash_table_iter_init (&iter, unet_safetensors_get_metadata (st));
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!is_reserved_key (key))
      unet_model_set_info (model, key, value);

  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);
      const UnetTensorView *view = unet_safetensors_lookup (st, param->name);

      if (view == NULL)
        {
          unet_set_file_error (error, UNET_ERROR_MISMATCH, file,
                               "missing tensor “%s”", param->name);
          return NULL;
        }
      if (!copy_tensor (view, file, param->name, param->ndim, param->shape, param->data, error))
        return NULL;
    }

  /* Strict, like load_state_dict: a tensor we would ignore usually means a different model. */
  for (guint i = 0; i < unet_safetensors_get_n_tensors (st); i++)
    {
      const UnetTensorView *view = unet_safetensors_get_tensor (st, i);

      if (g_str_has_prefix (view->name, OPTIM_PREFIX))
        continue;
      if (unet_model_find_param (model, view->name) == NULL)
        {
          g_autofree char *short_name = unet_shorten (view->name, MAX_VALUE_IN_MESSAGE);

          unet_set_file_error (error, UNET_ERROR_MISMATCH, file,
                               "unexpected tensor “%s”", short_name);
          return NULL;
        }
    }

  return g_steal_pointer (&model);
}

UnetModel *
unet_model_load_bytes (GBytes      *bytes,
                       const char  *name,
                       GError     **error)
{
  g_autoptr(UnetSafetensors) st = NULL;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (name == NULL)
    name = "model data";

  st = unet_safetensors_load_bytes (bytes, name, error);
  if (st == NULL)
    return NULL;
  return model_from_safetensors (st, name, error);
}

UnetModel *
unet_model_load (const char  *path,
                 GError     **error)
{
  g_autoptr(UnetSafetensors) st = NULL;
  g_autofree char *display = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  st = unet_safetensors_load_file (path, error);
  if (st == NULL)
    return NULL;
  display = g_filename_display_name (path);
  return model_from_safetensors (st, display, error);
}

static UnetOptimizer *
optimizer_from_safetensors (UnetSafetensors  *st,
                            const char       *file,
                            UnetModel        *model,
                            GError          **error)
{
  g_autoptr(UnetOptimizer) optimizer = NULL;
  const char *text;
  double momentum, weight_decay;

  text = unet_safetensors_get_metadata_string (st, OPTIM_PREFIX "momentum");
  if (text == NULL)
    {
      unet_set_file_error (error, UNET_ERROR_MISMATCH, file,
                           "not a checkpoint: the metadata has no “" OPTIM_PREFIX "momentum”");
      return NULL;
    }
  if (!parse_number (text, &momentum) || momentum < 0.0)
    {
      unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                           "metadata “" OPTIM_PREFIX "momentum” is not a non-negative number");
      return NULL;
    }
  if ((text = require_metadata (st, file, OPTIM_PREFIX "weight_decay", error)) == NULL)
    return NULL;
  if (!parse_number (text, &weight_decay) || weight_decay < 0.0)
    {
      unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                           "metadata “" OPTIM_PREFIX "weight_decay” is not a non-negative number");
      return NULL;
    }

  optimizer = unet_optimizer_new (model, momentum, weight_decay);

  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      const UnetParam *param = unet_model_get_param (model, i);
      float *velocity = unet_optimizer_get_velocity (optimizer, i);
      g_autofree char *name = NULL;
      const UnetTensorView *view;

      if (velocity == NULL)
        continue;
      name = g_strconcat (OPTIM_PREFIX, param->name, NULL);
      view = unet_safetensors_lookup (st, name);
      if (view == NULL)
        {
          unet_set_file_error (error, UNET_ERROR_MISMATCH, file, "missing tensor “%s”", name);
          return NULL;
        }
      if (!copy_tensor (view, file, name, param->ndim, param->shape, velocity, error))
        return NULL;
    }

  for (guint i = 0; i < unet_safetensors_get_n_tensors (st); i++)
    {
      const UnetTensorView *view = unet_safetensors_get_tensor (st, i);
      const UnetParam *param;

      if (!g_str_has_prefix (view->name, OPTIM_PREFIX))
        continue;
      param = unet_model_find_param (model, view->name + strlen (OPTIM_PREFIX));
      if (param == NULL || param->kind == UNET_PARAM_RUNNING_STAT)
        {
          g_autofree char *short_name = unet_shorten (view->name, MAX_VALUE_IN_MESSAGE);

          unet_set_file_error (error, UNET_ERROR_MISMATCH, file,
                               "unexpected tensor “%s”", short_name);
          return NULL;
        }
    }

  return g_steal_pointer (&optimizer);
}

static UnetModel *
checkpoint_from_safetensors (UnetSafetensors  *st,
                             const char       *display,
                             UnetOptimizer   **optimizer,
                             GHashTable      **state,
                             GError          **error)
{
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(UnetOptimizer) local_optimizer = NULL;

  model = model_from_safetensors (st, display, error);
  if (model == NULL)
    return NULL;

  if (optimizer != NULL)
    {
      local_optimizer = optimizer_from_safetensors (st, display, model, error);
      if (local_optimizer == NULL)
        return NULL;
    }

  if (state != NULL)
    {
      GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, unet_safetensors_get_metadata (st));
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (g_str_has_prefix (key, STATE_PREFIX))
          g_hash_table_insert (table, g_strdup ((const char *) key + strlen (STATE_PREFIX)),
                               g_strdup (value));
      *state = table;
    }

  if (optimizer != NULL)
    *optimizer = g_steal_pointer (&local_optimizer);
  return g_steal_pointer (&model);
}

UnetModel *
unet_checkpoint_load (const char      *path,
                      UnetOptimizer  **optimizer,
                      GHashTable     **state,
                      GError         **error)
{
  g_autoptr(UnetSafetensors) st = NULL;
  g_autofree char *display = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (optimizer != NULL)
    *optimizer = NULL;
  if (state != NULL)
    *state = NULL;

  st = unet_safetensors_load_file (path, error);
  if (st == NULL)
    return NULL;
  display = g_filename_display_name (path);
  return checkpoint_from_safetensors (st, display, optimizer, state, error);
}

UnetModel *
unet_checkpoint_load_bytes (GBytes          *bytes,
                            const char      *name,
                            UnetOptimizer  **optimizer,
                            GHashTable     **state,
                            GError         **error)
{
  g_autoptr(UnetSafetensors) st = NULL;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (optimizer != NULL)
    *optimizer = NULL;
  if (state != NULL)
    *state = NULL;
  if (name == NULL)
    name = "checkpoint data";

  st = unet_safetensors_load_bytes (bytes, name, error);
  if (st == NULL)
    return NULL;
  return checkpoint_from_safetensors (st, name, optimizer, state, error);
}

/* --- peeking ------------------------------------------------------------------------------- */

static gboolean
is_checkpoint (UnetSafetensors *st)
{
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < unet_safetensors_get_n_tensors (st); i++)
    if (g_str_has_prefix (unet_safetensors_get_tensor (st, i)->name, OPTIM_PREFIX))
      return TRUE;

  g_hash_table_iter_init (&iter, unet_safetensors_get_metadata (st));
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_str_has_prefix (key, OPTIM_PREFIX) || g_str_has_prefix (key, STATE_PREFIX))
      return TRUE;
  return FALSE;
}

UnetModelFileInfo *
unet_model_file_peek (const char  *path,
                      GError     **error)
{
  g_autoptr(UnetSafetensors) st = NULL;
  g_autoptr(UnetModelFileInfo) info = NULL;
  g_autofree char *display = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  st = unet_safetensors_load_header (path, error);
  if (st == NULL)
    return NULL;
  display = g_filename_display_name (path);
  info = g_new0 (UnetModelFileInfo, 1);
  if (!parse_model_metadata (st, display, info, error))
    return NULL;
  info->is_checkpoint = is_checkpoint (st);
  return g_steal_pointer (&info);
}

void
unet_model_file_info_free (UnetModelFileInfo *info)
{
  if (info == NULL)
    return;

  model_file_info_clear (info);
  g_free (info);
}
