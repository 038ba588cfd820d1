/* studio-viewer.c: the image browser and segmentation view — the widget, what it shows, and
 * its links to the worker and the settings. The rest of it: studio-viewer-open.c (what is
 * browsed), -thumbnails.c, -overlay.c, -hover.c (the texts beside the image), -exports.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "studio-viewer-private.h"

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

/* --- helpers ------------------------------------------------------------------------------- */

void
studio_viewer_add_toast (StudioViewer *self,
                         const char   *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
  else
    g_message ("%s", message);
}

const char *
studio_viewer_get_current_path (StudioViewer *self)
{
  guint position = gtk_single_selection_get_selected (self->selection);
  StudioImageItem *item = studio_image_list_get (self->images, position);

  return item != NULL ? studio_image_item_get_path (item) : NULL;
}

static gboolean
pulse_progress (gpointer data)
{
  StudioViewer *self = data;

  gtk_progress_bar_pulse (self->export_progress);
  return G_SOURCE_CONTINUE;
}

void
studio_viewer_show_progress (StudioViewer *self,
                             const char   *label,
                             double        fraction)
{
  gtk_label_set_label (self->export_label, label);
  if (fraction >= 0.0)
    {
      g_clear_handle_id (&self->pulse_id, g_source_remove);
      gtk_progress_bar_set_fraction (self->export_progress, fraction);
    }
  else if (self->pulse_id == 0)
    {
      gtk_progress_bar_pulse (self->export_progress);
      self->pulse_id = g_timeout_add (100, pulse_progress, self);
    }
  /* one image's files cannot be cancelled half-written; a folder's export and a dataset's check
   * can */
  gtk_widget_set_sensitive (self->export_cancel_button,
                            self->export_cancellable != NULL || self->open_cancellable != NULL);
  gtk_revealer_set_reveal_child (self->export_revealer, TRUE);
}

/* Hides the bar once nothing runs any more. */
void
studio_viewer_hide_progress (StudioViewer *self)
{
  if (self->export_cancellable != NULL || self->open_cancellable != NULL ||
      self->n_image_exports > 0)
    return;
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  gtk_revealer_set_reveal_child (self->export_revealer, FALSE);
}

static void
on_export_cancel_clicked (StudioViewer *self)
{
  g_cancellable_cancel (self->export_cancellable);
  g_cancellable_cancel (self->open_cancellable);
  gtk_label_set_label (self->export_label, _("Cancelling…"));
}

/* --- what is shown ------------------------------------------------------------------------ */

void
studio_viewer_show_segmentation (StudioViewer       *self,
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
  studio_viewer_update_confidence_classes (self);
  studio_viewer_update_overlay (self);
  studio_viewer_update_score (self);
  studio_viewer_update_hover (self);
  studio_viewer_update_mode_hint (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_SEGMENTATION]);
  if (had_truth != has_truth)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_TRUTH]);
}

void
studio_viewer_segment_current (StudioViewer *self)
{
  guint position = gtk_single_selection_get_selected (self->selection);
  StudioImageItem *item = studio_image_list_get (self->images, position);

  if (item == NULL || self->worker == NULL)
    return;
  self->pending_serial = studio_worker_segment (self->worker, studio_image_item_get_path (item),
                                                studio_image_item_get_truth_path (item),
                                                self->truth_classes,
                                                self->truth_binary_allowed);
}

/* --- browsing ------------------------------------------------------------------------------ */

void
studio_viewer_notify_position (StudioViewer *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBTITLE]);
}

guint
studio_viewer_get_n_images (StudioViewer *self)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), 0);

  return studio_image_list_get_n_total (self->images);
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
  studio_image_list_ensure_shown (self->images, position);
  gtk_single_selection_set_selected (self->selection, position);
}

GPtrArray *
studio_viewer_get_image_paths (StudioViewer *self)
{
  g_return_val_if_fail (STUDIO_IS_VIEWER (self), NULL);

  return studio_image_list_dup_paths (self->images);
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
  studio_viewer_segment_current (self);
  studio_viewer_notify_position (self);
}

static void
on_thumbnail_activate (StudioViewer *self,
                       guint         position)
{
  studio_viewer_set_position (self, position);
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
  studio_viewer_update_overlay (self);
  studio_viewer_update_mode_hint (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW_MODE]);
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
  studio_viewer_update_hover (self);
}

static void
on_legend_visibility_changed (StudioViewer *self)
{
  studio_viewer_update_overlay (self);
}

static void
on_confidence_class_changed (StudioViewer *self)
{
  studio_viewer_update_overlay (self);
  studio_viewer_update_mode_hint (self);
}

