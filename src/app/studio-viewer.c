/* studio-viewer.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "voc.h"

#include "studio-dataset-summary.h"
#include "studio-export.h"
#include "studio-image-view.h"
#include "studio-legend.h"
#include "studio-overlay.h"
#include "studio-viewer-private.h"

#define MAX_CLASSES      STUDIO_OVERLAY_MAX_CLASSES
#define THUMBNAIL_WIDTH  112
#define THUMBNAIL_HEIGHT 80

struct _StudioViewer
{
  GtkWidget           parent_instance;

  StudioWorker       *worker;
  GSettings          *settings;

  /* what is browsed: image paths and, for dataset splits, their masks (or NULL) */
  GtkStringList      *paths;
  GPtrArray          *truth_paths;
  VocClasses         *truth_classes;  /* how the dataset reads them, or NULL */
  gboolean            truth_binary_allowed;
  GtkSingleSelection *selection;
  GHashTable         *thumbnails;   /* path → GdkTexture */
  GCancellable       *thumbnail_cancellable;
  char               *dataset_title;

  StudioSegmentation *segmentation;
  guint               pending_serial;
  /* the segmentation the overlay on show was drawn for, and the drawing under way */
  StudioSegmentation *overlay_segmentation;
  GCancellable       *overlay_cancellable;
  gsize               sync_overlay_max_pixels;
  StudioViewMode      view_mode;
  guint8              palette[MAX_CLASSES * 3];
  int                 hover_x;
  int                 hover_y;

  GCancellable       *export_cancellable;

  GtkStack           *stack;
  StudioImageView    *image_view;
  GtkSpinner         *spinner;
  GtkLabel           *hover_label;
  GtkWidget          *dataset_box;
  StudioDatasetSummary *dataset_summary;
  GtkLabel           *zoom_label;
  GtkLabel           *mode_hint;
  GtkDropDown        *confidence_dropdown;
  GtkAdjustment      *opacity_adjustment;
  GtkLabel           *score_label;
  StudioLegend       *legend;
  GtkLabel           *model_label;
  GtkListView        *thumbnails_view;
  GtkWidget          *thumbnail_scroller;
  GtkRevealer        *export_revealer;
  GtkLabel           *export_label;
  GtkProgressBar     *export_progress;
};

G_DEFINE_FINAL_TYPE (StudioViewer, studio_viewer, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_SUBTITLE,
  PROP_HAS_SEGMENTATION,
  PROP_HAS_TRUTH,
  PROP_VIEW_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *image_extensions[] = {
  ".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm", NULL
};

/* --- helpers ------------------------------------------------------------------------------- */

static void
add_toast (StudioViewer *self,
           const char   *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
  else
    g_message ("%s", message);
}

static const char *
current_path (StudioViewer *self)
{
  guint position = gtk_single_selection_get_selected (self->selection);

  if (position == GTK_INVALID_LIST_POSITION)
    return NULL;
  return gtk_string_list_get_string (self->paths, position);
}

/* The model's colours, with the ones the user chose in Preferences over them. */
static void
update_palette (StudioViewer *self)
{
  StudioModelInfo *info = self->worker != NULL ? studio_worker_get_model_info (self->worker) : NULL;
  g_auto(GStrv) custom = NULL;

  memcpy (self->palette, voc_colormap_table (), sizeof self->palette);
  if (info != NULL)
    memcpy (self->palette, studio_model_info_get_palette (info),
            (gsize) MIN (studio_model_info_get_n_classes (info), MAX_CLASSES) * 3);
  if (self->settings == NULL)
    return;
  custom = g_settings_get_strv (self->settings, "class-colors");
  for (guint i = 0; custom[i] != NULL && i < MAX_CLASSES; i++)
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
static int
confidence_class (StudioViewer *self)
{
  guint selected = gtk_drop_down_get_selected (self->confidence_dropdown);

  return selected == GTK_INVALID_LIST_POSITION || selected == 0 ? -1 : (int) selected - 1;
}

/* The dropdown lists "the predicted class" and then every class of the model. */
static void
update_confidence_classes (StudioViewer *self)
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
  style->confidence_class = confidence_class (self);
  style->entropy = self->settings != NULL &&
                   g_settings_get_enum (self->settings, "confidence-kind") == 1;
  memcpy (style->palette, self->palette, sizeof style->palette);
  for (int c = 0; c < MAX_CLASSES; c++)
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
      add_toast (self, error->message);
      return;
    }
  show_overlay (self, job->segmentation, rgba);
}

/* Draws the overlay for the current segmentation and view: on the spot for an ordinary photo,
 * on a thread for a large one. Meanwhile the overlay of the same image stays (the view changes
 * when the new one is ready); another image's goes at once. */
