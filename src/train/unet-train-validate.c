/* unet-train-validate.c — validation, batch-norm re-estimation and the best model
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "unet-trainer-private.h"
#include "unet/unet-model-train.h"

/* --- validation and saving ------------------------------------------------------------------ */

void
unet_trainer_set_model_info (UnetTrainer *self,
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

  unet_trainer_set_model_info (self, miou);
  if (self->rank == 0)
    {
      g_autofree char *path = unet_trainer_output_path (self, UNET_RUN_BEST_MODEL);

      unet_model_save (self->model, path, &local_error);
    }
  return unet_trainer_agree (self, "rank 0's save of the best model", &local_error, error);
}

static void
write_val_log (UnetTrainer         *self,
               double               val_loss,
               const UnetConfusion *confusion,
               const double        *iou,
               const gboolean      *present)
{
  const char *const *names = unet_model_get_class_names (self->model);
  g_auto(UnetRunRecord) record = { 0 };
  g_autoptr(GError) error = NULL;
  guint n = 0;

  if (self->logs == NULL)
    return;
  unet_run_record_init (&record, UNET_RUN_RECORD_VAL);
  record.step = self->step;
  record.epoch = (int) ((self->step - 1) / self->steps_per_epoch) + 1;
  record.val_loss = val_loss;
  record.miou = unet_confusion_miou (confusion);
  record.pixel_accuracy = unet_confusion_pixel_accuracy (confusion);
  record.mean_class_accuracy = unet_confusion_mean_class_accuracy (confusion);
  record.class_names = g_new0 (char *, confusion->n_classes + 1);
  record.class_iou = g_new (double, MAX (confusion->n_classes, 1));
  for (int k = 0; k < confusion->n_classes; k++)
    if (present[k])
      {
        record.class_names[n] = g_strdup (names[k]);
        record.class_iou[n++] = iou[k];
      }
  record.n_classes = n;
  if (!unet_run_writer_append (self->logs, &record, &error))
    g_warning ("%s", error->message);
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
          VocSample *sample = unet_trainer_load_sample (self, i, &owned, &local_error);

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

          sample = unet_trainer_load_sample (self, tile / 2, &owned, &local_error);
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
          unet_trainer_normalise (self, self->batch_input + b * in_floats);
        }
      unet_model_accumulate_bn_statistics (self->model, self->batch_input);
    }
  return TRUE;
}

/* One validation image: its classes into the confusion matrix, its pixels' loss into the sums;
 * the predicted classes come back in *prediction. */
static gboolean
validate_sample (UnetTrainer               *self,
                 const VocSample           *sample,
                 const UnetPredictOptions  *predict_options,
                 gboolean                   limited,
                 UnetConfusion             *confusion,
                 double                    *loss_sum,
                 guint64                   *loss_count,
                 guint8                   **prediction,
                 GError                   **error)
{
  int K = unet_model_get_config (self->model)->classes;
  size_t plane = (size_t) sample->width * sample->height;
  g_autofree float *probs = NULL;
  g_autofree float *limited_probs = NULL;
  g_autofree guint8 *classes = NULL;

  /* The loss is the network's own; the classes are what a user gets, with the model's limit on
   * foreground classes per image, which zeroes probabilities the loss needs. */
  classes = g_try_new (guint8, plane);
  probs = g_try_new (float, plane * K);
  if (limited)
    limited_probs = g_try_new (float, plane * K);
  if (classes == NULL || probs == NULL || (limited && limited_probs == NULL))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                   "Not enough memory for the classes of a %d×%d image",
                   sample->width, sample->height);
      return FALSE;
    }
  if (!unet_model_predict_image (self->model,
                                 &(UnetImage) { sample->height, sample->width, sample->rgb, NULL },
                                 predict_options,
                                 &(UnetPrediction) {
                                   .classes = classes,
                                   .probs = limited ? limited_probs : probs,
                                   .unlimited_probs = limited ? probs : NULL },
                                 error))
    return FALSE;

  unet_confusion_add (confusion, sample->labels, classes, plane);
  for (size_t p = 0; p < plane; p++)
    if (sample->labels[p] < K)
      {
        *loss_sum -= log (MAX (probs[(size_t) sample->labels[p] * plane + p], 1e-12f));
        (*loss_count)++;
      }
  *prediction = g_steal_pointer (&classes);
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
      g_autofree guint8 *prediction = NULL;

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

      if (!validate_sample (self, sample, &predict_options, limited, confusion, &loss_sum,
                            &loss_count, &prediction, &local_error))
        {
          g_prefix_error (&local_error, "%s: ", id);
          failure = g_steal_pointer (&local_error);
          break;
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
  unet_trainer_emit (self, &event);
  return TRUE;
}
