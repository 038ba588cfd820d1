/* test-trainer.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "train/unet-trainer-distributed.h"
#include "unet/unet-model-train.h"

#define SIDE 40

/* A plain dataset of synthetic photos: a coloured square (class 1, red; class 2, green) on a
 * grey, noisy background, with a void outline, as in VOC. Small enough to learn in seconds. */
static char *
make_dataset (int n_images)
{
  g_autoptr(GError) error = NULL;
  char *root = g_dir_make_tmp ("unet-train-XXXXXX", &error);
  g_autofree char *images = g_build_filename (root, "images", NULL);
  g_autofree char *masks = g_build_filename (root, "masks", NULL);
  g_autofree char *classes = g_build_filename (root, "classes.txt", NULL);
  UnetRng rng;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (masks, 0755), ==, 0);
  g_assert_true (g_file_set_contents (classes, "background\nred\ngreen\n", -1, &error));

  unet_rng_seed (&rng, 5);
  for (int n = 0; n < n_images; n++)
    {
      g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
      g_autofree guint8 *labels = g_new (guint8, SIDE * SIDE);
      g_autofree char *name = g_strdup_printf ("img%02d", n);
      g_autofree char *image_path = g_strdup_printf ("%s/%s.png", images, name);
      g_autofree char *mask_path = g_strdup_printf ("%s/%s.png", masks, name);
      guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
      int stride = gdk_pixbuf_get_rowstride (pixbuf);
      int cls = 1 + n % 2;
      int x0 = 4 + unet_rng_below (&rng, 16), y0 = 4 + unet_rng_below (&rng, 16);
      int size = 12 + unet_rng_below (&rng, 8);

      for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++)
          {
            gboolean inside = x >= x0 && x < x0 + size && y >= y0 && y < y0 + size;
            gboolean edge = inside && (x == x0 || y == y0 || x == x0 + size - 1 || y == y0 + size - 1);
            guint8 *p = pixels + y * stride + 3 * x;
            int noise = (int) unet_rng_below (&rng, 40);

            p[0] = p[1] = p[2] = 100 + noise;
            if (inside)
              {
                p[0] = cls == 1 ? 200 + noise / 2 : 40;
                p[1] = cls == 2 ? 200 + noise / 2 : 40;
                p[2] = 40;
              }
            labels[y * SIDE + x] = edge ? 255 : inside ? cls : 0;
          }
      g_assert_true (gdk_pixbuf_save (pixbuf, image_path, "png", &error, NULL));
      g_assert_no_error (error);
      g_assert_true (voc_mask_save_png (mask_path, labels, SIDE, SIDE, &error));
      g_assert_no_error (error);
    }
  return root;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        remove_tree (child);
      else
        g_unlink (child);
      g_object_unref (info);
    }
  g_rmdir (path);
}

static void
small_options (UnetTrainOptions *o,
               const char       *dataset,
               const char       *output)
{
  unet_train_options_init_default (o);
  o->dataset = g_strdup (dataset);
  o->output_dir = g_strdup (output);
  o->model.depth = 2;
  o->model.base = 4;
  o->model.classes = 3;
  o->model.padding = UNET_PADDING_SAME;
  o->model.norm = UNET_NORM_BATCH;
  o->model.dropout = 0.2f;
  o->tile = 32;
  o->batch = 2;
  o->steps = 8;
  o->lr = 0.05;
  o->momentum = 0.9;
  o->threads = 2;
  o->seed = 11;
}

/* unet_trainer_new refuses the options, as invalid, with a message naming `what`. */
static void
assert_refused (const UnetTrainOptions *o,
                const char             *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetTrainer) trainer = unet_trainer_new (o, &error);

  g_assert_null (trainer);
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, what));
}

