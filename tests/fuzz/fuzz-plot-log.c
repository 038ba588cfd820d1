/* fuzz-plot-log.c — libFuzzer harness for the training-log reader of `unet plot`
 * (log.jsonl through json-glib, log.csv by hand)
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "unet-cli.h"
#include "unet-cli-plot-private.h"

#include "fuzz-common.h"

/* unet-cli.c, which holds main(), is not linked; the command's messages are not wanted here. */
void
unet_cli_error (const char *command,
                const char *format,
                ...)
{
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_quiet_logs ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *copy = g_malloc (MAX (size, 1));
  guint n_train = 0, n_val = 0;

  if (size > 0)
    memcpy (copy, data, size);
  if (unet_cli_plot_parse_log (copy, size, "log", &n_train, &n_val, NULL))
    FUZZ_CHECK (n_train + n_val > 0);
  return 0;
}
