/* test-dashboard.c: the training dashboard driving real runs on the VOC2007 subset
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "app/studio-dashboard.h"
#include "app/studio-dataset-summary.h"
#include "studio-test-util.h"
#include "app/studio-run-history.h"
#include "voc-test-datasets.h"
#include "voc-test-util.h"

typedef struct
{
  StudioWorker    *worker;
  GSettings       *settings;
  GtkWidget       *window;
  StudioDashboard *dashboard;
  char            *tmp_dir;
  char            *voc_root;       /* the VOCdevkit the runs use */
  int              n_classes;      /* the dataset's */

  /* what the worker reported */
  gint64           last_step;
  gint64           total_steps;
  guint            n_evaluated;
  int              sample_width;
  int              sample_height;

  /* what the dashboard reported */
  gboolean         run_going;
  gboolean         ended;
  char            *ended_model;
  char            *ended_message;
  gboolean         idle_too_early;
} Fixture;

typedef gboolean (*Condition) (Fixture *f);

static gboolean
wait_until (Fixture   *f,
            Condition  condition,
            double     timeout_seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (timeout_seconds * G_USEC_PER_SEC);

  while (!condition (f) && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  return condition (f);
}

static void
on_train_event (Fixture              *f,
                const UnetTrainEvent *event)
{
  if (event->kind == UNET_TRAIN_EVENT_PROGRESS)
    {
      /* steps only go forward, by one */
      g_assert_cmpint (event->step, ==, f->last_step + 1);
      f->last_step = event->step;
      f->total_steps = event->total_steps;
    }
  else if (event->kind == UNET_TRAIN_EVENT_EVALUATED)
    {
      f->n_evaluated++;
      f->sample_width = event->sample_width;
      f->sample_height = event->sample_height;
    }
}

/* Connected after the dashboard's own handler, so the dashboard has seen the change. */
static void
on_worker_state (Fixture *f)
{
  if (f->run_going && studio_dashboard_get_state (f->dashboard) == STUDIO_TRAIN_STATE_IDLE)
    f->idle_too_early = TRUE;
}

static void
on_run_ended (Fixture    *f,
              const char *model_path,
              const char *message)
{
  g_assert_cmpint (studio_dashboard_get_state (f->dashboard), ==, STUDIO_TRAIN_STATE_IDLE);
  f->run_going = FALSE;
  f->ended = TRUE;
  g_free (f->ended_model);
  g_free (f->ended_message);
  f->ended_model = g_strdup (model_path);
  f->ended_message = g_strdup (message);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->tmp_dir = g_dir_make_tmp ("test-dashboard-XXXXXX", &error);
  g_assert_no_error (error);
  f->n_classes = VOC_N_CLASSES;

  f->worker = studio_worker_new ();
  f->settings = g_settings_new (APPLICATION_ID);
  g_settings_reset (f->settings, "recent-datasets");

  f->dashboard = g_object_ref_sink (g_object_new (STUDIO_TYPE_DASHBOARD, NULL));
  studio_dashboard_set_settings (f->dashboard, f->settings);
  studio_dashboard_set_worker (f->dashboard, f->worker);
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1100, 760);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->dashboard));
  gtk_window_present (GTK_WINDOW (f->window));

  g_signal_connect_swapped (f->worker, "train-event", G_CALLBACK (on_train_event), f);
  g_signal_connect_swapped (f->worker, "notify::train-state", G_CALLBACK (on_worker_state), f);
  g_signal_connect_swapped (f->dashboard, "run-ended", G_CALLBACK (on_run_ended), f);
  studio_test_spin (0.1);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_signal_handlers_disconnect_by_data (f->worker, f);
  g_signal_handlers_disconnect_by_data (f->dashboard, f);
  gtk_window_destroy (GTK_WINDOW (f->window));
  studio_test_spin (0.05);
  g_assert_finalize_object (f->dashboard);

  studio_worker_shutdown (f->worker);
  g_assert_finalize_object (f->worker);
  g_assert_finalize_object (f->settings);

  voc_test_rm_rf (f->tmp_dir);
  g_free (f->tmp_dir);
  g_free (f->voc_root);
  g_free (f->ended_model);
  g_free (f->ended_message);
}

