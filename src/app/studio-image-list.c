/* studio-image-list.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "studio-image-list.h"

/* Items shown to the list's views per main-loop iteration while a long list fills. GtkListView
 * builds and binds a row (picture, tooltip, thumbnail task) for each item it can show, up to a
 * couple of hundred at once: given them all in one items-changed, it took 100–230 ms on the
 * main loop; in steps of this many each step takes a few milliseconds. */
#define ITEMS_PER_STEP 32

struct _StudioImageList
{
  GObject    parent_instance;

  GPtrArray *items;
  /* how many of items the GListModel shows yet */
  guint      n_shown;
  guint      fill_id;
};

static void studio_image_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (StudioImageList, studio_image_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      studio_image_list_model_init))

static const char *image_extensions[] = {
  ".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm", NULL
};

static GType
studio_image_list_get_item_type (GListModel *model)
{
  return STUDIO_TYPE_IMAGE_ITEM;
}

static guint
studio_image_list_get_n_items (GListModel *model)
{
  return STUDIO_IMAGE_LIST (model)->n_shown;
}

static gpointer
studio_image_list_get_item (GListModel *model,
                            guint       position)
{
  StudioImageList *self = STUDIO_IMAGE_LIST (model);

  if (position >= self->n_shown)
    return NULL;
  return g_object_ref (self->items->pdata[position]);
}

static void
studio_image_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = studio_image_list_get_item_type;
  iface->get_n_items = studio_image_list_get_n_items;
  iface->get_item = studio_image_list_get_item;
}

StudioImageList *
studio_image_list_new (void)
{
  return g_object_new (STUDIO_TYPE_IMAGE_LIST, NULL);
}

static gboolean
show_more (gpointer data)
{
  StudioImageList *self = data;
  guint first = self->n_shown;
  guint n = MIN (ITEMS_PER_STEP, self->items->len - first);

  self->n_shown += n;
  g_list_model_items_changed (G_LIST_MODEL (self), first, 0, n);
  if (self->n_shown < self->items->len)
    return G_SOURCE_CONTINUE;
  self->fill_id = 0;
  return G_SOURCE_REMOVE;
}

void
studio_image_list_set (StudioImageList *self,
                       GPtrArray       *paths,
                       GPtrArray       *truth_paths)
{
  g_autoptr(GPtrArray) old = NULL;
  guint n_old;

  g_return_if_fail (STUDIO_IS_IMAGE_LIST (self));
  g_return_if_fail (paths != NULL);

  g_clear_handle_id (&self->fill_id, g_source_remove);
  n_old = self->n_shown;
  old = g_steal_pointer (&self->items);
  self->items = g_ptr_array_new_full (paths->len, g_object_unref);
  for (guint i = 0; i < paths->len; i++)
    g_ptr_array_add (self->items,
                     studio_image_item_new (paths->pdata[i],
                                            truth_paths != NULL && i < truth_paths->len
                                            ? truth_paths->pdata[i] : NULL));
  self->n_shown = MIN (paths->len, ITEMS_PER_STEP);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, n_old, self->n_shown);
  if (self->n_shown < self->items->len)
    self->fill_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, show_more, self, NULL);
}

void
studio_image_list_ensure_shown (StudioImageList *self,
                                guint            position)
{
  guint first;

  g_return_if_fail (STUDIO_IS_IMAGE_LIST (self));

  if (position < self->n_shown || position >= self->items->len)
    return;
  first = self->n_shown;
  self->n_shown = position + 1;
  g_list_model_items_changed (G_LIST_MODEL (self), first, 0, self->n_shown - first);
  if (self->n_shown == self->items->len)
    g_clear_handle_id (&self->fill_id, g_source_remove);
}

guint
studio_image_list_get_n_total (StudioImageList *self)
{
  g_return_val_if_fail (STUDIO_IS_IMAGE_LIST (self), 0);

  return self->items->len;
}

StudioImageItem *
studio_image_list_get (StudioImageList *self,
                       guint            position)
{
  g_return_val_if_fail (STUDIO_IS_IMAGE_LIST (self), NULL);

  return position < self->items->len ? self->items->pdata[position] : NULL;
}

GPtrArray *
studio_image_list_dup_paths (StudioImageList *self)
{
  GPtrArray *paths;

  g_return_val_if_fail (STUDIO_IS_IMAGE_LIST (self), NULL);

  paths = g_ptr_array_new_full (self->items->len, g_free);
  for (guint i = 0; i < self->items->len; i++)
    g_ptr_array_add (paths, g_strdup (studio_image_item_get_path (self->items->pdata[i])));
  return paths;
}

static gboolean
is_image_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; image_extensions[i] != NULL; i++)
    if (g_str_has_suffix (lower, image_extensions[i]))
      return TRUE;
  return FALSE;
}

static int
compare_file_names (gconstpointer a,
                    gconstpointer b)
{
  g_autofree char *key_a = g_utf8_collate_key_for_filename (*(const char **) a, -1);
  g_autofree char *key_b = g_utf8_collate_key_for_filename (*(const char **) b, -1);

  return strcmp (key_a, key_b);
}

GPtrArray *
studio_image_list_scan_folder (GFile         *folder,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *folder_path = NULL;

  g_return_val_if_fail (G_IS_FILE (folder), NULL);

  folder_path = g_file_get_path (folder);
  enumerator = g_file_enumerate_children (folder,
                                          G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                          G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                          G_FILE_QUERY_INFO_NONE, cancellable, error);
  if (enumerator == NULL)
    return NULL;
  for (;;)
    {
      GFileInfo *info;

      if (!g_file_enumerator_iterate (enumerator, &info, NULL, cancellable, error))
        return NULL;
      if (info == NULL)
        break;
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR &&
          is_image_name (g_file_info_get_name (info)))
        g_ptr_array_add (paths, g_build_filename (folder_path, g_file_info_get_name (info), NULL));
    }
  g_ptr_array_sort (paths, compare_file_names);
  return g_steal_pointer (&paths);
}

static void
studio_image_list_dispose (GObject *object)
{
  StudioImageList *self = STUDIO_IMAGE_LIST (object);

  g_clear_handle_id (&self->fill_id, g_source_remove);

  G_OBJECT_CLASS (studio_image_list_parent_class)->dispose (object);
}

static void
studio_image_list_finalize (GObject *object)
{
  StudioImageList *self = STUDIO_IMAGE_LIST (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (studio_image_list_parent_class)->finalize (object);
}

static void
studio_image_list_class_init (StudioImageListClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = studio_image_list_dispose;
  G_OBJECT_CLASS (klass)->finalize = studio_image_list_finalize;
}

static void
studio_image_list_init (StudioImageList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}
