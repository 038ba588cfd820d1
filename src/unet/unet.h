/* unet.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "unet-config.h"
#include "unet-error.h"
#include "unet-file.h"
#include "unet-infer.h"
#include "unet-io.h"
#include "unet-layers.h"
#include "unet-metrics.h"
#include "unet-model.h"
#include "unet-optimizer.h"
#include "unet-rng.h"
#include "unet-safetensors.h"
#include "unet-threads.h"
