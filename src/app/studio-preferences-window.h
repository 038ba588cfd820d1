/* studio-preferences-window.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define STUDIO_TYPE_PREFERENCES_WINDOW (studio_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (StudioPreferencesWindow, studio_preferences_window, STUDIO, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

StudioPreferencesWindow *studio_preferences_window_new (GSettings *settings);

G_END_DECLS
