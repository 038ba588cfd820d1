/* studio-worker.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "unet/unet.h"
#include "voc/voc.h"

#include "train/unet-run.h"

#include "studio-export.h"
#include "studio-worker-private.h"

/* Commands travel UI → worker, events worker → UI, each over its own GAsyncQueue. The worker
 * thread never touches the StudioWorker object: it sees only the Channel, so the object can go
 * away while the thread finishes. */

typedef enum
{
  COMMAND_LOAD_MODEL,
  COMMAND_SEGMENT,
  COMMAND_SET_THREADS,
  COMMAND_SET_FLIP,
  COMMAND_TRAIN_START,
  COMMAND_TRAIN_RESUME,
  COMMAND_TRAIN_PAUSE,
  COMMAND_TRAIN_CONTINUE,
  COMMAND_TRAIN_STOP,
  COMMAND_EXPORT,
  COMMAND_QUIT,
} CommandKind;

typedef struct
{
  CommandKind        kind;
  char              *path;
  char              *truth_path;
  VocClasses        *truth_classes;
  gboolean           truth_binary_allowed;
  char              *name;
  GBytes            *bytes;
  guint              serial;
  int                value;
  UnetTrainOptions   options;
  GPtrArray         *paths;
  StudioExportFlags  export_flags;
  double             opacity;
  GCancellable      *cancellable;
} Command;

typedef enum
{
  EVENT_MODEL_LOADED,
  EVENT_SEGMENTED,
  EVENT_SEGMENT_FAILED,
  EVENT_SEGMENT_CANCELLED,
  EVENT_BUSY,
  EVENT_TRAIN_STATE,
  EVENT_TRAIN_EVENT,
  EVENT_TRAIN_ENDED,
  EVENT_EXPORT_PROGRESS,
  EVENT_EXPORT_ENDED,
  EVENT_ERROR,
} EventKind;

typedef struct
{
  EventKind         kind;
  GObject          *object;
  char             *path;
  char             *model_path;
  GError           *error;
  gboolean          flag;
  StudioTrainState  state;
  guint             done;
  guint             total;

  /* EVENT_TRAIN_EVENT: train's pointers point into the owned copies below */
  UnetTrainEvent    train;
  double           *per_class_iou;
  char             *sample_id;
  float            *sample_rgb;
  guint8           *sample_prediction;
  guint8           *sample_truth;
} Event;

typedef struct
{
  gatomicrefcount  ref_count;
  GAsyncQueue     *commands;
  GAsyncQueue     *events;
  GSource         *source;       /* on the UI's main context; woken by the worker */
  int              latest_serial;
  /* set by the UI to stop a run at once, without waiting for queued commands */
  int              stop_requested;
} Channel;

struct _StudioWorker
{
  GObject           parent_instance;

  Channel          *channel;
  GThread          *thread;

  /* the UI's view of the worker's state, updated as events arrive */
  StudioModelInfo  *model_info;
  gboolean          busy;
  StudioTrainState  train_state;
  /* the latest segmentation request's: a newer one cancels it mid-prediction */
  GCancellable     *segment_cancellable;
  guint             n_cancelled;
};

