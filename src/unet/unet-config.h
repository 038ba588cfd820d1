/* unet-config.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define UNET_MAX_DEPTH 5
/* Class numbers are bytes in masks, and 255 is void. */
#define UNET_MAX_CLASSES 255
#define UNET_MIN_DEPTH 1

typedef enum
{
  UNET_PADDING_VALID, /* the paper: unpadded convolutions, skip maps centre-cropped */
  UNET_PADDING_SAME,
} UnetPadding;

typedef enum
{
  UNET_NORM_NONE,     /* the paper */
  UNET_NORM_BATCH,
} UnetNorm;

typedef struct
{
  int         depth;       /* pooling steps; the paper's 4 */
  int         base;        /* width of the first level, doubled per level; the paper's 64 */
  int         in_channels; /* 3 (RGB) */
  int         classes;     /* 21 for PASCAL VOC */
  UnetPadding padding;
  UnetNorm    norm;
  float       dropout;     /* probability, applied to the input of the bottleneck */
} UnetConfig;

/* depth 4, base 64, valid, no norm, dropout 0.5, 3 -> 21: the paper's network on VOC. */
void         unet_config_init_default         (UnetConfig       *config);
gboolean     unet_config_validate             (const UnetConfig *config,
                                               GError          **error);

/* 5 depth + 3: 23 at depth 4. */
int          unet_config_n_conv_layers        (const UnetConfig *config);

/* Output side for an input side (valid: shrinks; same: equal). Fails with
 * UNET_ERROR_INVALID_SIZE and a message naming the first level where the size breaks. */
gboolean     unet_config_output_size          (const UnetConfig *config,
                                               int               input_size,
                                               int              *output_size,
                                               GError          **error);

/* The input side that yields exactly output_size, or an error when none does. */
gboolean     unet_config_input_size_for_output (const UnetConfig *config,
                                                int               output_size,
                                                int              *input_size,
                                                GError          **error);

/* The smallest input side >= wanted that the model accepts. */
int          unet_config_round_input_size     (const UnetConfig *config,
                                               int               wanted);

const char  *unet_padding_to_string           (UnetPadding       padding);
gboolean     unet_padding_from_string         (const char       *string,
                                               UnetPadding      *padding,
                                               GError          **error);
const char  *unet_norm_to_string              (UnetNorm          norm);
gboolean     unet_norm_from_string            (const char       *string,
                                               UnetNorm         *norm,
                                               GError          **error);

G_END_DECLS
