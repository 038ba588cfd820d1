/* unet.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

/* The engine as an application uses it: a model's configuration, the model, prediction, its
 * files, metrics and errors, and the threads it may use. Training internals (unet-model-train.h,
 * unet-optimizer.h), the kernels (unet-layers.h) and file formats (unet-safetensors.h,
 * unet-file.h) have headers of their own. */

#include "unet-config.h"
#include "unet-error.h"
#include "unet-infer.h"
#include "unet-io.h"
#include "unet-metrics.h"
#include "unet-model.h"
#include "unet-threads.h"
