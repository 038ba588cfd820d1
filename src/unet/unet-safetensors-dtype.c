/* unet-safetensors-dtype.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "unet-safetensors-private.h"

typedef struct
{
  const char *name;
  size_t      size;
} DtypeInfo;

static const DtypeInfo dtype_infos[] = {
  [UNET_DTYPE_F32]  = { "F32", 4 },
  [UNET_DTYPE_F64]  = { "F64", 8 },
  [UNET_DTYPE_F16]  = { "F16", 2 },
  [UNET_DTYPE_BF16] = { "BF16", 2 },
  [UNET_DTYPE_U8]   = { "U8", 1 },
  [UNET_DTYPE_I64]  = { "I64", 8 },
};

const char *
unet_dtype_get_name (UnetDtype dtype)
{
  g_return_val_if_fail ((guint) dtype < G_N_ELEMENTS (dtype_infos), NULL);

  return dtype_infos[dtype].name;
}

size_t
unet_dtype_get_size (UnetDtype dtype)
{
  g_return_val_if_fail ((guint) dtype < G_N_ELEMENTS (dtype_infos), 1);

  return dtype_infos[dtype].size;
}

gboolean
unet_dtype_from_name (const char *name,
                      UnetDtype  *dtype)
{
  for (guint i = 0; i < G_N_ELEMENTS (dtype_infos); i++)
    {
      if (g_strcmp0 (name, dtype_infos[i].name) == 0)
        {
          *dtype = (UnetDtype) i;
          return TRUE;
        }
    }
  return FALSE;
}

static float
float_from_bits (guint32 bits)
{
  float f;

  memcpy (&f, &bits, sizeof f);
  return f;
}

static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000u) << 16;
  guint32 exponent = (h >> 10) & 0x1fu;
  guint32 mantissa = h & 0x3ffu;

  if (exponent == 0x1f)
    return float_from_bits (sign | 0x7f800000u | (mantissa << 13)); /* inf, NaN keeps payload */
  if (exponent != 0)
    return float_from_bits (sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
  if (mantissa == 0)
    return float_from_bits (sign);

  /* Subnormal halves are normal floats: shift the leading one into the implicit bit. */
  exponent = 127 - 15 + 1;
  while ((mantissa & 0x400u) == 0)
    {
      mantissa <<= 1;
      exponent--;
    }
  return float_from_bits (sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13));
}

void
unet_tensor_view_copy_f32 (const UnetTensorView *view,
                           float                *dest)
{
  const guint8 *src;

  g_return_if_fail (view != NULL);
  g_return_if_fail (dest != NULL || view->numel == 0);
  g_return_if_fail (view->bytes != NULL || view->numel == 0);

  src = view->bytes;
  switch (view->dtype)
    {
    case UNET_DTYPE_F32:
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      if (view->numel > 0)
        memcpy (dest, src, view->numel * sizeof (float));
#else
      for (size_t i = 0; i < view->numel; i++)
        {
          guint32 bits;

          memcpy (&bits, src + 4 * i, 4);
          dest[i] = float_from_bits (GUINT32_FROM_LE (bits));
        }
#endif
      break;

    case UNET_DTYPE_F64:
      for (size_t i = 0; i < view->numel; i++)
        {
          guint64 bits;
          double d;

          memcpy (&bits, src + 8 * i, 8);
          bits = GUINT64_FROM_LE (bits);
          memcpy (&d, &bits, sizeof d);
          dest[i] = (float) d;
        }
      break;

    case UNET_DTYPE_F16:
      for (size_t i = 0; i < view->numel; i++)
        {
          guint16 bits;

          memcpy (&bits, src + 2 * i, 2);
          dest[i] = half_to_float (GUINT16_FROM_LE (bits));
        }
      break;

    case UNET_DTYPE_BF16:
      for (size_t i = 0; i < view->numel; i++)
        {
          guint16 bits;

          memcpy (&bits, src + 2 * i, 2);
          dest[i] = float_from_bits ((guint32) GUINT16_FROM_LE (bits) << 16);
        }
      break;

    case UNET_DTYPE_U8:
      for (size_t i = 0; i < view->numel; i++)
        dest[i] = src[i];
      break;

    case UNET_DTYPE_I64:
      for (size_t i = 0; i < view->numel; i++)
        {
          guint64 bits;

          memcpy (&bits, src + 8 * i, 8);
          dest[i] = (float) (gint64) GUINT64_FROM_LE (bits);
        }
      break;

    default:
      g_return_if_reached ();
    }
}
