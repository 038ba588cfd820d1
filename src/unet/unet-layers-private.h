/* unet-layers-private.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What unet-layers.c and unet-batchnorm.c share. */

/* Sums run over float blocks of this many values, each added to a double: the blocks vectorise
 * (OpenMP's simd reduction may reorder within one), the double keeps a sum of millions accurate.
 * A plain float-into-double loop is one dependent add per value, four cycles each. */
#define UNET_SUM_BLOCK 2048

static inline double
unet_blocked_sum (const float *p,
                  size_t       n)
{
  double sum = 0.0;

  for (size_t start = 0; start < n; start += UNET_SUM_BLOCK)
    {
      size_t end = MIN (start + UNET_SUM_BLOCK, n);
      float block = 0.0f;

#pragma omp simd reduction(+:block)
      for (size_t i = start; i < end; i++)
        block += p[i];
      sum += block;
    }
  return sum;
}

G_END_DECLS