/* depth 2, base 4, tiles of 64, batches of 2: 10 steps an epoch on the 20 training images */
static void
tiny_options (Fixture          *f,
              UnetTrainOptions *o,
              const char       *run_name,
              gint64            steps)
{
  unet_train_options_init_default (o);
  o->dataset = g_strdup (f->voc_root);
  o->skip_bad = TRUE;
  o->model.depth = 2;
  o->model.base = 4;
  o->model.padding = UNET_PADDING_SAME;
  o->model.norm = UNET_NORM_BATCH;
  o->model.dropout = 0.0f;
  o->tile = 64;
  o->batch = 2;
  o->steps = steps;
  o->val_every = 1;
  o->threads = 2;
  o->output_dir = g_build_filename (f->tmp_dir, run_name, NULL);
}

/* The shared VOCdevkit lists 209 train and 213 val ids but holds the files of 20 and 16 of them;
 * the trainer would warn about the others (and warnings are fatal here). This builds a VOCdevkit
 * in the test's folder whose lists name only the ids that are there, with links to the shared
 * images and masks. */
static void
write_available_split (const char *source_voc,
                       const char *voc,
                       const char *split)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *list = g_strdup_printf ("%s/ImageSets/Segmentation/%s.txt", source_voc, split);
  g_autofree char *out = g_strdup_printf ("%s/ImageSets/Segmentation/%s.txt", voc, split);
  g_autoptr(GString) kept = g_string_new (NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) ids = NULL;

  g_assert_true (g_file_get_contents (list, &contents, NULL, &error));
  g_assert_no_error (error);
  ids = g_strsplit (contents, "\n", -1);
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *id = g_strstrip (g_strdup (ids[i]));
      g_autofree char *image = g_strdup_printf ("%s/JPEGImages/%s.jpg", source_voc, id);
      g_autofree char *mask = g_strdup_printf ("%s/SegmentationClass/%s.png", source_voc, id);

      if (id[0] != '\0' && g_file_test (image, G_FILE_TEST_IS_REGULAR) &&
          g_file_test (mask, G_FILE_TEST_IS_REGULAR))
        g_string_append_printf (kept, "%s\n", id);
    }
  g_assert_cmpuint (kept->len, >, 0);
  g_assert_true (g_file_set_contents (out, kept->str, kept->len, &error));
  g_assert_no_error (error);
}

static gboolean
make_voc_subset (Fixture *f)
{
  static const char *folders[] = {
    "JPEGImages", "SegmentationClass", "SegmentationObject", "Annotations",
  };
  const char *root = g_getenv ("VOC2007_ROOT");
  g_autofree char *source_voc = NULL;
  g_autofree char *voc = NULL;
  g_autofree char *lists = NULL;

  if (root == NULL)
    {
      g_test_skip ("VOC2007_ROOT is not set");
      return FALSE;
    }
  source_voc = g_build_filename (root, "VOC2007", NULL);
  lists = g_build_filename (source_voc, "ImageSets", "Segmentation", NULL);
  if (!g_file_test (lists, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("VOC2007_ROOT holds no VOC2007 segmentation lists");
      return FALSE;
    }

  f->voc_root = g_build_filename (f->tmp_dir, "VOCdevkit", NULL);
  voc = g_build_filename (f->voc_root, "VOC2007", NULL);
  g_free (lists);
  lists = g_build_filename (voc, "ImageSets", "Segmentation", NULL);
  g_assert_cmpint (g_mkdir_with_parents (lists, 0755), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (folders); i++)
    {
      g_autofree char *target = g_build_filename (source_voc, folders[i], NULL);
      g_autofree char *link = g_build_filename (voc, folders[i], NULL);

      g_assert_cmpint (symlink (target, link), ==, 0);
    }
  write_available_split (source_voc, voc, "train");
  write_available_split (source_voc, voc, "val");
  return TRUE;
}

/* The form starts at the laptop defaults and gives back what it was given. */
/* Whether a spin button below root shows `text`. */
static gboolean
has_spin_showing (GtkWidget  *root,
                  const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_SPIN_BUTTON (child) &&
          g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (child)), text) == 0)
        return TRUE;
      if (has_spin_showing (child, text))
        return TRUE;
    }
  return FALSE;
}

