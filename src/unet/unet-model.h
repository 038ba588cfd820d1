/* unet-model.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdint.h>

#include <glib.h>

#include "unet-config.h"
#include "unet-shape.h"

G_BEGIN_DECLS

/* The largest input scale (unet_model_set_input_scale): beyond it, upsampling only costs. */
#define UNET_MAX_INPUT_SCALE 4.0

typedef struct _UnetModel UnetModel;

UnetModel        *unet_model_new             (const UnetConfig *config,
                                              GError          **error);
void              unet_model_free            (UnetModel        *self);

const UnetConfig *unet_model_get_config      (const UnetModel  *self);

/* He-normal (fan-in, gain sqrt 2) weights, zero biases, unit/zero batch norm; the same seed
 * gives bit-identical weights on every machine. */
void              unet_model_init_weights    (UnetModel        *self,
                                              guint64           seed);

/* Per-channel input normalisation, applied by unet_model_predict (x - mean) / std. */
void              unet_model_set_normalization (UnetModel      *self,
                                                const float     mean[3],
                                                const float     std[3]);
void              unet_model_get_normalization (const UnetModel *self,
                                                float           mean[3],
                                                float           std[3]);

/* The factor an image is resized by before the network sees it (unet_model_predict resizes it,
 * predicts, and resizes the probabilities back): a model trained on half-size photos is run on
 * half-size photos. 1.0 by default; valid in (0, 4]. Stored in the weights file. */
void              unet_model_set_input_scale (UnetModel        *self,
                                              double            scale);
double            unet_model_get_input_scale (const UnetModel  *self);

/* How many foreground classes (all but class 0) one image may contain, at most: predictions keep
 * the ones that cover most of the image and give their pixels to those or to class 0
 * (unet_restrict_classes). A model trained on a few photos confuses one object's parts between
 * look-alike classes; most photos show one or two kinds of object. 0, the default, sets no
 * limit. Stored in the weights file. */
void              unet_model_set_max_classes (UnetModel        *self,
                                              int               max_classes);
int               unet_model_get_max_classes (const UnetModel  *self);

/* Free-form provenance strings stored in the weights file's __metadata__ ("data", "epochs", ...). */
void              unet_model_set_info        (UnetModel        *self,
                                              const char       *key,
                                              const char       *value);
const char       *unet_model_get_info        (const UnetModel  *self,
                                              const char       *key);
/* (element-type utf8 utf8) (transfer none) */
GHashTable       *unet_model_get_info_table  (const UnetModel  *self);

/* Class names and their RGB colours; defaults are PASCAL VOC's when classes == 21. */
const char *const *unet_model_get_class_names (const UnetModel *self);
const guint8     *unet_model_get_palette     (const UnetModel  *self); /* classes * 3 bytes */
void              unet_model_set_classes     (UnetModel        *self,
                                              const char *const *names,
                                              const guint8     *palette);

/* Allocates activations, gradients and workspaces for a batch of that input size. Nothing is
 * allocated again while the shape stays the same; a new shape frees and reallocates. */
gboolean          unet_model_prepare         (UnetModel        *self,
                                              int               batch,
                                              int               height,
                                              int               width,
                                              gboolean          for_training,
                                              GError          **error);
UnetShape         unet_model_get_input_shape  (const UnetModel *self);
UnetShape         unet_model_get_output_shape (const UnetModel *self);
/* Bytes the activations, gradients and workspaces take for that shape (estimate for the UI). */
size_t            unet_model_estimate_memory  (const UnetConfig *config,
                                               int               batch,
                                               int               height,
                                               int               width,
                                               gboolean          for_training);

/* Floating-point operations of one forward pass at the prepared shape (multiply-adds count 2);
 * a training step is about three times this. */
double            unet_model_count_flops      (const UnetModel *self);

/* input [B,3,H,W], already normalised. training = batch statistics and dropout on.
 * Returns the logits [B,classes,OH,OW], owned by the model. */
const float      *unet_model_forward         (UnetModel        *self,
                                              const float      *input,
                                              gboolean          training);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetModel, unet_model_free)

G_END_DECLS
