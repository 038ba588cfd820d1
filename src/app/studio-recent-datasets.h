/* studio-recent-datasets.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* How many dataset folders the list keeps. */
#define STUDIO_RECENT_DATASETS_MAX 8

#define STUDIO_TYPE_RECENT_DATASETS (studio_recent_datasets_get_type ())

G_DECLARE_FINAL_TYPE (StudioRecentDatasets, studio_recent_datasets, STUDIO, RECENT_DATASETS,
                      GObject)

/* The dataset folders opened lately, newest first, kept in the "recent-datasets" key of the
 * application's settings: one list for the viewer, the training dashboard and Preferences.
 * It is a GListModel of GtkStringObject (the folders' paths), which changes whenever the key
 * does, whoever wrote it. With settings NULL it lives in memory only. */
StudioRecentDatasets *studio_recent_datasets_new         (GSettings            *settings);
/* Puts root first, dropping an older entry for it and the oldest beyond the maximum. */
void                  studio_recent_datasets_add         (StudioRecentDatasets *self,
                                                          const char           *root);
void                  studio_recent_datasets_remove      (StudioRecentDatasets *self,
                                                          const char           *root);
void                  studio_recent_datasets_clear       (StudioRecentDatasets *self);
/* The newest entry, or NULL. */
const char           *studio_recent_datasets_get_latest  (StudioRecentDatasets *self);
/* A menu of the entries, labelled with their display paths ("~/data/VOCdevkit"), each
 * activating action_name with the path as its string target, e.g. "dashboard.use-dataset". */
GMenuModel           *studio_recent_datasets_create_menu (StudioRecentDatasets *self,
                                                          const char           *action_name);

G_END_DECLS
