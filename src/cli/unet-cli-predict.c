/* unet-cli-predict.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "unet/unet.h"
#include "voc/voc.h"
#include "unet-cli.h"
#include "unet-cli-common.h"
#include "draw/draw-legend.h"
#include "unet/unet-file.h"

typedef struct
{
  char     *model;
  char     *output;
  double    opacity;
  gboolean  json;
  int       tile;
  gboolean  flip;
  int       max_classes;
  int       threads;
  gboolean  skip_bad;
  gboolean  quiet;
  char    **inputs;
} PredictOptions;

/* One image to segment and the files it becomes. */
typedef struct
{
  char *input;
  char *mask;
  char *overlay;
  char *legend;
  char *json;
} Job;

static void
job_free (Job *job)
{
  g_free (job->input);
  g_free (job->mask);
  g_free (job->overlay);
  g_free (job->legend);
  g_free (job->json);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_free)

static const char *const image_extensions[] = {
  "jpg", "jpeg", "jpe", "png", "bmp", "gif", "tif", "tiff", "webp", "ppm", "pgm", "pnm", "tga",
};

static gboolean
has_image_extension (const char *name)
{
  const char *dot = strrchr (name, '.');

  if (dot == NULL)
    return FALSE;
  for (size_t i = 0; i < G_N_ELEMENTS (image_extensions); i++)
    if (g_ascii_strcasecmp (dot + 1, image_extensions[i]) == 0)
      return TRUE;
  return FALSE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The image files named on the command line: files as given, folders replaced by the image
 * files directly inside them (sorted; hidden files and sub-folders are left alone). */
static GPtrArray *
collect_inputs (char   **args,
                GError **error)
{
  g_autoptr(GPtrArray) inputs = g_ptr_array_new_with_free_func (g_free);

  for (char **arg = args; *arg; arg++)
    {
      g_autoptr(GPtrArray) found = NULL;
      g_autoptr(GDir) dir = NULL;
      const char *name;

      if (!g_file_test (*arg, G_FILE_TEST_IS_DIR))
        {
          g_ptr_array_add (inputs, g_strdup (*arg));
          continue;
        }
      dir = g_dir_open (*arg, 0, error);
      if (dir == NULL)
        return NULL;
      found = g_ptr_array_new_with_free_func (g_free);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = NULL;

          if (name[0] == '.' || !has_image_extension (name))
            continue;
          path = g_build_filename (*arg, name, NULL);
          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add (found, g_steal_pointer (&path));
        }
      if (found->len == 0)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                       "%s: no image files (.jpg, .png, …) in this folder", *arg);
          return NULL;
        }
      g_ptr_array_sort (found, compare_strings);
      g_ptr_array_extend_and_steal (inputs, g_steal_pointer (&found));
    }
  return g_steal_pointer (&inputs);
}

/* A key naming the file itself, the same through symlinks, "..", and hard links. */
static char *
file_identity (const char *path)
{
  struct stat st;

  if (g_stat (path, &st) != 0)
    return NULL;
  return g_strdup_printf ("%ju:%ju", (uintmax_t) st.st_dev, (uintmax_t) st.st_ino);
}

/* The canonical path a not-yet-existing output would get: its folder resolved. */
static char *
canonical_path (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *real = realpath (path, NULL);
  g_autofree char *real_dir = NULL;

  if (real != NULL)
    return g_steal_pointer (&real);
  real_dir = realpath (dir, NULL);
  if (real_dir == NULL)
    return g_strdup (path);
  return g_build_filename (real_dir, base, NULL);
}

/* Output names for every input, refusing before anything is written when an output would
 * replace an input (whatever the path spelling) or two inputs would write the same file. */
