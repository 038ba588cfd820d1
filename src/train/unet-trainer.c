/* unet-trainer.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "unet-trainer.h"

/* Decoded samples are kept in memory up to this many bytes; beyond it they are decoded again
 * each time they are drawn. The 20 VOC images of a small run take about 50 MB. */
#define SAMPLE_CACHE_BUDGET ((gsize) 2 << 30)

/* total_steps of a run that lasts as long as its time limit: never reached, and far from
 * overflowing the arithmetic on it */
#define UNBOUNDED_STEPS ((gint64) G_MAXINT32)

#define CHECKPOINT_NAME "last.safetensors"
#define BEST_MODEL_NAME "best.safetensors"
#define LOG_CSV_NAME "log.csv"
#define LOG_JSONL_NAME "log.jsonl"
#define LOG_CSV_HEADER "step,epoch,loss,lr,images_per_s,val_loss,val_miou,val_pixel_accuracy,val_mean_class_accuracy\n"

struct _UnetTrainer
{
  UnetTrainOptions    options;

  VocDataset         *dataset;
  GPtrArray          *train_ids;
  GPtrArray          *val_ids;
  VocSample         **cache;          /* train_ids->len entries, NULL = not cached */
  gsize               cache_bytes;
  VocWeightMap        weight_map;
  double             *class_weights;

  UnetModel          *model;
  UnetOptimizer      *optimizer;
  UnetSchedule        schedule;

  int                 in_size, out_size;
  gint64              step;
  gint64              total_steps;    /* UNBOUNDED_STEPS: until the time limit */
  gint64              steps_per_epoch;
  double              trained_seconds; /* before this process took the run over */
  gint64              session_start;  /* monotonic µs this process's part of the run began */
  gint64              val_interval;   /* steps between validations (options.val_every epochs) */
  double              best_miou;

  float              *batch_input;
  guint8             *batch_labels;
  float              *batch_weights;
  /* one tile of another sample, for copy-paste augmentation */
  float              *paste_input;
  guint8             *paste_labels;
  float              *paste_weights;
  double             *paste_cumulative; /* running sums of the sources' repeat factors, or
                                         * NULL to draw them alike */
  GArray             *bn_tiles;       /* the tiles estimate_bn_statistics takes: 2 × sample
                                       * + mirrored, for every sample that loads; listed once */
  guint32            *order;          /* this epoch's sample order */
  gint64              order_epoch;

  FILE               *log_csv;
  FILE               *log_jsonl;
  double              last_loss;
  double              step_seconds;   /* smoothed, from one step's end to the next */
  double              images_per_s;   /* batch / step_seconds */
  gint64              last_step_time; /* monotonic µs of the last step's end in this process */

  UnetTrainEventFunc  event_func;
  gpointer            event_data;
  volatile gint       stop_requested;

  /* A distributed run; without one this process is rank 0 of 1 and holds the whole batch. */
  UnetDistributed    *dist;
  int                 rank, n_ranks;
  int                 batch_first;    /* this rank's images of each batch: */
  int                 batch_local;    /*   [batch_first, batch_first + batch_local) */
  gboolean            stop_agreed;    /* some rank asked to stop, and every rank knows */
};

/* --- options ------------------------------------------------------------------------------- */

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

static gboolean
check_options (const UnetTrainOptions  *o,
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

/* A seed for draw `index` of step `step`: every random number of a step is a function of the run
 * seed and the step, so a resumed run draws exactly what an uninterrupted one would. */
static guint64
step_seed (guint64 seed,
           gint64  step,
           guint64 index)
{
  UnetRng rng;

  unet_rng_seed (&rng, seed ^ ((guint64) step * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15))
                        ^ (index * G_GUINT64_CONSTANT (0xc2b2ae3d27d4eb4f)));
  return unet_rng_next (&rng);
}

/* FNV-1a over the parameters' bits: the ranks compare it before rank 0 saves for them. */
static guint64
checksum_weights (UnetTrainer *self)
{
  size_t n;
  const float *w = unet_model_get_param_block (self->model, &n);
  guint64 hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (size_t i = 0; i < n; i++)
    {
      guint32 bits;

      memcpy (&bits, &w[i], sizeof bits);
      hash = (hash ^ bits) * G_GUINT64_CONSTANT (0x100000001b3);
    }
  return hash;
}

/* In a distributed run, a point every rank reaches: when one has failed (local_error set there),
 * all return FALSE with its error. Alone, local_error is simply the result. */
static gboolean
agree (UnetTrainer  *self,
       const char   *what,
       GError      **local_error,
       GError      **error)
{
  if (self->dist == NULL)
    {
      if (*local_error == NULL)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (local_error));
      return FALSE;
    }
  if (!unet_distributed_agree (self->dist, what, *local_error, NULL, 0, NULL, error))
    return FALSE;
  return TRUE;
}

static gboolean
setup_sizes (UnetTrainer  *self,
             GError      **error)
{
  const UnetConfig *config = unet_model_get_config (self->model);
  int in = unet_config_round_input_size (config, self->options.tile);

  if (in < 0 || !unet_config_output_size (config, in, &self->out_size, error))
    {
      if (error && *error == NULL)
        g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                     "No tile of at least %d pixels fits this model", self->options.tile);
      return FALSE;
    }
  self->in_size = in;
  return TRUE;
}

/* "3 classes (background, cell, border)", with the first few names of a class list. */
static char *
describe_classes (int                n,
                  const char *const *names)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "%d classes", n);
  if (names != NULL)
    {
      for (int i = 0; i < n && i < 4; i++)
        g_string_append_printf (text, "%s%s", i ? ", " : " (", names[i]);
      g_string_append (text, n > 4 ? ", …)" : ")");
    }
  return g_string_free (text, FALSE);
}

/* The classes of the model (a run's, or an --init model's) against the dataset's. */
static gboolean
check_classes (UnetTrainer       *self,
               const char        *what,
               int                n,
               const char *const *names,
               const char        *advice,
               GError           **error)
{
  int dataset_n = voc_dataset_get_n_classes (self->dataset);
  g_autofree char *ours = NULL, *theirs = NULL;

  if (n == dataset_n)
    return TRUE;
  ours = describe_classes (n, names);
  theirs = describe_classes (dataset_n, voc_dataset_get_class_names (self->dataset));
  g_set_error (error, UNET_ERROR, UNET_ERROR_MISMATCH, "%s has %s but the dataset %s has %s; %s",
               what, ours, self->options.dataset, theirs, advice);
  return FALSE;
}

/* Opens the dataset. A new run (adopt_classes) takes its classes from it (an --init model is
 * checked against them once loaded); a resumed run's must be the dataset's. */