static void
update_overlay (StudioViewer *self)
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
  g_task_set_source_tag (task, update_overlay);
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

static void
update_mode_hint (StudioViewer *self)
{
  const char *hint = NULL;
  gboolean has_truth = self->segmentation != NULL &&
                       studio_segmentation_get_truth (self->segmentation) != NULL;

  switch (self->view_mode)
    {
    case STUDIO_VIEW_MODE_TRUTH:
      hint = has_truth ? _("The dataset’s mask; cream marks the void border, which is not scored")
                       : _("This image has no ground truth: open it from a dataset");
      break;
    case STUDIO_VIEW_MODE_ERRORS:
      hint = has_truth ? _("Red: the prediction differs from the truth")
                       : _("This image has no ground truth: open it from a dataset");
      break;
    case STUDIO_VIEW_MODE_CONFIDENCE:
      if (confidence_class (self) >= 0 && self->segmentation != NULL &&
          studio_segmentation_get_class_probabilities (self->segmentation, confidence_class (self)) == NULL)
        hint = _("This image is too large to keep every class’s probability: showing the predicted class’s");
      else if (confidence_class (self) >= 0)
        hint = _("Probability of the chosen class: bright where the model sees it");
      else if (self->settings != NULL && g_settings_get_enum (self->settings, "confidence-kind") == 1)
        hint = _("Entropy of the class probabilities: bright where the model hesitates between classes");
      else
        hint = _("Probability of the predicted class: bright where the model is sure, dark where it is not");
      break;
    case STUDIO_VIEW_MODE_PREDICTION:
    default:
      break;
    }
  gtk_label_set_label (self->mode_hint, hint != NULL ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->mode_hint), hint != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->confidence_dropdown),
                          self->view_mode == STUDIO_VIEW_MODE_CONFIDENCE && self->segmentation != NULL);
}

static void
update_hover (StudioViewer *self)
{
  const char *const *names;
  g_autofree char *text = NULL;
  int x = self->hover_x, y = self->hover_y, c;
  float probability;
  const guint8 *truth;

  if (self->segmentation == NULL || x < 0 || y < 0 ||
      x >= studio_segmentation_get_width (self->segmentation) ||
      y >= studio_segmentation_get_height (self->segmentation))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->hover_label), FALSE);
      studio_legend_set_highlight (self->legend, -1);
      return;
    }

  names = studio_segmentation_get_class_names (self->segmentation);
  c = studio_segmentation_get_classes (self->segmentation)[(gsize) y * studio_segmentation_get_width (self->segmentation) + x];
  probability = studio_segmentation_get_probability (self->segmentation, x, y, -1);
  truth = studio_segmentation_get_truth (self->segmentation);
  /* Translators: the class under the pointer and the model's probability for it */
  text = g_strdup_printf (_("%s · %.0f %%"), names[c], probability * 100.0);
  if (truth != NULL)
    {
      guint8 t = truth[(gsize) y * studio_segmentation_get_width (self->segmentation) + x];
      g_autofree char *with_truth = NULL;

      /* Translators: appended to the class under the pointer: the dataset's class there */
      with_truth = g_strdup_printf (_("%s (truth: %s)"), text,
                                    t < studio_segmentation_get_n_classes (self->segmentation)
                                    ? names[t] : _("void"));
      g_free (text);
      text = g_steal_pointer (&with_truth);
    }
  gtk_label_set_label (self->hover_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->hover_label), TRUE);
  studio_legend_set_highlight (self->legend, c);
}

static void
update_score (StudioViewer *self)
{
  double miou, accuracy;
  g_autofree char *text = NULL;

  if (self->segmentation == NULL ||
      !studio_segmentation_get_scores (self->segmentation, &miou, &accuracy))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->score_label), FALSE);
      return;
    }
  /* Translators: scores of the prediction against the dataset's ground truth */
  text = g_strdup_printf (_("This image: mean IoU %.1f %%, pixel accuracy %.1f %%"),
                          miou * 100.0, accuracy * 100.0);
  gtk_label_set_label (self->score_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->score_label), TRUE);
}

static void
update_model_label (StudioViewer *self)
{
  StudioModelInfo *info = self->worker != NULL ? studio_worker_get_model_info (self->worker) : NULL;
  g_autofree char *text = NULL;

  if (info == NULL)
    text = g_strdup (_("No model loaded"));
  else
    /* Translators: %s is a model's name or file name */
    text = g_strdup_printf (_("Model: %s"), studio_model_info_get_name (info));
  gtk_label_set_label (self->model_label, text);
}

