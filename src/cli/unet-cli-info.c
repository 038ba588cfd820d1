/* unet-cli-info.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "unet/unet.h"
#include "voc/voc.h"
#include "unet-cli.h"
#include "unet-cli-common.h"
#include "unet/unet-model-train.h"

/* What one sample contributes to the statistics; computed once even when the sample is in
 * several splits (trainval = train + val). */
typedef struct
{
  gboolean  has_mask;
  VocMaskReading reading; /* when has_mask */
  gboolean  has_xml;
  guint64  *pixels;  /* n_classes + 1: the classes, then void */
  gboolean *in_xml;  /* n_classes: an <object> of that class is in the XML */
} SampleStats;

static void
sample_stats_free (SampleStats *stats)
{
  g_free (stats->pixels);
  g_free (stats->in_xml);
  g_free (stats);
}

typedef struct
{
  VocDataset  *dataset;
  int          n_classes;
  GHashTable  *cache;       /* id -> SampleStats */
  GPtrArray   *problems;    /* unique messages in the order found */
  GHashTable  *problem_splits; /* message -> GString of split names */
  GHashTable  *problem_ids; /* ids with at least one problem */
} InfoState;

static void
string_free (gpointer string)
{
  g_string_free (string, TRUE);
}

static int
class_index (VocDataset *dataset,
             const char *name)
{
  const char *const *names = voc_dataset_get_class_names (dataset);

  for (int k = 0; names[k] != NULL; k++)
    if (g_ascii_strcasecmp (names[k], name) == 0)
      return k;
  return -1;
}

static SampleStats *
get_sample_stats (InfoState  *state,
                  const char *id)
{
  SampleStats *stats = g_hash_table_lookup (state->cache, id);
  g_autoptr(VocSample) mask = NULL;
  g_autoptr(VocSample) xml = NULL;

  if (stats != NULL)
    return stats;

  stats = g_new0 (SampleStats, 1);
  stats->pixels = g_new0 (guint64, state->n_classes + 1);
  stats->in_xml = g_new0 (gboolean, state->n_classes);

  /* Broken files are skipped here: the integrity check reports them with their reason. */
  mask = voc_dataset_load_sample (state->dataset, id, VOC_LOAD_LABELS, NULL);
  if (mask != NULL)
    {
      size_t n = (size_t) mask->width * mask->height;

      stats->has_mask = TRUE;
      stats->reading = mask->reading;
      for (size_t i = 0; i < n; i++)
        {
          int v = mask->labels[i];

          stats->pixels[v < state->n_classes ? v : state->n_classes]++;
        }
    }

  if (voc_dataset_get_layout (state->dataset) == VOC_LAYOUT_VOCDEVKIT)
    xml = voc_dataset_load_sample (state->dataset, id, VOC_LOAD_ANNOTATION, NULL);
  if (xml != NULL && xml->annotation != NULL)
    {
      stats->has_xml = TRUE;
      for (guint i = 0; i < xml->annotation->n_objects; i++)
        {
          int k = class_index (state->dataset, xml->annotation->objects[i].name);

          if (k >= 0)
            stats->in_xml[k] = TRUE;
        }
    }

  g_hash_table_insert (state->cache, g_strdup (id), stats);
  return stats;
}

static void
print_padded (const char *text,
              int         width)
{
  glong chars = g_utf8_strlen (text, -1);

  printf ("%s", text);
  for (glong i = chars; i < width; i++)
    putchar (' ');
}

static void
add_problems (InfoState  *state,
              const char *split,
              GPtrArray  *problems)
{
  for (guint i = 0; i < problems->len; i++)
    {
      VocProblem *problem = g_ptr_array_index (problems, i);
      GString *splits = g_hash_table_lookup (state->problem_splits, problem->message);

      if (splits == NULL)
        {
          char *message = g_strdup (problem->message);

          splits = g_string_new (split);
          g_ptr_array_add (state->problems, message);
          g_hash_table_insert (state->problem_splits, message, splits);
        }
      else
        g_string_append_printf (splits, ", %s", split);
      if (problem->id != NULL)
        g_hash_table_add (state->problem_ids, g_strdup (problem->id));
    }
}

