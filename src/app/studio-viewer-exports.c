/* studio-viewer-exports.c: the viewer's five exports — the class mask, the overlay, a mask per
 * class, the legend, every image browsed — from the dialogs to the files. One image's files are
 * encoded on a thread, every image's on the worker; both show their progress under the image
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "studio-viewer-private.h"

/* --- never over an input ------------------------------------------------------------------- */

static gboolean
same_file (const char *a,
           const char *b)
{
  GStatBuf sa, sb;

  if (a == NULL || b == NULL)
    return FALSE;
  if (g_str_equal (a, b))
    return TRUE;
  /* links and other spellings of one file */
  return g_stat (a, &sa) == 0 && g_stat (b, &sb) == 0 &&
         sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Whether the files an export of every image writes into folder (see
 * studio_export_segmentation()) could replace one of the images: only those in that folder
 * can be hit, by the exact names of the mask, overlay and legend, or by a mask per class, whose
 * names start with the stem. Names only, and one stat per folder: 5000 images take
 * milliseconds. */
static char *
find_input_in_the_way (GPtrArray         *paths,
                       const char        *folder,
                       StudioExportFlags  flags)
{
  g_autoptr(GHashTable) in_folder = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  static const struct {
    StudioExportFlags  flag;
    const char        *suffix;
  } outputs[] = {
    { STUDIO_EXPORT_MASK, ".png" },
    { STUDIO_EXPORT_OVERLAY, "-overlay.png" },
    { STUDIO_EXPORT_LEGEND, "-legend.png" },
  };

  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *dir = g_path_get_dirname (paths->pdata[i]);
      gpointer same;

      if (!g_hash_table_lookup_extended (dirs, dir, NULL, &same))
        {
          same = GINT_TO_POINTER (same_file (dir, folder));
          g_hash_table_insert (dirs, g_strdup (dir), same);
        }
      if (same)
        g_hash_table_add (in_folder, (char *) strrchr (paths->pdata[i], G_DIR_SEPARATOR) + 1);
    }
  if (g_hash_table_size (in_folder) == 0)
    return NULL;

  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *stem = studio_export_stem (paths->pdata[i]);
      g_autofree char *prefix = g_strconcat (stem, "-", NULL);
      GHashTableIter iter;
      const char *name;

      for (gsize k = 0; k < G_N_ELEMENTS (outputs); k++)
        {
          g_autofree char *output = g_strconcat (stem, outputs[k].suffix, NULL);

          if ((flags & outputs[k].flag) && g_hash_table_contains (in_folder, output))
            return g_build_filename (folder, output, NULL);
        }
      if (!(flags & STUDIO_EXPORT_CLASS_MASKS))
        continue;
      g_hash_table_iter_init (&iter, in_folder);
      while (g_hash_table_iter_next (&iter, (gpointer *) &name, NULL))
        if (g_str_has_prefix (name, prefix) && g_str_has_suffix (name, ".png"))
          return g_build_filename (folder, name, NULL);
    }
  return NULL;
}

/* --- every image, on the worker ------------------------------------------------------------ */

void
studio_viewer_on_export_progress (StudioViewer *self,
                                  guint         done,
                                  guint         total,
                                  const char   *path,
                                  StudioWorker *worker)
{
  g_autofree char *name = g_path_get_basename (path);
  /* Translators: export progress, e.g. "Exporting 3 of 20: 000032.jpg" */
  g_autofree char *text = g_strdup_printf (_("Exporting %u of %u: %s"), done + 1, total, name);

  studio_viewer_show_progress (self, text, total > 0 ? (double) done / total : 0.0);
}

void
studio_viewer_on_export_ended (StudioViewer *self,
                               guint         written,
                               GError       *error,
                               StudioWorker *worker)
{
  g_autofree char *message = NULL;

  g_clear_object (&self->export_cancellable);
  studio_viewer_hide_progress (self);
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Export cancelled after %u image",
                                            "Export cancelled after %u images", written), written);
  else if (error != NULL)
    message = g_strdup (error->message);
  else
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %u image",
                                            "Exported %u images", written), written);
  studio_viewer_add_toast (self, message);
}