G_DEFINE_FINAL_TYPE (StudioWorker, studio_worker, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (StudioTrainState, studio_train_state,
                    G_DEFINE_ENUM_VALUE (STUDIO_TRAIN_STATE_IDLE, "idle"),
                    G_DEFINE_ENUM_VALUE (STUDIO_TRAIN_STATE_STARTING, "starting"),
                    G_DEFINE_ENUM_VALUE (STUDIO_TRAIN_STATE_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (STUDIO_TRAIN_STATE_PAUSED, "paused"),
                    G_DEFINE_ENUM_VALUE (STUDIO_TRAIN_STATE_STOPPING, "stopping"))

enum {
  PROP_0,
  PROP_BUSY,
  PROP_TRAIN_STATE,
  PROP_MODEL_INFO,
  N_PROPS
};

enum {
  MODEL_LOADED,
  SEGMENTED,
  SEGMENT_FAILED,
  TRAIN_EVENT,
  TRAIN_ENDED,
  EXPORT_PROGRESS,
  EXPORT_ENDED,
  ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* --- messages ------------------------------------------------------------------------------ */

static void
command_free (Command *command)
{
  g_free (command->path);
  g_free (command->truth_path);
  g_clear_pointer (&command->truth_classes, voc_classes_unref);
  g_free (command->name);
  g_clear_pointer (&command->bytes, g_bytes_unref);
  unet_train_options_clear (&command->options);
  g_clear_pointer (&command->paths, g_ptr_array_unref);
  g_clear_object (&command->cancellable);
  g_free (command);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Command, command_free)

static Command *
command_new (CommandKind kind)
{
  Command *command = g_new0 (Command, 1);

  command->kind = kind;
  return command;
}

static void
event_free (Event *event)
{
  g_clear_object (&event->object);
  g_free (event->path);
  g_free (event->model_path);
  g_clear_error (&event->error);
  g_free (event->per_class_iou);
  g_free (event->sample_id);
  g_free (event->sample_rgb);
  g_free (event->sample_prediction);
  g_free (event->sample_truth);
  g_free (event);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Event, event_free)

static Event *
event_new (EventKind kind)
{
  Event *event = g_new0 (Event, 1);

  event->kind = kind;
  return event;
}

static Channel *
channel_ref (Channel *channel)
{
  g_atomic_ref_count_inc (&channel->ref_count);
  return channel;
}

static void
channel_unref (Channel *channel)
{
  if (!g_atomic_ref_count_dec (&channel->ref_count))
    return;
  g_async_queue_unref (channel->commands);
  g_async_queue_unref (channel->events);
  g_source_unref (channel->source);
  g_free (channel);
}

/* Called on the worker thread. g_source_set_ready_time() is safe from any thread and wakes the
 * UI's main context. */
static void
channel_post (Channel *channel,
              Event   *event)
{
  g_async_queue_push (channel->events, event);
  g_source_set_ready_time (channel->source, 0);
}

static void
post_error (Channel   *channel,
            EventKind  kind,
            const char *path,
            GError    *error)
{
  Event *event = event_new (kind);

  event->path = g_strdup (path);
  event->error = error;
  channel_post (channel, event);
}

static void
post_busy (Channel  *channel,
           gboolean  busy)
{
  Event *event = event_new (EVENT_BUSY);

  event->flag = busy;
  channel_post (channel, event);
}

static void
post_train_state (Channel          *channel,
                  StudioTrainState  state)
{
  Event *event = event_new (EVENT_TRAIN_STATE);

  event->state = state;
  channel_post (channel, event);
}

/* --- the worker thread --------------------------------------------------------------------- */

typedef struct
{
  Channel        *channel;
  UnetModel      *model;
  gboolean        flip;

  UnetTrainer    *trainer;
  gboolean        paused;
} Thread;

static void
on_trainer_event (const UnetTrainEvent *train_event,
                  gpointer              user_data)
{
  Thread *thread = user_data;
  Event *event = event_new (EVENT_TRAIN_EVENT);
  gsize n_pixels = (gsize) train_event->sample_width * train_event->sample_height;

  event->train = *train_event;
  event->path = g_strdup (train_event->path);
  event->train.path = event->path;
  if (train_event->per_class_iou != NULL)
    event->per_class_iou = g_memdup2 (train_event->per_class_iou,
                                      sizeof (double) * train_event->n_classes);
  event->train.per_class_iou = event->per_class_iou;
  event->sample_id = g_strdup (train_event->sample_id);
  event->train.sample_id = event->sample_id;
  if (n_pixels > 0 && train_event->sample_rgb != NULL)
    event->sample_rgb = g_memdup2 (train_event->sample_rgb, sizeof (float) * 3 * n_pixels);
  if (n_pixels > 0 && train_event->sample_prediction != NULL)
    event->sample_prediction = g_memdup2 (train_event->sample_prediction, n_pixels);
  if (n_pixels > 0 && train_event->sample_truth != NULL)
    event->sample_truth = g_memdup2 (train_event->sample_truth, n_pixels);
  event->train.sample_rgb = event->sample_rgb;
  event->train.sample_prediction = event->sample_prediction;
  event->train.sample_truth = event->sample_truth;
  channel_post (thread->channel, event);
}

static void
end_run (Thread     *thread,
         const char *model_path,
         GError     *error)
{
  Event *event = event_new (EVENT_TRAIN_ENDED);

  event->path = thread->trainer != NULL
                ? g_strdup (unet_trainer_get_options (thread->trainer)->output_dir) : NULL;
  event->model_path = g_strdup (model_path);
  event->error = error;
  g_clear_pointer (&thread->trainer, unet_trainer_free);
  thread->paused = FALSE;
  g_atomic_int_set (&thread->channel->stop_requested, FALSE);
  /* The state first: whoever reacts to the end may start the next run at once. */
  post_train_state (thread->channel, STUDIO_TRAIN_STATE_IDLE);
  channel_post (thread->channel, event);
}

static void
stop_run (Thread *thread)
{
  g_autoptr(GError) error = NULL;

  if (thread->trainer == NULL)
    return;
  post_train_state (thread->channel, STUDIO_TRAIN_STATE_STOPPING);
  if (!unet_trainer_save_checkpoint (thread->trainer, &error))
    {
      end_run (thread, NULL, g_steal_pointer (&error));
      return;
    }
  {
    g_autofree char *step = g_strdup_printf ("%" G_GINT64_FORMAT,
                                             unet_trainer_get_step (thread->trainer));

    /* Translators: the first %s is a step number, the second a folder */
    end_run (thread, NULL,
             g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                          _("Training stopped after step %s; it can be resumed from %s"), step,
                          unet_trainer_get_options (thread->trainer)->output_dir));
  }
}

static void
train_one_step (Thread *thread)
{
  g_autoptr(GError) error = NULL;

  if (!unet_trainer_step (thread->trainer, &error))
    {
      /* the run's last good checkpoint stays where it was */
      end_run (thread, NULL, g_steal_pointer (&error));
      return;
    }
  if (unet_trainer_is_finished (thread->trainer))
    {
      g_autofree char *best = unet_run_path (unet_trainer_get_options (thread->trainer)->output_dir,
                                             UNET_RUN_BEST_MODEL);
      end_run (thread, best, NULL);
    }
}

static void
start_run (Thread  *thread,
           Command *command)
{
  g_autoptr(GError) error = NULL;
  UnetTrainer *trainer;

  if (thread->trainer != NULL)
    {
      post_error (thread->channel, EVENT_ERROR, NULL,
                  g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BUSY,
                                       _("A training run is already going on")));
      return;
    }
  post_train_state (thread->channel, STUDIO_TRAIN_STATE_STARTING);
  if (command->kind == COMMAND_TRAIN_RESUME)
    trainer = unet_trainer_resume (command->path, 0, 0, &error);
  else
    trainer = unet_trainer_new (&command->options, &error);
  if (trainer == NULL)
    {
      end_run (thread, NULL, g_steal_pointer (&error));
      return;
    }
  thread->trainer = trainer;
  thread->paused = FALSE;
  unet_trainer_set_event_func (trainer, on_trainer_event, thread);
  if (unet_trainer_is_finished (trainer))
    {
      g_autofree char *best = unet_run_path (unet_trainer_get_options (trainer)->output_dir,
                                             UNET_RUN_BEST_MODEL);
      end_run (thread, best, NULL);
      return;
    }
  post_train_state (thread->channel, STUDIO_TRAIN_STATE_RUNNING);
}

static void
load_model (Thread  *thread,
            Command *command)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetModel) model = NULL;
  Event *event;

  if (command->bytes != NULL)
    model = unet_model_load_bytes (command->bytes, command->name, &error);
  else
    model = unet_model_load (command->path, &error);
  if (model == NULL)
    {
      g_prefix_error (&error, "%s: ", command->path != NULL ? command->path : command->name);
      post_error (thread->channel, EVENT_ERROR, command->path, g_steal_pointer (&error));
      return;
    }
  g_clear_pointer (&thread->model, unet_model_free);
  thread->model = g_steal_pointer (&model);

  event = event_new (EVENT_MODEL_LOADED);
  event->object = G_OBJECT (studio_model_info_new (thread->model, command->name, command->path));
  channel_post (thread->channel, event);
}

