/* unet-cli-evaluate.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "unet/unet.h"
#include "voc/voc.h"
#include "unet-cli.h"
#include "unet-cli-common.h"

typedef struct
{
  char     *model;
  char     *dataset;
  char     *split;
  gboolean  json;
  int       tile;
  gboolean  flip;
  int       max_classes;
  int       threads;
  gboolean  skip_bad;
  gboolean  quiet;
} EvaluateOptions;

typedef struct
{
  const char *model_path;
  VocDataset *dataset;
  const char *split;
  guint       n_evaluated;
  guint       n_bad;
  guint       n_missing;
  /* two-class data: the adapted Rand error of class 1's regions, summed over the images */
  double      rand_sum;
  guint       rand_images;
} EvaluateRun;

/* The mean adapted Rand error over the images, or NAN (not two classes, no regions). */
static double
mean_rand_error (const EvaluateRun *run)
{
  return run->rand_images > 0 ? run->rand_sum / run->rand_images : NAN;
}

/* The ISBI 2012 challenge's measure for two-class data: class 1's connected regions (cells
 * between membranes) in truth and prediction, compared by the foreground-restricted adapted
 * Rand error. */
static void
add_rand_error (EvaluateRun   *run,
                const guint8  *truth,
                const guint8  *prediction,
                int            width,
                int            height)
{
  size_t n = (size_t) width * height;
  g_autofree guint32 *truth_regions = g_new (guint32, n);
  g_autofree guint32 *predicted_regions = g_new (guint32, n);
  double error;

  unet_label_regions (truth, width, height, 1, truth_regions);
  unet_label_regions (prediction, width, height, 1, predicted_regions);
  error = unet_adapted_rand_error (truth_regions, predicted_regions, n, NULL, NULL);
  if (!isnan (error))
    {
      run->rand_sum += error;
      run->rand_images++;
    }
}

static void
add_number_or_null (JsonBuilder *builder,
                    double       value)
{
  /* JSON has no NaN: a metric that is undefined (no pixels to define it) is null. */
  if (isnan (value))
    json_builder_add_null_value (builder);
  else
    json_builder_add_double_value (builder, value);
}

/* TP / (TP + FN) of class k, NAN when k is not in the ground truth. */
static double
class_accuracy (const UnetConfusion *confusion,
                int                  k)
{
  guint64 row = 0;

  for (int j = 0; j < confusion->n_classes; j++)
    row += confusion->counts[(size_t) k * confusion->n_classes + j];
  return row > 0 ? (double) confusion->counts[(size_t) k * confusion->n_classes + k] / row : NAN;
}

