/* unet-layers.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#include "unet-rng.h"
#include "unet-shape.h"

G_BEGIN_DECLS

/* The layers of the U-Net as plain functions over flat float arrays in NCHW order.
 *
 * Conventions, the same for every layer:
 * - shapes are given explicitly; nothing is allocated; scratch memory comes in as `work`;
 * - forward writes its output (it never accumulates);
 * - backward ACCUMULATES (+=) into the input gradient and the parameter gradients, so a
 *   tensor read by two layers (a skip connection) simply receives both gradients, and
 *   `unet_model_zero_grad` clears them once per step. A NULL input gradient means "not needed".
 */

/* --- 3x3 convolution, stride 1; pad 0 ("valid") or 1 ("same") ---------------------------- */

/* Floats of scratch `work` that conv3x3 forward/backward need for this layer. */
size_t unet_conv3x3_work_size   (UnetShape in, int out_channels, int pad);

/* out[B,OC,OH,OW], OH = H - 2 + 2 pad. weight is PyTorch's [OC,C,3,3]; bias may be NULL. */
void   unet_conv3x3_forward     (float       *out,
                                 const float *in,
                                 const float *weight,
                                 const float *bias,
                                 UnetShape    in_shape,
                                 int          out_channels,
                                 int          pad,
                                 float       *work);

/* The same, keeping for batch norm each output row's sum and sum of squared deviations from
 * its own mean: row_sums [B, OH, OC, 2], in the output's own pass. FALSE (the output still
 * written) where the fast path is not there to gather them: batch norm then reads the output
 * itself. */
gboolean unet_conv3x3_forward_sums (float       *out,
                                    const float *in,
                                    const float *weight,
                                    const float *bias,
                                    UnetShape    in_shape,
                                    int          out_channels,
                                    int          pad,
                                    float       *row_sums,
                                    float       *work);

/* The same, followed by ReLU, in one pass over the output (the U-Net without batch norm). */
void   unet_conv3x3_relu_forward (float       *out,
                                  const float *in,
                                  const float *weight,
                                  const float *bias,
                                  UnetShape    in_shape,
                                  int          out_channels,
                                  int          pad,
                                  float       *work);

/* din += d loss / d in, for dout = d loss / d out; with accumulate FALSE, din = d loss / d in
 * (nothing needs to clear it first). */
void   unet_conv3x3_backward_data (float       *din,
                                   gboolean     accumulate,
                                   const float *dout,
                                   const float *weight,
                                   UnetShape    in_shape,
                                   int          out_channels,
                                   int          pad,
                                   float       *work);

/* dweight += d loss / d weight; dbias, when not NULL, += d loss / d bias. */
void   unet_conv3x3_backward_weights (float       *dweight,
                                      float       *dbias,
                                      const float *dout,
                                      const float *in,
                                      UnetShape    in_shape,
                                      int          out_channels,
                                      int          pad,
                                      float       *work);

/* Both of the above; din may be NULL (no input gradient). */
void   unet_conv3x3_backward    (float       *din,
                                 float       *dweight,
                                 float       *dbias,
                                 const float *dout,
                                 const float *in,
                                 const float *weight,
                                 UnetShape    in_shape,
                                 int          out_channels,
                                 int          pad,
                                 float       *work);

/* --- 1x1 convolution (the classifier head) -------------------------------------------------- */

/* weight [OC,C] (PyTorch's [OC,C,1,1]); bias may be NULL. */
void   unet_conv1x1_forward     (float       *out,
                                 const float *in,
                                 const float *weight,
                                 const float *bias,
                                 UnetShape    in_shape,
                                 int          out_channels);

/* din += d loss / d in (or, with accumulate FALSE, din = it), dweight and dbias +=. din may be
 * `in` itself: the weight gradient reads an image before its input gradient overwrites it. */
void   unet_conv1x1_backward    (float       *din,
                                 gboolean     accumulate,
                                 float       *dweight,
                                 float       *dbias,
                                 const float *dout,
                                 const float *in,
                                 const float *weight,
                                 UnetShape    in_shape,
                                 int          out_channels);

/* --- 2x2 up-convolution, stride 2 (ConvTranspose2d) ----------------------------------------- */

size_t unet_upconv_work_size    (UnetShape in,
                                 int       out_channels);

/* weight is PyTorch's ConvTranspose2d layout [IC,OC,2,2]. The output is [B,OC,2H,2W], written
 * with a per-image stride of out_batch_stride floats, so that it can land directly in the second
 * half of a decoder's concatenation buffer. */
