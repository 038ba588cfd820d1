/* studio-run-monitor.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "voc/voc.h"

#include "studio-run-history.h"
#include "studio-run-monitor.h"

#define LOSS_SMOOTHING 0.9
#define DEFAULT_OVERLAY_OPACITY 0.6

struct _StudioRunMonitor
{
  GtkWidget          parent_instance;

  GSettings         *settings;
  StudioTrainState   state;
  char             **class_names;     /* the dataset's, or NULL */
  guint8            *palette;         /* 256 × RGB, or NULL */
  double             best_miou;       /* < 0: no validation yet */

  /* a resumed run's history, read on a thread; what the run reports meanwhile waits here, so
   * that it lands after the history */
  GCancellable      *replay_cancellable;
  GArray            *pending_loss;    /* StudioRunPoint */
  GArray            *pending_miou;    /* StudioRunPoint */
  gboolean           pending_bars;    /* the run has drawn bars newer than the history's */
  guint              n_skipped_lines;

  /* template widgets */
  AdwButtonContent  *pause_content;
  GtkWidget         *pause_button;
  GtkWidget         *stopping_box;
  GtkSpinner        *stopping_spinner;
  GtkLabel          *status_label;
  GtkStack          *content_stack;
  GtkProgressBar    *progress_bar;
  GtkRevealer       *replay_revealer;
  GtkProgressBar    *replay_bar;
  StudioPlot        *loss_plot;
  StudioPlot        *miou_plot;
  StudioPlot        *class_plot;
  GtkPicture        *preview_picture;
  GtkLabel          *preview_label;
};

G_DEFINE_FINAL_TYPE (StudioRunMonitor, studio_run_monitor, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_STATE,
  PROP_REPLAYING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* --- progress, bars and the sample --------------------------------------------------------- */

static char *
format_time_left (double seconds)
{
  int minutes = (int) ceil (seconds / 60.0);

  if (seconds < 60.0)
    return g_strdup (_("less than a minute left"));
  if (minutes < 100)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %d minute left",
                                         "about %d minutes left", minutes), minutes);
  else
    {
      int hours = (minutes + 30) / 60;

      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %d hour left",
                                           "about %d hours left", hours), hours);
    }
}

static void
update_progress (StudioRunMonitor     *self,
                 const UnetTrainEvent *event)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *step = g_strdup_printf ("%" G_GINT64_FORMAT, event->step);
  g_autofree char *total = g_strdup_printf ("%" G_GINT64_FORMAT, event->total_steps);

  if (event->total_steps > 0)
    /* Translators: "Step 120 of 2000" */
    g_string_append_printf (text, _("Step %s of %s"), step, total);
  else
    /* Translators: a run as long as its time limit: "Step 120" */
    g_string_append_printf (text, _("Step %s"), step);
  if (event->n_epochs > 0)
    {
      g_string_append (text, " · ");
      /* Translators: the epoch under way and the number of epochs, "epoch 3/50" */
      g_string_append_printf (text, _("epoch %d/%d"), event->epoch, event->n_epochs);
    }
  if (event->images_per_s > 0.0)
    {
      g_string_append (text, " · ");
      g_string_append_printf (text, _("%.1f images/s"), event->images_per_s);
    }
  if (event->progress < 1.0 && event->images_per_s > 0.0 && isfinite (event->eta_seconds))
    {
      g_autofree char *left = format_time_left (event->eta_seconds);

      g_string_append (text, " · ");
      g_string_append (text, left);
    }
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (event->progress, 0.0, 1.0));
  gtk_progress_bar_set_text (self->progress_bar, text->str);
}

static const char *
class_name (StudioRunMonitor *self,
            int              k,
            int              n_classes,
            char           **fallback)
{
  if (self->class_names != NULL && g_strv_length (self->class_names) == (guint) n_classes)
    return self->class_names[k];
  if (n_classes == VOC_N_CLASSES)
    return voc_class_names_default ()[k];
  *fallback = g_strdup_printf (_("Class %d"), k);
  return *fallback;
}