static void
export_all_images (StudioViewer      *self,
                   const char        *folder,
                   StudioExportFlags  flags)
{
  g_autoptr(GPtrArray) paths = studio_viewer_get_image_paths (self);
  g_autofree char *in_the_way = NULL;

  if (flags == 0)
    {
      studio_viewer_add_toast (self, _("Nothing to export: choose at least one kind of file"));
      return;
    }
  in_the_way = find_input_in_the_way (paths, folder, flags);
  if (in_the_way != NULL)
    {
      g_autofree char *message =
        g_strdup_printf (_("Cannot export into %s: %s is one of the images being exported and "
                           "would be replaced; choose another folder"), folder, in_the_way);

      studio_viewer_add_toast (self, message);
      return;
    }
  g_clear_object (&self->export_cancellable);
  self->export_cancellable = g_cancellable_new ();
  studio_viewer_show_progress (self, _("Exporting…"), 0.0);
  studio_worker_export_folder (self->worker, paths, folder, flags, self->palette,
                               gtk_adjustment_get_value (self->opacity_adjustment),
                               self->export_cancellable);
}

/* --- one image, on a thread ---------------------------------------------------------------- */

typedef struct
{
  StudioExportKind    kind;
  StudioSegmentation *segmentation;
  char               *target;      /* the file, or the folder of the class masks */
  char               *truth_path;  /* the image's mask in its dataset, or NULL */
  guint8              palette[STUDIO_VIEWER_MAX_CLASSES * 3];
  double              opacity;
  guint               n_written;
} ExportJob;

static void
export_job_free (ExportJob *job)
{
  g_clear_object (&job->segmentation);
  g_free (job->target);
  g_free (job->truth_path);
  g_free (job);
}

/* An export never replaces what it was made from: the image, or its dataset's mask. */
static gboolean
check_not_input (ExportJob   *job,
                 const char  *path,
                 GError     **error)
{
  if (!same_file (path, studio_segmentation_get_image_path (job->segmentation)) &&
      !same_file (path, job->truth_path))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
               _("Cannot export to %s: it is the image or mask being exported, which would be "
                 "lost; choose another name or folder"), path);
  return FALSE;
}

/* The files studio_export_class_masks() writes, named as it names them. */
static gboolean
check_class_masks (ExportJob   *job,
                   const char  *stem,
                   GError     **error)
{
  const guint64 *counts = studio_segmentation_get_counts (job->segmentation);
  const char *const *names = studio_segmentation_get_class_names (job->segmentation);

  for (int c = 0; c < studio_segmentation_get_n_classes (job->segmentation); c++)
    if (counts[c] > 0)
      {
        g_autofree char *name = g_strdup_printf ("%s-%s.png", stem, names[c]);
        g_autofree char *path = NULL;

        g_strdelimit (name, "/\\", '_');
        path = g_build_filename (job->target, name, NULL);
        if (!check_not_input (job, path, error))
          return FALSE;
      }
  return TRUE;
}

static gboolean
export_job_run (ExportJob  *job,
                GError    **error)
{
  StudioSegmentation *seg = job->segmentation;

  if (job->kind == STUDIO_EXPORT_KIND_CLASS_MASKS)
    {
      g_autofree char *stem = studio_export_stem (studio_segmentation_get_image_path (seg));
      g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func (g_free);
      gboolean ok;

      if (!check_class_masks (job, stem, error))
        return FALSE;
      ok = studio_export_class_masks (seg, job->target, stem, written, error);
      job->n_written = written->len;
      return ok;
    }
  if (!check_not_input (job, job->target, error))
    return FALSE;
  switch (job->kind)
    {
    case STUDIO_EXPORT_KIND_MASK:
      return studio_export_mask (seg, job->target, job->palette, error);
    case STUDIO_EXPORT_KIND_OVERLAY:
      return studio_export_overlay (seg, job->target, job->palette, job->opacity, error);
    case STUDIO_EXPORT_KIND_LEGEND:
      return studio_export_legend (seg, job->target, job->palette, error);
    case STUDIO_EXPORT_KIND_CLASS_MASKS:
    case STUDIO_EXPORT_KIND_ALL_IMAGES:
    default:
      g_assert_not_reached ();
    }
}

