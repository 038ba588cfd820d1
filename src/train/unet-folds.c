/* unet-folds.c — K-fold cross-validation of a training recipe
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "unet/unet-file.h"
#include "unet/unet-rng.h"

#include "unet-folds.h"
#include "unet-run.h"

#define PLAN_FORMAT "unet-studio-folds/1"

struct _UnetFolds
{
  char              *dir;
  UnetTrainOptions   options;      /* the recipe, output_dir the cross-validation's folder */
  int                n_folds;
  GPtrArray         *folds;        /* GStrv of each fold's ids */
  char             **class_names;
  int                n_classes;
  UnetFoldResult    *results;      /* n_folds */
};

/* --- dealing ---------------------------------------------------------------------------------- */

typedef struct
{
  guint  image;
  guint  rarest;     /* images holding the image's rarest foreground class; G_MAXUINT: none */
  int    rare_class; /* that class, or -1 */
} Card;

/* by rarity; g_qsort_with_data is stable, so equals keep the shuffled order */
static int
compare_cards (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  const Card *x = a, *y = b;

  return x->rarest < y->rarest ? -1 : x->rarest > y->rarest ? 1 : 0;
}

guint *
unet_folds_assign (const guint8 *present,
                   guint         n,
                   int           n_classes,
                   int           k,
                   guint64       seed)
{
  g_autofree guint *images_with = g_new0 (guint, MAX (n_classes, 1));
  g_autofree guint *in_fold = g_new0 (guint, (size_t) k * MAX (n_classes, 1));
  g_autofree guint *fold_size = g_new0 (guint, k);
  g_autofree Card *cards = g_new (Card, MAX (n, 1));
  guint *fold_of = g_new0 (guint, MAX (n, 1));
  UnetRng rng;

  g_return_val_if_fail (k >= 1, fold_of);

  for (guint i = 0; i < n; i++)
    for (int c = 1; c < n_classes; c++)
      images_with[c] += present[(size_t) i * n_classes + c] != 0;

  /* a seeded shuffle, then a stable sort: images equally rare stay in the seed's order */
  unet_rng_seed (&rng, seed);
  for (guint i = 0; i < n; i++)
    cards[i] = (Card) { i, G_MAXUINT, -1 };
  for (guint i = n; i > 1; i--)
    {
      guint j = unet_rng_below (&rng, i);
      Card t = cards[i - 1];

      cards[i - 1] = cards[j];
      cards[j] = t;
    }
  for (guint i = 0; i < n; i++)
    for (int c = 1; c < n_classes; c++)
      if (present[(size_t) cards[i].image * n_classes + c] && images_with[c] < cards[i].rarest)
        {
          cards[i].rarest = images_with[c];
          cards[i].rare_class = c;
        }
  g_qsort_with_data (cards, n, sizeof (Card), compare_cards, NULL);

  for (guint i = 0; i < n; i++)
    {
      int best = -1;

      for (int f = 0; f < k; f++)
        {
          /* the first n % k folds take one image more */
          guint room = n / k + ((guint) f < n % k ? 1 : 0);
          guint have, best_have;

          if (fold_size[f] >= room)
            continue;
          if (best < 0)
            {
              best = f;
              continue;
            }
          have = cards[i].rare_class >= 0 ? in_fold[(size_t) f * n_classes + cards[i].rare_class] : 0;
          best_have = cards[i].rare_class >= 0
                      ? in_fold[(size_t) best * n_classes + cards[i].rare_class] : 0;
          if (have < best_have || (have == best_have && fold_size[f] < fold_size[best]))
            best = f;
        }
      fold_of[cards[i].image] = best;
      fold_size[best]++;
      for (int c = 1; c < n_classes; c++)
        in_fold[(size_t) best * n_classes + c] +=
          present[(size_t) cards[i].image * n_classes + c] != 0;
    }
  return fold_of;
}

/* --- the plan --------------------------------------------------------------------------------- */

static UnetFolds *
folds_new (const char *dir)
{
  UnetFolds *self = g_new0 (UnetFolds, 1);

  self->dir = g_strdup (dir);
  self->folds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  unet_train_options_init_default (&self->options);
  return self;
}

