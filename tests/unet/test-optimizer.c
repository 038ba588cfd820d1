/* test-optimizer.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "unet/unet-error.h"
#include "unet/unet-model.h"
#include "unet/unet-optimizer.h"
#include "unet/unet-rng.h"
#include "unet/unet-model-train.h"

/* A model of a few hundred parameters: every kind of tensor, nothing slow. */
static UnetModel *
make_model (UnetNorm norm)
{
  g_autoptr(GError) error = NULL;
  UnetConfig config;
  UnetModel *model;

  unet_config_init_default (&config);
  config.depth = 1;
  config.base = 2;
  config.classes = 2;
  config.norm = norm;
  config.dropout = 0.0f;
  model = unet_model_new (&config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (model);
  unet_model_init_weights (model, 7);
  return model;
}

/* Fills every gradient (and, with weights TRUE, every trained value) with N(0, 1) draws. */
static void
randomize (UnetModel *model,
           UnetRng   *rng,
           gboolean   weights)
{
  for (guint p = 0; p < unet_model_get_n_params (model); p++)
    {
      UnetParam *param = unet_model_get_param (model, p);

      if (param->kind == UNET_PARAM_RUNNING_STAT)
        continue;
      for (size_t i = 0; i < param->numel; i++)
        {
          param->grad[i] = (float) unet_rng_normal (rng);
          if (weights)
            param->data[i] = (float) unet_rng_normal (rng);
        }
    }
}

static void
assert_near (double      actual,
             double      expected,
             double      tolerance,
             const char *what)
{
  if (!(fabs (actual - expected) <= tolerance))
    g_error ("%s: got %.10g, expected %.10g (tolerance %.1e)", what, actual, expected, tolerance);
}

/* --- SGD ------------------------------------------------------------------------------------- */

static void
test_sgd_by_hand (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_NORM_NONE);
  g_autoptr(UnetOptimizer) optimizer = unet_optimizer_new (model, 0.9, 0.01);
  UnetParam *bias = unet_model_find_param (model, "head.bias");
  guint bias_index = 0;
  const float *v;
  /* lr 0.1, momentum 0.9, weight decay 0.01, w0 = 1:
   *   step 1: g = 0.5  + 0.01 * 1        = 0.51;        v = 0.51 (the first step takes g as is)
   *           w = 1 - 0.1 * 0.51         = 0.949
   *   step 2: g = -0.25 + 0.01 * 0.949   = -0.24051;    v = 0.9 * 0.51 - 0.24051 = 0.21849
   *           w = 0.949 - 0.021849       = 0.927151
   *   step 3: g = 1 + 0.01 * 0.927151    = 1.00927151;  v = 0.196641 + 1.00927151 = 1.20591251
   *           w = 0.927151 - 0.120591251 = 0.806559749 */
  const float grads[3] = { 0.5f, -0.25f, 1.0f };
  const double expected_v[3] = { 0.51, 0.21849, 1.20591251 };
  const double expected_w[3] = { 0.949, 0.927151, 0.806559749 };

  g_assert_nonnull (bias);
  while (unet_model_get_param (model, bias_index) != bias)
    bias_index++;
  g_assert_cmpfloat (unet_optimizer_get_momentum (optimizer), ==, 0.9);
  g_assert_cmpfloat (unet_optimizer_get_weight_decay (optimizer), ==, 0.01);

  bias->data[0] = 1.0f;
  for (int step = 0; step < 3; step++)
    {
      unet_model_zero_grad (model);
      bias->grad[0] = grads[step];
      unet_optimizer_step (optimizer, model, 0.1);

      v = unet_optimizer_get_velocity (optimizer, bias_index);
      g_assert_nonnull (v);
      assert_near (v[0], expected_v[step], 1e-6, "velocity");
      assert_near (bias->data[0], expected_w[step], 1e-6, "weight");
      /* the optimizer reads the gradient, it never changes it */
      g_assert_cmpfloat (bias->grad[0], ==, grads[step]);
    }
}

