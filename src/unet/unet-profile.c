/* unet-profile.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <time.h>

#include "unet-profile.h"

static const char *const kind_names[UNET_PROFILE_N_KINDS] = {
  [UNET_PROFILE_CONV_FORWARD] = "conv_forward",
  [UNET_PROFILE_CONV_INPUT_GRAD] = "conv_input_grad",
  [UNET_PROFILE_CONV_WEIGHT_GRAD] = "conv_weight_grad",
  [UNET_PROFILE_BATCH_NORM] = "batch_norm",
  [UNET_PROFILE_UP_CONV] = "up_conv",
  [UNET_PROFILE_OTHER_LAYERS] = "other_layers",
};

const char *
unet_profile_kind_name (UnetProfileKind kind)
{
  g_return_val_if_fail (kind < UNET_PROFILE_N_KINDS, NULL);

  return kind_names[kind];
}

void
unet_profile_reset (UnetProfile *profile)
{
  g_return_if_fail (profile != NULL);

  memset (profile, 0, sizeof *profile);
}

/* Nanoseconds rather than GLib's microseconds: the deepest layers of a small tile take tens of
 * microseconds. */
static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

gint64
unet_profile_start (const UnetProfile *profile)
{
  return profile != NULL ? now_ns () : 0;
}

void
unet_profile_add (UnetProfile     *profile,
                  UnetProfileKind  kind,
                  gint64           start,
                  double           flops)
{
  if (profile == NULL)
    return;
  g_return_if_fail (kind < UNET_PROFILE_N_KINDS);

  profile->seconds[kind] += (now_ns () - start) / 1e9;
  profile->flops[kind] += flops;
  profile->calls[kind]++;
}
