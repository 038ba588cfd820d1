/* test-torch.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The whole network against PyTorch: tools/make_fixtures.py wrote, for each case, the initial
 * weights as a model file and the reference logits (training and inference), loss, every
 * gradient and the weights after two SGD steps. Regenerate with tools/make_fixtures.py after
 * changing the network. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "unet/unet.h"
#include "unet/unet-safetensors.h"
#include "unet/unet-model-train.h"
#include "unet/unet-optimizer.h"

/* Per tensor: max |C - torch| / max |torch|. float32 against PyTorch's float64 stays near
 * 1e-6 on these fixtures, so this leaves room for summation order and nothing else. */
#define TOLERANCE 1e-4

typedef struct
{
  const char *phase;
  char       *worst_name;
  double      worst_error;
  guint       n_checked;
  guint       n_failed;
} CheckStats;

static void
check_stats_init (CheckStats *stats,
                  const char *phase)
{
  memset (stats, 0, sizeof *stats);
  stats->phase = phase;
  stats->worst_error = -1.0;
}

static void
check_stats_report (CheckStats *stats,
                    const char *case_name)
{
  g_test_message ("%s %s: %u tensors, worst %s relative error %.3g%s",
                  case_name, stats->phase, stats->n_checked,
                  stats->worst_name ? stats->worst_name : "(none)", stats->worst_error,
                  stats->n_failed ? " FAILED" : "");
  if (stats->n_failed)
    g_test_fail_printf ("%s %s: %u of %u tensors differ from PyTorch by more than %.0e "
                        "(worst %s: %.3g)",
                        case_name, stats->phase, stats->n_failed, stats->n_checked, TOLERANCE,
                        stats->worst_name, stats->worst_error);
  g_clear_pointer (&stats->worst_name, g_free);
}

static double
max_abs (const float *x,
         size_t       n)
{
  double m = 0.0;

  for (size_t i = 0; i < n; i++)
    m = MAX (m, fabs ((double) x[i]));
  return m;
}

/* scale_floor > 0 replaces a reference that is zero in exact arithmetic (its stored values
 * are rounding noise) by the scale of a related tensor. */
static void
check_close (CheckStats  *stats,
             const char  *name,
             const float *actual,
             const float *expected,
             size_t       n,
             double       scale_floor)
{
  double max_diff = 0.0;
  double scale;
  double error;
  size_t worst = 0;

  for (size_t i = 0; i < n; i++)
    {
      double diff = fabs ((double) actual[i] - (double) expected[i]);

      if (isnan (diff))
        diff = INFINITY;
      if (diff > max_diff)
        {
          max_diff = diff;
          worst = i;
        }
    }
  scale = MAX (MAX (max_abs (expected, n), scale_floor), 1e-12);
  error = max_diff / scale;

  stats->n_checked++;
  if (g_test_verbose ())
    g_test_message ("  %s %s: max |diff| %.3g, scale %.3g, relative %.3g",
                    stats->phase, name, max_diff, scale, error);
  if (error > stats->worst_error)
    {
      g_free (stats->worst_name);
      stats->worst_name = g_strdup (name);
      stats->worst_error = error;
    }
  if (!(error <= TOLERANCE))
    {
      stats->n_failed++;
      g_test_message ("MISMATCH %s %s: max |C - torch| = %.6g at element %zu "
                      "(C %.9g, torch %.9g), relative %.3g > %.0e",
                      stats->phase, name, max_diff, worst,
                      (double) actual[worst], (double) expected[worst], error, TOLERANCE);
    }
}

static const UnetTensorView *
lookup_checked (UnetSafetensors *file,
                const char      *name,
                UnetDtype        dtype,
                size_t           numel)
{
  const UnetTensorView *view = unet_safetensors_lookup (file, name);

  if (view == NULL)
    g_error ("expected file has no tensor %s", name);
  g_assert_cmpint (view->dtype, ==, dtype);
  if (numel != 0)
    g_assert_cmpuint (view->numel, ==, numel);
  return view;
}

