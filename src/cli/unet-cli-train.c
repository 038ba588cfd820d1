/* unet-cli-train.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "unet-cli.h"
#include "unet-cli-common.h"
#include "train/unet-folds.h"
#include "train/unet-trainer-distributed.h"

typedef struct
{
  gboolean  terminal;
  gint64    last_line_step;
  gint64    line_every;
  gboolean  line_open;
  /* the pace after the first step (which also fills the sample cache) */
  gint64    first_step, last_step;
  gint64    first_time, last_time;
} Progress;

static UnetTrainer *running_trainer;
static gboolean running_distributed;

static void
on_stop_signal (int signum)
{
  /* ask once for a clean stop (checkpoint, then exit); a second signal kills as usual */
  if (running_trainer)
    unet_trainer_request_stop (running_trainer);
  /* Under mpirun, SIGTERM (also what Ctrl+C on mpirun becomes) means the job is ending, with
   * SIGKILL a second later: a rank stuck waiting for one that died must say so now. SIGUSR1,
   * which mpirun passes on, is the stop that leaves time for the checkpoint. */
  if (running_distributed && signum != SIGUSR1)
    unet_distributed_notify_terminate ();
  signal (signum, SIG_DFL);
}

static void
format_duration (char   *buffer,
                 gsize   size,
                 double  seconds)
{
  gint64 s = (gint64) (seconds + 0.5);

  if (seconds < 0 || seconds > 365.0 * 86400)
    g_snprintf (buffer, size, "--");
  else if (s >= 3600)
    g_snprintf (buffer, size, "%" G_GINT64_FORMAT "h%02dm", s / 3600, (int) (s % 3600 / 60));
  else
    g_snprintf (buffer, size, "%dm%02ds", (int) (s / 60), (int) (s % 60));
}

/* "step 120/700  epoch 20/117", or for a run as long as its time limit "step 120  epoch 20" */
static void
format_counts (char                 *buffer,
               gsize                 size,
               const UnetTrainEvent *event)
{
  if (event->total_steps > 0)
    g_snprintf (buffer, size, "step %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "  epoch %d/%d",
                event->step, event->total_steps, event->epoch, event->n_epochs);
  else
    g_snprintf (buffer, size, "step %" G_GINT64_FORMAT "  epoch %d", event->step, event->epoch);
}

static void
end_line (Progress *progress)
{
  if (progress->line_open)
    {
      fputc ('\n', stderr);
      progress->line_open = FALSE;
    }
}

static void
on_event (const UnetTrainEvent *event,
          gpointer              user_data)
{
  Progress *progress = user_data;
  char eta[32], counts[96];

  switch (event->kind)
    {
    case UNET_TRAIN_EVENT_PROGRESS:
      if (progress->first_time == 0)
        {
          progress->first_step = event->step;
          progress->first_time = g_get_monotonic_time ();
        }
      progress->last_step = event->step;
      progress->last_time = g_get_monotonic_time ();
      format_duration (eta, sizeof eta, event->eta_seconds);
      format_counts (counts, sizeof counts, event);
      if (progress->terminal)
        {
          fprintf (stderr, "\r\033[K%s  loss %.4f  lr %.3g  %.2f img/s  ETA %s",
                   counts, event->loss, event->lr, event->images_per_s, eta);
          progress->line_open = TRUE;
        }
      else if (event->step - progress->last_line_step >= progress->line_every ||
               event->progress >= 1.0)
        {
          fprintf (stderr, "%s loss %.4f lr %.3g %.2f img/s ETA %s\n",
                   counts, event->loss, event->lr, event->images_per_s, eta);
          progress->last_line_step = event->step;
        }
      break;

    case UNET_TRAIN_EVENT_EVALUATED:
      end_line (progress);
      fprintf (stderr, "epoch %d: val loss %.4f  mIoU %.2f %%  pixel accuracy %.2f %%%s\n",
               event->epoch, event->val_loss, 100.0 * event->miou, 100.0 * event->pixel_accuracy,
               event->is_best ? "  (best so far)" : "");
      break;

    case UNET_TRAIN_EVENT_CHECKPOINT:
      if (!progress->terminal)
        fprintf (stderr, "checkpoint: %s (step %" G_GINT64_FORMAT ")\n", event->path, event->step);
      break;

    case UNET_TRAIN_EVENT_FINISHED:
      end_line (progress);
      fprintf (stderr, "finished after %" G_GINT64_FORMAT " steps; model: %s\n",
               event->step, event->path);
      break;

    default:
      break;
    }
  fflush (stderr);
}

