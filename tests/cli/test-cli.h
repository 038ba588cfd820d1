/* test-cli.h: what the files of the `unet` command tests share
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* --- the hand-made fixture (test-cli-fixture.c) ------------------------------------------ */

/* Writes an RGB PNG whose pixels are 'K' (black), 'R' (red) or 'B' (blue), row by row. */
void        write_rgb_png          (const char *path,
                                    const char *colours,
                                    int         width,
                                    int         height);
/* A model that gives black, red and blue pixels classes 0, 1 and 2; the path of its file. */
char       *write_fixture_model    (const char *dir);
/* Images a and b with their masks and a val split; the dataset's folder. */
char       *write_fixture_dataset  (const char *dir);
/* The fixture model's classes of image a's 16 pixels. */
extern const guint8 a_predicted[16];

JsonObject *parse_object           (const char *json,
                                    JsonParser *parser);
double      member_double          (JsonObject *object,
                                    const char *name);

/* --- the tests of each command, registered in the order main() runs them ----------------- */

void test_cli_info_register     (void);
void test_cli_evaluate_register (void);
void test_cli_predict_register  (void);
void test_cli_train_register    (void);
void test_cli_plot_register     (void);

G_END_DECLS
