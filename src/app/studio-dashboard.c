/* studio-dashboard.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "train/unet-run.h"

#include "studio-dashboard.h"
#include "studio-memory-estimate.h"
#include "studio-model-file.h"
#include "studio-run-monitor.h"
#include "studio-train-form.h"
#include "studio-util.h"

struct _StudioDashboard
{
  GtkWidget          parent_instance;

  StudioWorker      *worker;
  GSettings         *settings;

  /* the run */
  StudioTrainState   state;
  gboolean           run_active;      /* started, and train-ended not heard yet */
  gboolean           run_left_idle;   /* the worker has reported the run as under way */
  gboolean           stop_requested;

  /* template widgets */
  StudioTrainForm   *form;
  StudioRunMonitor  *monitor;
};

G_DEFINE_FINAL_TYPE (StudioDashboard, studio_dashboard, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_WORKER,
  PROP_SETTINGS,
  PROP_STATE,
  N_PROPS
};

enum {
  RUN_ENDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The dataset's classes name the bars and colour the sample of the run trained on it. */
static void
on_form_classes_changed (StudioDashboard *self)
{
  studio_run_monitor_set_classes (self->monitor, studio_train_form_get_class_names (self->form),
                                  studio_train_form_get_palette (self->form));
}

/* --- state --------------------------------------------------------------------------------- */

/* The worker's state, except that a run is not over before the worker has said so with
 * train-ended (it reports IDLE just before): Start must stay disabled until then. */
static StudioTrainState
compute_state (StudioDashboard *self)
{
  StudioTrainState state = self->worker != NULL ? studio_worker_get_train_state (self->worker)
                                                : STUDIO_TRAIN_STATE_IDLE;

  if (!self->run_active)
    return state;
  if (self->stop_requested)
    return STUDIO_TRAIN_STATE_STOPPING;
  if (state == STUDIO_TRAIN_STATE_IDLE)
    return self->run_left_idle ? STUDIO_TRAIN_STATE_STOPPING : STUDIO_TRAIN_STATE_STARTING;
  return state;
}

static void
update_state (StudioDashboard *self)
{
  StudioTrainState state = compute_state (self);

  if (state == self->state)
    return;
  self->state = state;
  studio_run_monitor_set_state (self->monitor, state);
  studio_train_form_set_editable (self->form, state == STUDIO_TRAIN_STATE_IDLE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
on_worker_train_state (StudioDashboard *self)
{
  if (self->run_active &&
      studio_worker_get_train_state (self->worker) != STUDIO_TRAIN_STATE_IDLE)
    self->run_left_idle = TRUE;
  update_state (self);
}

static void
on_train_event (StudioDashboard      *self,
                const UnetTrainEvent *event,
                StudioWorker         *worker)
{
  studio_run_monitor_add_event (self->monitor, event);
}

static void
on_train_ended (StudioDashboard *self,
                const char      *run_dir,
                const char      *model_path,
                GError          *error,
                StudioWorker    *worker)
{
  g_autofree char *message = NULL;

  if (error == NULL)
    {
      double best_miou = studio_run_monitor_get_best_miou (self->monitor);

      if (best_miou >= 0.0)
        message = g_strdup_printf (_("Training finished: best mIoU %.1f %%"), 100.0 * best_miou);
      else
        message = g_strdup (_("Training finished"));
      studio_run_monitor_end (self->monitor, TRUE, message);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *checkpoint = run_dir != NULL
                                    ? unet_run_path (run_dir, UNET_RUN_CHECKPOINT) : NULL;

      if (checkpoint != NULL && g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *folder = studio_display_path (run_dir);

          message = g_strdup_printf (_("Training stopped; resume it from %s"), folder);
          /* ready for "Start from: a stopped run", without choosing it for the user */
          studio_train_form_offer_resume_dir (self->form, run_dir);
        }
      else
        message = g_strdup (_("Training stopped before anything was saved"));
      studio_run_monitor_end (self->monitor, FALSE, message);
    }
  else
    {
      message = g_strdup (error->message);
      studio_train_form_show_error (self->form, message);
      studio_run_monitor_end (self->monitor, FALSE, _("Training failed"));
    }

  self->run_active = FALSE;
  self->run_left_idle = FALSE;
  self->stop_requested = FALSE;
  update_state (self);

  g_signal_emit (self, signals[RUN_ENDED], 0, error == NULL ? model_path : NULL, message);
}

/* --- starting ------------------------------------------------------------------------------ */

static char *
new_run_dir (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d-%H%M%S");
  g_autofree char *parent = g_build_filename (g_get_user_data_dir (), "unet-studio", "runs", NULL);
  char *dir = g_build_filename (parent, stamp, NULL);

  for (int i = 2; g_file_test (dir, G_FILE_TEST_EXISTS); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%d", stamp, i);

      g_free (dir);
      dir = g_build_filename (parent, name, NULL);
    }
  return dir;
}

static void
begin_run (StudioDashboard *self)
{
  self->run_active = TRUE;
  self->run_left_idle = FALSE;
  self->stop_requested = FALSE;
}

static void
abandon_run (StudioDashboard *self)
{
  self->run_active = FALSE;
  update_state (self);
}

static gboolean
resume_run (StudioDashboard  *self,
            GError          **error)
{
  g_auto(UnetTrainOptions) options = { 0 };
  const char *resume_dir = studio_train_form_get_resume_dir (self->form);

  if (resume_dir == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Choose the folder of a stopped run to resume."));
      return FALSE;
    }
  if (!studio_model_file_read_run_options (resume_dir, &options, error) ||
      !studio_memory_check_run (&options.model, options.batch, options.tile, error))
    return FALSE;

  studio_run_monitor_begin (self->monitor);
  begin_run (self);
  if (!studio_worker_train_resume_run (self->worker, resume_dir, error))
    {
      abandon_run (self);
      return FALSE;
    }
  /* the run's history lands before what the run reports from now on */
  studio_run_monitor_replay (self->monitor, resume_dir);
  studio_train_form_add_recent_dataset (self->form, options.dataset);
  return TRUE;
}

/* The options of a new run from the form, checked: a dataset, a file to start from if one is
 * wanted, an architecture that fits in memory, and an output folder that holds no run. */
static gboolean
read_new_run (StudioDashboard   *self,
              UnetTrainOptions  *options,
              GError           **error)
{
  UnetConfig config;

  studio_train_form_get_options (self->form, options);
  if (options->dataset == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Choose a dataset folder before starting a run."));
      return FALSE;
    }
  if (studio_train_form_get_start_from (self->form) == STUDIO_START_FROM_FILE)
    {
      if (options->init_from == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Choose the model or checkpoint file to start from."));
          return FALSE;
        }
      if (!studio_model_file_read_config (options->init_from, &config, error))
        return FALSE;
    }
  else
    config = options->model;
  if (!unet_config_validate (&config, error) ||
      !studio_memory_check_run (&config, options->batch, options->tile, error))
    return FALSE;

  if (options->output_dir == NULL)
    options->output_dir = new_run_dir ();
  else
    {
      g_autofree char *checkpoint = unet_run_path (options->output_dir, UNET_RUN_CHECKPOINT);

      if (g_file_test (checkpoint, G_FILE_TEST_EXISTS))
        {
          g_autofree char *folder = studio_display_path (options->output_dir);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("%s already holds a run. Resume it with “Start from: a stopped run”, "
                         "or choose another output folder."), folder);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
start_run (StudioDashboard  *self,
           GError          **error)
{
  g_auto(UnetTrainOptions) options = { 0 };

  if (self->worker == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           _("Training is not available: the worker is not running."));
      return FALSE;
    }
  if (self->state != STUDIO_TRAIN_STATE_IDLE)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("A training run is already in progress."));
      return FALSE;
    }
  if (studio_train_form_get_start_from (self->form) == STUDIO_START_FROM_RUN)
    return resume_run (self, error);
  if (!read_new_run (self, &options, error))
    return FALSE;

  studio_run_monitor_begin (self->monitor);
  begin_run (self);
  if (!studio_worker_train_start (self->worker, &options, error))
    {
      abandon_run (self);
      return FALSE;
    }
  studio_train_form_add_recent_dataset (self->form, options.dataset);
  return TRUE;
}

/* --- public API ---------------------------------------------------------------------------- */

gboolean
studio_dashboard_start (StudioDashboard  *self,
                        GError          **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (STUDIO_IS_DASHBOARD (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!start_run (self, &local_error))
    {
      studio_train_form_show_error (self->form, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  studio_train_form_show_error (self->form, NULL);
  update_state (self);
  return TRUE;
}

void
studio_dashboard_toggle_pause (StudioDashboard *self)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));

  if (self->state == STUDIO_TRAIN_STATE_RUNNING)
    studio_worker_train_pause (self->worker);
  else if (self->state == STUDIO_TRAIN_STATE_PAUSED)
    studio_worker_train_continue (self->worker);
}

void
studio_dashboard_stop (StudioDashboard *self)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));

  if (!self->run_active || self->stop_requested)
    return;
  self->stop_requested = TRUE;
  studio_worker_train_stop (self->worker);
  update_state (self);
}

