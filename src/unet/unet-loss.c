/* unet-loss.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "unet-config.h"
#include "unet-layers.h"

static inline gboolean
label_counts (uint8_t label,
              int     classes)
{
  return label != UNET_IGNORE_LABEL && label < classes;
}

size_t
unet_count_labels (const uint8_t *labels,
                   size_t         n,
                   int            classes)
{
  size_t counted = 0;

  for (size_t i = 0; i < n; i++)
    counted += label_counts (labels[i], classes);
  return counted;
}

/* The sum of the weighted losses, and their gradient scaled by 1/count. */
static double
xent_sum (float         *dlogits,
          const float   *logits,
          const uint8_t *labels,
          const float   *pixel_weights,
          UnetShape      shape,
          size_t         count)
{
  int K = shape.channels;
  size_t plane = (size_t) shape.height * shape.width;
  size_t n_pixels = plane * shape.batch;
  double total = 0.0;
  /* An all-ignored batch has no loss and no gradient, rather than 0/0. */
  float inv_count = count > 0 ? 1.0f / (float) count : 0.0f;

  g_return_val_if_fail (K >= 1 && K <= UNET_MAX_CLASSES, 0.0);

#pragma omp parallel for schedule(static) reduction(+:total)
  for (size_t i = 0; i < n_pixels; i++)
    {
      size_t b = i / plane, p = i % plane;
      const float *z = logits + b * K * plane + p;
      float *dz = dlogits ? dlogits + b * K * plane + p : NULL;
      uint8_t label = labels[i];
      /* each class's exp once, in float (its argument is at most 0); summed in double */
      float e[UNET_MAX_CLASSES];
      float max = z[0], w;
      double sum = 0.0, lse;

      if (!label_counts (label, K))
        {
          if (dz)
            for (int k = 0; k < K; k++)
              dz[k * plane] = 0.0f;
          continue;
        }

      for (int k = 1; k < K; k++)
        max = z[k * plane] > max ? z[k * plane] : max;
      for (int k = 0; k < K; k++)
        {
          e[k] = expf (z[k * plane] - max);
          sum += e[k];
        }
      lse = max + log (sum);
      w = pixel_weights ? pixel_weights[i] : 1.0f;
      total += w * (lse - z[label * plane]);

      if (dz)
        {
          float scale = w * inv_count;
          float inv_sum = (float) (1.0 / sum);

          for (int k = 0; k < K; k++)
            dz[k * plane] = (e[k] * inv_sum - (k == label ? 1.0f : 0.0f)) * scale;
        }
    }

  return total;
}

double
unet_softmax_xent (float         *dlogits,
                   size_t        *n_counted,
                   const float   *logits,
                   const uint8_t *labels,
                   const float   *pixel_weights,
                   UnetShape      shape)
{
  size_t counted = unet_count_labels (labels, (size_t) shape.batch * shape.height * shape.width,
                                      shape.channels);
  double total;

  if (n_counted)
    *n_counted = counted;
  total = xent_sum (dlogits, logits, labels, pixel_weights, shape, counted);
  return counted > 0 ? total / counted : 0.0;
}

double
unet_softmax_xent_sum (float         *dlogits,
                       const float   *logits,
                       const uint8_t *labels,
                       const float   *pixel_weights,
                       UnetShape      shape,
                       size_t         normalizer)
{
  return xent_sum (dlogits, logits, labels, pixel_weights, shape, normalizer);
}

void
unet_softmax (float       *probs,
              const float *logits,
              UnetShape    shape)
{
  int K = shape.channels;
  size_t plane = (size_t) shape.height * shape.width;
  size_t n_pixels = plane * shape.batch;

#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n_pixels; i++)
    {
      size_t b = i / plane, p = i % plane;
      const float *z = logits + b * K * plane + p;
      float *q = probs + b * K * plane + p;
      float max = z[0];
      double sum = 0.0;

      for (int k = 1; k < K; k++)
        max = z[k * plane] > max ? z[k * plane] : max;
      for (int k = 0; k < K; k++)
        sum += exp ((double) z[k * plane] - max);
      for (int k = 0; k < K; k++)
        q[k * plane] = (float) (exp ((double) z[k * plane] - max) / sum);
    }
}