void
unet_folds_free (UnetFolds *self)
{
  if (self == NULL)
    return;
  for (int f = 0; self->results != NULL && f < self->n_folds; f++)
    g_free (self->results[f].class_iou);
  g_free (self->results);
  g_strfreev (self->class_names);
  g_ptr_array_unref (self->folds);
  unet_train_options_clear (&self->options);
  g_free (self->dir);
  g_free (self);
}

/* Which classes each image of the pool holds. */
static guint8 *
survey_pool (VocDataset  *dataset,
             GPtrArray   *ids,
             int          n_classes,
             GError     **error)
{
  g_autofree guint8 *present = g_new0 (guint8, (size_t) MAX (ids->len, 1) * n_classes);

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(VocSample) sample = voc_dataset_load_sample (dataset, ids->pdata[i],
                                                             VOC_LOAD_LABELS, error);

      if (sample == NULL)
        return NULL;
      for (size_t p = 0; p < (size_t) sample->width * sample->height; p++)
        if (sample->labels[p] < n_classes)
          present[(size_t) i * n_classes + sample->labels[p]] = 1;
    }
  return g_steal_pointer (&present);
}

static gboolean
write_plan (UnetFolds  *self,
            GError    **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *options = unet_train_options_to_json (&self->options);
  g_autofree char *path = g_build_filename (self->dir, UNET_FOLDS_PLAN, NULL);
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, PLAN_FORMAT);
  json_builder_set_member_name (builder, "options");
  json_builder_add_string_value (builder, options);
  json_builder_set_member_name (builder, "folds");
  json_builder_begin_array (builder);
  for (guint f = 0; f < self->folds->len; f++)
    {
      char **ids = g_ptr_array_index (self->folds, f);

      json_builder_begin_array (builder);
      for (guint i = 0; ids[i] != NULL; i++)
        json_builder_add_string_value (builder, ids[i]);
      json_builder_end_array (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  return unet_file_write_atomic (path, text, strlen (text), error);
}

/* The dataset's class names, which the folds' results are listed by. */
static gboolean
read_classes (UnetFolds  *self,
              GError    **error)
{
  g_autoptr(VocDataset) dataset = voc_dataset_open (self->options.dataset, error);
  const char *const *names;

  if (dataset == NULL)
    return FALSE;
  names = (const char *const *) voc_dataset_get_class_names (dataset);
  self->class_names = g_strdupv ((char **) names);
  self->n_classes = voc_dataset_get_n_classes (dataset);
  self->results = g_new0 (UnetFoldResult, self->n_folds);
  return TRUE;
}

UnetFolds *
unet_folds_new (const UnetTrainOptions  *options,
                int                      n_folds,
                GError                 **error)
{
  g_autoptr(UnetFolds) self = NULL;
  g_autoptr(VocDataset) dataset = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autofree guint8 *present = NULL;
  g_autofree guint *fold_of = NULL;
  g_autofree char *plan = NULL;

  g_return_val_if_fail (options != NULL && options->output_dir != NULL, NULL);

  if (n_folds < 2 || n_folds > UNET_FOLDS_MAX)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Folds must be 2 to %d, not %d", UNET_FOLDS_MAX, n_folds);
      return NULL;
    }
  if (!unet_train_options_check (options, error))
    return NULL;
  plan = g_build_filename (options->output_dir, UNET_FOLDS_PLAN, NULL);
  if (g_file_test (plan, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "%s already holds a cross-validation; continue it with --resume or choose "
                   "another folder", options->output_dir);
      return NULL;
    }

  self = folds_new (options->output_dir);
  unet_train_options_clear (&self->options);
  unet_train_options_copy (&self->options, options);
  self->n_folds = n_folds;
  dataset = voc_dataset_open (options->dataset, error);
  if (dataset == NULL)
    return NULL;
  ids = voc_dataset_get_split (dataset, options->train_split, options->skip_bad, NULL, error);
  if (ids == NULL)
    return NULL;
  if (ids->len < (guint) n_folds)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "%u images cannot make %d folds: every fold needs one at least", ids->len,
                   n_folds);
      return NULL;
    }
  present = survey_pool (dataset, ids, voc_dataset_get_n_classes (dataset), error);
  if (present == NULL)
    return NULL;
  fold_of = unet_folds_assign (present, ids->len, voc_dataset_get_n_classes (dataset), n_folds,
                               options->seed);
  for (int f = 0; f < n_folds; f++)
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

      for (guint i = 0; i < ids->len; i++)
        if (fold_of[i] == (guint) f)
          g_strv_builder_add (builder, ids->pdata[i]);
      g_ptr_array_add (self->folds, g_strv_builder_end (builder));
    }
  if (g_mkdir_with_parents (self->dir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: cannot create the output folder: %s", self->dir, g_strerror (saved));
      return NULL;
    }
  if (!read_classes (self, error) || !write_plan (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* --- results ---------------------------------------------------------------------------------- */

static void
add_number (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  if (isfinite (value))
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
unet_folds_get_summary (UnetFolds *self,
                        double    *mean,
                        double    *sd,
                        int       *n_done)
{
  double sum = 0.0, squares = 0.0;
  int n = 0;

  for (int f = 0; f < self->n_folds; f++)
    if (self->results[f].done)
      {
        sum += self->results[f].miou;
        n++;
      }
  *mean = n > 0 ? sum / n : NAN;
  for (int f = 0; f < self->n_folds; f++)
    if (self->results[f].done)
      squares += (self->results[f].miou - *mean) * (self->results[f].miou - *mean);
  *sd = n > 1 ? sqrt (squares / (n - 1)) : NAN;
  if (n_done != NULL)
    *n_done = n;
}

static char *
results_json (UnetFolds *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  double mean, sd;
  int n_done;

  unet_folds_get_summary (self, &mean, &sd, &n_done);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "folds");
  json_builder_add_int_value (builder, self->n_folds);
  json_builder_set_member_name (builder, "done");
  json_builder_add_int_value (builder, n_done);
  add_number (builder, "mean_miou", mean);
  add_number (builder, "sd_miou", sd);
  json_builder_set_member_name (builder, "results");
  json_builder_begin_array (builder);
  for (int f = 0; f < self->n_folds; f++)
    {
      const UnetFoldResult *r = &self->results[f];

      if (!r->done)
        continue;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "fold");
      json_builder_add_int_value (builder, f + 1);
      json_builder_set_member_name (builder, "n_train");
      json_builder_add_int_value (builder, r->n_train);
      json_builder_set_member_name (builder, "n_val");
      json_builder_add_int_value (builder, r->n_val);
      add_number (builder, "miou", r->miou);
      add_number (builder, "pixel_accuracy", r->pixel_accuracy);
      add_number (builder, "mean_class_accuracy", r->mean_class_accuracy);
      add_number (builder, "val_loss", r->val_loss);
      json_builder_set_member_name (builder, "per_class_iou");
      json_builder_begin_object (builder);
      for (int k = 0; k < self->n_classes; k++)
        if (isfinite (r->class_iou[k]))
          add_number (builder, self->class_names[k], r->class_iou[k]);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return unet_run_json_generate (root);
}

static char *
results_csv (UnetFolds *self)
{
  GString *csv = g_string_new ("fold,n_train,n_val,miou,pixel_accuracy,mean_class_accuracy,"
                               "val_loss\n");
  char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
  char c[G_ASCII_DTOSTR_BUF_SIZE], d[G_ASCII_DTOSTR_BUF_SIZE];

  for (int f = 0; f < self->n_folds; f++)
    {
      const UnetFoldResult *r = &self->results[f];

      if (r->done)
        g_string_append_printf (csv, "%d,%u,%u,%s,%s,%s,%s\n", f + 1, r->n_train, r->n_val,
                                g_ascii_formatd (a, sizeof a, "%.6g", r->miou),
                                g_ascii_formatd (b, sizeof b, "%.6g", r->pixel_accuracy),
                                g_ascii_formatd (c, sizeof c, "%.6g", r->mean_class_accuracy),
                                g_ascii_formatd (d, sizeof d, "%.6g", r->val_loss));
    }
  return g_string_free (csv, FALSE);
}

static gboolean
write_results (UnetFolds  *self,
               GError    **error)
{
  g_autofree char *json_path = g_build_filename (self->dir, UNET_FOLDS_RESULTS_JSON, NULL);
  g_autofree char *csv_path = g_build_filename (self->dir, UNET_FOLDS_RESULTS_CSV, NULL);
  g_autofree char *json = results_json (self);
  g_autofree char *csv = results_csv (self);

  return unet_file_write_atomic (json_path, json, strlen (json), error) &&
         unet_file_write_atomic (csv_path, csv, strlen (csv), error);
}

/* --- the folds' runs ------------------------------------------------------------------------- */

static char *
fold_dir (UnetFolds *self,
          int        fold)
{
  g_autofree char *name = g_strdup_printf ("fold-%d", fold + 1);

  return g_build_filename (self->dir, name, NULL);
}

int
unet_folds_get_n_folds (UnetFolds *self)
{
  return self->n_folds;
}

int
unet_folds_get_next (UnetFolds *self)
{
  for (int f = 0; f < self->n_folds; f++)
    if (!self->results[f].done)
      return f;
  return self->n_folds;
}

const UnetFoldResult *
unet_folds_get_result (UnetFolds *self,
                       int        fold)
{
  g_return_val_if_fail (fold >= 0 && fold < self->n_folds, NULL);

  return &self->results[fold];
}

const char * const *
unet_folds_get_class_names (UnetFolds *self)
{
  return (const char * const *) self->class_names;
}

/* The fold's options: the recipe on the other folds' images, validated once, at the end, on
 * its own. */
static void
fold_options (UnetFolds        *self,
              int               fold,
              UnetTrainOptions *o)
{
  g_autoptr(GStrvBuilder) train = g_strv_builder_new ();

  unet_train_options_copy (o, &self->options);
  for (guint f = 0; f < self->folds->len; f++)
    if ((int) f != fold)
      g_strv_builder_addv (train, (const char **) g_ptr_array_index (self->folds, f));
  g_strfreev (o->train_ids);
  o->train_ids = g_strv_builder_end (train);
  g_strfreev (o->val_ids);
  o->val_ids = g_strdupv (g_ptr_array_index (self->folds, fold));
  o->val_every = G_MAXINT;
  g_free (o->output_dir);
  o->output_dir = fold_dir (self, fold);
}

UnetTrainer *
unet_folds_start (UnetFolds  *self,
                  int         fold,
                  GError    **error)
{
  g_auto(UnetTrainOptions) o = { 0 };
  g_autofree char *dir = NULL;
  g_autofree char *checkpoint = NULL;

  g_return_val_if_fail (fold >= 0 && fold < self->n_folds, NULL);

  dir = fold_dir (self, fold);
  checkpoint = unet_run_path (dir, UNET_RUN_CHECKPOINT);
  if (g_file_test (checkpoint, G_FILE_TEST_EXISTS))
    return unet_trainer_resume (dir, 0, 0, error);
  fold_options (self, fold, &o);
  return unet_trainer_new (&o, error);
}

gboolean
unet_folds_finish (UnetFolds  *self,
                   int         fold,
                   GError    **error)
{
  g_autofree char *dir = fold_dir (self, fold);
  g_autoptr(UnetRunLog) log = unet_run_log_read (dir, UNET_RUN_LOG_STRICT, error);
  UnetFoldResult *result = &self->results[fold];
  const UnetRunRecord *last = NULL;

  if (log == NULL)
    return FALSE;
  for (guint i = 0; i < log->records->len; i++)
    if (g_array_index (log->records, UnetRunRecord, i).kind == UNET_RUN_RECORD_VAL)
      last = &g_array_index (log->records, UnetRunRecord, i);
  if (last == NULL)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   "%s: the fold's log holds no validation", dir);
      return FALSE;
    }
  g_free (result->class_iou);
  result->class_iou = g_new (double, MAX (self->n_classes, 1));
  for (int k = 0; k < self->n_classes; k++)
    {
      result->class_iou[k] = NAN;
      for (guint j = 0; j < last->n_classes; j++)
        if (g_strcmp0 (last->class_names[j], self->class_names[k]) == 0)
          result->class_iou[k] = last->class_iou[j];
    }
  result->miou = last->miou;
  result->pixel_accuracy = last->pixel_accuracy;
  result->mean_class_accuracy = last->mean_class_accuracy;
  result->val_loss = last->val_loss;
  result->n_val = g_strv_length (g_ptr_array_index (self->folds, fold));
  result->n_train = 0;
  for (guint f = 0; f < self->folds->len; f++)
    if ((int) f != fold)
      result->n_train += g_strv_length (g_ptr_array_index (self->folds, f));
  result->done = TRUE;
  return write_results (self, error);
}

/* --- resuming --------------------------------------------------------------------------------- */

static gboolean
read_plan (UnetFolds   *self,
           const char  *path,
           GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *display = g_filename_display_name (path);
  JsonObject *plan;
  JsonArray *folds;
  JsonNode *root, *node;
  gboolean format_ok;

  if (!json_parser_load_from_file (parser, path, error))
    {
      g_prefix_error (error, "%s: ", display);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  plan = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  node = plan != NULL ? json_object_get_member (plan, "format") : NULL;
  /* json-glib's getters warn on a member of another type, which a damaged file must not cause */
  format_ok = node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
              json_node_get_value_type (node) == G_TYPE_STRING &&
              g_strcmp0 (json_node_get_string (node), PLAN_FORMAT) == 0;
  node = plan != NULL ? json_object_get_member (plan, "folds") : NULL;
  if (!format_ok || node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   "%s: not a cross-validation plan of this version", display);
      return FALSE;
    }
  folds = json_node_get_array (node);
  for (guint f = 0; f < json_array_get_length (folds); f++)
    {
      JsonNode *fold = json_array_get_element (folds, f);
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

      if (!JSON_NODE_HOLDS_ARRAY (fold))
        goto corrupt;
      for (guint i = 0; i < json_array_get_length (json_node_get_array (fold)); i++)
        {
          JsonNode *id = json_array_get_element (json_node_get_array (fold), i);

          if (!JSON_NODE_HOLDS_VALUE (id) || json_node_get_value_type (id) != G_TYPE_STRING)
            goto corrupt;
          g_strv_builder_add (builder, json_node_get_string (id));
        }
      g_ptr_array_add (self->folds, g_strv_builder_end (builder));
    }
  self->n_folds = self->folds->len;
  node = json_object_get_member (plan, "options");
  if (self->n_folds < 2 || self->n_folds > UNET_FOLDS_MAX || node == NULL ||
      !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    goto corrupt;
  if (!unet_train_options_from_json (&self->options, json_node_get_string (node), error))
    {
      g_prefix_error (error, "%s: ", display);
      return FALSE;
    }
  return TRUE;

corrupt:
  g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT, "%s: a malformed cross-validation plan",
               display);
  return FALSE;
}

UnetFolds *
unet_folds_resume (const char  *dir,
                   GError     **error)
{
  g_autoptr(UnetFolds) self = folds_new (dir);
  g_autofree char *plan = g_build_filename (dir, UNET_FOLDS_PLAN, NULL);

  if (!read_plan (self, plan, error))
    return NULL;
  /* the folder may have moved since */
  g_free (self->options.output_dir);
  self->options.output_dir = g_strdup (dir);
  if (!read_classes (self, error))
    return NULL;
  /* a fold is done when its run is: its results are read again from its log */
  for (int f = 0; f < self->n_folds; f++)
    {
      g_autofree char *fold = fold_dir (self, f);
      g_autoptr(UnetTrainer) trainer = NULL;
      g_autofree char *checkpoint = unet_run_path (fold, UNET_RUN_CHECKPOINT);

      if (!g_file_test (checkpoint, G_FILE_TEST_EXISTS))
        continue;
      trainer = unet_trainer_resume (fold, 0, 0, error);
      if (trainer == NULL)
        return NULL;
      if (unet_trainer_is_finished (trainer) && !unet_folds_finish (self, f, error))
        return NULL;
    }
  return g_steal_pointer (&self);
}

/* --- the report ------------------------------------------------------------------------------- */

void
unet_folds_report_free (UnetFoldsReport *report)
{
  if (report == NULL)
    return;
  g_free (report->display);
  g_clear_pointer (&report->scores, g_array_unref);
  g_strfreev (report->class_names);
  g_free (report->class_iou);
  g_free (report);
}

/* A number member, or null; anything else (or absence, when required) is FALSE. */
static gboolean
report_number (JsonObject *object,
               const char *name,
               gboolean    required,
               double     *value)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;

  *value = NAN;
  if (node == NULL)
    return !required;
  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return FALSE;
  *value = json_node_get_double (node);
  return isfinite (*value);
}

