/* test-mpi.c — `unet train` over MPI: mpirun on this machine, over TCP on the loopback
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * N ranks × batch b must train the model 1 process × batch N·b trains: the same weights and
 * momentum after a few steps, to float rounding, with and without batch norm (and bit for bit
 * with one rank). A distributed run resumes exactly, also on another number of ranks; its
 * validation, split over the ranks, gives the metrics `unet evaluate` gives; a failure at start
 * is reported once; a stop asked of mpirun saves a checkpoint on every rank's agreement; and a
 * rank that is killed, or that hangs, ends the job with a message naming it, in bounded time.
 */

#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "unet/unet.h"
#include "voc/voc.h"
#include "voc-test-util.h"
#include "unet/unet-optimizer.h"
#include "unet/unet-model-train.h"

#define SIDE 64
#define N_TRAIN 8
#define N_VAL 3
/* Float rounding differs between one process and several (the sums run in another order); the
 * largest difference measured is about 1e-6 of a tensor's largest value, while training on half
 * the batch ends about 1 away. The margin leaves room for other CPUs' kernels. */
#define TOLERANCE 1e-4
/* Tensors whose values are all about zero (the bias of a convolution that batch norm follows
 * has no gradient but rounding) are compared against this instead of their largest value. */
#define SCALE_FLOOR 1e-3

/* --- fixtures ---------------------------------------------------------------------------- */

/* A plain dataset: a red or green square on grey noise; splits train and val. */
static char *
make_dataset (const char *dir)
{
  char *root = g_build_filename (dir, "data", NULL);
  g_autofree char *images = g_build_filename (root, "images", NULL);
  g_autofree char *masks = g_build_filename (root, "masks", NULL);
  g_autofree char *splits = g_build_filename (root, "splits", NULL);
  g_autoptr(GString) train = g_string_new (NULL), val = g_string_new (NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (17);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (masks, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (splits, 0755), ==, 0);
  /* `unet train` has no option for the number of classes: a plain dataset needs VOC's 21 */
  voc_test_write (root, "classes.txt",
                  "background\nred\ngreen\nc3\nc4\nc5\nc6\nc7\nc8\nc9\nc10\nc11\nc12\n"
                  "c13\nc14\nc15\nc16\nc17\nc18\nc19\nc20\n", -1);
  for (int n = 0; n < N_TRAIN + N_VAL; n++)
    {
      g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
      g_autofree guint8 *labels = g_new (guint8, SIDE * SIDE);
      g_autofree char *image_path = g_strdup_printf ("%s/img%02d.png", images, n);
      g_autofree char *mask_path = g_strdup_printf ("%s/img%02d.png", masks, n);
      guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
      int stride = gdk_pixbuf_get_rowstride (pixbuf);
      int cls = 1 + n % 2;
      int x0 = g_rand_int_range (rand, 4, 28), y0 = g_rand_int_range (rand, 4, 28);
      int size = g_rand_int_range (rand, 14, 32);

      for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++)
          {
            gboolean inside = x >= x0 && x < x0 + size && y >= y0 && y < y0 + size;
            gboolean edge = inside && (x == x0 || y == y0 || x == x0 + size - 1 ||
                                       y == y0 + size - 1);
            guint8 *p = pixels + y * stride + 3 * x;
            int noise = g_rand_int_range (rand, 0, 60);

            p[0] = p[1] = p[2] = 90 + noise;
            if (inside)
              {
                p[0] = cls == 1 ? 190 + noise / 2 : 40 + noise / 3;
                p[1] = cls == 2 ? 190 + noise / 2 : 40 + noise / 3;
                p[2] = 40;
              }
            labels[y * SIDE + x] = edge ? 255 : inside ? cls : 0;
          }
      g_assert_true (gdk_pixbuf_save (pixbuf, image_path, "png", &error, NULL));
      g_assert_no_error (error);
      g_assert_true (voc_mask_save_png (mask_path, labels, SIDE, SIDE, &error));
      g_assert_no_error (error);
      g_string_append_printf (n < N_TRAIN ? train : val, "img%02d\n", n);
    }
  voc_test_write (splits, "train.txt", train->str, -1);
  voc_test_write (splits, "val.txt", val->str, -1);
  return root;
}

/* --- running unet and mpirun ----------------------------------------------------------------- */

static void
add_args (GPtrArray  *argv,
          const char *first,
          va_list     args)
{
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
}

/* `unet ARGS…`, or with ranks > 0 `mpirun -n RANKS unet ARGS…`: on this machine, the ranks
 * talking TCP over the loopback interface as they would between machines. With memcheck, each
 * rank runs under Valgrind's Memcheck (see test_rank_leaks). */
