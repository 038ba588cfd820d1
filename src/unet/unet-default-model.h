/* unet-default-model.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What unet_default_model_get_bytes() calls the built-in model. */
#define UNET_DEFAULT_MODEL_NAME "built-in default model"

/* The model used when the user names none: the file $UNET_DEFAULT_MODEL when it is set (a
 * missing or unreadable file is an error, not a silent fallback), else the model built into the
 * program (data/default.safetensors). name, when not NULL, receives the file's path or
 * UNET_DEFAULT_MODEL_NAME. */
GBytes *unet_default_model_get_bytes (char   **name,
                                      GError **error);

G_END_DECLS
