/* test-model-info.c: what the Model Information window says about a model
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "app/studio-model-info.h"

static UnetModel *
make_model (void)
{
  g_autoptr(GError) error = NULL;
  UnetConfig config;
  UnetModel *model;

  unet_config_init_default (&config);
  config.depth = 1;
  config.base = 2;
  config.padding = UNET_PADDING_SAME;
  model = unet_model_new (&config, &error);
  g_assert_no_error (error);
  unet_model_set_info (model, "data", "VOC 2007 train");
  return model;
}

/* The architecture, then the input scale and the limit on classes per photo when the model has
 * them, then where it came from and its provenance. */
static void
test_describe (void)
{
  g_autoptr(UnetModel) model = make_model ();

  {
    g_autoptr(StudioModelInfo) info = studio_model_info_new (model, "plain", "/m/plain.safetensors");
    g_autofree char *text = studio_model_info_describe (info);

    g_assert_nonnull (strstr (text, "depth 1, base width 2, same padding"));
    g_assert_nonnull (strstr (text, "21 classes"));
    g_assert_nonnull (strstr (text, "/m/plain.safetensors"));
    g_assert_nonnull (strstr (text, "data: VOC 2007 train"));
    g_assert_null (strstr (text, "their size"));
    g_assert_null (strstr (text, "per photo"));
  }

  unet_model_set_input_scale (model, 0.5);
  unet_model_set_max_classes (model, 1);
  {
    g_autoptr(StudioModelInfo) info = studio_model_info_new (model, "Built-in", NULL);
    g_autofree char *text = studio_model_info_describe (info);

    g_assert_nonnull (strstr (text, "Sees photos at 0.5× their size"));
    g_assert_nonnull (strstr (text, "At most 1 kind of object per photo"));
    g_assert_nonnull (strstr (text, "Built into the application"));
  }

  unet_model_set_max_classes (model, 2);
  {
    g_autoptr(StudioModelInfo) info = studio_model_info_new (model, "Built-in", NULL);
    g_autofree char *text = studio_model_info_describe (info);

    g_assert_nonnull (strstr (text, "At most 2 kinds of object per photo"));
  }
}

int
main (int   argc,
      char *argv[])
{
  /* the strings are checked in English */
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/model-info/describe", test_describe);

  return g_test_run ();
}
