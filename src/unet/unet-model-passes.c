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

static void
conv_unit_forward (UnetModel   *self,
                   ConvUnit    *unit,
                   const float *in,
                   gboolean     training)
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

  if (!training)
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
  if (training)
    unet_batchnorm_forward_train (unit->y, unit->save_mean, unit->save_invstd,
                                  P (self, unit->running_mean), P (self, unit->running_var),
                                  unit->z, P (self, unit->gamma), P (self, unit->beta),
                                  unit->out_shape, &bn);
  else
    unet_batchnorm_forward_eval (unit->y, unit->z, P (self, unit->gamma), P (self, unit->beta),
                                 P (self, unit->running_mean), P (self, unit->running_var),
                                 unit->out_shape, &bn);
  unet_profile_add (self->profile, UNET_PROFILE_BATCH_NORM, t, 0.0);
}

static float *
zeroed (float     *buffer,
        UnetShape  shape)
{
  memset (buffer, 0, sizeof (float) * unet_shape_numel (shape));
  return buffer;
}

/* Backward through ReLU, batch norm and the convolution. dy holds d loss / d output and is
 * overwritten; spare is a buffer that does not alias it; din_buffer, when not NULL, receives
 * d loss / d input (otherwise the input gradient is not computed). With batch norm the
 * intermediate gradient needs a buffer of its own: spare, so din_buffer must not be spare. */
static void
conv_unit_backward (UnetModel   *self,
                    ConvUnit    *unit,
                    const float *in,
                    float       *dy,
                    float       *spare,
                    float       *din_buffer)
{
  int pad = self->config.padding == UNET_PADDING_SAME ? 1 : 0;
  float *dz = dy;
  gint64 t = unet_profile_start (self->profile);

  if (unit->gamma >= 0)
    {
      /* the ReLU's backward happens inside batch norm's, as its forward did */
      g_assert (spare != din_buffer && spare != dy);
      dz = zeroed (spare, unit->out_shape);
      unet_batchnorm_backward_sync (dz, G (self, unit->gamma), G (self, unit->beta),
                                    dy, unit->y, unit->z, P (self, unit->gamma),
                                    unit->save_mean, unit->save_invstd, unit->out_shape,
                                    bn_sync (self));
      unet_profile_add (self->profile, UNET_PROFILE_BATCH_NORM, t, 0.0);
    }
  else
    {
      unet_relu_backward (dy, unit->y, unet_shape_numel (unit->out_shape));
      unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);
    }
  g_assert (din_buffer != dz);

  t = unet_profile_start (self->profile);
  unet_conv3x3_backward_weights (G (self, unit->weight), G (self, unit->bias), dz, in,
                                 unit->in_shape, unit->out_channels, pad, self->work);
  unet_profile_add (self->profile, UNET_PROFILE_CONV_WEIGHT_GRAD, t, conv_unit_flops (unit));
  gradients_ready (self, unit->first, unit->n_floats);

  if (din_buffer != NULL)
    {
      t = unet_profile_start (self->profile);
      unet_conv3x3_backward_data (din_buffer, FALSE, dz, P (self, unit->weight),
                                  unit->in_shape, unit->out_channels, pad, self->work);
      unet_profile_add (self->profile, UNET_PROFILE_CONV_INPUT_GRAD, t, conv_unit_flops (unit));
    }
}

/* dst[b, c] = the first `shape.channels` planes of src's image b, whose images are src_stride
 * floats apart: the skip connection's half of the concatenation's gradient. */
static void
copy_planes (float       *dst,
             const float *src,
             size_t       src_stride,
             UnetShape    shape)
{
  size_t plane = (size_t) shape.height * shape.width;

#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < shape.batch; b++)
    for (int c = 0; c < shape.channels; c++)
      memcpy (dst + ((size_t) b * shape.channels + c) * plane,
              src + b * src_stride + c * plane, sizeof (float) * plane);
}