static void
test_options (Fixture       *f,
              gconstpointer  data)
{
  g_auto(UnetTrainOptions) defaults = { 0 };
  g_auto(UnetTrainOptions) given = { 0 };
  g_auto(UnetTrainOptions) read = { 0 };

  studio_dashboard_get_options (f->dashboard, &defaults);
  g_assert_cmpint (defaults.model.padding, ==, UNET_PADDING_SAME);
  g_assert_cmpint (defaults.model.norm, ==, UNET_NORM_BATCH);
  g_assert_cmpint (defaults.model.base, ==, 16);
  g_assert_cmpint (defaults.tile, ==, 256);
  g_assert_cmpint (defaults.batch, ==, 4);
  g_assert_cmpfloat_with_epsilon (defaults.momentum, 0.99, 1e-9);
  g_assert_cmpstr (defaults.train_split, ==, "train");
  g_assert_cmpstr (defaults.val_split, ==, "val");
  g_assert_null (defaults.init_from);
  g_assert_null (defaults.output_dir);

  tiny_options (f, &given, "options", 7);
  given.dataset = g_build_filename (f->tmp_dir, "some-dataset", NULL);
  given.model.dropout = 0.25f;
  given.lr = 0.003;
  given.schedule = UNET_SCHEDULE_STEP;
  given.weighted_loss = TRUE;
  given.augment_options.rotation = 0.0;
  given.augment_options.elastic_sigma = 4.0;
  given.seed = 42;
  given.val_every = 3;
  given.time_limit = 600.0;
  studio_dashboard_set_options (f->dashboard, &given);
  studio_dashboard_get_options (f->dashboard, &read);

  g_assert_cmpstr (read.dataset, ==, given.dataset);
  g_assert_cmpstr (read.output_dir, ==, given.output_dir);
  g_assert_cmpint (read.model.depth, ==, 2);
  g_assert_cmpint (read.model.base, ==, 4);
  g_assert_cmpint (read.model.padding, ==, UNET_PADDING_SAME);
  g_assert_cmpint (read.model.norm, ==, UNET_NORM_BATCH);
  g_assert_cmpfloat_with_epsilon (read.model.dropout, 0.25, 1e-6);
  g_assert_cmpint (read.tile, ==, 64);
  g_assert_cmpint (read.batch, ==, 2);
  g_assert_cmpint (read.steps, ==, 7);
  g_assert_cmpint (read.threads, ==, 2);
  g_assert_cmpfloat_with_epsilon (read.lr, 0.003, 1e-9);
  g_assert_cmpint (read.schedule, ==, UNET_SCHEDULE_STEP);
  g_assert_true (read.weighted_loss);
  g_assert_true (read.skip_bad);
  g_assert_cmpfloat (read.augment_options.rotation, ==, 0.0);
  g_assert_cmpfloat (read.augment_options.elastic_sigma, ==, 4.0);
  g_assert_cmpuint (read.seed, ==, 42);
  g_assert_cmpint (read.val_every, ==, 3);
  g_assert_cmpfloat (read.time_limit, ==, 600.0);

  /* the automatic validation interval, the default, reads "Automatic" and comes back as 0 */
  {
    g_auto(UnetTrainOptions) automatic = { 0 };
    given.val_every = UNET_VAL_EVERY_AUTO;
    studio_dashboard_set_options (f->dashboard, &given);
    studio_dashboard_get_options (f->dashboard, &automatic);
    g_assert_cmpint (automatic.val_every, ==, UNET_VAL_EVERY_AUTO);
    g_assert_true (has_spin_showing (GTK_WIDGET (f->dashboard), "Automatic"));
  }
  /* no time limit, the default, reads "None" */
  {
    g_auto(UnetTrainOptions) unlimited = { 0 };
    given.time_limit = 0.0;
    studio_dashboard_set_options (f->dashboard, &given);
    studio_dashboard_get_options (f->dashboard, &unlimited);
    g_assert_cmpfloat (unlimited.time_limit, ==, 0.0);
    g_assert_true (has_spin_showing (GTK_WIDGET (f->dashboard), "None"));
  }
}