static gboolean
is_stale (Thread *thread,
          guint   serial)
{
  /* serial 0: work no newer request replaces (exports) */
  return serial != 0 && serial != (guint) g_atomic_int_get (&thread->channel->latest_serial);
}

/* Decodes and segments one image; NULL with an error when it cannot. */
static StudioSegmentation *
segment_image (Thread      *thread,
               const char  *path,
               Command     *command,
               guint        serial,
               GError     **error)
{
  /* the truth, when the request comes with one (exports do not) */
  const char *truth_path = command != NULL && command->kind == COMMAND_SEGMENT
                           ? command->truth_path : NULL;
  g_autoptr(GBytes) rgb8 = NULL;
  g_autofree guint8 *classes = NULL;
  g_autofree float *confidence = NULL;
  g_autofree float *entropy = NULL;
  g_autofree float *probs = NULL;
  g_autofree guint8 *truth = NULL;
  GCancellable *cancellable = command != NULL ? command->cancellable : NULL;
  UnetPredictOptions options = { .tile = 0, .flip = thread->flip, .cancellable = cancellable };
  UnetPrediction prediction;
  int width, height, n_classes;
  gsize n_pixels;

  if (thread->model == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           _("No model is loaded: open one with Open Model"));
      return NULL;
    }
  /* 3 bytes a pixel, which the segmentation keeps for the texture as they are */
  rgb8 = voc_image_load_rgb8 (path, &width, &height, error);
  if (rgb8 == NULL)
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error) || is_stale (thread, serial))
    return NULL;

  n_classes = unet_model_get_config (thread->model)->classes;
  n_pixels = (gsize) width * height;
  classes = g_try_malloc (n_pixels);
  confidence = g_try_new (float, n_pixels);
  entropy = g_try_new (float, n_pixels);
  /* every class's probability only where the segmentation keeps them; a larger image goes
   * through the network by bands, without them */
  if (n_pixels <= STUDIO_SEGMENTATION_MAX_PIXELS_WITH_ALL_PROBABILITIES)
    probs = g_try_new (float, n_pixels * n_classes);
  if (classes == NULL || confidence == NULL || entropy == NULL ||
      (n_pixels <= STUDIO_SEGMENTATION_MAX_PIXELS_WITH_ALL_PROBABILITIES && probs == NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("%s: not enough memory to segment a %d×%d image"), path, width, height);
      return NULL;
    }
  prediction = (UnetPrediction) { classes, confidence, entropy, probs };
  if (!unet_model_predict_image (thread->model,
                                 &(UnetImage) { height, width, NULL, g_bytes_get_data (rgb8, NULL) },
                                 &options, &prediction, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  if (truth_path != NULL && g_file_test (truth_path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GError) local_error = NULL;
      int truth_width, truth_height;

      /* read as the dataset reads it: binary, colour or listed masks too */
      if (command->truth_classes != NULL)
        truth = voc_classes_load_mask (command->truth_classes, truth_path,
                                       command->truth_binary_allowed, &truth_width,
                                       &truth_height, NULL, &local_error);
      else
        truth = voc_mask_load (truth_path, &truth_width, &truth_height, &local_error);
      if (truth == NULL)
        g_warning ("%s", local_error->message);
      else if (truth_width != width || truth_height != height)
        {
          g_warning ("%s: the mask is %d×%d, the image %d×%d; ignoring the mask", truth_path,
                     truth_width, truth_height, width, height);
          g_clear_pointer (&truth, g_free);
        }
    }
  return studio_segmentation_new (path, serial, width, height, rgb8,
                                  g_steal_pointer (&classes), g_steal_pointer (&confidence),
                                  g_steal_pointer (&entropy), g_steal_pointer (&probs), n_classes,
                                  unet_model_get_class_names (thread->model),
                                  g_steal_pointer (&truth));
}

static void
segment (Thread  *thread,
         Command *command)
{
  g_autoptr(GError) error = NULL;
  StudioSegmentation *segmentation;
  Event *event;

  /* A newer request is waiting: this one's result would be thrown away. */
  if (is_stale (thread, command->serial))
    return;

  post_busy (thread->channel, TRUE);
  segmentation = segment_image (thread, command->path, command, command->serial,
                                &error);
  if (segmentation != NULL)
    {
      event = event_new (EVENT_SEGMENTED);
      event->object = G_OBJECT (segmentation);
      channel_post (thread->channel, event);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    /* superseded: the newer request's result is what the viewer waits for */
    channel_post (thread->channel, event_new (EVENT_SEGMENT_CANCELLED));
  else if (error != NULL)
    post_error (thread->channel, EVENT_SEGMENT_FAILED, command->path, g_steal_pointer (&error));
  post_busy (thread->channel, FALSE);
}

/* The user's colours, unless the model changed to one with other classes meanwhile. */
static const guint8 *
export_palette (Thread  *thread,
                Command *command)
{
  gsize expected = (gsize) unet_model_get_config (thread->model)->classes * 3;

  if (command->bytes != NULL && g_bytes_get_size (command->bytes) == expected)
    return g_bytes_get_data (command->bytes, NULL);
  return unet_model_get_palette (thread->model);
}

static void
export_images (Thread  *thread,
               Command *command)
{
  g_autoptr(GError) error = NULL;
  guint written = 0;
  Event *event;

  post_busy (thread->channel, TRUE);
  for (guint i = 0; i < command->paths->len && error == NULL; i++)
    {
      const char *path = command->paths->pdata[i];
      g_autoptr(StudioSegmentation) segmentation = NULL;
      g_autoptr(GError) local_error = NULL;

      if (g_cancellable_set_error_if_cancelled (command->cancellable, &error))
        break;

      event = event_new (EVENT_EXPORT_PROGRESS);
      event->done = i;
      event->total = command->paths->len;
      event->path = g_strdup (path);
      channel_post (thread->channel, event);

      segmentation = segment_image (thread, path, command, 0, &local_error);
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (&error, g_steal_pointer (&local_error));
          break;
        }
      if (segmentation == NULL)
        {
          /* one unreadable image does not end the export of the others */
          g_warning ("%s", local_error != NULL ? local_error->message : path);
          continue;
        }
      if (!studio_export_segmentation (segmentation, command->name, command->export_flags,
                                       export_palette (thread, command),
                                       command->opacity,
                                       &error))
        break;
      written++;
    }
  post_busy (thread->channel, FALSE);

  event = event_new (EVENT_EXPORT_ENDED);
  event->done = written;
  event->total = command->paths->len;
  event->error = g_steal_pointer (&error);
  channel_post (thread->channel, event);
}

/* Returns FALSE for the last command. */
static gboolean
handle_command (Thread  *thread,
                Command *command)
{
  switch (command->kind)
    {
    case COMMAND_LOAD_MODEL:
      load_model (thread, command);
      break;
    case COMMAND_SEGMENT:
      segment (thread, command);
      break;
    case COMMAND_SET_THREADS:
      unet_set_threads (command->value);
      break;
    case COMMAND_SET_FLIP:
      thread->flip = command->value;
      break;
    case COMMAND_TRAIN_START:
    case COMMAND_TRAIN_RESUME:
      start_run (thread, command);
      break;
    case COMMAND_TRAIN_PAUSE:
      if (thread->trainer != NULL && !thread->paused)
        {
          thread->paused = TRUE;
          post_train_state (thread->channel, STUDIO_TRAIN_STATE_PAUSED);
        }
      break;
    case COMMAND_TRAIN_CONTINUE:
      if (thread->trainer != NULL && thread->paused)
        {
          thread->paused = FALSE;
          post_train_state (thread->channel, STUDIO_TRAIN_STATE_RUNNING);
        }
      break;
    case COMMAND_TRAIN_STOP:
      stop_run (thread);
      break;
    case COMMAND_EXPORT:
      export_images (thread, command);
      break;
    case COMMAND_QUIT:
      stop_run (thread);
      return FALSE;
    default:
      g_assert_not_reached ();
    }
  return TRUE;
}

static gpointer
worker_thread_main (gpointer data)
{
  Thread thread = { .channel = data };

  unet_set_threads (0);
  for (;;)
    {
      g_autoptr(Command) command = NULL;
      gboolean training = thread.trainer != NULL && !thread.paused;

      if (training && g_atomic_int_get (&thread.channel->stop_requested))
        {
          stop_run (&thread);
          continue;
        }
      /* While a run trains, commands are served between its steps. */
      command = training ? g_async_queue_try_pop (thread.channel->commands)
                         : g_async_queue_pop (thread.channel->commands);
      if (command != NULL)
        {
          if (!handle_command (&thread, command))
            break;
        }
      else
        train_one_step (&thread);
    }

  g_clear_pointer (&thread.model, unet_model_free);
  channel_unref (thread.channel);
  return NULL;
}

/* --- the UI side --------------------------------------------------------------------------- */

static void
set_busy (StudioWorker *self,
          gboolean      busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
dispatch_event (StudioWorker *self,
                Event        *event)
{
  switch (event->kind)
    {
    case EVENT_MODEL_LOADED:
      g_set_object (&self->model_info, STUDIO_MODEL_INFO (event->object));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_INFO]);
      g_signal_emit (self, signals[MODEL_LOADED], 0, event->object);
      break;
    case EVENT_SEGMENTED:
      if (studio_segmentation_get_serial (STUDIO_SEGMENTATION (event->object)) ==
          (guint) g_atomic_int_get (&self->channel->latest_serial))
        g_signal_emit (self, signals[SEGMENTED], 0, event->object);
      break;
    case EVENT_SEGMENT_FAILED:
      g_signal_emit (self, signals[SEGMENT_FAILED], 0, event->path, event->error);
      break;
    case EVENT_SEGMENT_CANCELLED:
      self->n_cancelled++;
      break;
    case EVENT_BUSY:
      set_busy (self, event->flag);
      break;
    case EVENT_TRAIN_STATE:
      if (self->train_state != event->state)
        {
          self->train_state = event->state;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAIN_STATE]);
        }
      break;
    case EVENT_TRAIN_EVENT:
      g_signal_emit (self, signals[TRAIN_EVENT], 0, &event->train);
      break;
    case EVENT_TRAIN_ENDED:
      g_signal_emit (self, signals[TRAIN_ENDED], 0, event->path, event->model_path, event->error);
      break;
    case EVENT_EXPORT_PROGRESS:
      g_signal_emit (self, signals[EXPORT_PROGRESS], 0, event->done, event->total, event->path);
      break;
    case EVENT_EXPORT_ENDED:
      g_signal_emit (self, signals[EXPORT_ENDED], 0, event->done, event->error);
      break;
    case EVENT_ERROR:
      g_signal_emit (self, signals[ERROR], 0, event->error);
      break;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