/* Encoding and syncing a 24-megapixel PNG takes seconds, a mask per class several times that. */
static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  if (export_job_run (task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static char *
export_done_message (ExportJob *job)
{
  switch (job->kind)
    {
    case STUDIO_EXPORT_KIND_MASK:
      return g_strdup (_("Saved the class mask: each pixel’s value is its class number, shown in the class colours"));
    case STUDIO_EXPORT_KIND_OVERLAY:
      return g_strdup (_("Saved the overlay"));
    case STUDIO_EXPORT_KIND_CLASS_MASKS:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Saved %u class mask (white = the class)",
                                           "Saved %u class masks (white = the class)",
                                           job->n_written), job->n_written);
    case STUDIO_EXPORT_KIND_LEGEND:
      return g_strdup (_("Saved the legend"));
    case STUDIO_EXPORT_KIND_ALL_IMAGES:
    default:
      g_assert_not_reached ();
    }
}

static void
on_image_exported (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  StudioViewer *self = STUDIO_VIEWER (source_object);
  ExportJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  g_assert (self->n_image_exports > 0);
  self->n_image_exports--;
  /* the files are written; the window that asked for them has gone */
  if (self->images == NULL)
    return;
  studio_viewer_hide_progress (self);
  if (g_task_propagate_boolean (G_TASK (result), &error))
    message = export_done_message (job);
  studio_viewer_add_toast (self, message != NULL ? message : error->message);
}

static const char *
export_progress_label (StudioExportKind kind)
{
  switch (kind)
    {
    case STUDIO_EXPORT_KIND_MASK:
      return _("Saving the class mask…");
    case STUDIO_EXPORT_KIND_OVERLAY:
      return _("Saving the overlay…");
    case STUDIO_EXPORT_KIND_CLASS_MASKS:
      return _("Saving a mask per class…");
    case STUDIO_EXPORT_KIND_LEGEND:
      return _("Saving the legend…");
    case STUDIO_EXPORT_KIND_ALL_IMAGES:
    default:
      g_assert_not_reached ();
    }
}

static void
export_image (StudioViewer       *self,
              StudioExportKind    kind,
              const char         *target,
              StudioSegmentation *segmentation)
{
  g_autoptr(GTask) task = NULL;
  StudioImageItem *item = NULL;
  ExportJob *job;

  if (segmentation == NULL)
    return;
  job = g_new0 (ExportJob, 1);
  job->kind = kind;
  job->segmentation = g_object_ref (segmentation);
  job->target = g_strdup (target);
  memcpy (job->palette, self->palette, sizeof job->palette);
  job->opacity = gtk_adjustment_get_value (self->opacity_adjustment);
  item = studio_image_list_get (self->images, studio_viewer_get_position (self));
  if (item != NULL &&
      g_strcmp0 (studio_image_item_get_path (item),
                 studio_segmentation_get_image_path (segmentation)) == 0)
    job->truth_path = g_strdup (studio_image_item_get_truth_path (item));

  self->n_image_exports++;
  studio_viewer_show_progress (self, export_progress_label (kind), -1.0);
  /* the viewer stays alive until the files are written and the toast says so */
  task = g_task_new (self, NULL, on_image_exported, NULL);
  g_task_set_source_tag (task, export_image);
  g_task_set_task_data (task, job, (GDestroyNotify) export_job_free);
  g_task_run_in_thread (task, export_thread);
}

/* segmentation: the one on show when the dialog opened */
static void
export_to (StudioViewer       *self,
           StudioExportKind    kind,
           GFile              *target,
           StudioExportFlags   flags,
           StudioSegmentation *segmentation)
{
  g_autofree char *path = g_file_get_path (target);

  if (path == NULL)
    studio_viewer_add_toast (self, _("Exports can only be written to local folders"));
  else if (kind == STUDIO_EXPORT_KIND_ALL_IMAGES)
    export_all_images (self, path, flags);
  else
    export_image (self, kind, path, segmentation);
}

void
studio_viewer_export_to (StudioViewer      *self,
                         StudioExportKind   kind,
                         GFile             *target,
                         StudioExportFlags  flags)
{
  g_return_if_fail (STUDIO_IS_VIEWER (self));
  g_return_if_fail (G_IS_FILE (target));
  g_return_if_fail (kind <= STUDIO_EXPORT_KIND_ALL_IMAGES);

  export_to (self, kind, target, flags, self->segmentation);
}

gboolean
studio_viewer_is_exporting (StudioViewer *self)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), FALSE);

  return self->n_image_exports > 0 || self->export_cancellable != NULL;
}

/* --- the dialogs --------------------------------------------------------------------------- */

typedef struct
{
  StudioViewer       *self;
  StudioSegmentation *segmentation;
  StudioExportKind    kind;
} ExportDialog;