static void
test_no_dataset (Fixture       *f,
                 gconstpointer  data)
{
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(GError) error = NULL;

  tiny_options (f, &o, "no-dataset", 5);
  g_clear_pointer (&o.dataset, g_free);
  studio_dashboard_set_options (f->dashboard, &o);

  g_assert_false (studio_dashboard_start (f->dashboard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "dataset"));
  /* shown in the pane too */
  g_assert_cmpstr (studio_dashboard_get_error_message (f->dashboard), ==, error->message);
  g_assert_cmpint (studio_dashboard_get_state (f->dashboard), ==, STUDIO_TRAIN_STATE_IDLE);
  g_assert_cmpint (studio_worker_get_train_state (f->worker), ==, STUDIO_TRAIN_STATE_IDLE);
  g_assert_false (g_file_test (o.output_dir, G_FILE_TEST_EXISTS));
}

static void
test_memory (Fixture       *f,
             gconstpointer  data)
{
  g_auto(UnetTrainOptions) o = { 0 };
  g_auto(UnetTrainOptions) read = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) regex = NULL;

  if (!make_voc_subset (f))
    return;
  tiny_options (f, &o, "memory", 5);
  o.tile = 20000;
  o.batch = 64;
  studio_dashboard_set_options (f->dashboard, &o);
  studio_dashboard_get_options (f->dashboard, &read);
  g_assert_cmpint (read.tile, ==, 20000);
  g_assert_cmpint (read.batch, ==, 64);

  g_assert_false (studio_dashboard_start (f->dashboard, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY);
  g_test_message ("%s", error->message);
  /* g_format_size() puts a no-break space before the unit */
  regex = g_regex_new ("needs about [0-9.]+\\p{Zs}[kMGTPE]?B, but only [0-9.]+\\p{Zs}[kMGTPE]?B "
                       "of memory is free", 0, 0, NULL);
  g_assert_true (g_regex_match (regex, error->message, 0, NULL));
  g_assert_cmpstr (studio_dashboard_get_error_message (f->dashboard), ==, error->message);
  g_assert_cmpint (studio_dashboard_get_state (f->dashboard), ==, STUDIO_TRAIN_STATE_IDLE);
  g_assert_false (g_file_test (o.output_dir, G_FILE_TEST_EXISTS));
}

static gboolean
evaluated_once (Fixture *f)
{
  return f->n_evaluated >= 1;
}

static gboolean
is_paused (Fixture *f)
{
  return studio_dashboard_get_state (f->dashboard) == STUDIO_TRAIN_STATE_PAUSED;
}

static gboolean
has_ended (Fixture *f)
{
  return f->ended;
}

static gboolean
replayed (Fixture *f)
{
  return !studio_run_monitor_is_replaying (studio_dashboard_get_monitor (f->dashboard));
}

static gint64 paused_at;

static gboolean
moved_on (Fixture *f)
{
  return f->last_step > paused_at;
}

static guint
n_points (Fixture             *f,
          StudioDashboardPlot  which)
{
  return studio_plot_get_n_points (studio_dashboard_get_plot (f->dashboard, which), 0);
}

static void
check_plots (Fixture *f)
{
  StudioPlot *bars = studio_dashboard_get_plot (f->dashboard, STUDIO_DASHBOARD_PLOT_CLASS_IOU);

  g_assert_cmpuint (n_points (f, STUDIO_DASHBOARD_PLOT_LOSS), ==, f->last_step);
  g_assert_cmpuint (n_points (f, STUDIO_DASHBOARD_PLOT_MIOU), ==, f->n_evaluated);
  if (f->n_evaluated > 0)
    g_assert_cmpuint (studio_plot_get_n_bars (bars), ==, f->n_classes);
}

static gboolean
wait_for_summary (StudioDatasetSummary *summary)
{
  for (int i = 0; i < 600; i++)
    {
      if (studio_dataset_summary_is_ready (summary))
        return TRUE;
      studio_test_spin (0.05);
    }
  return FALSE;
}

/* A user's own two classes: binary masks (0 and 255), "membrane" and "cell" in classes.txt.
 * The dashboard trains a two-class model, its bars are the two classes, and the model it
 * ends with carries their names. */
