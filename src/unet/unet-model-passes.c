/* unet-model-passes.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "unet-model-private.h"

/* --- forward and backward --------------------------------------------------------------------- */

static inline const UnetBatchNormSync *
bn_sync (UnetModel *self)
{
  return self->has_hooks && self->hooks.reduce ? &self->bn_sync : NULL;
}

/* The gradients of one layer's tensors are final. */
static inline void
gradients_ready (UnetModel *self,
                 size_t     first,
                 size_t     n)
{
  if (self->has_hooks && self->hooks.gradients_ready)
    self->hooks.gradients_ready (self->grad_block, first, n, self->hooks.user_data);
}

static inline void
param_range (UnetModel *self,
             int        first_param,
             int        last_param,
             size_t    *first,
             size_t    *n)
{
  const UnetParam *a = param_at (self, first_param), *b = param_at (self, last_param);

  *first = a->offset;
  *n = b->offset + b->numel - a->offset;
}

/* How a unit's forward runs: for inference (batch norm from its running statistics), for
 * training (from the batch's, which it saves and adds to the running ones), or again in
 * backward for an output that was not kept (from the saved statistics: the same values bit for
 * bit, since the weights have not moved, and the running statistics left alone). */
typedef enum
{
  UNIT_EVAL,
  UNIT_TRAIN,
  UNIT_REPLAY,
} UnitPass;

static void
conv_unit_forward (UnetModel   *self,
                   ConvUnit    *unit,
                   const float *in,
                   UnitPass     mode)
{
  UnetBatchNormParams bn = { self->bn_momentum, 1e-5f, bn_sync (self), TRUE, NULL };
  int pad = self->config.padding == UNET_PADDING_SAME ? 1 : 0;
  gint64 t = unet_profile_start (self->profile);

  if (unit->gamma < 0)
    {
      unet_conv3x3_relu_forward (unit->y, in, P (self, unit->weight), P (self, unit->bias),
                                 unit->in_shape, unit->out_channels, pad, self->work);
      unet_profile_add (self->profile, UNET_PROFILE_CONV_FORWARD, t, conv_unit_flops (unit));
      return;
    }

  if (mode != UNIT_TRAIN)
    unet_conv3x3_forward (unit->z, in, P (self, unit->weight), P (self, unit->bias),
                          unit->in_shape, unit->out_channels, pad, self->work);
  /* in training the convolution's output pass also keeps the sums batch norm needs, where the
   * fast path can; it writes the output either way */
  else if (unet_conv3x3_forward_sums (unit->z, in, P (self, unit->weight), P (self, unit->bias),
                                      unit->in_shape, unit->out_channels, pad, self->row_sums,
                                      self->work))
    bn.row_sums = self->row_sums;
  unet_profile_add (self->profile, UNET_PROFILE_CONV_FORWARD, t, conv_unit_flops (unit));
  t = unet_profile_start (self->profile);
  if (mode == UNIT_TRAIN)
    unet_batchnorm_forward_train (unit->y, unit->save_mean, unit->save_invstd,
                                  P (self, unit->running_mean), P (self, unit->running_var),
                                  unit->z, P (self, unit->gamma), P (self, unit->beta),
                                  unit->out_shape, &bn);
  else if (mode == UNIT_REPLAY)
    unet_batchnorm_forward_saved (unit->y, unit->z, P (self, unit->gamma), P (self, unit->beta),
                                  unit->save_mean, unit->save_invstd, unit->out_shape, TRUE);
  else
    unet_batchnorm_forward_eval (unit->y, unit->z, P (self, unit->gamma), P (self, unit->beta),
                                 P (self, unit->running_mean), P (self, unit->running_var),
                                 unit->out_shape, &bn);
  unet_profile_add (self->profile, UNET_PROFILE_BATCH_NORM, t, 0.0);
}

/* Training writes each activation's gradient over the activation: by the time a tensor's
 * gradient is known, its value has served every backward that reads it. */

/* Backward through the unit's ReLU, batch norm and convolution. On entry the unit's output
 * buffer y holds d loss / d (the ReLU's input), written there over y by the layer above. din is
 * NULL (no input gradient) or `in` itself: its values give the weight gradient, then make way
 * for d loss / d in — with through_relu, passed on only where `in` (a ReLU's output) was
 * positive, as the layer that made it needs. */
