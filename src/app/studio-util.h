/* studio-util.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A path for people: "~/…" under the home folder, in UTF-8. */
char *studio_display_path (const char *path);

G_END_DECLS