StudioTrainState
studio_dashboard_get_state (StudioDashboard *self)
{
  g_return_val_if_fail (STUDIO_IS_DASHBOARD (self), STUDIO_TRAIN_STATE_IDLE);

  return self->state;
}

void
studio_dashboard_set_worker (StudioDashboard *self,
                             StudioWorker    *worker)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));
  g_return_if_fail (worker == NULL || STUDIO_IS_WORKER (worker));

  if (self->worker == worker)
    return;
  if (self->worker != NULL)
    g_signal_handlers_disconnect_by_data (self->worker, self);
  g_set_object (&self->worker, worker);
  self->run_active = FALSE;
  self->stop_requested = FALSE;
  if (worker != NULL)
    {
      g_signal_connect_object (worker, "train-event", G_CALLBACK (on_train_event), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (worker, "train-ended", G_CALLBACK (on_train_ended), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (worker, "notify::train-state",
                               G_CALLBACK (on_worker_train_state), self, G_CONNECT_SWAPPED);
    }
  update_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKER]);
}

void
studio_dashboard_set_settings (StudioDashboard *self,
                               GSettings       *settings)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (!g_set_object (&self->settings, settings))
    return;
  studio_train_form_set_settings (self->form, settings);
  studio_run_monitor_set_settings (self->monitor, settings);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTINGS]);
}