static void
conv_unit_backward (UnetModel   *self,
                    ConvUnit    *unit,
                    const float *in,
                    float       *din,
                    gboolean     through_relu)
{
  int pad = self->config.padding == UNET_PADDING_SAME ? 1 : 0;
  size_t n_in = unet_shape_numel (unit->in_shape);
  float *dz = unit->y;
  gint64 t = unet_profile_start (self->profile);

  g_assert (din == NULL || din == in);

  if (unit->gamma >= 0)
    {
      /* d z over z, which batch norm's backward reads value by value as it writes */
      unet_batchnorm_backward_sync (unit->z, FALSE, G (self, unit->gamma), G (self, unit->beta),
                                    unit->y, NULL, unit->z, P (self, unit->gamma),
                                    unit->save_mean, unit->save_invstd, unit->out_shape,
                                    bn_sync (self));
      dz = unit->z;
      unet_profile_add (self->profile, UNET_PROFILE_BATCH_NORM, t, 0.0);
    }

  t = unet_profile_start (self->profile);
  unet_conv3x3_backward_weights (G (self, unit->weight), G (self, unit->bias), dz, in,
                                 unit->in_shape, unit->out_channels, pad, self->work);
  unet_profile_add (self->profile, UNET_PROFILE_CONV_WEIGHT_GRAD, t, conv_unit_flops (unit));
  gradients_ready (self, unit->first, unit->n_floats);

  if (din == NULL)
    return;
  t = unet_profile_start (self->profile);
  if (through_relu)
    unet_relu_mask_keep (self->relu_mask, in, n_in);
  unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);
  t = unet_profile_start (self->profile);
  unet_conv3x3_backward_data (din, FALSE, dz, P (self, unit->weight),
                              unit->in_shape, unit->out_channels, pad, self->work);
  unet_profile_add (self->profile, UNET_PROFILE_CONV_INPUT_GRAD, t, conv_unit_flops (unit));
  t = unet_profile_start (self->profile);
  if (through_relu)
    unet_relu_mask_apply (din, self->relu_mask, n_in);
  unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);
}

static const float *
forward (UnetModel   *self,
         const float *input,
         gboolean     training,
         gboolean     dropout)
{
  const UnetConfig *config;
  const float *x = input;
  UnitPass pass = training ? UNIT_TRAIN : UNIT_EVAL;
  int depth;
  gint64 t;

  config = &self->config;
  depth = config->depth;

  for (int i = 0; i < depth; i++)
    {
      Level *level = &self->enc[i];

      conv_unit_forward (self, &level->conv1, x, pass);
      conv_unit_forward (self, &level->conv2, level->conv1.y, pass);
      t = unet_profile_start (self->profile);
      unet_maxpool_forward (level->pool, level->conv2.y, level->conv2.out_shape);
      unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);
      x = level->pool;
    }

  t = unet_profile_start (self->profile);
  if (dropout && config->dropout > 0.0f)
    unet_dropout_forward (self->enc[depth - 1].pool, self->dropout_mask,
                          unet_shape_numel (self->enc[depth - 1].pool_shape),
                          config->dropout, &self->dropout_rng);

  unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);
  conv_unit_forward (self, &self->mid.conv1, x, pass);
  conv_unit_forward (self, &self->mid.conv2, self->mid.conv1.y, pass);
  x = self->mid.conv2.y;

  for (int i = depth - 1; i >= 0; i--)
    {
      Level *level = &self->dec[i];
      const ConvUnit *skip = &self->enc[i].conv2;
      const ConvUnit *below = i == depth - 1 ? &self->mid.conv2 : &self->dec[i + 1].conv2;
      size_t cat_stride = (size_t) level->cat_shape.channels * level->cat_shape.height * level->cat_shape.width;
      size_t half = (size_t) level->width * level->cat_shape.height * level->cat_shape.width;

      t = unet_profile_start (self->profile);
      unet_crop_forward (level->cat, cat_stride, skip->y, skip->out_shape,
                         level->cat_shape.height, level->cat_shape.width);
      unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);
      t = unet_profile_start (self->profile);
      unet_upconv_forward (level->cat + half, cat_stride, x,
                           P (self, level->up_weight), P (self, level->up_bias),
                           below->out_shape, level->width, self->work);
      unet_profile_add (self->profile, UNET_PROFILE_UP_CONV, t, level_upconv_flops (level));
      conv_unit_forward (self, &level->conv1, level->cat, pass);
      conv_unit_forward (self, &level->conv2, level->conv1.y, pass);
      x = level->conv2.y;
    }

  t = unet_profile_start (self->profile);
  unet_conv1x1_forward (self->logits, x, P (self, self->head_weight), P (self, self->head_bias),
                        self->dec[0].conv2.out_shape, config->classes);
  unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);

  self->last_input = input;
  self->last_forward_trained = training;
  return self->logits;
}

const float *
unet_model_forward (UnetModel   *self,
                    const float *input,
                    gboolean     training)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (self->act_block != NULL, NULL);
  g_return_val_if_fail (!training || self->prepared_for_training, NULL);

  return forward (self, input, training, training);
}

void
unet_model_reset_bn_statistics (UnetModel *self)
{
  g_return_if_fail (self != NULL);

  self->bn_batches = 0;
}

void
unet_model_accumulate_bn_statistics (UnetModel   *self,
                                     const float *input)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (input != NULL);
  g_return_if_fail (self->act_block != NULL && self->prepared_for_training);

  if (self->config.norm != UNET_NORM_BATCH)
    return;
  /* weight 1/(n+1) for batch n+1 keeps the running value the plain mean of all n+1 batches;
   * the first batch replaces whatever was there */
  self->bn_momentum = 1.0f / (float) (self->bn_batches + 1);
  forward (self, input, TRUE, FALSE);
  self->bn_momentum = 0.1f;
  self->bn_batches++;
  /* the activations belong to no training step: backward must not use them */
  self->last_forward_trained = FALSE;
}