/* Every element of every tensor, three steps with changing lr, against a double reference. */
static void
test_sgd_reference (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_NORM_NONE);
  g_autoptr(UnetOptimizer) optimizer = NULL;
  const double mu = 0.99, wd = 5e-4;
  const double lrs[3] = { 0.1, 0.05, 0.02 };
  guint n_params = unet_model_get_n_params (model);
  g_autofree double *w = NULL;
  g_autofree double *v = NULL;
  size_t n = 0, checked = 0;
  UnetRng rng;

  for (guint p = 0; p < n_params; p++)
    n += unet_model_get_param (model, p)->numel;
  w = g_new0 (double, n);
  v = g_new0 (double, n);

  unet_rng_seed (&rng, 42);
  randomize (model, &rng, TRUE);
  optimizer = unet_optimizer_new (model, mu, wd);
  for (guint p = 0; p < n_params; p++)
    {
      UnetParam *param = unet_model_get_param (model, p);

      for (size_t i = 0; i < param->numel; i++)
        w[param->offset + i] = param->data[i];
    }

  for (int step = 0; step < 3; step++)
    {
      if (step > 0)
        randomize (model, &rng, FALSE);
      unet_optimizer_step (optimizer, model, lrs[step]);

      for (guint p = 0; p < n_params; p++)
        {
          UnetParam *param = unet_model_get_param (model, p);
          const float *velocity = unet_optimizer_get_velocity (optimizer, p);

          g_assert_nonnull (velocity);
          for (size_t i = 0; i < param->numel; i++)
            {
              size_t j = param->offset + i;
              double g = param->grad[i] + wd * w[j];

              v[j] = step == 0 ? g : mu * v[j] + g;
              w[j] -= lrs[step] * v[j];
              if (fabs (velocity[i] - v[j]) > 1e-5 * (1 + fabs (v[j])) ||
                  fabs (param->data[i] - w[j]) > 1e-5 * (1 + fabs (w[j])))
                g_error ("step %d, %s[%zu]: v %.8g w %.8g, expected v %.8g w %.8g",
                         step + 1, param->name, i, velocity[i], param->data[i], v[j], w[j]);
              checked++;
            }
        }
    }
  g_assert_cmpuint (checked, ==, 3 * unet_model_count_trainable (model));
}

/* Without weight decay the first step stores the gradient itself as the velocity. */
static void
test_sgd_first_step (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_NORM_NONE);
  g_autoptr(UnetOptimizer) optimizer = unet_optimizer_new (model, 0.9, 0.0);
  guint n_params = unet_model_get_n_params (model);
  g_autofree float *before = NULL;
  UnetParam *last = unet_model_get_param (model, n_params - 1);
  UnetRng rng;

  unet_rng_seed (&rng, 3);
  randomize (model, &rng, TRUE);
  before = g_memdup2 (unet_model_get_param (model, 0)->data,
                      sizeof (float) * (last->offset + last->numel));
  unet_optimizer_step (optimizer, model, 0.25);

  for (guint p = 0; p < n_params; p++)
    {
      UnetParam *param = unet_model_get_param (model, p);
      const float *v = unet_optimizer_get_velocity (optimizer, p);

      for (size_t i = 0; i < param->numel; i++)
        {
          g_assert_cmpfloat (v[i], ==, param->grad[i]);
          assert_near (param->data[i], before[param->offset + i] - 0.25f * param->grad[i], 1e-6,
                       param->name);
        }
    }
}

/* A checkpoint restores the momentum buffers through get_velocity; the next step must use them. */
static void
test_sgd_restored_velocity (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_NORM_NONE);
  g_autoptr(UnetOptimizer) optimizer = unet_optimizer_new (model, 0.5, 0.0);
  UnetParam *weight = unet_model_get_param (model, 0);
  float *v = unet_optimizer_get_velocity (optimizer, 0);

  for (size_t i = 0; i < weight->numel; i++)
    {
      weight->data[i] = 2.0f;
      weight->grad[i] = 1.0f;
      v[i] = 4.0f;
    }
  unet_optimizer_step (optimizer, model, 0.1);

  /* v = 0.5 * 4 + 1 = 3; w = 2 - 0.1 * 3 = 1.7 */
  for (size_t i = 0; i < weight->numel; i++)
    {
      assert_near (v[i], 3.0, 1e-6, "restored velocity");
      assert_near (weight->data[i], 1.7, 1e-6, "weight after restored velocity");
    }
}