/* What the ranks waited for, averaged over them, and the pace rank 0 saw. */
static void
print_distributed_summary (UnetDistributed *dist,
                           const Progress  *progress)
{
  UnetDistributedStats stats;
  int size = unet_distributed_get_size (dist);
  double waits[3];
  gint64 steps;

  unet_distributed_get_stats (dist, &stats);
  steps = MAX (stats.steps, 1);
  waits[0] = stats.gradient_wait / steps;
  waits[1] = stats.norm_wait / steps;
  waits[2] = stats.step_wait / steps;
  unet_distributed_sum_doubles (dist, waits, G_N_ELEMENTS (waits));
  if (unet_distributed_get_rank (dist) != 0)
    return;

  fprintf (stderr, "distributed: %d rank%s, %" G_GINT64_FORMAT " steps", size,
           size > 1 ? "s" : "", stats.steps);
  if (progress->last_step > progress->first_step)
    fprintf (stderr, ", %.3f steps/s after the first",
             (progress->last_step - progress->first_step) /
             ((progress->last_time - progress->first_time) / 1e6));
  fprintf (stderr, "; waiting per step: gradients %.1f ms, batch norm %.1f ms, step start and "
           "loss %.1f ms (mean over the ranks); %.2f MB of gradients in %u reduction%s per "
           "step\n", 1e3 * waits[0] / size, 1e3 * waits[1] / size, 1e3 * waits[2] / size,
           stats.gradient_bytes / 1e6, stats.buckets, stats.buckets == 1 ? "" : "s");
}

static int
exit_code_for (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return UNET_EXIT_INTERRUPTED;
  if (error->domain == UNET_ERROR &&
      (error->code == UNET_ERROR_INVALID_ARGUMENT || error->code == UNET_ERROR_INVALID_CONFIG ||
       error->code == UNET_ERROR_INVALID_SIZE))
    return UNET_EXIT_USAGE;
  if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_EXISTS)
    return UNET_EXIT_USAGE;
  if (error->domain == UNET_ERROR && error->code == UNET_ERROR_NO_MEMORY)
    return UNET_EXIT_FAILURE;
  if (error->domain == UNET_DISTRIBUTED_ERROR)
    return error->code == UNET_DISTRIBUTED_ERROR_UNAVAILABLE ? UNET_EXIT_USAGE : UNET_EXIT_FAILURE;
  if (error->domain == VOC_ERROR || error->domain == UNET_ERROR)
    return UNET_EXIT_INPUT;
  return UNET_EXIT_OUTPUT;
}

/* What the command line says, before it becomes a run's options. */
typedef struct
{
  char     *dataset, *output, *init, *resume;
  char     *train_split, *val_split, *input_scale;
  char     *padding, *norm, *schedule;
  gboolean  no_augment, no_elastic, no_rotation, no_flip, no_color, no_validation;
  gboolean  no_bn_estimate, distributed, no_overlap;
  double    dropout, mpi_timeout, time_limit;
  int       max_classes, threads, bucket_kb, folds;
  gint64    seed, epochs, steps;
} TrainArgs;