/* A copy as aligned native floats (the file's bytes need not be aligned). */
static float *
load_f32 (UnetSafetensors *file,
          const char      *name,
          size_t           numel)
{
  const UnetTensorView *view = lookup_checked (file, name, UNET_DTYPE_F32, numel);
  float *data = g_new (float, MAX (view->numel, 1));

  unet_tensor_view_copy_f32 (view, data);
  return data;
}

static double
metadata_double (UnetSafetensors *file,
                 const char      *key)
{
  const char *value = unet_safetensors_get_metadata_string (file, key);

  if (value == NULL)
    g_error ("expected file has no metadata %s", key);
  return g_ascii_strtod (value, NULL);
}

static UnetModel *
load_model (const char *path)
{
  g_autoptr(GError) error = NULL;
  UnetModel *model = unet_model_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (model);
  return model;
}

/* A conv bias followed by batch norm has a zero gradient in exact arithmetic (the norm
 * subtracts the batch mean); its stored torch gradient is rounding noise, so it is measured
 * against the gradient of its conv weight instead. */
static double
grad_scale_floor (UnetModel       *model,
                  UnetSafetensors *expected,
                  const UnetParam *param)
{
  g_autofree char *weight_name = NULL;
  const UnetTensorView *view;
  g_autofree float *weight_grad = NULL;

  if (unet_model_get_config (model)->norm != UNET_NORM_BATCH ||
      param->kind != UNET_PARAM_BIAS ||
      !g_str_has_suffix (param->name, ".bias") ||
      (strstr (param->name, ".conv1.") == NULL && strstr (param->name, ".conv2.") == NULL))
    return 0.0;

  weight_name = g_strdup_printf ("grad.%.*s.weight",
                                 (int) (strlen (param->name) - strlen (".bias")), param->name);
  view = lookup_checked (expected, weight_name, UNET_DTYPE_F32, 0);
  weight_grad = load_f32 (expected, weight_name, view->numel);
  return max_abs (weight_grad, view->numel);
}

static void
check_gradients (UnetModel       *model,
                 UnetSafetensors *expected,
                 const char      *case_name,
                 const char      *phase)
{
  CheckStats stats;
  guint n_trainable = 0;

  check_stats_init (&stats, phase);
  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);
      g_autofree char *name = NULL;
      g_autofree float *ref = NULL;

      if (param->kind == UNET_PARAM_RUNNING_STAT)
        {
          g_assert_null (param->grad);
          continue;
        }
      g_assert_nonnull (param->grad);
      n_trainable++;
      name = g_strconcat ("grad.", param->name, NULL);
      ref = load_f32 (expected, name, param->numel);
      check_close (&stats, name, param->grad, ref, param->numel,
                   grad_scale_floor (model, expected, param));
    }
  check_stats_report (&stats, case_name);

  /* The engine has exactly PyTorch's trainable tensors: none missing, none extra. */
  {
    guint n_expected = 0;

    for (guint i = 0; i < unet_safetensors_get_n_tensors (expected); i++)
      if (g_str_has_prefix (unet_safetensors_get_tensor (expected, i)->name, "grad."))
        n_expected++;
    g_assert_cmpuint (n_trainable, ==, n_expected);
  }
}

/* Two SGD steps from the initial weights, compared with every tensor of the model, running
 * statistics included. */
