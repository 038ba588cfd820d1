/* unet-cli.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit codes, distinct per kind of failure so that scripts can tell them apart. */
typedef enum
{
  UNET_EXIT_OK = 0,
  UNET_EXIT_FAILURE = 1,   /* the work itself failed (e.g. out of memory) */
  UNET_EXIT_USAGE = 2,     /* bad command line, as GNU tools do */
  UNET_EXIT_INPUT = 3,     /* an input file is missing, unreadable or corrupt */
  UNET_EXIT_OUTPUT = 4,    /* an output could not be written */
  UNET_EXIT_INTERRUPTED = 130,
} UnetExitCode;

typedef int (*UnetCommandFunc) (int argc, char **argv);

int unet_cli_bench    (int    argc,
                       char **argv);
int unet_cli_info     (int    argc,
                       char **argv);
int unet_cli_evaluate (int    argc,
                       char **argv);
int unet_cli_predict  (int    argc,
                       char **argv);
int unet_cli_plot     (int    argc,
                       char **argv);
int unet_cli_train (int    argc,
                    char **argv);

/* Prints "unet COMMAND: message" on stderr. */
void unet_cli_error (const char *command,
                     const char *format,
                     ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