static GPtrArray *
plan_jobs (GPtrArray   *inputs,
           const char  *output_dir,
           gboolean     json,
           GError     **error)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);
  g_autoptr(GHashTable) input_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) outputs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < inputs->len; i++)
    {
      const char *input = g_ptr_array_index (inputs, i);
      char *identity = file_identity (input);

      if (identity != NULL)
        g_hash_table_insert (input_ids, identity, g_strdup (input));
      g_hash_table_insert (input_ids, canonical_path (input), g_strdup (input));
    }

  for (guint i = 0; i < inputs->len; i++)
    {
      g_autoptr(Job) job = g_new0 (Job, 1);
      g_autofree char *base = g_path_get_basename (g_ptr_array_index (inputs, i));
      char *dot = strrchr (base, '.');
      char **paths[4];

      if (dot != NULL && dot != base)
        *dot = '\0';
      job->input = g_strdup (g_ptr_array_index (inputs, i));
      job->mask = g_strdup_printf ("%s%c%s.png", output_dir, G_DIR_SEPARATOR, base);
      job->overlay = g_strdup_printf ("%s%c%s-overlay.png", output_dir, G_DIR_SEPARATOR, base);
      job->legend = g_strdup_printf ("%s%c%s-legend.png", output_dir, G_DIR_SEPARATOR, base);
      if (json)
        job->json = g_strdup_printf ("%s%c%s.json", output_dir, G_DIR_SEPARATOR, base);

      paths[0] = &job->mask;
      paths[1] = &job->overlay;
      paths[2] = &job->legend;
      paths[3] = &job->json;
      for (guint p = 0; p < G_N_ELEMENTS (paths); p++)
        {
          const char *path = *paths[p];
          g_autofree char *identity = NULL;
          g_autofree char *canonical = NULL;
          const char *clash;

          if (path == NULL)
            continue;
          identity = file_identity (path);
          canonical = canonical_path (path);
          clash = identity ? g_hash_table_lookup (input_ids, identity) : NULL;
          if (clash == NULL)
            clash = g_hash_table_lookup (input_ids, canonical);
          if (clash != NULL)
            {
              g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                           "refusing to overwrite the input image %s with %s; choose another "
                           "--output folder", clash, path);
              return NULL;
            }
          clash = g_hash_table_lookup (outputs, canonical);
          if (clash != NULL)
            {
              g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                           "%s and %s would both write %s; rename one of them", clash,
                           job->input, path);
              return NULL;
            }
          g_hash_table_insert (outputs, g_steal_pointer (&canonical), job->input);
        }
      g_ptr_array_add (jobs, g_steal_pointer (&job));
    }
  return g_steal_pointer (&jobs);
}

static gboolean
write_json (const Job          *job,
            int                 width,
            int                 height,
            const char         *model_path,
            const DrawLegendEntry *entries,
            guint               n_entries,
            const guint64      *counts,
            GError            **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  gsize length;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "image");
  json_builder_add_string_value (builder, job->input);
  json_builder_set_member_name (builder, "width");
  json_builder_add_int_value (builder, width);
  json_builder_set_member_name (builder, "height");
  json_builder_add_int_value (builder, height);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, model_path);
  json_builder_set_member_name (builder, "mask");
  json_builder_add_string_value (builder, job->mask);
  json_builder_set_member_name (builder, "overlay");
  json_builder_add_string_value (builder, job->overlay);
  json_builder_set_member_name (builder, "legend");
  json_builder_add_string_value (builder, job->legend);
  json_builder_set_member_name (builder, "classes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_entries; i++)
    {
      g_autofree char *colour = g_strdup_printf ("#%02x%02x%02x", entries[i].rgb[0],
                                                 entries[i].rgb[1], entries[i].rgb[2]);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "index");
      json_builder_add_int_value (builder, entries[i].index);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, entries[i].name);
      json_builder_set_member_name (builder, "color");
      json_builder_add_string_value (builder, colour);
      json_builder_set_member_name (builder, "pixels");
      json_builder_add_int_value (builder, (gint64) counts[entries[i].index]);
      json_builder_set_member_name (builder, "share");
      json_builder_add_double_value (builder, entries[i].share);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json = json_generator_to_data (generator, &length);
  return unet_file_write_atomic (job->json, json, length, error);
}

/* Where predict_one() failed, which decides the exit code. */
typedef enum
{
  STAGE_INPUT,   /* the image is missing or unreadable */
  STAGE_PREDICT, /* the network could not run (memory, tile size) */
  STAGE_OUTPUT,  /* a result could not be written */
} Stage;

