/* unet-optimizer.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "unet-error.h"
#include "unet-optimizer.h"
#include "unet-model-train.h"

struct _UnetOptimizer
{
  double  momentum;
  double  weight_decay;
  size_t  n_floats;
  float  *velocity; /* same offsets as the model's parameter block */
  UnetModel *model; /* unowned; only to map param indices to offsets */
};

void
unet_schedule_init (UnetSchedule     *schedule,
                    UnetScheduleKind  kind,
                    double            base_lr,
                    gint64            total_steps)
{
  g_return_if_fail (schedule != NULL);

  *schedule = (UnetSchedule) {
    .kind = kind,
    .base_lr = base_lr,
    .total_steps = total_steps,
    .power = 0.9,
    /* without a known length, "step" decays every 10000 steps instead of every step */
    .step_size = total_steps > 0 ? MAX (total_steps / 3, 1) : 10000,
    .gamma = 0.1,
    .cooldown = 0.2,
    .warmup_steps = 0,
  };
}

/* The cool-down's factor at progress p: 1 until the last `share` of the run, then down to 0. */
static double
cool_down (double progress,
           double share)
{
  progress = CLAMP (progress, 0.0, 1.0);
  if (share <= 0.0 || progress <= 1.0 - share)
    return 1.0;
  return (1.0 - progress) / share;
}

/* momentum 0.99 makes the first steps very large; a short ramp keeps them stable */
static double
warm_up (const UnetSchedule *schedule,
         gint64              step,
         double              lr)
{
  if (schedule->warmup_steps > 0 && step < schedule->warmup_steps)
    lr *= (double) (step + 1) / schedule->warmup_steps;
  return lr;
}

double
unet_schedule_lr (const UnetSchedule *schedule,
                  gint64              step)
{
  double lr;

  g_return_val_if_fail (schedule != NULL, 0.0);

  lr = schedule->base_lr;
  switch (schedule->kind)
    {
    case UNET_SCHEDULE_POLY:
      if (schedule->total_steps > 0)
        {
          double progress = CLAMP ((double) step / schedule->total_steps, 0.0, 1.0);
          lr *= pow (1.0 - progress, schedule->power);
        }
      break;
    case UNET_SCHEDULE_STEP:
      if (schedule->step_size > 0)
        lr *= pow (schedule->gamma, (double) (step / schedule->step_size));
      break;
    case UNET_SCHEDULE_COOLDOWN:
      if (schedule->total_steps > 0)
        lr *= cool_down ((double) step / schedule->total_steps, schedule->cooldown);
      break;
    case UNET_SCHEDULE_CONSTANT:
    default:
      break;
    }
  return warm_up (schedule, step, lr);
}

double
unet_schedule_lr_at_progress (const UnetSchedule *schedule,
                              gint64              step,
                              double              progress)
{
  double lr;

  g_return_val_if_fail (schedule != NULL, 0.0);

  progress = CLAMP (progress, 0.0, 1.0);
  lr = schedule->base_lr;
  switch (schedule->kind)
    {
    case UNET_SCHEDULE_POLY:
      lr *= pow (1.0 - progress, schedule->power);
      break;
    case UNET_SCHEDULE_STEP:
      lr *= pow (schedule->gamma, floor (MIN (progress, 0.999999) * 3.0));
      break;
    case UNET_SCHEDULE_COOLDOWN:
      lr *= cool_down (progress, schedule->cooldown);
      break;
    case UNET_SCHEDULE_CONSTANT:
    default:
      break;
    }
  return warm_up (schedule, step, lr);
}

const char *
unet_schedule_kind_to_string (UnetScheduleKind kind)
{
  switch (kind)
    {
    case UNET_SCHEDULE_POLY:
      return "poly";
    case UNET_SCHEDULE_STEP:
      return "step";
    case UNET_SCHEDULE_COOLDOWN:
      return "cooldown";
    case UNET_SCHEDULE_CONSTANT:
    default:
      return "constant";
    }
}

gboolean
unet_schedule_kind_from_string (const char        *string,
                                UnetScheduleKind  *kind,
                                GError           **error)
{
  if (g_strcmp0 (string, "constant") == 0)
    *kind = UNET_SCHEDULE_CONSTANT;
  else if (g_strcmp0 (string, "poly") == 0)
    *kind = UNET_SCHEDULE_POLY;
  else if (g_strcmp0 (string, "step") == 0)
    *kind = UNET_SCHEDULE_STEP;
  else if (g_strcmp0 (string, "cooldown") == 0)
    *kind = UNET_SCHEDULE_COOLDOWN;
  else
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Unknown learning-rate schedule “%s”: expected “constant”, “poly”, “step” or "
                   "“cooldown”",
                   string ? string : "");
      return FALSE;
    }
  return TRUE;
}

UnetOptimizer *
unet_optimizer_new (UnetModel *model,
                    double     momentum,
                    double     weight_decay)
{
  UnetOptimizer *self;
  guint n_params;
  const UnetParam *last;

  g_return_val_if_fail (model != NULL, NULL);

  n_params = unet_model_get_n_params (model);
  last = unet_model_get_param (model, n_params - 1);

  self = g_new0 (UnetOptimizer, 1);
  self->momentum = momentum;
  self->weight_decay = weight_decay;
  self->n_floats = last->offset + last->numel;
  self->velocity = g_new0 (float, self->n_floats);
  self->model = model;
  return self;
}

void
unet_optimizer_free (UnetOptimizer *self)
{
  if (self == NULL)
    return;

  g_free (self->velocity);
  g_free (self);
}

double
unet_optimizer_get_momentum (const UnetOptimizer *self)
{
  g_return_val_if_fail (self != NULL, 0.0);

  return self->momentum;
}

double
unet_optimizer_get_weight_decay (const UnetOptimizer *self)
{
  g_return_val_if_fail (self != NULL, 0.0);

  return self->weight_decay;
}

void
unet_optimizer_step (UnetOptimizer *self,
                     UnetModel     *model,
                     double         lr)
{
  float mu, wd, step;
  guint n_params;

  g_return_if_fail (self != NULL);
  /* the velocity block is laid out for the model it was made for */
  g_return_if_fail (model == self->model);

  mu = (float) self->momentum;
  wd = (float) self->weight_decay;
  step = (float) lr;
  n_params = unet_model_get_n_params (model);
  for (guint p = 0; p < n_params; p++)
    {
      UnetParam *param = unet_model_get_param (model, p);
      float *v = self->velocity + param->offset;
      float *w = param->data;
      const float *g = param->grad;

      if (param->kind == UNET_PARAM_RUNNING_STAT)
        continue;

#pragma omp parallel for schedule(static) if (param->numel > 65536)
      for (size_t i = 0; i < param->numel; i++)
        {
          float d = g[i] + wd * w[i];
          v[i] = mu * v[i] + d;
          w[i] -= step * v[i];
        }
    }
}

float *
unet_optimizer_get_velocity (UnetOptimizer *self,
                             guint          index)
{
  UnetParam *param;

  g_return_val_if_fail (self != NULL, NULL);

  param = unet_model_get_param (self->model, index);
  if (param == NULL || param->kind == UNET_PARAM_RUNNING_STAT)
    return NULL;
  return self->velocity + param->offset;
}