static GPtrArray *
command_full (int      ranks,
              gboolean memcheck)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  if (ranks > 0)
    {
      const char *mpirun = g_getenv ("MPIRUN");

      g_assert_nonnull (mpirun);
      g_ptr_array_add (argv, g_strdup (mpirun));
      if (geteuid () == 0)
        g_ptr_array_add (argv, g_strdup ("--allow-run-as-root"));
      g_ptr_array_add (argv, g_strdup ("--oversubscribe"));
      g_ptr_array_add (argv, g_strdup ("--bind-to"));
      g_ptr_array_add (argv, g_strdup ("none"));
      g_ptr_array_add (argv, g_strdup ("--mca"));
      g_ptr_array_add (argv, g_strdup ("btl"));
      g_ptr_array_add (argv, g_strdup ("self,tcp"));
      g_ptr_array_add (argv, g_strdup ("--mca"));
      g_ptr_array_add (argv, g_strdup ("btl_tcp_if_include"));
      g_ptr_array_add (argv, g_strdup ("lo"));
      g_ptr_array_add (argv, g_strdup ("-n"));
      g_ptr_array_add (argv, g_strdup_printf ("%d", ranks));
    }
  if (memcheck)
    {
      const char *const valgrind[] = {
        "--error-exitcode=1", "--leak-check=full", "--errors-for-leak-kinds=definite",
        "--show-leak-kinds=definite", "--num-callers=40",
      };

      g_ptr_array_add (argv, g_strdup (g_getenv ("UNET_TEST_MEMCHECK")));
      for (guint i = 0; i < G_N_ELEMENTS (valgrind); i++)
        g_ptr_array_add (argv, g_strdup (valgrind[i]));
      g_ptr_array_add (argv, g_strdup_printf ("--suppressions=%s",
                                              g_getenv ("UNET_TEST_MEMCHECK_SUPPRESSIONS")));
    }
  g_ptr_array_add (argv, g_strdup (g_getenv ("UNET_CLI")));
  return argv;
}

static GPtrArray *
command (int ranks)
{
  return command_full (ranks, FALSE);
}

static GSubprocess *
spawn (GPtrArray  *argv,
       const char *err_path)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        (err_path ? 0 : G_SUBPROCESS_FLAGS_STDERR_PIPE));
  /* see keep-loaded.c; ASan wants to be the first library loaded unless told otherwise */
  if (g_getenv ("UNET_TEST_PRELOAD") != NULL)
    {
      const char *given = g_getenv ("ASAN_OPTIONS");
      /* LeakSanitizer's tracer thread crashes in ranks as they exit (SIGSEGV in the tracer,
       * "LeakSanitizer has encountered a fatal error", exit 1), in any case and at random, on
       * Debian 12's gcc 12 runtime. The ranks keep ASan's and UBSan's memory checks; their
       * leaks are checked under Memcheck instead (test_rank_leaks), and every single-process
       * `unet` this suite runs keeps LeakSanitizer. */
      gboolean under_mpirun = g_strcmp0 (argv->pdata[0], g_getenv ("MPIRUN")) == 0;
      g_autofree char *asan = g_strdup_printf ("%s%sverify_asan_link_order=0:"
                                               "fast_unwind_on_malloc=0%s",
                                               given ? given : "", given ? ":" : "",
                                               under_mpirun ? ":detect_leaks=0" : "");

      g_subprocess_launcher_setenv (launcher, "LD_PRELOAD", g_getenv ("UNET_TEST_PRELOAD"), TRUE);
      g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
    }
  if (err_path != NULL)
    g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

typedef struct
{
  int   status;   /* exit status, or -1 when killed by a signal */
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Fails the test unless `status` is `expected`, showing what the command (mpirun and every
 * rank) wrote to stderr, so that a failure explains itself in the test log. */
#define assert_exit_status(status, expected, err)                                             \
  G_STMT_START {                                                                              \
    int status_ = (status), expected_ = (expected);                                           \
    if (status_ != expected_)                                                                 \
      {                                                                                       \
        g_autofree char *message_ =                                                           \
          g_strdup_printf ("exit status %d, expected %d; stderr of mpirun and the ranks:\n%s", \
                           status_, expected_, (err) != NULL ? (err) : "(none)");             \
        g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, message_);          \
      }                                                                                       \
  } G_STMT_END

/* Runs `unet ARG…` (ranks 0) or `mpirun -n RANKS unet ARG…` to the end. */
static void
run_unet (Run        *run,
          int         ranks,
          const char *first,
          ...)
{
  g_autoptr(GPtrArray) argv = command (ranks);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, first);
  add_args (argv, first, args);
  va_end (args);

  run_clear (run);
  process = spawn (argv, NULL);
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &run->err, &error);
  g_assert_no_error (error);
  run->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
}