static gboolean
open_data (UnetTrainer  *self,
           gboolean      adopt_classes,
           GError      **error)
{
  UnetTrainOptions *o = &self->options;
  g_autoptr(GPtrArray) missing = NULL;

  self->dataset = voc_dataset_open (o->dataset, error);
  if (self->dataset == NULL)
    return FALSE;
  if (adopt_classes)
    o->model.classes = voc_dataset_get_n_classes (self->dataset);
  else if (!check_classes (self, "The run", o->model.classes, NULL,
                           "its classes.txt has changed since the run started: restore it, or "
                           "start a new run", error))
    return FALSE;
  if (o->model.classes < 2)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "The dataset %s has only one class, %s: a model needs two at least (add "
                   "the background, or whatever the rest of the image is, to classes.txt)",
                   o->dataset, voc_dataset_get_class_names (self->dataset)[0]);
      return FALSE;
    }
  if (o->max_classes >= o->model.classes)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Foreground classes per image %d is out of range: it must be 0 (no limit) to %d",
                   o->max_classes, o->model.classes - 1);
      return FALSE;
    }

  self->train_ids = voc_dataset_get_split (self->dataset, o->train_split, o->skip_bad, &missing, error);
  if (self->train_ids == NULL)
    return FALSE;
  /* every rank finds the same; rank 0 says it */
  if (missing && missing->len > 0 && self->rank == 0)
    g_warning ("%s: skipping %u of the %u ids of split “%s” whose files are missing",
               o->dataset, missing->len, missing->len + self->train_ids->len, o->train_split);
  g_clear_pointer (&missing, g_ptr_array_unref);

  if (o->val_split != NULL && *o->val_split != '\0')
    {
      self->val_ids = voc_dataset_get_split (self->dataset, o->val_split, o->skip_bad, &missing, error);
      if (self->val_ids == NULL)
        return FALSE;
      if (missing && missing->len > 0 && self->rank == 0)
        g_warning ("%s: skipping %u of the %u ids of split “%s” whose files are missing",
                   o->dataset, missing->len, missing->len + self->val_ids->len, o->val_split);
    }

  self->cache = g_new0 (VocSample *, self->train_ids->len);

  voc_weight_map_init_default (&self->weight_map, o->model.classes);
  self->weight_map.w0 = o->w0;
  self->weight_map.sigma = o->sigma;
  if (o->weighted_loss)
    {
      g_autofree guint64 *pixels = g_new0 (guint64, o->model.classes);
      g_autofree guint64 *image_pixels = g_new0 (guint64, o->model.classes);

      self->class_weights = g_new0 (double, o->model.classes);
      if (!voc_dataset_count_classes (self->dataset, self->train_ids, pixels, image_pixels, error))
        return FALSE;
      voc_class_weights_median_frequency (pixels, image_pixels, o->model.classes, self->class_weights);
      self->weight_map.class_weights = self->class_weights;
    }
  return TRUE;
}

static void
compute_lengths (UnetTrainer *self)
{
  const UnetTrainOptions *o = &self->options;

  self->steps_per_epoch = MAX (((gint64) self->train_ids->len + o->batch - 1) / o->batch, 1);
  self->total_steps = o->steps > 0 ? o->steps
                     : o->epochs > 0 ? o->epochs * self->steps_per_epoch
                     : UNBOUNDED_STEPS;
  /* Automatic: whole epochs, at least UNET_VAL_MIN_STEPS steps apart. On a small dataset an
   * epoch is a few steps, and validating (with the batch-norm estimate before it) after each
   * took more time than the training itself. */
  if (o->val_every > 0)
    self->val_interval = self->steps_per_epoch * o->val_every;
  else
    self->val_interval = self->steps_per_epoch *
                         MAX ((UNET_VAL_MIN_STEPS + self->steps_per_epoch - 1) /
                              self->steps_per_epoch, 1);
  unet_schedule_init (&self->schedule, o->schedule, o->lr,
                      self->total_steps == UNBOUNDED_STEPS ? 0 : self->total_steps);
  self->schedule.warmup_steps = o->warmup_steps;
  /* a resumed run whose time is up has nothing left to do */
  if (o->time_limit > 0.0 && self->trained_seconds >= o->time_limit)
    self->total_steps = MIN (self->total_steps, self->step);
}

/* Copy-paste sources drawn by repeat factor: each training sample's classes, from the class
 * masks alone, give its factor. A sample whose mask cannot be read is never drawn (with
 * skip_bad; otherwise that is the error). */
static gboolean
weigh_paste_sources (UnetTrainer  *self,
                     GError      **error)
{
  const UnetTrainOptions *o = &self->options;
  guint n = self->train_ids->len;
  int K = o->model.classes;
  g_autofree guint8 *present = g_new0 (guint8, (size_t) n * K);
  g_autofree gboolean *usable = g_new (gboolean, n);
  g_autofree double *factors = g_new (double, n);
  double sum = 0.0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(VocSample) sample = NULL;
      size_t plane;

      sample = voc_dataset_load_sample (self->dataset, g_ptr_array_index (self->train_ids, i),
                                        VOC_LOAD_LABELS, &local_error);
      usable[i] = sample != NULL;
      if (sample == NULL)
        {
          if (!o->skip_bad)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          continue;
        }
      plane = (size_t) sample->width * sample->height;
      for (size_t p = 0; p < plane; p++)
        if (sample->labels[p] < K)
          present[(size_t) i * K + sample->labels[p]] = 1;
    }

  voc_repeat_factors (present, usable, n, K, o->paste_balance, factors);
  self->paste_cumulative = g_new (double, n);
  for (guint i = 0; i < n; i++)
    {
      sum += factors[i];
      self->paste_cumulative[i] = sum;
    }
  if (!(sum > 0.0))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_IO, "No usable training sample in %s",
                   o->dataset);
      return FALSE;
    }
  return TRUE;
}

static gboolean
allocate_batch (UnetTrainer  *self,
                GError      **error)
{
  const UnetTrainOptions *o = &self->options;
  size_t in_plane = (size_t) self->in_size * self->in_size;
  size_t out_plane = (size_t) self->out_size * self->out_size;

  if (!unet_model_prepare (self->model, self->batch_local, self->in_size, self->in_size, TRUE,
                           error))
    return FALSE;
  self->batch_input = g_try_new (float, (size_t) self->batch_local * 3 * in_plane);
  self->batch_labels = g_try_new (guint8, (size_t) self->batch_local * out_plane);
  self->batch_weights = o->weighted_loss
                        ? g_try_new (float, (size_t) self->batch_local * out_plane) : NULL;
  if (o->augment && o->augment_options.copy_paste > 0.0)
    {
      self->paste_input = g_try_new (float, 3 * in_plane);
      self->paste_labels = g_try_new (guint8, out_plane);
      self->paste_weights = o->weighted_loss ? g_try_new (float, out_plane) : NULL;
      if (self->paste_input == NULL || self->paste_labels == NULL ||
          (o->weighted_loss && self->paste_weights == NULL))
        {
          g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY, "Not enough memory for a batch");
          return FALSE;
        }
      if (o->paste_balance > 0.0 && !weigh_paste_sources (self, error))
        return FALSE;
    }
  self->order = g_new (guint32, self->train_ids->len);
  self->order_epoch = -1;
  if (self->batch_input == NULL || self->batch_labels == NULL ||
      (o->weighted_loss && self->batch_weights == NULL))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY, "Not enough memory for a batch");
      return FALSE;
    }
  return TRUE;
}

static char *
output_path (UnetTrainer *self,
             const char  *name)
{
  return g_build_filename (self->options.output_dir, name, NULL);
}

/* Opens the logs for appending; a resumed run first drops the lines written after its
 * checkpoint (and a line torn by a crash), so its logs read as if it had never stopped. */
static gboolean
open_logs (UnetTrainer  *self,
           gboolean      resuming,
           GError      **error)
{
  const char *names[2] = { LOG_CSV_NAME, LOG_JSONL_NAME };
  FILE **files[2] = { &self->log_csv, &self->log_jsonl };

  for (int i = 0; i < 2; i++)
    {
      g_autofree char *path = output_path (self, names[i]);
      g_autoptr(GString) kept = g_string_new (i == 0 ? LOG_CSV_HEADER : "");
      g_autofree char *contents = NULL;

      if (resuming && g_file_get_contents (path, &contents, NULL, NULL))
        {
          g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
          guint n = g_strv_length (lines);

          /* the last element follows the last newline: empty, or a torn line */
          for (guint j = 0; j + 1 < n; j++)
            {
              gint64 step = -1;

              if (i == 0)
                {
                  if (j == 0)
                    continue;
                  step = g_ascii_strtoll (lines[j], NULL, 10);
                }
              else
                {
                  const char *at = strstr (lines[j], "\"step\":");
                  if (at)
                    step = g_ascii_strtoll (at + 7, NULL, 10);
                }
              if (step >= 1 && step <= self->step)
                {
                  g_string_append (kept, lines[j]);
                  g_string_append_c (kept, '\n');
                }
            }
        }

      if ((resuming || i == 0) && !g_file_set_contents (path, kept->str, kept->len, error))
        return FALSE;
      if (!resuming && i == 1 && !g_file_set_contents (path, "", 0, error))
        return FALSE;

      *files[i] = g_fopen (path, "a");
      if (*files[i] == NULL)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "%s: cannot open for writing: %s", path, g_strerror (saved));
          return FALSE;
        }
    }
  return TRUE;
}

