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

guint32
unet_label_regions (const uint8_t *classes,
                    int            width,
                    int            height,
                    uint8_t        cls,
                    guint32       *labels)
{
  size_t n = (size_t) width * height;
  g_autofree size_t *stack = NULL;
  guint32 regions = 0;

  g_return_val_if_fail (classes != NULL && labels != NULL, 0);

  memset (labels, 0, n * sizeof *labels);
  stack = g_new (size_t, n);
  for (size_t seed = 0; seed < n; seed++)
    {
      size_t top = 0;

      if (classes[seed] != cls || labels[seed] != 0)
        continue;
      labels[seed] = ++regions;
      stack[top++] = seed;
      while (top > 0)
        {
          size_t i = stack[--top];
          int x = (int) (i % width), y = (int) (i / width);
          size_t neighbours[4];
          int k = 0;

          if (x > 0)
            neighbours[k++] = i - 1;
          if (x + 1 < width)
            neighbours[k++] = i + 1;
          if (y > 0)
            neighbours[k++] = i - width;
          if (y + 1 < height)
            neighbours[k++] = i + width;
          for (int j = 0; j < k; j++)
            if (classes[neighbours[j]] == cls && labels[neighbours[j]] == 0)
              {
                labels[neighbours[j]] = regions;
                stack[top++] = neighbours[j];
              }
        }
    }
  return regions;
}

/* Σ c(c - 1) over the counts of a table */
static double
sum_pairs (GHashTable *counts)
{
  GHashTableIter iter;
  gpointer value;
  double sum = 0.0;

  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      double c = (double) *(guint64 *) value;

      sum += c * (c - 1.0);
    }
  return sum;
}

static void
count (GHashTable *counts,
       guint64     key)
{
  guint64 *value = g_hash_table_lookup (counts, &key);

  if (value == NULL)
    {
      guint64 *stored = g_new (guint64, 2);

      stored[0] = key;
      stored[1] = 0;
      g_hash_table_insert (counts, stored, stored + 1);
      value = stored + 1;
    }
  (*value)++;
}

double
unet_adapted_rand_error (const guint32 *truth,
                         const guint32 *prediction,
                         size_t         n,
                         double        *precision,
                         double        *recall)
{
  g_autoptr(GHashTable) joint = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GHashTable) rows = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GHashTable) columns = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                         NULL);
  double p_ij, a, b, p, r;

  g_return_val_if_fail (truth != NULL && prediction != NULL, NAN);

  for (size_t i = 0; i < n; i++)
    {
      if (truth[i] == 0)
        continue;
      count (joint, ((guint64) truth[i] << 32) | prediction[i]);
      count (rows, truth[i]);
      count (columns, prediction[i]);
    }
  p_ij = sum_pairs (joint);
  a = sum_pairs (rows);
  b = sum_pairs (columns);
  if (a <= 0.0 || b <= 0.0)
    return NAN;
  p = p_ij / b;
  r = p_ij / a;
  if (precision != NULL)
    *precision = p;
  if (recall != NULL)
    *recall = r;
  return p + r > 0.0 ? 1.0 - 2.0 * p * r / (p + r) : 1.0;
}
