/* unet-train-batches.c — the training batches: sample order and cache, augmentation, copy-paste
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "unet-trainer-private.h"

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

gboolean
unet_trainer_allocate_batch (UnetTrainer  *self,
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

static void
ensure_order (UnetTrainer *self,
              gint64       epoch)
{
  guint n = self->train_ids->len;
  UnetRng rng;

  if (self->order_epoch == epoch)
    return;

  /* a fresh shuffle per epoch, a function of the seed and the epoch alone */
  unet_rng_seed (&rng, unet_trainer_step_seed (self->options.seed, -1 - epoch, 0));
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

VocSample *
unet_trainer_load_sample (UnetTrainer  *self,
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

void
unet_trainer_normalise (UnetTrainer *self,
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

  sample = unet_trainer_load_sample (self, index, &owned, &local_error);
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

gboolean
unet_trainer_fill_batch (UnetTrainer  *self,
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
          sample = unet_trainer_load_sample (self, self->order[p % n], &owned, &local_error);
          if (sample != NULL)
            {
              unet_rng_seed (&rng, unet_trainer_step_seed (o->seed, self->step, g + 1));
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
      unet_trainer_normalise (self, self->batch_input + b * in_floats);
    }
  return TRUE;
}
