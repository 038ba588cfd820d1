/* studio-window.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "studio-application.h"

G_BEGIN_DECLS

#define STUDIO_TYPE_WINDOW (studio_window_get_type ())

G_DECLARE_FINAL_TYPE (StudioWindow, studio_window, STUDIO, WINDOW, AdwApplicationWindow)

StudioWindow *studio_window_new        (StudioApplication *application);
void          studio_window_open_files (StudioWindow      *self,
                                        GFile            **files,
                                        int                n_files);
/* Browses a dataset split (NULL: val) and shows an error as a toast. */
void          studio_window_open_dataset (StudioWindow    *self,
                                          const char      *root,
                                          const char      *split);
void          studio_window_add_toast  (StudioWindow      *self,
                                        AdwToast          *toast);

G_END_DECLS