/* Segments one image and writes its files; on failure *stage says where. */
static gboolean
predict_one (UnetModel                *model,
             const char               *model_path,
             const Job                *job,
             const UnetPredictOptions *predict,
             double                    opacity,
             const guint8              palette[768],
             Stage                    *stage,
             GError                  **error)
{
  const UnetConfig *config = unet_model_get_config (model);
  int K = config->classes;
  g_autoptr(GBytes) image = NULL;
  g_autofree guint8 *classes = NULL;
  g_autofree guint64 *counts = g_new0 (guint64, K);
  g_autoptr(GArray) entries = NULL;
  g_autoptr(GBytes) legend = NULL;
  const guint8 *rgb8;
  int width, height;
  size_t plane;

  /* Bytes, not floats, and only the classes: a large image costs its 3 bytes a pixel, its 1
   * byte of classes and one band of the prediction (unet_model_predict_image). */
  *stage = STAGE_INPUT;
  image = voc_image_load_rgb8 (job->input, &width, &height, error);
  if (image == NULL)
    return FALSE;
  rgb8 = g_bytes_get_data (image, NULL);

  *stage = STAGE_PREDICT;
  plane = (size_t) width * height;
  classes = g_try_malloc (plane);
  if (classes == NULL)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                   "%s: not enough memory for the classes of a %d×%d image", job->input, width,
                   height);
      return FALSE;
    }
  if (!unet_model_predict_image (model, &(UnetImage) { height, width, NULL, rgb8 }, predict,
                                 &(UnetPrediction) { .classes = classes }, error))
    {
      g_prefix_error (error, "%s: ", job->input);
      return FALSE;
    }
  for (size_t i = 0; i < plane; i++)
    counts[classes[i]]++;

  entries = draw_legend_entries_new (counts, K, unet_model_get_class_names (model),
                                     unet_model_get_palette (model));
  *stage = STAGE_OUTPUT;
  legend = draw_legend_render_png ((DrawLegendEntry *) (void *) entries->data, entries->len,
                                   NULL, error);
  if (legend == NULL)
    return FALSE;

  if (!voc_mask_save_png_with_palette (job->mask, classes, width, height, palette, error) ||
      !voc_overlay_save_png_rgb8 (job->overlay, rgb8, classes, width, height, palette, opacity,
                                  error) ||
      !unet_file_write_atomic (job->legend, g_bytes_get_data (legend, NULL),
                               g_bytes_get_size (legend), error))
    return FALSE;
  if (job->json != NULL &&
      !write_json (job, width, height, model_path, (DrawLegendEntry *) (void *) entries->data,
                   entries->len, counts, error))
    return FALSE;
  return TRUE;
}

static int
run_predict (const PredictOptions *options)
{
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(GPtrArray) inputs = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(UnetCliProgress) progress = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *model_path = NULL;
  UnetPredictOptions predict = { 0 };
  guint8 palette[768];
  guint n_done = 0, n_bad = 0;
  int status;

  model = unet_cli_load_model ("predict", options->model, &status);
  if (model == NULL)
    return status;
  model_path = options->model ? g_strdup (options->model) : unet_cli_default_model_path ();

  inputs = collect_inputs (options->inputs, &error);
  if (inputs == NULL)
    {
      unet_cli_error ("predict", "%s", error->message);
      return UNET_EXIT_INPUT;
    }

  if (g_mkdir_with_parents (options->output, 0755) != 0)
    {
      int saved_errno = errno;

      unet_cli_error ("predict", "%s: cannot create the output folder: %s", options->output,
                      g_strerror (saved_errno));
      return UNET_EXIT_OUTPUT;
    }
  jobs = plan_jobs (inputs, options->output, options->json, &error);
  if (jobs == NULL)
    {
      unet_cli_error ("predict", "%s", error->message);
      return UNET_EXIT_USAGE;
    }

  unet_set_threads (options->threads);
  unet_cli_model_palette (model, palette);
  predict.tile = options->tile;
  predict.flip = options->flip;
  predict.max_classes = options->max_classes;
  progress = unet_cli_progress_new ("predict", jobs->len, options->quiet);

  for (guint i = 0; i < jobs->len; i++)
    {
      const Job *job = g_ptr_array_index (jobs, i);
      Stage stage;

      unet_cli_progress_update (progress, i, job->input);
      if (predict_one (model, model_path, job, &predict, options->opacity, palette,
                       &stage, &error))
        {
          n_done++;
          continue;
        }
      if (stage == STAGE_INPUT && options->skip_bad)
        {
          unet_cli_progress_warn (progress, "skipping %s", error->message);
          g_clear_error (&error);
          n_bad++;
          continue;
        }
      g_clear_pointer (&progress, unet_cli_progress_free);
      if (stage == STAGE_INPUT)
        {
          unet_cli_error ("predict", "%s%s", error->message,
                          jobs->len > 1 ? " (--skip-bad skips such images)" : "");
          return UNET_EXIT_INPUT;
        }
      unet_cli_error ("predict", "%s", error->message);
      if (g_error_matches (error, UNET_ERROR, UNET_ERROR_NO_MEMORY))
        return UNET_EXIT_FAILURE;
      if (stage == STAGE_OUTPUT)
        return UNET_EXIT_OUTPUT;
      return unet_cli_exit_code_for_error (error);
    }
  g_clear_pointer (&progress, unet_cli_progress_free);

  if (!options->quiet && n_bad > 0)
    g_printerr ("unet predict: %u image%s segmented into %s, %u skipped\n", n_done,
                n_done == 1 ? "" : "s", options->output, n_bad);
  else if (!options->quiet)
    g_printerr ("unet predict: %u image%s segmented into %s\n", n_done, n_done == 1 ? "" : "s",
                options->output);
  if (n_done == 0)
    {
      unet_cli_error ("predict", "no image could be read");
      return UNET_EXIT_INPUT;
    }
  return UNET_EXIT_OK;
}