/* Counts, class statistics and problems of one split. */
static gboolean
report_split (InfoState   *state,
              const char  *split,
              GError     **error)
{
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GPtrArray) missing = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) local_error = NULL;
  g_autofree guint64 *pixels = g_new0 (guint64, state->n_classes + 1);
  g_autofree guint *images_mask = g_new0 (guint, state->n_classes);
  g_autofree guint *images_xml = g_new0 (guint, state->n_classes);
  const char *const *names = voc_dataset_get_class_names (state->dataset);
  gboolean is_voc = voc_dataset_get_layout (state->dataset) == VOC_LAYOUT_VOCDEVKIT;
  guint n_usable = 0, n_masks = 0, n_xml = 0, n_missing;
  guint64 total = 0;
  int name_width = 5;

  problems = voc_dataset_check (state->dataset, split, error);
  if (problems == NULL)
    return FALSE;
  add_problems (state, split, problems);

  ids = voc_dataset_get_split (state->dataset, split, TRUE, &missing, &local_error);
  if (ids == NULL && !g_error_matches (local_error, VOC_ERROR, VOC_ERROR_EMPTY_SPLIT))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (ids == NULL)
    {
      /* No id has its files: every listed id has a problem, so count those. */
      g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; i < problems->len; i++)
        {
          VocProblem *problem = g_ptr_array_index (problems, i);

          if (problem->id != NULL)
            g_hash_table_add (listed, problem->id);
        }
      n_missing = g_hash_table_size (listed);
    }
  else
    {
      n_missing = missing ? missing->len : 0;
      for (guint i = 0; i < ids->len; i++)
        {
          const char *id = g_ptr_array_index (ids, i);
          SampleStats *stats;

          if (!g_hash_table_add (seen, (gpointer) id))
            continue;
          n_usable++;
          stats = get_sample_stats (state, id);
          n_masks += stats->has_mask;
          n_xml += stats->has_xml;
          for (int k = 0; k <= state->n_classes; k++)
            {
              pixels[k] += stats->pixels[k];
              total += stats->pixels[k];
            }
          for (int k = 0; k < state->n_classes; k++)
            {
              images_mask[k] += stats->pixels[k] > 0;
              images_xml[k] += stats->in_xml[k];
            }
        }
    }

  printf ("\nSplit “%s”: %u ids, %u with image and mask, %u missing files\n", split,
          n_usable + n_missing, n_usable, n_missing);
  if (n_usable == 0)
    return TRUE;
  if (n_masks < n_usable)
    printf ("  (%u class masks could not be read; see the problems below)\n", n_usable - n_masks);

  for (int k = 0; k < state->n_classes; k++)
    name_width = MAX (name_width, (int) g_utf8_strlen (names[k], -1));
  printf ("  ");
  print_padded ("class", name_width);
  if (is_voc)
    printf ("  images (XML)  images (masks)  pixels\n");
  else
    printf ("  images (masks)  pixels\n");

  for (int k = 0; k <= state->n_classes; k++)
    {
      double share = total > 0 ? 100.0 * pixels[k] / total : 0.0;

      if (k == state->n_classes && pixels[k] == 0)
        break;
      printf ("  ");
      print_padded (k < state->n_classes ? names[k] : "void (255)", name_width);
      if (k == state->n_classes)
        printf (is_voc ? "  %12s  %14s" : "  %14s", "", "");
      else if (is_voc && k == 0 && g_strcmp0 (names[k], "background") == 0)
        printf ("  %14s  %14u", "—", images_mask[k]); /* never an XML <object> */
      else if (is_voc)
        printf ("  %12u  %14u", images_xml[k], images_mask[k]);
      else
        printf ("  %14u", images_mask[k]);
      printf ("  %6.2f %%\n", share);
    }
  if (is_voc && n_xml < n_usable)
    printf ("  (%u annotation files could not be read; see the problems below)\n",
            n_usable - n_xml);
  return TRUE;
}

/* How the masks were read, over every sample of every split reported, and what looks wrong:
 * a class without a single pixel, void over most of the data. */
static void
report_masks (InfoState *state)
{
  VocClasses *classes = voc_dataset_get_classes (state->dataset);
  g_autoptr(VocMaskSurvey) survey = voc_mask_survey_new (state->n_classes);
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) warnings = NULL;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, state->cache);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      SampleStats *stats = value;

      if (stats->has_mask)
        voc_mask_survey_add (survey, stats->pixels, stats->reading);
    }
  if (survey->n_masks == 0)
    return;

  printf ("\nMasks: %u read\n", survey->n_masks);
  lines = voc_mask_survey_describe (survey, classes);
  for (guint i = 0; lines[i] != NULL; i++)
    printf ("  %s\n", lines[i]);
  warnings = voc_mask_survey_warnings (survey, classes);
  if (warnings[0] != NULL)
    {
      printf ("\nWarnings: %u\n", g_strv_length (warnings));
      for (guint i = 0; warnings[i] != NULL; i++)
        printf ("  %s\n", warnings[i]);
    }
}

