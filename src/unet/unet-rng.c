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

/* xorshift128+'s state update is linear over GF(2): a 128×128 bit matrix, stored as its 128
 * columns (two words each). Jumping n steps multiplies the state by the matrix's n-th power. */
typedef struct
{
  guint64 col[128][2];
} BitMatrix;

static void
bit_matrix_apply (const BitMatrix *m,
                  const guint64    v[2],
                  guint64          out[2])
{
  guint64 r0 = 0, r1 = 0;

  for (int j = 0; j < 128; j++)
    if ((v[j >> 6] >> (j & 63)) & 1)
      {
        r0 ^= m->col[j][0];
        r1 ^= m->col[j][1];
      }
  out[0] = r0;
  out[1] = r1;
}

/* Below this many steps, stepping is cheaper than the matrix powers (about 16 000 word
 * operations per squaring). */
#define SKIP_BY_STEPPING 65536

void
unet_rng_skip (UnetRng *rng,
               guint64  n)
{
  BitMatrix power, square;
  guint64 v[2];

  g_return_if_fail (rng != NULL);

  if (n < SKIP_BY_STEPPING)
    {
      for (guint64 i = 0; i < n; i++)
        unet_rng_next (rng);
      return;
    }

  /* the columns of the one-step matrix are the images of the unit states */
  for (int j = 0; j < 128; j++)
    {
      UnetRng unit = { { 0, 0 } };

      unit.s[j >> 6] = G_GUINT64_CONSTANT (1) << (j & 63);
      unet_rng_next (&unit);
      power.col[j][0] = unit.s[0];
      power.col[j][1] = unit.s[1];
    }

  v[0] = rng->s[0];
  v[1] = rng->s[1];
  while (n > 0)
    {
      if (n & 1)
        {
          guint64 w[2];

          bit_matrix_apply (&power, v, w);
          v[0] = w[0];
          v[1] = w[1];
        }
      n >>= 1;
      if (n > 0)
        {
          for (int j = 0; j < 128; j++)
            bit_matrix_apply (&power, power.col[j], square.col[j]);
          power = square;
        }
    }
  rng->s[0] = v[0];
  rng->s[1] = v[1];
}