/* One entry of "results"; its per-class IoU summed into sums and counts by name. */
static gboolean
read_report_entry (JsonNode         *node,
                   UnetFoldsReport  *report,
                   GPtrArray        *names,
                   GArray           *sums,
                   GArray           *counts)
{
  JsonObject *entry;
  JsonNode *per_class;
  UnetFoldScore score;
  double fold, n_train, n_val;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  entry = json_node_get_object (node);
  if (!report_number (entry, "fold", TRUE, &fold) || !(fold >= 1 && fold <= UNET_FOLDS_MAX) ||
      !report_number (entry, "n_train", TRUE, &n_train) || !(n_train >= 0 && n_train < 1e9) ||
      !report_number (entry, "n_val", TRUE, &n_val) || !(n_val >= 0 && n_val < 1e9) ||
      !report_number (entry, "miou", TRUE, &score.miou))
    return FALSE;
  score.fold = (int) fold;
  score.n_train = (guint) n_train;
  score.n_val = (guint) n_val;
  g_array_append_val (report->scores, score);

  per_class = json_object_get_member (entry, "per_class_iou");
  if (per_class == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (per_class))
    return FALSE;
  {
    g_autoptr(GList) members = json_object_get_members (json_node_get_object (per_class));

    for (GList *l = members; l != NULL; l = l->next)
      {
        double iou;
        guint k;

        if (!report_number (json_node_get_object (per_class), l->data, TRUE, &iou))
          return FALSE;
        if (isnan (iou))
          continue;
        for (k = 0; k < names->len && g_strcmp0 (names->pdata[k], l->data) != 0; k++)
          ;
        if (k == names->len)
          {
            double zero = 0.0;
            guint none = 0;

            g_ptr_array_add (names, g_strdup (l->data));
            g_array_append_val (sums, zero);
            g_array_append_val (counts, none);
          }
        g_array_index (sums, double, k) += iou;
        g_array_index (counts, guint, k)++;
      }
  }
  return TRUE;
}