static void
test_options_json (void)
{
  g_auto(UnetTrainOptions) a = { 0 };
  g_auto(UnetTrainOptions) b = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *again = NULL;

  small_options (&a, "/data/x", "/tmp/y");
  a.seed = G_GUINT64_CONSTANT (18446744073709551557);
  a.weighted_loss = TRUE;
  a.augment_options.rotation = 7.5;
  a.augment_options.copy_paste = 0.375;
  a.paste_balance = 0.625;
  a.estimate_bn = FALSE;
  a.val_every = 3;
  a.model.padding = UNET_PADDING_VALID;
  /* "no validation" must survive a resume, not fall back to the default split */
  g_clear_pointer (&a.val_split, g_free);
  json = unet_train_options_to_json (&a);

  unet_train_options_init_default (&b);
  g_assert_true (unet_train_options_from_json (&b, json, &error));
  g_assert_no_error (error);
  again = unet_train_options_to_json (&b);
  g_assert_cmpstr (json, ==, again);
  g_assert_true (b.seed == a.seed);
  g_assert_cmpint (b.model.padding, ==, UNET_PADDING_VALID);
  g_assert_cmpfloat (b.augment_options.rotation, ==, 7.5);
  g_assert_cmpfloat (b.augment_options.copy_paste, ==, 0.375);
  g_assert_cmpfloat (b.paste_balance, ==, 0.625);
  g_assert_false (b.estimate_bn);
  g_assert_null (b.val_split);
  g_assert_cmpint (b.val_every, ==, 3);

  g_assert_false (unet_train_options_from_json (&b, "{\"batch\": \"four\"}", &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "batch"));
  g_clear_error (&error);
  g_assert_false (unet_train_options_from_json (&b, "[1, 2]", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (unet_train_options_from_json (&b, "{\"padding\": \"diagonal\"}", &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT);
}

static void
test_bad_options (void)
{
  g_autofree char *dataset = make_dataset (4);
  g_autofree char *output = g_build_filename (dataset, "run", NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(UnetTrainer) trainer = NULL;
  g_autoptr(GError) error = NULL;

  small_options (&o, dataset, output);
  o.batch = 0;
  trainer = unet_trainer_new (&o, &error);
  g_assert_null (trainer);
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  o.batch = 2;
  o.max_classes = 3;
  trainer = unet_trainer_new (&o, &error);
  g_assert_null (trainer);
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "it must be 0 (no limit) to 2"));
  g_clear_error (&error);
  o.max_classes = 0;

  g_free (o.dataset);
  o.dataset = g_build_filename (dataset, "nothing-here", NULL);
  trainer = unet_trainer_new (&o, &error);
  g_assert_null (trainer);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "nothing-here"));
  g_clear_error (&error);

  g_assert_null (unet_trainer_resume (output, 0, 0, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "last.safetensors"));

  remove_tree (dataset);
}

static GBytes *
weights_of (UnetModel *model)
{
  GByteArray *bytes = g_byte_array_new ();

  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);
      g_byte_array_append (bytes, (guint8 *) param->data, param->numel * sizeof (float));
    }
  return g_byte_array_free_to_bytes (bytes);
}

