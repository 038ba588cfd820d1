/* unet-conv-xsmm.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet-layers.h"

G_BEGIN_DECLS

/* The 3x3 convolution as direct convolution over batch-reduce GEMMs JIT-compiled by libxsmm,
 * for CPUs with AVX2 or AVX-512. Same arguments and conventions as unet_conv3x3_forward and
 * the input-gradient half of unet_conv3x3_backward (NCHW, weight [OC,C,3,3], forward writes,
 * backward accumulates into din); and the weight gradient, by batch-reduce GEMMs over an input
 * transposed a strip of rows at a time.
 *
 * The run functions return FALSE, having written nothing, if libxsmm cannot make a kernel for
 * the shape; the caller then uses the OpenBLAS path. */

/* TRUE if libxsmm JIT-compiles for this CPU (AVX2 or better), UNET_NO_XSMM is not set in the
 * environment and the path has not been switched off: whether unet_conv3x3_* should use it. The
 * functions below work whenever the CPU allows, whatever this says. */
gboolean unet_conv3x3_xsmm_available     (void);

/* Switches the libxsmm path on (the default) or off for the whole process, e.g. to time or test
 * the OpenBLAS path. */
void     unet_conv3x3_xsmm_set_enabled   (gboolean     enabled);

/* Floats of `work` that both of the functions below need for this layer. */
size_t   unet_conv3x3_xsmm_work_size     (UnetShape    in,
                                          int          out_channels,
                                          int          pad);

/* With relu, ReLU is applied to the output in the same pass (unet_conv3x3_relu_forward). */
gboolean unet_conv3x3_xsmm_forward       (float       *out,
                                          const float *in,
                                          const float *weight,
                                          const float *bias,
                                          UnetShape    in_shape,
                                          int          out_channels,
                                          int          pad,
                                          gboolean     relu,
                                          float       *work);

/* The forward without ReLU that also keeps, for batch norm, each output row's sum and sum of
 * squared deviations from the row's mean: row_sums[b, y, oc] = { Σx v, Σx (v - mean)² }
 * ([B, OH, OC, 2] floats), in the same pass as the bias while the rows are in cache. */
gboolean unet_conv3x3_xsmm_forward_sums  (float       *out,
                                          const float *in,
                                          const float *weight,
                                          const float *bias,
                                          UnetShape    in_shape,
                                          int          out_channels,
                                          int          pad,
                                          float       *row_sums,
                                          float       *work);

/* din += (or with accumulate FALSE, din =) the gradient of the convolution's output dout with
 * respect to its input. */
gboolean unet_conv3x3_xsmm_backward_data (float       *din,
                                          gboolean     accumulate,
                                          const float *dout,
                                          const float *weight,
                                          UnetShape    in_shape,
                                          int          out_channels,
                                          int          pad,
                                          float       *work);

/* Floats of `work` that unet_conv3x3_xsmm_backward_weights needs for this layer. */
size_t   unet_conv3x3_xsmm_weight_grad_work_size (UnetShape    in,
                                                  int          out_channels,
                                                  int          pad);

/* dweight += the gradient of the convolution's output dout with respect to its weights
 * [OC,C,3,3]; the bias gradient is the caller's. */
gboolean unet_conv3x3_xsmm_backward_weights (float       *dweight,
                                             const float *dout,
                                             const float *in,
                                             UnetShape    in_shape,
                                             int          out_channels,
                                             int          pad,
                                             float       *work);

G_END_DECLS
