/* unet-cli-bench.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <sys/resource.h>

#include <json-glib/json-glib.h>

#include "unet/unet.h"
#include "unet/unet-profile.h"
#include "voc/voc.h"
#include "unet-cli.h"
#include "unet/unet-model-train.h"
#include "unet/unet-optimizer.h"

typedef struct
{
  UnetConfig config;
  int        tile;
  int        batch;
  int        threads;
  int        iterations;
  int        warmup;
  guint64    seed;
  char      *dataset;
  char      *split;
} BenchOptions;

static double
peak_rss_mb (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0; /* kilobytes on Linux */
}

static void
fill_random (float   *x,
             size_t   n,
             UnetRng *rng)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float) unet_rng_normal (rng);
}

/* Seconds per call of forward (training == FALSE) or of a whole SGD step; with profile, the
 * timed calls' layers are profiled into it. */
static double
time_iterations (UnetModel          *model,
                 UnetOptimizer      *optimizer,
                 const float        *input,
                 const uint8_t      *labels,
                 const BenchOptions *options,
                 gboolean            training,
                 UnetProfile        *profile)
{
  gint64 start = 0;

  for (int i = 0; i < options->warmup + options->iterations; i++)
    {
      if (i == options->warmup)
        {
          start = g_get_monotonic_time ();
          if (profile != NULL)
            {
              unet_profile_reset (profile);
              unet_model_set_profile (model, profile);
            }
        }
      if (training)
        {
          unet_model_train_step (model, input, labels, NULL);
          unet_optimizer_step (optimizer, model, 1e-4);
        }
      else
        unet_model_forward (model, input, FALSE);
    }
  unet_model_set_profile (model, NULL);
  return (g_get_monotonic_time () - start) / 1e6 / options->iterations;
}

/* Milliseconds per pass or training step and GFLOP/s of each kind of layer, and the rest (the
 * loss, the optimizer, what lies between layers) as "rest". */
static void
add_profile (JsonBuilder       *builder,
             const UnetProfile *profile,
             int                steps,
             double             step_seconds)
{
  double profiled = 0.0;

  json_builder_begin_object (builder);
  for (int kind = 0; kind < UNET_PROFILE_N_KINDS; kind++)
    {
      json_builder_set_member_name (builder, unet_profile_kind_name (kind));
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "ms_per_step");
      json_builder_add_double_value (builder, 1e3 * profile->seconds[kind] / steps);
      if (profile->flops[kind] > 0.0)
        {
          json_builder_set_member_name (builder, "gflops");
          json_builder_add_double_value (builder,
                                         profile->flops[kind] / profile->seconds[kind] / 1e9);
        }
      json_builder_end_object (builder);
      profiled += profile->seconds[kind];
    }
  json_builder_set_member_name (builder, "rest");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ms_per_step");
  json_builder_add_double_value (builder, 1e3 * MAX (step_seconds - profiled / steps, 0.0));
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

/* The data pipeline as training runs it: samples per second decoded from disk (image, class
 * and instance masks) and augmented to a tile, and augmented alone from memory. */
static gboolean
bench_data (const BenchOptions  *options,
            int                  in_size,
            int                  out_size,
            double              *decoded_per_s,
            double              *augmented_per_s,
            GError             **error)
{
  g_autoptr(VocDataset) dataset = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GPtrArray) samples = g_ptr_array_new_with_free_func ((GDestroyNotify) voc_sample_free);
  g_autofree float *image = g_new (float, (size_t) 3 * in_size * in_size);
  g_autofree guint8 *labels = g_new (guint8, (size_t) out_size * out_size);
  VocAugmentOptions augment;
  UnetRng rng;
  gint64 start;
  int rounds = 0;

  dataset = voc_dataset_open (options->dataset, error);
  if (dataset == NULL)
    return FALSE;
  ids = voc_dataset_get_split (dataset, options->split, TRUE, NULL, error);
  if (ids == NULL)
    return FALSE;
  voc_augment_options_init_default (&augment);
  unet_rng_seed (&rng, options->seed);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < ids->len; i++)
    {
      VocSample *sample = voc_dataset_load_sample (dataset, g_ptr_array_index (ids, i),
                                                   VOC_LOAD_TRAIN | VOC_LOAD_INSTANCES, error);
      if (sample == NULL)
        return FALSE;
      if (!voc_augment_sample (sample, &augment, &rng, in_size, out_size, image, labels,
                               NULL, NULL, error))
        return FALSE;
      g_ptr_array_add (samples, sample);
    }
  *decoded_per_s = ids->len / ((g_get_monotonic_time () - start) / 1e6);

  start = g_get_monotonic_time ();
  do
    {
      for (guint i = 0; i < samples->len; i++)
        if (!voc_augment_sample (g_ptr_array_index (samples, i), &augment, &rng, in_size, out_size,
                                 image, labels, NULL, NULL, error))
          return FALSE;
      rounds++;
    }
  while (g_get_monotonic_time () - start < 1000000);
  *augmented_per_s = rounds * samples->len / ((g_get_monotonic_time () - start) / 1e6);
  return TRUE;
}

