/* unet-cli-plot-private.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The training-log reader of `unet plot`, apart from the file, for the fuzz harness: parses the
 * text of a log.jsonl or log.csv (contents need not be NUL-terminated) and counts its training
 * and validation records. Fails, naming `display` and the line, as `unet plot` does. */
gboolean unet_cli_plot_parse_log (const char  *contents,
                                  gsize        length,
                                  const char  *display,
                                  guint       *n_train,
                                  guint       *n_val,
                                  GError     **error);

G_END_DECLS
