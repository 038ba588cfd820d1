/* test-layers.h: what the layer tests share, and the registration of each file's tests
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "unet/unet-layers.h"
#include "unet/unet-rng.h"

#include "conv-reference.h"

G_BEGIN_DECLS

/* Fast kernels against the double-precision oracle, as max |error| / max |expected|. Float sums
 * are good to about 1e-6 here; a wrong index or a missed term costs an error of order 1. */
#define ORACLE_FORWARD_TOL  1e-5
#define ORACLE_BACKWARD_TOL 5e-5

/* Finite differences: an entry passes if
 *   |analytic - numeric| <= GRAD_RTOL max (|analytic|, |numeric|) + GRAD_ATOL scale,
 * where scale is the largest gradient magnitude among the entries checked, so that the check
 * means the same for a loss gradient of 1e-2 as for a convolution gradient of 10. */
#define GRAD_RTOL 1e-2
#define GRAD_ATOL 1e-3

/* Entries checked per tensor by finite differences; bigger tensors get a random subset. */
#define GRAD_MAX_CHECKS 400

/* What forward must leave alone around its output. */
#define SENTINEL 777.0f

/* --- helpers (test-layers-util.c) ----------------------------------------------------------- */

float  *new_filled      (size_t       n,
                         float        value);
float  *new_copy        (const float *x,
                         size_t       n);
float  *new_work        (size_t       floats);
void    assert_close    (const char  *what,
                         const float *actual,
                         const float *expected,
                         size_t       n,
                         double       tol);
size_t  count_not_equal (const float *x,
                         size_t       n,
                         float        value);
double  max_abs         (const float *x,
                         size_t       n);

/* A scalar function of the problem's current parameters, evaluated by running forward. */
typedef double (*Objective) (gpointer data);

void    check_gradient  (const char  *prefix,
                         const char  *name,
                         Objective    objective,
                         gpointer     data,
                         float       *x,
                         const float *analytic,
                         size_t       n,
                         float        eps,
                         UnetRng     *rng);
void    check_doubled   (const char  *what,
                         const float *once,
                         const float *twice,
                         size_t       n);

/* --- the tests of each file, added in the order of test-layers.c's main ----------------------- */

void test_layers_conv_register    (void);
void test_layers_crop_register    (void);
void test_layers_relu_register    (void);
void test_layers_pool_register    (void);
void test_layers_norm_register    (void);
void test_layers_dropout_register (void);
void test_layers_softmax_register (void);

G_END_DECLS
