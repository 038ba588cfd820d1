/* unet-train-options.c — what a training run is made of, and its JSON
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "unet-train-options.h"

void
unet_train_options_init_default (UnetTrainOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->train_split = g_strdup ("train");
  options->val_split = g_strdup ("val");
  unet_config_init_default (&options->model);
  options->input_scale = 1.0;
  options->estimate_bn = TRUE;
  options->tile = 572;
  options->batch = 1;
  options->epochs = 50;
  options->schedule = UNET_SCHEDULE_CONSTANT;
  options->lr = 0.01;
  options->momentum = 0.99;
  options->weight_decay = 5e-4;
  options->augment = TRUE;
  voc_augment_options_init_default (&options->augment_options);
  options->w0 = VOC_WEIGHT_W0;
  options->sigma = VOC_WEIGHT_SIGMA;
  options->seed = 1;
  options->val_every = UNET_VAL_EVERY_AUTO;
}

void
unet_train_options_clear (UnetTrainOptions *options)
{
  g_return_if_fail (options != NULL);

  g_clear_pointer (&options->dataset, g_free);
  g_clear_pointer (&options->train_split, g_free);
  g_clear_pointer (&options->val_split, g_free);
  g_clear_pointer (&options->train_ids, g_strfreev);
  g_clear_pointer (&options->val_ids, g_strfreev);
  g_clear_pointer (&options->init_from, g_free);
  g_clear_pointer (&options->output_dir, g_free);
}

void
unet_train_options_copy (UnetTrainOptions       *dest,
                         const UnetTrainOptions *src)
{
  g_return_if_fail (dest != NULL && src != NULL);

  *dest = *src;
  dest->dataset = g_strdup (src->dataset);
  dest->train_split = g_strdup (src->train_split);
  dest->val_split = g_strdup (src->val_split);
  dest->train_ids = g_strdupv (src->train_ids);
  dest->val_ids = g_strdupv (src->val_ids);
  dest->init_from = g_strdup (src->init_from);
  dest->output_dir = g_strdup (src->output_dir);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_double (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

static void
add_bool (JsonBuilder *builder,
          const char  *name,
          gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

/* Absent when NULL, so runs without explicit ids store what they always did. */
static void
add_strv (JsonBuilder        *builder,
          const char         *name,
          const char * const *values)
{
  if (values == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

static char *
builder_to_string (JsonBuilder *builder,
                   gboolean     pretty)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, pretty);
  return json_generator_to_data (generator, NULL);
}

char *
unet_train_options_to_json (const UnetTrainOptions *o)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *seed = NULL;
  const VocAugmentOptions *a = &o->augment_options;

  json_builder_begin_object (builder);
  add_string (builder, "dataset", o->dataset);
  add_string (builder, "train_split", o->train_split);
  add_string (builder, "val_split", o->val_split);
  add_strv (builder, "train_ids", (const char * const *) o->train_ids);
  add_strv (builder, "val_ids", (const char * const *) o->val_ids);
  add_bool (builder, "skip_bad", o->skip_bad);
  add_int (builder, "depth", o->model.depth);
  add_int (builder, "base", o->model.base);
  add_int (builder, "classes", o->model.classes);
  add_string (builder, "padding", unet_padding_to_string (o->model.padding));
  add_string (builder, "norm", unet_norm_to_string (o->model.norm));
  add_double (builder, "dropout", o->model.dropout);
  add_string (builder, "init_from", o->init_from);
  add_double (builder, "input_scale", o->input_scale);
  add_int (builder, "max_classes", o->max_classes);
  add_bool (builder, "estimate_bn", o->estimate_bn);
  add_int (builder, "tile", o->tile);
  add_int (builder, "batch", o->batch);
  add_int (builder, "epochs", o->epochs);
  add_int (builder, "steps", o->steps);
  add_double (builder, "time_limit", o->time_limit);
  add_string (builder, "schedule", unet_schedule_kind_to_string (o->schedule));
  add_double (builder, "lr", o->lr);
  add_int (builder, "warmup_steps", o->warmup_steps);
  add_double (builder, "momentum", o->momentum);
  add_double (builder, "weight_decay", o->weight_decay);
  add_bool (builder, "augment", o->augment);
  add_double (builder, "scale_min", a->scale_min);
  add_double (builder, "scale_max", a->scale_max);
  add_double (builder, "rotation", a->rotation);
  add_double (builder, "flip_probability", a->flip_probability);
  add_bool (builder, "random_crop", a->random_crop);
  add_double (builder, "elastic_sigma", a->elastic_sigma);
  add_int (builder, "elastic_grid", a->elastic_grid);
  add_double (builder, "brightness", a->brightness);
  add_double (builder, "contrast", a->contrast);
  add_double (builder, "saturation", a->saturation);
  add_double (builder, "copy_paste", a->copy_paste);
  add_double (builder, "paste_balance", o->paste_balance);
  add_bool (builder, "weighted_loss", o->weighted_loss);
  add_double (builder, "w0", o->w0);
  add_double (builder, "sigma", o->sigma);
  /* as a string: JSON numbers lose 64-bit seeds */
  seed = g_strdup_printf ("%" G_GUINT64_FORMAT, o->seed);
  add_string (builder, "seed", seed);
  add_int (builder, "threads", o->threads);
  add_string (builder, "output_dir", o->output_dir);
  add_int (builder, "checkpoint_every", o->checkpoint_every);
  add_int (builder, "val_every", o->val_every);
  json_builder_end_object (builder);

  return builder_to_string (builder, TRUE);
}

