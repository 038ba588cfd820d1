/* unet-optimizer.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet-model.h"

G_BEGIN_DECLS

typedef enum
{
  UNET_SCHEDULE_CONSTANT,
  UNET_SCHEDULE_POLY,     /* lr (1 - step / total)^power */
  UNET_SCHEDULE_STEP,     /* lr gamma^floor(step / step_size) */
  UNET_SCHEDULE_COOLDOWN, /* lr, then linearly to 0 over the last cooldown share of the run */
} UnetScheduleKind;

typedef struct
{
  UnetScheduleKind kind;
  double           base_lr;
  gint64           total_steps;  /* poly */
  double           power;        /* poly, 0.9 */
  gint64           step_size;    /* step */
  double           gamma;        /* step, 0.1 */
  double           cooldown;     /* cooldown, 0.2 */
  gint64           warmup_steps; /* linear ramp from 0 before any schedule; 0 = none */
} UnetSchedule;

void         unet_schedule_init            (UnetSchedule       *schedule,
                                            UnetScheduleKind    kind,
                                            double              base_lr,
                                            gint64              total_steps);
double       unet_schedule_lr              (const UnetSchedule *schedule,
                                            gint64              step);
/* The rate when the run is `progress` (0 to 1) of the way through by another measure than
 * steps (a time budget): poly decays by progress, step drops at its thirds; warm-up still
 * counts steps. */
double       unet_schedule_lr_at_progress  (const UnetSchedule *schedule,
                                            gint64              step,
                                            double              progress);
const char  *unet_schedule_kind_to_string  (UnetScheduleKind    kind);
gboolean     unet_schedule_kind_from_string (const char        *string,
                                             UnetScheduleKind  *kind,
                                             GError           **error);

/* SGD with momentum exactly as torch.optim.SGD (dampening 0, not Nesterov):
 *   g = grad + weight_decay * w;  v = momentum * v + g;  w -= lr * v
 * Weight decay applies to every trained tensor, as PyTorch's default parameter group. */
typedef struct _UnetOptimizer UnetOptimizer;

UnetOptimizer *unet_optimizer_new          (UnetModel     *model,
                                            double         momentum,
                                            double         weight_decay);
void           unet_optimizer_free         (UnetOptimizer *self);
double         unet_optimizer_get_momentum (const UnetOptimizer *self);
double         unet_optimizer_get_weight_decay (const UnetOptimizer *self);
void           unet_optimizer_step         (UnetOptimizer *self,
                                            UnetModel     *model,
                                            double         lr);
/* The momentum buffer of the model's parameter `index`, numel floats (NULL for running stats). */
float         *unet_optimizer_get_velocity (UnetOptimizer *self,
                                            guint          index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetOptimizer, unet_optimizer_free)

G_END_DECLS