/* Weight decay alone shrinks every trained tensor, biases included (PyTorch's default group). */
static void
test_sgd_weight_decay (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_NORM_BATCH);
  g_autoptr(UnetOptimizer) optimizer = unet_optimizer_new (model, 0.9, 0.1);
  guint n_params = unet_model_get_n_params (model);
  guint seen[UNET_PARAM_RUNNING_STAT] = { 0 };

  for (guint p = 0; p < n_params; p++)
    {
      UnetParam *param = unet_model_get_param (model, p);

      if (param->kind == UNET_PARAM_RUNNING_STAT)
        continue;
      for (size_t i = 0; i < param->numel; i++)
        param->data[i] = 2.0f;
    }
  unet_model_zero_grad (model);

  /* step 1: v = 0.1 * 2 = 0.2, w = 2 - 0.5 * 0.2 = 1.9;
   * step 2: v = 0.9 * 0.2 + 0.1 * 1.9 = 0.37, w = 1.9 - 0.5 * 0.37 = 1.715 */
  unet_optimizer_step (optimizer, model, 0.5);
  unet_optimizer_step (optimizer, model, 0.5);

  for (guint p = 0; p < n_params; p++)
    {
      UnetParam *param = unet_model_get_param (model, p);

      if (param->kind == UNET_PARAM_RUNNING_STAT)
        continue;
      for (size_t i = 0; i < param->numel; i++)
        assert_near (param->data[i], 1.715, 1e-6, param->name);
      seen[param->kind]++;
    }
  g_assert_cmpuint (seen[UNET_PARAM_WEIGHT], >, 0);
  g_assert_cmpuint (seen[UNET_PARAM_BIAS], >, 0);
  g_assert_cmpuint (seen[UNET_PARAM_NORM_WEIGHT], >, 0);
  g_assert_cmpuint (seen[UNET_PARAM_NORM_BIAS], >, 0);
}

/* Batch-norm running statistics are saved with the model but never trained. */
static void
test_sgd_running_stats (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_NORM_BATCH);
  g_autoptr(UnetOptimizer) optimizer = unet_optimizer_new (model, 0.9, 0.01);
  guint n_params = unet_model_get_n_params (model);
  guint n_stats = 0;
  UnetRng rng;

  unet_rng_seed (&rng, 11);
  randomize (model, &rng, TRUE);
  for (guint p = 0; p < n_params; p++)
    {
      UnetParam *param = unet_model_get_param (model, p);

      if (param->kind != UNET_PARAM_RUNNING_STAT)
        continue;
      g_assert_null (param->grad);
      for (size_t i = 0; i < param->numel; i++)
        param->data[i] = 0.5f + p + 0.25f * i;
    }

  for (int step = 0; step < 3; step++)
    unet_optimizer_step (optimizer, model, 0.1);

  for (guint p = 0; p < n_params; p++)
    {
      UnetParam *param = unet_model_get_param (model, p);

      if (param->kind != UNET_PARAM_RUNNING_STAT)
        {
          g_assert_nonnull (unet_optimizer_get_velocity (optimizer, p));
          continue;
        }
      n_stats++;
      g_assert_null (unet_optimizer_get_velocity (optimizer, p));
      for (size_t i = 0; i < param->numel; i++)
        g_assert_cmpfloat (param->data[i], ==, 0.5f + p + 0.25f * i);
    }
  /* depth 1: enc conv1/2, mid conv1/2, dec conv1/2, each with a running mean and variance */
  g_assert_cmpuint (n_stats, ==, 12);
}

static void
test_sgd_zero_lr (void)
{
  g_autoptr(UnetModel) model = make_model (UNET_NORM_NONE);
  g_autoptr(UnetOptimizer) optimizer = unet_optimizer_new (model, 0.9, 0.0);
  UnetParam *weight = unet_model_get_param (model, 0);
  g_autofree float *before = NULL;
  const float *v = unet_optimizer_get_velocity (optimizer, 0);
  UnetRng rng;

  unet_rng_seed (&rng, 5);
  randomize (model, &rng, TRUE);
  before = g_memdup2 (weight->data, sizeof (float) * weight->numel);

  /* lr 0 (a warm-up's first instant) still accumulates momentum but leaves the weights alone */
  unet_optimizer_step (optimizer, model, 0.0);
  unet_optimizer_step (optimizer, model, 0.0);
  for (size_t i = 0; i < weight->numel; i++)
    {
      g_assert_cmpfloat (weight->data[i], ==, before[i]);
      assert_near (v[i], 1.9 * weight->grad[i], 1e-5, "velocity at lr 0");
    }
}

