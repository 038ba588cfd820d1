/* unet-error.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define UNET_ERROR (unet_error_quark ())

typedef enum
{
  UNET_ERROR_INVALID_CONFIG,   /* a model configuration that cannot be built */
  UNET_ERROR_INVALID_SIZE,     /* a tile or image size the model cannot take */
  UNET_ERROR_NO_MEMORY,        /* an allocation for activations or weights failed */
  UNET_ERROR_IO,               /* reading or writing a file failed */
  UNET_ERROR_CORRUPT,          /* a weights file is malformed or truncated */
  UNET_ERROR_MISMATCH,         /* a weights file does not fit the model */
  UNET_ERROR_INVALID_ARGUMENT, /* an option value out of range */
} UnetError;

GQuark unet_error_quark (void);

G_END_DECLS