static void
test_two_classes (Fixture       *f,
                  gconstpointer  data)
{
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetModel) model = NULL;
  g_autofree char *root = g_build_filename (f->tmp_dir, "em", NULL);
  g_autofree char *images = g_build_filename (root, "images", NULL);
  g_autofree char *masks = g_build_filename (root, "masks", NULL);
  g_autofree char *classes = g_build_filename (root, "classes.txt", NULL);
  const char *const names[] = { "membrane", "cell", NULL };

  g_assert_cmpint (g_mkdir_with_parents (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (masks, 0755), ==, 0);
  g_assert_true (g_file_set_contents (classes, "membrane\ncell\n", -1, &error));
  for (int n = 0; n < 5; n++)
    {
      g_autoptr(GdkPixbuf) image = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 64, 64);
      g_autoptr(GdkPixbuf) mask = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 64, 64);
      g_autofree char *name = g_strdup_printf ("slice%d.png", n);
      g_autofree char *image_path = g_build_filename (images, name, NULL);
      g_autofree char *mask_path = g_build_filename (masks, name, NULL);
      g_autoptr(GdkPixbuf) cell_image = NULL, cell_mask = NULL;

      gdk_pixbuf_fill (image, 0x303030ff);
      gdk_pixbuf_fill (mask, 0x000000ff);
      cell_image = gdk_pixbuf_new_subpixbuf (image, 4 * n, 8, 24, 30);
      cell_mask = gdk_pixbuf_new_subpixbuf (mask, 4 * n, 8, 24, 30);
      gdk_pixbuf_fill (cell_image, 0xc0c0c0ff);
      gdk_pixbuf_fill (cell_mask, 0xffffffff);
      g_assert_true (gdk_pixbuf_save (image, image_path, "png", &error, NULL));
      g_assert_true (gdk_pixbuf_save (mask, mask_path, "png", &error, NULL));
      g_assert_no_error (error);
    }

  tiny_options (f, &o, "two-classes", 4);
  g_free (o.dataset);
  o.dataset = g_strdup (root);
  f->n_classes = 2;
  studio_dashboard_set_options (f->dashboard, &o);
  f->run_going = TRUE;
  g_assert_true (studio_dashboard_start (f->dashboard, &error));
  g_assert_no_error (error);
  g_assert_true (wait_until (f, has_ended, 120));
  g_assert_cmpuint (f->n_evaluated, >=, 1);
  check_plots (f);
  g_assert_nonnull (f->ended_model);
  model = unet_model_load (f->ended_model, &error);
  g_assert_no_error (error);
  g_assert_cmpint (unet_model_get_config (model)->classes, ==, 2);
  g_assert_cmpstrv (unet_model_get_class_names (model), names);

  /* the Classes group shows what the masks hold: the classes' shares, then, with a class
   * classes.txt names but no mask has, a warning naming it */
  {
    StudioDatasetSummary *summary = STUDIO_DATASET_SUMMARY (studio_test_find_child (GTK_WIDGET (f->dashboard), STUDIO_TYPE_DATASET_SUMMARY));
    g_autofree char *membrane = NULL, *cell = NULL;

    g_assert_true (wait_for_summary (summary));
    g_assert_cmpuint (studio_dataset_summary_get_n_rows (summary), ==, 2);
    membrane = studio_dataset_summary_get_row_text (summary, 0);
    cell = studio_dataset_summary_get_row_text (summary, 1);
    /* a 24×30 cell in each 64×64 slice */
    g_assert_cmpstr (membrane, ==, "membrane 82.4 %");
    g_assert_cmpstr (cell, ==, "cell 17.6 %");
    g_assert_cmpuint (studio_dataset_summary_get_n_warnings (summary), ==, 0);

    g_assert_true (g_file_set_contents (classes, "membrane = 0\ncell = 255\nmitochondrion = 7\n", -1,
                                        &error));
    /* read again, as choosing the folder again does */
    studio_dataset_summary_set_dataset (summary, root);
    g_assert_false (studio_dataset_summary_is_ready (summary));
    g_assert_true (wait_for_summary (summary));
    g_assert_cmpuint (studio_dataset_summary_get_n_warnings (summary), ==, 1);
    g_assert_nonnull (strstr (studio_dataset_summary_get_warning (summary, 0),
                              "class “mitochondrion” has no pixels in any mask"));
  }
}

/* One log line to one record: the kinds the plots show, their members, and bad lines. */
/* A log with bad lines among good ones, "type" members that are not strings among them: the
 * bad lines are skipped and counted, without a critical (criticals are fatal here), and the
 * good ones are plotted. */
