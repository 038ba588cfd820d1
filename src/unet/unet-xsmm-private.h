/* unet-xsmm-private.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdint.h>

#include <glib.h>
#include <libxsmm.h>

G_BEGIN_DECLS

/* Blocking shared by the libxsmm convolutions (unet-conv-xsmm.c, unet-upconv-xsmm.c). */

/* One dimension split into `count` blocks: count - 1 of `size`, then one of `last`. */
typedef struct
{
  int size;
  int last;
  int count;
} Split;

static inline Split
split_dim (int n,
           int max_block)
{
  Split s;

  s.count = (n + max_block - 1) / max_block;
  s.size = (n + s.count - 1) / s.count;
  s.last = n - (s.count - 1) * s.size;
  g_assert (s.last > 0 && s.last <= s.size);
  return s;
}

/* Pixels are the vector dimension: blocks of whole vectors (16 floats), so that only the last
 * block of a row has a partial vector. */
static inline Split
split_pixels (int n,
              int max_block)
{
  Split s;

  if (n <= max_block)
    return split_dim (n, max_block);
  s.count = (n + max_block - 1) / max_block;
  s.size = ((n + s.count - 1) / s.count + 15) / 16 * 16;
  s.count = (n + s.size - 1) / s.size;
  s.last = n - (s.count - 1) * s.size;
  g_assert (s.last > 0 && s.last <= s.size);
  return s;
}

/* A plain GEMM kernel C (m x n) = A B (+ C with beta 1), column-major, alpha 1; NULL where
 * libxsmm makes none. */
static inline libxsmm_smmfunction
xsmm_gemm (int             m,
           int             n,
           int             k,
           libxsmm_blasint lda,
           libxsmm_blasint ldb,
           libxsmm_blasint ldc,
           float           beta)
{
  const float alpha = 1.0f;
  const int flags = LIBXSMM_GEMM_FLAG_NONE;
  const int prefetch = LIBXSMM_GEMM_PREFETCH_NONE;

  return libxsmm_smmdispatch (m, n, k, &lda, &ldb, &ldc, &alpha, &beta, &flags, &prefetch);
}

/* Bytes the work regions are aligned to. */
#define WORK_ALIGN 64

static inline float *
align_up (float *p)
{
  uintptr_t u = (uintptr_t) p;

  return (float *) ((u + WORK_ALIGN - 1) & ~(uintptr_t) (WORK_ALIGN - 1));
}

/* Floats for one region of n floats, aligned. */
static inline size_t
region (size_t n)
{
  return n + WORK_ALIGN / sizeof (float);
}

/* What the forward's output pass does to rows the kernels just wrote: add the bias (may be NULL),
 * apply ReLU, and, with sums, keep each row's sum and sum of squared deviations from its own
 * mean per channel for batch norm (sums [rows, OC, 2] from the image's first row). The input
 * gradient has no output pass. */
typedef struct
{
  const float *bias;
  gboolean     relu;
  float       *sums;
} OutputPass;

/* Bias, ReLU and row sums over n channels' rows (dst_plane apart) of output row row_index, while
 * they are in cache (unet-conv-xsmm.c). */
void unet_xsmm_output_pass (const OutputPass *pass,
                            float            *rows,
                            size_t            dst_plane,
                            int               width,
                            int               o0,
                            int               n,
                            int               row_index,
                            int               channels);

G_END_DECLS