/* Reading back: every member is optional (defaults fill in), but a member of the wrong type is
 * an error naming it, so a hand-edited or damaged checkpoint never half-loads. */
typedef struct
{
  JsonObject  *object;
  GError     **error;
  gboolean     failed;
} OptionReader;

static JsonNode *
reader_member (OptionReader *r,
               const char   *name,
               JsonNodeType  type,
               GType         value_type)
{
  JsonNode *node;

  if (r->failed || !json_object_has_member (r->object, name))
    return NULL;
  node = json_object_get_member (r->object, name);
  if (JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (json_node_get_node_type (node) != type ||
      (value_type != G_TYPE_INVALID && json_node_get_value_type (node) != value_type &&
       !(value_type == G_TYPE_DOUBLE && json_node_get_value_type (node) == G_TYPE_INT64)))
    {
      g_set_error (r->error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   "Training options: “%s” has the wrong type", name);
      r->failed = TRUE;
      return NULL;
    }
  return node;
}

static void
read_string (OptionReader  *r,
             const char    *name,
             char         **value)
{
  JsonNode *node;

  /* an explicit null means "none" (no validation split, no initial model) */
  if (!r->failed && json_object_has_member (r->object, name) &&
      JSON_NODE_HOLDS_NULL (json_object_get_member (r->object, name)))
    {
      g_clear_pointer (value, g_free);
      return;
    }

  node = reader_member (r, name, JSON_NODE_VALUE, G_TYPE_STRING);
  if (node)
    {
      g_free (*value);
      *value = g_strdup (json_node_get_string (node));
    }
}

static void
read_strv (OptionReader   *r,
           const char     *name,
           char         ***value)
{
  JsonNode *node;
  JsonArray *array;
  g_autoptr(GStrvBuilder) builder = NULL;

  if (r->failed || !json_object_has_member (r->object, name))
    return;
  node = json_object_get_member (r->object, name);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (r->error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   "Training options: “%s” is not a list", name);
      r->failed = TRUE;
      return;
    }
  array = json_node_get_array (node);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) ||
          json_node_get_value_type (element) != G_TYPE_STRING)
        {
          g_set_error (r->error, UNET_ERROR, UNET_ERROR_CORRUPT,
                       "Training options: “%s” holds something other than ids", name);
          r->failed = TRUE;
          return;
        }
      g_strv_builder_add (builder, json_node_get_string (element));
    }
  g_strfreev (*value);
  *value = g_strv_builder_end (builder);
}

static void
read_int (OptionReader *r,
          const char   *name,
          gint64       *value)
{
  JsonNode *node = reader_member (r, name, JSON_NODE_VALUE, G_TYPE_INT64);

  if (node)
    *value = json_node_get_int (node);
}

