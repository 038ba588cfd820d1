/* unet-resize.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* round(size · scale), at least 1: the side an image of `size` pixels has at that input scale. */
int  unet_resize_scaled_size (int          size,
                              double       scale);

/* Shrinks [channels,in_h,in_w] to [channels,out_h,out_w] by area averaging (a box filter, like
 * OpenCV's INTER_AREA): output pixel (y, x) is the mean of the input rectangle
 * [y·in_h/out_h, (y+1)·in_h/out_h) × [x·in_w/out_w, (x+1)·in_w/out_w), the pixels it covers only
 * in part weighted by the part covered. Meant for out <= in; equal sizes copy. */
void unet_resize_area        (float       *out,
                              const float *in,
                              int          channels,
                              int          in_h,
                              int          in_w,
                              int          out_h,
                              int          out_w);

/* Bilinear interpolation with pixel centres aligned (PyTorch's F.interpolate(mode="bilinear",
 * align_corners=False)): output pixel y samples the input at (y + 0.5)·in_h/out_h − 0.5, clamped
 * to the edge pixels. Every output pixel is a convex combination of input pixels with the same
 * weights in every channel, so class probabilities still sum to 1. Equal sizes copy. */
void unet_resize_bilinear    (float       *out,
                              const float *in,
                              int          channels,
                              int          in_h,
                              int          in_w,
                              int          out_h,
                              int          out_w);

G_END_DECLS