/* --- schedules ------------------------------------------------------------------------------- */

static void
test_schedule_defaults (void)
{
  UnetSchedule schedule;

  unet_schedule_init (&schedule, UNET_SCHEDULE_POLY, 0.01, 300);
  g_assert_cmpint (schedule.kind, ==, UNET_SCHEDULE_POLY);
  g_assert_cmpfloat (schedule.base_lr, ==, 0.01);
  g_assert_cmpint (schedule.total_steps, ==, 300);
  g_assert_cmpfloat (schedule.power, ==, 0.9);
  g_assert_cmpfloat (schedule.gamma, ==, 0.1);
  g_assert_cmpint (schedule.step_size, ==, 100);
  g_assert_cmpint (schedule.warmup_steps, ==, 0);
}

static void
test_schedule_constant (void)
{
  UnetSchedule schedule;
  const gint64 steps[] = { 0, 1, 99, 100, 101, 1000000 };

  unet_schedule_init (&schedule, UNET_SCHEDULE_CONSTANT, 0.05, 100);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    g_assert_cmpfloat (unet_schedule_lr (&schedule, steps[i]), ==, 0.05);
}

static void
test_schedule_poly (void)
{
  UnetSchedule schedule;

  /* lr = 0.01 (1 - step / 100)^0.9:
   *   step 50: 0.5^0.9 = 0.5358867313;  step 99 (the last trained step): 0.01^0.9 = 10^-1.8
   *   = 0.01584893192; step 100 and later: 0 */
  unet_schedule_init (&schedule, UNET_SCHEDULE_POLY, 0.01, 100);
  g_assert_cmpfloat (unet_schedule_lr (&schedule, 0), ==, 0.01);
  assert_near (unet_schedule_lr (&schedule, 50), 0.01 * 0.5358867313, 1e-12, "poly at 50");
  assert_near (unet_schedule_lr (&schedule, 99), 0.01 * 0.01584893192, 1e-12, "poly at 99");
  g_assert_cmpfloat (unet_schedule_lr (&schedule, 99), >, 0.0);
  g_assert_cmpfloat (unet_schedule_lr (&schedule, 100), ==, 0.0);
  g_assert_cmpfloat (unet_schedule_lr (&schedule, 150), ==, 0.0);

  for (gint64 step = 1; step <= 100; step++)
    g_assert_cmpfloat (unet_schedule_lr (&schedule, step), <, unet_schedule_lr (&schedule, step - 1));

  /* power 1 is the linear decay */
  schedule.power = 1.0;
  assert_near (unet_schedule_lr (&schedule, 25), 0.0075, 1e-15, "linear poly");
}

static void
test_schedule_step (void)
{
  UnetSchedule schedule;

  /* total 30 gives a step every 10 steps, gamma 0.1 */
  unet_schedule_init (&schedule, UNET_SCHEDULE_STEP, 0.1, 30);
  assert_near (unet_schedule_lr (&schedule, 0), 0.1, 1e-15, "step at 0");
  assert_near (unet_schedule_lr (&schedule, 9), 0.1, 1e-15, "step at 9");
  assert_near (unet_schedule_lr (&schedule, 10), 0.01, 1e-15, "step at 10");
  assert_near (unet_schedule_lr (&schedule, 19), 0.01, 1e-15, "step at 19");
  assert_near (unet_schedule_lr (&schedule, 20), 0.001, 1e-15, "step at 20");
  assert_near (unet_schedule_lr (&schedule, 30), 0.0001, 1e-15, "step at 30");

  schedule.step_size = 4;
  schedule.gamma = 0.5;
  assert_near (unet_schedule_lr (&schedule, 3), 0.1, 1e-15, "gamma 0.5 at 3");
  assert_near (unet_schedule_lr (&schedule, 4), 0.05, 1e-15, "gamma 0.5 at 4");
  assert_near (unet_schedule_lr (&schedule, 11), 0.025, 1e-15, "gamma 0.5 at 11");
  assert_near (unet_schedule_lr (&schedule, 12), 0.0125, 1e-15, "gamma 0.5 at 12");
}

