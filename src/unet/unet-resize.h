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

/* Rows [y0, y0 + rows) of an image of height × width pixels, stored as [channels,rows,width]:
 * how the band functions below name the part of an image they read or write, so that a large
 * image can be resized a few rows at a time. */
typedef struct
{
  int height;
  int width;
  int y0;
  int rows;
} UnetBand;

/* The input rows unet_resize_area_band reads to produce the rows of `out` (whose height and
 * width are the output's) from an image of in_h × in_w pixels. */
UnetBand unet_resize_area_source     (UnetBand     out,
                                      int          in_h,
                                      int          in_w);
/* The same for unet_resize_bilinear_band. */
UnetBand unet_resize_bilinear_source (UnetBand     out,
                                      int          in_h,
                                      int          in_w);

/* unet_resize_area and unet_resize_bilinear for the rows of out_band only, from the rows of
 * in_band, which must include the ones *_source names: each row comes out bit for bit as the
 * whole-image function computes it (which is these with every row). */
void unet_resize_area_band           (float       *out,
                                      UnetBand     out_band,
                                      const float *in,
                                      UnetBand     in_band,
                                      int          channels);
void unet_resize_bilinear_band       (float       *out,
                                      UnetBand     out_band,
                                      const float *in,
                                      UnetBand     in_band,
                                      int          channels);

G_END_DECLS
