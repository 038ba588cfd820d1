/* unet-model-train.h — what training needs of a model beyond inference: its parameters and
 * gradients, backward, the dropout generator, the hooks of a distributed run, profiling
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdint.h>

#include <glib.h>

#include "unet-layers.h"
#include "unet-model.h"
#include "unet-profile.h"
#include "unet-rng.h"

G_BEGIN_DECLS

typedef enum
{
  UNET_PARAM_WEIGHT,       /* convolution weights: trained, decayed */
  UNET_PARAM_BIAS,         /* convolution biases: trained */
  UNET_PARAM_NORM_WEIGHT,  /* batch-norm gamma: trained */
  UNET_PARAM_NORM_BIAS,    /* batch-norm beta: trained */
  UNET_PARAM_RUNNING_STAT, /* batch-norm running mean/var: saved, never trained */
} UnetParamKind;

/* One tensor of the model, in its PyTorch name and layout. All parameters live in a single
 * allocation, gradients in a second one with the same offsets. */
typedef struct
{
  char          *name;     /* "enc.0.conv1.weight", ... */
  UnetParamKind  kind;
  int            ndim;
  int64_t        shape[4];
  size_t         numel;
  size_t         offset;   /* into the parameter and gradient blocks */
  float         *data;
  float         *grad;     /* NULL for running statistics */
} UnetParam;

guint             unet_model_get_n_params    (const UnetModel  *self);
UnetParam        *unet_model_get_param       (UnetModel        *self,
                                              guint             index);
UnetParam        *unet_model_find_param      (UnetModel        *self,
                                              const char       *name);
/* Number of trainable floats (running statistics excluded). */
size_t            unet_model_count_trainable (const UnetModel  *self);

/* From now on, adds the time and FLOPs of every layer the model runs to profile, by kind of
 * layer (NULL stops it). The profile is the caller's and must outlive its use. */
void              unet_model_set_profile      (UnetModel       *self,
                                               UnetProfile     *profile);

/* The generator behind dropout masks, so a checkpoint can store and restore it. */
UnetRng          *unet_model_get_rng          (UnetModel       *self);
/* Advances that generator past the masks of `samples` images at the prepared shape: a process
 * that holds images lo… of a batch split between processes draws the masks one process would
 * have drawn for them. */
void              unet_model_skip_dropout     (UnetModel       *self,
                                               int              samples);

/* All parameters (and running statistics) in one block of n floats, in the order of
 * unet_model_get_param; the gradients have the same layout (zero where there is nothing to
 * train). */
float            *unet_model_get_param_block  (UnetModel       *self,
                                               size_t          *n_floats);
float            *unet_model_get_grad_block   (UnetModel       *self,
                                               size_t          *n_floats);

/* What a model trained on a batch split between processes needs from the others. */
typedef struct
{
  /* Sums values over the processes, in place (synchronised batch norm). */
  UnetReduceFunc  reduce;
  /* Called during unet_model_backward as soon as the gradients of floats [offset, offset + n)
   * of the gradient block are final, one layer at a time from the head down, so that their
   * reduction can overlap the rest of the backward pass. They are not touched again until the
   * next unet_model_zero_grad. */
  void          (*gradients_ready) (float  *gradients,
                                    size_t  offset,
                                    size_t  n,
                                    void   *user_data);
  void           *user_data;
} UnetModelHooks;

/* NULL (the default) for a model trained by one process. */
void              unet_model_set_hooks        (UnetModel             *self,
                                               const UnetModelHooks  *hooks);

/* Batch-norm running statistics estimated from data instead of the training steps' moving
 * average (which lags behind weights that move, and saw dropout): after
 * unet_model_reset_bn_statistics, each unet_model_accumulate_bn_statistics runs one batch at
 * the prepared shape (prepared for training) with batch statistics and without dropout, and the
 * running mean and variance become the plain mean of the batch means and unbiased variances of
 * all the batches since the reset (PyTorch's BatchNorm with momentum=None). Nothing else
 * changes: parameters, gradients and the dropout generator stay as they were. No-op without
 * batch norm. */
void              unet_model_reset_bn_statistics      (UnetModel   *self);
void              unet_model_accumulate_bn_statistics (UnetModel   *self,
                                                       const float *input);

/* The buffer d loss / d logits goes into before unet_model_backward: the logits' own, so the loss
 * (which may work in place) overwrites the last training forward's logits with their gradient. */
float            *unet_model_get_logits_grad (UnetModel        *self);

void              unet_model_zero_grad       (UnetModel        *self);
/* Accumulates parameter gradients from unet_model_get_logits_grad(). Needs a training forward. */
void              unet_model_backward        (UnetModel        *self);

/* forward (training), softmax cross-entropy on labels [B,OH,OW] (255 ignored) with optional
 * pixel weights, zero_grad, backward. Returns the loss. */
double            unet_model_train_step      (UnetModel        *self,
                                              const float      *input,
                                              const uint8_t    *labels,
                                              const float      *pixel_weights);

G_END_DECLS