static void
show_segmentation (StudioViewer       *self,
                   StudioSegmentation *segmentation)
{
  gboolean had_truth = self->segmentation != NULL &&
                       studio_segmentation_get_truth (self->segmentation) != NULL;
  gboolean has_truth;

  g_set_object (&self->segmentation, segmentation);
  has_truth = segmentation != NULL && studio_segmentation_get_truth (segmentation) != NULL;

  if (segmentation != NULL)
    {
      studio_image_view_set_texture (self->image_view, studio_segmentation_get_texture (segmentation));
      studio_legend_set_classes (self->legend, studio_segmentation_get_counts (segmentation),
                                 studio_segmentation_get_n_classes (segmentation),
                                 studio_segmentation_get_class_names (segmentation), self->palette);
    }
  else
    studio_legend_set_classes (self->legend, NULL, 0, NULL, NULL);
  update_confidence_classes (self);
  update_overlay (self);
  update_score (self);
  update_hover (self);
  update_mode_hint (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_SEGMENTATION]);
  if (had_truth != has_truth)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_TRUTH]);
}

static void
segment_current (StudioViewer *self)
{
  guint position = gtk_single_selection_get_selected (self->selection);
  const char *path = current_path (self);

  if (path == NULL || self->worker == NULL)
    return;
  self->pending_serial = studio_worker_segment (self->worker, path,
                                                position < self->truth_paths->len
                                                ? self->truth_paths->pdata[position] : NULL,
                                                self->truth_classes,
                                                self->truth_binary_allowed);
}

/* --- the list of images -------------------------------------------------------------------- */

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

/* Image files of a folder, in the order a file manager shows them. */
static GPtrArray *
list_folder_images (GFile   *folder,
                    GError **error)
{
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *folder_path = g_file_get_path (folder);

  enumerator = g_file_enumerate_children (folder,
                                          G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                          G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                          G_FILE_QUERY_INFO_NONE, NULL, error);
  if (enumerator == NULL)
    return NULL;
  for (;;)
    {
      GFileInfo *info;

      if (!g_file_enumerator_iterate (enumerator, &info, NULL, NULL, error))
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

/* Replaces what is browsed; truth_paths may be NULL, and so may the dataset they come from.
 * Takes neither array. */
static void
set_images (StudioViewer *self,
            GPtrArray    *paths,
            GPtrArray    *truth_paths,
            VocDataset   *dataset,
            guint         position)
{
  g_autoptr(GPtrArray) strings = g_ptr_array_new ();
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->paths));

  g_clear_pointer (&self->truth_classes, voc_classes_unref);
  if (dataset != NULL)
    {
      self->truth_classes = voc_classes_ref (voc_dataset_get_classes (dataset));
      self->truth_binary_allowed = voc_dataset_get_layout (dataset) == VOC_LAYOUT_PLAIN;
    }
  gtk_widget_set_visible (self->dataset_box, dataset != NULL);
  studio_dataset_summary_set_dataset (self->dataset_summary,
                                      dataset != NULL ? voc_dataset_get_root (dataset) : NULL);

  g_ptr_array_set_size (self->truth_paths, 0);
  for (guint i = 0; i < paths->len; i++)
    {
      g_ptr_array_add (strings, paths->pdata[i]);
      g_ptr_array_add (self->truth_paths,
                       truth_paths != NULL && i < truth_paths->len
                       ? g_strdup (truth_paths->pdata[i]) : NULL);
    }
  g_ptr_array_add (strings, NULL);

  g_cancellable_cancel (self->thumbnail_cancellable);
  g_clear_object (&self->thumbnail_cancellable);
  self->thumbnail_cancellable = g_cancellable_new ();
  g_hash_table_remove_all (self->thumbnails);

  show_segmentation (self, NULL);
  studio_image_view_set_texture (self->image_view, NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_string_list_splice (self->paths, 0, n_old, (const char *const *) strings->pdata);
  gtk_widget_set_visible (self->thumbnail_scroller, paths->len > 1);
  gtk_stack_set_visible_child_name (self->stack, paths->len > 0 ? "image" : "empty");
  if (paths->len > 0)
    studio_viewer_set_position (self, MIN (position, paths->len - 1));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBTITLE]);
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

  g_clear_pointer (&self->dataset_title, g_free);
  first = g_file_get_path (files[0]);
  if (first == NULL)
    {
      add_toast (self, _("Only local files can be opened"));
      return;
    }

  if (n_files == 1)
    {
      g_autoptr(GFile) folder = g_file_get_parent (files[0]);

      /* One image: browse its folder too, as image viewers do. */
      paths = folder != NULL ? list_folder_images (folder, NULL) : NULL;
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
  set_images (self, paths, NULL, NULL, position);
}