static void
test_replay_bad_lines (Fixture       *f,
                       gconstpointer  data)
{
  static const char log[] =
    "{\"type\":\"train\",\"step\":1,\"epoch\":1,\"loss\":2.5}\n"
    "{\"type\":{\"kind\":\"train\"},\"step\":2,\"epoch\":1,\"loss\":2.4}\n"   /* bad */
    "{\"type\":7,\"step\":2,\"epoch\":1,\"loss\":2.3}\n"                     /* bad */
    "{\"type\":[\"train\"],\"step\":2}\n"                                    /* bad */
    "{\"type\":null,\"step\":2}\n"                                           /* bad */
    "{\"type\":true,\"step\":2}\n"                                           /* bad */
    "{\"type\":\"train\",\"step\":2,\"epoch\":1,\"loss\":2.0}\n"
    "not JSON at all\n"                                                       /* bad */
    "[1,2,3]\n"                                                               /* bad */
    "{\"type\":\"train\",\"step\":\"3\",\"loss\":1.0}\n"                      /* bad */
    "{\"type\":\"train\",\"step\":3,\"loss\":{\"value\":1}}\n"                 /* bad */
    "{\"type\":\"val\",\"step\":2,\"epoch\":1,\"miou\":0.25,"
    "\"per_class_iou\":{\"background\":0.5,\"cat\":null}}\n"
    "{\"type\":\"val\",\"step\":3,\"epoch\":2,\"miou\":\"high\"}\n"          /* bad */
    "{\"type\":\"val\",\"step\":3,\"epoch\":2,\"miou\":0.5,\"per_class_iou\":[1]}\n" /* bad */
    "{\"step\":3}\n"                                                         /* bad */
    "{\"type\":\"epoch\",\"step\":3}\n"
    "\n"
    "{\"type\":\"train\",\"step\":3,\"epoch\":2,\"loss\":1.5}\n"
    "{\"type\":\"tra";                                                      /* torn: bad */
  g_autofree char *run_dir = g_build_filename (f->tmp_dir, "bad-log", NULL);
  g_autofree char *path = g_build_filename (run_dir, "log.jsonl", NULL);
  StudioRunMonitor *monitor = studio_dashboard_get_monitor (f->dashboard);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (run_dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, log, -1, &error));
  g_assert_no_error (error);

  studio_run_monitor_begin (monitor);
  studio_run_monitor_replay (monitor, run_dir);
  g_assert_true (studio_run_monitor_is_replaying (monitor));
  g_assert_true (wait_until (f, replayed, 30));

  g_assert_cmpuint (studio_run_monitor_get_n_skipped_lines (monitor), ==, 13);
  g_assert_cmpuint (n_points (f, STUDIO_DASHBOARD_PLOT_LOSS), ==, 3);
  g_assert_cmpuint (n_points (f, STUDIO_DASHBOARD_PLOT_MIOU), ==, 1);
  g_assert_cmpfloat_with_epsilon (studio_run_monitor_get_best_miou (monitor), 0.25, 1e-9);
  /* no checkpoint names the classes, so there are no bars to draw */
  g_assert_cmpuint (studio_plot_get_n_bars (studio_dashboard_get_plot (
                      f->dashboard, STUDIO_DASHBOARD_PLOT_CLASS_IOU)), ==, 0);

  /* a folder without a log has an empty history */
  g_clear_pointer (&run_dir, g_free);
  run_dir = g_build_filename (f->tmp_dir, "no-log", NULL);
  studio_run_monitor_begin (monitor);
  studio_run_monitor_replay (monitor, run_dir);
  g_assert_true (wait_until (f, replayed, 30));
  g_assert_cmpuint (n_points (f, STUDIO_DASHBOARD_PLOT_LOSS), ==, 0);
  g_assert_cmpuint (studio_run_monitor_get_n_skipped_lines (monitor), ==, 0);
}