static gboolean
read_report (JsonNode         *root,
             UnetFoldsReport  *report)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) sums = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) counts = g_array_new (FALSE, FALSE, sizeof (guint));
  JsonObject *object;
  JsonNode *results;
  double n_folds;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  object = json_node_get_object (root);
  results = json_object_get_member (object, "results");
  if (!report_number (object, "folds", TRUE, &n_folds) ||
      !(n_folds >= 2 && n_folds <= UNET_FOLDS_MAX) ||
      !report_number (object, "mean_miou", FALSE, &report->mean_miou) ||
      !report_number (object, "sd_miou", FALSE, &report->sd_miou) ||
      results == NULL || !JSON_NODE_HOLDS_ARRAY (results))
    return FALSE;
  report->n_folds = (int) n_folds;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (results)); i++)
    if (!read_report_entry (json_array_get_element (json_node_get_array (results), i), report,
                            names, sums, counts))
      return FALSE;
  report->class_iou = g_new (double, MAX (names->len, 1));
  for (guint k = 0; k < names->len; k++)
    report->class_iou[k] = g_array_index (sums, double, k) / g_array_index (counts, guint, k);
  g_ptr_array_add (names, NULL);
  report->class_names = (char **) g_ptr_array_steal (names, NULL);
  return TRUE;
}

UnetFoldsReport *
unet_folds_report_read (const char  *path,
                        GError     **error)
{
  g_autoptr(UnetFoldsReport) report = g_new0 (UnetFoldsReport, 1);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *file = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_file_test (path, G_FILE_TEST_IS_DIR)
         ? g_build_filename (path, UNET_FOLDS_RESULTS_JSON, NULL) : g_strdup (path);
  report->display = g_filename_display_name (file);
  report->scores = g_array_new (FALSE, FALSE, sizeof (UnetFoldScore));
  if (!json_parser_load_from_file (parser, file, &local_error))
    {
      g_set_error (error, G_FILE_ERROR,
                   local_error->domain == G_FILE_ERROR ? local_error->code : G_FILE_ERROR_INVAL,
                   "%s: %s", report->display, local_error->message);
      return NULL;
    }
  if (!read_report (json_parser_get_root (parser), report))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s: not the results of a cross-validation (unet train --folds)",
                   report->display);
      return NULL;
    }
  if (report->scores->len == 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s: no fold is done yet", report->display);
      return NULL;
    }
  return g_steal_pointer (&report);
}