gboolean
studio_viewer_open_folder (StudioViewer  *self,
                           GFile         *folder,
                           GError       **error)
{
  g_autoptr(GPtrArray) paths = NULL;

  g_return_val_if_fail (STUDIO_IS_VIEWER (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (folder), FALSE);

  paths = list_folder_images (folder, error);
  if (paths == NULL)
    return FALSE;
  if (paths->len == 0)
    {
      g_autofree char *name = g_file_get_parse_name (folder);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s holds no images"), name);
      return FALSE;
    }
  g_clear_pointer (&self->dataset_title, g_free);
  set_images (self, paths, NULL, NULL, 0);
  return TRUE;
}

static void
remember_dataset (StudioViewer *self,
                  const char   *root)
{
  g_auto(GStrv) recent = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) updated = NULL;
  guint n = 1;

  if (self->settings == NULL)
    return;
  recent = g_settings_get_strv (self->settings, "recent-datasets");
  g_strv_builder_add (builder, root);
  for (guint i = 0; recent[i] != NULL && n < 8; i++)
    if (!g_str_equal (recent[i], root))
      {
        g_strv_builder_add (builder, recent[i]);
        n++;
      }
  updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-datasets", (const char *const *) updated);
}

gboolean
studio_viewer_open_dataset (StudioViewer  *self,
                            const char    *root,
                            const char    *split,
                            GError       **error)
{
  g_autoptr(VocDataset) dataset = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) truths = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) splits = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (STUDIO_IS_VIEWER (self), FALSE);
  g_return_val_if_fail (root != NULL, FALSE);

  dataset = voc_dataset_open (root, error);
  if (dataset == NULL)
    return FALSE;
  splits = voc_dataset_list_splits (dataset);
  if (split == NULL)
    {
      /* val first: those are the images the model was not trained on */
      static const char *preferred[] = { "val", "train" };

      for (guint i = 0; i < G_N_ELEMENTS (preferred) && split == NULL; i++)
        if (g_strv_contains ((const char *const *) splits, preferred[i]))
          split = preferred[i];
      if (split == NULL && splits[0] != NULL)
        split = splits[0];
      if (split == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s has no splits"), root);
          return FALSE;
        }
    }
  /* Official lists name images that a partial download lacks: show those that are there. */
  ids = voc_dataset_get_split (dataset, split, TRUE, NULL, error);
  if (ids == NULL)
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    {
      g_ptr_array_add (paths, voc_dataset_get_image_path (dataset, ids->pdata[i]));
      g_ptr_array_add (truths, voc_dataset_get_mask_path (dataset, ids->pdata[i]));
    }

  name = g_path_get_basename (root);
  g_free (self->dataset_title);
  /* Translators: a dataset's folder name and the split shown, e.g. "VOCdevkit, val" */
  self->dataset_title = g_strdup_printf (_("%s, %s"), name, split);
  remember_dataset (self, root);
  set_images (self, paths, truths, dataset, 0);
  return TRUE;
}

guint
studio_viewer_get_n_images (StudioViewer *self)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), 0);

  return g_list_model_get_n_items (G_LIST_MODEL (self->paths));
}

guint
studio_viewer_get_position (StudioViewer *self)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), GTK_INVALID_LIST_POSITION);

  return gtk_single_selection_get_selected (self->selection);
}

void
studio_viewer_set_position (StudioViewer *self,
                            guint         position)
{
  g_return_if_fail (STUDIO_IS_VIEWER (self));

  if (position >= studio_viewer_get_n_images (self))
    return;
  gtk_single_selection_set_selected (self->selection, position);
}

GPtrArray *
studio_viewer_get_image_paths (StudioViewer *self)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  guint n = studio_viewer_get_n_images (self);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (paths, g_strdup (gtk_string_list_get_string (self->paths, i)));
  return paths;
}

void
studio_viewer_next (StudioViewer *self)
{
  guint n, position;

  g_return_if_fail (STUDIO_IS_VIEWER (self));

  n = studio_viewer_get_n_images (self);
  position = studio_viewer_get_position (self);
  if (n > 0 && position != GTK_INVALID_LIST_POSITION)
    studio_viewer_set_position (self, (position + 1) % n);
}

void
studio_viewer_previous (StudioViewer *self)
{
  guint n, position;

  g_return_if_fail (STUDIO_IS_VIEWER (self));

  n = studio_viewer_get_n_images (self);
  position = studio_viewer_get_position (self);
  if (n > 0 && position != GTK_INVALID_LIST_POSITION)
    studio_viewer_set_position (self, (position + n - 1) % n);
}

