/* studio-image-item.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "studio-image-item.h"

struct _StudioImageItem
{
  GObject     parent_instance;

  char       *path;
  char       *truth_path;
  GdkTexture *thumbnail;
};

G_DEFINE_FINAL_TYPE (StudioImageItem, studio_image_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_TRUTH_PATH,
  PROP_THUMBNAIL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

StudioImageItem *
studio_image_item_new (const char *path,
                       const char *truth_path)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_object_new (STUDIO_TYPE_IMAGE_ITEM, "path", path, "truth-path", truth_path, NULL);
}

const char *
studio_image_item_get_path (StudioImageItem *self)
{
  g_return_val_if_fail (STUDIO_IS_IMAGE_ITEM (self), NULL);

  return self->path;
}

const char *
studio_image_item_get_truth_path (StudioImageItem *self)
{
  g_return_val_if_fail (STUDIO_IS_IMAGE_ITEM (self), NULL);

  return self->truth_path;
}

GdkTexture *
studio_image_item_get_thumbnail (StudioImageItem *self)
{
  g_return_val_if_fail (STUDIO_IS_IMAGE_ITEM (self), NULL);

  return self->thumbnail;
}

void
studio_image_item_set_thumbnail (StudioImageItem *self,
                                 GdkTexture      *thumbnail)
{
  g_return_if_fail (STUDIO_IS_IMAGE_ITEM (self));
  g_return_if_fail (thumbnail == NULL || GDK_IS_TEXTURE (thumbnail));

  if (g_set_object (&self->thumbnail, thumbnail))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THUMBNAIL]);
}

static void
studio_image_item_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  StudioImageItem *self = STUDIO_IMAGE_ITEM (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_TRUTH_PATH:
      g_value_set_string (value, self->truth_path);
      break;
    case PROP_THUMBNAIL:
      g_value_set_object (value, self->thumbnail);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_image_item_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  StudioImageItem *self = STUDIO_IMAGE_ITEM (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    case PROP_TRUTH_PATH:
      self->truth_path = g_value_dup_string (value);
      break;
    case PROP_THUMBNAIL:
      studio_image_item_set_thumbnail (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_image_item_finalize (GObject *object)
{
  StudioImageItem *self = STUDIO_IMAGE_ITEM (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->truth_path, g_free);
  g_clear_object (&self->thumbnail);

  G_OBJECT_CLASS (studio_image_item_parent_class)->finalize (object);
}

static void
studio_image_item_class_init (StudioImageItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = studio_image_item_finalize;
  object_class->get_property = studio_image_item_get_property;
  object_class->set_property = studio_image_item_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRUTH_PATH] =
    g_param_spec_string ("truth-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_THUMBNAIL] =
    g_param_spec_object ("thumbnail", NULL, NULL, GDK_TYPE_TEXTURE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
studio_image_item_init (StudioImageItem *self)
{
}
