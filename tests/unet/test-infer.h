/* test-infer.h: what the inference tests share, and the registration of each file's tests
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "unet/unet-infer.h"
#include "unet/unet-model.h"
#include "unet/unet-model-train.h"

G_BEGIN_DECLS

#define DEPTH 2
#define CLASSES 3
/* same padding keeps this much context around each tile (unet-infer.c's SAME_TILE_MARGIN) */
#define SAME_MARGIN 32
#define TOLERANCE 1e-5

/* --- helpers (test-infer-util.c) ------------------------------------------------------------ */

UnetModel *make_model              (UnetPadding  padding,
                                    int          in_channels,
                                    guint64      seed);
float     *make_image              (int          height,
                                    int          width,
                                    guint64      seed);
guint8    *make_image8             (int          h,
                                    int          w,
                                    guint64      seed);
gboolean   predict                 (UnetModel   *model,
                                    const float *rgb,
                                    int          height,
                                    int          width,
                                    float       *probs,
                                    int          tile,
                                    gboolean     flip);
void       assert_probs_close      (const float *actual,
                                    const float *expected,
                                    int          height,
                                    int          width,
                                    double       tolerance,
                                    const char  *what);
void       assert_probs_sum_to_one (const float *probs,
                                    int          h,
                                    int          w,
                                    const char  *what);

/* --- the tests of each file, added in the order of test-infer.c's main ------------------------ */

void test_infer_tiles_register        (void);
void test_infer_flip_register         (void);
void test_infer_scale_register        (void);
void test_infer_restrict_register     (void);
void test_infer_bands_register        (void);
void test_infer_bands_memory_register (void);

G_END_DECLS