static void
read_int32 (OptionReader *r,
            const char   *name,
            int          *value)
{
  gint64 v = *value;

  read_int (r, name, &v);
  if (!r->failed && (v < G_MININT || v > G_MAXINT))
    {
      g_set_error (r->error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   "Training options: “%s” is out of range", name);
      r->failed = TRUE;
      return;
    }
  *value = (int) v;
}

static void
read_double (OptionReader *r,
             const char   *name,
             double       *value)
{
  JsonNode *node = reader_member (r, name, JSON_NODE_VALUE, G_TYPE_DOUBLE);

  if (node)
    *value = json_node_get_double (node);
}

static void
read_bool (OptionReader *r,
           const char   *name,
           gboolean     *value)
{
  JsonNode *node = reader_member (r, name, JSON_NODE_VALUE, G_TYPE_BOOLEAN);

  if (node)
    *value = json_node_get_boolean (node);
}

gboolean
unet_train_options_from_json (UnetTrainOptions  *o,
                              const char        *json,
                              GError           **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *padding = NULL, *norm = NULL, *schedule = NULL, *seed = NULL;
  VocAugmentOptions *a = &o->augment_options;
  OptionReader r = { NULL, error, FALSE };
  double dropout = o->model.dropout;
  JsonNode *root;

  g_return_val_if_fail (o != NULL && json != NULL, FALSE);

  if (!json_parser_load_from_data (parser, json, -1, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT, "Training options are not a JSON object");
      return FALSE;
    }
  r.object = json_node_get_object (root);

  read_string (&r, "dataset", &o->dataset);
  read_string (&r, "train_split", &o->train_split);
  read_string (&r, "val_split", &o->val_split);
  read_strv (&r, "train_ids", &o->train_ids);
  read_strv (&r, "val_ids", &o->val_ids);
  read_bool (&r, "skip_bad", &o->skip_bad);
  read_int32 (&r, "depth", &o->model.depth);
  read_int32 (&r, "base", &o->model.base);
  read_int32 (&r, "classes", &o->model.classes);
  read_string (&r, "padding", &padding);
  read_string (&r, "norm", &norm);
  read_double (&r, "dropout", &dropout);
  read_string (&r, "init_from", &o->init_from);
  /* absent from runs started before it existed: they keep the 1 they were given */
  read_double (&r, "input_scale", &o->input_scale);
  read_int32 (&r, "max_classes", &o->max_classes);
  read_bool (&r, "estimate_bn", &o->estimate_bn);
  read_int32 (&r, "tile", &o->tile);
  read_int32 (&r, "batch", &o->batch);
  read_int (&r, "epochs", &o->epochs);
  read_int (&r, "steps", &o->steps);
  read_double (&r, "time_limit", &o->time_limit);
  read_string (&r, "schedule", &schedule);
  read_double (&r, "lr", &o->lr);
  read_int (&r, "warmup_steps", &o->warmup_steps);
  read_double (&r, "momentum", &o->momentum);
  read_double (&r, "weight_decay", &o->weight_decay);
  read_bool (&r, "augment", &o->augment);
  read_double (&r, "scale_min", &a->scale_min);
  read_double (&r, "scale_max", &a->scale_max);
  read_double (&r, "rotation", &a->rotation);
  read_double (&r, "flip_probability", &a->flip_probability);
  read_bool (&r, "random_crop", &a->random_crop);
  read_double (&r, "elastic_sigma", &a->elastic_sigma);
  read_int32 (&r, "elastic_grid", &a->elastic_grid);
  read_double (&r, "brightness", &a->brightness);
  read_double (&r, "contrast", &a->contrast);
  read_double (&r, "saturation", &a->saturation);
  read_double (&r, "copy_paste", &a->copy_paste);
  read_double (&r, "paste_balance", &o->paste_balance);
  read_bool (&r, "weighted_loss", &o->weighted_loss);
  read_double (&r, "w0", &o->w0);
  read_double (&r, "sigma", &o->sigma);
  read_string (&r, "seed", &seed);
  read_int32 (&r, "threads", &o->threads);
  read_string (&r, "output_dir", &o->output_dir);
  read_int (&r, "checkpoint_every", &o->checkpoint_every);
  read_int32 (&r, "val_every", &o->val_every);
  if (r.failed)
    return FALSE;

  o->model.dropout = (float) dropout;
  if ((padding && !unet_padding_from_string (padding, &o->model.padding, error)) ||
      (norm && !unet_norm_from_string (norm, &o->model.norm, error)) ||
      (schedule && !unet_schedule_kind_from_string (schedule, &o->schedule, error)))
    return FALSE;
  if (seed && !g_ascii_string_to_unsigned (seed, 10, 0, G_MAXUINT64, &o->seed, error))
    return FALSE;

  return TRUE;
}