/* iou in [0,1] or NAN for a class absent from truth and prediction. */
static void
set_class_bars (StudioRunMonitor *self,
                const double    *iou,
                int              n_classes)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autofree double *values = g_new (double, MAX (n_classes, 1));
  g_autofree guint8 *colors = g_new (guint8, 3 * MAX (n_classes, 1));

  for (int k = 0; k < n_classes; k++)
    {
      g_autofree char *fallback = NULL;

      g_ptr_array_add (labels, g_strdup (class_name (self, k, n_classes, &fallback)));
      values[k] = isnan (iou[k]) ? NAN : 100.0 * iou[k];
      if (self->palette != NULL)
        memcpy (colors + 3 * k, self->palette + 3 * k, 3);
      else
        voc_colormap (k, colors + 3 * k);
    }
  g_ptr_array_add (labels, NULL);
  studio_plot_set_bars (self->class_plot, (const char * const *) labels->pdata, values, colors,
                        n_classes);
}

static void
show_sample (StudioRunMonitor     *self,
             const UnetTrainEvent *event)
{
  gsize n_pixels = (gsize) event->sample_width * event->sample_height;
  double opacity = DEFAULT_OVERLAY_OPACITY;
  g_autofree guint8 *classes = NULL;
  g_autofree char *caption = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  guint8 *pixels;

  if (n_pixels == 0 || event->sample_rgb == NULL || event->sample_prediction == NULL)
    return;

  /* void pixels are left as they are: nobody knows what they should be */
  classes = g_memdup2 (event->sample_prediction, n_pixels);
  if (event->sample_truth != NULL)
    for (gsize i = 0; i < n_pixels; i++)
      if (event->sample_truth[i] == VOC_VOID)
        classes[i] = VOC_VOID;
  if (self->settings != NULL)
    opacity = g_settings_get_double (self->settings, "overlay-opacity");

  pixels = g_malloc (n_pixels * 3);
  voc_overlay_render (event->sample_rgb, classes, event->sample_width, event->sample_height,
                      self->palette, opacity, pixels);
  bytes = g_bytes_new_take (pixels, n_pixels * 3);
  texture = gdk_memory_texture_new (event->sample_width, event->sample_height,
                                    GDK_MEMORY_R8G8B8, bytes, (gsize) event->sample_width * 3);
  gtk_picture_set_paintable (self->preview_picture, GDK_PAINTABLE (texture));

  /* Translators: a validation image's id, the epoch and the mIoU,
   * "2007_000033 · epoch 3 · mIoU 12.3 %" */
  caption = g_strdup_printf (_("%s · epoch %d · mIoU %.1f %%"),
                             event->sample_id != NULL ? event->sample_id : "",
                             event->epoch, 100.0 * event->miou);
  gtk_label_set_text (self->preview_label, caption);
}

/* --- the run's state ---------------------------------------------------------------------- */

static void
update_controls (StudioRunMonitor *self)
{
  gboolean paused = self->state == STUDIO_TRAIN_STATE_PAUSED;
  gboolean stopping = self->state == STUDIO_TRAIN_STATE_STOPPING;

  adw_button_content_set_label (self->pause_content, paused ? _("_Resume") : _("_Pause"));
  adw_button_content_set_icon_name (self->pause_content,
                                    paused ? "media-playback-start-symbolic"
                                           : "media-playback-pause-symbolic");
  gtk_widget_set_tooltip_text (self->pause_button,
                               paused ? _("Continue training (Ctrl+P)")
                                      : _("Pause after the current step (Ctrl+P)"));
  gtk_widget_set_visible (self->stopping_box, stopping);
  gtk_spinner_set_spinning (self->stopping_spinner, stopping);

  switch (self->state)
    {
    case STUDIO_TRAIN_STATE_STARTING:
      gtk_label_set_text (self->status_label, _("Preparing the data and the model…"));
      break;
    case STUDIO_TRAIN_STATE_PAUSED:
      gtk_label_set_text (self->status_label, _("Paused"));
      break;
    case STUDIO_TRAIN_STATE_RUNNING:
    case STUDIO_TRAIN_STATE_STOPPING:
    case STUDIO_TRAIN_STATE_IDLE:
    default:
      gtk_label_set_text (self->status_label, "");
      break;
    }
}

/* --- a resumed run's history --------------------------------------------------------------- */

/* What a replay's callbacks hold: the monitor weakly, so closing the window does not wait for
 * a long log, and the replay's cancellable, to tell a current replay from a dropped one. */