void
studio_dashboard_set_options (StudioDashboard        *self,
                              const UnetTrainOptions *options)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));
  g_return_if_fail (options != NULL);

  studio_train_form_set_options (self->form, options);
}

void
studio_dashboard_get_options (StudioDashboard  *self,
                              UnetTrainOptions *options)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));
  g_return_if_fail (options != NULL);

  studio_train_form_get_options (self->form, options);
}

void
studio_dashboard_set_resume_dir (StudioDashboard *self,
                                 const char      *run_dir)
{
  g_return_if_fail (STUDIO_IS_DASHBOARD (self));

  studio_train_form_set_resume_dir (self->form, run_dir);
}

StudioPlot *
studio_dashboard_get_plot (StudioDashboard     *self,
                           StudioDashboardPlot  plot)
{
  g_return_val_if_fail (STUDIO_IS_DASHBOARD (self), NULL);

  switch (plot)
    {
    case STUDIO_DASHBOARD_PLOT_LOSS:
      return studio_run_monitor_get_plot (self->monitor, STUDIO_RUN_PLOT_LOSS);
    case STUDIO_DASHBOARD_PLOT_MIOU:
      return studio_run_monitor_get_plot (self->monitor, STUDIO_RUN_PLOT_MIOU);
    case STUDIO_DASHBOARD_PLOT_CLASS_IOU:
      return studio_run_monitor_get_plot (self->monitor, STUDIO_RUN_PLOT_CLASS_IOU);
    default:
      g_return_val_if_reached (NULL);
    }
}

GdkPaintable *
studio_dashboard_get_preview (StudioDashboard *self)
{
  g_return_val_if_fail (STUDIO_IS_DASHBOARD (self), NULL);

  return studio_run_monitor_get_preview (self->monitor);
}

const char *
studio_dashboard_get_error_message (StudioDashboard *self)
{
  g_return_val_if_fail (STUDIO_IS_DASHBOARD (self), NULL);

  return studio_train_form_get_error_message (self->form);
}

StudioRunMonitor *
studio_dashboard_get_monitor (StudioDashboard *self)
{
  g_return_val_if_fail (STUDIO_IS_DASHBOARD (self), NULL);

  return self->monitor;
}

/* --- GObject ------------------------------------------------------------------------------- */

static void
studio_dashboard_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  StudioDashboard *self = STUDIO_DASHBOARD (object);

  switch (prop_id)
    {
    case PROP_WORKER:
      g_value_set_object (value, self->worker);
      break;
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_dashboard_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  StudioDashboard *self = STUDIO_DASHBOARD (object);

  switch (prop_id)
    {
    case PROP_WORKER:
      studio_dashboard_set_worker (self, g_value_get_object (value));
      break;
    case PROP_SETTINGS:
      studio_dashboard_set_settings (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_dashboard_dispose (GObject *object)
{
  StudioDashboard *self = STUDIO_DASHBOARD (object);
  GtkWidget *child;

  if (self->worker != NULL)
    g_signal_handlers_disconnect_by_data (self->worker, self);
  g_clear_object (&self->worker);
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), STUDIO_TYPE_DASHBOARD);
  /* the separator is the template's own child, not a bound one */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (studio_dashboard_parent_class)->dispose (object);
}

static void
studio_dashboard_class_init (StudioDashboardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = studio_dashboard_get_property;
  object_class->set_property = studio_dashboard_set_property;
  object_class->dispose = studio_dashboard_dispose;

  properties[PROP_WORKER] =
    g_param_spec_object ("worker", NULL, NULL, STUDIO_TYPE_WORKER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, STUDIO_TYPE_TRAIN_STATE, STUDIO_TRAIN_STATE_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[RUN_ENDED] =
    g_signal_new ("run-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  g_type_ensure (STUDIO_TYPE_TRAIN_FORM);
  g_type_ensure (STUDIO_TYPE_RUN_MONITOR);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/unetstudio/UnetStudio/studio-dashboard.ui");
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, form);
  gtk_widget_class_bind_template_child (widget_class, StudioDashboard, monitor);
  gtk_widget_class_bind_template_callback (widget_class, on_form_classes_changed);
}

static void
studio_dashboard_init (StudioDashboard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->state = STUDIO_TRAIN_STATE_IDLE;
  on_form_classes_changed (self);
}
