/* test-crash.c — `unet train` killed at random moments, interrupted, and out of disk space
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A run must survive anything short of losing the disk: after SIGKILL at any moment its
 * checkpoint loads, --resume carries on from it, and its logs hold whole lines (a line torn by
 * the kill may end them; the resume cuts it off). SIGINT and SIGTERM save first and exit 130. A
 * save that cannot be written (disk full, read-only folder) is an error that leaves the
 * previous checkpoint as it was.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "unet/unet.h"
#include "voc/voc.h"
#include "voc-test-util.h"
#include "unet/unet-optimizer.h"

#define SIDE 64
#define N_IMAGES 6
#define N_KILLS 12
#define KILL_SEED 20261126

/* --- fixtures ---------------------------------------------------------------------------- */

/* A plain dataset: a red or green square on grey noise, as in test-trainer.c. */
static void
write_dataset (const char *root)
{
  g_autofree char *images = g_build_filename (root, "images", NULL);
  g_autofree char *masks = g_build_filename (root, "masks", NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (masks, 0755), ==, 0);
  /* `unet train` has no option for the number of classes: a plain dataset needs VOC's 21 */
  voc_test_write (root, "classes.txt",
                  "background\nred\ngreen\nc3\nc4\nc5\nc6\nc7\nc8\nc9\nc10\nc11\nc12\n"
                  "c13\nc14\nc15\nc16\nc17\nc18\nc19\nc20\n", -1);
  for (int n = 0; n < N_IMAGES; n++)
    {
      g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
      g_autofree guint8 *labels = g_new (guint8, SIDE * SIDE);
      g_autofree char *image_path = g_strdup_printf ("%s/img%02d.png", images, n);
      g_autofree char *mask_path = g_strdup_printf ("%s/img%02d.png", masks, n);
      guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
      int stride = gdk_pixbuf_get_rowstride (pixbuf);
      int cls = 1 + n % 2;
      int x0 = g_rand_int_range (rand, 4, 24), y0 = g_rand_int_range (rand, 4, 24);
      int size = g_rand_int_range (rand, 16, 32);

      for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++)
          {
            gboolean inside = x >= x0 && x < x0 + size && y >= y0 && y < y0 + size;
            guint8 *p = pixels + y * stride + 3 * x;
            int noise = g_rand_int_range (rand, 0, 40);

            p[0] = p[1] = p[2] = 100 + noise;
            if (inside)
              {
                p[0] = cls == 1 ? 200 + noise / 2 : 40;
                p[1] = cls == 2 ? 200 + noise / 2 : 40;
                p[2] = 40;
              }
            labels[y * SIDE + x] = inside ? cls : 0;
          }
      g_assert_true (gdk_pixbuf_save (pixbuf, image_path, "png", &error, NULL));
      g_assert_no_error (error);
      g_assert_true (voc_mask_save_png (mask_path, labels, SIDE, SIDE, &error));
      g_assert_no_error (error);
    }
}

/* --- running `unet train` ---------------------------------------------------------------- */

/* Starts `unet train` with its stderr going to the file err_path. A new run when dataset is
 * not NULL, else --resume output. */
static GSubprocess *
start_train (const char *dataset,
             const char *output,
             gint64      steps,
             const char *err_path)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;
  const char *cli = g_getenv ("UNET_CLI");

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, g_strdup (cli));
  g_ptr_array_add (argv, g_strdup ("train"));
  if (dataset != NULL)
    {
      const char *const args[] = {
        "--dataset", dataset, "-o", output, "--padding", "same", "--depth", "2", "--base", "4",
        "--tile", "64", "--batch", "2", "--checkpoint-every", "3", "--no-validation",
        "--threads", "1", "--seed", "3",
      };

      for (guint i = 0; i < G_N_ELEMENTS (args); i++)
        g_ptr_array_add (argv, g_strdup (args[i]));
    }
  else
    {
      g_ptr_array_add (argv, g_strdup ("--resume"));
      g_ptr_array_add (argv, g_strdup (output));
    }
  g_ptr_array_add (argv, g_strdup ("--steps"));
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, steps));
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_unsetenv (launcher, "UNET_DEFAULT_MODEL");
  g_unlink (err_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

/* Waits until the run has saved a checkpoint of its own (so that its signal handlers are in
 * place and it is training); FALSE after a minute without. */
static gboolean
wait_for_training (GSubprocess *process,
                   const char  *err_path)
{
  for (int i = 0; i < 6000; i++)
    {
      g_autofree char *err = read_text (err_path);

      if (strstr (err, "checkpoint: ") != NULL)
        return TRUE;
      g_usleep (10 * 1000);
    }
  return FALSE;
}

static int
wait_exit (GSubprocess *process,
           int         *signal_number)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  *signal_number = 0;
  if (g_subprocess_get_if_signaled (process))
    {
      *signal_number = g_subprocess_get_term_sig (process);
      return -1;
    }
  return g_subprocess_get_exit_status (process);
}