int
unet_cli_predict (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  PredictOptions options = { .max_classes = UNET_CLI_MAX_CLASSES_UNSET };
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &options.model,
      "Model or checkpoint file (default: the built-in model)", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &options.output,
      "Folder for the results; created when absent", "DIR" },
    { "opacity", 0, 0, G_OPTION_ARG_DOUBLE, &options.opacity,
      "Opacity of the overlay's colours, 0 to 1 (default 0.5)", "X" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options.json,
      "Also write NAME.json with the share of each class", NULL },
    { "tile", 0, 0, G_OPTION_ARG_INT, &options.tile,
      "Inference tile side in pixels (default 388 valid, 512 same)", "N" },
    { "flip", 0, 0, G_OPTION_ARG_NONE, &options.flip,
      "Average with the mirrored image's prediction (TTA)", NULL },
    { "max-classes", 0, 0, G_OPTION_ARG_INT, &options.max_classes, UNET_CLI_MAX_CLASSES_HELP,
      "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &options.threads, "Threads to use (default: all cores)",
      "N" },
    { "skip-bad", 0, 0, G_OPTION_ARG_NONE, &options.skip_bad,
      "Warn about each missing or unreadable image and go on", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &options.quiet, "Show no progress", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options.inputs, NULL,
      "IMAGE…|FOLDER" },
    { NULL }
  };
  int status;

  options.opacity = 0.5;

  context = g_option_context_new ("- segment images");
  g_option_context_set_summary (context,
    "Segments images of any size (JPEG, PNG and the other formats GdkPixbuf reads; a\n"
    "folder stands for the image files directly inside it) and writes, for each\n"
    "image NAME.EXT, into the output folder:\n"
    "\n"
    "  NAME.png          the class mask: a palette PNG whose pixel values are the class\n"
    "                    indices, coloured with the model's class colours (VOC's colormap\n"
    "                    for a VOC model, as in SegmentationClass/);\n"
    "                    viewers show colours, programs read the class indices\n"
    "  NAME-overlay.png  the image with the class colours blended over it\n"
    "  NAME-legend.png   colour, name and share of the pixels of each class present\n"
    "  NAME.json         with --json: each class present, its pixel count and share\n"
    "\n"
    "Every file is written atomically (a temporary file renamed into place). An\n"
    "output that would replace one of the input images, through any path, symlink or\n"
    "hard link, is refused before anything is written.");
  g_option_context_set_description (context,
    "Without --model the model named by $UNET_DEFAULT_MODEL is used, else the\n"
    "model built into unet (see docs/model-card.md). --tile is the side of the output\n"
    "tile for valid padding (default 388) or of the input tile for same padding\n"
    "(default 512), rounded up to one the model accepts; it sets the memory used,\n"
    "not the result. Images go through the network in bands: a large one needs\n"
    "about 0.6 GB, 4 bytes a pixel and one band of at most about 0.35 GB with the\n"
    "built-in model (0.9 GB at 48 megapixels); images over 100 megapixels are\n"
    "refused. Progress goes to stderr: a line per image, or one line updated in\n"
    "place on a terminal.\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 bad command line, 3 missing or unreadable\n"
    "model or image, 4 an output could not be written.\n"
    "\n"
    "Examples:\n"
    "  unet predict --model unet-voc.safetensors -o out photo.jpg\n"
    "  unet predict --model unet-voc.safetensors -o out --flip --json ~/Pictures/holiday\n");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      unet_cli_error ("predict", "%s", error->message);
      status = UNET_EXIT_USAGE;
      goto out;
    }
  if (options.output == NULL)
    {
      unet_cli_error ("predict", "no output folder; pass -o DIR");
      status = UNET_EXIT_USAGE;
      goto out;
    }
  if (options.inputs == NULL || options.inputs[0] == NULL)
    {
      unet_cli_error ("predict", "no images; pass image files or a folder");
      status = UNET_EXIT_USAGE;
      goto out;
    }
  if (options.opacity < 0.0 || options.opacity > 1.0)
    {
      unet_cli_error ("predict", "--opacity must be between 0 and 1");
      status = UNET_EXIT_USAGE;
      goto out;
    }
  if (options.tile < 0 || options.threads < 0)
    {
      unet_cli_error ("predict", "--tile and --threads must be at least 0");
      status = UNET_EXIT_USAGE;
      goto out;
    }
  if (!unet_cli_parse_max_classes ("predict", options.max_classes, &options.max_classes))
    {
      status = UNET_EXIT_USAGE;
      goto out;
    }

  status = run_predict (&options);

out:
  g_free (options.model);
  g_free (options.output);
  g_strfreev (options.inputs);
  return status;
}