/* --- construction ---------------------------------------------------------------------------- */

gboolean
unet_train_options_check (const UnetTrainOptions  *o,
                          GError                 **error)
{
  if (o->dataset == NULL || *o->dataset == '\0')
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT, "No dataset given");
      return FALSE;
    }
  if (o->output_dir == NULL || *o->output_dir == '\0')
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT, "No output folder given");
      return FALSE;
    }
  if (o->train_split == NULL || *o->train_split == '\0')
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT, "No training split given");
      return FALSE;
    }
  if (o->batch < 1 || o->batch > 1024)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Batch size %d is out of range: it must be 1 to 1024", o->batch);
      return FALSE;
    }
  if (o->tile < 1 || o->tile > 8192)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Tile %d is out of range: it must be 1 to 8192 pixels", o->tile);
      return FALSE;
    }
  if (!(o->time_limit >= 0.0 && o->time_limit <= 1e9))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Time limit %g s is out of range", o->time_limit);
      return FALSE;
    }
  if (o->steps < 0 || o->epochs < 0 || (o->steps == 0 && o->epochs == 0 && o->time_limit == 0.0))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "The run needs a positive number of steps or epochs, or a time limit");
      return FALSE;
    }
  if (!(o->lr > 0.0 && o->lr < 100.0))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Learning rate %g is out of range", o->lr);
      return FALSE;
    }
  if (!(o->augment_options.copy_paste >= 0.0 && o->augment_options.copy_paste <= 1.0))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Copy-paste probability %g is out of range: it must be 0 to 1",
                   o->augment_options.copy_paste);
      return FALSE;
    }
  if (!(o->paste_balance >= 0.0 && o->paste_balance <= 1.0))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Copy-paste balance %g is out of range: it must be 0 to 1",
                   o->paste_balance);
      return FALSE;
    }
  /* (like copy-paste itself, it is switched off with the rest of augmentation, not refused) */
  if (o->paste_balance > 0.0 && !(o->augment_options.copy_paste > 0.0))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Copy-paste balance %g does nothing without copy-paste (a probability above 0)",
                   o->paste_balance);
      return FALSE;
    }
  if (!(o->momentum >= 0.0 && o->momentum < 1.0))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Momentum %g is out of range: it must be at least 0 and below 1", o->momentum);
      return FALSE;
    }
  if (!(o->weight_decay >= 0.0 && o->weight_decay < 1.0))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Weight decay %g is out of range", o->weight_decay);
      return FALSE;
    }
  if (!(o->input_scale > 0.0 && o->input_scale <= UNET_MAX_INPUT_SCALE))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Input scale %g is out of range: it must be above 0 and at most %g",
                   o->input_scale, UNET_MAX_INPUT_SCALE);
      return FALSE;
    }
  if (o->max_classes < 0)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Foreground classes per image %d is out of range: it must be 0 (no limit) to %d",
                   o->max_classes, o->model.classes - 1);
      return FALSE;
    }
  if (o->val_every < 0)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Validation interval %d is out of range: it must be at least 1 epoch (or "
                   "0, automatic)", o->val_every);
      return FALSE;
    }
  if (o->warmup_steps < 0 || o->checkpoint_every < 0 || o->threads < 0)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Warm-up, checkpoint interval and threads cannot be negative");
      return FALSE;
    }
  return unet_config_validate (&o->model, error);
}
