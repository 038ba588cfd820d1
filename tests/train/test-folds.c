/* test-folds.c — K-fold cross-validation: the dealing, the folds' runs, stop and resume
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "train/unet-folds.h"
#include "train/unet-run.h"
#include "voc-test-datasets.h"
#include "voc-test-util.h"

/* Twelve images: class 1 in three of them, class 2 in six, class 3 in all but two, which hold
 * background alone. */
static void
twelve_images (guint8 present[12 * 4])
{
  memset (present, 0, 12 * 4);
  for (int i = 0; i < 12; i++)
    {
      present[i * 4] = 1;
      present[i * 4 + 1] = i == 0 || i == 5 || i == 9;
      present[i * 4 + 2] = i % 2 == 0;
      present[i * 4 + 3] = i < 10;
    }
}

static void
test_assign (void)
{
  guint8 present[12 * 4];
  g_autofree guint *folds = NULL;
  g_autofree guint *again = NULL;
  g_autofree guint *other = NULL;
  guint size[3] = { 0 }, with_1[3] = { 0 }, with_2[3] = { 0 };

  twelve_images (present);
  folds = unet_folds_assign (present, 12, 4, 3, 7);
  for (int i = 0; i < 12; i++)
    {
      g_assert_cmpuint (folds[i], <, 3);
      size[folds[i]]++;
      with_1[folds[i]] += present[i * 4 + 1];
      with_2[folds[i]] += present[i * 4 + 2];
    }
  for (int f = 0; f < 3; f++)
    {
      g_assert_cmpuint (size[f], ==, 4);
      /* a class in k images or more is in every fold */
      g_assert_cmpuint (with_1[f], ==, 1);
      g_assert_cmpuint (with_2[f], ==, 2);
    }

  /* the seed decides, and only the seed */
  again = unet_folds_assign (present, 12, 4, 3, 7);
  g_assert_cmpmem (folds, 12 * sizeof (guint), again, 12 * sizeof (guint));
  other = unet_folds_assign (present, 12, 4, 3, 8);
  g_assert_true (memcmp (folds, other, 12 * sizeof (guint)) != 0);

  /* folds that do not divide: sizes differ by one at most */
  {
    g_autofree guint *uneven = unet_folds_assign (present, 11, 4, 3, 1);
    guint sizes[3] = { 0 };

    for (int i = 0; i < 11; i++)
      sizes[uneven[i]]++;
    g_assert_cmpuint (sizes[0], ==, 4);
    g_assert_cmpuint (sizes[1], ==, 4);
    g_assert_cmpuint (sizes[2], ==, 3);
  }
}

static void
tiny_recipe (UnetTrainOptions *o,
             const char       *dataset,
             const char       *output)
{
  unet_train_options_init_default (o);
  o->dataset = g_strdup (dataset);
  o->output_dir = g_strdup (output);
  g_free (o->train_split);
  o->train_split = g_strdup ("all");
  o->model.depth = 1;
  o->model.base = 4;
  o->model.padding = UNET_PADDING_SAME;
  o->tile = 32;
  o->batch = 2;
  o->steps = 3;
  o->threads = 1;
  o->seed = 5;
}

static void
run_fold (UnetFolds *folds,
          int        fold)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetTrainer) trainer = unet_folds_start (folds, fold, &error);

  g_assert_no_error (error);
  g_assert_true (unet_trainer_run (trainer, &error));
  g_assert_no_error (error);
  g_assert_true (unet_folds_finish (folds, fold, &error));
  g_assert_no_error (error);
}

/* Each fold trains on the others and is validated once, at its end, on its own images; the
 * results are written as they come. */