/* Constant for the first 80 % of the run, then linearly down to 0 at its end. */
static void
test_schedule_cooldown (void)
{
  UnetSchedule schedule;
  UnetScheduleKind kind;

  unet_schedule_init (&schedule, UNET_SCHEDULE_COOLDOWN, 0.01, 100);
  g_assert_cmpfloat (unet_schedule_lr (&schedule, 0), ==, 0.01);
  g_assert_cmpfloat (unet_schedule_lr (&schedule, 80), ==, 0.01);
  assert_near (unet_schedule_lr (&schedule, 90), 0.005, 1e-15, "half-way down");
  assert_near (unet_schedule_lr (&schedule, 99), 0.0005, 1e-15, "last step");
  g_assert_cmpfloat (unet_schedule_lr (&schedule, 100), ==, 0.0);
  assert_near (unet_schedule_lr_at_progress (&schedule, 3, 0.95), 0.0025, 1e-15, "by progress");
  /* without a known length it stays constant */
  unet_schedule_init (&schedule, UNET_SCHEDULE_COOLDOWN, 0.01, 0);
  g_assert_cmpfloat (unet_schedule_lr (&schedule, 1000000), ==, 0.01);

  g_assert_true (unet_schedule_kind_from_string ("cooldown", &kind, NULL));
  g_assert_cmpint (kind, ==, UNET_SCHEDULE_COOLDOWN);
  g_assert_cmpstr (unet_schedule_kind_to_string (kind), ==, "cooldown");
}

/* By another measure of progress (a time budget): the same curves, whatever the step. */
static void
test_schedule_progress (void)
{
  UnetSchedule schedule;

  unet_schedule_init (&schedule, UNET_SCHEDULE_POLY, 0.01, 0);
  g_assert_cmpfloat (unet_schedule_lr_at_progress (&schedule, 7, 0.0), ==, 0.01);
  assert_near (unet_schedule_lr_at_progress (&schedule, 7, 0.5), 0.01 * 0.5358867313, 1e-12,
               "poly half-way");
  assert_near (unet_schedule_lr_at_progress (&schedule, 100000, 0.99), 0.01 * 0.01584893192,
               1e-12, "poly at 99 %");
  g_assert_cmpfloat (unet_schedule_lr_at_progress (&schedule, 3, 1.0), ==, 0.0);
  g_assert_cmpfloat (unet_schedule_lr_at_progress (&schedule, 3, 1.5), ==, 0.0);
  /* the same rate as by steps when progress is steps */
  unet_schedule_init (&schedule, UNET_SCHEDULE_POLY, 0.01, 100);
  assert_near (unet_schedule_lr_at_progress (&schedule, 37, 0.37),
               unet_schedule_lr (&schedule, 37), 1e-15, "poly by steps");

  unet_schedule_init (&schedule, UNET_SCHEDULE_STEP, 0.1, 0);
  assert_near (unet_schedule_lr_at_progress (&schedule, 5, 0.33), 0.1, 1e-15, "step at 33 %");
  assert_near (unet_schedule_lr_at_progress (&schedule, 5, 0.34), 0.01, 1e-15, "step at 34 %");
  assert_near (unet_schedule_lr_at_progress (&schedule, 5, 0.67), 0.001, 1e-15, "step at 67 %");
  assert_near (unet_schedule_lr_at_progress (&schedule, 5, 1.0), 0.001, 1e-15, "step at the end");

  unet_schedule_init (&schedule, UNET_SCHEDULE_CONSTANT, 0.05, 0);
  g_assert_cmpfloat (unet_schedule_lr_at_progress (&schedule, 5, 0.9), ==, 0.05);
  /* warm-up counts steps, not progress */
  schedule.warmup_steps = 4;
  assert_near (unet_schedule_lr_at_progress (&schedule, 1, 0.9), 0.025, 1e-15, "warm-up");
}

