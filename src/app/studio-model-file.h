/* studio-model-file.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet-trainer.h"

G_BEGIN_DECLS

/* What a model or checkpoint (.safetensors) says about itself, from its header alone: a model
 * can be hundreds of megabytes, its header is a few kilobytes. The app's one reader of these
 * headers until the shared unet_model_file_peek() takes its place. Safe to call from any
 * thread. */

/* The __metadata__ strings, name to value. */
GHashTable  *studio_model_file_read_metadata    (const char        *path,
                                                 GError           **error);
/* The architecture stored in a model or checkpoint, for the memory estimate. */
gboolean     studio_model_file_read_config      (const char        *path,
                                                 UnetConfig        *config,
                                                 GError           **error);
/* The options a stopped run was started with, from run_dir's checkpoint; options is filled
 * with the defaults first. */
gboolean     studio_model_file_read_run_options (const char        *run_dir,
                                                 UnetTrainOptions  *options,
                                                 GError           **error);
/* The class names run_dir's checkpoint stores, or NULL. */
char       **studio_model_file_read_class_names (const char        *run_dir);
/* The step run_dir's checkpoint was saved at, or -1. */
gint64       studio_model_file_read_step        (const char        *run_dir);

G_END_DECLS