/* The options every run here shares: a depth-2 U-Net small enough to step in milliseconds.
 * The learning rate keeps 5 steps where rounding stays rounding: since batch-norm networks start
 * from PyTorch's initialisation, whose steps are six times He's at the same rate, 0.003 (the rate
 * TOLERANCE was measured with under He) let it grow to 5e-3 of a weight in the sanitizer build;
 * 0.0005 leaves 2e-6, and half a batch still ends about 1 away. The poly schedule is the one it
 * was measured with. */
#define SMALL "--padding", "same", "--depth", "2", "--base", "8", "--tile", "48", \
              "--momentum", "0.9", "--lr", "0.0005", "--schedule", "poly", "--threads", "1", \
              "--seed", "7"

/* --- comparing runs ------------------------------------------------------------------------ */

typedef struct
{
  UnetModel     *model;
  UnetOptimizer *optimizer;
  GHashTable    *state;
} Checkpoint;

static void
checkpoint_clear (Checkpoint *c)
{
  g_clear_pointer (&c->optimizer, unet_optimizer_free);
  g_clear_pointer (&c->model, unet_model_free);
  g_clear_pointer (&c->state, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Checkpoint, checkpoint_clear)

static void
load_checkpoint (Checkpoint *c,
                 const char *run)
{
  g_autofree char *path = g_build_filename (run, "last.safetensors", NULL);
  g_autoptr(GError) error = NULL;

  c->model = unet_checkpoint_load (path, &c->optimizer, &c->state, &error);
  g_assert_no_error (error);
}

static double
compare_floats (const float *a,
                const float *b,
                size_t       n,
                double       floor,
                gboolean    *identical)
{
  double largest = 0.0, worst = 0.0;

  for (size_t i = 0; i < n; i++)
    {
      largest = MAX (largest, fabs (a[i]));
      worst = MAX (worst, fabs ((double) a[i] - b[i]));
    }
  if (memcmp (a, b, n * sizeof (float)) != 0)
    *identical = FALSE;
  return worst / MAX (largest, floor);
}

/* The largest difference between two runs' weights, running statistics and momentum buffers,
 * each relative to its tensor's largest value; *identical says whether they are bit for bit
 * the same. The two must be at the same step. */
static double
compare_runs (const char *a_dir,
              const char *b_dir,
              gboolean   *identical)
{
  g_auto(Checkpoint) a = { 0 };
  g_auto(Checkpoint) b = { 0 };
  double worst = 0.0;
  const char *worst_name = "";
  gboolean norm;

  load_checkpoint (&a, a_dir);
  load_checkpoint (&b, b_dir);
  norm = unet_model_get_config (a.model)->norm == UNET_NORM_BATCH;
  g_assert_cmpstr (g_hash_table_lookup (a.state, "step"), ==,
                   g_hash_table_lookup (b.state, "step"));
  g_assert_cmpuint (unet_model_get_n_params (a.model), ==, unet_model_get_n_params (b.model));
  *identical = TRUE;
  for (guint i = 0; i < unet_model_get_n_params (a.model); i++)
    {
      UnetParam *pa = unet_model_get_param (a.model, i), *pb = unet_model_get_param (b.model, i);
      float *va = unet_optimizer_get_velocity (a.optimizer, i);
      float *vb = unet_optimizer_get_velocity (b.optimizer, i);
      /* A convolution's bias ahead of batch norm has no gradient (batch norm takes the mean
       * away), only rounding: such tensors are compared absolutely. */
      double floor = norm && g_regex_match_simple ("conv[12]\\.bias$", pa->name, 0, 0)
                     ? 1.0 : SCALE_FLOOR;
      double d = compare_floats (pa->data, pb->data, pa->numel, floor, identical);

      if (va != NULL)
        d = MAX (d, compare_floats (va, vb, pa->numel, floor, identical));
      if (d > worst)
        {
          worst = d;
          worst_name = pa->name;
        }
    }
  g_test_message ("%s against %s: largest difference %.3g (%s)%s", a_dir, b_dir, worst,
                  worst_name, *identical ? ", bit-identical" : "");
  return worst;
}

static void
assert_same_losses (const char *a_dir,
                    const char *b_dir,
                    double      tolerance)
{
  g_autoptr(GArray) a = voc_test_read_log_column (a_dir, 2);
  g_autoptr(GArray) b = voc_test_read_log_column (b_dir, 2);

  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    if (tolerance == 0.0)
      g_assert_cmpfloat (g_array_index (a, double, i), ==, g_array_index (b, double, i));
    else
      g_assert_cmpfloat_with_epsilon (g_array_index (a, double, i), g_array_index (b, double, i),
                                      tolerance);
}

/* --- N ranks × b = 1 process × N·b --------------------------------------------------------- */

static void
test_one_rank_exact (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *data = make_dataset (dir);
  g_autofree char *plain = g_build_filename (dir, "plain", NULL);
  g_autofree char *one = g_build_filename (dir, "one", NULL);
  g_auto(Run) run = { 0 };
  gboolean identical;

  /* batch norm, dropout and augmentation: every path the distributed step takes */
  run_unet (&run, 0, "train", "--dataset", data, "-o", plain, SMALL, "--norm", "batch",
            "--dropout", "0.3", "--batch", "4", "--steps", "4", "--no-validation", NULL);
  assert_exit_status (run.status, 0, run.err);
  run_unet (&run, 1, "train", "--distributed", "--dataset", data, "-o", one, SMALL, "--norm",
            "batch", "--dropout", "0.3", "--batch", "4", "--steps", "4", "--no-validation", NULL);
  assert_exit_status (run.status, 0, run.err);
  g_assert_nonnull (strstr (run.err, "distributed: 1 rank share"));

  compare_runs (plain, one, &identical);
  g_assert_true (identical);
  assert_same_losses (plain, one, 0.0);
  voc_test_rm_rf (dir);
}

static void
check_equivalence (const char *norm,
                   const char *dropout)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *data = make_dataset (dir);
  g_autofree char *plain = g_build_filename (dir, "plain", NULL);
  g_autofree char *half = g_build_filename (dir, "half", NULL);
  g_autofree char *two = g_build_filename (dir, "two", NULL);
  g_auto(Run) run = { 0 };
  gboolean identical;
  double difference, control;

  run_unet (&run, 0, "train", "--dataset", data, "-o", plain, SMALL, "--norm", norm,
            "--dropout", dropout, "--batch", "4", "--steps", "5", "--no-validation", NULL);
  assert_exit_status (run.status, 0, run.err);
  run_unet (&run, 2, "train", "--dataset", data, "-o", two, SMALL, "--norm", norm,
            "--dropout", dropout, "--batch", "2", "--steps", "5", "--no-validation", NULL);
  assert_exit_status (run.status, 0, run.err);
  /* mpirun alone makes it distributed; rank 0 speaks for both */
  g_assert_nonnull (strstr (run.err, "distributed: 2 ranks share each batch of 4 images"));
  g_assert_nonnull (strstr (run.err, "finished after 5 steps"));
  g_assert_null (strstr (run.err, "rank 1"));

  difference = compare_runs (plain, two, &identical);
  g_assert_cmpfloat (difference, <, TOLERANCE);
  assert_same_losses (plain, two, 1e-5);

  /* The tolerance tells a whole batch from a half one: one process with batch 2 (what each
   * rank would train without the reductions) ends far away. */
  run_unet (&run, 0, "train", "--dataset", data, "-o", half, SMALL, "--norm", norm,
            "--dropout", dropout, "--batch", "2", "--steps", "5", "--no-validation", NULL);
  assert_exit_status (run.status, 0, run.err);
  control = compare_runs (plain, half, &identical);
  g_assert_cmpfloat (control, >, 100 * TOLERANCE);
  voc_test_rm_rf (dir);
}