/* The atomic writers (ours and g_file_set_contents) write "NAME.XXXXXX" beside NAME and rename
 * it; a run killed in between leaves that file behind. No other process writes into a run's
 * folder while it trains, so the leftovers of the files the run owns can go. */
static void
remove_stale_temporaries (const char *dir)
{
  static const char *const names[] = {
    CHECKPOINT_NAME, BEST_MODEL_NAME, LOG_CSV_NAME, LOG_JSONL_NAME,
  };
  g_autoptr(GDir) folder = g_dir_open (dir, 0, NULL);
  const char *entry;

  while (folder != NULL && (entry = g_dir_read_name (folder)) != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        gsize length = strlen (names[i]);
        gboolean template = strlen (entry) == length + 7 &&
                            strncmp (entry, names[i], length) == 0 && entry[length] == '.';

        for (gsize j = length + 1; template && j < length + 7; j++)
          template = g_ascii_isalnum (entry[j]);
        if (template)
          {
            g_autofree char *path = g_build_filename (dir, entry, NULL);

            g_unlink (path);
            break;
          }
      }
}

static gboolean
create_output_dir (const char  *dir,
                   GError     **error)
{
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: cannot create the output folder: %s", dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* Which images of each batch this rank holds, and the threads it may use. */
static gboolean
setup_ranks (UnetTrainer      *self,
             UnetDistributed  *dist,
             GError          **error)
{
  int batch = self->options.batch;

  self->dist = dist;
  self->rank = dist ? unet_distributed_get_rank (dist) : 0;
  self->n_ranks = dist ? unet_distributed_get_size (dist) : 1;
  if (self->n_ranks > batch)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "A batch of %d image%s cannot be split over %d ranks: every rank needs at "
                   "least one", batch, batch == 1 ? "" : "s", self->n_ranks);
      return FALSE;
    }
  /* as even as it goes; a batch that does not divide gives some ranks one image more */
  self->batch_first = (int) ((gint64) self->rank * batch / self->n_ranks);
  self->batch_local = (int) ((gint64) (self->rank + 1) * batch / self->n_ranks) - self->batch_first;
  unet_trainer_set_threads (self, self->options.threads);
  return TRUE;
}

/* The bytes of a file rank 0 has just loaded, for the ranks on machines that may not have it. */
static GBytes *
read_again (const char  *path,
            GError     **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&contents), length);
}

/* Every rank starts from rank 0's weights: seeded initialisation gives the same on every
 * machine, but a different libm could round a normal draw differently. */
static void
attach_distributed (UnetTrainer *self)
{
  size_t n;
  float *weights;

  if (self->dist == NULL)
    return;
  weights = unet_model_get_param_block (self->model, &n);
  unet_distributed_broadcast_floats (self->dist, weights, n);
  unet_distributed_attach_model (self->dist, self->model);
}

UnetTrainer *
unet_trainer_new (const UnetTrainOptions  *options,
                  GError                 **error)
{
  return unet_trainer_new_distributed (options, NULL, error);
}

UnetTrainer *
unet_trainer_new_distributed (const UnetTrainOptions  *options,
                              UnetDistributed         *dist,
                              GError                 **error)
{
  g_autoptr(UnetTrainer) self = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) init_bytes = NULL;

  g_return_val_if_fail (options != NULL, NULL);

  if (!check_options (options, error))
    return NULL;

  self = g_new0 (UnetTrainer, 1);
  unet_train_options_copy (&self->options, options);
  if (!setup_ranks (self, dist, error))
    return NULL;

  /* Everything a rank can fail at before the ranks exchange anything, then one agreement:
   * the others must not wait for a rank that gave up. */
  if (self->rank == 0)
    {
      g_autofree char *checkpoint = output_path (self, CHECKPOINT_NAME);

      if (g_file_test (checkpoint, G_FILE_TEST_EXISTS))
        g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                     "%s already holds a run (%s); continue it with --resume or choose another "
                     "folder", options->output_dir, CHECKPOINT_NAME);
    }
  if (local_error == NULL)
    open_data (self, TRUE, &local_error);
  /* rank 0 loads the model as a single process would (the same checks, the same messages) */
  if (local_error == NULL && options->init_from != NULL && self->rank == 0)
    {
      self->model = unet_model_load (options->init_from, &local_error);
      if (self->model != NULL && dist != NULL)
        init_bytes = read_again (options->init_from, &local_error);
    }
  if (!agree (self, "the start", &local_error, error))
    return NULL;

  if (options->init_from != NULL)
    {
      if (self->rank != 0)
        {
          g_autoptr(GBytes) bytes = unet_distributed_broadcast_bytes (dist, NULL);
          g_autofree char *name = g_filename_display_name (options->init_from);

          self->model = unet_model_load_bytes (bytes, name, &local_error);
        }
      else if (dist != NULL)
        {
          g_bytes_unref (unet_distributed_broadcast_bytes (dist, init_bytes));
        }
      if (self->model != NULL)
        {
          const UnetConfig *config = unet_model_get_config (self->model);
          g_autofree char *what = g_strdup_printf ("The model %s", options->init_from);

          if (!check_classes (self, what, config->classes, unet_model_get_class_names (self->model),
                              "--init takes a model trained on the same classes: train a new "
                              "model without --init, or make classes.txt list the model's "
                              "classes", &local_error))
            g_clear_pointer (&self->model, unet_model_free);
        }
      if (self->model != NULL)
        {
          /* the architecture comes from the file; keep the options telling the truth */
          self->options.model = *unet_model_get_config (self->model);
          if (unet_model_get_input_scale (self->model) != options->input_scale && self->rank == 0)
            g_message ("%s was trained at input scale %g; this run uses %g (--input-scale)",
                       options->init_from, unet_model_get_input_scale (self->model),
                       options->input_scale);
        }
    }
  else
    {
      /* self->options has the dataset's classes */
      self->model = unet_model_new (&self->options.model, &local_error);
      if (self->model != NULL)
        {
          unet_model_init_weights (self->model, options->seed);
          unet_model_set_classes (self->model, voc_dataset_get_class_names (self->dataset),
                                  voc_dataset_get_palette (self->dataset));
        }
    }
  if (self->model != NULL)
    {
      /* the run's scale wins over an --init model's: validation and every saved model use it */
      unet_model_set_input_scale (self->model, options->input_scale);
      unet_model_set_max_classes (self->model, options->max_classes);
      self->optimizer = unet_optimizer_new (self->model, options->momentum, options->weight_decay);
      self->best_miou = -1.0;

      compute_lengths (self);
      if (setup_sizes (self, &local_error) &&
          (self->rank != 0 || create_output_dir (options->output_dir, &local_error)) &&
          allocate_batch (self, &local_error) &&
          self->rank == 0)
        {
          remove_stale_temporaries (options->output_dir);
          open_logs (self, FALSE, &local_error);
        }
    }
  if (!agree (self, "the start", &local_error, error))
    return NULL;

  attach_distributed (self);
  /* a time limit counts from here, the set-up done: the first epoch's decoding is part of it */
  self->session_start = g_get_monotonic_time ();
  return g_steal_pointer (&self);
}