static void
check_two_sgd_steps (const char      *model_path,
                     UnetSafetensors *expected,
                     int              batch,
                     int              height,
                     int              width,
                     const float     *input,
                     const uint8_t   *labels,
                     const float     *pixel_weights,
                     const char      *case_name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetModel) model = load_model (model_path);
  g_autoptr(UnetOptimizer) optimizer = NULL;
  double lr = metadata_double (expected, "lr");
  double momentum = metadata_double (expected, "momentum");
  double weight_decay = metadata_double (expected, "weight_decay");
  const float *logits;
  UnetShape out_shape;
  CheckStats stats;
  guint n_step2 = 0;
  double loss;

  g_assert_true (unet_model_prepare (model, batch, height, width, TRUE, &error));
  g_assert_no_error (error);
  out_shape = unet_model_get_output_shape (model);
  optimizer = unet_optimizer_new (model, momentum, weight_decay);
  g_assert_cmpfloat (unet_optimizer_get_momentum (optimizer), ==, momentum);
  g_assert_cmpfloat (unet_optimizer_get_weight_decay (optimizer), ==, weight_decay);
  for (int step = 0; step < 2; step++)
    {
      logits = unet_model_forward (model, input, TRUE);
      loss = unet_softmax_xent (unet_model_get_logits_grad (model), NULL, logits, labels,
                                pixel_weights, out_shape);
      g_assert_true (isfinite (loss));
      unet_model_zero_grad (model);
      unet_model_backward (model);
      unet_optimizer_step (optimizer, model, lr);
      g_test_message ("%s: SGD step %d, loss %.6f", case_name, step + 1, loss);
    }

  check_stats_init (&stats, "two SGD steps");
  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);
      g_autofree char *name = g_strconcat ("step2.", param->name, NULL);
      g_autofree float *ref = load_f32 (expected, name, param->numel);

      check_close (&stats, name, param->data, ref, param->numel, 0.0);
    }
  check_stats_report (&stats, case_name);

  for (guint i = 0; i < unet_safetensors_get_n_tensors (expected); i++)
    if (g_str_has_prefix (unet_safetensors_get_tensor (expected, i)->name, "step2."))
      n_step2++;
  g_assert_cmpuint (unet_model_get_n_params (model), ==, n_step2);
}

