/* studio-model-info.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "unet/unet.h"

G_BEGIN_DECLS

#define STUDIO_TYPE_MODEL_INFO (studio_model_info_get_type ())

G_DECLARE_FINAL_TYPE (StudioModelInfo, studio_model_info, STUDIO, MODEL_INFO, GObject)

/* What the UI may know of a model the worker owns: an immutable snapshot, safe to pass
 * between threads. */
StudioModelInfo   *studio_model_info_new              (UnetModel       *model,
                                                       const char      *name,
                                                       const char      *path);
const char        *studio_model_info_get_name         (StudioModelInfo *self);
/* NULL for the embedded default model. */
const char        *studio_model_info_get_path         (StudioModelInfo *self);
const UnetConfig  *studio_model_info_get_config       (StudioModelInfo *self);
int                studio_model_info_get_n_classes    (StudioModelInfo *self);
const char *const *studio_model_info_get_class_names  (StudioModelInfo *self);
/* n_classes × 3 bytes. */
const guint8      *studio_model_info_get_palette      (StudioModelInfo *self);
gsize              studio_model_info_get_n_parameters (StudioModelInfo *self);
/* The file's free-form metadata (training provenance), key → value; may be empty. */
GHashTable        *studio_model_info_get_metadata     (StudioModelInfo *self);
/* A few lines for people: architecture, parameters, provenance. */
char              *studio_model_info_describe         (StudioModelInfo *self);

G_END_DECLS