channel_source_dispatch (GSource     *source,
                         GSourceFunc  callback,
                         gpointer     user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(StudioWorker) self = g_weak_ref_get (weak);
  Channel *channel;
  Event *event;

  g_source_set_ready_time (source, -1);
  if (self == NULL)
    return G_SOURCE_CONTINUE;
  channel = self->channel;
  /* Drain a bounded number per dispatch: the UI keeps drawing even if events pour in. */
  for (guint i = 0; i < 64 && (event = g_async_queue_try_pop (channel->events)) != NULL; i++)
    {
      g_autoptr(Event) owned = event;

      dispatch_event (self, owned);
    }
  if (g_async_queue_length (channel->events) > 0)
    g_source_set_ready_time (source, 0);
  return G_SOURCE_CONTINUE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static GSourceFuncs channel_source_funcs = {
  .dispatch = channel_source_dispatch,
};

static void
send (StudioWorker *self,
      Command      *command)
{
  g_return_if_fail (self->thread != NULL);

  g_async_queue_push (self->channel->commands, command);
}

StudioWorker *
studio_worker_new (void)
{
  return g_object_new (STUDIO_TYPE_WORKER, NULL);
}

void
studio_worker_shutdown (StudioWorker *self)
{
  g_return_if_fail (STUDIO_IS_WORKER (self));

  if (self->thread == NULL)
    return;
  /* ahead of everything queued: a quitting app does not segment what is left, nor finishes
   * the image under way */
  g_atomic_int_inc (&self->channel->latest_serial);
  g_cancellable_cancel (self->segment_cancellable);
  g_async_queue_push_front (self->channel->commands, command_new (COMMAND_QUIT));
  g_thread_join (g_steal_pointer (&self->thread));
  g_source_destroy (self->channel->source);
}

void
studio_worker_set_threads (StudioWorker *self,
                           int           threads)
{
  Command *command;

  g_return_if_fail (STUDIO_IS_WORKER (self));

  command = command_new (COMMAND_SET_THREADS);
  command->value = MAX (threads, 0);
  send (self, command);
}

void
studio_worker_set_flip_averaging (StudioWorker *self,
                                  gboolean      flip)
{
  Command *command;

  g_return_if_fail (STUDIO_IS_WORKER (self));

  command = command_new (COMMAND_SET_FLIP);
  command->value = !!flip;
  send (self, command);
}

void
studio_worker_load_model (StudioWorker *self,
                          const char   *path)
{
  Command *command;

  g_return_if_fail (STUDIO_IS_WORKER (self));
  g_return_if_fail (path != NULL);

  command = command_new (COMMAND_LOAD_MODEL);
  command->path = g_strdup (path);
  send (self, command);
}

void
studio_worker_load_model_bytes (StudioWorker *self,
                                GBytes       *bytes,
                                const char   *name)
{
  Command *command;

  g_return_if_fail (STUDIO_IS_WORKER (self));
  g_return_if_fail (bytes != NULL);

  command = command_new (COMMAND_LOAD_MODEL);
  command->bytes = g_bytes_ref (bytes);
  command->name = g_strdup (name);
  send (self, command);
}

StudioModelInfo *
studio_worker_get_model_info (StudioWorker *self)
{
  g_return_val_if_fail (STUDIO_IS_WORKER (self), NULL);

  return self->model_info;
}

guint
studio_worker_segment (StudioWorker *self,
                       const char   *image_path,
                       const char   *truth_path,
                       VocClasses   *truth_classes,
                       gboolean      truth_binary_allowed)
{
  Command *command;
  guint serial;

  g_return_val_if_fail (STUDIO_IS_WORKER (self), 0);
  g_return_val_if_fail (image_path != NULL, 0);

  serial = (guint) g_atomic_int_add (&self->channel->latest_serial, 1) + 1;
  command = command_new (COMMAND_SEGMENT);
  command->path = g_strdup (image_path);
  command->truth_path = g_strdup (truth_path);
  command->truth_classes = truth_classes ? voc_classes_ref (truth_classes) : NULL;
  command->truth_binary_allowed = truth_binary_allowed;
  command->serial = serial;
  g_cancellable_cancel (self->segment_cancellable);
  g_clear_object (&self->segment_cancellable);
  self->segment_cancellable = g_cancellable_new ();
  command->cancellable = g_object_ref (self->segment_cancellable);
  /* the worker owns (and may already have freed) the command once it is sent */
  send (self, command);
  return serial;
}

gboolean
studio_worker_get_busy (StudioWorker *self)
{
  g_return_val_if_fail (STUDIO_IS_WORKER (self), FALSE);

  return self->busy;
}

gboolean
studio_worker_train_start (StudioWorker            *self,
                           const UnetTrainOptions  *options,
                           GError                 **error)
{
  Command *command;

  g_return_val_if_fail (STUDIO_IS_WORKER (self), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);

  if (self->train_state != STUDIO_TRAIN_STATE_IDLE)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("A training run is already going on"));
      return FALSE;
    }
  if (!unet_config_validate (&options->model, error))
    return FALSE;

  command = command_new (COMMAND_TRAIN_START);
  unet_train_options_copy (&command->options, options);
  /* STARTING at once, so that a second click cannot queue a second run */
  self->train_state = STUDIO_TRAIN_STATE_STARTING;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAIN_STATE]);
  send (self, command);
  return TRUE;
}

