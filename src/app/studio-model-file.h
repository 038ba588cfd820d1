/* studio-model-file.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "train/unet-trainer.h"

G_BEGIN_DECLS

/* What a model or checkpoint (.safetensors) says about itself, from its header alone (a model
 * can be hundreds of megabytes, its header is a few kilobytes), in the app's words. Safe to call
 * from any thread. */

/* The architecture stored in a model or checkpoint, for the memory estimate. */
gboolean     studio_model_file_read_config      (const char        *path,
                                                 UnetConfig        *config,
                                                 GError           **error);
/* The options a stopped run was started with, from run_dir's checkpoint; options is filled
 * with the defaults first. */
gboolean     studio_model_file_read_run_options (const char        *run_dir,
                                                 UnetTrainOptions  *options,
                                                 GError           **error);

G_END_DECLS