/* --- checking a run's folder ------------------------------------------------------------- */

/* The checkpoint's step, or -1 when there is none yet. It must load, with its optimizer. */
static gint64
checkpoint_step (const char *output)
{
  g_autofree char *path = g_build_filename (output, "last.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(GHashTable) state = NULL;
  UnetOptimizer *optimizer = NULL;
  gint64 step = -1;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return -1;
  model = unet_checkpoint_load (path, &optimizer, &state, &error);
  g_assert_no_error (error);
  g_assert_nonnull (model);
  g_assert_nonnull (optimizer);
  unet_optimizer_free (optimizer);
  g_assert_true (g_ascii_string_to_signed (g_hash_table_lookup (state, "step"), 10, 0,
                                           G_MAXINT64, &step, NULL));
  return step;
}

/* Checks that both logs hold whole, well-formed lines but for the last one, which a kill may
 * have torn (torn_ok); the training steps must follow each other from 1 without a gap or a
 * repeat. Returns the last step both logs reach (0 for none). */
static gint64
check_logs (const char *output,
            gboolean    torn_ok)
{
  g_autofree char *csv_path = g_build_filename (output, "log.csv", NULL);
  g_autofree char *jsonl_path = g_build_filename (output, "log.jsonl", NULL);
  g_autofree char *csv = NULL, *jsonl = NULL;
  g_auto(GStrv) lines = NULL;
  gint64 last_csv = 0, last_jsonl = 0;
  guint n;

  if (!g_file_get_contents (csv_path, &csv, NULL, NULL))
    return 0;
  lines = g_strsplit (csv, "\n", -1);
  n = g_strv_length (lines);
  if (n > 1)
    g_assert_true (g_str_has_prefix (lines[0], "step,"));
  for (guint j = 1; j + 1 < n; j++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[j], ",", -1);
      gint64 step = 0;

      g_assert_cmpuint (g_strv_length (fields), ==, 9);
      g_assert_true (g_ascii_string_to_signed (fields[0], 10, 1, G_MAXINT64, &step, NULL));
      if (fields[2][0] != '\0')
        {
          g_assert_cmpint (step, ==, last_csv + 1);
          g_assert_true (g_ascii_strtod (fields[2], NULL) >= 0.0);
          last_csv = step;
        }
    }
  if (!torn_ok)
    g_assert_cmpstr (lines[n - 1], ==, "");

  g_clear_pointer (&lines, g_strfreev);
  if (!g_file_get_contents (jsonl_path, &jsonl, NULL, NULL))
    return last_csv;
  lines = g_strsplit (jsonl, "\n", -1);
  n = g_strv_length (lines);
  for (guint j = 0; j + 1 < n; j++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonObject *object;

      json_parser_load_from_data (parser, lines[j], -1, &error);
      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
      object = json_node_get_object (json_parser_get_root (parser));
      g_assert_true (json_object_has_member (object, "step"));
      if (g_strcmp0 (json_object_get_string_member_with_default (object, "type", ""),
                     "train") == 0)
        {
          g_assert_cmpint (json_object_get_int_member (object, "step"), ==, last_jsonl + 1);
          last_jsonl = json_object_get_int_member (object, "step");
        }
    }
  if (!torn_ok)
    g_assert_cmpstr (lines[n - 1], ==, "");
  /* A resume rewrites one log after the other, so a kill can leave them at different steps;
   * both always reach the checkpoint, since they are flushed to disk before it is saved. */
  if (!torn_ok)
    g_assert_cmpint (last_csv, ==, last_jsonl);
  return MIN (last_csv, last_jsonl);
}