typedef struct
{
  GWeakRef      monitor;
  GCancellable *cancellable;
} ReplayRef;

static ReplayRef *
replay_ref_new (StudioRunMonitor *self)
{
  ReplayRef *ref = g_new0 (ReplayRef, 1);

  g_weak_ref_init (&ref->monitor, self);
  ref->cancellable = g_object_ref (self->replay_cancellable);
  return ref;
}

static void
replay_ref_free (gpointer data)
{
  ReplayRef *ref = data;

  g_weak_ref_clear (&ref->monitor);
  g_object_unref (ref->cancellable);
  g_free (ref);
}

/* The monitor, if it is still there and still waiting for this replay. */
static StudioRunMonitor *
replay_ref_get (ReplayRef *ref)
{
  StudioRunMonitor *self = g_weak_ref_get (&ref->monitor);

  if (self != NULL && self->replay_cancellable != ref->cancellable)
    g_clear_object (&self);
  return self;
}

static void
on_replay_progress (double   fraction,
                    gpointer user_data)
{
  g_autoptr(StudioRunMonitor) self = replay_ref_get (user_data);

  if (self != NULL)
    gtk_progress_bar_set_fraction (self->replay_bar, fraction);
}

static void
drop_replay (StudioRunMonitor *self)
{
  if (self->replay_cancellable == NULL)
    return;
  g_cancellable_cancel (self->replay_cancellable);
  g_clear_object (&self->replay_cancellable);
  g_array_set_size (self->pending_loss, 0);
  g_array_set_size (self->pending_miou, 0);
  self->pending_bars = FALSE;
  gtk_revealer_set_reveal_child (self->replay_revealer, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPLAYING]);
}

static void
append_points (StudioPlot   *plot,
               const GArray *points)
{
  for (guint i = 0; i < points->len; i++)
    {
      const StudioRunPoint *point = &g_array_index (points, StudioRunPoint, i);

      studio_plot_append (plot, 0, point->x, point->y);
    }
}

static void
show_history (StudioRunMonitor       *self,
              const StudioRunHistory *history)
{
  append_points (self->loss_plot, history->loss);
  append_points (self->miou_plot, history->miou);
  self->best_miou = MAX (self->best_miou, history->best_miou);
  if (!self->pending_bars && history->class_iou != NULL)
    set_class_bars (self, history->class_iou, g_strv_length (history->class_names));
  self->n_skipped_lines = history->n_bad_lines;
}

static void
on_replay_done (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(StudioRunMonitor) self = replay_ref_get (user_data);
  g_autoptr(StudioRunHistory) history = NULL;
  g_autoptr(GError) error = NULL;

  replay_ref_free (user_data);
  history = studio_run_history_read_finish (result, &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (history != NULL)
    show_history (self, history);
  else
    gtk_label_set_text (self->status_label, error->message);
  append_points (self->loss_plot, self->pending_loss);
  append_points (self->miou_plot, self->pending_miou);
  g_array_set_size (self->pending_loss, 0);
  g_array_set_size (self->pending_miou, 0);
  self->pending_bars = FALSE;
  g_clear_object (&self->replay_cancellable);
  gtk_revealer_set_reveal_child (self->replay_revealer, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPLAYING]);
}

/* --- public API ---------------------------------------------------------------------------- */

GtkWidget *
studio_run_monitor_new (void)
{
  return g_object_new (STUDIO_TYPE_RUN_MONITOR, NULL);
}

void
studio_run_monitor_set_settings (StudioRunMonitor *self,
                                 GSettings        *settings)
{
  g_return_if_fail (STUDIO_IS_RUN_MONITOR (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (g_set_object (&self->settings, settings))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTINGS]);
}