static void
on_selection_changed (StudioViewer *self)
{
  guint position = gtk_single_selection_get_selected (self->selection);

  if (position == GTK_INVALID_LIST_POSITION)
    return;
  gtk_widget_activate_action (GTK_WIDGET (self->thumbnails_view), "list.scroll-to-item", "u",
                              position);
  segment_current (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBTITLE]);
}

static void
on_thumbnail_activate (StudioViewer *self,
                       guint         position)
{
  studio_viewer_set_position (self, position);
}

/* --- thumbnails ---------------------------------------------------------------------------- */

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
  pixbuf = gdk_pixbuf_new_from_file_at_scale (task_data, THUMBNAIL_WIDTH * 2,
                                              THUMBNAIL_HEIGHT * 2, TRUE, &error);
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
  StudioViewer *self;
  const char *path = g_task_get_task_data (G_TASK (result));
  g_autoptr(GdkTexture) texture = NULL;

  if (pixbuf == NULL)
    return;
  self = STUDIO_VIEWER (gtk_widget_get_ancestor (GTK_WIDGET (picture), STUDIO_TYPE_VIEWER));
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  if (self != NULL)
    g_hash_table_insert (self->thumbnails, g_strdup (path), g_object_ref (texture));
  /* the row may show another image by now */
  if (g_strcmp0 (g_object_get_data (G_OBJECT (picture), "path"), path) == 0)
    gtk_picture_set_paintable (picture, GDK_PAINTABLE (texture));
}

static void
setup_thumbnail (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 StudioViewer             *self)
{
  GtkWidget *picture = gtk_picture_new ();

  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
  gtk_widget_set_size_request (picture, THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT);
  gtk_widget_add_css_class (picture, "thumbnail");
  gtk_list_item_set_child (item, picture);
}

static void
bind_thumbnail (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                StudioViewer             *self)
{
  GtkPicture *picture = GTK_PICTURE (gtk_list_item_get_child (item));
  const char *path = gtk_string_object_get_string (gtk_list_item_get_item (item));
  GdkTexture *texture = g_hash_table_lookup (self->thumbnails, path);
  g_autofree char *name = g_path_get_basename (path);
  g_autoptr(GTask) task = NULL;

  g_object_set_data_full (G_OBJECT (picture), "path", g_strdup (path), g_free);
  gtk_widget_set_tooltip_text (GTK_WIDGET (picture), name);
  gtk_picture_set_paintable (picture, GDK_PAINTABLE (texture));
  if (texture != NULL)
    return;
  task = g_task_new (NULL, self->thumbnail_cancellable, on_thumbnail_loaded, g_object_ref (picture));
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, load_thumbnail_thread);
}

/* --- viewing ------------------------------------------------------------------------------- */

void
studio_viewer_zoom_in (StudioViewer *self)
{
  g_return_if_fail (STUDIO_IS_VIEWER (self));
  studio_image_view_zoom_in (self->image_view);
}

void
studio_viewer_zoom_out (StudioViewer *self)
{
  g_return_if_fail (STUDIO_IS_VIEWER (self));
  studio_image_view_zoom_out (self->image_view);
}

void
studio_viewer_zoom_fit (StudioViewer *self)
{
  g_return_if_fail (STUDIO_IS_VIEWER (self));
  studio_image_view_set_fit (self->image_view, TRUE);
}

void
studio_viewer_zoom_original (StudioViewer *self)
{
  g_return_if_fail (STUDIO_IS_VIEWER (self));
  studio_image_view_set_zoom (self->image_view, 1.0);
}

static void
on_zoom_changed (StudioViewer *self)
{
  g_autofree char *text = g_strdup_printf ("%.0f %%", studio_image_view_get_zoom (self->image_view) * 100.0);

  gtk_label_set_label (self->zoom_label, text);
}

StudioViewMode
studio_viewer_get_view_mode (StudioViewer *self)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), STUDIO_VIEW_MODE_PREDICTION);

  return self->view_mode;
}

void
studio_viewer_set_view_mode (StudioViewer   *self,
                             StudioViewMode  mode)
{
  g_return_if_fail (STUDIO_IS_VIEWER (self));
  g_return_if_fail (mode <= STUDIO_VIEW_MODE_CONFIDENCE);

  if (self->view_mode == mode)
    return;
  self->view_mode = mode;
  update_overlay (self);
  update_mode_hint (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW_MODE]);
}

const guint8 *
studio_viewer_get_palette (StudioViewer *self)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), NULL);

  return self->palette;
}

StudioSegmentation *
studio_viewer_get_segmentation (StudioViewer *self)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), NULL);

  return self->segmentation;
}