static void
print_json (const EvaluateRun   *run,
            const UnetConfusion *confusion,
            const char *const   *names)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autofree double *iou = g_new (double, confusion->n_classes);
  int K = confusion->n_classes;

  unet_confusion_iou (confusion, iou, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, run->model_path);
  json_builder_set_member_name (builder, "dataset");
  json_builder_add_string_value (builder, voc_dataset_get_root (run->dataset));
  json_builder_set_member_name (builder, "split");
  json_builder_add_string_value (builder, run->split);
  json_builder_set_member_name (builder, "images");
  json_builder_add_int_value (builder, run->n_evaluated);
  json_builder_set_member_name (builder, "skipped");
  json_builder_add_int_value (builder, run->n_bad);
  json_builder_set_member_name (builder, "missing");
  json_builder_add_int_value (builder, run->n_missing);
  json_builder_set_member_name (builder, "classes");
  json_builder_begin_array (builder);
  for (int k = 0; k < K; k++)
    json_builder_add_string_value (builder, names[k]);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "miou");
  add_number_or_null (builder, unet_confusion_miou (confusion));
  json_builder_set_member_name (builder, "pixel_accuracy");
  add_number_or_null (builder, unet_confusion_pixel_accuracy (confusion));
  json_builder_set_member_name (builder, "mean_class_accuracy");
  add_number_or_null (builder, unet_confusion_mean_class_accuracy (confusion));

  json_builder_set_member_name (builder, "adapted_rand_error");
  add_number_or_null (builder, mean_rand_error (run));
  json_builder_set_member_name (builder, "adapted_rand_images");
  json_builder_add_int_value (builder, run->rand_images);

  json_builder_set_member_name (builder, "per_class_iou");
  json_builder_begin_object (builder);
  for (int k = 0; k < K; k++)
    {
      json_builder_set_member_name (builder, names[k]);
      add_number_or_null (builder, iou[k]);
    }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "per_class_accuracy");
  json_builder_begin_object (builder);
  for (int k = 0; k < K; k++)
    {
      json_builder_set_member_name (builder, names[k]);
      add_number_or_null (builder, class_accuracy (confusion, k));
    }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "confusion");
  json_builder_begin_array (builder);
  for (int t = 0; t < K; t++)
    {
      json_builder_begin_array (builder);
      for (int p = 0; p < K; p++)
        json_builder_add_int_value (builder, (gint64) confusion->counts[(size_t) t * K + p]);
      json_builder_end_array (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json = json_generator_to_data (generator, NULL);
  printf ("%s\n", json);
}

static void
print_percent (double value)
{
  if (isnan (value))
    printf ("%11s", "—"); /* 9 columns: the dash is 3 bytes */
  else
    printf ("%7.2f %%", 100.0 * value);
}

static void
print_table (const EvaluateRun   *run,
             const UnetConfusion *confusion,
             const char *const   *names)
{
  int K = confusion->n_classes;
  g_autofree double *iou = g_new (double, K);
  g_autofree gboolean *present = g_new (gboolean, K);
  int name_width = 5;
  int n_present = 0;
  int count_width = 3;

  unet_confusion_iou (confusion, iou, present);
  for (int k = 0; k < K; k++)
    {
      name_width = MAX (name_width, (int) g_utf8_strlen (names[k], -1));
      n_present += present[k];
    }

  printf ("Model    %s\n", run->model_path);
  printf ("Dataset  %s, split “%s”: %u images", voc_dataset_get_root (run->dataset), run->split,
          run->n_evaluated);
  if (run->n_bad > 0)
    printf (", %u unreadable skipped", run->n_bad);
  if (run->n_missing > 0)
    printf (", %u listed ids without files left out", run->n_missing);
  printf ("\n\n");

  printf ("%-*s  %9s  %9s  %14s\n", name_width, "class", "IoU", "accuracy", "pixels (truth)");
  for (int k = 0; k < K; k++)
    {
      guint64 truth = 0;

      for (int j = 0; j < K; j++)
        truth += confusion->counts[(size_t) k * K + j];
      printf ("%s", names[k]);
      for (int i = g_utf8_strlen (names[k], -1); i < name_width; i++)
        putchar (' ');
      printf ("  ");
      print_percent (iou[k]);
      printf ("  ");
      print_percent (class_accuracy (confusion, k));
      printf ("  %14" G_GUINT64_FORMAT "\n", truth);
    }

  printf ("\n%-20s", "mIoU");
  print_percent (unet_confusion_miou (confusion));
  printf ("  (mean over the %d classes in the ground truth or the predictions)\n", n_present);
  printf ("%-20s", "pixel accuracy");
  print_percent (unet_confusion_pixel_accuracy (confusion));
  printf ("\n%-20s", "mean class accuracy");
  print_percent (unet_confusion_mean_class_accuracy (confusion));
  printf ("\n");
  if (run->rand_images > 0)
    printf ("%-20s%9.4f  (regions of “%s”, ISBI 2012 foreground-restricted; mean over %u "
            "images)\n", "adapted Rand error", mean_rand_error (run), names[1], run->rand_images);

  /* The matrix only over the classes that occur, or 21 columns would not fit a terminal. */
  for (size_t i = 0; i < (size_t) K * K; i++)
    {
      int digits = g_snprintf (NULL, 0, "%" G_GUINT64_FORMAT, confusion->counts[i]);

      count_width = MAX (count_width, digits);
    }
  printf ("\nConfusion matrix in pixels (rows: ground truth, columns: prediction; "
          "classes that occur):\n");
  printf ("%*s", name_width + 6, "");
  for (int p = 0; p < K; p++)
    if (present[p])
      printf (" %*d", count_width, p);
  printf ("\n");
  for (int t = 0; t < K; t++)
    {
      if (!present[t])
        continue;
      printf ("%3d  %s", t, names[t]);
      for (int i = g_utf8_strlen (names[t], -1); i < name_width + 1; i++)
        putchar (' ');
      for (int p = 0; p < K; p++)
        if (present[p])
          printf (" %*" G_GUINT64_FORMAT, count_width, confusion->counts[(size_t) t * K + p]);
      printf ("\n");
    }
}

static int
run_evaluate (const EvaluateOptions *options)
{
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(VocDataset) dataset = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GPtrArray) missing = NULL;
  g_autoptr(UnetConfusion) confusion = NULL;
  g_autoptr(UnetCliProgress) progress = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *default_model = NULL;
  const char *const *model_names;
  const char *const *dataset_names;
  UnetPredictOptions predict = { 0 };
  EvaluateRun run = { 0 };
  int K;
  int status;

  model = unet_cli_load_model ("evaluate", options->model, &status);
  if (model == NULL)
    return status;
  if (options->model == NULL)
    default_model = unet_cli_default_model_path ();

  dataset = voc_dataset_open (options->dataset, &error);
  if (dataset == NULL)
    {
      unet_cli_error ("evaluate", "%s", error->message);
      return unet_cli_exit_code_for_error (error);
    }

  K = unet_model_get_config (model)->classes;
  if (voc_dataset_get_n_classes (dataset) != K)
    {
      unet_cli_error ("evaluate", "the model predicts %d classes but %s has %d", K,
                      voc_dataset_get_root (dataset), voc_dataset_get_n_classes (dataset));
      return UNET_EXIT_INPUT;
    }
  model_names = unet_model_get_class_names (model);
  dataset_names = voc_dataset_get_class_names (dataset);
  for (int k = 0; k < K; k++)
    if (g_strcmp0 (model_names[k], dataset_names[k]) != 0)
      {
        g_printerr ("unet evaluate: warning: class %d is “%s” in the model but “%s” in the "
                    "dataset; the dataset's names are used\n", k, model_names[k],
                    dataset_names[k]);
        break;
      }

  ids = voc_dataset_get_split (dataset, options->split, TRUE, &missing, &error);
  if (ids == NULL)
    {
      unet_cli_error ("evaluate", "%s", error->message);
      return unet_cli_exit_code_for_error (error);
    }
  run.model_path = options->model ? options->model : default_model;
  run.dataset = dataset;
  run.split = options->split;
  run.n_missing = missing ? missing->len : 0;
  if (run.n_missing > 0)
    g_printerr ("unet evaluate: warning: %u of the %u ids of split “%s” have no image or class "
                "mask and are left out (“unet info --dataset” lists them)\n",
                run.n_missing, run.n_missing + ids->len, options->split);

  unet_set_threads (options->threads);
  predict.tile = options->tile;
  predict.flip = options->flip;
  predict.max_classes = options->max_classes;
  confusion = unet_confusion_new (K);
  progress = unet_cli_progress_new ("evaluate", ids->len, options->quiet);

  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);
      g_autoptr(VocSample) sample = NULL;
      g_autofree guint8 *prediction = NULL;
      size_t plane;

      unet_cli_progress_update (progress, i, id);
      sample = voc_dataset_load_sample (dataset, id, VOC_LOAD_IMAGE | VOC_LOAD_LABELS, &error);
      if (sample == NULL)
        {
          if (!options->skip_bad)
            {
              g_clear_pointer (&progress, unet_cli_progress_free);
              unet_cli_error ("evaluate", "%s (--skip-bad skips such samples)", error->message);
              return unet_cli_exit_code_for_error (error);
            }
          unet_cli_progress_warn (progress, "skipping %s: %s", id, error->message);
          g_clear_error (&error);
          run.n_bad++;
          continue;
        }

      plane = (size_t) sample->width * sample->height;
      /* only the classes: the probabilities of a large image are never all in memory */
      prediction = unet_model_predict_classes (model, sample->rgb, sample->height, sample->width,
                                               &predict, NULL, &error);
      if (prediction == NULL)
        {
          g_clear_pointer (&progress, unet_cli_progress_free);
          unet_cli_error ("evaluate", "%s: %s", id, error->message);
          return error->domain == UNET_ERROR && error->code == UNET_ERROR_INVALID_SIZE
                 ? UNET_EXIT_USAGE : UNET_EXIT_FAILURE;
        }
      unet_confusion_add (confusion, sample->labels, prediction, plane);
      if (K == 2)
        add_rand_error (&run, sample->labels, prediction, sample->width, sample->height);
      run.n_evaluated++;
    }
  g_clear_pointer (&progress, unet_cli_progress_free);

  if (run.n_evaluated == 0)
    {
      unet_cli_error ("evaluate", "no image of split “%s” could be read", options->split);
      return UNET_EXIT_INPUT;
    }

  if (options->json)
    print_json (&run, confusion, dataset_names);
  else
    print_table (&run, confusion, dataset_names);
  return UNET_EXIT_OK;
}