UnetTrainer *
unet_trainer_resume (const char  *dir,
                     gint64       steps,
                     gint64       epochs,
                     GError     **error)
{
  return unet_trainer_resume_distributed (dir, steps, epochs, NULL, error);
}

/* Takes over the run stored in a checkpoint: its options, step and best mIoU. */
static gboolean
restore_state (UnetTrainer  *self,
               GHashTable   *state,
               const char   *path,
               const char   *dir,
               gint64        steps,
               gint64        epochs,
               GError      **error)
{
  const char *value;

  value = g_hash_table_lookup (state, "options");
  if (value == NULL)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   "%s: not a training checkpoint (no stored options)", path);
      return FALSE;
    }
  if (!unet_train_options_from_json (&self->options, value, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  /* the folder may have moved since */
  g_free (self->options.output_dir);
  self->options.output_dir = g_strdup (dir);
  if (steps > 0)
    {
      self->options.steps = steps;
    }
  else if (epochs > 0)
    {
      self->options.epochs = epochs;
      self->options.steps = 0;
    }
  self->options.model = *unet_model_get_config (self->model);
  if (!check_options (&self->options, error))
    return FALSE;
  /* the stored option rules, as for the rest of the run */
  unet_model_set_input_scale (self->model, self->options.input_scale);
  unet_model_set_max_classes (self->model, self->options.max_classes);

  value = g_hash_table_lookup (state, "step");
  if (value == NULL || !g_ascii_string_to_signed (value, 10, 0, G_MAXINT64, &self->step, NULL))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT, "%s: missing or bad “step”", path);
      return FALSE;
    }
  value = g_hash_table_lookup (state, "best_miou");
  self->best_miou = value ? g_ascii_strtod (value, NULL) : -1.0;
  /* checkpoints before time limits have none */
  value = g_hash_table_lookup (state, "seconds");
  self->trained_seconds = value ? g_ascii_strtod (value, NULL) : 0.0;
  if (!(self->trained_seconds >= 0.0 && self->trained_seconds <= 1e12))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT, "%s: bad “seconds”", path);
      return FALSE;
    }
  return TRUE;
}

UnetTrainer *
unet_trainer_resume_distributed (const char       *dir,
                                 gint64            steps,
                                 gint64            epochs,
                                 UnetDistributed  *dist,
                                 GError          **error)
{
  g_autoptr(UnetTrainer) self = NULL;
  g_autoptr(GHashTable) state = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (dir != NULL, NULL);

  self = g_new0 (UnetTrainer, 1);
  unet_train_options_init_default (&self->options);
  path = g_build_filename (dir, CHECKPOINT_NAME, NULL);
  /* only rank 0's machine need hold the run's folder: rank 0 loads the checkpoint, as a
   * single process would, and sends its bytes to the others */
  self->rank = dist ? unet_distributed_get_rank (dist) : 0;
  if (self->rank == 0)
    self->model = unet_checkpoint_load (path, &self->optimizer, &state, &local_error);
  if (dist != NULL)
    {
      g_autoptr(GBytes) bytes = NULL, shared = NULL;

      if (self->rank == 0 && self->model != NULL)
        bytes = read_again (path, &local_error);
      if (!unet_distributed_agree (dist, "rank 0's reading of the checkpoint", local_error, NULL,
                                   0, NULL, error))
        return NULL;
      shared = unet_distributed_broadcast_bytes (dist, bytes);
      if (self->rank != 0)
        {
          g_autofree char *name = g_filename_display_name (path);

          self->model = unet_checkpoint_load_bytes (shared, name, &self->optimizer, &state,
                                                    &local_error);
        }
    }

  if (self->model != NULL &&
      restore_state (self, state, path, dir, steps, epochs, &local_error) &&
      (dist == NULL || (unet_distributed_set_step (dist, self->step), TRUE)) &&
      setup_ranks (self, dist, &local_error) &&
      open_data (self, FALSE, &local_error))
    {
      compute_lengths (self);
      if (self->step > self->total_steps)
        g_set_error (&local_error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                     "%s has already done %" G_GINT64_FORMAT " steps, more than the %"
                     G_GINT64_FORMAT " asked for", dir, self->step, self->total_steps);
      else if (setup_sizes (self, &local_error) &&
               allocate_batch (self, &local_error) &&
               self->rank == 0)
        {
          remove_stale_temporaries (dir);
          open_logs (self, TRUE, &local_error);
        }
    }
  if (dist != NULL)
    {
      if (!unet_distributed_agree (dist, "the start", local_error, NULL, 0, NULL, error))
        return NULL;
    }
  else if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  attach_distributed (self);
  /* a time limit counts from here, the set-up done: the first epoch's decoding is part of it */
  self->session_start = g_get_monotonic_time ();
  return g_steal_pointer (&self);
}

void
unet_trainer_free (UnetTrainer *self)
{
  if (self == NULL)
    return;

  if (self->dist != NULL && self->model != NULL)
    unet_distributed_attach_model (self->dist, NULL);
  if (self->log_csv)
    fclose (self->log_csv);
  if (self->log_jsonl)
    fclose (self->log_jsonl);
  if (self->cache)
    for (guint i = 0; i < self->train_ids->len; i++)
      g_clear_pointer (&self->cache[i], voc_sample_free);
  g_free (self->cache);
  g_clear_pointer (&self->train_ids, g_ptr_array_unref);
  g_clear_pointer (&self->val_ids, g_ptr_array_unref);
  g_clear_pointer (&self->dataset, voc_dataset_unref);
  g_clear_pointer (&self->optimizer, unet_optimizer_free);
  g_clear_pointer (&self->model, unet_model_free);
  g_free (self->class_weights);
  g_free (self->batch_input);
  g_free (self->batch_labels);
  g_free (self->batch_weights);
  g_free (self->paste_input);
  g_free (self->paste_labels);
  g_free (self->paste_weights);
  g_free (self->paste_cumulative);
  g_clear_pointer (&self->bn_tiles, g_array_unref);
  g_free (self->order);
  unet_train_options_clear (&self->options);
  g_free (self);
}

void
unet_trainer_set_event_func (UnetTrainer        *self,
                             UnetTrainEventFunc  func,
                             gpointer            user_data)
{
  g_return_if_fail (self != NULL);

  self->event_func = func;
  self->event_data = user_data;
}

const UnetTrainOptions *
unet_trainer_get_options (UnetTrainer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->options;
}

UnetModel *
unet_trainer_get_model (UnetTrainer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->model;
}

gint64
unet_trainer_get_step (UnetTrainer *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->step;
}

gint64
unet_trainer_get_total_steps (UnetTrainer *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->total_steps;
}

void
unet_trainer_set_threads (UnetTrainer *self,
                          int          threads)
{
  int local;

  g_return_if_fail (self != NULL);
  g_return_if_fail (threads >= 0);

  self->options.threads = threads;
  /* ranks on one machine share its cores rather than each taking them all */
  local = self->dist ? unet_distributed_get_local_size (self->dist) : 1;
  if (threads == 0 && local > 1)
    threads = MAX ((int) g_get_num_processors () / local, 1);
  unet_set_threads (threads);
}

void
unet_trainer_set_time_limit (UnetTrainer *self,
                             double       seconds)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (seconds >= 0.0);

  self->options.time_limit = seconds;
  compute_lengths (self);
}

gboolean
unet_trainer_is_finished (UnetTrainer *self)
{
  g_return_val_if_fail (self != NULL, TRUE);

  return self->step >= self->total_steps;
}

void
unet_trainer_request_stop (UnetTrainer *self)
{
  g_atomic_int_set (&self->stop_requested, 1);
}

/* --- one step ------------------------------------------------------------------------------- */