/* Start, pause, continue, stop, resume the stopped run from its folder, finish. */
static void
test_run (Fixture       *f,
          gconstpointer  data)
{
  g_auto(UnetTrainOptions) o = { 0 };
  g_auto(GStrv) recent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *checkpoint = NULL;
  GdkPaintable *preview;
  StudioRunMonitor *monitor;
  gint64 stopped_at;
  guint loss_points;

  if (!make_voc_subset (f))
    return;
  tiny_options (f, &o, "run", 40);
  studio_dashboard_set_options (f->dashboard, &o);

  f->run_going = TRUE;
  g_assert_true (studio_dashboard_start (f->dashboard, &error));
  g_assert_no_error (error);
  g_assert_null (studio_dashboard_get_error_message (f->dashboard));
  g_assert_cmpint (studio_dashboard_get_state (f->dashboard), !=, STUDIO_TRAIN_STATE_IDLE);
  recent = g_settings_get_strv (f->settings, "recent-datasets");
  g_assert_cmpstr (recent[0], ==, f->voc_root);

  /* a second start is refused while the run goes on */
  g_assert_false (studio_dashboard_start (f->dashboard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);

  /* the first epoch ends with a validation */
  g_assert_true (wait_until (f, evaluated_once, 60));
  g_assert_cmpint (f->last_step, >=, 10);
  check_plots (f);
  preview = studio_dashboard_get_preview (f->dashboard);
  g_assert_nonnull (preview);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (preview), ==, f->sample_width);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (preview), ==, f->sample_height);

  /* pausing holds the run still */
  studio_dashboard_toggle_pause (f->dashboard);
  g_assert_true (wait_until (f, is_paused, 10));
  studio_test_spin (0.2);
  paused_at = f->last_step;
  loss_points = n_points (f, STUDIO_DASHBOARD_PLOT_LOSS);
  studio_test_spin (1.0);
  g_assert_cmpint (f->last_step, ==, paused_at);
  g_assert_cmpuint (n_points (f, STUDIO_DASHBOARD_PLOT_LOSS), ==, loss_points);
  g_assert_cmpint (studio_dashboard_get_state (f->dashboard), ==, STUDIO_TRAIN_STATE_PAUSED);

  /* and continuing moves it on */
  studio_dashboard_toggle_pause (f->dashboard);
  g_assert_true (wait_until (f, moved_on, 10));
  check_plots (f);

  /* stopping: STOPPING at once, IDLE only with the end */
  studio_dashboard_stop (f->dashboard);
  g_assert_cmpint (studio_dashboard_get_state (f->dashboard), ==, STUDIO_TRAIN_STATE_STOPPING);
  g_assert_true (wait_until (f, has_ended, 30));
  g_assert_false (f->idle_too_early);
  g_assert_cmpint (studio_dashboard_get_state (f->dashboard), ==, STUDIO_TRAIN_STATE_IDLE);
  g_assert_cmpint (studio_worker_get_train_state (f->worker), ==, STUDIO_TRAIN_STATE_IDLE);
  g_assert_null (f->ended_model);
  g_assert_nonnull (strstr (f->ended_message, "resume"));
  checkpoint = g_build_filename (o.output_dir, "last.safetensors", NULL);
  g_assert_true (g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR));
  stopped_at = f->last_step;
  g_assert_cmpint (stopped_at, <, 40);
  check_plots (f);

  /* resuming the stopped run from its folder refills the plots from its log, read on a
   * thread; what the run reports meanwhile follows the history, nothing twice */
  f->ended = FALSE;
  f->run_going = TRUE;
  studio_dashboard_set_resume_dir (f->dashboard, o.output_dir);
  g_assert_true (studio_dashboard_start (f->dashboard, &error));
  g_assert_no_error (error);
  monitor = studio_dashboard_get_monitor (f->dashboard);
  g_assert_true (studio_run_monitor_is_replaying (monitor));
  g_assert_true (wait_until (f, replayed, 30));
  g_assert_cmpuint (studio_run_monitor_get_n_skipped_lines (monitor), ==, 0);
  g_assert_cmpuint (n_points (f, STUDIO_DASHBOARD_PLOT_LOSS), >=, stopped_at);
  check_plots (f);

  g_assert_true (wait_until (f, has_ended, 120));
  g_assert_false (f->idle_too_early);
  g_assert_cmpint (f->last_step, ==, 40);
  g_assert_cmpint (f->total_steps, ==, 40);
  check_plots (f);
  g_assert_cmpuint (f->n_evaluated, >=, 2);
  g_assert_nonnull (f->ended_model);
  g_assert_true (g_str_has_suffix (f->ended_model, "best.safetensors"));
  g_assert_true (g_file_test (f->ended_model, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_str_has_prefix (f->ended_message, "Training finished: best mIoU "));
  g_assert_cmpint (studio_dashboard_get_state (f->dashboard), ==, STUDIO_TRAIN_STATE_IDLE);
}