float *
unet_model_get_logits_grad (UnetModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->dlogits;
}

void
unet_model_zero_grad (UnetModel *self)
{
  gint64 t;

  g_return_if_fail (self != NULL);

  t = unet_profile_start (self->profile);
  memset (self->grad_block, 0, sizeof (float) * self->n_param_floats);
  unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);
}

void
unet_model_set_profile (UnetModel   *self,
                        UnetProfile *profile)
{
  g_return_if_fail (self != NULL);

  self->profile = profile;
}

void
unet_model_backward (UnetModel *self)
{
  const UnetConfig *config;
  int depth;
  size_t first, n;
  gint64 t;
  ConvUnit *top;

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->last_forward_trained && self->relu_mask != NULL);

  config = &self->config;
  depth = config->depth;
  top = &self->dec[0].conv2;

  t = unet_profile_start (self->profile);
  unet_relu_mask_keep (self->relu_mask, top->y, unet_shape_numel (top->out_shape));
  unet_conv1x1_backward (top->y, FALSE, G (self, self->head_weight), G (self, self->head_bias),
                         self->dlogits, top->y, P (self, self->head_weight), top->out_shape,
                         config->classes);
  unet_relu_mask_apply (top->y, self->relu_mask, unet_shape_numel (top->out_shape));
  unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);
  param_range (self, self->head_weight, self->head_bias, &first, &n);
  gradients_ready (self, first, n);

  for (int i = 0; i < depth; i++)
    {
      Level *level = &self->dec[i];
      ConvUnit *below = i == depth - 1 ? &self->mid.conv2 : &self->dec[i + 1].conv2;
      size_t cat_stride = (size_t) level->cat_shape.channels * level->cat_shape.height * level->cat_shape.width;
      size_t half = (size_t) level->width * level->cat_shape.height * level->cat_shape.width;
      size_t n_below = unet_shape_numel (below->out_shape);

      conv_unit_backward (self, &level->conv2, level->conv1.y, level->conv1.y, TRUE);
      /* the concatenation holds its gradient now: the first half the skip connection's, kept
       * there for the encoder's turn, the second the up-convolution's */
      conv_unit_backward (self, &level->conv1, level->cat, level->cat, FALSE);
      t = unet_profile_start (self->profile);
      unet_relu_mask_keep (self->relu_mask, below->y, n_below);
      unet_upconv_backward (below->y, FALSE, G (self, level->up_weight), G (self, level->up_bias),
                            level->cat + half, cat_stride, below->y, P (self, level->up_weight),
                            below->out_shape, level->width, self->work);
      unet_relu_mask_apply (below->y, self->relu_mask, n_below);
      unet_profile_add (self->profile, UNET_PROFILE_UP_CONV, t, 2.0 * level_upconv_flops (level));
      param_range (self, level->up_weight, level->up_bias, &first, &n);
      gradients_ready (self, first, n);
    }

  conv_unit_backward (self, &self->mid.conv2, self->mid.conv1.y, self->mid.conv1.y, TRUE);
  conv_unit_backward (self, &self->mid.conv1, self->enc[depth - 1].pool,
                      self->enc[depth - 1].pool, FALSE);
  t = unet_profile_start (self->profile);
  if (config->dropout > 0.0f)
    unet_dropout_backward (self->enc[depth - 1].pool, self->dropout_mask,
                           unet_shape_numel (self->enc[depth - 1].pool_shape));
  unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);

  for (int i = depth - 1; i >= 0; i--)
    {
      Level *level = &self->enc[i];
      const Level *dec = &self->dec[i];
      float *in = i == 0 ? NULL : self->enc[i - 1].pool;
      size_t cat_stride = unet_shape_numel (dec->cat_shape) / dec->cat_shape.batch;

      /* the pool's gradient, the skip connection's share from the decoder's concatenation */
      t = unet_profile_start (self->profile);
      unet_maxpool_skip_backward (level->conv2.y, level->pool, dec->cat, cat_stride,
                                  dec->cat_shape.height, dec->cat_shape.width,
                                  level->conv2.out_shape);
      unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);
      /* the decoder's top level is spent: its memory takes the first convolution's output */
      if (i == 0 && self->recompute_first)
        conv_unit_forward (self, &level->conv1, self->last_input, UNIT_REPLAY);
      conv_unit_backward (self, &level->conv2, level->conv1.y, level->conv1.y, TRUE);
      conv_unit_backward (self, &level->conv1, i == 0 ? self->last_input : in, in, FALSE);
    }

  /* the activations are gradients now: another backward needs another forward */
  self->last_forward_trained = FALSE;
}

double
unet_model_train_step (UnetModel     *self,
                       const float   *input,
                       const uint8_t *labels,
                       const float   *pixel_weights)
{
  double loss;

  g_return_val_if_fail (self != NULL, 0.0);

  unet_model_forward (self, input, TRUE);
  loss = unet_softmax_xent (self->dlogits, NULL, self->logits, labels, pixel_weights,
                            self->output_shape);
  unet_model_zero_grad (self);
  unet_model_backward (self);
  return loss;
}
