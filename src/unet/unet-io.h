/* unet-io.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet-model.h"
#include "unet-optimizer.h"

G_BEGIN_DECLS

#define UNET_FORMAT_NAME "unet-studio/1"

/* A model file: the weights (PyTorch names and layouts) and __metadata__ with format, depth,
 * base, padding, norm, classes, palette, mean, std and the model's info strings. The file alone
 * rebuilds the model. Written atomically. */
gboolean   unet_model_save      (UnetModel      *model,
                                 const char     *path,
                                 GError        **error);
/* Loads a model file or a checkpoint (its optimizer part is ignored). Every tensor must be
 * present with its exact shape, and no unknown tensor may be (strict, like load_state_dict). */
UnetModel *unet_model_load      (const char     *path,
                                 GError        **error);
UnetModel *unet_model_load_bytes (GBytes        *bytes,
                                  const char    *name,
                                  GError       **error);

/* A checkpoint: the model file plus the momentum buffers as "optim.<name>" tensors, the
 * optimizer's settings and the caller's state strings (step, epoch, RNG, ...) in the metadata
 * under "state.<key>". optimizer and state may be NULL. */
gboolean   unet_checkpoint_save (UnetModel      *model,
                                 UnetOptimizer  *optimizer,
                                 GHashTable     *state,
                                 const char     *path,
                                 GError        **error);
/* optimizer and state may be NULL when not wanted; a file without optimizer tensors is an error
 * when optimizer is asked for. state is (element-type utf8 utf8) without the "state." prefix. */
UnetModel *unet_checkpoint_load (const char     *path,
                                 UnetOptimizer **optimizer,
                                 GHashTable    **state,
                                 GError        **error);
/* The same from a checkpoint's bytes (a distributed run reads the file on one machine and
 * sends it to the others); name is used in error messages. */
UnetModel *unet_checkpoint_load_bytes (GBytes         *bytes,
                                       const char     *name,
                                       UnetOptimizer **optimizer,
                                       GHashTable    **state,
                                       GError        **error);

G_END_DECLS