/* Class names outside ASCII go the whole way: train → log.jsonl → unet plot → the dashboard's
 * replay of the run, which labels each class's bar by the name the log gives it. */
static void
test_non_ascii_classes (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *dataset = voc_test_make_non_ascii_dataset ();
  g_autofree char *run_dir = g_build_filename (dataset, "run", NULL);
  g_autofree char *picture = g_build_filename (dataset, "run.png", NULL);
  g_auto(UnetTrainOptions) o = { 0 };
  g_autoptr(UnetTrainer) trainer = NULL;
  g_autoptr(StudioRunHistory) history = NULL;
  g_autoptr(GError) error = NULL;
  StudioRunMonitor *monitor = studio_dashboard_get_monitor (f->dashboard);
  const char *cli = g_getenv ("UNET_CLI");
  guint n_seen = 0;

  unet_train_options_init_default (&o);
  o.dataset = g_strdup (dataset);
  o.output_dir = g_strdup (run_dir);
  o.model.depth = 1;
  o.model.base = 4;
  o.model.padding = UNET_PADDING_SAME;
  o.tile = 32;
  o.batch = 2;
  o.steps = 4;
  o.val_every = 1;
  o.threads = 1;
  trainer = unet_trainer_new (&o, &error);
  g_assert_no_error (error);
  g_assert_true (unet_trainer_run (trainer, &error));
  g_assert_no_error (error);

  if (cli != NULL)
    {
      const char *argv[] = { cli, "plot", run_dir, picture, "-q", NULL };
      int status = -1;
      g_autofree char *err = NULL;

      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                   NULL, NULL, &err, &status, &error));
      g_assert_no_error (error);
      if (!g_spawn_check_wait_status (status, NULL))
        g_error ("unet plot fails on %s: %s", run_dir, err);
      g_assert_true (g_file_test (picture, G_FILE_TEST_IS_REGULAR));
    }

  history = studio_run_history_read (run_dir, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->n_bad_lines, ==, 0);
  g_assert_cmpuint (history->miou->len, >=, 1);
  g_assert_cmpstr (history->class_names[19], ==, "Gefäß");
  g_assert_cmpstr (history->class_names[20], ==, "細胞");
  /* the two classes the masks hold were validated; absent classes have no IoU */
  g_assert_nonnull (history->class_iou);
  for (guint k = 0; k < 21; k++)
    n_seen += !isnan (history->class_iou[k]);
  g_assert_true (!isnan (history->class_iou[19]) || !isnan (history->class_iou[20]));
  g_assert_cmpuint (n_seen, <, 21);

  studio_run_monitor_begin (monitor);
  studio_run_monitor_replay (monitor, run_dir);
  g_assert_true (wait_until (f, replayed, 30));
  g_assert_cmpuint (studio_run_monitor_get_n_skipped_lines (monitor), ==, 0);
  g_assert_cmpuint (studio_plot_get_n_bars (studio_dashboard_get_plot (
                      f->dashboard, STUDIO_DASHBOARD_PLOT_CLASS_IOU)), ==, 21);
  voc_test_rm_rf (dataset);
}

int
main (int   argc,
      char *argv[])
{
  /* English messages: the test reads them */
  g_setenv ("LANGUAGE", "C", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/dashboard/options", Fixture, NULL, fixture_setup, test_options, fixture_teardown);
  g_test_add ("/dashboard/no-dataset", Fixture, NULL, fixture_setup, test_no_dataset,
              fixture_teardown);
  g_test_add ("/dashboard/memory", Fixture, NULL, fixture_setup, test_memory, fixture_teardown);
  g_test_add ("/dashboard/replay-bad-lines", Fixture, NULL, fixture_setup, test_replay_bad_lines,
              fixture_teardown);
  g_test_add ("/dashboard/non-ascii-classes", Fixture, NULL, fixture_setup,
              test_non_ascii_classes, fixture_teardown);
  g_test_add ("/dashboard/run", Fixture, NULL, fixture_setup, test_run, fixture_teardown);
  g_test_add ("/dashboard/two-classes", Fixture, NULL, fixture_setup, test_two_classes,
              fixture_teardown);

  return g_test_run ();
}
