/* studio-model-info.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "studio-model-info.h"
#include "unet/unet-model-train.h"

struct _StudioModelInfo
{
  GObject      parent_instance;

  char        *name;
  char        *path;
  UnetConfig   config;
  char       **class_names;
  guint8      *palette;
  gsize        n_parameters;
  double       input_scale;
  int          max_classes;
  GHashTable  *metadata;
};

G_DEFINE_FINAL_TYPE (StudioModelInfo, studio_model_info, G_TYPE_OBJECT)

static void
studio_model_info_finalize (GObject *object)
{
  StudioModelInfo *self = STUDIO_MODEL_INFO (object);

  g_free (self->name);
  g_free (self->path);
  g_strfreev (self->class_names);
  g_free (self->palette);
  g_hash_table_unref (self->metadata);

  G_OBJECT_CLASS (studio_model_info_parent_class)->finalize (object);
}

static void
studio_model_info_class_init (StudioModelInfoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = studio_model_info_finalize;
}

static void
studio_model_info_init (StudioModelInfo *self)
{
  self->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

StudioModelInfo *
studio_model_info_new (UnetModel  *model,
                       const char *name,
                       const char *path)
{
  StudioModelInfo *self;
  GHashTable *info;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (model != NULL, NULL);

  self = g_object_new (STUDIO_TYPE_MODEL_INFO, NULL);
  self->path = g_strdup (path);
  self->name = name != NULL ? g_strdup (name) : g_path_get_basename (path);
  self->config = *unet_model_get_config (model);
  self->class_names = g_strdupv ((char **) unet_model_get_class_names (model));
  self->palette = g_memdup2 (unet_model_get_palette (model), (gsize) self->config.classes * 3);
  self->n_parameters = unet_model_count_trainable (model);
  self->input_scale = unet_model_get_input_scale (model);
  self->max_classes = unet_model_get_max_classes (model);

  info = unet_model_get_info_table (model);
  if (info != NULL)
    {
      g_hash_table_iter_init (&iter, info);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (self->metadata, g_strdup (key), g_strdup (value));
    }
  return self;
}

const char *
studio_model_info_get_name (StudioModelInfo *self)
{
  g_return_val_if_fail (STUDIO_IS_MODEL_INFO (self), NULL);
  return self->name;
}

const char *
studio_model_info_get_path (StudioModelInfo *self)
{
  g_return_val_if_fail (STUDIO_IS_MODEL_INFO (self), NULL);
  return self->path;
}

const UnetConfig *
studio_model_info_get_config (StudioModelInfo *self)
{
  g_return_val_if_fail (STUDIO_IS_MODEL_INFO (self), NULL);
  return &self->config;
}

int
studio_model_info_get_n_classes (StudioModelInfo *self)
{
  g_return_val_if_fail (STUDIO_IS_MODEL_INFO (self), 0);
  return self->config.classes;
}

const char *const *
studio_model_info_get_class_names (StudioModelInfo *self)
{
  g_return_val_if_fail (STUDIO_IS_MODEL_INFO (self), NULL);
  return (const char *const *) self->class_names;
}

const guint8 *
studio_model_info_get_palette (StudioModelInfo *self)
{
  g_return_val_if_fail (STUDIO_IS_MODEL_INFO (self), NULL);
  return self->palette;
}

gsize
studio_model_info_get_n_parameters (StudioModelInfo *self)
{
  g_return_val_if_fail (STUDIO_IS_MODEL_INFO (self), 0);
  return self->n_parameters;
}

GHashTable *
studio_model_info_get_metadata (StudioModelInfo *self)
{
  g_return_val_if_fail (STUDIO_IS_MODEL_INFO (self), NULL);
  return self->metadata;
}

char *
studio_model_info_describe (StudioModelInfo *self)
{
  GString *text;
  g_autoptr(GList) keys = NULL;

  g_return_val_if_fail (STUDIO_IS_MODEL_INFO (self), NULL);

  text = g_string_new (NULL);
  g_string_append_printf (text, _("U-Net of depth %d, base width %d, %s padding, %s"),
                          self->config.depth, self->config.base,
                          self->config.padding == UNET_PADDING_SAME ? _("same") : _("valid"),
                          self->config.norm == UNET_NORM_BATCH ? _("batch norm") : _("no norm"));
  g_string_append_c (text, '\n');
  g_string_append_printf (text, _("%d classes, %.2f million parameters"), self->config.classes,
                          self->n_parameters / 1e6);
  g_string_append_c (text, '\n');
  if (self->input_scale != 1.0)
    {
      g_string_append_printf (text, _("Sees photos at %g× their size"), self->input_scale);
      g_string_append_c (text, '\n');
    }
  if (self->max_classes > 0)
    {
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE,
                                                 "At most %d kind of object per photo",
                                                 "At most %d kinds of object per photo",
                                                 self->max_classes),
                              self->max_classes);
      g_string_append_c (text, '\n');
    }
  g_string_append (text, self->path != NULL ? self->path : _("Built into the application"));

  keys = g_list_sort (g_hash_table_get_keys (self->metadata), (GCompareFunc) g_strcmp0);
  if (keys != NULL)
    g_string_append_c (text, '\n');
  for (GList *l = keys; l != NULL; l = l->next)
    g_string_append_printf (text, "\n%s: %s", (const char *) l->data,
                            (const char *) g_hash_table_lookup (self->metadata, l->data));
  return g_string_free (text, FALSE);
}
