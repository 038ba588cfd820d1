/* studio-viewer-overlay.c: the viewer's colours over the image, drawn on the spot for an
 * ordinary photo and on a thread for a large one
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "studio-viewer-private.h"

/* The model's colours, with the ones the user chose in Preferences over them. */
void
studio_viewer_update_palette (StudioViewer *self)
{
  StudioModelInfo *info = self->worker != NULL ? studio_worker_get_model_info (self->worker) : NULL;
  g_auto(GStrv) custom = NULL;

  memcpy (self->palette, voc_colormap_table (), sizeof self->palette);
  if (info != NULL)
    memcpy (self->palette, studio_model_info_get_palette (info),
            (gsize) MIN (studio_model_info_get_n_classes (info), STUDIO_VIEWER_MAX_CLASSES) * 3);
  if (self->settings == NULL)
    return;
  custom = g_settings_get_strv (self->settings, "class-colors");
  for (guint i = 0; custom[i] != NULL && i < STUDIO_VIEWER_MAX_CLASSES; i++)
    {
      GdkRGBA rgba;

      if (custom[i][0] != '\0' && gdk_rgba_parse (&rgba, custom[i]))
        {
          self->palette[i * 3] = (guint8) lround (rgba.red * 255);
          self->palette[i * 3 + 1] = (guint8) lround (rgba.green * 255);
          self->palette[i * 3 + 2] = (guint8) lround (rgba.blue * 255);
        }
    }
}

/* The class whose probability the confidence view shows, or -1 for the predicted class (or the
 * entropy, as Preferences say). */
int
studio_viewer_get_confidence_class (StudioViewer *self)
{
  guint selected = gtk_drop_down_get_selected (self->confidence_dropdown);

  return selected == GTK_INVALID_LIST_POSITION || selected == 0 ? -1 : (int) selected - 1;
}

/* The dropdown lists "the predicted class" and then every class of the model. */
void
studio_viewer_update_confidence_classes (StudioViewer *self)
{
  g_autoptr(GtkStringList) list = NULL;
  const char *const *names;
  int n_classes;
  GListModel *current = gtk_drop_down_get_model (self->confidence_dropdown);

  if (self->segmentation == NULL)
    return;
  names = studio_segmentation_get_class_names (self->segmentation);
  n_classes = studio_segmentation_get_n_classes (self->segmentation);
  if (current != NULL && g_list_model_get_n_items (current) == (guint) n_classes + 1 &&
      g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (current), n_classes), names[n_classes - 1]) == 0)
    return;
  list = gtk_string_list_new (NULL);
  gtk_string_list_append (list, _("Predicted class"));
  for (int c = 0; c < n_classes; c++)
    gtk_string_list_append (list, names[c]);
  gtk_drop_down_set_model (self->confidence_dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (self->confidence_dropdown, 0);
}

/* What the overlay depends on now, besides the segmentation. */
static void
get_overlay_style (StudioViewer       *self,
                   StudioOverlayStyle *style)
{
  style->mode = self->view_mode;
  style->confidence_class = studio_viewer_get_confidence_class (self);
  style->entropy = self->settings != NULL &&
                   g_settings_get_enum (self->settings, "confidence-kind") == 1;
  memcpy (style->palette, self->palette, sizeof style->palette);
  for (int c = 0; c < STUDIO_VIEWER_MAX_CLASSES; c++)
    style->visible[c] = studio_legend_get_class_visible (self->legend, c);
}

static void
show_overlay (StudioViewer       *self,
              StudioSegmentation *segmentation,
              GBytes             *rgba)
{
  g_autoptr(GdkTexture) overlay = NULL;

  if (rgba != NULL)
    overlay = gdk_memory_texture_new (studio_segmentation_get_width (segmentation),
                                      studio_segmentation_get_height (segmentation),
                                      GDK_MEMORY_R8G8B8A8, rgba,
                                      (gsize) studio_segmentation_get_width (segmentation) * 4);
  if (rgba == NULL)
    segmentation = NULL;
  g_set_object (&self->overlay_segmentation, segmentation);
  studio_image_view_set_overlay (self->image_view, overlay);
}

typedef struct
{
  GWeakRef            viewer;
  StudioSegmentation *segmentation;
  StudioOverlayStyle  style;
} OverlayJob;

static void
overlay_job_free (OverlayJob *job)
{
  g_weak_ref_clear (&job->viewer);
  g_clear_object (&job->segmentation);
  g_free (job);
}

static void
render_overlay_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  OverlayJob *job = task_data;
  GBytes *rgba;

  if (g_task_return_error_if_cancelled (task))
    return;
  rgba = studio_overlay_render (job->segmentation, &job->style);
  if (rgba == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                             _("Not enough memory to draw the overlay of a %d×%d image"),
                             studio_segmentation_get_width (job->segmentation),
                             studio_segmentation_get_height (job->segmentation));
  else
    g_task_return_pointer (task, rgba, (GDestroyNotify) g_bytes_unref);
}

static void
on_overlay_rendered (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  OverlayJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(StudioViewer) self = g_weak_ref_get (&job->viewer);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) rgba = g_task_propagate_pointer (G_TASK (result), &error);

  /* a newer drawing replaced this one, or the viewer is gone */
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->overlay_cancellable);
  if (rgba == NULL)
    {
      studio_viewer_add_toast (self, error->message);
      return;
    }
  show_overlay (self, job->segmentation, rgba);
}

/* Draws the overlay for the current segmentation and view: on the spot for an ordinary photo,
 * on a thread for a large one. Meanwhile the overlay of the same image stays (the view changes
 * when the new one is ready); another image's goes at once. */
void
studio_viewer_update_overlay (StudioViewer *self)
{
  g_autoptr(GTask) task = NULL;
  StudioSegmentation *seg = self->segmentation;
  OverlayJob *job;

  g_cancellable_cancel (self->overlay_cancellable);
  g_clear_object (&self->overlay_cancellable);
  if (seg == NULL)
    {
      show_overlay (self, NULL, NULL);
      return;
    }

  job = g_new0 (OverlayJob, 1);
  g_weak_ref_init (&job->viewer, self);
  job->segmentation = g_object_ref (seg);
  get_overlay_style (self, &job->style);
  if ((gsize) studio_segmentation_get_width (seg) * studio_segmentation_get_height (seg) <=
      self->sync_overlay_max_pixels)
    {
      g_autoptr(GBytes) rgba = studio_overlay_render (seg, &job->style);

      show_overlay (self, seg, rgba);
      overlay_job_free (job);
      return;
    }

  if (self->overlay_segmentation != seg)
    show_overlay (self, NULL, NULL);
  self->overlay_cancellable = g_cancellable_new ();
  task = g_task_new (NULL, self->overlay_cancellable, on_overlay_rendered, NULL);
  g_task_set_source_tag (task, studio_viewer_update_overlay);
  g_task_set_task_data (task, job, (GDestroyNotify) overlay_job_free);
  g_task_run_in_thread (task, render_overlay_thread);
}

gboolean
studio_viewer_is_drawing_overlay (StudioViewer *self)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), FALSE);

  return self->overlay_cancellable != NULL;
}

void
studio_viewer_set_sync_overlay_max_pixels (StudioViewer *self,
                                           gsize         max_pixels)
{
  g_return_if_fail (STUDIO_IS_VIEWER (self));

  self->sync_overlay_max_pixels = max_pixels;
}

const guint8 *
studio_viewer_get_palette (StudioViewer *self)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), NULL);

  return self->palette;
}