static void
test_run (void)
{
  g_autofree char *dataset = voc_test_make_non_ascii_dataset ();
  g_autofree char *output = g_build_filename (dataset, "cv", NULL);
  g_autofree char *results = g_build_filename (output, UNET_FOLDS_RESULTS_JSON, NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(UnetFolds) folds = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) held_out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonObject *root;
  double mean, sd;
  int n_done;

  tiny_recipe (&o, dataset, output);
  folds = unet_folds_new (&o, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (unet_folds_get_next (folds), ==, 0);
  for (int f = 0; f < 3; f++)
    {
      g_autofree char *name = g_strdup_printf ("fold-%d", f + 1);
      g_autofree char *dir = g_build_filename (output, name, NULL);
      g_auto(UnetTrainOptions) stored = { 0 };
      g_autoptr(UnetRunLog) log = NULL;
      UnetRunState state;

      run_fold (folds, f);
      g_assert_cmpint (unet_folds_get_result (folds, f)->n_val, ==, 2);
      g_assert_cmpint (unet_folds_get_result (folds, f)->n_train, ==, 4);
      log = unet_run_log_read (dir, UNET_RUN_LOG_STRICT, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (log->n_val, ==, 1);
      unet_train_options_init_default (&stored);
      g_assert_true (unet_run_read_checkpoint (dir, &stored, &state, NULL, &error));
      g_assert_no_error (error);
      for (guint i = 0; stored.val_ids[i] != NULL; i++)
        {
          g_assert_false (g_strv_contains ((const char * const *) stored.train_ids,
                                           stored.val_ids[i]));
          g_assert_true (g_hash_table_add (held_out, g_strdup (stored.val_ids[i])));
        }
    }
  /* every image held out once */
  g_assert_cmpuint (g_hash_table_size (held_out), ==, 6);
  g_assert_cmpint (unet_folds_get_next (folds), ==, 3);
  unet_folds_get_summary (folds, &mean, &sd, &n_done);
  g_assert_cmpint (n_done, ==, 3);
  g_assert_true (mean >= 0.0 && mean <= 1.0);
  g_assert_true (isfinite (sd));

  g_assert_true (json_parser_load_from_file (parser, results, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (root, "done"), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "results")), ==,
                    3);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (root, "mean_miou"), mean, 1e-5);

  /* the report unet plot draws */
  {
    g_autoptr(UnetFoldsReport) report = unet_folds_report_read (output, &error);

    g_assert_no_error (error);
    g_assert_cmpint (report->n_folds, ==, 3);
    g_assert_cmpuint (report->scores->len, ==, 3);
    g_assert_cmpfloat_with_epsilon (report->mean_miou, mean, 1e-5);
    g_assert_cmpint (g_array_index (report->scores, UnetFoldScore, 2).fold, ==, 3);
    g_assert_cmpuint (g_array_index (report->scores, UnetFoldScore, 2).n_val, ==, 2);
    g_assert_nonnull (report->class_names);
    g_assert_true (g_strv_contains ((const char * const *) report->class_names, "background"));
  }

  /* the folder holds a cross-validation: a second one is refused */
  g_clear_pointer (&folds, unet_folds_free);
  folds = unet_folds_new (&o, 3, &error);
  g_assert_null (folds);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  voc_test_rm_rf (dataset);
}

/* Stopped in the middle of a fold, a cross-validation continues where it stopped, and gives what
 * an uninterrupted one gives. */