static void
test_equivalence (void)
{
  check_equivalence ("none", "0.5");
}

static void
test_equivalence_batch_norm (void)
{
  check_equivalence ("batch", "0");
}

/* --- resume, stop, validation -------------------------------------------------------------- */

static char *
copy_run (const char *from,
          const char *dir,
          const char *name)
{
  char *to = g_build_filename (dir, name, NULL);
  static const char *const files[] = { "last.safetensors", "best.safetensors", "log.csv",
                                       "log.jsonl" };

  g_assert_cmpint (g_mkdir_with_parents (to, 0755), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *a = g_build_filename (from, files[i], NULL);
      g_autofree char *b = g_build_filename (to, files[i], NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (g_file_get_contents (a, &contents, &length, NULL))
        voc_test_write (to, files[i], contents, length);
      g_assert_true (g_file_test (b, G_FILE_TEST_EXISTS) || !g_file_test (a, G_FILE_TEST_EXISTS));
    }
  return to;
}

static void
test_resume (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *data = make_dataset (dir);
  g_autofree char *straight = g_build_filename (dir, "straight", NULL);
  g_autofree char *stopped = g_build_filename (dir, "stopped", NULL);
  g_autofree char *on_three = NULL, *alone = NULL;
  g_auto(Run) run = { 0 };
  gboolean identical;

  /* a constant learning rate: the default schedule depends on the run's length, and the
   * stopped run is a shorter one extended */
  run_unet (&run, 2, "train", "--dataset", data, "-o", straight, SMALL, "--norm", "batch",
            "--dropout", "0.3", "--batch", "2", "--steps", "6", "--no-validation",
            "--schedule", "constant", NULL);
  assert_exit_status (run.status, 0, run.err);
  run_unet (&run, 2, "train", "--dataset", data, "-o", stopped, SMALL, "--norm", "batch",
            "--dropout", "0.3", "--batch", "2", "--steps", "3", "--no-validation",
            "--schedule", "constant", NULL);
  assert_exit_status (run.status, 0, run.err);
  on_three = copy_run (stopped, dir, "on-three");
  alone = copy_run (stopped, dir, "alone");

  /* on the same two ranks: exactly the run that never stopped, logs and all */
  run_unet (&run, 2, "train", "--resume", stopped, "--steps", "6", NULL);
  assert_exit_status (run.status, 0, run.err);
  compare_runs (straight, stopped, &identical);
  g_assert_true (identical);
  assert_same_losses (straight, stopped, 0.0);

  /* on three ranks (the batch of 4 splits 1, 1, 2) and on one process: the same run, to
   * rounding */
  run_unet (&run, 3, "train", "--resume", on_three, "--steps", "6", NULL);
  assert_exit_status (run.status, 0, run.err);
  g_assert_nonnull (strstr (run.err,
                            "distributed: 3 ranks share each batch of 4 images (1 or 2 each)"));
  g_assert_cmpfloat (compare_runs (straight, on_three, &identical), <, TOLERANCE);
  assert_same_losses (straight, on_three, 1e-5);

  run_unet (&run, 0, "train", "--resume", alone, "--steps", "6", NULL);
  assert_exit_status (run.status, 0, run.err);
  g_assert_cmpfloat (compare_runs (straight, alone, &identical), <, TOLERANCE);
  assert_same_losses (straight, alone, 1e-5);

  /* a batch cannot be split over more ranks than it has images */
  run_unet (&run, 5, "train", "--resume", alone, "--steps", "8", NULL);
  assert_exit_status (run.status, 2, run.err);
  g_assert_nonnull (strstr (run.err, "A batch of 4 images cannot be split over 5 ranks"));
  voc_test_rm_rf (dir);
}

/* A time limit over two ranks: rank 0's clock sets every rank's learning rate and last step,
 * so they end together on the same weights (which the checkpoint's save checks). */
static void
test_time_limit (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *data = make_dataset (dir);
  g_autofree char *out = g_build_filename (dir, "timed", NULL);
  g_auto(Run) run = { 0 };
  g_auto(Checkpoint) saved = { 0 };
  const char *seconds;

  run_unet (&run, 2, "train", "--dataset", data, "-o", out, SMALL, "--norm", "batch",
            "--batch", "2", "--time-limit", "0.03", NULL);
  assert_exit_status (run.status, 0, run.err);
  g_assert_nonnull (strstr (run.err, "finished after "));
  load_checkpoint (&saved, out);
  seconds = g_hash_table_lookup (saved.state, "seconds");
  g_assert_nonnull (seconds);
  g_assert_cmpfloat (g_ascii_strtod (seconds, NULL), >=, 1.8);
  voc_test_rm_rf (dir);
}

/* The last validation line of a run's log.jsonl. */
static JsonObject *
last_validation (const char *run,
                 JsonParser *parser)
{
  g_autofree char *path = g_build_filename (run, "log.jsonl", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  const char *last = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "\"type\":\"val\"") != NULL)
      last = lines[i];
  g_assert_nonnull (last);
  json_parser_load_from_data (parser, last, -1, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_validation (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *data = make_dataset (dir);
  g_autofree char *two = g_build_filename (dir, "two", NULL);
  g_autoptr(JsonParser) log_parser = json_parser_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(Run) run = { 0 };
  JsonObject *logged, *evaluated;
  g_autofree char *out = NULL;

  /* the three validation images split 2 and 1 over the ranks */
  run_unet (&run, 2, "train", "--dataset", data, "-o", two, SMALL, "--norm", "batch",
            "--batch", "2", "--steps", "8", "--lr", "0.05", NULL);
  assert_exit_status (run.status, 0, run.err);
  g_assert_nonnull (strstr (run.err, "mIoU"));
  logged = last_validation (two, log_parser);

  /* the best model is the last one only when its mIoU beat the earlier epochs': evaluate the
   * checkpoint's weights, the ones the last validation saw */
  {
    g_autofree char *last = g_build_filename (two, "last.safetensors", NULL);
    g_autoptr(GSubprocess) process = NULL;
    g_autoptr(GPtrArray) argv = command (0);

    g_ptr_array_add (argv, g_strdup ("evaluate"));
    g_ptr_array_add (argv, g_strdup ("--model"));
    g_ptr_array_add (argv, g_strdup (last));
    g_ptr_array_add (argv, g_strdup ("--dataset"));
    g_ptr_array_add (argv, g_strdup (data));
    g_ptr_array_add (argv, g_strdup ("--split"));
    g_ptr_array_add (argv, g_strdup ("val"));
    g_ptr_array_add (argv, g_strdup ("--json"));
    g_ptr_array_add (argv, g_strdup ("--threads"));
    g_ptr_array_add (argv, g_strdup ("1"));
    g_ptr_array_add (argv, NULL);
    g_autofree char *err = NULL;

    process = g_subprocess_newv ((const char *const *) argv->pdata,
                                 G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                 &error);
    g_assert_no_error (error);
    g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
    g_assert_no_error (error);
    assert_exit_status (g_subprocess_get_exit_status (process), 0, err);
  }
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  evaluated = json_node_get_object (json_parser_get_root (parser));

  /* the summed confusion matrices are the whole split's: the metrics agree to the log's digits */
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (logged, "miou"),
                                  json_object_get_double_member (evaluated, "miou"), 1e-5);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (logged, "pixel_accuracy"),
                                  json_object_get_double_member (evaluated, "pixel_accuracy"),
                                  1e-5);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (logged, "mean_class_accuracy"),
                                  json_object_get_double_member (evaluated,
                                                                 "mean_class_accuracy"),
                                  1e-5);
  voc_test_rm_rf (dir);
}

