/* unet-io.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet-model.h"

G_BEGIN_DECLS

typedef struct _UnetOptimizer UnetOptimizer;

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

/* What a model file or checkpoint says about itself, from its header alone. */
typedef struct
{
  UnetConfig   config;        /* depth, base, in_channels, padding, norm, dropout, classes */
  char       **class_names;   /* config.classes names, NULL-terminated */
  guint8      *palette;       /* 3 × config.classes bytes, r, g, b */
  float        mean[3];
  float        std[3];
  double       input_scale;
  int          max_classes;   /* 0: no limit */
  gboolean     is_checkpoint; /* it holds optimizer tensors ("optim.*") or trainer state */
  /* (element-type utf8 utf8): every __metadata__ string as stored, the above included: the
   * model's info strings (training provenance), a checkpoint's "state.*" (its options JSON in
   * "state.options") and "optim.*" settings */
  GHashTable  *metadata;
} UnetModelFileInfo;

/* Reads only the 8-byte length and the JSON header of a model file or checkpoint, never the
 * weights, and checks them as unet_model_load() does (format, container, metadata, the
 * configuration, the largest tensors' shapes): a file this accepts loads unless it changes, its
 * other tensors do not fit the configuration, or it cannot be read. Errors name the file. */
UnetModelFileInfo *unet_model_file_peek      (const char         *path,
                                              GError            **error);
void               unet_model_file_info_free (UnetModelFileInfo  *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetModelFileInfo, unet_model_file_info_free)

G_END_DECLS