gboolean
studio_worker_train_resume_run (StudioWorker  *self,
                                const char    *run_dir,
                                GError       **error)
{
  g_autofree char *checkpoint = NULL;
  Command *command;

  g_return_val_if_fail (STUDIO_IS_WORKER (self), FALSE);
  g_return_val_if_fail (run_dir != NULL, FALSE);

  if (self->train_state != STUDIO_TRAIN_STATE_IDLE)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("A training run is already going on"));
      return FALSE;
    }
  checkpoint = unet_run_path (run_dir, UNET_RUN_CHECKPOINT);
  if (!g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("%s holds no checkpoint (last.safetensors) to resume"), run_dir);
      return FALSE;
    }

  command = command_new (COMMAND_TRAIN_RESUME);
  command->path = g_strdup (run_dir);
  self->train_state = STUDIO_TRAIN_STATE_STARTING;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAIN_STATE]);
  send (self, command);
  return TRUE;
}

void
studio_worker_train_pause (StudioWorker *self)
{
  g_return_if_fail (STUDIO_IS_WORKER (self));

  send (self, command_new (COMMAND_TRAIN_PAUSE));
}

void
studio_worker_train_continue (StudioWorker *self)
{
  g_return_if_fail (STUDIO_IS_WORKER (self));

  send (self, command_new (COMMAND_TRAIN_CONTINUE));
}