static void
test_resume (void)
{
  g_autofree char *dataset = voc_test_make_non_ascii_dataset ();
  g_autofree char *stopped = g_build_filename (dataset, "stopped", NULL);
  g_autofree char *whole = g_build_filename (dataset, "whole", NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(UnetFolds) folds = NULL;
  g_autoptr(UnetFolds) reference = NULL;
  g_autoptr(GError) error = NULL;

  tiny_recipe (&o, dataset, stopped);
  folds = unet_folds_new (&o, 2, &error);
  g_assert_no_error (error);
  run_fold (folds, 0);
  {
    g_autoptr(UnetTrainer) trainer = unet_folds_start (folds, 1, &error);

    g_assert_no_error (error);
    g_assert_true (unet_trainer_step (trainer, &error));
    g_assert_true (unet_trainer_save_checkpoint (trainer, &error));
    g_assert_no_error (error);
  }
  g_clear_pointer (&folds, unet_folds_free);

  folds = unet_folds_resume (stopped, &error);
  g_assert_no_error (error);
  g_assert_cmpint (unet_folds_get_n_folds (folds), ==, 2);
  g_assert_true (unet_folds_get_result (folds, 0)->done);
  g_assert_cmpint (unet_folds_get_next (folds), ==, 1);
  {
    g_autoptr(UnetTrainer) trainer = unet_folds_start (folds, 1, &error);

    g_assert_no_error (error);
    g_assert_cmpint (unet_trainer_get_step (trainer), ==, 1);
  }
  run_fold (folds, 1);

  g_free (o.output_dir);
  o.output_dir = g_strdup (whole);
  reference = unet_folds_new (&o, 2, &error);
  g_assert_no_error (error);
  run_fold (reference, 0);
  run_fold (reference, 1);
  for (int f = 0; f < 2; f++)
    {
      g_assert_cmpfloat (unet_folds_get_result (folds, f)->miou, ==,
                         unet_folds_get_result (reference, f)->miou);
      /* the loss, unlike a tiny model's mIoU, differs with every weight */
      g_assert_cmpfloat (unet_folds_get_result (folds, f)->val_loss, ==,
                         unet_folds_get_result (reference, f)->val_loss);
      g_assert_true (isfinite (unet_folds_get_result (folds, f)->val_loss));
    }
  voc_test_rm_rf (dataset);
}

/* A damaged folds.json is an error naming it, never a warning (fatal here). */
static void
test_report_damaged (void)
{
  static const char *const reports[] = {
    "", "[]", "{}", "{\"folds\":\"3\",\"results\":[]}", "{\"folds\":3,\"results\":{}}",
    "{\"folds\":3,\"results\":[]}", "{\"folds\":3,\"results\":[7]}",
    "{\"folds\":3,\"results\":[{\"fold\":1,\"n_train\":4,\"n_val\":2}]}",
    "{\"folds\":3,\"results\":[{\"fold\":99,\"n_train\":4,\"n_val\":2,\"miou\":0.5}]}",
    "{\"folds\":3,\"results\":[{\"fold\":1,\"n_train\":4,\"n_val\":2,\"miou\":0.5,"
    "\"per_class_iou\":{\"a\":{}}}]}",
    "{\"folds\":3,\"mean_miou\":[],\"results\":[]}",
  };
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, UNET_FOLDS_RESULTS_JSON, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (reports); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(UnetFoldsReport) report = NULL;

      g_assert_true (g_file_set_contents (path, reports[i], -1, NULL));
      report = unet_folds_report_read (dir, &error);
      g_assert_null (report);
      g_assert_nonnull (strstr (error->message, UNET_FOLDS_RESULTS_JSON));
    }
  voc_test_rm_rf (dir);
}

static void
test_refused (void)
{
  g_autofree char *dataset = voc_test_make_non_ascii_dataset ();
  g_autofree char *output = g_build_filename (dataset, "cv", NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(GError) error = NULL;
  const int bad[] = { 1, 0, 7, UNET_FOLDS_MAX + 1 };

  tiny_recipe (&o, dataset, output);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(UnetFolds) folds = unet_folds_new (&o, bad[i], &error);

      g_assert_null (folds);
      g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  g_assert_null (unet_folds_resume (output, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* a damaged plan is an error naming it, never a warning (fatal here) */
  {
    static const char *const plans[] = {
      "", "[]", "{\"format\":{\"a\":1},\"folds\":[]}", "{\"format\":7}",
      "{\"format\":\"unet-studio-folds/1\",\"folds\":[[\"a\"],[2]],\"options\":\"{}\"}",
      "{\"format\":\"unet-studio-folds/1\",\"folds\":[[\"a\"],[\"b\"]],\"options\":3}",
      "{\"format\":\"unet-studio-folds/1\",\"folds\":[[\"a\"]],\"options\":\"{}\"}",
    };
    g_autofree char *plan = g_build_filename (output, UNET_FOLDS_PLAN, NULL);

    g_assert_cmpint (g_mkdir_with_parents (output, 0755), ==, 0);
    for (guint i = 0; i < G_N_ELEMENTS (plans); i++)
      {
        g_assert_true (g_file_set_contents (plan, plans[i], -1, NULL));
        g_assert_null (unet_folds_resume (output, &error));
        g_assert_nonnull (strstr (error->message, UNET_FOLDS_PLAN));
        g_clear_error (&error);
      }
  }
  voc_test_rm_rf (dataset);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/folds/assign", test_assign);
  g_test_add_func ("/folds/run", test_run);
  g_test_add_func ("/folds/resume", test_resume);
  g_test_add_func ("/folds/refused", test_refused);
  g_test_add_func ("/folds/report-damaged", test_report_damaged);

  return g_test_run ();
}
