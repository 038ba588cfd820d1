/* studio-recent-datasets.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gtk/gtk.h>

#include "studio-recent-datasets.h"
#include "studio-util.h"

#define KEY "recent-datasets"

struct _StudioRecentDatasets
{
  GObject        parent_instance;

  GSettings     *settings;
  /* a copy of the key, so that readers need not go to the settings backend */
  GtkStringList *paths;
};

static void studio_recent_datasets_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (StudioRecentDatasets, studio_recent_datasets, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      studio_recent_datasets_model_init))

static GType
get_item_type (GListModel *model)
{
  return GTK_TYPE_STRING_OBJECT;
}

static guint
get_n_items (GListModel *model)
{
  return g_list_model_get_n_items (G_LIST_MODEL (STUDIO_RECENT_DATASETS (model)->paths));
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  return g_list_model_get_item (G_LIST_MODEL (STUDIO_RECENT_DATASETS (model)->paths), position);
}

static void
studio_recent_datasets_model_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
set_paths (StudioRecentDatasets *self,
           const char *const    *paths)
{
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->paths));
  guint n_new = paths != NULL ? g_strv_length ((char **) paths) : 0;

  gtk_string_list_splice (self->paths, 0, n_old, paths);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, n_old, n_new);
}

static void
on_settings_changed (StudioRecentDatasets *self)
{
  g_auto(GStrv) recent = g_settings_get_strv (self->settings, KEY);

  set_paths (self, (const char *const *) recent);
}

/* Writes the list: to the settings, whose change signal updates the model, or to the model. */
static void
store (StudioRecentDatasets *self,
       const char *const    *paths)
{
  if (self->settings != NULL)
    g_settings_set_strv (self->settings, KEY, paths);
  else
    set_paths (self, paths);
}

static GStrv
dup_paths (StudioRecentDatasets *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->paths));

  for (guint i = 0; i < n; i++)
    g_strv_builder_add (builder, gtk_string_list_get_string (self->paths, i));
  return g_strv_builder_end (builder);
}

StudioRecentDatasets *
studio_recent_datasets_new (GSettings *settings)
{
  StudioRecentDatasets *self;

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (STUDIO_TYPE_RECENT_DATASETS, NULL);
  if (settings != NULL)
    {
      self->settings = g_object_ref (settings);
      g_signal_connect_object (settings, "changed::" KEY, G_CALLBACK (on_settings_changed), self,
                               G_CONNECT_SWAPPED);
      on_settings_changed (self);
    }
  return self;
}

void
studio_recent_datasets_add (StudioRecentDatasets *self,
                            const char           *root)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) recent = NULL;
  g_auto(GStrv) updated = NULL;
  guint n = 1;

  g_return_if_fail (STUDIO_IS_RECENT_DATASETS (self));
  g_return_if_fail (root != NULL);

  recent = dup_paths (self);
  builder = g_strv_builder_new ();
  g_strv_builder_add (builder, root);
  for (guint i = 0; recent[i] != NULL && n < STUDIO_RECENT_DATASETS_MAX; i++)
    if (!g_str_equal (recent[i], root))
      {
        g_strv_builder_add (builder, recent[i]);
        n++;
      }
  updated = g_strv_builder_end (builder);
  store (self, (const char *const *) updated);
}

void
studio_recent_datasets_remove (StudioRecentDatasets *self,
                               const char           *root)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) recent = NULL;
  g_auto(GStrv) updated = NULL;

  g_return_if_fail (STUDIO_IS_RECENT_DATASETS (self));
  g_return_if_fail (root != NULL);

  recent = dup_paths (self);
  builder = g_strv_builder_new ();
  for (guint i = 0; recent[i] != NULL; i++)
    if (!g_str_equal (recent[i], root))
      g_strv_builder_add (builder, recent[i]);
  updated = g_strv_builder_end (builder);
  store (self, (const char *const *) updated);
}

void
studio_recent_datasets_clear (StudioRecentDatasets *self)
{
  g_return_if_fail (STUDIO_IS_RECENT_DATASETS (self));

  store (self, NULL);
}

const char *
studio_recent_datasets_get_latest (StudioRecentDatasets *self)
{
  g_return_val_if_fail (STUDIO_IS_RECENT_DATASETS (self), NULL);

  return gtk_string_list_get_string (self->paths, 0);
}

GMenuModel *
studio_recent_datasets_create_menu (StudioRecentDatasets *self,
                                    const char           *action_name)
{
  GMenu *menu;
  guint n;

  g_return_val_if_fail (STUDIO_IS_RECENT_DATASETS (self), NULL);
  g_return_val_if_fail (action_name != NULL, NULL);

  menu = g_menu_new ();
  n = MIN (g_list_model_get_n_items (G_LIST_MODEL (self->paths)), STUDIO_RECENT_DATASETS_MAX);
  for (guint i = 0; i < n; i++)
    {
      const char *path = gtk_string_list_get_string (self->paths, i);
      g_autofree char *label = studio_display_path (path);
      g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

      g_menu_item_set_action_and_target_value (item, action_name, g_variant_new_string (path));
      g_menu_append_item (menu, item);
    }
  return G_MENU_MODEL (menu);
}

static void
studio_recent_datasets_dispose (GObject *object)
{
  StudioRecentDatasets *self = STUDIO_RECENT_DATASETS (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->paths);

  G_OBJECT_CLASS (studio_recent_datasets_parent_class)->dispose (object);
}

static void
studio_recent_datasets_class_init (StudioRecentDatasetsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = studio_recent_datasets_dispose;
}

static void
studio_recent_datasets_init (StudioRecentDatasets *self)
{
  self->paths = gtk_string_list_new (NULL);
}