static int
report_dataset (const char *root,
                const char *only_split)
{
  g_autoptr(VocDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) splits = NULL;
  InfoState state = { 0 };
  int status = UNET_EXIT_OK;
  const char *const *names;

  dataset = voc_dataset_open (root, &error);
  if (dataset == NULL)
    {
      unet_cli_error ("info", "%s", error->message);
      return unet_cli_exit_code_for_error (error);
    }

  if (only_split != NULL)
    {
      splits = g_new0 (char *, 2);
      splits[0] = g_strdup (only_split);
    }
  else
    splits = voc_dataset_list_splits (dataset);

  state.dataset = dataset;
  state.n_classes = voc_dataset_get_n_classes (dataset);
  state.cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) sample_stats_free);
  state.problems = g_ptr_array_new ();
  state.problem_splits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                string_free);
  state.problem_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  names = voc_dataset_get_class_names (dataset);
  printf ("Dataset %s\n", voc_dataset_get_root (dataset));
  printf ("  layout   %s\n", voc_dataset_get_layout (dataset) == VOC_LAYOUT_VOCDEVKIT
                             ? "VOCdevkit" : "plain (images/, masks/, classes.txt)");
  printf ("  classes  %d:", state.n_classes);
  for (int k = 0; k < state.n_classes; k++)
    printf ("%s %s", k ? "," : "", names[k]);
  printf ("\n  splits  ");
  for (char **s = splits; *s; s++)
    printf (" %s", *s);
  printf ("\n");

  for (char **s = splits; *s; s++)
    if (!report_split (&state, *s, &error))
      {
        fflush (stdout);
        unet_cli_error ("info", "%s", error->message);
        status = unet_cli_exit_code_for_error (error);
        break;
      }

  if (status == UNET_EXIT_OK)
    report_masks (&state);
  if (status == UNET_EXIT_OK)
    {
      if (state.problems->len == 0)
        printf ("\nNo problems found.\n");
      else
        {
          printf ("\nProblems: %u, in %u ids\n", state.problems->len,
                  g_hash_table_size (state.problem_ids));
          for (guint i = 0; i < state.problems->len; i++)
            {
              const char *message = g_ptr_array_index (state.problems, i);
              GString *in = g_hash_table_lookup (state.problem_splits, message);

              printf ("  %s [%s]\n", message, in->str);
            }
        }
    }

  g_hash_table_unref (state.cache);
  g_hash_table_unref (state.problem_splits);
  g_ptr_array_unref (state.problems);
  g_hash_table_unref (state.problem_ids);
  return status;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static int