/* --- failures ------------------------------------------------------------------------------- */

static guint
count_occurrences (const char *text,
                   const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
test_start_failure (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *data = make_dataset (dir);
  g_autofree char *two = g_build_filename (dir, "two", NULL);
  g_auto(Run) run = { 0 };

  run_unet (&run, 2, "train", "--dataset", data, "-o", two, SMALL, "--batch", "1", "--steps",
            "1", "--no-validation", NULL);
  assert_exit_status (run.status, 0, run.err);

  /* rank 0 finds the folder taken; rank 1 must not wait for it, and the error is said once */
  run_unet (&run, 2, "train", "--dataset", data, "-o", two, SMALL, "--batch", "1", "--steps",
            "1", "--no-validation", NULL);
  assert_exit_status (run.status, 2, run.err);
  g_assert_cmpuint (count_occurrences (run.err, "already holds a run"), ==, 1);

  /* a model to start from that rank 0 cannot read: exit 3, as for one process */
  {
    g_autofree char *other = g_build_filename (dir, "other", NULL);

    run_unet (&run, 2, "train", "--dataset", data, "-o", other, SMALL, "--batch", "1",
              "--steps", "1", "--init", "/nonexistent/model.safetensors", NULL);
    assert_exit_status (run.status, 3, run.err);
    g_assert_cmpuint (count_occurrences (run.err, "/nonexistent/model.safetensors"), ==, 1);
  }

  /* A failure of rank 1 alone (its machine has no dataset at that path: mpirun's ":" gives
   * each rank its own command line) reaches rank 0, which says it for both. */
  {
    g_autofree char *other = g_build_filename (dir, "other", NULL);
    g_autofree char *missing = g_build_filename (dir, "missing", NULL);
    g_autoptr(GPtrArray) argv = command (1);
    g_autoptr(GSubprocess) process = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *err = NULL;
    const char *const tail[] = { "train", "-o", other, SMALL, "--batch", "1", "--steps", "1",
                                 "--no-validation", "--dataset" };

    for (guint i = 0; i < G_N_ELEMENTS (tail); i++)
      g_ptr_array_add (argv, g_strdup (tail[i]));
    g_ptr_array_add (argv, g_strdup (data));
    g_ptr_array_add (argv, g_strdup (":"));
    g_ptr_array_add (argv, g_strdup ("-n"));
    g_ptr_array_add (argv, g_strdup ("1"));
    g_ptr_array_add (argv, g_strdup (g_getenv ("UNET_CLI")));
    for (guint i = 0; i < G_N_ELEMENTS (tail); i++)
      g_ptr_array_add (argv, g_strdup (tail[i]));
    g_ptr_array_add (argv, g_strdup (missing));
    process = spawn (argv, NULL);
    g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error);
    g_assert_no_error (error);
    g_test_message ("%s", err);
    assert_exit_status (g_subprocess_get_exit_status (process), 3, err);
    g_assert_cmpuint (count_occurrences (err, "rank 1: "), ==, 1);
    g_assert_cmpuint (count_occurrences (err, "missing"), ==, 1);
  }
  voc_test_rm_rf (dir);
}