/* Seconds the run has trained, over every process that took part in it. */
static double
run_seconds (UnetTrainer *self)
{
  if (self->session_start == 0)
    return self->trained_seconds;
  return self->trained_seconds + (g_get_monotonic_time () - self->session_start) / 1e6;
}

/* How far the run is, by steps or by its time limit: whichever ends it first. */
static double
run_progress (UnetTrainer *self,
              double       seconds)
{
  double progress = self->total_steps == UNBOUNDED_STEPS
                    ? 0.0 : (double) self->step / MAX (self->total_steps, 1);

  if (self->options.time_limit > 0.0)
    progress = MAX (progress, seconds / self->options.time_limit);
  return CLAMP (progress, 0.0, 1.0);
}

static void
emit (UnetTrainer    *self,
      UnetTrainEvent *event)
{
  gboolean unbounded = self->total_steps == UNBOUNDED_STEPS;

  event->step = self->step;
  event->total_steps = unbounded ? 0 : self->total_steps;
  event->epoch = (int) ((MAX (self->step, 1) - 1) / self->steps_per_epoch) + 1;
  event->n_epochs = unbounded ? 0 : (int) ((self->total_steps + self->steps_per_epoch - 1) /
                                           self->steps_per_epoch);
  if (event->kind != UNET_TRAIN_EVENT_PROGRESS)
    event->progress = run_progress (self, run_seconds (self));
  if (self->event_func)
    self->event_func (event, self->event_data);
}

static void
ensure_order (UnetTrainer *self,
              gint64       epoch)
{
  guint n = self->train_ids->len;
  UnetRng rng;

  if (self->order_epoch == epoch)
    return;

  /* a fresh shuffle per epoch, a function of the seed and the epoch alone */
  unet_rng_seed (&rng, step_seed (self->options.seed, -1 - epoch, 0));
  for (guint i = 0; i < n; i++)
    self->order[i] = i;
  for (guint i = n - 1; i > 0; i--)
    {
      guint j = unet_rng_below (&rng, i + 1);
      guint32 t = self->order[i];
      self->order[i] = self->order[j];
      self->order[j] = t;
    }
  self->order_epoch = epoch;
}

static VocSample *
load_train_sample (UnetTrainer  *self,
                   guint         index,
                   gboolean     *owned,
                   GError      **error)
{
  VocLoadFlags flags = VOC_LOAD_TRAIN;
  VocSample *sample;
  gsize bytes;

  *owned = FALSE;
  if (self->cache[index] != NULL)
    return self->cache[index];

  if (self->options.weighted_loss)
    flags |= VOC_LOAD_INSTANCES;
  sample = voc_dataset_load_sample (self->dataset, g_ptr_array_index (self->train_ids, index),
                                    flags, error);
  if (sample == NULL)
    return NULL;
  if (self->options.weighted_loss)
    voc_sample_compute_weights (sample, &self->weight_map);

  bytes = (gsize) sample->width * sample->height * (3 * sizeof (float) + 2 + sizeof (float));
  if (self->cache_bytes + bytes <= SAMPLE_CACHE_BUDGET)
    {
      self->cache[index] = sample;
      self->cache_bytes += bytes;
    }
  else
    {
      *owned = TRUE;
    }
  return sample;
}

static void
normalise (UnetTrainer *self,
           float       *image)
{
  size_t plane = (size_t) self->in_size * self->in_size;
  float mean[3], std[3];

  unet_model_get_normalization (self->model, mean, std);
  for (int c = 0; c < 3; c++)
    {
      float *p = image + c * plane;
      float inv = 1.0f / std[c];

      for (size_t i = 0; i < plane; i++)
        p[i] = (p[i] - mean[c]) * inv;
    }
}

/* Copy-paste augmentation for tile b of the batch: with probability copy_paste, a random
 * training sample (any, the tile's own too; by repeat factor with paste_balance) is augmented
 * into the scratch tile with its own random transform and its objects are pasted over tile b.
 * The random numbers come from the tile's own stream, so a step's batch stays a function of the
 * seed and the step. A sample that cannot be loaded pastes nothing: the tile is still a good
 * one. */
static void
paste_objects (UnetTrainer             *self,
               const VocAugmentOptions *augment,
               UnetRng                 *rng,
               int                      b)
{
  const UnetTrainOptions *o = &self->options;
  size_t in_floats = (size_t) 3 * self->in_size * self->in_size;
  size_t out_plane = (size_t) self->out_size * self->out_size;
  g_autoptr(GError) local_error = NULL;
  VocSample *sample;
  gboolean owned;
  UnetRng paste_rng;
  guint index;

  if (!(unet_rng_uniform (rng) < augment->copy_paste))
    return;
  if (self->paste_cumulative != NULL)
    index = voc_weighted_pick (self->paste_cumulative, self->train_ids->len,
                               unet_rng_uniform (rng));
  else
    index = unet_rng_below (rng, self->train_ids->len);
  unet_rng_seed (&paste_rng, unet_rng_next (rng));

  sample = load_train_sample (self, index, &owned, &local_error);
  if (sample == NULL)
    return;
  if (voc_augment_sample (sample, augment, &paste_rng, self->in_size, self->out_size,
                          self->paste_input, self->paste_labels, self->paste_weights,
                          o->weighted_loss ? &self->weight_map : NULL, &local_error))
    voc_augment_paste (self->batch_input + b * in_floats, self->batch_labels + b * out_plane,
                       self->batch_weights ? self->batch_weights + b * out_plane : NULL,
                       self->paste_input, self->paste_labels, self->paste_weights,
                       self->in_size, self->out_size);
  if (owned)
    voc_sample_free (sample);
}

static gboolean
fill_batch (UnetTrainer  *self,
            GError      **error)
{
  const UnetTrainOptions *o = &self->options;
  guint n = self->train_ids->len;
  size_t in_floats = (size_t) 3 * self->in_size * self->in_size;
  size_t out_plane = (size_t) self->out_size * self->out_size;
  VocAugmentOptions augment;

  /* The input scale shrinks (or grows) every crop, on top of the random scale range; without
   * augmentation the range is the input scale alone. */
  if (o->augment)
    augment = o->augment_options;
  else
    voc_augment_options_init_identity (&augment);
  augment.scale_min *= o->input_scale;
  augment.scale_max *= o->input_scale;

  for (int b = 0; b < self->batch_local; b++)
    {
      /* a rank's images are its part of the one batch a single process would draw: the order,
       * and each image's augmentation, follow from its place in that batch */
      int g = self->batch_first + b;
      gint64 position = self->step * o->batch + g;
      gboolean done = FALSE;

      for (guint attempt = 0; !done && attempt < n; attempt++)
        {
          gint64 p = position + attempt;
          g_autoptr(GError) local_error = NULL;
          VocSample *sample;
          gboolean owned;
          UnetRng rng;

          ensure_order (self, p / n);
          sample = load_train_sample (self, self->order[p % n], &owned, &local_error);
          if (sample != NULL)
            {
              unet_rng_seed (&rng, step_seed (o->seed, self->step, g + 1));
              done = voc_augment_sample (sample, &augment, &rng,
                                         self->in_size, self->out_size,
                                         self->batch_input + b * in_floats,
                                         self->batch_labels + b * out_plane,
                                         self->batch_weights ? self->batch_weights + b * out_plane : NULL,
                                         o->weighted_loss ? &self->weight_map : NULL,
                                         &local_error);
              if (owned)
                voc_sample_free (sample);
              if (done && self->paste_input != NULL)
                paste_objects (self, &augment, &rng, b);
            }
          if (!done)
            {
              if (!o->skip_bad)
                {
                  g_propagate_error (error, g_steal_pointer (&local_error));
                  return FALSE;
                }
              /* the next sample in the order stands in for the broken one */
              g_warning ("%s (skipped)", local_error->message);
            }
        }
      if (!done)
        {
          g_set_error (error, UNET_ERROR, UNET_ERROR_IO, "No usable training sample in %s",
                       o->dataset);
          return FALSE;
        }
      normalise (self, self->batch_input + b * in_floats);
    }
  return TRUE;
}