static const float *
forward (UnetModel   *self,
         const float *input,
         gboolean     training,
         gboolean     dropout)
{
  const UnetConfig *config;
  const float *x = input;
  int depth;
  gint64 t;

  config = &self->config;
  depth = config->depth;

  for (int i = 0; i < depth; i++)
    {
      Level *level = &self->enc[i];

      conv_unit_forward (self, &level->conv1, x, training);
      conv_unit_forward (self, &level->conv2, level->conv1.y, training);
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
  conv_unit_forward (self, &self->mid.conv1, x, training);
  conv_unit_forward (self, &self->mid.conv2, self->mid.conv1.y, training);
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
      conv_unit_forward (self, &level->conv1, level->cat, training);
      conv_unit_forward (self, &level->conv2, level->conv1.y, training);
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
  float *ping, *pong;
  size_t first, n;
  gint64 t;

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->last_forward_trained && self->act_grad_block != NULL);

  config = &self->config;
  depth = config->depth;
  /* `ping` always holds the gradient flowing down; `pong` is free */
  ping = self->grad_ping[0];
  pong = self->grad_ping[1];
#define SWAP_PING() G_STMT_START { float *t_ = ping; ping = pong; pong = t_; } G_STMT_END

  t = unet_profile_start (self->profile);

  unet_conv1x1_backward (zeroed (ping, self->dec[0].conv2.out_shape),
                         G (self, self->head_weight), G (self, self->head_bias),
                         self->dlogits, self->dec[0].conv2.y, P (self, self->head_weight),
                         self->dec[0].conv2.out_shape, config->classes);
  unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);
  param_range (self, self->head_weight, self->head_bias, &first, &n);
  gradients_ready (self, first, n);

  for (int i = 0; i < depth; i++)
    {
      Level *level = &self->dec[i];
      ConvUnit *skip = &self->enc[i].conv2;
      ConvUnit *below = i == depth - 1 ? &self->mid.conv2 : &self->dec[i + 1].conv2;
      size_t cat_stride = (size_t) level->cat_shape.channels * level->cat_shape.height * level->cat_shape.width;
      size_t half = (size_t) level->width * level->cat_shape.height * level->cat_shape.width;

      /* with batch norm the gradient of the input lands back in ping (its own gradient is spent),
       * without it in pong */
      conv_unit_backward (self, &level->conv2, level->conv1.y, ping, pong,
                          level->conv2.gamma >= 0 ? ping : pong);
      if (level->conv2.gamma < 0)
        SWAP_PING ();
      conv_unit_backward (self, &level->conv1, level->cat, ping, pong,
                          level->conv1.gamma >= 0 ? ping : pong);
      if (level->conv1.gamma < 0)
        SWAP_PING ();
      /* ping holds d cat now: its first half is the skip connection's */
      t = unet_profile_start (self->profile);
      copy_planes (skip->skip_grad, ping, cat_stride, skip_crop_shape (self, i));
      unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);
      t = unet_profile_start (self->profile);
      unet_upconv_backward (zeroed (pong, below->out_shape),
                            G (self, level->up_weight), G (self, level->up_bias),
                            ping + half, cat_stride, below->y, P (self, level->up_weight),
                            below->out_shape, level->width, self->work);
      unet_profile_add (self->profile, UNET_PROFILE_UP_CONV, t, 2.0 * level_upconv_flops (level));
      param_range (self, level->up_weight, level->up_bias, &first, &n);
      gradients_ready (self, first, n);
      SWAP_PING ();
    }

  conv_unit_backward (self, &self->mid.conv2, self->mid.conv1.y, ping, pong,
                      self->mid.conv2.gamma >= 0 ? ping : pong);
  if (self->mid.conv2.gamma < 0)
    SWAP_PING ();
  conv_unit_backward (self, &self->mid.conv1, self->enc[depth - 1].pool, ping, pong,
                      self->mid.conv1.gamma >= 0 ? ping : pong);
  if (self->mid.conv1.gamma < 0)
    SWAP_PING ();
  t = unet_profile_start (self->profile);
  if (config->dropout > 0.0f)
    unet_dropout_backward (ping, self->dropout_mask,
                           unet_shape_numel (self->enc[depth - 1].pool_shape));
  unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);

  for (int i = depth - 1; i >= 0; i--)
    {
      Level *level = &self->enc[i];
      const float *in = i == 0 ? self->last_input : self->enc[i - 1].pool;

      UnetShape crop = skip_crop_shape (self, i);

      /* ping holds d pool; d y of conv2 is the decoder's share, zero outside its crop, and
       * the pool's */
      t = unet_profile_start (self->profile);
      unet_crop_backward (pong, FALSE, level->conv2.skip_grad, unet_shape_numel (crop) / crop.batch,
                          level->conv2.out_shape, crop.height, crop.width);
      unet_maxpool_backward (pong, ping, level->conv2.y, level->conv2.out_shape);
      unet_profile_add (self->profile, UNET_PROFILE_OTHER_LAYERS, t, 0.0);
      SWAP_PING ();
      conv_unit_backward (self, &level->conv2, level->conv1.y, ping, pong,
                          level->conv2.gamma >= 0 ? ping : pong);
      if (level->conv2.gamma < 0)
        SWAP_PING ();
      conv_unit_backward (self, &level->conv1, in, ping, pong,
                          i == 0 ? NULL : (level->conv1.gamma >= 0 ? ping : pong));
      if (level->conv1.gamma < 0)
        SWAP_PING ();
    }
#undef SWAP_PING
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
