/* unet-rng.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "unet-rng.h"

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

void
unet_rng_seed (UnetRng *rng,
               guint64  seed)
{
  guint64 x = seed;

  rng->s[0] = splitmix64 (&x);
  rng->s[1] = splitmix64 (&x);
  /* xorshift128+ must never be all zero */
  if (rng->s[0] == 0 && rng->s[1] == 0)
    rng->s[1] = 1;
}

guint64
unet_rng_next (UnetRng *rng)
{
  guint64 s1 = rng->s[0];
  const guint64 s0 = rng->s[1];
  const guint64 result = s0 + s1;

  rng->s[0] = s0;
  s1 ^= s1 << 23;
  rng->s[1] = s1 ^ s0 ^ (s1 >> 18) ^ (s0 >> 5);
  return result;
}

double
unet_rng_uniform (UnetRng *rng)
{
  return (unet_rng_next (rng) >> 11) * (1.0 / 9007199254740992.0);
}

guint32
unet_rng_below (UnetRng *rng,
                guint32  n)
{
  g_return_val_if_fail (n > 0, 0);

  return (guint32) (((unet_rng_next (rng) >> 32) * (guint64) n) >> 32);
}

double
unet_rng_normal (UnetRng *rng)
{
  double u1 = 1.0 - unet_rng_uniform (rng); /* (0, 1], so log() is finite */
  double u2 = unet_rng_uniform (rng);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}