void
studio_worker_train_stop (StudioWorker *self)
{
  g_return_if_fail (STUDIO_IS_WORKER (self));

  if (self->train_state == STUDIO_TRAIN_STATE_IDLE)
    return;
  /* Seen by the worker between two steps even with commands queued; the queued STOP also wakes
   * a paused run. */
  g_atomic_int_set (&self->channel->stop_requested, TRUE);
  self->train_state = STUDIO_TRAIN_STATE_STOPPING;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAIN_STATE]);
  send (self, command_new (COMMAND_TRAIN_STOP));
}

StudioTrainState
studio_worker_get_train_state (StudioWorker *self)
{
  g_return_val_if_fail (STUDIO_IS_WORKER (self), STUDIO_TRAIN_STATE_IDLE);

  return self->train_state;
}

void
studio_worker_export_folder (StudioWorker      *self,
                             GPtrArray         *image_paths,
                             const char        *out_dir,
                             StudioExportFlags  flags,
                             const guint8      *palette,
                             double             opacity,
                             GCancellable      *cancellable)
{
  Command *command;

  g_return_if_fail (STUDIO_IS_WORKER (self));
  g_return_if_fail (image_paths != NULL && out_dir != NULL);

  command = command_new (COMMAND_EXPORT);
  command->paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < image_paths->len; i++)
    g_ptr_array_add (command->paths, g_strdup (image_paths->pdata[i]));
  command->name = g_strdup (out_dir);
  command->export_flags = flags;
  if (palette != NULL && self->model_info != NULL)
    command->bytes = g_bytes_new (palette, studio_model_info_get_n_classes (self->model_info) * 3);
  command->opacity = opacity;
  command->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  send (self, command);
}

