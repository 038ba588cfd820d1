/* unet-upconv-xsmm.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet-layers.h"

G_BEGIN_DECLS

/* The 2x2 stride-2 up-convolution (ConvTranspose2d) over GEMMs JIT-compiled by libxsmm. Same
 * arguments and conventions as unet_upconv_forward and unet_upconv_backward (weight
 * [IC,OC,2,2]); the bias gradient is the caller's. Each returns FALSE, having written nothing,
 * if libxsmm cannot make a kernel for the shape; the caller then uses the OpenBLAS path. Callers
 * check unet_conv3x3_xsmm_available first. */

/* Floats of `work` both functions need for this layer. */
size_t   unet_upconv_xsmm_work_size (UnetShape    in,
                                     int          out_channels);

gboolean unet_upconv_xsmm_forward   (float       *out,
                                     size_t       out_batch_stride,
                                     const float *in,
                                     const float *weight,
                                     const float *bias,
                                     UnetShape    in_shape,
                                     int          out_channels,
                                     float       *work);

/* din may be NULL, or `in` itself with accumulate FALSE. */
gboolean unet_upconv_xsmm_backward  (float       *din,
                                     gboolean     accumulate,
                                     float       *dweight,
                                     const float *dout,
                                     size_t       dout_batch_stride,
                                     const float *in,
                                     const float *weight,
                                     UnetShape    in_shape,
                                     int          out_channels,
                                     float       *work);

G_END_DECLS