static void
test_resume_is_exact (void)
{
  g_autofree char *dataset = make_dataset (6);
  g_autofree char *straight = g_build_filename (dataset, "straight", NULL);
  g_autofree char *stopped = g_build_filename (dataset, "stopped", NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) expected = NULL;
  g_autoptr(GBytes) got = NULL;
  g_autofree char *log_a = NULL, *log_b = NULL;
  g_autofree char *path = NULL;

  small_options (&o, dataset, straight);
  o.weighted_loss = TRUE;
  {
    g_autoptr(UnetTrainer) trainer = unet_trainer_new (&o, &error);
    g_assert_no_error (error);
    g_assert_true (unet_trainer_run (trainer, &error));
    g_assert_no_error (error);
    g_assert_cmpint (unet_trainer_get_step (trainer), ==, 8);
    expected = weights_of (unet_trainer_get_model (trainer));
  }

  g_free (o.output_dir);
  o.output_dir = g_strdup (stopped);
  {
    g_autoptr(UnetTrainer) trainer = unet_trainer_new (&o, &error);
    g_assert_no_error (error);
    for (int i = 0; i < 5; i++)
      g_assert_true (unet_trainer_step (trainer, &error));
    g_assert_true (unet_trainer_save_checkpoint (trainer, &error));
    g_assert_no_error (error);
    /* a step after the checkpoint is lost with the "crash", and its log lines must go too */
    g_assert_true (unet_trainer_step (trainer, &error));
  }
  {
    g_autoptr(UnetTrainer) trainer = unet_trainer_resume (stopped, 0, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpint (unet_trainer_get_step (trainer), ==, 5);
    g_assert_true (unet_trainer_run (trainer, &error));
    g_assert_no_error (error);
    got = weights_of (unet_trainer_get_model (trainer));
  }
  g_assert_true (g_bytes_equal (expected, got));

  /* the logs agree too, but for the measured speed */
  path = g_build_filename (straight, "log.csv", NULL);
  g_assert_true (g_file_get_contents (path, &log_a, NULL, NULL));
  g_free (path);
  path = g_build_filename (stopped, "log.csv", NULL);
  g_assert_true (g_file_get_contents (path, &log_b, NULL, NULL));
  {
    g_auto(GStrv) a = g_strsplit (log_a, "\n", -1);
    g_auto(GStrv) b = g_strsplit (log_b, "\n", -1);

    g_assert_cmpuint (g_strv_length (a), ==, g_strv_length (b));
    for (guint i = 0; a[i]; i++)
      {
        g_auto(GStrv) fa = g_strsplit (a[i], ",", -1);
        g_auto(GStrv) fb = g_strsplit (b[i], ",", -1);

        g_assert_cmpuint (g_strv_length (fa), ==, g_strv_length (fb));
        for (guint j = 0; fa[j]; j++)
          if (j != 4) /* images_per_s */
            g_assert_cmpstr (fa[j], ==, fb[j]);
      }
  }

  /* a finished run can be extended */
  {
    g_autoptr(UnetTrainer) trainer = unet_trainer_resume (straight, 10, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpint (unet_trainer_get_total_steps (trainer), ==, 10);
    g_assert_true (unet_trainer_run (trainer, &error));
    g_assert_cmpint (unet_trainer_get_step (trainer), ==, 10);
  }
  remove_tree (dataset);
}

typedef struct
{
  int     n_progress;
  int     n_evaluated;
  int     n_finished;
  double  first_losses;
  double  last_losses;
  gint64  total;
  double  last_miou;
} Seen;

static void
count_event (const UnetTrainEvent *event,
             gpointer              user_data)
{
  Seen *seen = user_data;

  switch (event->kind)
    {
    case UNET_TRAIN_EVENT_PROGRESS:
      seen->n_progress++;
      if (event->step <= 10)
        seen->first_losses += event->loss;
      if (event->step > event->total_steps - 10)
        seen->last_losses += event->loss;
      seen->total = event->total_steps;
      g_assert_cmpfloat (event->images_per_s, >, 0.0);
      break;
    case UNET_TRAIN_EVENT_EVALUATED:
      seen->n_evaluated++;
      seen->last_miou = event->miou;
      g_assert_nonnull (event->sample_prediction);
      g_assert_cmpint (event->n_classes, ==, 3);
      break;
    case UNET_TRAIN_EVENT_FINISHED:
      seen->n_finished++;
      g_assert_true (g_file_test (event->path, G_FILE_TEST_EXISTS));
      break;
    default:
      break;
    }
}

static void
test_learns (void)
{
  g_autofree char *dataset = make_dataset (10);
  g_autofree char *output = g_build_filename (dataset, "run", NULL);
  g_autofree char *best = g_build_filename (output, "best.safetensors", NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetTrainer) trainer = NULL;
  g_autoptr(UnetModel) model = NULL;
  Seen seen = { 0 };

  small_options (&o, dataset, output);
  o.steps = 0;
  o.epochs = 15;
  o.batch = 4;
  o.lr = 0.1;
  o.augment_options.elastic_sigma = 0.0;
  o.val_every = 1;
  trainer = unet_trainer_new (&o, &error);
  g_assert_no_error (error);
  unet_trainer_set_event_func (trainer, count_event, &seen);
  g_assert_true (unet_trainer_run (trainer, &error));
  g_assert_no_error (error);

  /* 8 training images (the seeded plain split keeps 2 for validation), batch 4: 2 steps/epoch */
  g_assert_cmpint (seen.total, ==, 30);
  g_assert_cmpint (seen.n_progress, ==, 30);
  g_assert_cmpint (seen.n_evaluated, ==, 15);

  /* every third epoch, and the last: epochs 3, 6, 9, 12, 15 */
  g_assert_cmpint (seen.n_finished, ==, 1);
  g_clear_pointer (&trainer, unet_trainer_free);
  remove_tree (output);
  seen = (Seen) { 0 };
  o.val_every = 3;
  trainer = unet_trainer_new (&o, &error);
  g_assert_no_error (error);
  unet_trainer_set_event_func (trainer, count_event, &seen);
  g_assert_true (unet_trainer_run (trainer, &error));
  g_assert_cmpint (seen.n_evaluated, ==, 5);
  g_assert_cmpint (seen.n_finished, ==, 1);

  /* automatic (the default): epochs of 2 steps, validations at least 100 steps apart, so in
   * 30 steps only the last one */
  {
    Seen automatic = { 0 };
    g_autofree char *other = g_strconcat (output, "-auto", NULL);

    g_clear_pointer (&trainer, unet_trainer_free);
    g_free (o.output_dir);
    o.output_dir = g_strdup (other);
    o.val_every = UNET_VAL_EVERY_AUTO;
    trainer = unet_trainer_new (&o, &error);
    g_assert_no_error (error);
    unet_trainer_set_event_func (trainer, count_event, &automatic);
    g_assert_true (unet_trainer_run (trainer, &error));
    g_assert_cmpint (automatic.n_progress, ==, 30);
    g_assert_cmpint (automatic.n_evaluated, ==, 1);
    remove_tree (other);
    o.val_every = 3;
  }
  g_test_message ("mean loss of the first 10 steps %.3f, of the last 10 %.3f; final val mIoU %.3f",
                  seen.first_losses / 10, seen.last_losses / 10, seen.last_miou);
  g_assert_cmpfloat (seen.last_losses, <, 0.7 * seen.first_losses);

  model = unet_model_load (best, &error);
  g_assert_no_error (error);
  g_assert_nonnull (unet_model_get_info (model, "val_miou"));
  g_assert_cmpstr (unet_model_get_class_names (model)[1], ==, "red");

  remove_tree (dataset);
}

typedef struct
{
  gint64 times[64];   /* monotonic µs of each step's progress event */
  double reported;    /* the last images/s the trainer reported */
  int    n;
} Pace;

static void
record_pace (const UnetTrainEvent *event,
             gpointer              user_data)
{
  Pace *pace = user_data;

  if (event->kind != UNET_TRAIN_EVENT_PROGRESS || pace->n >= (int) G_N_ELEMENTS (pace->times))
    return;
  pace->times[pace->n++] = g_get_monotonic_time ();
  pace->reported = event->images_per_s;
}

/* The images/s reported (and the ETA made from it) is the wall clock's: with a validation
 * every 6 steps, costing about as much as those steps, the pace counts it. The clock here is
 * the time between the steps' progress events, smoothed as the trainer says it smooths (an
 * average of seconds per step, weight 0.05 for the newest): the two see the same intervals, so
 * a loaded machine moves both alike. A pace of the steps alone, validations left out, is about
 * twice the clock's. */
static void
test_pace_is_wall_clock (void)
{
  g_autofree char *dataset = make_dataset (15);
  g_autofree char *output = g_build_filename (dataset, "run", NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetTrainer) trainer = NULL;
  Pace pace = { 0 };
  double seconds, clock;

  small_options (&o, dataset, output);
  o.steps = 60;
  o.val_every = 1;
  trainer = unet_trainer_new (&o, &error);
  g_assert_no_error (error);
  unet_trainer_set_event_func (trainer, record_pace, &pace);
  g_assert_true (unet_trainer_run (trainer, &error));
  g_assert_no_error (error);

  /* 12 training images, batch 2: 6 steps an epoch, each ended by a validation */
  g_assert_cmpint (pace.n, ==, 60);
  seconds = (pace.times[1] - pace.times[0]) / 1e6;
  for (int i = 2; i < pace.n; i++)
    seconds = 0.95 * seconds + 0.05 * (pace.times[i] - pace.times[i - 1]) / 1e6;
  clock = o.batch / seconds;
  g_test_message ("reported %.1f images/s, the clock %.1f", pace.reported, clock);
  g_assert_cmpfloat (pace.reported, >, 0.85 * clock);
  g_assert_cmpfloat (pace.reported, <, 1.15 * clock);
  remove_tree (dataset);
}

static void
test_existing_run_refused (void)
{
  g_autofree char *dataset = make_dataset (4);
  g_autofree char *output = g_build_filename (dataset, "run", NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(GError) error = NULL;

  small_options (&o, dataset, output);
  o.steps = 1;
  {
    g_autoptr(UnetTrainer) trainer = unet_trainer_new (&o, &error);
    g_assert_true (unet_trainer_run (trainer, &error));
  }
  {
    g_autoptr(UnetTrainer) trainer = unet_trainer_new (&o, &error);
    g_assert_null (trainer);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_assert_nonnull (strstr (error->message, "--resume"));
  }
  remove_tree (dataset);
}

static void
test_real_voc (void)
{
  const char *root = g_getenv ("VOC2007_ROOT");
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(UnetTrainer) trainer = NULL;

  if (root == NULL || !g_file_test (root, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("VOC2007_ROOT is not set or missing");
      return;
    }

  output = g_dir_make_tmp ("unet-voc-run-XXXXXX", &error);
  g_assert_no_error (error);
  g_rmdir (output);
  small_options (&o, root, output);
  o.model.classes = 21;
  o.model.padding = UNET_PADDING_VALID;
  o.model.norm = UNET_NORM_NONE;
  o.tile = 44;
  o.steps = 2;
  o.skip_bad = TRUE;
  g_free (o.val_split);
  o.val_split = NULL;

  /* strict: the split lists name images this subset does not have */
  o.skip_bad = FALSE;
  trainer = unet_trainer_new (&o, &error);
  g_assert_null (trainer);
  g_assert_nonnull (error);
  g_clear_error (&error);

  o.skip_bad = TRUE;
  g_test_expect_message ("train", G_LOG_LEVEL_WARNING, "*skipping 189 of the 209 ids*");
  trainer = unet_trainer_new (&o, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_true (unet_trainer_run (trainer, &error));
  g_assert_no_error (error);
  g_clear_pointer (&trainer, unet_trainer_free);
  remove_tree (output);
}

static void
check_scaled_event (const UnetTrainEvent *event,
                    gpointer              user_data)
{
  int *n_evaluated = user_data;

  /* validation predicts at the model's scale but scores at the image's full size */
  if (event->kind == UNET_TRAIN_EVENT_EVALUATED)
    {
      g_assert_cmpint (event->sample_width, ==, SIDE);
      g_assert_cmpint (event->sample_height, ==, SIDE);
      (*n_evaluated)++;
    }
}

/* A run at input scale 0.5 trains on half-size crops, validates at half size, and every model it
 * saves says so; the option survives the checkpoint, and runs from before it read as 1. */
static void
test_input_scale (void)
{
  g_autofree char *dataset = make_dataset (6);
  g_autofree char *output = g_build_filename (dataset, "half", NULL);
  g_autofree char *plain = g_build_filename (dataset, "plain", NULL);
  g_autofree char *init = g_build_filename (dataset, "init", NULL);
  g_autofree char *best = g_build_filename (output, "best.safetensors", NULL);
  g_autofree char *last = g_build_filename (output, "last.safetensors", NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(GError) error = NULL;
  int n_evaluated = 0;

  small_options (&o, dataset, output);
  o.steps = 4;
  o.input_scale = 0.5;
  {
    g_autoptr(UnetTrainer) trainer = unet_trainer_new (&o, &error);

    g_assert_no_error (error);
    g_assert_cmpfloat (unet_model_get_input_scale (unet_trainer_get_model (trainer)), ==, 0.5);
    unet_trainer_set_event_func (trainer, check_scaled_event, &n_evaluated);
    for (int i = 0; i < 2; i++)
      g_assert_true (unet_trainer_step (trainer, &error));
    g_assert_no_error (error);
    g_assert_true (unet_trainer_validate (trainer, &error));
    g_assert_no_error (error);
    g_assert_true (unet_trainer_save_checkpoint (trainer, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpint (n_evaluated, ==, 1);
  {
    g_autoptr(UnetModel) model = unet_model_load (best, &error);

    g_assert_no_error (error);
    g_assert_cmpfloat (unet_model_get_input_scale (model), ==, 0.5);
  }

  /* resuming keeps the stored scale */
  {
    g_autoptr(UnetTrainer) trainer = unet_trainer_resume (output, 0, 0, &error);
    g_autoptr(UnetModel) model = NULL;

    g_assert_no_error (error);
    g_assert_cmpfloat (unet_trainer_get_options (trainer)->input_scale, ==, 0.5);
    g_assert_cmpfloat (unet_model_get_input_scale (unet_trainer_get_model (trainer)), ==, 0.5);
    g_assert_true (unet_trainer_run (trainer, &error));
    g_assert_no_error (error);
    model = unet_model_load (last, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (unet_model_get_input_scale (model), ==, 0.5);
  }

  /* without augmentation, the centred crops are scaled too; a different scale is a different run */
  {
    g_autoptr(UnetTrainer) half = NULL;
    g_autoptr(UnetTrainer) full = NULL;
    g_autoptr(GBytes) half_weights = NULL;
    g_autoptr(GBytes) full_weights = NULL;

    g_free (o.output_dir);
    o.output_dir = g_build_filename (dataset, "no-augment-half", NULL);
    o.augment = FALSE;
    o.steps = 2;
    half = unet_trainer_new (&o, &error);
    g_assert_no_error (error);
    g_assert_true (unet_trainer_run (half, &error));
    g_assert_no_error (error);
    half_weights = weights_of (unet_trainer_get_model (half));

    g_free (o.output_dir);
    o.output_dir = g_build_filename (dataset, "no-augment-full", NULL);
    o.input_scale = 1.0;
    full = unet_trainer_new (&o, &error);
    g_assert_no_error (error);
    g_assert_true (unet_trainer_run (full, &error));
    g_assert_no_error (error);
    full_weights = weights_of (unet_trainer_get_model (full));
    g_assert_false (g_bytes_equal (half_weights, full_weights));
    g_assert_cmpfloat (unet_model_get_input_scale (unet_trainer_get_model (full)), ==, 1.0);
    o.augment = TRUE;
  }

  /* --init: the run's scale wins over the file's */
  {
    g_autoptr(UnetTrainer) trainer = NULL;

    g_free (o.output_dir);
    o.output_dir = g_strdup (init);
    o.init_from = g_strdup (best);
    o.input_scale = 1.0;
    o.steps = 1;
    g_test_expect_message ("train", G_LOG_LEVEL_MESSAGE, "*input scale 0.5; this run uses 1*");
    trainer = unet_trainer_new (&o, &error);
    g_test_assert_expected_messages ();
    g_assert_no_error (error);
    g_assert_cmpfloat (unet_model_get_input_scale (unet_trainer_get_model (trainer)), ==, 1.0);
    g_clear_pointer (&o.init_from, g_free);
  }

  /* out of range */
  {
    const double bad[] = { 0.0, -0.5, 4.5, NAN };

    g_free (o.output_dir);
    o.output_dir = g_strdup (plain);
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        o.input_scale = bad[i];
        assert_refused (&o, "Input scale");
      }
  }

  remove_tree (dataset);
}

/* The options' JSON keeps the input scale, and an old run without the member reads as 1. */
static void
test_input_scale_json (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(UnetTrainOptions) a = { 0 };
  g_auto(UnetTrainOptions) b = { 0 };
  g_auto(UnetTrainOptions) c = { 0 };
  g_autofree char *json = NULL;
  g_autofree char *again = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) without = g_string_new (NULL);

  small_options (&a, "/data/x", "/tmp/y");
  a.input_scale = 0.375;
  json = unet_train_options_to_json (&a);
  g_assert_nonnull (strstr (json, "\"input_scale\""));
  unet_train_options_init_default (&b);
  g_assert_cmpfloat (b.input_scale, ==, 1.0);
  g_assert_true (unet_train_options_from_json (&b, json, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (b.input_scale, ==, 0.375);
  again = unet_train_options_to_json (&b);
  g_assert_cmpstr (json, ==, again);

  lines = g_strsplit (json, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "\"input_scale\"") == NULL)
      g_string_append_printf (without, "%s\n", lines[i]);
  unet_train_options_init_default (&c);
  g_assert_true (unet_train_options_from_json (&c, without->str, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (c.input_scale, ==, 1.0);
  g_assert_cmpint (c.batch, ==, a.batch);

  g_assert_false (unet_train_options_from_json (&c, "{\"input_scale\": \"half\"}", &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "input_scale"));
}

static void
record_val_loss (const UnetTrainEvent *event,
                 gpointer              user_data)
{
  double *val_loss = user_data;

  if (event->kind == UNET_TRAIN_EVENT_EVALUATED)
    *val_loss = event->val_loss;
}

/* The limit on foreground classes per image goes into the model the run trains and saves, and
 * into the run's options; the validation loss stays the network's own; out of range is
 * refused. */
static void
test_max_classes (void)
{
  g_autofree char *dataset = make_dataset (4);
  g_autofree char *output = g_build_filename (dataset, "limited", NULL);
  g_autofree char *best = g_build_filename (output, "best.safetensors", NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(GError) error = NULL;

  small_options (&o, dataset, output);
  o.steps = 2;
  {
    g_autofree char *unlimited_output = g_build_filename (dataset, "unlimited", NULL);
    g_autoptr(UnetTrainer) unlimited = NULL;
    g_autoptr(UnetTrainer) trainer = NULL;
    g_autoptr(UnetModel) saved = NULL;
    double unlimited_loss = -1.0, limited_loss = -2.0;

    g_free (o.output_dir);
    o.output_dir = g_strdup (unlimited_output);
    unlimited = unet_trainer_new (&o, &error);
    g_assert_no_error (error);
    unet_trainer_set_event_func (unlimited, record_val_loss, &unlimited_loss);
    g_assert_true (unet_trainer_run (unlimited, &error));
    g_assert_no_error (error);

    g_free (o.output_dir);
    o.output_dir = g_strdup (output);
    o.max_classes = 1;
    trainer = unet_trainer_new (&o, &error);
    g_assert_no_error (error);
    g_assert_cmpint (unet_model_get_max_classes (unet_trainer_get_model (trainer)), ==, 1);
    unet_trainer_set_event_func (trainer, record_val_loss, &limited_loss);
    g_assert_true (unet_trainer_run (trainer, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat (limited_loss, ==, unlimited_loss);
    saved = unet_model_load (best, &error);
    g_assert_no_error (error);
    g_assert_cmpint (unet_model_get_max_classes (saved), ==, 1);
  }
  {
    g_autoptr(UnetTrainer) resumed = unet_trainer_resume (output, 3, 0, &error);

    g_assert_no_error (error);
    g_assert_cmpint (unet_trainer_get_options (resumed)->max_classes, ==, 1);
    g_assert_cmpint (unet_model_get_max_classes (unet_trainer_get_model (resumed)), ==, 1);
  }

  for (int bad = -1; bad <= o.model.classes; bad += o.model.classes + 1)
    {
      g_autofree char *other = g_build_filename (dataset, "bad", NULL);

      g_free (o.output_dir);
      o.output_dir = g_steal_pointer (&other);
      o.max_classes = bad;
      assert_refused (&o, "Foreground classes per image");
    }

  remove_tree (dataset);
}

/* Trains `steps` steps with copy-paste probability p into a fresh folder; returns the weights. */
static GArray *
train_with_copy_paste (const char *dataset,
                       const char *name,
                       double      p,
                       double      balance,
                       gboolean    weighted,
                       gint64      steps)
{
  g_autofree char *output = g_build_filename (dataset, name, NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(UnetTrainer) trainer = NULL;
  g_autoptr(GError) error = NULL;
  GArray *weights = g_array_new (FALSE, FALSE, sizeof (float));
  UnetModel *model;

  small_options (&o, dataset, output);
  /* every image, so that a dataset of three has the classes 1, 2, 1 */
  g_free (o.train_split);
  o.train_split = g_strdup ("all");
  o.steps = steps;
  o.threads = 1;
  o.weighted_loss = weighted;
  g_clear_pointer (&o.val_split, g_free);
  o.augment_options.copy_paste = p;
  o.paste_balance = balance;
  trainer = unet_trainer_new (&o, &error);
  g_assert_no_error (error);
  g_assert_true (unet_trainer_run (trainer, &error));
  g_assert_no_error (error);
  model = unet_trainer_get_model (trainer);
  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);

      g_array_append_vals (weights, param->data, param->numel);
    }
  return weights;
}

/* Copy-paste changes what the network sees, and a run with it is as reproducible as without;
 * probabilities outside [0, 1] are refused. */
static void
test_copy_paste (void)
{
  g_autofree char *dataset = make_dataset (4);

  for (int weighted = 0; weighted < 2; weighted++)
    {
      g_autoptr(GArray) plain = train_with_copy_paste (dataset, "plain", 0.0, 0.0, weighted, 3);
      g_autoptr(GArray) pasted = train_with_copy_paste (dataset, "pasted", 1.0, 0.0, weighted, 3);
      g_autoptr(GArray) again = train_with_copy_paste (dataset, "again", 1.0, 0.0, weighted, 3);

      g_assert_cmpuint (plain->len, ==, pasted->len);
      g_assert_true (memcmp (plain->data, pasted->data, plain->len * sizeof (float)) != 0);
      g_assert_cmpmem (pasted->data, pasted->len * sizeof (float),
                       again->data, again->len * sizeof (float));
      remove_tree (dataset);
      g_free (dataset);
      dataset = make_dataset (4);
    }

  {
    g_autofree char *output = g_build_filename (dataset, "bad", NULL);
    const double bad[] = { -0.1, 1.5, NAN };
    g_auto(UnetTrainOptions) o = { 0 };

    small_options (&o, dataset, output);
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        o.augment_options.copy_paste = bad[i];
        assert_refused (&o, "Copy-paste");
      }
  }
  remove_tree (dataset);
}

/* Drawing the pasted samples by repeat factor changes what the network sees (in a dataset where
 * class 2 is in one image of three, its draws go from a third to 0.41), reproducibly; thresholds
 * outside [0, 1], and a balance without copy-paste, are refused. */
static void
test_paste_balance (void)
{
  g_autofree char *dataset = make_dataset (3);
  g_autoptr(GArray) alike = train_with_copy_paste (dataset, "alike", 1.0, 0.0, FALSE, 12);
  g_autoptr(GArray) balanced = train_with_copy_paste (dataset, "balanced", 1.0, 1.0, FALSE, 12);
  g_autoptr(GArray) again = train_with_copy_paste (dataset, "again", 1.0, 1.0, FALSE, 12);
  g_autofree char *output = g_build_filename (dataset, "bad", NULL);
  const double bad[] = { -0.5, 1.01, NAN };
  g_auto(UnetTrainOptions) o = { 0 };

  g_assert_true (memcmp (alike->data, balanced->data, alike->len * sizeof (float)) != 0);
  g_assert_cmpmem (balanced->data, balanced->len * sizeof (float),
                   again->data, again->len * sizeof (float));

  small_options (&o, dataset, output);
  o.augment_options.copy_paste = 0.5;
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      o.paste_balance = bad[i];
      assert_refused (&o, "balance");
    }

  /* a balance without copy-paste would be silently ignored */
  o.paste_balance = 0.3;
  o.augment_options.copy_paste = 0.0;
  assert_refused (&o, "without copy-paste");
  remove_tree (dataset);
}

/* Splits a model's floats into the trainable ones and the running statistics. */
static void
split_params (UnetModel *model,
              GArray    *trainable,
              GArray    *running)
{
  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);

      g_array_append_vals (param->kind == UNET_PARAM_RUNNING_STAT ? running : trainable,
                           param->data, param->numel);
    }
}

/* Re-estimating batch norm's statistics before validation leaves training alone (the same
 * trainable weights) and changes only the running statistics, which the saved model has; the
 * same run twice gives the same statistics. */
static void
test_estimate_bn (void)
{
  g_autofree char *dataset = make_dataset (5);
  GArray *trainable[3] = { NULL };
  GArray *running[3] = { NULL };
  g_autoptr(GError) error = NULL;

  for (int run = 0; run < 3; run++)
    {
      g_autofree char *name = g_strdup_printf ("run%d", run);
      g_autofree char *output = g_build_filename (dataset, name, NULL);
      g_autofree char *best = g_build_filename (output, "best.safetensors", NULL);
      g_auto(UnetTrainOptions) o = { 0 };
      g_autoptr(UnetTrainer) trainer = NULL;
      g_autoptr(UnetModel) saved = NULL;
      g_autoptr(GArray) saved_trainable = g_array_new (FALSE, FALSE, sizeof (float));
      g_autoptr(GArray) saved_running = g_array_new (FALSE, FALSE, sizeof (float));

      small_options (&o, dataset, output);
      o.steps = 4;
      o.threads = 1;
      o.estimate_bn = run != 0;
      trainer = unet_trainer_new (&o, &error);
      g_assert_no_error (error);
      g_assert_true (unet_trainer_run (trainer, &error));
      g_assert_no_error (error);
      trainable[run] = g_array_new (FALSE, FALSE, sizeof (float));
      running[run] = g_array_new (FALSE, FALSE, sizeof (float));
      split_params (unet_trainer_get_model (trainer), trainable[run], running[run]);

      saved = unet_model_load (best, &error);
      g_assert_no_error (error);
      split_params (saved, saved_trainable, saved_running);
      g_assert_cmpmem (saved_running->data, saved_running->len * sizeof (float),
                       running[run]->data, running[run]->len * sizeof (float));
    }

  g_assert_cmpmem (trainable[0]->data, trainable[0]->len * sizeof (float),
                   trainable[1]->data, trainable[1]->len * sizeof (float));
  g_assert_true (memcmp (running[0]->data, running[1]->data,
                         running[0]->len * sizeof (float)) != 0);
  g_assert_cmpmem (running[1]->data, running[1]->len * sizeof (float),
                   running[2]->data, running[2]->len * sizeof (float));
  for (int run = 0; run < 3; run++)
    {
      g_array_unref (trainable[run]);
      g_array_unref (running[run]);
    }
  remove_tree (dataset);
}

/* The trainer and the app link the implementation without MPI: it says why it cannot start. */
static void
test_distributed_unavailable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetDistributed) dist = NULL;

  g_assert_false (unet_distributed_is_available ());
  dist = unet_distributed_new (&error);
  g_assert_null (dist);
  g_assert_error (error, UNET_DISTRIBUTED_ERROR, UNET_DISTRIBUTED_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "-Dmpi=enabled"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/trainer/options/json", test_options_json);
  g_test_add_func ("/trainer/options/bad", test_bad_options);
  g_test_add_func ("/trainer/options/existing-run", test_existing_run_refused);
  g_test_add_func ("/trainer/resume/exact", test_resume_is_exact);
  g_test_add_func ("/trainer/learns", test_learns);
  g_test_add_func ("/trainer/pace-is-wall-clock", test_pace_is_wall_clock);
  g_test_add_func ("/trainer/real-voc", test_real_voc);
  g_test_add_func ("/trainer/input-scale", test_input_scale);
  g_test_add_func ("/trainer/input-scale/json", test_input_scale_json);
  g_test_add_func ("/trainer/max-classes", test_max_classes);
  g_test_add_func ("/trainer/copy-paste", test_copy_paste);
  g_test_add_func ("/trainer/paste-balance", test_paste_balance);
  g_test_add_func ("/trainer/estimate-bn", test_estimate_bn);
  g_test_add_func ("/trainer/distributed-unavailable", test_distributed_unavailable);

  return g_test_run ();
}