guint
studio_worker_get_n_cancelled (StudioWorker *self)
{
  g_return_val_if_fail (STUDIO_IS_WORKER (self), 0);

  return self->n_cancelled;
}

static void
studio_worker_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  StudioWorker *self = STUDIO_WORKER (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    case PROP_TRAIN_STATE:
      g_value_set_enum (value, self->train_state);
      break;
    case PROP_MODEL_INFO:
      g_value_set_object (value, self->model_info);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_worker_dispose (GObject *object)
{
  StudioWorker *self = STUDIO_WORKER (object);

  studio_worker_shutdown (self);
  g_clear_object (&self->model_info);
  g_clear_object (&self->segment_cancellable);

  G_OBJECT_CLASS (studio_worker_parent_class)->dispose (object);
}

static void
studio_worker_finalize (GObject *object)
{
  StudioWorker *self = STUDIO_WORKER (object);

  channel_unref (self->channel);

  G_OBJECT_CLASS (studio_worker_parent_class)->finalize (object);
}

static void
studio_worker_class_init (StudioWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = studio_worker_get_property;
  object_class->dispose = studio_worker_dispose;
  object_class->finalize = studio_worker_finalize;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRAIN_STATE] =
    g_param_spec_enum ("train-state", NULL, NULL, STUDIO_TYPE_TRAIN_STATE,
                       STUDIO_TRAIN_STATE_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODEL_INFO] =
    g_param_spec_object ("model-info", NULL, NULL, STUDIO_TYPE_MODEL_INFO,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[MODEL_LOADED] =
    g_signal_new ("model-loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, STUDIO_TYPE_MODEL_INFO);
  signals[SEGMENTED] =
    g_signal_new ("segmented", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, STUDIO_TYPE_SEGMENTATION);
  signals[SEGMENT_FAILED] =
    g_signal_new ("segment-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_ERROR);
  signals[TRAIN_EVENT] =
    g_signal_new ("train-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[TRAIN_ENDED] =
    g_signal_new ("train-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_ERROR);
  signals[EXPORT_PROGRESS] =
    g_signal_new ("export-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_STRING);
  signals[EXPORT_ENDED] =
    g_signal_new ("export-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_ERROR);
  signals[ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
studio_worker_init (StudioWorker *self)
{
  Channel *channel = g_new0 (Channel, 1);
  GWeakRef *weak = g_new0 (GWeakRef, 1);

  g_atomic_ref_count_init (&channel->ref_count);
  channel->commands = g_async_queue_new_full ((GDestroyNotify) command_free);
  channel->events = g_async_queue_new_full ((GDestroyNotify) event_free);
  channel->source = g_source_new (&channel_source_funcs, sizeof (GSource));
  g_source_set_static_name (channel->source, "StudioWorker events");
  g_weak_ref_init (weak, self);
  g_source_set_callback (channel->source, NULL, weak, weak_ref_free);
  g_source_set_ready_time (channel->source, -1);
  g_source_attach (channel->source, g_main_context_get_thread_default ());
  self->channel = channel;

  self->thread = g_thread_new ("studio-worker", worker_thread_main, channel_ref (channel));
}
