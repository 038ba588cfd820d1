/* studio-viewer-open.c: what the viewer browses — files, a folder, a dataset split, whose files
 * are checked on a thread
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "studio-viewer-private.h"

/* Replaces what is browsed; truth_paths may be NULL, and so may the dataset they come from.
 * Takes neither array. */
void
studio_viewer_set_images (StudioViewer *self,
                          GPtrArray    *paths,
                          GPtrArray    *truth_paths,
                          VocDataset   *dataset,
                          guint         position)
{
  g_clear_pointer (&self->truth_classes, voc_classes_unref);
  if (dataset != NULL)
    {
      self->truth_classes = voc_classes_ref (voc_dataset_get_classes (dataset));
      self->truth_binary_allowed = voc_dataset_get_layout (dataset) == VOC_LAYOUT_PLAIN;
    }
  gtk_widget_set_visible (self->dataset_box, dataset != NULL);
  studio_dataset_summary_set_dataset (self->dataset_summary,
                                      dataset != NULL ? voc_dataset_get_root (dataset) : NULL);

  /* the old list's thumbnails are of no use any more */
  g_cancellable_cancel (self->thumbnail_cancellable);
  g_clear_object (&self->thumbnail_cancellable);
  self->thumbnail_cancellable = g_cancellable_new ();

  studio_viewer_show_segmentation (self, NULL);
  studio_image_view_set_texture (self->image_view, NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  studio_image_list_set (self->images, paths, truth_paths);
  gtk_widget_set_visible (self->thumbnail_scroller, paths->len > 1);
  gtk_stack_set_visible_child_name (self->stack, paths->len > 0 ? "image" : "empty");
  if (paths->len > 0)
    studio_viewer_set_position (self, MIN (position, paths->len - 1));
  studio_viewer_notify_position (self);
}

/* A newer choice of what to browse wins over a dataset still being checked. */
static void
cancel_opening (StudioViewer *self)
{
  g_cancellable_cancel (self->open_cancellable);
  g_clear_object (&self->open_cancellable);
  studio_viewer_hide_progress (self);
}

void
studio_viewer_open_files (StudioViewer  *self,
                          GFile        **files,
                          int            n_files)
{
  g_autoptr(GPtrArray) paths = NULL;
  g_autofree char *first = NULL;
  guint position = 0;

  g_return_if_fail (STUDIO_IS_VIEWER (self));
  g_return_if_fail (files != NULL || n_files == 0);

  if (n_files == 0)
    return;

  cancel_opening (self);
  g_clear_pointer (&self->dataset_title, g_free);
  first = g_file_get_path (files[0]);
  if (first == NULL)
    {
      studio_viewer_add_toast (self, _("Only local files can be opened"));
      return;
    }

  if (n_files == 1)
    {
      g_autoptr(GFile) folder = g_file_get_parent (files[0]);

      /* One image: browse its folder too, as image viewers do. */
      paths = folder != NULL ? studio_image_list_scan_folder (folder, NULL, NULL) : NULL;
      if (paths != NULL && !g_ptr_array_find_with_equal_func (paths, first, g_str_equal, &position))
        g_clear_pointer (&paths, g_ptr_array_unref);
    }
  if (paths == NULL)
    {
      paths = g_ptr_array_new_with_free_func (g_free);
      for (int i = 0; i < n_files; i++)
        {
          char *path = g_file_get_path (files[i]);

          if (path != NULL)
            g_ptr_array_add (paths, path);
        }
      position = 0;
    }
  studio_viewer_set_images (self, paths, NULL, NULL, position);
}

gboolean
studio_viewer_open_folder (StudioViewer  *self,
                           GFile         *folder,
                           GError       **error)
{
  g_autoptr(GPtrArray) paths = NULL;

  g_return_val_if_fail (STUDIO_IS_VIEWER (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (folder), FALSE);

  paths = studio_image_list_scan_folder (folder, NULL, error);
  if (paths == NULL)
    return FALSE;
  if (paths->len == 0)
    {
      g_autofree char *name = g_file_get_parse_name (folder);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s holds no images"), name);
      return FALSE;
    }
  cancel_opening (self);
  g_clear_pointer (&self->dataset_title, g_free);
  studio_viewer_set_images (self, paths, NULL, NULL, 0);
  return TRUE;
}

/* --- a dataset, checked on a thread -------------------------------------------------------- */

typedef struct
{
  char       *root;
  char       *split;   /* asked for, then the one shown */
  VocDataset *dataset;
  GPtrArray  *paths;
  GPtrArray  *truths;
} OpenJob;

static void
open_job_free (OpenJob *job)
{
  g_free (job->root);
  g_free (job->split);
  g_clear_pointer (&job->dataset, voc_dataset_unref);
  g_clear_pointer (&job->paths, g_ptr_array_unref);
  g_clear_pointer (&job->truths, g_ptr_array_unref);
  g_free (job);
}

/* split NULL picks val (the images the model was not trained on), else train, else the first. */
static char *
choose_split (VocDataset  *dataset,
              const char  *split,
              const char  *root,
              GError     **error)
{
  static const char *preferred[] = { "val", "train" };
  g_auto(GStrv) splits = NULL;

  if (split != NULL)
    return g_strdup (split);
  splits = voc_dataset_list_splits (dataset);
  for (guint i = 0; i < G_N_ELEMENTS (preferred); i++)
    if (g_strv_contains ((const char *const *) splits, preferred[i]))
      return g_strdup (preferred[i]);
  if (splits[0] != NULL)
    return g_strdup (splits[0]);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s has no splits"), root);
  return NULL;
}

/* Everything that touches the disk: the layout, the split's list and every id's files. */
static void
open_dataset_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  OpenJob *job = task_data;
  g_autoptr(GPtrArray) ids = NULL;
  GError *error = NULL;
  char *split;

  job->dataset = voc_dataset_open (job->root, &error);
  if (job->dataset == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  split = choose_split (job->dataset, job->split, job->root, &error);
  if (split == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_free (job->split);
  job->split = split;
  if (g_task_return_error_if_cancelled (task))
    return;
  /* Official lists name images that a partial download lacks: show those that are there. */
  ids = voc_dataset_get_split (job->dataset, split, TRUE, NULL, &error);
  if (ids == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  job->paths = g_ptr_array_new_full (ids->len, g_free);
  job->truths = g_ptr_array_new_full (ids->len, g_free);
  for (guint i = 0; i < ids->len; i++)
    {
      g_ptr_array_add (job->paths, voc_dataset_get_image_path (job->dataset, ids->pdata[i]));
      g_ptr_array_add (job->truths, voc_dataset_get_mask_path (job->dataset, ids->pdata[i]));
    }
  g_task_return_boolean (task, TRUE);
}

static void
on_dataset_checked (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  StudioViewer *self = STUDIO_VIEWER (source_object);
  g_autoptr(GTask) outer = user_data;
  OpenJob *job = g_task_get_task_data (outer);
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  /* a newer choice of what to browse has taken over the progress bar */
  if (cancellable == self->open_cancellable)
    {
      g_clear_object (&self->open_cancellable);
      studio_viewer_hide_progress (self);
    }
  if (!g_task_propagate_boolean (G_TASK (result), &error) ||
      g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }

  name = g_path_get_basename (job->root);
  g_free (self->dataset_title);
  /* Translators: a dataset's folder name and the split shown, e.g. "VOCdevkit, val" */
  self->dataset_title = g_strdup_printf (_("%s, %s"), name, job->split);
  if (self->recent_datasets != NULL)
    studio_recent_datasets_add (self->recent_datasets, job->root);
  studio_viewer_set_images (self, job->paths, job->truths, job->dataset, 0);
  g_task_return_boolean (outer, TRUE);
}

void
studio_viewer_open_dataset_async (StudioViewer        *self,
                                  const char          *root,
                                  const char          *split,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) inner = NULL;
  GTask *outer;
  OpenJob *job;

  g_return_if_fail (STUDIO_IS_VIEWER (self));
  g_return_if_fail (root != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  cancel_opening (self);
  self->open_cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  job = g_new0 (OpenJob, 1);
  job->root = g_strdup (root);
  job->split = g_strdup (split);
  outer = g_task_new (self, self->open_cancellable, callback, user_data);
  g_task_set_source_tag (outer, studio_viewer_open_dataset_async);
  g_task_set_task_data (outer, job, (GDestroyNotify) open_job_free);

  studio_viewer_show_progress (self, _("Checking the dataset’s files…"), -1.0);
  /* the outer task lives until the inner one's result is applied, and owns the job */
  inner = g_task_new (self, self->open_cancellable, on_dataset_checked, outer);
  g_task_set_source_tag (inner, open_dataset_thread);
  g_task_set_task_data (inner, job, NULL);
  g_task_run_in_thread (inner, open_dataset_thread);
}

gboolean
studio_viewer_open_dataset_finish (StudioViewer  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_dataset_opened (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  StudioViewer *self = STUDIO_VIEWER (source_object);
  g_autoptr(GError) error = NULL;

  if (!studio_viewer_open_dataset_finish (self, result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    studio_viewer_add_toast (self, error->message);
}

gboolean
studio_viewer_open_dataset (StudioViewer  *self,
                            const char    *root,
                            const char    *split,
                            GError       **error)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), FALSE);
  g_return_val_if_fail (root != NULL, FALSE);

  if (!g_file_test (root, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *display = g_filename_display_name (root);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s: no such folder"), display);
      return FALSE;
    }
  studio_viewer_open_dataset_async (self, root, split, NULL, on_dataset_opened, NULL);
  return TRUE;
}

gboolean
studio_viewer_is_opening (StudioViewer *self)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), FALSE);

  return self->open_cancellable != NULL;
}
