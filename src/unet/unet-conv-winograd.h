/* unet-conv-winograd.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet-layers.h"
#include "unet-xsmm-private.h"

G_BEGIN_DECLS

/* The 3x3 convolution's forward as Winograd F(2x2, 3x3) over libxsmm GEMMs, for the shapes it
 * suits (even output sizes, at least 128 channels on both sides, at least 512 2x2 tiles): 16
 * multiplies per input channel and 2x2 output block where direct convolution needs 36. Private
 * to the libxsmm path (unet-conv-xsmm.c), which calls it with its output pass. */

typedef enum
{
  UNET_WINOGRAD_AUTO,     /* the shapes where it measured faster than direct convolution */
  UNET_WINOGRAD_ALWAYS,   /* every shape it can do (even output sizes): for tests */
  UNET_WINOGRAD_NEVER,    /* the default under UNET_NO_WINOGRAD: to time or test direct */
} UnetWinogradPolicy;

void     unet_conv3x3_winograd_set_policy   (UnetWinogradPolicy policy);

/* Whether the forward takes this shape, under the current policy. */
gboolean unet_conv3x3_winograd_suits        (UnetShape         in,
                                             int               out_channels,
                                             int               pad);

/* Floats of work the forward needs; 0 where it does not suit. */
size_t   unet_conv3x3_winograd_work_size    (UnetShape         in,
                                             int               out_channels,
                                             int               pad);

/* FALSE, having written nothing, where it does not suit or libxsmm makes no kernel. */
gboolean unet_conv3x3_winograd_forward      (float            *out,
                                             const float      *in,
                                             const float      *weight,
                                             UnetShape         in_shape,
                                             int               out_channels,
                                             int               pad,
                                             const OutputPass *pass,
                                             float            *work);

G_END_DECLS
