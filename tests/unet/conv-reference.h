/* conv-reference.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "unet/unet-layers.h"
#include "unet/unet-rng.h"

G_BEGIN_DECLS

/* The slow, obvious versions of the layer kernels, used as oracles by the tests.
 *
 * They take the same arguments, in the same order, as the unet_* kernels of unet-layers.h and
 * follow the same conventions (NCHW, forward writes, backward accumulates), but they are plain
 * nested loops that accumulate in double: no im2col, no BLAS, no threads, no scratch memory.
 * In the ref_ backward functions any of the gradient outputs may be NULL. */

/* --- helpers -------------------------------------------------------------------------------- */

/* x[i] uniform in [lo, hi). */
/* A new array of n uniform values in [lo, hi) (at least one float, so n = 0 is valid). */
float *ref_new_uniform        (size_t       n,
                               UnetRng     *rng,
                               float        lo,
                               float        hi);
void   ref_fill_uniform       (float       *x,
                               size_t       n,
                               UnetRng     *rng,
                               float        lo,
                               float        hi);

/* max_i |a[i] - b[i]|; +inf if either holds a NaN. */
double ref_max_abs_diff       (const float *a,
                               const float *b,
                               size_t       n);

/* max_i |a[i] - b[i]| / max_i |b[i]|: the error relative to the scale of the reference b, so
 * that entries which happen to be near zero do not dominate. +inf on NaN; 0 if both are all
 * zero. */
double ref_max_rel_error      (const float *a,
                               const float *b,
                               size_t       n);

/* sum_i a[i] b[i], accumulated in double. */
double ref_dot                (const float *a,
                               const float *b,
                               size_t       n);

/* --- 3x3 convolution, stride 1, pad 0 or 1; weight [OC,C,3,3] ------------------------------- */

void   ref_conv3x3_forward    (float       *out,
                               const float *in,
                               const float *weight,
                               const float *bias,
                               UnetShape    in_shape,
                               int          out_channels,
                               int          pad);

void   ref_conv3x3_backward   (float       *din,
                               float       *dweight,
                               float       *dbias,
                               const float *dout,
                               const float *in,
                               const float *weight,
                               UnetShape    in_shape,
                               int          out_channels,
                               int          pad);

/* --- 1x1 convolution; weight [OC,C] --------------------------------------------------------- */

void   ref_conv1x1_forward    (float       *out,
                               const float *in,
                               const float *weight,
                               const float *bias,
                               UnetShape    in_shape,
                               int          out_channels);

void   ref_conv1x1_backward   (float       *din,
                               float       *dweight,
                               float       *dbias,
                               const float *dout,
                               const float *in,
                               const float *weight,
                               UnetShape    in_shape,
                               int          out_channels);

/* --- 2x2 up-convolution, stride 2; weight [IC,OC,2,2] (ConvTranspose2d) --------------------- */

/* out[b,oc,2y+ky,2x+kx] = bias[oc] + sum_ic in[b,ic,y,x] weight[ic,oc,ky,kx]; image b of the
 * output starts at out + b * out_batch_stride. */
void   ref_upconv_forward     (float       *out,
                               size_t       out_batch_stride,
                               const float *in,
                               const float *weight,
                               const float *bias,
                               UnetShape    in_shape,
                               int          out_channels);

void   ref_upconv_backward    (float       *din,
                               float       *dweight,
                               float       *dbias,
                               const float *dout,
                               size_t       dout_batch_stride,
                               const float *in,
                               const float *weight,
                               UnetShape    in_shape,
                               int          out_channels);

/* --- 2x2 max pooling, stride 2 -------------------------------------------------------------- */

void   ref_maxpool_forward    (float       *out,
                               const float *in,
                               UnetShape    in_shape);

/* The gradient goes to the first maximum of each window in the order (0,0) (0,1) (1,0) (1,1). */
void   ref_maxpool_backward   (float       *din,
                               const float *dout,
                               const float *in,
                               UnetShape    in_shape);

G_END_DECLS