void   unet_upconv_forward      (float       *out,
                                 size_t       out_batch_stride,
                                 const float *in,
                                 const float *weight,
                                 const float *bias,
                                 UnetShape    in_shape,
                                 int          out_channels,
                                 float       *work);

/* din += d loss / d in (with accumulate FALSE, din = it); dweight and dbias +=. din may be `in`
 * itself, as for unet_conv1x1_backward. */
void   unet_upconv_backward     (float       *din,
                                 gboolean     accumulate,
                                 float       *dweight,
                                 float       *dbias,
                                 const float *dout,
                                 size_t       dout_batch_stride,
                                 const float *in,
                                 const float *weight,
                                 UnetShape    in_shape,
                                 int          out_channels,
                                 float       *work);

/* --- centre crop (the skip connection's half of the concatenation) -------------------------- */

/* Copies the centre out_h x out_w window of in[B,C,H,W] (offset floor((H-out_h)/2)) to out,
 * whose images are out_batch_stride floats apart. */
void   unet_crop_forward        (float       *out,
                                 size_t       out_batch_stride,
                                 const float *in,
                                 UnetShape    in_shape,
                                 int          out_h,
                                 int          out_w);

/* din += the gradient of the crop, or with accumulate FALSE din = it (zero outside the crop). */
void   unet_crop_backward       (float       *din,
                                 gboolean     accumulate,
                                 const float *dout,
                                 size_t       dout_batch_stride,
                                 UnetShape    in_shape,
                                 int          out_h,
                                 int          out_w);

/* --- ReLU, in place ------------------------------------------------------------------------- */

void   unet_relu_forward        (float       *x,
                                 size_t       n);

/* dx = dout where out > 0, else 0: done in place on the gradient buffer. */
void   unet_relu_backward       (float       *dx,
                                 const float *out,
                                 size_t       n);

/* --- 2x2 max pooling, stride 2 (H and W must be even) --------------------------------------- */

void   unet_maxpool_forward     (float       *out,
                                 const float *in,
                                 UnetShape    in_shape);

/* Routes each output gradient to the first maximum of its window, as PyTorch does. */
void   unet_maxpool_backward    (float       *din,
                                 const float *dout,
                                 const float *in,
                                 UnetShape    in_shape);

/* The backward of an encoder level's output y[B,C,H,W] = ReLU(z), in place: y's buffer receives
 * d loss / d z, where d loss / d y is the max pool's gradient dpool routed to each window's
 * first maximum plus the skip connection's gradient dskip over the centre skip_h x skip_w crop
 * (images dskip_batch_stride floats apart). One pass: the pool, crop and ReLU backwards at once,
 * without a buffer for d loss / d y. */
void   unet_maxpool_skip_backward (float       *y,
                                   const float *dpool,
                                   const float *dskip,
                                   size_t       dskip_batch_stride,
                                   int          skip_h,
                                   int          skip_w,
                                   UnetShape    shape);

/* Training overwrites activations with their gradients, so a ReLU's output is gone by the time
 * its backward needs to know where it was positive: mask[i] = out[i] > 0 is kept first, and
 * dx[i] = mask[i] ? dx[i] : 0 applied after. A byte each: a quarter of a copy. */
void   unet_relu_mask_keep      (guint8       *mask,
                                 const float  *out,
                                 size_t        n);

void   unet_relu_mask_apply     (float        *dx,
                                 const guint8 *mask,
                                 size_t        n);

/* --- batch normalisation over (B, H, W) per channel ------------------------------------------ */

/* Sums `n` doubles over every process that holds a part of the batch, in place, and returns
 * when all have contributed. Synchronised batch norm calls it between its passes. */
typedef void (*UnetReduceFunc) (double *values,
                                size_t  n,
                                void   *user_data);

/* Batch norm over a batch split between processes: the statistics are those of the whole
 * batch, so N processes with b images each compute what one process with N·b would. */
typedef struct
{
  UnetReduceFunc  reduce;
  void           *user_data;
  double         *scratch;   /* 2 * channels + 1 doubles */
} UnetBatchNormSync;

typedef struct
{
  float                    momentum; /* running = (1 - momentum) running + momentum batch, as
                                      * PyTorch (0.1) */
  float                    eps;      /* 1e-5, as PyTorch */
  const UnetBatchNormSync *sync;     /* NULL: the statistics of this process's batch */
  gboolean                 relu;     /* a ReLU in the same pass: out = max(bn(x), 0) */
  const float             *row_sums; /* training: NULL, or the input's row sums from
                                      * unet_conv3x3_forward_sums, which spare batch norm two
                                      * passes over its input */
} UnetBatchNormParams;

