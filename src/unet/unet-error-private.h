/* unet-error-private.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdint.h>

#include <glib.h>

G_BEGIN_DECLS

/* Names in messages come from files and could be megabytes long: this much of a tensor's or a
 * member's name tells it from its neighbours. */
#define UNET_MAX_NAME_IN_MESSAGE 120

/* The messages the readers and writers of libunet give: "FILE: message", or
 * "FILE: tensor “NAME”: message". Both always return FALSE, so that a check can end with
 * `return unet_set_file_error (…)`. */
gboolean unet_set_file_error   (GError      **error,
                                int           code,
                                const char   *file,
                                const char   *format,
                                ...) G_GNUC_PRINTF (4, 5);
/* tensor may be NULL (then as unet_set_file_error); a long name is shortened. */
gboolean unet_set_tensor_error (GError      **error,
                                int           code,
                                const char   *file,
                                const char   *tensor,
                                const char   *format,
                                ...) G_GNUC_PRINTF (5, 6);

/* Names and values come from files and could be megabytes long: at most max_bytes of s, cut at
 * a character boundary and marked with "…". */
char    *unet_shorten          (const char   *s,
                                gsize         max_bytes);
/* "[a, b, c]" */
char    *unet_format_shape     (int            ndim,
                                const int64_t *shape);

G_END_DECLS