static void
train_args_clear (TrainArgs *args)
{
  char **strings[] = { &args->dataset, &args->output, &args->init, &args->resume,
                       &args->train_split, &args->val_split, &args->input_scale, &args->padding,
                       &args->norm, &args->schedule };

  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    g_clear_pointer (strings[i], g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TrainArgs, train_args_clear)

/* Options that map one to one go straight into `options`; the rest into `args`. */
static gboolean
parse_args (TrainArgs         *args,
            UnetTrainOptions  *options,
            int               *argc,
            char            ***argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_FILENAME, &args->dataset, "VOCdevkit, VOC2007 or plain dataset folder", "DIR" },
    { "time-limit", 0, 0, G_OPTION_ARG_DOUBLE, &args->time_limit, "Train for at most this many minutes of wall clock, the learning-rate schedule spread over them; alone (without --steps or --epochs) the run lasts just that long. With --resume, a new limit counting the time already trained", "MINUTES" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &args->output, "Folder for checkpoints, models and logs", "DIR" },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &args->resume, "Continue the run saved in DIR with its own options (--steps or --epochs may extend it)", "DIR" },
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &args->init, "Start from the weights (and architecture) of this model or checkpoint; its input scale gives way to --input-scale", "FILE" },
    { "train-split", 0, 0, G_OPTION_ARG_STRING, &args->train_split, "Split to train on (default train)", "NAME" },
    { "val-split", 0, 0, G_OPTION_ARG_STRING, &args->val_split, "Split to validate on every epoch (default val)", "NAME" },
    { "no-validation", 0, 0, G_OPTION_ARG_NONE, &args->no_validation, "Do not validate; best.safetensors is then the latest model", NULL },
    { "val-every", 0, 0, G_OPTION_ARG_INT, &options->val_every, "Validate every N epochs and at the end (default 0: automatic, every epoch when an epoch is 100 steps or more, else every few epochs at least 100 steps apart)", "N" },
    { "depth", 0, 0, G_OPTION_ARG_INT, &options->model.depth, "Pooling steps, 1 to 5 (default 4, the paper's)", "N" },
    { "base", 0, 0, G_OPTION_ARG_INT, &options->model.base, "Channels of the first level, doubled per level (default 64)", "N" },
    { "padding", 0, 0, G_OPTION_ARG_STRING, &args->padding, "valid (the paper: unpadded, cropped skips) or same", "MODE" },
    { "norm", 0, 0, G_OPTION_ARG_STRING, &args->norm, "none (the paper) or batch", "KIND" },
    { "dropout", 0, 0, G_OPTION_ARG_DOUBLE, &args->dropout, "Dropout before the bottleneck (default 0.5)", "P" },
    { "max-classes", 0, 0, G_OPTION_ARG_INT, &args->max_classes, "Keep at most N foreground classes per image in validation and every later prediction, those covering most of it (stored in the model; default 0, no limit)", "N" },
    { "input-scale", 0, 0, G_OPTION_ARG_STRING, &args->input_scale, "Resize images by S before the network sees them, in training and in every later prediction (stored in the model); 0.5 sees twice the context and trains about 4× faster (default 1)", "S" },
    { "tile", 0, 0, G_OPTION_ARG_INT, &options->tile, "Input tile side, rounded up to one the model takes (default 572)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &options->batch, "Tiles per SGD step (default 1)", "N" },
    { "epochs", 0, 0, G_OPTION_ARG_INT64, &args->epochs, "Passes over the training split (default 50)", "N" },
    { "steps", 0, 0, G_OPTION_ARG_INT64, &args->steps, "SGD steps in all (overrides --epochs)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &options->lr, "Learning rate (default 0.01)", "RATE" },
    { "schedule", 0, 0, G_OPTION_ARG_STRING, &args->schedule, "Learning-rate schedule: constant (default), poly, step or cooldown (constant, then to 0 over the last fifth)", "KIND" },
    { "warmup", 0, 0, G_OPTION_ARG_INT64, &options->warmup_steps, "Steps of linear learning-rate warm-up (default 0)", "N" },
    { "momentum", 0, 0, G_OPTION_ARG_DOUBLE, &options->momentum, "SGD momentum (default 0.99, the paper's)", "M" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &options->weight_decay, "L2 weight decay (default 0.0005)", "W" },
    { "no-augment", 0, 0, G_OPTION_ARG_NONE, &args->no_augment, "No augmentation: centred tiles of the images as they are", NULL },
    { "no-elastic", 0, 0, G_OPTION_ARG_NONE, &args->no_elastic, "No elastic deformation", NULL },
    { "no-rotation", 0, 0, G_OPTION_ARG_NONE, &args->no_rotation, "No random rotation", NULL },
    { "no-flip", 0, 0, G_OPTION_ARG_NONE, &args->no_flip, "No horizontal flips", NULL },
    { "no-color", 0, 0, G_OPTION_ARG_NONE, &args->no_color, "No brightness, contrast or saturation jitter", NULL },
    { "no-bn-estimate", 0, 0, G_OPTION_ARG_NONE, &args->no_bn_estimate, "Validate and save with batch norm's moving averages from the training steps, not with statistics re-estimated on the training images", NULL },
    { "copy-paste", 0, 0, G_OPTION_ARG_DOUBLE, &options->augment_options.copy_paste, "Probability that a tile gets the objects of another training tile pasted over it (default 0)", "P" },
    { "paste-balance", 0, 0, G_OPTION_ARG_DOUBLE, &options->paste_balance, "Draw the pasted tile's sample by repeat factor max(1, √(T/f)), f the share of training images with its rarest class, so that rare classes are pasted more often (default 0: all alike)", "T" },
    { "scale-min", 0, 0, G_OPTION_ARG_DOUBLE, &options->augment_options.scale_min, "Smallest random scale (default 0.75)", "S" },
    { "scale-max", 0, 0, G_OPTION_ARG_DOUBLE, &options->augment_options.scale_max, "Largest random scale (default 1.25)", "S" },
    { "weighted-loss", 0, 0, G_OPTION_ARG_NONE, &options->weighted_loss, "The paper's weight map: class balance plus separation borders", NULL },
    { "w0", 0, 0, G_OPTION_ARG_DOUBLE, &options->w0, "Border weight of the weight map (default 10)", "W" },
    { "sigma", 0, 0, G_OPTION_ARG_DOUBLE, &options->sigma, "Border width of the weight map in pixels (default 5)", "PX" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &args->seed, "Random seed for weights, order and augmentation (default 1)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &args->threads, "Threads to use (default: all cores; distributed: per rank, the machine's cores shared by its ranks)", "N" },
    { "checkpoint-every", 0, 0, G_OPTION_ARG_INT64, &options->checkpoint_every, "Also save a checkpoint every N steps", "N" },
    { "skip-bad", 0, 0, G_OPTION_ARG_NONE, &options->skip_bad, "Warn about missing or broken samples and go on without them", NULL },
    { "folds", 0, 0, G_OPTION_ARG_INT, &args->folds, "Cross-validate: train K models, each on all but one of K folds of the training split (stratified by the classes present, seeded by --seed) for the run's fixed length, and score each on its held-out fold; writes folds.json, folds.csv and a run folder per fold, and prints the mean ± sd", "K" },
    { "distributed", 0, 0, G_OPTION_ARG_NONE, &args->distributed, "Train with the other ranks of an MPI job, each on its part of every batch (mpirun -n N unet train …; detected by itself under mpirun). --batch is per rank", NULL },
    { "mpi-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &args->mpi_timeout, "Distributed: end the job when a rank has not answered for this long (default 120)", "SECONDS" },
    { "mpi-bucket-kb", 0, 0, G_OPTION_ARG_INT, &args->bucket_kb, "Distributed: reduce gradients in buckets of this size while backward goes on (default 1024)", "KB" },
    { "mpi-no-overlap", 0, 0, G_OPTION_ARG_NONE, &args->no_overlap, "Distributed: reduce all gradients in one go after backward (to measure what the overlap gains)", NULL },
    { NULL }
  };

  context = g_option_context_new ("- train a U-Net");
  g_option_context_set_summary (context,
    "Trains a U-Net with SGD on a dataset's training split, validates on its validation split\n"
    "after every epoch, and writes to the output folder:\n"
    "  last.safetensors   checkpoint (weights, momentum, run state), for --resume\n"
    "  best.safetensors   the model with the best validation mIoU\n"
    "  log.csv, log.jsonl training loss per step, validation metrics per epoch\n"
    "Ctrl+C saves a checkpoint and stops; continue with --resume DIR.");
  g_option_context_set_description (context,
    "Examples:\n"
    "  unet train --dataset VOCdevkit -o runs/voc --padding same --norm batch --base 16 \\\n"
    "             --tile 256 --batch 4 --epochs 100\n"
    "  unet train --dataset VOCdevkit -o runs/half --padding same --input-scale 0.5 --tile 256\n"
    "  unet train --resume runs/voc --epochs 150\n"
    "  unet train --dataset cells -o runs/cv --train-split all --folds 5 --epochs 40\n"
    "  mpirun -n 4 --hostfile hosts unet train --dataset VOCdevkit -o runs/voc4 --batch 2 …\n"
    "\n"
    "Distributed, rank 0 writes the output folder and every rank reads the dataset at the same\n"
    "path. SIGUSR1 to mpirun stops every rank with a checkpoint; Ctrl+C ends the job.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      unet_cli_error ("train", "%s", error->message);
      return FALSE;
    }
  if (*argc > 1)
    {
      unet_cli_error ("train", "unexpected argument “%s”", (*argv)[1]);
      return FALSE;
    }
  /* before anything is opened or created */
  if (!(args->time_limit >= 0.0 && args->time_limit <= 1e6))
    {
      unet_cli_error ("train", "--time-limit must be a number of minutes, 0 (none) or more");
      return FALSE;
    }
  if (args->threads < -1 || !(args->mpi_timeout > 0.0) || args->bucket_kb < 1 ||
      args->bucket_kb > 1024 * 1024)
    {
      unet_cli_error ("train", "--threads, --mpi-timeout and --mpi-bucket-kb must be positive");
      return FALSE;
    }
  return TRUE;
}

/* A new run's options from the command line; FALSE (having said why) for a bad one. */
static gboolean
options_from_args (TrainArgs         *args,
                   UnetTrainOptions  *options,
                   UnetDistributed   *dist,
                   GError           **error)
{
  if (!args->dataset || !args->output)
    {
      unet_cli_error ("train", "--dataset and --output are required (see unet train --help)");
      return FALSE;
    }
  options->dataset = g_steal_pointer (&args->dataset);
  options->output_dir = g_steal_pointer (&args->output);
  options->init_from = g_steal_pointer (&args->init);
  if (args->train_split)
    {
      g_free (options->train_split);
      options->train_split = g_steal_pointer (&args->train_split);
    }
  if (args->val_split)
    {
      g_free (options->val_split);
      options->val_split = g_steal_pointer (&args->val_split);
    }
  if (args->steps > 0)
    options->steps = args->steps;
  if (args->epochs > 0)
    options->epochs = args->epochs;
  options->time_limit = args->time_limit * 60.0;
  /* "train for ten minutes": the time is the run's length, not a cap on the default's */
  if (args->time_limit > 0.0 && args->steps == 0 && args->epochs == 0)
    options->epochs = 0;
  if (args->steps < 0 || args->epochs < 0)
    {
      unet_cli_error ("train", "--steps and --epochs must be positive");
      return FALSE;
    }
  if (args->no_validation)
    g_clear_pointer (&options->val_split, g_free);
  if ((args->padding && !unet_padding_from_string (args->padding, &options->model.padding,
                                                    error)) ||
      (args->norm && !unet_norm_from_string (args->norm, &options->model.norm, error)) ||
      (args->schedule && !unet_schedule_kind_from_string (args->schedule, &options->schedule,
                                                          error)))
    {
      unet_cli_error ("train", "%s", (*error)->message);
      return FALSE;
    }
  if (args->input_scale)
    {
      char *end = NULL;

      options->input_scale = g_ascii_strtod (args->input_scale, &end);
      if (*args->input_scale == '\0' || end == NULL || *end != '\0')
        {
          unet_cli_error ("train", "--input-scale: “%s” is not a number", args->input_scale);
          return FALSE;
        }
    }
  if (args->dropout >= 0.0)
    options->model.dropout = (float) args->dropout;
  if (args->max_classes != G_MININT)
    options->max_classes = args->max_classes;
  if (args->no_bn_estimate)
    options->estimate_bn = FALSE;
  if (args->seed >= 0)
    options->seed = (guint64) args->seed;
  if (args->threads >= 0)
    options->threads = args->threads;
  /* --batch is what each rank holds; the run's batch is all of them together */
  if (dist != NULL)
    {
      int size = unet_distributed_get_size (dist);

      if (options->batch > 1024 / size)
        {
          unet_cli_error ("train", "--batch %d over %d ranks is more than 1024 images per step",
                          options->batch, size);
          return FALSE;
        }
      options->batch *= size;
    }
  options->augment = !args->no_augment;
  if (args->no_elastic)
    options->augment_options.elastic_sigma = 0.0;
  if (args->no_rotation)
    options->augment_options.rotation = 0.0;
  if (args->no_flip)
    options->augment_options.flip_probability = 0.0;
  if (args->no_color)
    {
      options->augment_options.brightness = 0.0;
      options->augment_options.contrast = 0.0;
      options->augment_options.saturation = 0.0;
    }
  return TRUE;
}

/* Started by mpirun, every copy trains as one rank of the job even without --distributed:
 * alone, each would write the same folder. */
static gboolean
join_distributed (const TrainArgs  *args,
                  UnetDistributed **dist,
                  int              *status)
{
  g_autoptr(GError) error = NULL;

  if (!args->distributed && !unet_distributed_was_launched ())
    return TRUE;
  *dist = unet_distributed_new (&error);
  if (*dist == NULL)
    {
      if (!args->distributed)
        g_prefix_error (&error, "started by an MPI launcher: ");
      unet_cli_error ("train", "%s", error->message);
      *status = exit_code_for (error);
      return FALSE;
    }
  unet_distributed_set_timeout (*dist, args->mpi_timeout);
  unet_distributed_set_bucket_bytes (*dist, (gsize) args->bucket_kb * 1024);
  unet_distributed_set_overlap (*dist, !args->no_overlap);
  if (unet_distributed_get_rank (*dist) != 0)
    unet_cli_set_log_prefix (unet_distributed_get_rank (*dist));
  return TRUE;
}

static void
print_batch_split (UnetTrainer     *trainer,
                   UnetDistributed *dist)
{
  const UnetTrainOptions *o = unet_trainer_get_options (trainer);
  int size = unet_distributed_get_size (dist);

  if (o->batch % size == 0)
    fprintf (stderr, "distributed: %d rank%s share each batch of %d image%s (%d each)\n",
             size, size > 1 ? "s" : "", o->batch, o->batch > 1 ? "s" : "", o->batch / size);
  else
    fprintf (stderr, "distributed: %d ranks share each batch of %d images (%d or %d each)\n",
             size, o->batch, o->batch / size, o->batch / size + 1);
}

static gboolean
is_cross_validation (const char *dir)
{
  g_autofree char *plan = g_build_filename (dir, UNET_FOLDS_PLAN, NULL);

  return g_file_test (plan, G_FILE_TEST_EXISTS);
}

/* Trains to the end, or to a stop asked for by a signal; the command's exit status. */
static int
run_to_end (UnetTrainer     *trainer,
            UnetDistributed *dist,
            int              rank)
{
  g_autoptr(GError) error = NULL;
  Progress progress = { 0 };
  int status = UNET_EXIT_OK;

  progress.terminal = isatty (fileno (stderr));
  /* about a hundred lines a run; under a time limit alone, every 20 steps */
  progress.line_every = unet_trainer_get_options (trainer)->steps == 0 &&
                        unet_trainer_get_options (trainer)->epochs == 0
                        ? 20 : MAX (unet_trainer_get_total_steps (trainer) / 100, 1);
  progress.last_line_step = unet_trainer_get_step (trainer);
  /* the other ranks train in silence */
  if (rank == 0)
    unet_trainer_set_event_func (trainer, on_event, &progress);

  running_trainer = trainer;
  running_distributed = dist != NULL;
  signal (SIGINT, on_stop_signal);
  signal (SIGTERM, on_stop_signal);
  if (dist != NULL)
    signal (SIGUSR1, on_stop_signal);

  if (!unet_trainer_run (trainer, &error))
    {
      end_line (&progress);
      /* A failure only this rank knows of leaves the others waiting for it: tell them and end
       * the job. One that went through an agreement is known to all, and rank 0 reports it; so
       * is a stop, which every rank takes at the same step. */
      if (dist != NULL && !unet_distributed_failure_agreed (dist) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          unet_cli_error ("train", "rank %d: %s", rank, error->message);
          unet_distributed_abort (dist, error->message);
        }
      if (rank == 0)
        unet_cli_error ("train", "%s", error->message);
      /* Once the run is going, the data is read; an I/O error is a checkpoint or log that could
       * not be written (a full disk, a read-only folder). */
      status = error->domain == UNET_ERROR && error->code == UNET_ERROR_IO
               ? UNET_EXIT_OUTPUT : exit_code_for (error);
    }
  else if (dist != NULL)
    {
      print_distributed_summary (dist, &progress);
    }

  signal (SIGINT, SIG_DFL);
  signal (SIGTERM, SIG_DFL);
  if (dist != NULL)
    signal (SIGUSR1, SIG_DFL);
  running_trainer = NULL;
  running_distributed = FALSE;
  return status;
}

static void
print_percentages (GString      *line,
                   UnetFolds    *folds)
{
  for (int f = 0; f < unet_folds_get_n_folds (folds); f++)
    if (unet_folds_get_result (folds, f)->done)
      g_string_append_printf (line, "%s%.1f", line->str[line->len - 1] == '(' ? "" : ", ",
                              100.0 * unet_folds_get_result (folds, f)->miou);
}

/* --folds K, or --resume of a cross-validation: the folds one after the other; a stop ends the
 * fold under way with its checkpoint, and --resume continues from there. */
static int
run_folds (TrainArgs        *args,
           UnetTrainOptions *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetFolds) folds = NULL;
  g_autoptr(GString) line = NULL;
  double mean, sd;
  int n_done;

  if (args->distributed || unet_distributed_was_launched ())
    {
      unet_cli_error ("train", "--folds trains one process at a time, not distributed");
      return UNET_EXIT_USAGE;
    }
  if (args->resume)
    {
      if (args->dataset || args->output || args->init || args->input_scale || args->steps ||
          args->epochs || args->folds)
        {
          unet_cli_error ("train", "--resume of a cross-validation takes its own plan; give "
                          "nothing else with it");
          return UNET_EXIT_USAGE;
        }
      folds = unet_folds_resume (args->resume, &error);
    }
  else if (options_from_args (args, options, NULL, &error))
    folds = unet_folds_new (options, args->folds, &error);
  else
    return UNET_EXIT_USAGE;
  if (folds == NULL)
    {
      unet_cli_error ("train", "%s", error->message);
      return exit_code_for (error);
    }

  for (int f = unet_folds_get_next (folds); f < unet_folds_get_n_folds (folds); f++)
    {
      g_autoptr(UnetTrainer) trainer = unet_folds_start (folds, f, &error);
      const UnetFoldResult *result;
      int status;

      if (trainer == NULL)
        {
          unet_cli_error ("train", "fold %d: %s", f + 1, error->message);
          return exit_code_for (error);
        }
      g_printerr ("fold %d of %d\n", f + 1, unet_folds_get_n_folds (folds));
      status = run_to_end (trainer, NULL, 0);
      if (status != UNET_EXIT_OK)
        return status;
      if (!unet_folds_finish (folds, f, &error))
        {
          unet_cli_error ("train", "fold %d: %s", f + 1, error->message);
          return UNET_EXIT_OUTPUT;
        }
      result = unet_folds_get_result (folds, f);
      g_printerr ("fold %d of %d: mIoU %.1f %% on its %u held-out images (trained on %u)\n",
                  f + 1, unet_folds_get_n_folds (folds), 100.0 * result->miou, result->n_val,
                  result->n_train);
    }

  unet_folds_get_summary (folds, &mean, &sd, &n_done);
  line = g_string_new (NULL);
  g_string_append_printf (line, "cross-validation: mIoU %.1f ± %.1f %% over %d folds (",
                          100.0 * mean, 100.0 * sd, n_done);
  print_percentages (line, folds);
  g_string_append (line, ")");
  g_print ("%s\n", line->str);
  return UNET_EXIT_OK;
}

int
unet_cli_train (int    argc,
                char **argv)
{
  g_autoptr(GError) error = NULL;
  /* before the trainer, so that the trainer goes first: MPI ends last */
  g_autoptr(UnetDistributed) dist = NULL;
  g_autoptr(UnetTrainer) trainer = NULL;
  g_auto(UnetTrainOptions) options = { 0 };
  g_auto(TrainArgs) args = { .dropout = -1.0, .mpi_timeout = 120.0, .max_classes = G_MININT,
                             .seed = -1, .threads = -1, .bucket_kb = 1024 };
  int status = UNET_EXIT_USAGE, rank;

  unet_train_options_init_default (&options);
  if (!parse_args (&args, &options, &argc, &argv) || !join_distributed (&args, &dist, &status))
    return status;
  rank = dist != NULL ? unet_distributed_get_rank (dist) : 0;

  if (args.folds != 0 || (args.resume && is_cross_validation (args.resume)))
    return run_folds (&args, &options);
  if (args.resume)
    {
      if (args.dataset || args.output || args.init || args.input_scale)
        {
          unet_cli_error ("train", "--resume takes the run's own dataset, output, model and "
                          "input scale; only --steps, --epochs or --time-limit may be given "
                          "with it");
          return UNET_EXIT_USAGE;
        }
      trainer = unet_trainer_resume_distributed (args.resume, args.steps, args.epochs, dist,
                                                 &error);
      if (trainer != NULL && args.time_limit > 0.0)
        unet_trainer_set_time_limit (trainer, args.time_limit * 60.0);
    }
  else
    {
      if (!options_from_args (&args, &options, dist, &error))
        return UNET_EXIT_USAGE;
      trainer = unet_trainer_new_distributed (&options, dist, &error);
    }

  if (trainer == NULL)
    {
      /* every rank has the same error; rank 0 says it */
      if (rank == 0)
        unet_cli_error ("train", "%s", error->message);
      return exit_code_for (error);
    }
  if (args.resume && args.threads >= 0)
    unet_trainer_set_threads (trainer, args.threads);
  if (dist != NULL && rank == 0)
    print_batch_split (trainer, dist);
  return run_to_end (trainer, dist, rank);
}