static void
on_image_hover (StudioViewer *self,
                int           x,
                int           y)
{
  self->hover_x = x;
  self->hover_y = y;
  update_hover (self);
}

static void
on_legend_visibility_changed (StudioViewer *self)
{
  update_overlay (self);
}

static void
on_confidence_class_changed (StudioViewer *self)
{
  update_overlay (self);
  update_mode_hint (self);
}

/* --- worker -------------------------------------------------------------------------------- */

static void
on_segmented (StudioViewer       *self,
              StudioSegmentation *segmentation,
              StudioWorker       *worker)
{
  if (studio_segmentation_get_serial (segmentation) != self->pending_serial)
    return;
  show_segmentation (self, segmentation);
}

static void
on_segment_failed (StudioViewer *self,
                   const char   *path,
                   GError       *error,
                   StudioWorker *worker)
{
  if (g_strcmp0 (path, current_path (self)) != 0)
    return;
  /* The failed image must not be shown with the previous image's classes. */
  show_segmentation (self, NULL);
  studio_image_view_set_texture (self->image_view, NULL);
}

static void
on_busy_changed (StudioViewer *self)
{
  gboolean busy = studio_worker_get_busy (self->worker);

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
}

static void
on_model_loaded (StudioViewer    *self,
                 StudioModelInfo *info,
                 StudioWorker    *worker)
{
  update_palette (self);
  update_model_label (self);
  /* the image on screen was segmented by the previous model */
  segment_current (self);
}

static void
on_export_progress (StudioViewer *self,
                    guint         done,
                    guint         total,
                    const char   *path,
                    StudioWorker *worker)
{
  g_autofree char *name = g_path_get_basename (path);
  /* Translators: export progress, e.g. "Exporting 3 of 20: 000032.jpg" */
  g_autofree char *text = g_strdup_printf (_("Exporting %u of %u: %s"), done + 1, total, name);

  gtk_label_set_label (self->export_label, text);
  gtk_progress_bar_set_fraction (self->export_progress, total > 0 ? (double) done / total : 0.0);
  gtk_revealer_set_reveal_child (self->export_revealer, TRUE);
}

static void
on_export_ended (StudioViewer *self,
                 guint         written,
                 GError       *error,
                 StudioWorker *worker)
{
  g_autofree char *message = NULL;

  gtk_revealer_set_reveal_child (self->export_revealer, FALSE);
  g_clear_object (&self->export_cancellable);
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Export cancelled after %u image",
                                            "Export cancelled after %u images", written), written);
  else if (error != NULL)
    message = g_strdup (error->message);
  else
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %u image",
                                            "Exported %u images", written), written);
  add_toast (self, message);
}

static void
on_export_cancel_clicked (StudioViewer *self)
{
  g_cancellable_cancel (self->export_cancellable);
  gtk_label_set_label (self->export_label, _("Cancelling…"));
}