/* The process id of rank `rank` among mpirun's children, or 0 when it is not there. */
static GPid
find_rank_once (GSubprocess *mpirun,
                int          rank)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  g_autofree char *wanted = g_strdup_printf ("OMPI_COMM_WORLD_RANK=%d", rank);
  GPid parent = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (mpirun), NULL, 10);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *stat_path = g_build_filename ("/proc", name, "stat", NULL);
      g_autofree char *environ_path = g_build_filename ("/proc", name, "environ", NULL);
      g_autofree char *stat = NULL, *environ = NULL;
      gsize length = 0;
      const char *after_name;
      int ppid = 0;

      if (!g_ascii_isdigit (name[0]) ||
          !g_file_get_contents (stat_path, &stat, NULL, NULL) ||
          (after_name = strrchr (stat, ')')) == NULL ||
          sscanf (after_name + 2, "%*c %d", &ppid) != 1 || ppid != parent ||
          !g_file_get_contents (environ_path, &environ, &length, NULL))
        continue;
      for (gsize at = 0; at < length; at += strlen (environ + at) + 1)
        if (strcmp (environ + at, wanted) == 0)
          return (GPid) g_ascii_strtoll (name, NULL, 10);
    }
  return 0;
}

static GPid
find_rank (GSubprocess *mpirun,
           const char  *err_path,
           int          rank)
{
  for (int i = 0; i < 500; i++)
    {
      GPid pid = find_rank_once (mpirun, rank);

      if (pid > 0)
        return pid;
      g_usleep (10 * 1000);
    }
  {
    g_autofree char *err = NULL;

    g_file_get_contents (err_path, &err, NULL, NULL);
    g_error ("rank %d is not among mpirun's children; mpirun said:\n%s", rank, err);
  }
}

