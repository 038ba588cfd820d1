/* unet-shape.h — a tensor's shape: flat float arrays in batch, channel, row, column order
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stddef.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  int batch;
  int channels;
  int height;
  int width;
} UnetShape;

static inline size_t
unet_shape_numel (UnetShape s)
{
  return (size_t) s.batch * s.channels * s.height * s.width;
}

G_END_DECLS