static void
test_torch_case (gconstpointer data)
{
  const char *case_name = data;
  g_autofree char *model_file = g_strdup_printf ("torch-%s.model.safetensors", case_name);
  g_autofree char *expected_file = g_strdup_printf ("torch-%s.expected.safetensors", case_name);
  g_autofree char *model_path = g_test_build_filename (G_TEST_DIST, "fixtures", model_file, NULL);
  g_autofree char *expected_path = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                          expected_file, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetSafetensors) expected = NULL;
  g_autoptr(UnetModel) model = NULL;
  const UnetConfig *config;
  const UnetTensorView *input_view;
  const UnetTensorView *labels_view;
  const UnetTensorView *logits_view;
  g_autofree float *input = NULL;
  g_autofree float *pixel_weights = NULL;
  g_autofree float *expected_logits = NULL;
  g_autofree float *expected_eval_logits = NULL;
  g_autofree float *expected_loss = NULL;
  const uint8_t *labels;
  const float *logits;
  UnetShape out_shape;
  int batch, height, width;
  size_t n_counted = 0;
  double loss;
  CheckStats stats;

  model = load_model (model_path);
  config = unet_model_get_config (model);
  g_assert_cmpint (config->depth, ==, 2);
  g_assert_cmpint (unet_config_n_conv_layers (config), ==, 5 * config->depth + 3);
  g_assert_cmpint (unet_config_n_conv_layers (config), ==, 13);
  g_assert_cmpint (config->classes, ==, 21);
  g_assert_cmpfloat (config->dropout, ==, 0.0f);

  expected = unet_safetensors_load_file (expected_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (unet_safetensors_get_metadata_string (expected, "case"), ==, case_name);

  input_view = lookup_checked (expected, "input", UNET_DTYPE_F32, 0);
  g_assert_cmpint (input_view->ndim, ==, 4);
  g_assert_cmpint (input_view->shape[1], ==, config->in_channels);
  batch = input_view->shape[0];
  height = input_view->shape[2];
  width = input_view->shape[3];
  input = load_f32 (expected, "input", input_view->numel);

  logits_view = lookup_checked (expected, "logits", UNET_DTYPE_F32, 0);
  g_assert_cmpint (logits_view->ndim, ==, 4);
  labels_view = lookup_checked (expected, "labels", UNET_DTYPE_U8,
                                logits_view->shape[0] * logits_view->shape[2] *
                                logits_view->shape[3]);
  labels = labels_view->bytes;
  if (unet_safetensors_lookup (expected, "pixel_weights") != NULL)
    pixel_weights = load_f32 (expected, "pixel_weights", labels_view->numel);
  expected_logits = load_f32 (expected, "logits", logits_view->numel);
  expected_eval_logits = load_f32 (expected, "eval_logits", logits_view->numel);
  expected_loss = load_f32 (expected, "loss", 1);

  g_test_message ("%s: input %dx3x%dx%d, padding %s, norm %s%s", case_name, batch, height, width,
                  unet_padding_to_string (config->padding), unet_norm_to_string (config->norm),
                  pixel_weights ? ", pixel weights" : "");

  g_assert_true (unet_model_prepare (model, batch, height, width, TRUE, &error));
  g_assert_no_error (error);
  out_shape = unet_model_get_output_shape (model);
  g_assert_cmpint (out_shape.batch, ==, logits_view->shape[0]);
  g_assert_cmpint (out_shape.channels, ==, logits_view->shape[1]);
  g_assert_cmpint (out_shape.height, ==, logits_view->shape[2]);
  g_assert_cmpint (out_shape.width, ==, logits_view->shape[3]);

  /* 1. Training-mode forward from the initial weights. */
  logits = unet_model_forward (model, input, TRUE);
  check_stats_init (&stats, "forward");
  check_close (&stats, "logits", logits, expected_logits, logits_view->numel, 0.0);
  check_stats_report (&stats, case_name);

  /* 2. The loss, and its gradient into the model's logits gradient. */
  loss = unet_softmax_xent (unet_model_get_logits_grad (model), &n_counted, logits, labels,
                            pixel_weights, out_shape);
  {
    float loss_f = loss;

    check_stats_init (&stats, "loss");
    check_close (&stats, "loss", &loss_f, expected_loss, 1, 0.0);
    check_stats_report (&stats, case_name);
  }
  g_assert_cmpuint (n_counted, >, 0);
  g_assert_cmpuint (n_counted, <, labels_view->numel);

  /* 3. One backward: every trainable tensor's gradient. */
  unet_model_zero_grad (model);
  unet_model_backward (model);
  check_gradients (model, expected, case_name, "backward");

  /* 4. Inference (running statistics, no dropout) from freshly loaded weights: the training
   * forward above moved the batch-norm running statistics. */
  g_clear_pointer (&model, unet_model_free);
  model = load_model (model_path);
  g_assert_true (unet_model_prepare (model, batch, height, width, FALSE, &error));
  g_assert_no_error (error);
  logits = unet_model_forward (model, input, FALSE);
  check_stats_init (&stats, "eval forward");
  check_close (&stats, "eval_logits", logits, expected_eval_logits, logits_view->numel, 0.0);
  check_stats_report (&stats, case_name);

  /* 5. Step 3 again through unet_model_train_step. */
  g_clear_pointer (&model, unet_model_free);
  model = load_model (model_path);
  g_assert_true (unet_model_prepare (model, batch, height, width, TRUE, &error));
  g_assert_no_error (error);
  loss = unet_model_train_step (model, input, labels, pixel_weights);
  {
    float loss_f = loss;

    check_stats_init (&stats, "train_step loss");
    check_close (&stats, "loss", &loss_f, expected_loss, 1, 0.0);
    check_stats_report (&stats, case_name);
  }
  check_gradients (model, expected, case_name, "train_step");

  /* 6. Two SGD steps from the initial weights. */
  check_two_sgd_steps (model_path, expected, batch, height, width, input, labels, pixel_weights,
                       case_name);
}

int
main (int   argc,
      char *argv[])
{
  static const char *const cases[] = { "valid", "same", "same-bn" };

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/unet/torch/%s", cases[i]);

      g_test_add_data_func (path, cases[i], test_torch_case);
    }

  return g_test_run ();
}