void
studio_run_monitor_set_state (StudioRunMonitor *self,
                              StudioTrainState  state)
{
  g_return_if_fail (STUDIO_IS_RUN_MONITOR (self));

  if (self->state == state)
    return;
  self->state = state;
  update_controls (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
studio_run_monitor_set_classes (StudioRunMonitor  *self,
                                const char *const *class_names,
                                const guint8      *palette)
{
  g_return_if_fail (STUDIO_IS_RUN_MONITOR (self));

  g_strfreev (self->class_names);
  self->class_names = g_strdupv ((char **) class_names);
  g_free (self->palette);
  self->palette = palette != NULL ? g_memdup2 (palette, 256 * 3) : NULL;
}

void
studio_run_monitor_begin (StudioRunMonitor *self)
{
  g_return_if_fail (STUDIO_IS_RUN_MONITOR (self));

  drop_replay (self);
  self->n_skipped_lines = 0;
  studio_plot_clear (self->loss_plot);
  studio_plot_clear (self->miou_plot);
  studio_plot_clear (self->class_plot);
  gtk_picture_set_paintable (self->preview_picture, NULL);
  gtk_label_set_text (self->preview_label,
                      _("The first validation image appears here after each validation."));
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_progress_bar_set_text (self->progress_bar, _("Preparing the data and the model…"));
  self->best_miou = -1.0;
  gtk_stack_set_visible_child_name (self->content_stack, "run");
}

void
studio_run_monitor_replay (StudioRunMonitor *self,
                           const char       *run_dir)
{
  g_return_if_fail (STUDIO_IS_RUN_MONITOR (self));
  g_return_if_fail (run_dir != NULL);

  drop_replay (self);
  self->replay_cancellable = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->replay_bar, 0.0);
  gtk_revealer_set_reveal_child (self->replay_revealer, TRUE);
  studio_run_history_read_async (run_dir, self->replay_cancellable,
                                 on_replay_progress, replay_ref_new (self), replay_ref_free,
                                 on_replay_done, replay_ref_new (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPLAYING]);
}

gboolean
studio_run_monitor_is_replaying (StudioRunMonitor *self)
{
  g_return_val_if_fail (STUDIO_IS_RUN_MONITOR (self), FALSE);

  return self->replay_cancellable != NULL;
}

guint
studio_run_monitor_get_n_skipped_lines (StudioRunMonitor *self)
{
  g_return_val_if_fail (STUDIO_IS_RUN_MONITOR (self), 0);

  return self->n_skipped_lines;
}

static void
add_point (StudioRunMonitor *self,
           StudioPlot       *plot,
           GArray           *pending,
           double            x,
           double            y)
{
  StudioRunPoint point = { x, y };

  if (self->replay_cancellable != NULL)
    g_array_append_val (pending, point);
  else
    studio_plot_append (plot, 0, x, y);
}

void
studio_run_monitor_add_event (StudioRunMonitor     *self,
                              const UnetTrainEvent *event)
{
  g_return_if_fail (STUDIO_IS_RUN_MONITOR (self));
  g_return_if_fail (event != NULL);

  switch (event->kind)
    {
    case UNET_TRAIN_EVENT_PROGRESS:
      add_point (self, self->loss_plot, self->pending_loss, (double) event->step, event->loss);
      update_progress (self, event);
      break;

    case UNET_TRAIN_EVENT_EVALUATED:
      add_point (self, self->miou_plot, self->pending_miou, event->epoch, 100.0 * event->miou);
      self->best_miou = MAX (self->best_miou, event->miou);
      if (event->per_class_iou != NULL && event->n_classes > 0)
        {
          set_class_bars (self, event->per_class_iou, event->n_classes);
          self->pending_bars = self->replay_cancellable != NULL;
        }
      show_sample (self, event);
      break;

    case UNET_TRAIN_EVENT_CHECKPOINT:
      {
        g_autofree char *step = g_strdup_printf ("%" G_GINT64_FORMAT, event->step);
        g_autofree char *text = g_strdup_printf (_("Checkpoint saved at step %s"), step);

        gtk_label_set_text (self->status_label, text);
      }
      break;

    case UNET_TRAIN_EVENT_FINISHED:
      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
      break;

    default:
      break;
    }
}

void
studio_run_monitor_end (StudioRunMonitor *self,
                        gboolean          finished,
                        const char       *text)
{
  g_return_if_fail (STUDIO_IS_RUN_MONITOR (self));

  if (finished)
    gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
  gtk_progress_bar_set_text (self->progress_bar, text);
  gtk_label_set_text (self->status_label, "");
}

double
studio_run_monitor_get_best_miou (StudioRunMonitor *self)
{
  g_return_val_if_fail (STUDIO_IS_RUN_MONITOR (self), -1.0);

  return self->best_miou;
}

StudioPlot *
studio_run_monitor_get_plot (StudioRunMonitor *self,
                             StudioRunPlot     plot)
{
  g_return_val_if_fail (STUDIO_IS_RUN_MONITOR (self), NULL);

  switch (plot)
    {
    case STUDIO_RUN_PLOT_LOSS:
      return self->loss_plot;
    case STUDIO_RUN_PLOT_MIOU:
      return self->miou_plot;
    case STUDIO_RUN_PLOT_CLASS_IOU:
      return self->class_plot;
    default:
      g_return_val_if_reached (NULL);
    }
}

GdkPaintable *
studio_run_monitor_get_preview (StudioRunMonitor *self)
{
  g_return_val_if_fail (STUDIO_IS_RUN_MONITOR (self), NULL);

  return gtk_picture_get_paintable (self->preview_picture);
}

/* --- GObject ------------------------------------------------------------------------------- */

static void
studio_run_monitor_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  StudioRunMonitor *self = STUDIO_RUN_MONITOR (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_REPLAYING:
      g_value_set_boolean (value, self->replay_cancellable != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_run_monitor_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  StudioRunMonitor *self = STUDIO_RUN_MONITOR (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      studio_run_monitor_set_settings (self, g_value_get_object (value));
      break;
    case PROP_STATE:
      studio_run_monitor_set_state (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_run_monitor_dispose (GObject *object)
{
  StudioRunMonitor *self = STUDIO_RUN_MONITOR (object);
  GtkWidget *child;

  if (self->replay_cancellable != NULL)
    g_cancellable_cancel (self->replay_cancellable);
  g_clear_object (&self->replay_cancellable);
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), STUDIO_TYPE_RUN_MONITOR);
  /* the template's root is its own child, not a bound one */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (studio_run_monitor_parent_class)->dispose (object);
}

static void
studio_run_monitor_finalize (GObject *object)
{
  StudioRunMonitor *self = STUDIO_RUN_MONITOR (object);

  g_strfreev (self->class_names);
  g_free (self->palette);
  g_array_unref (self->pending_loss);
  g_array_unref (self->pending_miou);

  G_OBJECT_CLASS (studio_run_monitor_parent_class)->finalize (object);
}

static void
studio_run_monitor_class_init (StudioRunMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = studio_run_monitor_get_property;
  object_class->set_property = studio_run_monitor_set_property;
  object_class->dispose = studio_run_monitor_dispose;
  object_class->finalize = studio_run_monitor_finalize;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, STUDIO_TYPE_TRAIN_STATE, STUDIO_TRAIN_STATE_IDLE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REPLAYING] =
    g_param_spec_boolean ("replaying", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (STUDIO_TYPE_PLOT);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/unetstudio/UnetStudio/studio-run-monitor.ui");
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, pause_content);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, pause_button);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, stopping_box);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, stopping_spinner);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, status_label);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, content_stack);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, replay_revealer);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, replay_bar);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, loss_plot);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, miou_plot);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, class_plot);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, preview_picture);
  gtk_widget_class_bind_template_child (widget_class, StudioRunMonitor, preview_label);
}

static void
studio_run_monitor_init (StudioRunMonitor *self)
{
  GdkRGBA loss_color, miou_color;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->state = STUDIO_TRAIN_STATE_IDLE;
  self->best_miou = -1.0;
  self->pending_loss = g_array_new (FALSE, FALSE, sizeof (StudioRunPoint));
  self->pending_miou = g_array_new (FALSE, FALSE, sizeof (StudioRunPoint));

  /* GNOME palette: blue 3 and green 5 */
  gdk_rgba_parse (&loss_color, "#3584e4");
  gdk_rgba_parse (&miou_color, "#26a269");
  studio_plot_add_series (self->loss_plot, _("Loss"), &loss_color, LOSS_SMOOTHING);
  studio_plot_add_series (self->miou_plot, _("mIoU"), &miou_color, 0.0);
  studio_plot_set_y_range (self->miou_plot, 0.0, 100.0);
  studio_plot_set_y_range (self->class_plot, 0.0, 100.0);

  update_controls (self);
  gtk_stack_set_visible_child_name (self->content_stack, "empty");
}
