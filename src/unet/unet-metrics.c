/* unet-metrics.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "unet-metrics.h"

UnetConfusion *
unet_confusion_new (int n_classes)
{
  UnetConfusion *self;

  g_return_val_if_fail (n_classes > 0 && n_classes <= 255, NULL);

  self = g_new0 (UnetConfusion, 1);
  self->n_classes = n_classes;
  self->counts = g_new0 (guint64, (size_t) n_classes * n_classes);
  return self;
}

void
unet_confusion_free (UnetConfusion *self)
{
  if (self == NULL)
    return;

  g_free (self->counts);
  g_free (self);
}

void
unet_confusion_reset (UnetConfusion *self)
{
  g_return_if_fail (self != NULL);

  memset (self->counts, 0, sizeof (guint64) * self->n_classes * self->n_classes);
}

void
unet_confusion_add (UnetConfusion *self,
                    const uint8_t *truth,
                    const uint8_t *prediction,
                    size_t         n)
{
  int K;

  g_return_if_fail (self != NULL);
  g_return_if_fail (n == 0 || (truth != NULL && prediction != NULL));

  K = self->n_classes;
  for (size_t i = 0; i < n; i++)
    {
      /* void pixels, and labels the model cannot have, are not scored */
      if (truth[i] >= K || prediction[i] >= K)
        continue;
      self->counts[truth[i] * K + prediction[i]]++;
    }
}

void
unet_confusion_merge (UnetConfusion       *self,
                      const UnetConfusion *other)
{
  g_return_if_fail (self != NULL && other != NULL);
  g_return_if_fail (self->n_classes == other->n_classes);

  for (int i = 0; i < self->n_classes * self->n_classes; i++)
    self->counts[i] += other->counts[i];
}

void
unet_confusion_iou (const UnetConfusion *self,
                    double              *iou,
                    gboolean            *present)
{
  int K = self->n_classes;

  for (int c = 0; c < K; c++)
    {
      guint64 tp = self->counts[c * K + c], fn = 0, fp = 0;

      for (int k = 0; k < K; k++)
        if (k != c)
          {
            fn += self->counts[c * K + k];
            fp += self->counts[k * K + c];
          }
      if (present)
        present[c] = tp + fn + fp > 0;
      if (iou)
        iou[c] = tp + fn + fp > 0 ? (double) tp / (double) (tp + fn + fp) : NAN;
    }
}

double
unet_confusion_miou (const UnetConfusion *self)
{
  g_autofree double *iou = g_new (double, self->n_classes);
  g_autofree gboolean *present = g_new (gboolean, self->n_classes);
  double sum = 0.0;
  int n = 0;

  unet_confusion_iou (self, iou, present);
  for (int c = 0; c < self->n_classes; c++)
    if (present[c])
      {
        sum += iou[c];
        n++;
      }
  return n > 0 ? sum / n : NAN;
}

double
unet_confusion_pixel_accuracy (const UnetConfusion *self)
{
  int K = self->n_classes;
  guint64 correct = 0, total = 0;

  for (int t = 0; t < K; t++)
    for (int p = 0; p < K; p++)
      {
        total += self->counts[t * K + p];
        if (t == p)
          correct += self->counts[t * K + p];
      }
  return total > 0 ? (double) correct / total : NAN;
}

double
unet_confusion_mean_class_accuracy (const UnetConfusion *self)
{
  int K = self->n_classes;
  double sum = 0.0;
  int n = 0;

  for (int t = 0; t < K; t++)
    {
      guint64 row = 0;

      for (int p = 0; p < K; p++)
        row += self->counts[t * K + p];
      if (row > 0)
        {
          sum += (double) self->counts[t * K + t] / row;
          n++;
        }
    }
  return n > 0 ? sum / n : NAN;
}

void
unet_argmax (uint8_t     *classes,
             const float *scores,
             UnetShape    shape)
{
  int K = shape.channels;
  size_t plane = (size_t) shape.height * shape.width;
  size_t n_pixels = plane * shape.batch;

#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n_pixels; i++)
    {
      const float *s = scores + (i / plane) * K * plane + i % plane;
      int best = 0;

      for (int k = 1; k < K; k++)
        if (s[k * plane] > s[best * plane])
          best = k;
      classes[i] = (uint8_t) best;
    }
}
