/* unet-profile.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where a training step's time goes, by kind of layer: what `unet bench` reports as seconds
 * and GFLOP/s per kind, so that the next bottleneck is visible. */
typedef enum
{
  UNET_PROFILE_CONV_FORWARD,      /* 3×3 convolutions with their bias (and ReLU) */
  UNET_PROFILE_CONV_INPUT_GRAD,   /* their input gradients */
  UNET_PROFILE_CONV_WEIGHT_GRAD,  /* their weight and bias gradients */
  UNET_PROFILE_BATCH_NORM,        /* batch norm with its ReLU, forward and backward */
  UNET_PROFILE_UP_CONV,           /* 2×2 up-convolutions, forward and backward */
  UNET_PROFILE_OTHER_LAYERS,      /* pooling, crop and concatenation, the 1×1 head, ReLU
                                   * backward, zeroing of gradients, dropout */
  UNET_PROFILE_N_KINDS
} UnetProfileKind;

typedef struct
{
  double seconds[UNET_PROFILE_N_KINDS];
  double flops[UNET_PROFILE_N_KINDS];   /* multiply-adds counted twice; 0 where not counted */
  guint64 calls[UNET_PROFILE_N_KINDS];
} UnetProfile;

/* "conv_forward", "conv_input_grad", …: the names `unet bench` prints. */
const char *unet_profile_kind_name (UnetProfileKind  kind);

void        unet_profile_reset     (UnetProfile     *profile);

/* The clock the profile counts in, in nanoseconds; 0 when profile is NULL, so that a model
 * without a profile pays no system call. */
gint64      unet_profile_start     (const UnetProfile *profile);

/* Adds the time since `start` (from unet_profile_start) and `flops` to `kind`; nothing when
 * profile is NULL. */
void        unet_profile_add       (UnetProfile     *profile,
                                    UnetProfileKind  kind,
                                    gint64           start,
                                    double           flops);

G_END_DECLS
