/* test-run.c — the run folder: its logs, its checkpoint state, its temporaries
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "train/unet-run.h"
#include "train/unet-trainer.h"
#include "voc-test-datasets.h"
#include "voc-test-util.h"

static UnetRunLog *
parse (const char      *text,
       UnetRunLogFlags  flags,
       GError         **error)
{
  return unet_run_log_parse (text, strlen (text), "log.jsonl", flags, error);
}

static const UnetRunRecord *
record_at (const UnetRunLog *log,
           guint             i)
{
  g_assert_cmpuint (i, <, log->records->len);
  return &g_array_index (log->records, UnetRunRecord, i);
}

static void
test_parse_jsonl (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetRunLog) log = NULL;
  const UnetRunRecord *val;

  log = parse ("{\"type\":\"train\",\"step\":1,\"epoch\":1,\"loss\":3.5,\"lr\":0.01,"
               "\"images_per_s\":2}\n"
               "\n"
               "{\"type\":\"train\",\"step\":2,\"epoch\":1,\"loss\":null}\n"
               "{\"type\":\"note\",\"text\":\"a record kind of a later version\"}\n"
               "{\"type\":\"val\",\"step\":2,\"epoch\":1,\"val_loss\":2.5,\"miou\":0.25,"
               "\"per_class_iou\":{\"background\":0.5,\"Gefäß\":0,\"細胞\":null}}\n"
               "{\"type\":\"train\",\"step\":3,\"lo", UNET_RUN_LOG_STRICT, &error);
  g_assert_no_error (error);
  g_assert_nonnull (log);
  g_assert_cmpuint (log->records->len, ==, 3);
  g_assert_cmpuint (log->n_train, ==, 2);
  g_assert_cmpuint (log->n_val, ==, 1);
  /* the last line is one the trainer was still writing */
  g_assert_cmpuint (log->torn_line, ==, 6);

  g_assert_cmpint (record_at (log, 0)->kind, ==, UNET_RUN_RECORD_TRAIN);
  g_assert_cmpint (record_at (log, 0)->step, ==, 1);
  g_assert_cmpfloat (record_at (log, 0)->loss, ==, 3.5);
  g_assert_cmpfloat (record_at (log, 0)->lr, ==, 0.01);
  /* a loss that diverged is written as null */
  g_assert_true (isnan (record_at (log, 1)->loss));

  val = record_at (log, 2);
  g_assert_cmpint (val->kind, ==, UNET_RUN_RECORD_VAL);
  g_assert_cmpint (val->epoch, ==, 1);
  g_assert_cmpfloat (val->miou, ==, 0.25);
  g_assert_true (isnan (val->pixel_accuracy));
  g_assert_cmpuint (val->n_classes, ==, 3);
  g_assert_cmpstr (val->class_names[1], ==, "Gefäß");
  g_assert_cmpstr (val->class_names[2], ==, "細胞");
  g_assert_null (val->class_names[3]);
  g_assert_cmpfloat (val->class_iou[0], ==, 0.5);
  g_assert_true (isnan (val->class_iou[2]));
}

/* Every way a line can be wrong names the line and the reason, strictly; leniently the line is
 * left out and counted. Never a GLib warning (fatal in tests), whatever the members hold. */
