/* unet-rng.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A small random generator whose whole state is two 64-bit words, so that checkpoints can store
 * it and a resumed run draws exactly the numbers the uninterrupted run would have drawn
 * (GRand's state is opaque). xoshiro128+-style "splitmix64 + xorshift128+" mixing. */
typedef struct
{
  guint64 s[2];
} UnetRng;

void    unet_rng_seed    (UnetRng *rng,
                          guint64  seed);
guint64 unet_rng_next    (UnetRng *rng);
/* Uniform in [0, 1). */
double  unet_rng_uniform (UnetRng *rng);
/* Uniform integer in [0, n). */
guint32 unet_rng_below   (UnetRng *rng,
                          guint32  n);
/* Standard normal (Box-Muller; uses two uniforms per call, no cached spare so state stays plain). */
double  unet_rng_normal  (UnetRng *rng);
/* Advances the generator as n calls of unet_rng_next would, in O(log n) for large n: a process
 * that holds the second half of a batch draws the dropout masks a single process would have
 * drawn for that half. */
void    unet_rng_skip    (UnetRng *rng,
                          guint64  n);

G_END_DECLS