static void
write_train_log (UnetTrainer *self,
                 double       loss,
                 double       lr)
{
  char l[G_ASCII_DTOSTR_BUF_SIZE], r[G_ASCII_DTOSTR_BUF_SIZE], s[G_ASCII_DTOSTR_BUF_SIZE];
  int epoch = (int) ((self->step - 1) / self->steps_per_epoch) + 1;

  /* only rank 0 writes */
  if (self->log_csv == NULL)
    return;
  g_ascii_formatd (l, sizeof l, "%.6g", loss);
  g_ascii_formatd (r, sizeof r, "%.6g", lr);
  g_ascii_formatd (s, sizeof s, "%.4g", self->images_per_s);
  fprintf (self->log_csv, "%" G_GINT64_FORMAT ",%d,%s,%s,%s,,,,\n", self->step, epoch, l, r, s);
  fprintf (self->log_jsonl,
           "{\"type\":\"train\",\"step\":%" G_GINT64_FORMAT ",\"epoch\":%d,\"loss\":%s,\"lr\":%s,"
           "\"images_per_s\":%s}\n", self->step, epoch, l, r, s);
  fflush (self->log_csv);
  fflush (self->log_jsonl);
}

/* One rank's share of a step: its images forward and backward, with the batch-norm statistics,
 * the loss's normaliser and the gradients summed over every rank, so that each rank ends with
 * the gradient of the whole batch. */
static gboolean
distributed_train_step (UnetTrainer  *self,
                        double       *loss,
                        double       *seconds,
                        GError      **error)
{
  const UnetTrainOptions *o = &self->options;
  g_autoptr(GError) local_error = NULL;
  size_t out_plane = (size_t) self->out_size * self->out_size;
  gboolean stop = g_atomic_int_get (&self->stop_requested);
  /* the labels to count, and rank 0's clock, which every rank's schedule and end follow */
  double counted[2] = { 0.0, self->rank == 0 ? *seconds : 0.0 }, loss_sum;
  const float *logits;

  unet_distributed_set_step (self->dist, self->step + 1);
  if (fill_batch (self, &local_error) &&
      unet_model_prepare (self->model, self->batch_local, self->in_size, self->in_size, TRUE,
                          &local_error))
    counted[0] = (double) unet_count_labels (self->batch_labels, self->batch_local * out_plane,
                                             o->model.classes);
  /* also where a stop asked for on any rank reaches them all */
  if (!unet_distributed_agree (self->dist, "the start", local_error, counted, 2,
                               &stop, error))
    return FALSE;
  self->stop_agreed = stop;
  *seconds = counted[1];

  /* the masks one process would draw for the whole batch: skip those of the earlier ranks */
  unet_rng_seed (unet_model_get_rng (self->model), step_seed (o->seed, self->step, 0));
  unet_model_skip_dropout (self->model, self->batch_first);
  logits = unet_model_forward (self->model, self->batch_input, TRUE);
  /* normalised by the whole batch's pixels, so that the summed gradients are its mean */
  loss_sum = unet_softmax_xent_sum (unet_model_get_logits_grad (self->model), logits,
                                    self->batch_labels, self->batch_weights,
                                    unet_model_get_output_shape (self->model),
                                    (size_t) counted[0]);
  unet_model_zero_grad (self->model);
  unet_distributed_begin_gradients (self->dist);
  unet_model_backward (self->model);
  unet_distributed_finish_gradients (self->dist);

  unet_distributed_sum_doubles (self->dist, &loss_sum, 1);
  *loss = counted[0] > 0.0 ? loss_sum / counted[0] : 0.0;
  return TRUE;
}

gboolean
unet_trainer_step (UnetTrainer  *self,
                   GError      **error)
{
  const UnetTrainOptions *o;
  UnetTrainEvent event = { 0 };
  gint64 started, now;
  double loss, lr, seconds, run_time, progress;
  gboolean epoch_end;

  g_return_val_if_fail (self != NULL, FALSE);

  if (unet_trainer_is_finished (self))
    return TRUE;

  o = &self->options;
  started = g_get_monotonic_time ();
  run_time = run_seconds (self);
  if (self->dist != NULL)
    {
      if (!distributed_train_step (self, &loss, &run_time, error))
        return FALSE;
    }
  else
    {
      if (!fill_batch (self, error))
        return FALSE;
      if (!unet_model_prepare (self->model, o->batch, self->in_size, self->in_size, TRUE, error))
        return FALSE;

      unet_rng_seed (unet_model_get_rng (self->model), step_seed (o->seed, self->step, 0));
      loss = unet_model_train_step (self->model, self->batch_input, self->batch_labels,
                                    self->batch_weights);
    }
  /* Under a time limit the schedule follows the clock when that is the further along, so a
   * run of ten minutes anneals to the end of its ten minutes; the step that starts past the
   * limit is the run's last. */
  progress = run_progress (self, run_time);
  if (o->time_limit > 0.0 && progress > (double) self->step / MAX (self->total_steps, 1))
    lr = unet_schedule_lr_at_progress (&self->schedule, self->step, progress);
  else
    lr = unet_schedule_lr (&self->schedule, self->step);
  if (o->time_limit > 0.0 && run_time >= o->time_limit)
    self->total_steps = MIN (self->total_steps, self->step + 1);
  unet_optimizer_step (self->optimizer, self->model, lr);
  self->step++;

  if (!isfinite (loss))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "The loss became %g at step %" G_GINT64_FORMAT ": the learning rate %g is too "
                   "high for this model (try a lower --lr or a --warmup)", loss, self->step, lr);
      return FALSE;
    }

  /* The wall clock's pace, from one step's end to the next: what happens between steps (the
   * validations, checkpoints and whoever listens to the events) is part of it, so that the
   * images/s and the ETA shown are what the clock will say. */
  now = g_get_monotonic_time ();
  seconds = (now - (self->last_step_time > 0 ? self->last_step_time : started)) / 1e6;
  self->last_step_time = now;
  /* An average of the seconds a step takes over the last ~20 steps, smooth but quick to follow
   * a change of pace. Of seconds, not of rates: an average of rates would all but ignore the
   * few long gaps a validation makes, which the clock does not. */
  if (self->step_seconds <= 0.0)
    self->step_seconds = seconds;
  else
    self->step_seconds = 0.95 * self->step_seconds + 0.05 * seconds;
  self->images_per_s = o->batch / MAX (self->step_seconds, 1e-6);
  self->last_loss = loss;
  write_train_log (self, loss, lr);

  event.kind = UNET_TRAIN_EVENT_PROGRESS;
  event.loss = loss;
  event.lr = lr;
  event.images_per_s = self->images_per_s;
  event.eta_seconds = (self->total_steps - self->step) * o->batch / MAX (self->images_per_s, 1e-9);
  if (o->time_limit > 0.0)
    event.eta_seconds = CLAMP (o->time_limit - run_time, 0.0, event.eta_seconds);
  event.progress = self->step >= self->total_steps ? 1.0 : run_progress (self, run_time);
  emit (self, &event);

  epoch_end = (self->step % self->val_interval == 0 || self->step == self->total_steps);
  if (epoch_end && !unet_trainer_validate (self, error))
    return FALSE;

  if (self->step == self->total_steps ||
      (o->checkpoint_every > 0 && self->step % o->checkpoint_every == 0))
    {
      if (!unet_trainer_save_checkpoint (self, error))
        return FALSE;
    }

  if (self->step == self->total_steps)
    {
      g_autofree char *best = output_path (self, BEST_MODEL_NAME);
      UnetTrainEvent finished = { .kind = UNET_TRAIN_EVENT_FINISHED, .path = best,
                                  .loss = loss, .lr = lr, .images_per_s = self->images_per_s };
      emit (self, &finished);
    }
  return TRUE;
}

