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

#include "unet-trainer-private.h"
#include "unet/unet-model-train.h"

/* A seed for draw `index` of step `step`: every random number of a step is a function of the run
 * seed and the step, so a resumed run draws exactly what an uninterrupted one would. */
guint64
unet_trainer_step_seed (guint64 seed,
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
gboolean
unet_trainer_agree (UnetTrainer  *self,
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
/* The ids of a split, or those given (a cross-validation fold): ids whose image or class mask
 * is missing are an error, or with skip_bad left out with a warning. */
static GPtrArray *
run_ids (UnetTrainer  *self,
         char        **given,
         const char   *split,
         GError      **error)
{
  const UnetTrainOptions *o = &self->options;
  g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) ids = NULL;
  g_autofree char *what = NULL;

  if (given == NULL)
    {
      g_clear_pointer (&missing, g_ptr_array_unref);
      ids = voc_dataset_get_split (self->dataset, split, o->skip_bad, &missing, error);
      what = g_strdup_printf ("split “%s”", split);
    }
  else
    {
      ids = g_ptr_array_new_with_free_func (g_free);
      what = g_strdup ("the ids given");
      for (guint i = 0; given[i] != NULL; i++)
        {
          g_autofree char *image = voc_dataset_get_image_path (self->dataset, given[i]);
          g_autofree char *mask = voc_dataset_get_mask_path (self->dataset, given[i]);

          if (image != NULL && mask != NULL && g_file_test (image, G_FILE_TEST_IS_REGULAR) &&
              g_file_test (mask, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add (ids, g_strdup (given[i]));
          else if (o->skip_bad)
            g_ptr_array_add (missing, g_strdup (given[i]));
          else
            {
              g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                           "%s: sample “%s” has no image or no class mask", o->dataset, given[i]);
              return NULL;
            }
        }
      if (ids->len == 0)
        {
          g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                       "%s: none of the ids given has its files", o->dataset);
          return NULL;
        }
    }
  if (ids == NULL)
    return NULL;
  /* every rank finds the same; rank 0 says it */
  if (missing != NULL && missing->len > 0 && self->rank == 0)
    g_warning ("%s: skipping %u of the %u ids of %s whose files are missing",
               o->dataset, missing->len, missing->len + ids->len, what);
  return g_steal_pointer (&ids);
}

static gboolean
open_data (UnetTrainer  *self,
           gboolean      adopt_classes,
           GError      **error)
{
  UnetTrainOptions *o = &self->options;

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

  self->train_ids = run_ids (self, o->train_ids, o->train_split, error);
  if (self->train_ids == NULL)
    return FALSE;
  if (o->val_ids != NULL || (o->val_split != NULL && *o->val_split != '\0'))
    {
      self->val_ids = run_ids (self, o->val_ids, o->val_split, error);
      if (self->val_ids == NULL)
        return FALSE;
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

char *
unet_trainer_output_path (UnetTrainer *self,
                          const char  *name)
{
  return g_build_filename (self->options.output_dir, name, NULL);
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

  if (!unet_train_options_check (options, error))
    return NULL;

  self = g_new0 (UnetTrainer, 1);
  unet_train_options_copy (&self->options, options);
  if (!setup_ranks (self, dist, error))
    return NULL;

  /* Everything a rank can fail at before the ranks exchange anything, then one agreement:
   * the others must not wait for a rank that gave up. */
  if (self->rank == 0)
    {
      g_autofree char *checkpoint = unet_trainer_output_path (self, UNET_RUN_CHECKPOINT);

      if (g_file_test (checkpoint, G_FILE_TEST_EXISTS))
        g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                     "%s already holds a run (%s); continue it with --resume or choose another "
                     "folder", options->output_dir, UNET_RUN_CHECKPOINT);
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
  if (!unet_trainer_agree (self, "the start", &local_error, error))
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
          unet_trainer_allocate_batch (self, &local_error) &&
          self->rank == 0)
        {
          unet_run_remove_stale_temporaries (options->output_dir);
          self->logs = unet_run_writer_open (options->output_dir, -1, &local_error);
        }
    }
  if (!unet_trainer_agree (self, "the start", &local_error, error))
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
               GHashTable   *metadata,
               const char   *path,
               const char   *dir,
               gint64        steps,
               gint64        epochs,
               GError      **error)
{
  UnetRunState state;

  if (!unet_run_state_from_metadata (metadata, path, &self->options, &state, error))
    return FALSE;
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
  if (!unet_train_options_check (&self->options, error))
    return FALSE;
  /* the stored option rules, as for the rest of the run */
  unet_model_set_input_scale (self->model, self->options.input_scale);
  unet_model_set_max_classes (self->model, self->options.max_classes);
  self->step = state.step;
  self->best_miou = state.best_miou;
  self->trained_seconds = state.seconds;
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
  path = unet_run_path (dir, UNET_RUN_CHECKPOINT);
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
               unet_trainer_allocate_batch (self, &local_error) &&
               self->rank == 0)
        {
          unet_run_remove_stale_temporaries (dir);
          self->logs = unet_run_writer_open (dir, self->step, &local_error);
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
  unet_run_writer_free (self->logs);
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

void
unet_trainer_emit (UnetTrainer    *self,
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

/* Only rank 0 writes the logs. A log that cannot be written is worth a warning, not the run. */
static void
write_train_log (UnetTrainer *self,
                 double       loss,
                 double       lr)
{
  g_auto(UnetRunRecord) record = { 0 };
  g_autoptr(GError) error = NULL;

  if (self->logs == NULL)
    return;
  unet_run_record_init (&record, UNET_RUN_RECORD_TRAIN);
  record.step = self->step;
  record.epoch = (int) ((self->step - 1) / self->steps_per_epoch) + 1;
  record.loss = loss;
  record.lr = lr;
  record.images_per_s = self->images_per_s;
  if (!unet_run_writer_append (self->logs, &record, &error))
    g_warning ("%s", error->message);
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
  if (unet_trainer_fill_batch (self, &local_error) &&
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
  unet_rng_seed (unet_model_get_rng (self->model), unet_trainer_step_seed (o->seed, self->step, 0));
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
      if (!unet_trainer_fill_batch (self, error))
        return FALSE;
      if (!unet_model_prepare (self->model, o->batch, self->in_size, self->in_size, TRUE, error))
        return FALSE;

      unet_rng_seed (unet_model_get_rng (self->model), unet_trainer_step_seed (o->seed, self->step, 0));
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
  unet_trainer_emit (self, &event);

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
      g_autofree char *best = unet_trainer_output_path (self, UNET_RUN_BEST_MODEL);
      UnetTrainEvent finished = { .kind = UNET_TRAIN_EVENT_FINISHED, .path = best,
                                  .loss = loss, .lr = lr, .images_per_s = self->images_per_s };
      unet_trainer_emit (self, &finished);
    }
  return TRUE;
}

gboolean
unet_trainer_save_checkpoint (UnetTrainer  *self,
                              GError      **error)
{
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  UnetTrainEvent event = { 0 };
  UnetRunState state;

  g_return_val_if_fail (self != NULL, FALSE);

  /* rank 0 saves for all: they must all hold the weights it saves */
  if (self->dist != NULL &&
      !unet_distributed_check_same (self->dist, checksum_weights (self), "the weights", error))
    return FALSE;

  state.step = self->step;
  state.best_miou = self->best_miou;
  state.seconds = run_seconds (self);
  state.ranks = self->n_ranks;
  metadata = unet_run_state_to_metadata (&self->options, &state);
  unet_trainer_set_model_info (self, self->best_miou);

  path = unet_trainer_output_path (self, UNET_RUN_CHECKPOINT);
  /* the logs must not lag behind the checkpoint they will be cut back to */
  if (self->rank == 0 && unet_run_writer_sync (self->logs, &local_error))
    unet_checkpoint_save (self->model, self->optimizer, metadata, path, &local_error);
  if (!unet_trainer_agree (self, "rank 0's save of the checkpoint", &local_error, error))
    return FALSE;

  event.kind = UNET_TRAIN_EVENT_CHECKPOINT;
  event.path = path;
  event.loss = self->last_loss;
  unet_trainer_emit (self, &event);
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
