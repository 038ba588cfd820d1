/* unet-model-private.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "unet-model-train.h"
#include "unet-profile.h"

G_BEGIN_DECLS

/* The model's insides, shared by unet-model.c (building it, its parameters and buffers) and
 * unet-model-passes.c (running it forward and backward). */

/* One 3x3 convolution with its optional batch norm and its ReLU. */
typedef struct
{
  int        weight, bias;                  /* parameter indices */
  int        gamma, beta, running_mean, running_var; /* -1 without batch norm */
  int        in_channels, out_channels;
  UnetShape  in_shape, out_shape;           /* set by prepare */
  float     *z;                             /* convolution output */
  float     *y;                             /* after batch norm (aliases z without); ReLU in place */
  float     *save_mean, *save_invstd;
  size_t     first, n_floats;               /* its parameters' floats in the blocks */
} ConvUnit;

typedef struct
{
  ConvUnit   conv1, conv2;
  int        width;
  /* encoder */
  float     *pool;
  UnetShape  pool_shape;
  /* decoder */
  int        up_weight, up_bias;
  float     *cat;                           /* [crop(skip), up] */
  UnetShape  cat_shape;
} Level;

struct _UnetModel
{
  UnetConfig  config;

  GPtrArray  *param_names;  /* owns the names of params[] */
  GArray     *params;       /* UnetParam */
  float      *param_block;
  float      *grad_block;
  size_t      n_param_floats;

  Level       enc[UNET_MAX_DEPTH];
  Level       mid;
  Level       dec[UNET_MAX_DEPTH];
  int         head_weight, head_bias;

  float       mean[3], std[3];
  double      input_scale;
  int         max_classes;
  GHashTable *info;
  GStrv       class_names;
  guint8     *palette;

  UnetRng     dropout_rng;
  /* batch-norm running statistics: the moving average's weight of a new batch, and how many
   * batches unet_model_accumulate_bn_statistics has averaged */
  float       bn_momentum;
  guint       bn_batches;

  UnetModelHooks     hooks;
  gboolean           has_hooks;
  UnetBatchNormSync  bn_sync;               /* its scratch: 2 × the widest layer + 1 */

  /* per-shape state, from unet_model_prepare */
  UnetShape   input_shape, output_shape;
  gboolean    prepared_for_training;
  float      *act_block, *act_grad_block, *work;
  size_t      n_act_floats, n_work_floats;
  float      *logits, *dlogits;
  /* training writes every activation's gradient over the activation; where a ReLU's output
   * gives way to its gradient, where it was positive is kept here first */
  guint8     *relu_mask;
  /* the first convolution's output lives in the decoder's top level's memory, and backward
   * computes it again */
  gboolean    recompute_first;
  float      *dropout_mask;
  const float *last_input;
  gboolean    last_forward_trained;

  float      *row_sums;   /* batch norm: the convolution's row sums, [B, OH, OC, 2] of the
                           * largest layer */

  UnetProfile *profile;                     /* not owned; NULL: not profiling */
};

static inline UnetParam *
param_at (UnetModel *self,
          int        index)
{
  return &g_array_index (self->params, UnetParam, index);
}

static inline float *
P (UnetModel *self,
   int        index)
{
  return param_at (self, index)->data;
}

static inline float *
G (UnetModel *self,
   int        index)
{
  return param_at (self, index)->grad;
}


/* Multiply-adds, counted twice, of one pass of the unit's 3×3 convolution (forward, input
 * gradient or weight gradient) at the prepared shape. */
static inline double
conv_unit_flops (const ConvUnit *unit)
{
  return 2.0 * unet_shape_numel (unit->out_shape) * unit->in_channels * 9;
}

/* The same for one pass of a decoder level's 2×2 up-convolution: every output is one tap over
 * all its input channels. */
static inline double
level_upconv_flops (const Level *level)
{
  return 2.0 * unet_shape_numel (level->cat_shape) / 2 * (2 * level->width);
}

G_END_DECLS