/* Training mode: normalises with the batch statistics, saves mean and 1/sqrt(var + eps) per
 * channel for backward, and updates the running statistics (unbiased variance, as PyTorch). */
void   unet_batchnorm_forward_train (float                     *out,
                                     float                     *save_mean,
                                     float                     *save_invstd,
                                     float                     *running_mean,
                                     float                     *running_var,
                                     const float               *in,
                                     const float               *gamma,
                                     const float               *beta,
                                     UnetShape                  shape,
                                     const UnetBatchNormParams *params);

void   unet_batchnorm_forward_eval  (float                     *out,
                                     const float               *in,
                                     const float               *gamma,
                                     const float               *beta,
                                     const float               *running_mean,
                                     const float               *running_var,
                                     UnetShape                  shape,
                                     const UnetBatchNormParams *params);

/* Training mode's normalisation again, from the statistics it saved (not the batch's, not the
 * running ones, which stay as they are): what recomputing an activation in backward needs. */
void   unet_batchnorm_forward_saved (float       *out,
                                     const float *in,
                                     const float *gamma,
                                     const float *beta,
                                     const float *save_mean,
                                     const float *save_invstd,
                                     UnetShape    shape,
                                     gboolean     relu);

void   unet_batchnorm_backward      (float       *din,
                                     float       *dgamma,
                                     float       *dbeta,
                                     const float *dout,
                                     const float *in,
                                     const float *gamma,
                                     const float *save_mean,
                                     const float *save_invstd,
                                     UnetShape    shape);

/* The backward of synchronised batch norm: dgamma and dbeta receive this process's share (the
 * caller sums parameter gradients over the processes anyway), din the gradient through the
 * whole batch's statistics. With sync NULL it is unet_batchnorm_backward. With relu_out, the
 * output of a fused ReLU (params.relu), dout is the gradient of that output and passes only
 * where it is positive. din += the input gradient, or with accumulate FALSE din = it; then din
 * may be `in` or `dout` itself (each value is read before it is written). */
void   unet_batchnorm_backward_sync (float                   *din,
                                     gboolean                 accumulate,
                                     float                   *dgamma,
                                     float                   *dbeta,
                                     const float             *dout,
                                     const float             *relu_out,
                                     const float             *in,
                                     const float             *gamma,
                                     const float             *save_mean,
                                     const float             *save_invstd,
                                     UnetShape                shape,
                                     const UnetBatchNormSync *sync);

/* --- dropout (inverted: kept values are scaled by 1/(1-p)) ---------------------------------- */

/* In place; mask[i] is 0 or 1/(1-p) and is kept for backward. */
void   unet_dropout_forward     (float       *x,
                                 float       *mask,
                                 size_t       n,
                                 float        p,
                                 UnetRng     *rng);

void   unet_dropout_backward    (float       *dx,
                                 const float *mask,
                                 size_t       n);

/* --- softmax cross-entropy, fused with its gradient ------------------------------------------ */

#define UNET_IGNORE_LABEL 255

/* logits [B,K,H,W]; labels [B,H,W] (0..K-1, or 255 = ignored); pixel_weights [B,H,W] or NULL.
 * The loss is sum(w * -log softmax[label]) / (number of non-ignored pixels).
 * If dlogits is not NULL it receives (overwritten) d loss / d logits; it may be logits itself.
 * *n_counted (may be NULL) receives the number of non-ignored pixels.
 * Labels >= K other than 255 are treated as ignored. */
double unet_softmax_xent        (float         *dlogits,
                                 size_t        *n_counted,
                                 const float   *logits,
                                 const uint8_t *labels,
                                 const float   *pixel_weights,
                                 UnetShape      logits_shape);

/* The same for a part of a batch split between processes: returns the unnormalised sum
 * sum(w * -log softmax[label]) of this part, and dlogits is that sum's gradient divided by
 * `normalizer`, the non-ignored pixels of the whole batch. With normalizer = this part's count
 * it computes exactly what unet_softmax_xent does. */
double unet_softmax_xent_sum    (float         *dlogits,
                                 const float   *logits,
                                 const uint8_t *labels,
                                 const float   *pixel_weights,
                                 UnetShape      logits_shape,
                                 size_t         normalizer);

/* Non-ignored pixels of labels [n]: those below `classes` (255 and other values are not). */
size_t unet_count_labels        (const uint8_t *labels,
                                 size_t         n,
                                 int            classes);

/* Per-pixel softmax over the channel axis: probs [B,K,H,W]. */
void   unet_softmax             (float       *probs,
                                 const float *logits,
                                 UnetShape    logits_shape);

G_END_DECLS