/* Starts a long two-rank run and waits until rank 0 has logged a few steps; returns mpirun. */
static GSubprocess *
start_long_run (const char *dir,
                const char *data,
                const char *err_path,
                const char *timeout)
{
  g_autofree char *output = g_build_filename (dir, "long", NULL);
  g_autofree char *log = g_build_filename (output, "log.csv", NULL);
  g_autoptr(GPtrArray) argv = command (2);
  const char *const args[] = { "train", "--dataset", data, "-o", output, SMALL, "--batch", "1",
                               "--steps", "100000", "--no-validation", "--mpi-timeout", timeout };
  GSubprocess *mpirun;

  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  mpirun = spawn (argv, err_path);
  for (int i = 0; i < 6000; i++)
    {
      g_autofree char *text = NULL;

      if (g_file_get_contents (log, &text, NULL, NULL) && strstr (text, "\n3,") != NULL)
        return mpirun;
      g_usleep (10 * 1000);
    }
  g_error ("the run did not log three steps within a minute");
}

/* Waits at most `seconds` for mpirun to end; returns the seconds it took, or fails. */
static double
wait_bounded (GSubprocess *mpirun,
              double       seconds)
{
  gint64 start = g_get_monotonic_time ();

  while (g_get_monotonic_time () - start < seconds * G_USEC_PER_SEC)
    {
      g_main_context_iteration (NULL, FALSE);
      if (g_subprocess_get_identifier (mpirun) == NULL)
        return (g_get_monotonic_time () - start) / 1e6;
      g_usleep (20 * 1000);
    }
  g_subprocess_force_exit (mpirun);
  g_error ("mpirun did not end within %.0f s", seconds);
}

static void
test_killed_rank (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *data = make_dataset (dir);
  g_autofree char *err_path = g_build_filename (dir, "stderr.txt", NULL);
  g_autoptr(GSubprocess) mpirun = NULL;
  g_autofree char *err = NULL;
  GPid victim;
  double seconds;

  mpirun = start_long_run (dir, data, err_path, "60");
  victim = find_rank (mpirun, err_path, 1);
  g_assert_cmpint (victim, >, 0);
  g_assert_cmpint (kill (victim, SIGKILL), ==, 0);

  /* mpirun notices within a second and ends the job; rank 0, waiting for rank 1 in a
   * reduction, says which rank is gone before it is killed in turn */
  seconds = wait_bounded (mpirun, 30.0);
  g_test_message ("the job ended %.1f s after the kill", seconds);
  g_assert_false (g_subprocess_get_successful (mpirun));
  g_assert_true (g_file_get_contents (err_path, &err, NULL, NULL));
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, "rank 0: mpirun is ending the job"));
  g_assert_nonnull (strstr (err, "a rank has died or failed (mpirun names it)"));
  g_assert_nonnull (strstr (err, "process rank 1 with PID"));
  voc_test_rm_rf (dir);
}

