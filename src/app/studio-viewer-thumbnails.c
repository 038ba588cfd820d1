/* studio-viewer-thumbnails.c: the strip of thumbnails under the image, each loaded on a thread
 * when its row first shows and kept by its StudioImageItem
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "studio-viewer-private.h"

#define THUMBNAIL_WIDTH  112
#define THUMBNAIL_HEIGHT 80

static void
load_thumbnail_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  GError *error = NULL;
  GdkPixbuf *pixbuf;

  if (g_task_return_error_if_cancelled (task))
    return;
  pixbuf = gdk_pixbuf_new_from_file_at_scale (studio_image_item_get_path (task_data),
                                              THUMBNAIL_WIDTH * 2, THUMBNAIL_HEIGHT * 2, TRUE,
                                              &error);
  if (pixbuf == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, pixbuf, g_object_unref);
}

static void
on_thumbnail_loaded (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GtkPicture) picture = user_data;
  g_autoptr(GdkPixbuf) pixbuf = g_task_propagate_pointer (G_TASK (result), NULL);
  StudioImageItem *item = g_task_get_task_data (G_TASK (result));
  g_autoptr(GdkTexture) texture = NULL;

  if (pixbuf == NULL)
    return;
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  studio_image_item_set_thumbnail (item, texture);
  /* the row may show another image by now */
  if (g_object_get_data (G_OBJECT (picture), "item") == item)
    gtk_picture_set_paintable (picture, GDK_PAINTABLE (texture));
}

static void
setup_thumbnail (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 StudioViewer             *self)
{
  GtkWidget *picture = gtk_picture_new ();

  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
  gtk_widget_set_size_request (picture, THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT);
  gtk_widget_add_css_class (picture, "thumbnail");
  gtk_list_item_set_child (list_item, picture);
}

static void
bind_thumbnail (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                StudioViewer             *self)
{
  GtkPicture *picture = GTK_PICTURE (gtk_list_item_get_child (list_item));
  StudioImageItem *item = gtk_list_item_get_item (list_item);
  GdkTexture *texture = studio_image_item_get_thumbnail (item);
  g_autofree char *name = g_path_get_basename (studio_image_item_get_path (item));
  g_autoptr(GTask) task = NULL;

  /* only compared, never dereferenced: the list keeps the item while it is bound */
  g_object_set_data (G_OBJECT (picture), "item", item);
  gtk_widget_set_tooltip_text (GTK_WIDGET (picture), name);
  gtk_picture_set_paintable (picture, GDK_PAINTABLE (texture));
  if (texture != NULL)
    return;
  task = g_task_new (NULL, self->thumbnail_cancellable, on_thumbnail_loaded, g_object_ref (picture));
  g_task_set_task_data (task, g_object_ref (item), g_object_unref);
  g_task_run_in_thread (task, load_thumbnail_thread);
}

static void
unbind_thumbnail (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  StudioViewer             *self)
{
  g_object_set_data (G_OBJECT (gtk_list_item_get_child (list_item)), "item", NULL);
}

GtkListItemFactory *
studio_viewer_thumbnail_factory_new (StudioViewer *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_thumbnail), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_thumbnail), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_thumbnail), self);
  return factory;
}
