/* studio-segmentation.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "unet/unet.h"

#include "studio-segmentation.h"

struct _StudioSegmentation
{
  GObject      parent_instance;

  char        *image_path;
  guint        serial;
  int          width;
  int          height;
  int          n_classes;
  char       **class_names;
  GBytes      *rgb8;
  GdkTexture  *texture;
  guint8      *classes;
  float       *probs;       /* [n_classes,h,w] or NULL */
  float       *confidence;  /* [h,w] */
  float       *entropy;     /* [h,w] */
  guint8      *truth;       /* [h,w] or NULL */
  guint64     *counts;
};

G_DEFINE_FINAL_TYPE (StudioSegmentation, studio_segmentation, G_TYPE_OBJECT)

static void
studio_segmentation_finalize (GObject *object)
{
  StudioSegmentation *self = STUDIO_SEGMENTATION (object);

  g_free (self->image_path);
  g_strfreev (self->class_names);
  g_clear_pointer (&self->rgb8, g_bytes_unref);
  g_clear_object (&self->texture);
  g_free (self->classes);
  g_free (self->probs);
  g_free (self->confidence);
  g_free (self->entropy);
  g_free (self->truth);
  g_free (self->counts);

  G_OBJECT_CLASS (studio_segmentation_parent_class)->finalize (object);
}

static void
studio_segmentation_class_init (StudioSegmentationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = studio_segmentation_finalize;
}

static void
studio_segmentation_init (StudioSegmentation *self)
{
}

/**
 * studio_segmentation_new:
 * @rgb8: packed RGB, width × 3 bytes a row
 * @classes: (transfer full): [height,width]
 * @confidence: (transfer full): [height,width] probability of the predicted class
 * @entropy: (transfer full): [height,width] entropy of the class probabilities, in nats
 * @probs: (transfer full) (nullable): [n_classes,height,width], kept only up to
 *   STUDIO_SEGMENTATION_MAX_PIXELS_WITH_ALL_PROBABILITIES pixels
 * @truth: (transfer full) (nullable): [height,width]
 *
 * Called on the worker thread; the texture is made later, on the main thread.
 */
StudioSegmentation *
studio_segmentation_new (const char        *image_path,
                         guint              serial,
                         int                width,
                         int                height,
                         GBytes            *rgb8,
                         guint8            *classes,
                         float             *confidence,
                         float             *entropy,
                         float             *probs,
                         int                n_classes,
                         const char *const *class_names,
                         guint8            *truth)
{
  StudioSegmentation *self;
  gsize n_pixels = (gsize) width * height;

  g_return_val_if_fail (width > 0 && height > 0 && n_classes > 0, NULL);
  g_return_val_if_fail (rgb8 != NULL && g_bytes_get_size (rgb8) == n_pixels * 3, NULL);
  g_return_val_if_fail (classes != NULL && confidence != NULL && entropy != NULL, NULL);

  self = g_object_new (STUDIO_TYPE_SEGMENTATION, NULL);
  self->image_path = g_strdup (image_path);
  self->serial = serial;
  self->width = width;
  self->height = height;
  self->n_classes = n_classes;
  self->class_names = g_strdupv ((char **) class_names);
  self->rgb8 = g_bytes_ref (rgb8);
  self->classes = classes;
  self->confidence = confidence;
  self->entropy = entropy;
  self->truth = truth;
  self->counts = g_new0 (guint64, n_classes);
  for (gsize i = 0; i < n_pixels; i++)
    if (classes[i] < n_classes)
      self->counts[classes[i]]++;

  if (n_pixels <= STUDIO_SEGMENTATION_MAX_PIXELS_WITH_ALL_PROBABILITIES)
    self->probs = probs;
  else
    g_free (probs);
  return self;
}

const char *
studio_segmentation_get_image_path (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), NULL);
  return self->image_path;
}

guint
studio_segmentation_get_serial (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), 0);
  return self->serial;
}

int
studio_segmentation_get_width (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), 0);
  return self->width;
}

int
studio_segmentation_get_height (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), 0);
  return self->height;
}

int
studio_segmentation_get_n_classes (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), 0);
  return self->n_classes;
}

const char *const *
studio_segmentation_get_class_names (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), NULL);
  return (const char *const *) self->class_names;
}

GdkTexture *
studio_segmentation_get_texture (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), NULL);

  if (self->texture == NULL)
    self->texture = gdk_memory_texture_new (self->width, self->height, GDK_MEMORY_R8G8B8,
                                            self->rgb8, (gsize) self->width * 3);
  return self->texture;
}

const guint8 *
studio_segmentation_get_rgb (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), NULL);
  return g_bytes_get_data (self->rgb8, NULL);
}

const guint8 *
studio_segmentation_get_classes (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), NULL);
  return self->classes;
}

const guint8 *
studio_segmentation_get_truth (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), NULL);
  return self->truth;
}

float
studio_segmentation_get_probability (StudioSegmentation *self,
                                     int                 x,
                                     int                 y,
                                     int                 class_index)
{
  gsize i;

  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), NAN);

  if (x < 0 || y < 0 || x >= self->width || y >= self->height || class_index >= self->n_classes)
    return NAN;
  i = (gsize) y * self->width + x;
  if (class_index < 0 || class_index == self->classes[i])
    return self->confidence[i];
  if (self->probs == NULL)
    return NAN;
  return self->probs[(gsize) class_index * self->width * self->height + i];
}

const float *
studio_segmentation_get_class_probabilities (StudioSegmentation *self,
                                             int                 class_index)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), NULL);
  g_return_val_if_fail (class_index >= 0 && class_index < self->n_classes, NULL);

  if (self->probs == NULL)
    return NULL;
  return self->probs + (gsize) class_index * self->width * self->height;
}

const float *
studio_segmentation_get_confidence (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), NULL);
  return self->confidence;
}

const float *
studio_segmentation_get_entropy (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), NULL);
  return self->entropy;
}

const guint64 *
studio_segmentation_get_counts (StudioSegmentation *self)
{
  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), NULL);
  return self->counts;
}

gboolean
studio_segmentation_get_scores (StudioSegmentation *self,
                                double             *miou,
                                double             *pixel_accuracy)
{
  g_autoptr(UnetConfusion) confusion = NULL;

  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (self), FALSE);

  if (self->truth == NULL)
    return FALSE;

  confusion = unet_confusion_new (self->n_classes);
  unet_confusion_add (confusion, self->truth, self->classes, (gsize) self->width * self->height);
  if (miou != NULL)
    *miou = unet_confusion_miou (confusion);
  if (pixel_accuracy != NULL)
    *pixel_accuracy = unet_confusion_pixel_accuracy (confusion);
  return TRUE;
}