int
unet_cli_evaluate (int    argc,
                   char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  EvaluateOptions options = { .max_classes = UNET_CLI_MAX_CLASSES_UNSET };
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &options.model,
      "Model or checkpoint file (default: the built-in model)", "FILE" },
    { "dataset", 0, 0, G_OPTION_ARG_FILENAME, &options.dataset,
      "Dataset: VOCdevkit, VOC2007 or plain folder", "DIR" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &options.split, "Split to evaluate (default val)",
      "SPLIT" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options.json, "Print the results as one JSON object",
      NULL },
    { "tile", 0, 0, G_OPTION_ARG_INT, &options.tile,
      "Inference tile side in pixels (default 388 valid, 512 same)", "N" },
    { "flip", 0, 0, G_OPTION_ARG_NONE, &options.flip,
      "Average with the mirrored image's prediction (TTA)", NULL },
    { "max-classes", 0, 0, G_OPTION_ARG_INT, &options.max_classes, UNET_CLI_MAX_CLASSES_HELP,
      "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &options.threads, "Threads to use (default: all cores)",
      "N" },
    { "skip-bad", 0, 0, G_OPTION_ARG_NONE, &options.skip_bad,
      "Warn about each unreadable sample and go on without it", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &options.quiet, "Show no progress", NULL },
    { NULL }
  };
  int status;

  context = g_option_context_new ("- measure a model's accuracy on a dataset split");
  g_option_context_set_summary (context,
    "Segments every image of a dataset split and compares the prediction with its\n"
    "class mask; pixels labelled 255 (void: object outlines, hard regions) are not\n"
    "scored. Prints per class the IoU, TP/(TP+FP+FN), the accuracy, TP/(TP+FN), and\n"
    "the ground-truth pixels; then the mean IoU, the pixel accuracy, the mean class\n"
    "accuracy and the confusion matrix.\n"
    "\n"
    "The mean IoU (mIoU) is the mean over the classes present in the ground truth or\n"
    "the predictions of that split: a class that occurs in neither has no IoU and\n"
    "does not count. The mean class accuracy is the mean over the classes present in\n"
    "the ground truth.\n"
    "\n"
    "Ids of the split whose image or class mask is absent (a partial download) are\n"
    "left out with one warning. A sample whose files are there but unreadable, or\n"
    "disagree in size or values, stops the evaluation with an error naming the file,\n"
    "unless --skip-bad is given.");
  g_option_context_set_description (context,
    "The dataset is a VOCdevkit folder, its VOC2007 folder, or a plain dataset\n"
    "(images/, masks/, classes.txt; see docs/datasets.md). Without --model the model\n"
    "named by $UNET_DEFAULT_MODEL is used, else the model built into unet (see\n"
    "docs/model-card.md). --tile is the side of the output tile for valid padding (default\n"
    "388) or of the input tile for same padding (default 512), rounded up to one the\n"
    "model accepts; it sets the memory used, not the result.\n"
    "\n"
    "With --json the output is one object with the keys miou, pixel_accuracy and\n"
    "mean_class_accuracy (fractions; null when undefined), per_class_iou and\n"
    "per_class_accuracy (objects keyed by class name, null for a class without\n"
    "pixels), confusion (rows: ground truth, columns: prediction, in pixels),\n"
    "classes, images, skipped, missing, model, dataset and split.\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 bad command line, 3 unreadable model,\n"
    "dataset or sample.\n"
    "\n"
    "Examples:\n"
    "  unet evaluate --model unet-voc.safetensors --dataset ~/data/VOCdevkit\n"
    "  unet evaluate --model unet-voc.safetensors --dataset ~/data/VOCdevkit --flip --json\n");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      unet_cli_error ("evaluate", "%s", error->message);
      status = UNET_EXIT_USAGE;
      goto out;
    }
  if (argc > 1)
    {
      unet_cli_error ("evaluate", "unexpected argument “%s”", argv[1]);
      status = UNET_EXIT_USAGE;
      goto out;
    }
  if (options.dataset == NULL)
    {
      unet_cli_error ("evaluate", "no dataset; pass --dataset DIR");
      status = UNET_EXIT_USAGE;
      goto out;
    }
  if (options.tile < 0 || options.threads < 0)
    {
      unet_cli_error ("evaluate", "--tile and --threads must be at least 0");
      status = UNET_EXIT_USAGE;
      goto out;
    }
  if (!unet_cli_parse_max_classes ("evaluate", options.max_classes, &options.max_classes))
    {
      status = UNET_EXIT_USAGE;
      goto out;
    }
  if (options.split == NULL)
    options.split = g_strdup ("val");

  status = run_evaluate (&options);

out:
  g_free (options.model);
  g_free (options.dataset);
  g_free (options.split);
  return status;
}
