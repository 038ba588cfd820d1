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

/* The 4-connected regions of the pixels of class `cls` in classes[height,width]: labels[i] is
 * 1..N for them, 0 elsewhere. Returns N. */
guint32        unet_label_regions        (const uint8_t       *classes,
                                          int                  width,
                                          int                  height,
                                          uint8_t              cls,
                                          guint32             *labels);

/* The ISBI 2012 challenge's foreground-restricted Rand scoring (Arganda-Carreras et al. 2015;
 * scikit-image's adapted_rand_error): over the pixels whose truth segment is not 0, with n_ij
 * the pixels in truth segment i and predicted segment j (predicted 0 is a segment like any
 * other), a_i and b_j the sums of the rows and columns,
 *   precision = Σ n_ij(n_ij - 1) / Σ b_j(b_j - 1),  recall = Σ n_ij(n_ij - 1) / Σ a_i(a_i - 1),
 * and the error is 1 - 2·precision·recall / (precision + recall): 0 when the segmentations
 * agree, near 1 when everything is merged or split. NAN when the truth has no segment pixels,
 * or no pixel pair. The precision and recall may be NULL. */
double         unet_adapted_rand_error   (const guint32       *truth,
                                          const guint32       *prediction,
                                          size_t               n,
                                          double              *precision,
                                          double              *recall);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetConfusion, unet_confusion_free)

G_END_DECLS