static void
test_hung_rank (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *data = make_dataset (dir);
  g_autofree char *err_path = g_build_filename (dir, "stderr.txt", NULL);
  g_autoptr(GSubprocess) mpirun = NULL;
  g_autofree char *err = NULL;
  GPid victim;
  double seconds;

  mpirun = start_long_run (dir, data, err_path, "2");
  victim = find_rank (mpirun, err_path, 1);
  g_assert_cmpint (victim, >, 0);
  /* stopped, not dead: mpirun sees nothing wrong, only the watchdog can end this */
  g_assert_cmpint (kill (victim, SIGSTOP), ==, 0);

  seconds = wait_bounded (mpirun, 30.0);
  g_test_message ("the job ended %.1f s after rank 1 stopped", seconds);
  kill (victim, SIGKILL);
  g_assert_false (g_subprocess_get_successful (mpirun));
  g_assert_true (g_file_get_contents (err_path, &err, NULL, NULL));
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, "rank 0: rank 1 did not answer for"));
  g_assert_nonnull (strstr (err, "it died or is stuck; ending the job"));
  voc_test_rm_rf (dir);
}

static void
test_stop_signal (void)
{
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *data = make_dataset (dir);
  g_autofree char *err_path = g_build_filename (dir, "stderr.txt", NULL);
  g_autofree char *output = g_build_filename (dir, "long", NULL);
  g_autoptr(GSubprocess) mpirun = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_auto(Checkpoint) checkpoint = { 0 };

  mpirun = start_long_run (dir, data, err_path, "60");
  /* mpirun passes SIGUSR1 on to every rank: one of them asking is enough */
  g_subprocess_send_signal (mpirun, SIGUSR1);
  g_subprocess_wait (mpirun, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (err_path, &err, NULL, NULL));
  assert_exit_status (g_subprocess_get_if_exited (mpirun)
                        ? g_subprocess_get_exit_status (mpirun) : -1, 130, err);
  g_assert_nonnull (strstr (err, "continue with --resume"));

  /* the checkpoint rank 0 saved holds the step every rank stopped after */
  load_checkpoint (&checkpoint, output);
  g_assert_cmpint (g_ascii_strtoll (g_hash_table_lookup (checkpoint.state, "step"), NULL, 10),
                   >=, 3);
  g_assert_cmpstr (g_hash_table_lookup (checkpoint.state, "ranks"), ==, "2");
  voc_test_rm_rf (dir);
}

/* --- leaks of the ranks --------------------------------------------------------------------- */

/* Two ranks train with batch norm, validate, and save checkpoints and the best model, each
 * under Valgrind's Memcheck: a definite leak or a memory error of any rank fails the run.
 * This is the leak check of the ranks, which cannot run LeakSanitizer (see spawn); Open MPI's
 * own allocations and its TCP transport's padding bytes are suppressed by library name only
 * (openmpi.supp), so a leak of ours still fails (tried by planting one). Not in sanitizer
 * builds, whose binaries Memcheck cannot run. */
static void
test_rank_leaks (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;
  g_autofree char *two = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  if (g_getenv ("UNET_TEST_MEMCHECK") == NULL)
    {
      g_test_skip ("needs Valgrind and a build without sanitizers (UNET_TEST_MEMCHECK)");
      return;
    }
  dir = voc_test_tmpdir ();
  data = make_dataset (dir);
  two = g_build_filename (dir, "two", NULL);
  argv = command_full (2, TRUE);
  {
    const char *const args[] = { "train", "--dataset", data, "-o", two, SMALL, "--norm", "batch",
                                 "--batch", "2", "--steps", "4", NULL };

    for (guint i = 0; args[i] != NULL; i++)
      g_ptr_array_add (argv, g_strdup (args[i]));
  }
  process = spawn (argv, NULL);
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  assert_exit_status (g_subprocess_get_if_exited (process)
                        ? g_subprocess_get_exit_status (process) : -1, 0, err);
  /* both ranks ran to the end under Memcheck, validation included */
  g_assert_cmpuint (count_occurrences (err, "ERROR SUMMARY: 0 errors"), ==, 2);
  g_assert_nonnull (strstr (err, "mIoU"));
  voc_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpi/one-rank-exact", test_one_rank_exact);
  g_test_add_func ("/mpi/equivalence", test_equivalence);
  g_test_add_func ("/mpi/equivalence-batch-norm", test_equivalence_batch_norm);
  g_test_add_func ("/mpi/resume", test_resume);
  g_test_add_func ("/mpi/time-limit", test_time_limit);
  g_test_add_func ("/mpi/validation", test_validation);
  g_test_add_func ("/mpi/start-failure", test_start_failure);
  g_test_add_func ("/mpi/stop-signal", test_stop_signal);
  g_test_add_func ("/mpi/killed-rank", test_killed_rank);
  g_test_add_func ("/mpi/hung-rank", test_hung_rank);
  g_test_add_func ("/mpi/rank-leaks", test_rank_leaks);

  return g_test_run ();
}