/* --- validation and saving ------------------------------------------------------------------ */

static void
set_model_info (UnetTrainer *self,
                double       miou)
{
  const UnetTrainOptions *o = &self->options;
  g_autofree char *data = g_strdup_printf ("%s (split %s)", o->dataset, o->train_split);
  g_autofree char *step = g_strdup_printf ("%" G_GINT64_FORMAT, self->step);
  g_autofree char *epochs = g_strdup_printf ("%.2f", (double) self->step / self->steps_per_epoch);
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  unet_model_set_info (self->model, "data", data);
  unet_model_set_info (self->model, "steps", step);
  unet_model_set_info (self->model, "epochs", epochs);
  if (miou >= 0.0)
    {
      unet_model_set_info (self->model, "val_miou", g_ascii_formatd (number, sizeof number, "%.4f", miou));
      unet_model_set_info (self->model, "val_split", o->val_split);
    }
}

static gboolean
save_best_model (UnetTrainer  *self,
                 double        miou,
                 GError      **error)
{
  g_autoptr(GError) local_error = NULL;

  set_model_info (self, miou);
  if (self->rank == 0)
    {
      g_autofree char *path = output_path (self, BEST_MODEL_NAME);

      unet_model_save (self->model, path, &local_error);
    }
  return agree (self, "rank 0's save of the best model", &local_error, error);
}