static int
run_bench (const BenchOptions  *options,
           GError             **error)
{
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(UnetOptimizer) optimizer = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree float *input = NULL;
  g_autofree uint8_t *labels = NULL;
  g_autofree char *json = NULL;
  UnetShape out_shape;
  UnetRng rng;
  UnetProfile forward_profile, profile;
  double flops, forward_s, train_s;
  size_t n_input, n_labels;

  unet_set_threads (options->threads);
  model = unet_model_new (&options->config, error);
  if (model == NULL)
    return UNET_EXIT_USAGE;
  unet_model_init_weights (model, options->seed);

  if (!unet_model_prepare (model, options->batch, options->tile, options->tile, FALSE, error))
    return UNET_EXIT_USAGE;

  unet_rng_seed (&rng, options->seed);
  n_input = (size_t) options->batch * options->config.in_channels * options->tile * options->tile;
  input = g_new (float, n_input);
  fill_random (input, n_input, &rng);
  flops = unet_model_count_flops (model);
  forward_s = time_iterations (model, NULL, input, NULL, options, FALSE, &forward_profile);

  if (!unet_model_prepare (model, options->batch, options->tile, options->tile, TRUE, error))
    return UNET_EXIT_FAILURE;
  out_shape = unet_model_get_output_shape (model);
  n_labels = (size_t) out_shape.batch * out_shape.height * out_shape.width;
  labels = g_new (uint8_t, n_labels);
  for (size_t i = 0; i < n_labels; i++)
    labels[i] = unet_rng_below (&rng, options->config.classes);
  optimizer = unet_optimizer_new (model, 0.99, 0.0);
  train_s = time_iterations (model, optimizer, input, labels, options, TRUE, &profile);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "config");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "padding");
  json_builder_add_string_value (builder, unet_padding_to_string (options->config.padding));
  json_builder_set_member_name (builder, "depth");
  json_builder_add_int_value (builder, options->config.depth);
  json_builder_set_member_name (builder, "base");
  json_builder_add_int_value (builder, options->config.base);
  json_builder_set_member_name (builder, "norm");
  json_builder_add_string_value (builder, unet_norm_to_string (options->config.norm));
  json_builder_set_member_name (builder, "tile");
  json_builder_add_int_value (builder, options->tile);
  json_builder_set_member_name (builder, "output");
  json_builder_add_int_value (builder, out_shape.height);
  json_builder_set_member_name (builder, "batch");
  json_builder_add_int_value (builder, options->batch);
  json_builder_set_member_name (builder, "threads");
  json_builder_add_int_value (builder, unet_get_threads ());
  json_builder_set_member_name (builder, "iterations");
  json_builder_add_int_value (builder, options->iterations);
  json_builder_set_member_name (builder, "parameters");
  json_builder_add_int_value (builder, unet_model_count_trainable (model));
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "forward_images_per_s");
  json_builder_add_double_value (builder, options->batch / forward_s);
  json_builder_set_member_name (builder, "train_images_per_s");
  json_builder_add_double_value (builder, options->batch / train_s);
  json_builder_set_member_name (builder, "forward_gflops");
  json_builder_add_double_value (builder, flops / forward_s / 1e9);
  json_builder_set_member_name (builder, "train_gflops");
  json_builder_add_double_value (builder, 3.0 * flops / train_s / 1e9);
  json_builder_set_member_name (builder, "forward_layers");
  add_profile (builder, &forward_profile, options->iterations, forward_s);
  json_builder_set_member_name (builder, "train_layers");
  add_profile (builder, &profile, options->iterations, train_s);
  json_builder_set_member_name (builder, "peak_rss_mb");
  json_builder_add_double_value (builder, peak_rss_mb ());
  if (options->dataset)
    {
      double decoded, augmented;

      if (!bench_data (options, options->tile, out_shape.height, &decoded, &augmented, error))
        return UNET_EXIT_INPUT;
      json_builder_set_member_name (builder, "data_decoded_samples_per_s");
      json_builder_add_double_value (builder, decoded);
      json_builder_set_member_name (builder, "data_augmented_samples_per_s");
      json_builder_add_double_value (builder, augmented);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json = json_generator_to_data (generator, NULL);
  printf ("%s\n", json);
  return UNET_EXIT_OK;
}