static void
test_schedule_warmup (void)
{
  UnetSchedule schedule;

  /* a linear ramp over 4 steps: 1/4, 2/4, 3/4, then the schedule itself */
  unet_schedule_init (&schedule, UNET_SCHEDULE_CONSTANT, 0.2, 100);
  schedule.warmup_steps = 4;
  assert_near (unet_schedule_lr (&schedule, 0), 0.05, 1e-15, "warm-up 0");
  assert_near (unet_schedule_lr (&schedule, 1), 0.10, 1e-15, "warm-up 1");
  assert_near (unet_schedule_lr (&schedule, 2), 0.15, 1e-15, "warm-up 2");
  assert_near (unet_schedule_lr (&schedule, 3), 0.20, 1e-15, "warm-up 3");
  assert_near (unet_schedule_lr (&schedule, 4), 0.20, 1e-15, "after warm-up");
  assert_near (unet_schedule_lr (&schedule, 99), 0.20, 1e-15, "long after warm-up");

  /* the ramp multiplies the schedule: poly over 10 steps with 2 warm-up steps */
  unet_schedule_init (&schedule, UNET_SCHEDULE_POLY, 0.2, 10);
  schedule.warmup_steps = 2;
  assert_near (unet_schedule_lr (&schedule, 0), 0.1, 1e-15, "poly warm-up 0");
  /* 0.2 * 0.9^0.9 = 0.2 * 0.9095325760 */
  assert_near (unet_schedule_lr (&schedule, 1), 0.2 * 0.9095325760, 1e-10, "poly warm-up 1");
  /* 0.2 * 0.8^0.9 = 0.2 * 0.8180521461 */
  assert_near (unet_schedule_lr (&schedule, 2), 0.2 * 0.8180521461, 1e-10, "poly after warm-up");
}

static void
test_schedule_kind_strings (void)
{
  const UnetScheduleKind kinds[] = {
    UNET_SCHEDULE_CONSTANT, UNET_SCHEDULE_POLY, UNET_SCHEDULE_STEP,
  };
  const char *names[] = { "constant", "poly", "step" };
  const char *bad[] = { "Poly", "linear", "", " step", "constant ", "cosine" };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr(GError) error = NULL;
      UnetScheduleKind kind = (UnetScheduleKind) 99;

      g_assert_cmpstr (unet_schedule_kind_to_string (kinds[i]), ==, names[i]);
      g_assert_true (unet_schedule_kind_from_string (names[i], &kind, &error));
      g_assert_no_error (error);
      g_assert_cmpint (kind, ==, kinds[i]);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      UnetScheduleKind kind = UNET_SCHEDULE_STEP;

      g_assert_false (unet_schedule_kind_from_string (bad[i], &kind, &error));
      g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT);
      g_test_message ("%s", error->message);
      /* the message names what was given and what would work */
      if (*bad[i] != '\0')
        g_assert_nonnull (strstr (error->message, bad[i]));
      g_assert_nonnull (strstr (error->message, "poly"));
      g_assert_cmpint (kind, ==, UNET_SCHEDULE_STEP);
    }

  {
    g_autoptr(GError) error = NULL;
    UnetScheduleKind kind = UNET_SCHEDULE_POLY;

    g_assert_false (unet_schedule_kind_from_string (NULL, &kind, &error));
    g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT);
    g_assert_cmpint (kind, ==, UNET_SCHEDULE_POLY);
    /* callers that do not want the message may pass no error */
    g_assert_false (unet_schedule_kind_from_string ("nope", &kind, NULL));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/optimizer/sgd/by-hand", test_sgd_by_hand);
  g_test_add_func ("/optimizer/sgd/reference", test_sgd_reference);
  g_test_add_func ("/optimizer/sgd/first-step", test_sgd_first_step);
  g_test_add_func ("/optimizer/sgd/restored-velocity", test_sgd_restored_velocity);
  g_test_add_func ("/optimizer/sgd/weight-decay", test_sgd_weight_decay);
  g_test_add_func ("/optimizer/sgd/running-stats", test_sgd_running_stats);
  g_test_add_func ("/optimizer/sgd/zero-lr", test_sgd_zero_lr);
  g_test_add_func ("/optimizer/schedule/defaults", test_schedule_defaults);
  g_test_add_func ("/optimizer/schedule/constant", test_schedule_constant);
  g_test_add_func ("/optimizer/schedule/poly", test_schedule_poly);
  g_test_add_func ("/optimizer/schedule/step", test_schedule_step);
  g_test_add_func ("/optimizer/schedule/warmup", test_schedule_warmup);
  g_test_add_func ("/optimizer/schedule/progress", test_schedule_progress);
  g_test_add_func ("/optimizer/schedule/cooldown", test_schedule_cooldown);
  g_test_add_func ("/optimizer/schedule/kind-strings", test_schedule_kind_strings);

  return g_test_run ();
}