static void
write_val_log (UnetTrainer         *self,
               double               val_loss,
               const UnetConfusion *confusion,
               const double        *iou,
               const gboolean      *present)
{
  const char *const *names = unet_model_get_class_names (self->model);
  int epoch = (int) ((self->step - 1) / self->steps_per_epoch) + 1;
  char l[G_ASCII_DTOSTR_BUF_SIZE], m[G_ASCII_DTOSTR_BUF_SIZE];
  char p[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE];
  g_autoptr(GString) classes = NULL;

  if (self->log_csv == NULL)
    return;
  classes = g_string_new ("{");
  g_ascii_formatd (l, sizeof l, "%.6g", val_loss);
  g_ascii_formatd (m, sizeof m, "%.6g", unet_confusion_miou (confusion));
  g_ascii_formatd (p, sizeof p, "%.6g", unet_confusion_pixel_accuracy (confusion));
  g_ascii_formatd (c, sizeof c, "%.6g", unet_confusion_mean_class_accuracy (confusion));
  fprintf (self->log_csv, "%" G_GINT64_FORMAT ",%d,,,,%s,%s,%s,%s\n", self->step, epoch, l, m, p, c);

  for (int k = 0; k < confusion->n_classes; k++)
    {
      char v[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *name = g_strescape (names[k], NULL);

      if (!present[k])
        continue;
      g_string_append_printf (classes, "%s\"%s\":%s", classes->len > 1 ? "," : "", name,
                              g_ascii_formatd (v, sizeof v, "%.6g", iou[k]));
    }
  g_string_append_c (classes, '}');
  fprintf (self->log_jsonl,
           "{\"type\":\"val\",\"step\":%" G_GINT64_FORMAT ",\"epoch\":%d,\"val_loss\":%s,"
           "\"miou\":%s,\"pixel_accuracy\":%s,\"mean_class_accuracy\":%s,\"per_class_iou\":%s}\n",
           self->step, epoch, l, m, p, c, classes->str);
  fflush (self->log_csv);
  fflush (self->log_jsonl);
}

/* Batch norm's running statistics, as the training steps leave them, lag behind weights that
 * move and include dropout's effect; at lr 0.02 on 20 photos that alone swings validation mIoU
 * by points from one epoch to the next. So validation, and every model saved, use statistics
 * re-estimated on the training images: each one's centred crop at the run's input scale and its
 * mirror image, in batches of the training shape, without augmentation or dropout. The
 * training steps themselves use batch statistics and never see these. */
static gboolean
estimate_bn_statistics (UnetTrainer  *self,
                        GError      **error)
{
  const UnetTrainOptions *o = &self->options;
  size_t in_floats = (size_t) 3 * self->in_size * self->in_size;
  size_t out_plane = (size_t) self->out_size * self->out_size;
  GArray *tiles;
  VocAugmentOptions centred;
  guint n_batches;

  if (!o->estimate_bn || o->model.norm != UNET_NORM_BATCH)
    return TRUE;

  /* Two tiles per training image that loads, the same list on every rank; listed at the first
   * estimate only, so that samples beyond the cache are not decoded twice each time. */
  if (self->bn_tiles == NULL)
    {
      g_autoptr(GArray) listed = g_array_new (FALSE, FALSE, sizeof (guint));

      for (guint i = 0; i < self->train_ids->len; i++)
        {
          g_autoptr(GError) local_error = NULL;
          gboolean owned;
          VocSample *sample = load_train_sample (self, i, &owned, &local_error);

          if (sample == NULL)
            {
              /* fill_batch has warned about the broken sample already */
              if (!o->skip_bad)
                {
                  g_propagate_error (error, g_steal_pointer (&local_error));
                  return FALSE;
                }
              continue;
            }
          if (owned)
            voc_sample_free (sample);
          for (guint flip = 0; flip < 2; flip++)
            {
              guint tile = 2 * i + flip;

              g_array_append_val (listed, tile);
            }
        }
      if (listed->len == 0)
        {
          g_set_error (error, UNET_ERROR, UNET_ERROR_IO, "No usable training sample in %s",
                       o->dataset);
          return FALSE;
        }
      self->bn_tiles = g_steal_pointer (&listed);
    }
  tiles = self->bn_tiles;

  voc_augment_options_init_identity (&centred);
  centred.scale_min = centred.scale_max = o->input_scale;
  unet_model_reset_bn_statistics (self->model);
  /* Batches of the run's batch size, every tile once, the last batch topped up from the start.
   * A rank takes its slice of each batch, as in training; synchronised batch norm then sees the
   * batch one process would. */
  n_batches = (tiles->len + o->batch - 1) / o->batch;
  for (guint k = 0; k < n_batches; k++)
    {
      for (int b = 0; b < self->batch_local; b++)
        {
          guint position = k * o->batch + self->batch_first + b;
          guint tile = g_array_index (tiles, guint, position % tiles->len);
          g_autoptr(GError) local_error = NULL;
          gboolean owned, done;
          VocSample *sample;
          UnetRng rng;

          sample = load_train_sample (self, tile / 2, &owned, &local_error);
          if (sample == NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          centred.flip_probability = tile % 2;
          unet_rng_seed (&rng, 0);
          done = voc_augment_sample (sample, &centred, &rng, self->in_size, self->out_size,
                                     self->batch_input + b * in_floats,
                                     self->batch_labels + b * out_plane, NULL, NULL,
                                     &local_error);
          if (owned)
            voc_sample_free (sample);
          if (!done)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          normalise (self, self->batch_input + b * in_floats);
        }
      unet_model_accumulate_bn_statistics (self->model, self->batch_input);
    }
  return TRUE;
}

gboolean
unet_trainer_validate (UnetTrainer  *self,
                       GError      **error)
{
  const UnetTrainOptions *o;
  const UnetConfig *config;
  g_autoptr(UnetConfusion) confusion = NULL;
  g_autoptr(VocSample) preview = NULL;
  g_autofree guint8 *preview_prediction = NULL;
  g_autofree double *iou = NULL;
  g_autofree gboolean *present = NULL;
  g_autoptr(GError) failure = NULL;
  UnetPredictOptions predict_options = { .tile = 0 };
  gboolean limited;
  UnetTrainEvent event = { 0 };
  double loss_sum = 0.0, miou;
  guint64 loss_count = 0;
  int K;

  g_return_val_if_fail (self != NULL, FALSE);

  o = &self->options;
  config = unet_model_get_config (self->model);
  K = config->classes;

  if (!estimate_bn_statistics (self, error))
    return FALSE;

  if (self->val_ids == NULL || self->val_ids->len == 0)
    {
      /* nothing to select with: the latest model is the best we know */
      return save_best_model (self, -1.0, error);
    }

  confusion = unet_confusion_new (K);
  /* Valid padding: the training tile's output, so validation sees what training saw. Same
   * padding: the default tile, since small training tiles would spend most of each tile on the
   * context margins. */
  predict_options.tile = config->padding == UNET_PADDING_VALID ? self->out_size : 0;
  /* with a class limit, one pass gives both the limited and the unlimited probabilities */
  limited = unet_model_get_max_classes (self->model) > 0;

  /* the ranks share the images: rank r takes every n-th from the r-th */
  for (guint i = self->rank; failure == NULL && i < self->val_ids->len; i += self->n_ranks)
    {
      const char *id = g_ptr_array_index (self->val_ids, i);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(VocSample) sample = NULL;
      g_autofree float *probs = NULL;
      g_autofree float *limited_probs = NULL;
      g_autofree guint8 *prediction = NULL;
      size_t plane;

      sample = voc_dataset_load_sample (self->dataset, id, VOC_LOAD_TRAIN, &local_error);
      if (sample == NULL)
        {
          if (!o->skip_bad)
            {
              failure = g_steal_pointer (&local_error);
              break;
            }
          g_warning ("%s (skipped)", local_error->message);
          continue;
        }

      plane = (size_t) sample->width * sample->height;
      /* The loss is the network's own; the classes are what a user gets, with the model's
       * limit on foreground classes per image, which zeroes probabilities the loss needs. */
      prediction = g_try_new (guint8, plane);
      probs = g_try_new (float, plane * K);
      if (limited)
        limited_probs = g_try_new (float, plane * K);
      if (prediction == NULL || probs == NULL || (limited && limited_probs == NULL))
        g_set_error (&local_error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                     "Not enough memory for the classes of a %d×%d image",
                     sample->width, sample->height);
      else if (!unet_model_predict_image (self->model,
                                          &(UnetImage) { sample->height, sample->width,
                                                         sample->rgb, NULL },
                                          &predict_options,
                                          &(UnetPrediction) {
                                            .classes = prediction,
                                            .probs = limited ? limited_probs : probs,
                                            .unlimited_probs = limited ? probs : NULL },
                                          &local_error))
        g_clear_pointer (&prediction, g_free);
      if (local_error != NULL)
        {
          g_prefix_error (&local_error, "%s: ", id);
          failure = g_steal_pointer (&local_error);
          break;
        }
      unet_confusion_add (confusion, sample->labels, prediction, plane);
      for (size_t p = 0; p < plane; p++)
        if (sample->labels[p] < K)
          {
            loss_sum -= log (MAX (probs[(size_t) sample->labels[p] * plane + p], 1e-12f));
            loss_count++;
          }

      if (preview == NULL)
        {
          preview = g_steal_pointer (&sample);
          preview_prediction = g_steal_pointer (&prediction);
        }
    }

  /* prediction ran at batch 1 on its own tiles: the training batch needs its buffers back */
  if (failure == NULL)
    unet_model_prepare (self->model, self->batch_local, self->in_size, self->in_size, TRUE,
                        &failure);
  if (self->dist != NULL)
    {
      double sums[2] = { loss_sum, (double) loss_count };

      if (!unet_distributed_agree (self->dist, "the validation", failure, sums, 2, NULL, error))
        return FALSE;
      loss_sum = sums[0];
      loss_count = (guint64) sums[1];
      unet_distributed_sum_counts (self->dist, confusion->counts, (gsize) K * K);
    }
  else if (failure != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }

  iou = g_new (double, K);
  present = g_new (gboolean, K);
  unet_confusion_iou (confusion, iou, present);
  miou = unet_confusion_miou (confusion);
  if (isnan (miou))
    miou = 0.0;
  write_val_log (self, loss_count ? loss_sum / loss_count : 0.0, confusion, iou, present);

  event.kind = UNET_TRAIN_EVENT_EVALUATED;
  event.val_loss = loss_count ? loss_sum / loss_count : 0.0;
  event.miou = miou;
  event.pixel_accuracy = unet_confusion_pixel_accuracy (confusion);
  event.mean_class_accuracy = unet_confusion_mean_class_accuracy (confusion);
  event.n_classes = K;
  event.per_class_iou = iou;
  event.is_best = miou > self->best_miou;
  if (preview)
    {
      event.sample_id = preview->id;
      event.sample_rgb = preview->rgb;
      event.sample_prediction = preview_prediction;
      event.sample_truth = preview->labels;
      event.sample_width = preview->width;
      event.sample_height = preview->height;
    }

  if (event.is_best)
    {
      self->best_miou = miou;
      if (!save_best_model (self, miou, error))
        return FALSE;
    }
  emit (self, &event);
  return TRUE;
}

gboolean
unet_trainer_save_checkpoint (UnetTrainer  *self,
                              GError      **error)
{
  g_autoptr(GHashTable) state = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  UnetTrainEvent event = { 0 };
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (self != NULL, FALSE);

  /* rank 0 saves for all: they must all hold the weights it saves */
  if (self->dist != NULL &&
      !unet_distributed_check_same (self->dist, checksum_weights (self), "the weights", error))
    return FALSE;

  g_hash_table_insert (state, "options", unet_train_options_to_json (&self->options));
  g_hash_table_insert (state, "step", g_strdup_printf ("%" G_GINT64_FORMAT, self->step));
  g_hash_table_insert (state, "best_miou",
                       g_strdup (g_ascii_formatd (number, sizeof number, "%.17g", self->best_miou)));
  g_hash_table_insert (state, "ranks", g_strdup_printf ("%d", self->n_ranks));
  g_hash_table_insert (state, "seconds",
                       g_strdup (g_ascii_formatd (number, sizeof number, "%.3f",
                                                  run_seconds (self))));
  set_model_info (self, self->best_miou);

  path = output_path (self, CHECKPOINT_NAME);
  if (self->rank == 0)
    {
      /* the logs must not lag behind the checkpoint they will be cut back to */
      fflush (self->log_csv);
      fflush (self->log_jsonl);
      fsync (fileno (self->log_csv));
      fsync (fileno (self->log_jsonl));
      unet_checkpoint_save (self->model, self->optimizer, state, path, &local_error);
    }
  if (!agree (self, "rank 0's save of the checkpoint", &local_error, error))
    return FALSE;

  event.kind = UNET_TRAIN_EVENT_CHECKPOINT;
  event.path = path;
  event.loss = self->last_loss;
  emit (self, &event);
  return TRUE;
}

gboolean
unet_trainer_run (UnetTrainer  *self,
                  GError      **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  while (!unet_trainer_is_finished (self))
    {
      /* distributed, a stop takes effect once every rank has heard of it, at a step's start */
      if (self->dist != NULL ? self->stop_agreed : g_atomic_int_get (&self->stop_requested))
        {
          if (!unet_trainer_save_checkpoint (self, error))
            return FALSE;
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                       "Stopped after step %" G_GINT64_FORMAT "; continue with --resume %s",
                       self->step, self->options.output_dir);
          return FALSE;
        }
      if (!unet_trainer_step (self, error))
        return FALSE;
    }
  return TRUE;
}