void
studio_viewer_set_worker (StudioViewer *self,
                          StudioWorker *worker)
{
  g_return_if_fail (STUDIO_IS_VIEWER (self));
  g_return_if_fail (worker == NULL || STUDIO_IS_WORKER (worker));

  if (self->worker != NULL)
    g_signal_handlers_disconnect_by_data (self->worker, self);
  if (!g_set_object (&self->worker, worker) || worker == NULL)
    return;

  g_signal_connect_object (worker, "segmented", G_CALLBACK (on_segmented), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "segment-failed", G_CALLBACK (on_segment_failed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "notify::busy", G_CALLBACK (on_busy_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "model-loaded", G_CALLBACK (on_model_loaded), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "export-progress", G_CALLBACK (on_export_progress), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "export-ended", G_CALLBACK (on_export_ended), self,
                           G_CONNECT_SWAPPED);
  update_palette (self);
  update_model_label (self);
  segment_current (self);
}

static void
on_colours_changed (StudioViewer *self)
{
  update_palette (self);
  if (self->segmentation != NULL)
    show_segmentation (self, self->segmentation);
}

static void
on_flip_changed (StudioViewer *self)
{
  if (self->worker == NULL)
    return;
  studio_worker_set_flip_averaging (self->worker,
                                    g_settings_get_boolean (self->settings, "flip-averaging"));
  segment_current (self);
}

void
studio_viewer_set_settings (StudioViewer *self,
                            GSettings    *settings)
{
  g_return_if_fail (STUDIO_IS_VIEWER (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (!g_set_object (&self->settings, settings) || settings == NULL)
    return;

  g_settings_bind (settings, "overlay-opacity", self->opacity_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (settings, "changed::class-colors", G_CALLBACK (on_colours_changed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::confidence-kind", G_CALLBACK (on_colours_changed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::flip-averaging", G_CALLBACK (on_flip_changed),
                           self, G_CONNECT_SWAPPED);
  update_palette (self);
  if (self->worker != NULL)
    studio_worker_set_flip_averaging (self->worker,
                                      g_settings_get_boolean (settings, "flip-averaging"));
}

/* --- export -------------------------------------------------------------------------------- */

typedef struct
{
  StudioViewer       *self;
  StudioSegmentation *segmentation;
  StudioExportKind    kind;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->segmentation);
  g_free (data);
}

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
                    ExportData      *data)
{
  StudioViewer *self = data->self;
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  gboolean ok = FALSE;

  if (response != GTK_RESPONSE_ACCEPT)
    goto out;
  file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  path = g_file_get_path (file);
  if (path == NULL)
    {
      add_toast (self, _("Exports can only be written to local folders"));
      goto out;
    }

  switch (data->kind)
    {
    case STUDIO_EXPORT_KIND_MASK:
      ok = studio_export_mask (data->segmentation, path, self->palette, &error);
      message = g_strdup (_("Saved the class mask: each pixel’s value is its class number, shown in the class colours"));
      break;
    case STUDIO_EXPORT_KIND_OVERLAY:
      ok = studio_export_overlay (data->segmentation, path, self->palette,
                                  gtk_adjustment_get_value (self->opacity_adjustment), &error);
      message = g_strdup (_("Saved the overlay"));
      break;
    case STUDIO_EXPORT_KIND_CLASS_MASKS:
      {
        g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func (g_free);
        g_autofree char *stem = studio_export_stem (studio_segmentation_get_image_path (data->segmentation));

        ok = studio_export_class_masks (data->segmentation, path, stem, written, &error);
        message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Saved %u class mask (white = the class)",
                                                "Saved %u class masks (white = the class)",
                                                written->len), written->len);
      }
      break;
    case STUDIO_EXPORT_KIND_LEGEND:
      ok = studio_export_legend (data->segmentation, path, self->palette, &error);
      message = g_strdup (_("Saved the legend"));
      break;
    case STUDIO_EXPORT_KIND_ALL_IMAGES:
      {
        g_autoptr(GPtrArray) paths = studio_viewer_get_image_paths (self);
        StudioExportFlags flags = export_flags_from_choices (GTK_FILE_CHOOSER (dialog));

        if (flags == 0)
          {
            add_toast (self, _("Nothing to export: choose at least one kind of file"));
            goto out;
          }
        g_clear_object (&self->export_cancellable);
        self->export_cancellable = g_cancellable_new ();
        gtk_label_set_label (self->export_label, _("Exporting…"));
        gtk_progress_bar_set_fraction (self->export_progress, 0.0);
        gtk_revealer_set_reveal_child (self->export_revealer, TRUE);
        studio_worker_export_folder (self->worker, paths, path, flags, self->palette,
                                     gtk_adjustment_get_value (self->opacity_adjustment),
                                     self->export_cancellable);
        goto out;
      }
    default:
      g_assert_not_reached ();
    }
  add_toast (self, ok ? message : error->message);

out:
  export_data_free (data);
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
  ExportData *data;

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

  data = g_new0 (ExportData, 1);
  data->self = g_object_ref (self);
  data->segmentation = self->segmentation != NULL ? g_object_ref (self->segmentation) : NULL;
  data->kind = kind;
  g_signal_connect (chooser, "response", G_CALLBACK (on_export_response), data);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* --- GObject ------------------------------------------------------------------------------- */

static void
studio_viewer_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  StudioViewer *self = STUDIO_VIEWER (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      {
        const char *path = current_path (self);

        g_value_take_string (value, path != NULL ? g_path_get_basename (path) : NULL);
      }
      break;
    case PROP_SUBTITLE:
      {
        guint n = studio_viewer_get_n_images (self);
        guint position = studio_viewer_get_position (self);

        if (n == 0 || position == GTK_INVALID_LIST_POSITION)
          g_value_set_string (value, NULL);
        else if (self->dataset_title != NULL)
          /* Translators: position in a dataset split, e.g. "3 of 16 · VOCdevkit, val" */
          g_value_take_string (value, g_strdup_printf (_("%u of %u · %s"), position + 1, n,
                                                       self->dataset_title));
        else
          /* Translators: position in the list of images, e.g. "3 of 16" */
          g_value_take_string (value, g_strdup_printf (_("%u of %u"), position + 1, n));
      }
      break;
    case PROP_HAS_SEGMENTATION:
      g_value_set_boolean (value, self->segmentation != NULL);
      break;
    case PROP_HAS_TRUTH:
      g_value_set_boolean (value, self->segmentation != NULL &&
                           studio_segmentation_get_truth (self->segmentation) != NULL);
      break;
    case PROP_VIEW_MODE:
      g_value_set_int (value, self->view_mode);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_viewer_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  StudioViewer *self = STUDIO_VIEWER (object);

  switch (prop_id)
    {
    case PROP_VIEW_MODE:
      studio_viewer_set_view_mode (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_viewer_dispose (GObject *object)
{
  StudioViewer *self = STUDIO_VIEWER (object);

  if (self->thumbnail_cancellable != NULL)
    g_cancellable_cancel (self->thumbnail_cancellable);
  if (self->export_cancellable != NULL)
    g_cancellable_cancel (self->export_cancellable);
  if (self->overlay_cancellable != NULL)
    g_cancellable_cancel (self->overlay_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), STUDIO_TYPE_VIEWER);
  g_clear_object (&self->worker);
  g_clear_object (&self->settings);
  g_clear_object (&self->selection);
  g_clear_object (&self->segmentation);
  g_clear_object (&self->overlay_segmentation);
  g_clear_object (&self->overlay_cancellable);
  g_clear_object (&self->thumbnail_cancellable);
  g_clear_object (&self->export_cancellable);
  g_clear_pointer (&self->thumbnails, g_hash_table_unref);
  g_clear_pointer (&self->truth_paths, g_ptr_array_unref);
  g_clear_pointer (&self->truth_classes, voc_classes_unref);
  g_clear_pointer (&self->dataset_title, g_free);

  G_OBJECT_CLASS (studio_viewer_parent_class)->dispose (object);
}

static void
studio_viewer_class_init (StudioViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = studio_viewer_dispose;
  object_class->get_property = studio_viewer_get_property;
  object_class->set_property = studio_viewer_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBTITLE] =
    g_param_spec_string ("subtitle", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_SEGMENTATION] =
    g_param_spec_boolean ("has-segmentation", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_TRUTH] =
    g_param_spec_boolean ("has-truth", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VIEW_MODE] =
    g_param_spec_int ("view-mode", NULL, NULL, STUDIO_VIEW_MODE_PREDICTION,
                      STUDIO_VIEW_MODE_CONFIDENCE, STUDIO_VIEW_MODE_PREDICTION,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (STUDIO_TYPE_IMAGE_VIEW);
  g_type_ensure (STUDIO_TYPE_LEGEND);
  g_type_ensure (STUDIO_TYPE_DATASET_SUMMARY);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/unetstudio/UnetStudio/studio-viewer.ui");
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, stack);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, image_view);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, spinner);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, hover_label);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, dataset_box);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, dataset_summary);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, zoom_label);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, mode_hint);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, confidence_dropdown);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, opacity_adjustment);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, score_label);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, legend);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, model_label);
  gtk_widget_class_bind_template_child_full (widget_class, "thumbnails", FALSE,
                                             G_STRUCT_OFFSET (StudioViewer, thumbnails_view));
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, thumbnail_scroller);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, export_revealer);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, export_label);
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, export_progress);
  gtk_widget_class_bind_template_callback (widget_class, on_image_hover);
  gtk_widget_class_bind_template_callback (widget_class, on_zoom_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_legend_visibility_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_confidence_class_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_thumbnail_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_export_cancel_clicked);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "studio-viewer");
}

