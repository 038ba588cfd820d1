/* unet-safetensors-private.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet-safetensors.h"

G_BEGIN_DECLS

/* unet-safetensors-dtype.c: the dtype names of the format and their element sizes. */
const char *unet_dtype_get_name      (UnetDtype    dtype);
size_t      unet_dtype_get_size      (UnetDtype    dtype);
gboolean    unet_dtype_from_name     (const char  *name,
                                      UnetDtype   *dtype);

/* unet-safetensors-json.c: the header held to RFC 8259 before json-glib, which is lenient, sees
 * it. file is only used in the error message (UNET_ERROR_CORRUPT). */
gboolean    unet_safetensors_check_json (const char  *json,
                                         size_t       length,
                                         const char  *file,
                                         GError     **error);

G_END_DECLS
