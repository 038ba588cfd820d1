/* test-infer-cancel.c: a cancelled prediction stops between tiles
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "unet/unet.h"

/* Many tiles of a small network: each takes a few milliseconds, the whole image seconds, so a
 * prediction that ignored the cancellable would show. */
#define SIDE 2048
#define TILE 128
/* From the cancel to the return. Once the tiles run it is one tile: 11–15 ms measured on two
 * cores busy with other work. Before the first tile the prediction prepares for up to a few
 * hundred milliseconds (100 MB of buffers touched for the first time: 0.2–0.9 s measured under
 * that load, more under AddressSanitizer), which the cancel waits out. A prediction that did not
 * look at the cancellable would return TRUE, after all 256 tiles (5–15 s). */
#define MAX_CANCEL_LATENCY_MS 2000
/* Memcheck runs the code 20–50 times slower (CI's valgrind phase measured 2.2 s for the first
 * case): the bound scales with it, still far below the minutes an uncancelled run takes there. */
#define VALGRIND_SLOWDOWN 30

static gint64
max_latency_ms (void)
{
  return MAX_CANCEL_LATENCY_MS * (g_getenv ("UNET_TEST_VALGRIND") != NULL ? VALGRIND_SLOWDOWN : 1);
}

static UnetModel *
make_model (void)
{
  g_autoptr(GError) error = NULL;
  UnetConfig config;
  UnetModel *model;

  unet_config_init_default (&config);
  config.depth = 2;
  config.base = 8;
  config.classes = 3;
  config.padding = UNET_PADDING_SAME;
  config.dropout = 0.0f;
  model = unet_model_new (&config, &error);
  g_assert_no_error (error);
  unet_model_init_weights (model, 11);
  return model;
}

typedef struct
{
  UnetModel          *model;
  guint8             *rgb8;
  gboolean            all_probabilities;  /* one pass over the whole image, else by bands */
  GCancellable       *cancellable;
  GError             *error;
  gboolean            ok;
  gint64              ended;
} Job;

static gpointer
predict_thread (gpointer data)
{
  Job *job = data;
  gsize plane = (gsize) SIDE * SIDE;
  g_autofree guint8 *classes = g_new (guint8, plane);
  g_autofree float *probs = job->all_probabilities ? g_new (float, plane * 3) : NULL;
  UnetPredictOptions options = { .tile = TILE, .cancellable = job->cancellable };
  UnetImage image = { SIDE, SIDE, NULL, job->rgb8 };

  job->ok = unet_model_predict_image (job->model, &image, &options,
                                      &(UnetPrediction) { .classes = classes, .probs = probs },
                                      &job->error);
  job->ended = g_get_monotonic_time ();
  return NULL;
}

static void
test_cancel (gconstpointer data)
{
  g_autoptr(UnetModel) model = make_model ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree guint8 *rgb8 = g_new (guint8, (gsize) SIDE * SIDE * 3);
  Job job = { model, rgb8, GPOINTER_TO_INT (data), cancellable, NULL, FALSE, 0 };
  GThread *thread;
  gint64 cancelled;

  for (gsize i = 0; i < (gsize) SIDE * SIDE * 3; i++)
    rgb8[i] = (guint8) (i * 2654435761u >> 24);
  unet_set_threads (1);

  /* under way: stops at the next tile */
  thread = g_thread_new ("predict", predict_thread, &job);
  g_usleep (500 * 1000);
  cancelled = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);
  g_assert_error (job.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (job.ok);
  g_test_message ("returned %" G_GINT64_FORMAT " ms after the cancel",
                  (job.ended - cancelled) / 1000);
  g_assert_cmpint ((job.ended - cancelled) / 1000, <, max_latency_ms ());
  g_clear_error (&job.error);

  /* cancelled before it starts: nothing runs */
  cancelled = g_get_monotonic_time ();
  predict_thread (&job);
  g_assert_error (job.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint ((job.ended - cancelled) / 1000, <, max_latency_ms ());
  g_clear_error (&job.error);

  /* the model is still usable: a fresh request on a small image runs to its end */
  {
    guint8 small[64 * 64 * 3] = { 0 };
    guint8 classes[64 * 64];
    g_autoptr(GCancellable) fresh = g_cancellable_new ();
    UnetPredictOptions options = { .tile = TILE, .cancellable = fresh };
    g_autoptr(GError) error = NULL;

    g_assert_true (unet_model_predict_image (model, &(UnetImage) { 64, 64, NULL, small }, &options,
                                             &(UnetPrediction) { .classes = classes }, &error));
    g_assert_no_error (error);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/infer/cancel/bands", GINT_TO_POINTER (FALSE), test_cancel);
  g_test_add_data_func ("/infer/cancel/whole", GINT_TO_POINTER (TRUE), test_cancel);
  return g_test_run ();
}