int
unet_cli_bench (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *padding = NULL;
  g_autofree char *norm = NULL;
  BenchOptions options = { 0 };
  gint64 seed = 1;
  GOptionEntry entries[] = {
    { "padding", 0, 0, G_OPTION_ARG_STRING, &padding, "Convolution padding: valid (the paper) or same", "MODE" },
    { "depth", 0, 0, G_OPTION_ARG_INT, &options.config.depth, "Pooling steps, 1 to 5 (default 4)", "N" },
    { "base", 0, 0, G_OPTION_ARG_INT, &options.config.base, "Channels of the first level (default 64)", "N" },
    { "norm", 0, 0, G_OPTION_ARG_STRING, &norm, "Normalisation: none or batch (default none)", "KIND" },
    { "tile", 0, 0, G_OPTION_ARG_INT, &options.tile, "Input tile side in pixels (default 572)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &options.batch, "Images per batch (default 1)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &options.threads, "Threads to use (default: all cores)", "N" },
    { "iterations", 0, 0, G_OPTION_ARG_INT, &options.iterations, "Timed iterations (default 5)", "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &options.warmup, "Untimed iterations first (default 1)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed for weights and data (default 1)", "N" },
    { "dataset", 0, 0, G_OPTION_ARG_FILENAME, &options.dataset, "Also time the data pipeline on this dataset", "DIR" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &options.split, "Split for the data pipeline (default train)", "NAME" },
    { NULL }
  };
  int status;

  unet_config_init_default (&options.config);
  options.tile = 572;
  options.batch = 1;
  options.iterations = 5;
  options.warmup = 1;

  context = g_option_context_new ("- measure training and inference speed");
  g_option_context_set_summary (context,
                                "Times forward passes and SGD training steps of a randomly initialised "
                                "U-Net on random data and prints one JSON object with images/s, "
                                "GFLOP/s, the milliseconds and GFLOP/s of each kind of layer in a "
                                "forward pass (forward_layers) and a training step (train_layers) "
                                "and the peak resident memory. With "
                                "--dataset it also "
                                "times the data pipeline: samples/s decoded and augmented to a "
                                "tile (data_decoded_samples_per_s) and augmented from memory "
                                "(data_augmented_samples_per_s).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      unet_cli_error ("bench", "%s", error->message);
      return UNET_EXIT_USAGE;
    }
  if (argc > 1)
    {
      unet_cli_error ("bench", "unexpected argument “%s”", argv[1]);
      return UNET_EXIT_USAGE;
    }

  if ((padding && !unet_padding_from_string (padding, &options.config.padding, &error)) ||
      (norm && !unet_norm_from_string (norm, &options.config.norm, &error)))
    {
      unet_cli_error ("bench", "%s", error->message);
      return UNET_EXIT_USAGE;
    }
  if (options.iterations < 1 || options.warmup < 0 || options.threads < 0)
    {
      unet_cli_error ("bench", "--iterations must be at least 1, --warmup and --threads at least 0");
      return UNET_EXIT_USAGE;
    }
  options.seed = (guint64) seed;
  /* the benchmark measures the network, not dropout's random numbers */
  options.config.dropout = 0.0f;

  if (options.split == NULL)
    options.split = g_strdup ("train");
  status = run_bench (&options, &error);
  g_free (options.dataset);
  g_free (options.split);
  if (status != UNET_EXIT_OK)
    unet_cli_error ("bench", "%s", error->message);
  return status;
}