report_model (const char *path)
{
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  const UnetConfig *config;
  const char *const *names;
  const guint8 *palette;
  GHashTable *info;
  GHashTableIter iter;
  gpointer key;
  float mean[3], std[3];
  int status;
  int name_width = 0;

  model = unet_cli_load_model ("info", path, &status);
  if (model == NULL)
    return status;

  config = unet_model_get_config (model);
  unet_model_get_normalization (model, mean, std);
  printf ("Model %s\n", path);
  printf ("  depth        %d (%d convolution layers)\n", config->depth,
          unet_config_n_conv_layers (config));
  printf ("  base         %d channels\n", config->base);
  printf ("  padding      %s\n", unet_padding_to_string (config->padding));
  printf ("  norm         %s\n", unet_norm_to_string (config->norm));
  printf ("  dropout      %g\n", config->dropout);
  printf ("  input        %d channels, mean %g %g %g, std %g %g %g\n", config->in_channels,
          mean[0], mean[1], mean[2], std[0], std[1], std[2]);
  if (unet_model_get_input_scale (model) != 1.0)
    printf ("  input scale  %g (images are resized by this before the network sees them)\n",
            unet_model_get_input_scale (model));
  else
    printf ("  input scale  1 (images as they are)\n");
  if (unet_model_get_max_classes (model) > 0)
    printf ("  per image    at most %d foreground classes (the ones covering most of it)\n",
            unet_model_get_max_classes (model));
  printf ("  parameters   %" G_GSIZE_FORMAT " trainable\n", unet_model_count_trainable (model));
  if (config->padding == UNET_PADDING_VALID)
    {
      int in = 0;

      if (unet_config_input_size_for_output (config, 388, &in, NULL))
        printf ("  tiles        %d×%d input → 388×388 output (overlap-tile inference)\n", in, in);
    }
  else
    printf ("  tiles        any multiple of %d pixels\n", 1 << config->depth);

  names = unet_model_get_class_names (model);
  palette = unet_model_get_palette (model);
  printf ("  classes      %d\n", config->classes);
  for (int k = 0; k < config->classes; k++)
    name_width = MAX (name_width, (int) g_utf8_strlen (names[k], -1));
  for (int k = 0; k < config->classes; k++)
    {
      printf ("    %3d  ", k);
      print_padded (names[k], name_width);
      printf ("  #%02x%02x%02x\n", palette[3 * k], palette[3 * k + 1], palette[3 * k + 2]);
    }

  info = unet_model_get_info_table (model);
  if (info != NULL && g_hash_table_size (info) > 0)
    {
      int key_width = 0;

      g_hash_table_iter_init (&iter, info);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          g_ptr_array_add (keys, key);
          key_width = MAX (key_width, (int) g_utf8_strlen (key, -1));
        }
      g_ptr_array_sort (keys, compare_strings);
      printf ("  info\n");
      for (guint i = 0; i < keys->len; i++)
        {
          const char *k = g_ptr_array_index (keys, i);

          printf ("    ");
          print_padded (k, key_width);
          printf ("  %s\n", (const char *) g_hash_table_lookup (info, k));
        }
    }
  return UNET_EXIT_OK;
}

int
unet_cli_info (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  g_autofree char *dataset = NULL;
  g_autofree char *split = NULL;
  GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_FILENAME, &dataset,
      "Dataset to describe and check: VOCdevkit, VOC2007 or plain folder", "DIR" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split,
      "Only this split (default: every split of the dataset)", "SPLIT" },
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model,
      "Model or checkpoint file to describe", "FILE" },
    { NULL }
  };
  int status = UNET_EXIT_OK;

  context = g_option_context_new ("- describe and check a dataset or a model file");
  g_option_context_set_summary (context,
    "With --dataset: the number of ids in each split and how many have their image\n"
    "and class mask; per class, the number of images that contain it according to\n"
    "the annotation XML and according to the class masks, and its share of the mask\n"
    "pixels; then an integrity check that lists every problem found (missing files,\n"
    "unreadable or truncated images and masks, sizes that differ between image,\n"
    "masks and XML, mask values that are neither a class nor 255, duplicate ids),\n"
    "each once, with the splits it occurs in.\n"
    "\n"
    "With --model: the network's configuration (depth, base width, padding,\n"
    "normalisation, dropout), its parameter count, the input normalisation, the\n"
    "classes with their colours, and the information strings stored in the file\n"
    "(training data, epochs, validation mIoU, …).");
  g_option_context_set_description (context,
    "Problems in the data do not change the exit status: 0 when the report could be\n"
    "made, 2 for a bad command line, 3 when the dataset or the model cannot be read.\n"
    "\n"
    "Examples:\n"
    "  unet info --dataset ~/data/VOCdevkit\n"
    "  unet info --dataset ~/data/VOCdevkit --split val\n"
    "  unet info --model unet-voc.safetensors\n");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      unet_cli_error ("info", "%s", error->message);
      return UNET_EXIT_USAGE;
    }
  if (argc > 1)
    {
      unet_cli_error ("info", "unexpected argument “%s”", argv[1]);
      return UNET_EXIT_USAGE;
    }
  if (model == NULL && dataset == NULL)
    {
      unet_cli_error ("info", "nothing to describe; pass --dataset DIR or --model FILE");
      return UNET_EXIT_USAGE;
    }
  if (split != NULL && dataset == NULL)
    {
      unet_cli_error ("info", "--split needs --dataset");
      return UNET_EXIT_USAGE;
    }

  if (model != NULL)
    status = report_model (model);
  if (status == UNET_EXIT_OK && dataset != NULL)
    {
      if (model != NULL)
        printf ("\n");
      status = report_dataset (dataset, split);
    }
  return status;
}