/* --- worker -------------------------------------------------------------------------------- */

static void
on_segmented (StudioViewer       *self,
              StudioSegmentation *segmentation,
              StudioWorker       *worker)
{
  if (studio_segmentation_get_serial (segmentation) != self->pending_serial)
    return;
  studio_viewer_show_segmentation (self, segmentation);
}

static void
on_segment_failed (StudioViewer *self,
                   const char   *path,
                   GError       *error,
                   StudioWorker *worker)
{
  if (g_strcmp0 (path, studio_viewer_get_current_path (self)) != 0)
    return;
  /* The failed image must not be shown with the previous image's classes. */
  studio_viewer_show_segmentation (self, NULL);
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
  studio_viewer_update_palette (self);
  studio_viewer_update_model_label (self);
  /* the image on screen was segmented by the previous model */
  studio_viewer_segment_current (self);
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
  g_signal_connect_object (worker, "export-progress", G_CALLBACK (studio_viewer_on_export_progress), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "export-ended", G_CALLBACK (studio_viewer_on_export_ended), self,
                           G_CONNECT_SWAPPED);
  studio_viewer_update_palette (self);
  studio_viewer_update_model_label (self);
  studio_viewer_segment_current (self);
}

static void
on_colours_changed (StudioViewer *self)
{
  studio_viewer_update_palette (self);
  if (self->segmentation != NULL)
    studio_viewer_show_segmentation (self, self->segmentation);
}

static void
on_flip_changed (StudioViewer *self)
{
  if (self->worker == NULL)
    return;
  studio_worker_set_flip_averaging (self->worker,
                                    g_settings_get_boolean (self->settings, "flip-averaging"));
  studio_viewer_segment_current (self);
}

void
studio_viewer_set_settings (StudioViewer *self,
                            GSettings    *settings)
{
  g_return_if_fail (STUDIO_IS_VIEWER (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (!g_set_object (&self->settings, settings))
    return;
  g_clear_object (&self->recent_datasets);
  if (settings == NULL)
    return;

  self->recent_datasets = studio_recent_datasets_new (settings);
  g_settings_bind (settings, "overlay-opacity", self->opacity_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (settings, "changed::class-colors", G_CALLBACK (on_colours_changed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::confidence-kind", G_CALLBACK (on_colours_changed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::flip-averaging", G_CALLBACK (on_flip_changed),
                           self, G_CONNECT_SWAPPED);
  studio_viewer_update_palette (self);
  if (self->worker != NULL)
    studio_worker_set_flip_averaging (self->worker,
                                      g_settings_get_boolean (settings, "flip-averaging"));
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
        const char *path = studio_viewer_get_current_path (self);

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
  g_cancellable_cancel (self->export_cancellable);
  g_cancellable_cancel (self->overlay_cancellable);
  g_cancellable_cancel (self->open_cancellable);
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), STUDIO_TYPE_VIEWER);
  g_clear_object (&self->worker);
  g_clear_object (&self->settings);
  g_clear_object (&self->selection);
  g_clear_object (&self->segmentation);
  g_clear_object (&self->overlay_segmentation);
  g_clear_object (&self->overlay_cancellable);
  g_clear_object (&self->thumbnail_cancellable);
  g_clear_object (&self->export_cancellable);
  g_clear_object (&self->open_cancellable);
  g_clear_object (&self->recent_datasets);
  g_clear_object (&self->images);
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
  gtk_widget_class_bind_template_child (widget_class, StudioViewer, export_cancel_button);
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
  g_autoptr(GtkListItemFactory) factory = NULL;

  self->hover_x = self->hover_y = -1;
  self->sync_overlay_max_pixels = STUDIO_VIEWER_SYNC_OVERLAY_MAX_PIXELS;
  self->thumbnail_cancellable = g_cancellable_new ();
  memcpy (self->palette, voc_colormap_table (), sizeof self->palette);

  gtk_widget_init_template (GTK_WIDGET (self));

  self->images = studio_image_list_new ();
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->images)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, FALSE);
  g_signal_connect_object (self->selection, "notify::selected", G_CALLBACK (on_selection_changed),
                           self, G_CONNECT_SWAPPED);

  factory = studio_viewer_thumbnail_factory_new (self);
  gtk_list_view_set_factory (self->thumbnails_view, factory);
  gtk_list_view_set_model (self->thumbnails_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->opacity_adjustment, "value-changed",
                           G_CALLBACK (on_opacity_changed), self, G_CONNECT_SWAPPED);
  on_opacity_changed (self);
  on_zoom_changed (self);
  studio_viewer_update_model_label (self);
  gtk_widget_set_visible (self->thumbnail_scroller, FALSE);
}