/* The temporary files of the atomic writers ("NAME.XXXXXX") in the folder. */
static guint
count_temporaries (const char *output)
{
  g_autoptr(GDir) dir = g_dir_open (output, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (strcmp (name, "log.csv") != 0 && strcmp (name, "log.jsonl") != 0 &&
        !g_str_has_suffix (name, ".safetensors"))
      n++;
  return n;
}

/* --- SIGKILL, SIGINT, SIGTERM ------------------------------------------------------------ */

static void
test_kill_and_resume (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *dataset = g_build_filename (dir, "data", NULL);
  g_autofree char *output = g_build_filename (dir, "run", NULL);
  g_autofree char *err_path = g_build_filename (dir, "stderr.txt", NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (KILL_SEED);
  gint64 step = -1, first_step = -1;
  gint64 timer = g_get_monotonic_time ();
  const gint64 many = 1000000;

  write_dataset (dataset);

  for (int kill_n = 0; kill_n < N_KILLS; kill_n++)
    {
      g_autoptr(GSubprocess) process = NULL;
      /* from the start-up to well into training; under sanitizers everything is slower */
      guint delay_ms = g_rand_int_range (rand, 20, 1500);
      gint64 new_step;
      int status, signum;

      process = start_train (step < 0 ? dataset : NULL, output, many, err_path);
      g_usleep (delay_ms * 1000);
      g_subprocess_send_signal (process, SIGKILL);
      status = wait_exit (process, &signum);
      /* a run with nothing to do would have exited on its own */
      g_assert_cmpint (status, ==, -1);
      g_assert_cmpint (signum, ==, SIGKILL);

      new_step = checkpoint_step (output);
      if (g_test_verbose ())
        g_printerr ("kill %d after %u ms: checkpoint at step %" G_GINT64_FORMAT "\n",
                    kill_n + 1, delay_ms, new_step);
      /* a checkpoint never goes back */
      g_assert_cmpint (new_step, >=, step);
      if (first_step < 0)
        first_step = new_step;
      step = new_step;
      g_assert_cmpint (check_logs (output, TRUE), >=, step);
      /* at most the one file the kill tore; earlier ones were cleared by the resume */
      g_assert_cmpuint (count_temporaries (output), <=, 1);
    }
  g_test_message ("%d kills in %.1f s, checkpoint at step %" G_GINT64_FORMAT,
                  N_KILLS, (g_get_monotonic_time () - timer) / 1e6, step);
  /* What a kill during a save leaves behind, whether or not the kills above happened to: the
   * resume below must clear it away */
  voc_test_write (output, "last.safetensors.Ab12Cd", "half a checkpoint", -1);
  voc_test_write (output, "log.csv.x9Y8z7", "step,", -1);

  /* SIGINT and SIGTERM: a checkpoint at the step reached, then exit 130 */
  for (int i = 0; i < 2; i++)
    {
      int sig = i == 0 ? SIGINT : SIGTERM;
      g_autoptr(GSubprocess) process = start_train (step < 0 ? dataset : NULL, output, many,
                                                    err_path);
      g_autofree char *err = NULL;
      g_autofree char *stopped = NULL;
      int status, signum;

      g_assert_true (wait_for_training (process, err_path));
      g_subprocess_send_signal (process, sig);
      status = wait_exit (process, &signum);
      g_assert_cmpint (signum, ==, 0);
      g_assert_cmpint (status, ==, 130);
      err = read_text (err_path);
      step = checkpoint_step (output);
      stopped = g_strdup_printf ("Stopped after step %" G_GINT64_FORMAT ";", step);
      g_assert_nonnull (strstr (err, stopped));
      /* the logs were flushed before the checkpoint: they reach it, and are whole */
      g_assert_cmpint (check_logs (output, FALSE), ==, step);
      g_assert_cmpuint (count_temporaries (output), ==, 0);
    }
  /* Each resume carried on from the checkpoint before it; the one after the last kill (the
   * SIGINT run above) waited for a checkpoint of its own, so the run as a whole went on. On an
   * unloaded machine the kills alone already make progress (about 270 steps in 12 kills). */
  g_assert_cmpint (step, >, 0);
  g_assert_cmpint (step, >, first_step);

  /* and to the end: three more steps, logs without a gap, nothing left over */
  {
    g_autoptr(GSubprocess) process = start_train (NULL, output, step + 3, err_path);
    g_autofree char *err = NULL;
    g_autofree char *finished = g_strdup_printf ("finished after %" G_GINT64_FORMAT " steps",
                                                 step + 3);
    int signum;

    g_assert_cmpint (wait_exit (process, &signum), ==, 0);
    err = read_text (err_path);
    g_assert_nonnull (strstr (err, finished));
    g_assert_cmpint (checkpoint_step (output), ==, step + 3);
    g_assert_cmpint (check_logs (output, FALSE), ==, step + 3);
    g_assert_cmpuint (count_temporaries (output), ==, 0);
  }
  voc_test_rm_rf (dir);
}

/* --- disk full and read-only ------------------------------------------------------------- */

static void
copy_file (const char *from_dir,
           const char *to_dir,
           const char *name)
{
  g_autofree char *from = g_build_filename (from_dir, name, NULL);
  g_autofree char *to = g_build_filename (to_dir, name, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (from, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (to, contents, length, &error));
  g_assert_no_error (error);
}

static gboolean
same_contents (const char *path,
               GBytes     *expected)
{
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;
  return length == g_bytes_get_size (expected) &&
         memcmp (contents, g_bytes_get_data (expected, NULL), length) == 0;
}

/* A run of three steps in dir/run, and the bytes of its checkpoint. */
static GBytes *
short_run (const char *dir,
           const char *output)
{
  g_autofree char *dataset = g_build_filename (dir, "data", NULL);
  g_autofree char *err_path = g_build_filename (dir, "stderr.txt", NULL);
  g_autofree char *last = g_build_filename (output, "last.safetensors", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length;
  int signum;

  write_dataset (dataset);
  process = start_train (dataset, output, 3, err_path);
  g_assert_cmpint (wait_exit (process, &signum), ==, 0);
  g_assert_true (g_file_get_contents (last, &contents, &length, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

static void
test_disk_full (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *output = g_build_filename (dir, "run", NULL);
  g_autofree char *full = g_build_filename (dir, "full", NULL);
  g_autofree char *last = g_build_filename (full, "last.safetensors", NULL);
  g_autofree char *err_path = g_build_filename (dir, "stderr.txt", NULL);
  g_autofree char *size_option = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GBytes) checkpoint = short_run (dir, output);
  g_autoptr(GSubprocess) process = NULL;
  gsize size = g_bytes_get_size (checkpoint);
  int status, signum;

  /* room for the checkpoint and the logs, but not for a second checkpoint beside it */
  g_assert_cmpint (g_mkdir (full, 0755), ==, 0);
  size_option = g_strdup_printf ("size=%" G_GSIZE_FORMAT, (size + size / 2 + 16384 + 4095) & ~(gsize) 4095);
  if (mount ("tmpfs", full, "tmpfs", 0, size_option) != 0)
    {
      g_autofree char *message = g_strdup_printf ("cannot mount a small tmpfs: %s",
                                                  g_strerror (errno));
      g_test_skip (message);
      voc_test_rm_rf (dir);
      return;
    }
  copy_file (output, full, "last.safetensors");
  copy_file (output, full, "log.csv");
  copy_file (output, full, "log.jsonl");

  process = start_train (NULL, full, 30, err_path);
  status = wait_exit (process, &signum);
  err = read_text (err_path);
  if (g_test_verbose ())
    g_printerr ("exit %d\n%s", status, err);
  g_assert_cmpint (signum, ==, 0);
  /* 4: the output could not be written */
  g_assert_cmpint (status, ==, 4);
  g_assert_nonnull (strstr (err, g_strerror (ENOSPC)));
  /* the previous checkpoint is untouched and still loads, and no half-written copy is left */
  g_assert_true (same_contents (last, checkpoint));
  g_assert_cmpint (checkpoint_step (full), ==, 3);
  g_assert_cmpuint (count_temporaries (full), ==, 0);
  check_logs (full, FALSE);

  g_assert_cmpint (umount2 (full, MNT_DETACH), ==, 0);
  voc_test_rm_rf (dir);
}

static void
test_read_only (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *output = g_build_filename (dir, "run", NULL);
  g_autofree char *frozen = g_build_filename (dir, "frozen", NULL);
  g_autofree char *last = g_build_filename (frozen, "last.safetensors", NULL);
  g_autofree char *err_path = g_build_filename (dir, "stderr.txt", NULL);
  g_autofree char *err = NULL;
  g_autoptr(GBytes) checkpoint = short_run (dir, output);
  g_autoptr(GSubprocess) process = NULL;
  int status, signum;

  /* root ignores permissions: a read-only bind mount of the run's folder */
  g_assert_cmpint (g_mkdir (frozen, 0755), ==, 0);
  if (mount (output, frozen, NULL, MS_BIND, NULL) != 0)
    {
      g_autofree char *message = g_strdup_printf ("cannot bind-mount: %s", g_strerror (errno));
      g_test_skip (message);
      voc_test_rm_rf (dir);
      return;
    }
  if (mount (NULL, frozen, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0)
    {
      g_autofree char *message = g_strdup_printf ("cannot remount read-only: %s",
                                                  g_strerror (errno));
      umount2 (frozen, MNT_DETACH);
      g_test_skip (message);
      voc_test_rm_rf (dir);
      return;
    }

  process = start_train (NULL, frozen, 30, err_path);
  status = wait_exit (process, &signum);
  err = read_text (err_path);
  if (g_test_verbose ())
    g_printerr ("exit %d\n%s", status, err);
  g_assert_cmpint (signum, ==, 0);
  g_assert_cmpint (status, ==, 4);
  g_assert_nonnull (strstr (err, g_strerror (EROFS)));
  g_assert_true (same_contents (last, checkpoint));
  g_assert_cmpint (checkpoint_step (frozen), ==, 3);

  g_assert_cmpint (umount2 (frozen, MNT_DETACH), ==, 0);
  voc_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/crash/kill-and-resume", test_kill_and_resume);
  g_test_add_func ("/cli/crash/disk-full", test_disk_full);
  g_test_add_func ("/cli/crash/read-only", test_read_only);

  return g_test_run ();
}
