/* unet-metrics.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdint.h>

#include <glib.h>

#include "unet-layers.h"

G_BEGIN_DECLS

/* Confusion matrix, rows = ground truth, columns = prediction. Pixels whose truth or prediction
 * is not a class (255 = void, or any value >= n_classes) are not scored. */
typedef struct
{
  int      n_classes;
  guint64 *counts; /* n_classes * n_classes */
} UnetConfusion;

UnetConfusion *unet_confusion_new        (int                  n_classes);
void           unet_confusion_free       (UnetConfusion       *self);
void           unet_confusion_reset      (UnetConfusion       *self);
void           unet_confusion_add        (UnetConfusion       *self,
                                          const uint8_t       *truth,
                                          const uint8_t       *prediction,
                                          size_t               n);
void           unet_confusion_merge      (UnetConfusion       *self,
                                          const UnetConfusion *other);

/* iou[c] = TP / (TP + FP + FN); present[c] says whether class c occurs in the ground truth or
 * the predictions (otherwise iou[c] is NAN). Either array may be NULL. */
void           unet_confusion_iou        (const UnetConfusion *self,
                                          double              *iou,
                                          gboolean            *present);
/* Mean IoU over the classes present in the ground truth or the predictions. */
double         unet_confusion_miou       (const UnetConfusion *self);
double         unet_confusion_pixel_accuracy      (const UnetConfusion *self);
/* Mean over classes present in the ground truth of TP / (TP + FN). */
double         unet_confusion_mean_class_accuracy (const UnetConfusion *self);

/* classes[B,H,W] = argmax over the channel axis of scores[B,K,H,W] (first maximum wins). */
void           unet_argmax               (uint8_t             *classes,
                                          const float         *scores,
                                          UnetShape            shape);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetConfusion, unet_confusion_free)

G_END_DECLS