static void
on_opacity_changed (StudioViewer *self)
{
  studio_image_view_set_overlay_opacity (self->image_view,
                                         gtk_adjustment_get_value (self->opacity_adjustment));
}

static void
studio_viewer_init (StudioViewer *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  self->hover_x = self->hover_y = -1;
  self->sync_overlay_max_pixels = STUDIO_VIEWER_SYNC_OVERLAY_MAX_PIXELS;
  self->truth_paths = g_ptr_array_new_with_free_func (g_free);
  self->thumbnails = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->thumbnail_cancellable = g_cancellable_new ();
  memcpy (self->palette, voc_colormap_table (), sizeof self->palette);

  gtk_widget_init_template (GTK_WIDGET (self));

  self->paths = gtk_string_list_new (NULL);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->paths));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, FALSE);
  g_signal_connect_object (self->selection, "notify::selected", G_CALLBACK (on_selection_changed),
                           self, G_CONNECT_SWAPPED);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_thumbnail), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_thumbnail), self);
  gtk_list_view_set_factory (self->thumbnails_view, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->thumbnails_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->opacity_adjustment, "value-changed",
                           G_CALLBACK (on_opacity_changed), self, G_CONNECT_SWAPPED);
  on_opacity_changed (self);
  on_zoom_changed (self);
  update_model_label (self);
  gtk_widget_set_visible (self->thumbnail_scroller, FALSE);
}