static void
test_parse_bad_lines (void)
{
  static const struct { const char *line; const char *why; } cases[] = {
    { "not json at all", "log.jsonl:2: not JSON at column" },
    { "[1, 2]", "log.jsonl:2: not a log record" },
    { "{\"type\":{\"a\":1},\"step\":2,\"loss\":1}", "log.jsonl:2: a record without a string" },
    { "{\"type\":7,\"step\":2,\"loss\":1}", "log.jsonl:2: a record without a string" },
    { "{\"type\":\"train\",\"step\":2}", "log.jsonl:2: a \"train\" record without" },
    { "{\"type\":\"train\",\"step\":\"2\",\"loss\":1}", "log.jsonl:2: a \"train\" record" },
    { "{\"type\":\"train\",\"step\":-1,\"loss\":1}", "whole, non-negative \"step\"" },
    { "{\"type\":\"train\",\"step\":1.5,\"loss\":1}", "whole, non-negative \"step\"" },
    { "{\"type\":\"val\",\"step\":2,\"epoch\":[1]}", "\"epoch\" is not a whole number" },
    { "{\"type\":\"val\",\"step\":2,\"per_class_iou\":[0.5]}", "\"per_class_iou\" that is not" },
    { "{\"type\":\"val\",\"step\":2,\"miou\":\"high\"}", "record whose \"miou\" is not a number" },
    { "{\"type\":\"train\",\"step\":2,\"loss\":1,\"lr\":{}}", "whose \"lr\" is not a number" },
    { "{\"step\":2}", "a record without a string \"type\"" },
    { "{\"type\":\"val\",\"step\":2,\"per_class_iou\":{\"a\":\"x\"}}", "\"per_class_iou\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"type\":\"train\",\"step\":1,\"loss\":2}\n%s\n"
                                               "{\"type\":\"train\",\"step\":3,\"loss\":1}\n",
                                               cases[i].line);
      g_autoptr(GError) error = NULL;
      g_autoptr(UnetRunLog) strict = parse (text, UNET_RUN_LOG_STRICT, &error);
      g_autoptr(UnetRunLog) lenient = NULL;

      g_assert_null (strict);
      g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
      if (strstr (error->message, cases[i].why) == NULL)
        g_error ("case %u: “%s” does not say “%s”", i, error->message, cases[i].why);
      g_clear_error (&error);

      lenient = parse (text, UNET_RUN_LOG_SKIP_BAD, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (lenient->records->len, ==, 2);
      g_assert_cmpuint (lenient->n_bad_lines, ==, 1);
      g_assert_true (g_str_has_prefix (lenient->first_bad_line, "log.jsonl:2: "));
    }

  {
    g_autoptr(GError) error = NULL;
    static const char binary[] = "{\"type\":\"train\",\"step\":1,\"loss\":1}\n\x01\xff\0x\n";
    g_autoptr(UnetRunLog) log = unet_run_log_parse (binary, sizeof binary - 1, "log.jsonl",
                                                    UNET_RUN_LOG_STRICT, &error);

    g_assert_null (log);
    g_assert_nonnull (strstr (error->message, "log.jsonl:2: binary data"));
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(UnetRunLog) log = parse ("\n\n", UNET_RUN_LOG_SKIP_BAD, &error);

    g_assert_null (log);
    g_assert_nonnull (strstr (error->message, "no training or validation records"));
  }
}

static void
test_parse_csv (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetRunLog) log = NULL;
  const char *text = "step,epoch,loss,lr,images_per_s,val_loss,val_miou\n"
                     "1,1,3.5,0.01,2,,\n"
                     "2,1,3,0.01,2,,\n"
                     "2,1,,,,2.5,0.25\n";

  log = unet_run_log_parse (text, strlen (text), "log.csv", UNET_RUN_LOG_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (log->n_train, ==, 2);
  g_assert_cmpuint (log->n_val, ==, 1);
  g_assert_cmpfloat (record_at (log, 2)->miou, ==, 0.25);
  g_clear_pointer (&log, unet_run_log_free);

  text = "step,loss\n1,2\n2,x\n";
  log = unet_run_log_parse (text, strlen (text), "log.csv", UNET_RUN_LOG_STRICT, &error);
  g_assert_null (log);
  g_assert_nonnull (strstr (error->message, "log.csv:3: a field that is not a number"));
  g_clear_error (&error);

  text = "Epoch 1: loss 3.2\n";
  log = unet_run_log_parse (text, strlen (text), "log.csv", UNET_RUN_LOG_STRICT, &error);
  g_assert_null (log);
  g_assert_nonnull (strstr (error->message, "log.csv:1: not a training log"));
}

/* What the writer makes of any UTF-8 name is JSON, and reads back the same. */
static void
test_record_json (void)
{
  g_auto(UnetRunRecord) record = { 0 };
  g_autofree char *json = NULL;
  g_autoptr(UnetRunLog) log = NULL;
  g_autoptr(GError) error = NULL;
  const char *names[] = { "background", "Gefäß", "細胞", "a \"quoted\" back\\slash", "tab\there" };

  unet_run_record_init (&record, UNET_RUN_RECORD_VAL);
  record.step = 1234567;
  record.epoch = 12;
  record.val_loss = 0.123456789;
  record.miou = 1.0 / 3.0;
  record.pixel_accuracy = 0.5;
  record.n_classes = G_N_ELEMENTS (names);
  record.class_names = g_new0 (char *, record.n_classes + 1);
  record.class_iou = g_new (double, record.n_classes);
  for (guint k = 0; k < record.n_classes; k++)
    {
      record.class_names[k] = g_strdup (names[k]);
      /* json-glib alone writes 6e-09 as "6e-09.0" */
      record.class_iou[k] = k == 2 ? NAN : k == 4 ? 6e-09 : k / 7.0;
    }
  json = unet_run_record_to_json (&record);
  /* six significant digits, whole numbers as integers, no octal escapes, raw UTF-8 */
  g_assert_nonnull (strstr (json, "\"step\":1234567,"));
  g_assert_nonnull (strstr (json, "\"miou\":0.333333,"));
  g_assert_nonnull (strstr (json, "\"Gefäß\":0.142857"));
  g_assert_nonnull (strstr (json, "\"細胞\":null"));
  g_assert_nonnull (strstr (json, "\"tab\\there\":6e-09}"));
  g_assert_null (strstr (json, "\\303"));
  g_assert_null (strchr (json, '\n'));

  log = parse (json, UNET_RUN_LOG_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (record_at (log, 0)->n_classes, ==, G_N_ELEMENTS (names));
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    g_assert_cmpstr (record_at (log, 0)->class_names[k], ==, names[k]);
  g_assert_cmpfloat_with_epsilon (record_at (log, 0)->val_loss, 0.123457, 1e-9);
  g_assert_cmpint (record_at (log, 0)->step, ==, 1234567);

  /* a step no double holds exactly comes back the same */
  {
    g_auto(UnetRunRecord) train = { 0 };
    g_autofree char *line = NULL;
    g_autoptr(UnetRunLog) again = NULL;

    unet_run_record_init (&train, UNET_RUN_RECORD_TRAIN);
    train.step = (G_GINT64_CONSTANT (1) << 60) + 1;
    train.loss = 0.5;
    line = unet_run_record_to_json (&train);
    again = parse (line, UNET_RUN_LOG_STRICT, &error);
    g_assert_no_error (error);
    g_assert_cmpint (record_at (again, 0)->step, ==, train.step);
  }
}

static char *
read_text (const char *dir,
           const char *name)
{
  g_autofree char *path = unet_run_path (dir, name);
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

static void
append_train (UnetRunWriter *writer,
              gint64         step)
{
  g_auto(UnetRunRecord) record = { 0 };
  g_autoptr(GError) error = NULL;

  unet_run_record_init (&record, UNET_RUN_RECORD_TRAIN);
  record.step = step;
  record.epoch = 1;
  record.loss = 1.0 / step;
  g_assert_true (unet_run_writer_append (writer, &record, &error));
  g_assert_no_error (error);
}

/* A resumed run's logs read as if it had never stopped: what came after the checkpoint goes,
 * and so does a line torn by a crash. */
static void
test_writer_resume (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetRunWriter) writer = unet_run_writer_open (dir, -1, &error);
  g_autofree char *jsonl = NULL, *csv = NULL, *path = NULL;
  g_autoptr(UnetRunLog) log = NULL;
  FILE *file;

  g_assert_no_error (error);
  for (int step = 1; step <= 5; step++)
    append_train (writer, step);
  g_assert_true (unet_run_writer_sync (writer, &error));
  g_clear_pointer (&writer, unet_run_writer_free);
  path = unet_run_path (dir, UNET_RUN_LOG_JSONL);
  file = g_fopen (path, "a");
  fputs ("{\"type\":\"train\",\"step\":6,\"lo", file);
  fclose (file);

  writer = unet_run_writer_open (dir, 3, &error);
  g_assert_no_error (error);
  append_train (writer, 4);
  g_clear_pointer (&writer, unet_run_writer_free);

  jsonl = read_text (dir, UNET_RUN_LOG_JSONL);
  csv = read_text (dir, UNET_RUN_LOG_CSV);
  g_assert_true (g_str_has_prefix (csv, "step,epoch,loss,"));
  g_assert_nonnull (strstr (csv, "\n3,1,0.333333,,"));
  g_assert_null (strstr (csv, "\n5,"));
  log = unet_run_log_read (dir, UNET_RUN_LOG_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (log->n_train, ==, 4);
  g_assert_cmpuint (log->torn_line, ==, 0);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpint (record_at (log, i)->step, ==, i + 1);
  voc_test_rm_rf (dir);
}

static void
test_state_metadata (void)
{
  g_auto(UnetTrainOptions) options = { 0 };
  g_auto(UnetTrainOptions) back = { 0 };
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(GError) error = NULL;
  UnetRunState state = { .step = 1200, .best_miou = 0.4375, .seconds = 61.5, .ranks = 2 };
  UnetRunState read = { 0 };

  unet_train_options_init_default (&options);
  options.dataset = g_strdup ("/data/Zellen-Gefäß");
  options.batch = 3;
  metadata = unet_run_state_to_metadata (&options, &state);
  unet_train_options_init_default (&back);
  g_assert_true (unet_run_state_from_metadata (metadata, "last.safetensors", &back, &read,
                                               &error));
  g_assert_no_error (error);
  g_assert_cmpstr (back.dataset, ==, options.dataset);
  g_assert_cmpint (back.batch, ==, 3);
  g_assert_cmpint (read.step, ==, 1200);
  g_assert_cmpfloat (read.best_miou, ==, 0.4375);
  g_assert_cmpfloat (read.seconds, ==, 61.5);
  g_assert_cmpint (read.ranks, ==, 2);

  g_hash_table_insert (metadata, "seconds", g_strdup ("-4"));
  g_assert_false (unet_run_state_from_metadata (metadata, "last.safetensors", &back, &read,
                                                &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "last.safetensors: bad “seconds”"));
  g_clear_error (&error);

  g_hash_table_insert (metadata, "step", g_strdup ("many"));
  g_assert_false (unet_run_state_from_metadata (metadata, "last.safetensors", &back, &read,
                                                &error));
  g_assert_nonnull (strstr (error->message, "missing or bad “step”"));
  g_clear_error (&error);

  g_hash_table_remove (metadata, "options");
  g_assert_false (unet_run_state_from_metadata (metadata, "best.safetensors", &back, &read,
                                                &error));
  g_assert_nonnull (strstr (error->message, "best.safetensors: not a training checkpoint"));
}

static void
test_stale_temporaries (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  const char *leftovers[] = { "last.safetensors.Ab12Cd", "log.jsonl.x9Y8z7" };
  const char *kept[] = { "last.safetensors", "notes.txt.Ab12Cd", "best.safetensors.tmp",
                         "log.csv.abc" };

  for (guint i = 0; i < G_N_ELEMENTS (leftovers); i++)
    voc_test_write (dir, leftovers[i], "x", 1);
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    voc_test_write (dir, kept[i], "x", 1);
  unet_run_remove_stale_temporaries (dir);
  for (guint i = 0; i < G_N_ELEMENTS (leftovers); i++)
    {
      g_autofree char *path = unet_run_path (dir, leftovers[i]);

      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    }
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      g_autofree char *path = unet_run_path (dir, kept[i]);

      g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
    }
  voc_test_rm_rf (dir);
}

/* Train → log.jsonl: the validation lines, which name classes, are JSON to another reader
 * (Python's) and to ours. */
static void
test_non_ascii_training (void)
{
  g_autofree char *dataset = voc_test_make_non_ascii_dataset ();
  g_autofree char *output = g_build_filename (dataset, "run", NULL);
  g_autofree char *jsonl = g_build_filename (output, UNET_RUN_LOG_JSONL, NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(UnetTrainer) trainer = NULL;
  g_autoptr(UnetRunLog) log = NULL;
  g_autoptr(GError) error = NULL;
  const char *python = g_getenv ("PYTHON3");
  const UnetRunRecord *val = NULL;

  unet_train_options_init_default (&o);
  o.dataset = g_strdup (dataset);
  o.output_dir = g_strdup (output);
  o.model.depth = 1;
  o.model.base = 4;
  o.model.padding = UNET_PADDING_SAME;
  o.tile = 32;
  o.batch = 2;
  o.steps = 4;
  o.val_every = 1;
  o.threads = 1;
  o.seed = 3;
  trainer = unet_trainer_new (&o, &error);
  g_assert_no_error (error);
  g_assert_true (unet_trainer_run (trainer, &error));
  g_assert_no_error (error);

  log = unet_run_log_read (output, UNET_RUN_LOG_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (log->n_val, >=, 1);
  for (guint i = 0; i < log->records->len; i++)
    if (record_at (log, i)->kind == UNET_RUN_RECORD_VAL)
      val = record_at (log, i);
  g_assert_true (g_strv_contains ((const char *const *) val->class_names, "Gefäß"));
  g_assert_true (g_strv_contains ((const char *const *) val->class_names, "細胞"));

  /* what a resume would continue, from the checkpoint's header */
  {
    g_auto(UnetTrainOptions) stored = { 0 };
    g_auto(GStrv) names = NULL;
    UnetRunState state;

    unet_train_options_init_default (&stored);
    g_assert_true (unet_run_read_checkpoint (output, &stored, &state, &names, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (stored.dataset, ==, dataset);
    g_assert_cmpint (stored.model.classes, ==, 21);
    g_assert_cmpint (state.step, ==, 4);
    g_assert_cmpstr (names[20], ==, "細胞");
  }
  {
    g_auto(UnetTrainOptions) stored = { 0 };
    g_autofree char *nothing = g_build_filename (dataset, "images", NULL);
    UnetRunState state;

    unet_train_options_init_default (&stored);
    g_assert_false (unet_run_read_checkpoint (nothing, &stored, &state, NULL, &error));
    g_assert_nonnull (strstr (error->message, "last.safetensors"));
    g_clear_error (&error);
  }

  if (python != NULL && *python != '\0')
    {
      const char *argv[] = { python, "-c",
                             "import json, sys\n"
                             "names = set()\n"
                             "for line in open(sys.argv[1], encoding='utf-8'):\n"
                             "    record = json.loads(line)\n"
                             "    names |= set(record.get('per_class_iou', {}))\n"
                             "assert {'Gefäß', '細胞'} <= names, names\n",
                             jsonl, NULL };
      int status = -1;
      g_autofree char *err = NULL;

      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                   NULL, NULL, &err, &status, &error));
      g_assert_no_error (error);
      if (!g_spawn_check_wait_status (status, NULL))
        g_error ("Python's json rejects %s: %s", jsonl, err);
    }
  voc_test_rm_rf (dataset);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/run/log/jsonl", test_parse_jsonl);
  g_test_add_func ("/run/log/bad-lines", test_parse_bad_lines);
  g_test_add_func ("/run/log/csv", test_parse_csv);
  g_test_add_func ("/run/record/json", test_record_json);
  g_test_add_func ("/run/writer/resume", test_writer_resume);
  g_test_add_func ("/run/state/metadata", test_state_metadata);
  g_test_add_func ("/run/stale-temporaries", test_stale_temporaries);
  g_test_add_func ("/run/non-ascii-training", test_non_ascii_training);

  return g_test_run ();
}
