/* unet-cli-common.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet/unet.h"

G_BEGIN_DECLS

/* What names the model used when --model is not given, for reports: $UNET_DEFAULT_MODEL when
 * set, else UNET_DEFAULT_MODEL_NAME (the model built into the program). */
char      *unet_cli_default_model_path (void);

/* Loads `path`, or the default model when path is NULL. On failure prints the reason as
 * "unet COMMAND: …" and stores the exit code (usage when there is no model to load, input when
 * the file is missing or broken) in *exit_code. */
UnetModel *unet_cli_load_model         (const char  *command,
                                        const char  *path,
                                        int         *exit_code);

/* The model's palette for its classes, then the VOC colormap: 256 × r,g,b. */
void       unet_cli_model_palette      (UnetModel   *model,
                                        guint8       palette[768]);

/* --max-classes=N of predict and evaluate: an int option that starts as
 * UNET_CLI_MAX_CLASSES_UNSET. Returns the UnetPredictOptions.max_classes it asks for (the
 * model's own limit when unset, none for 0), or FALSE with a message for a negative N. */
#define UNET_CLI_MAX_CLASSES_UNSET G_MININT
#define UNET_CLI_MAX_CLASSES_HELP \
  "Keep at most N foreground classes per image, those covering most of it (default: the " \
  "model's setting; 0: no limit)"
gboolean   unet_cli_parse_max_classes  (const char  *command,
                                        int          option,
                                        int         *max_classes);

/* Maps an error from the engine or the data layer to the exit code scripts see. */
int        unet_cli_exit_code_for_error (const GError *error);

/* Warnings and messages from then on read "unet COMMAND: rank N: …": the ranks of a
 * distributed run other than 0 say who they are. The prefix is "" until set. */
void        unet_cli_set_log_prefix     (int          rank);
const char *unet_cli_get_log_prefix     (void);

/* Progress over a list of items on stderr: a line per item, or one line rewritten in place when
 * stderr is a terminal. Quiet progress prints nothing. */
typedef struct _UnetCliProgress UnetCliProgress;

UnetCliProgress *unet_cli_progress_new    (const char      *command,
                                           guint            total,
                                           gboolean         quiet);
/* Announces item `index` (0-based) before it is processed. */
void             unet_cli_progress_update (UnetCliProgress *self,
                                           guint            index,
                                           const char      *item);
/* Prints a warning on a line of its own, without garbling the progress line. */
void             unet_cli_progress_warn   (UnetCliProgress *self,
                                           const char      *format,
                                           ...) G_GNUC_PRINTF (2, 3);
/* Ends the progress line, if any, and frees. */
void             unet_cli_progress_free   (UnetCliProgress *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetCliProgress, unet_cli_progress_free)

G_END_DECLS