static StudioExportFlags
export_flags_from_choices (GtkFileChooser *chooser)
{
  static const struct {
    const char        *id;
    StudioExportFlags  flag;
  } choices[] = {
    { "mask", STUDIO_EXPORT_MASK },
    { "overlay", STUDIO_EXPORT_OVERLAY },
    { "class-masks", STUDIO_EXPORT_CLASS_MASKS },
    { "legend", STUDIO_EXPORT_LEGEND },
  };
  StudioExportFlags flags = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (choices); i++)
    if (g_strcmp0 (gtk_file_chooser_get_choice (chooser, choices[i].id), "true") == 0)
      flags |= choices[i].flag;
  return flags;
}

static void
on_export_response (GtkNativeDialog *dialog,
                    int              response,
                    ExportDialog    *data)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      export_to (data->self, data->kind, file,
                 export_flags_from_choices (GTK_FILE_CHOOSER (dialog)), data->segmentation);
    }
  g_object_unref (data->self);
  g_clear_object (&data->segmentation);
  g_free (data);
  g_object_unref (dialog);
}

void
studio_viewer_export (StudioViewer     *self,
                      StudioExportKind  kind)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;
  const char *title = NULL;
  GtkFileChooserAction action = GTK_FILE_CHOOSER_ACTION_SAVE;
  ExportDialog *data;

  g_return_if_fail (STUDIO_IS_VIEWER (self));

  if (kind != STUDIO_EXPORT_KIND_ALL_IMAGES && self->segmentation == NULL)
    return;
  if (kind == STUDIO_EXPORT_KIND_ALL_IMAGES &&
      (studio_viewer_get_n_images (self) == 0 || self->export_cancellable != NULL))
    return;

  if (self->segmentation != NULL)
    stem = studio_export_stem (studio_segmentation_get_image_path (self->segmentation));
  filter = gtk_file_filter_new ();
  switch (kind)
    {
    case STUDIO_EXPORT_KIND_MASK:
      /* Users of other tools open index masks and see black: say what the file holds. */
      title = _("Export Class Mask — pixel values are class numbers, coloured with the class colours");
      name = g_strconcat (stem, ".png", NULL);
      gtk_file_filter_set_name (filter, _("Palette PNG, value = class number"));
      gtk_file_filter_add_suffix (filter, "png");
      break;
    case STUDIO_EXPORT_KIND_OVERLAY:
      title = _("Export Overlay — the image with the class colours over it");
      name = g_strconcat (stem, "-overlay.png", NULL);
      gtk_file_filter_set_name (filter, _("PNG image"));
      gtk_file_filter_add_suffix (filter, "png");
      break;
    case STUDIO_EXPORT_KIND_CLASS_MASKS:
      title = _("Export a Mask per Class — one black-and-white PNG per class, into a folder");
      action = GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;
      g_clear_object (&filter);
      break;
    case STUDIO_EXPORT_KIND_LEGEND:
      title = _("Export Legend — PNG, or SVG when the name ends in .svg");
      name = g_strconcat (stem, "-legend.png", NULL);
      gtk_file_filter_set_name (filter, _("PNG or SVG image"));
      gtk_file_filter_add_suffix (filter, "png");
      gtk_file_filter_add_suffix (filter, "svg");
      break;
    case STUDIO_EXPORT_KIND_ALL_IMAGES:
      title = _("Export All Images — choose a folder");
      action = GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;
      g_clear_object (&filter);
      break;
    default:
      g_return_if_reached ();
    }

  chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (root), action, _("_Export"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (filter != NULL)
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  if (name != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  if (kind == STUDIO_EXPORT_KIND_ALL_IMAGES)
    {
      gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "mask",
                                   _("Class masks (palette PNG, value = class number)"), NULL, NULL);
      gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), "mask", "true");
      gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "overlay", _("Overlays"), NULL, NULL);
      gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), "overlay", "true");
      gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "class-masks",
                                   _("A black-and-white mask per class"), NULL, NULL);
      gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "legend", _("Legends"), NULL, NULL);
    }

  data = g_new0 (ExportDialog, 1);
  data->self = g_object_ref (self);
  data->segmentation = self->segmentation != NULL ? g_object_ref (self->segmentation) : NULL;
  data->kind = kind;
  g_signal_connect (chooser, "response", G_CALLBACK (on_export_response), data);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
