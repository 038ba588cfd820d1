/* unet-config.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "unet-config.h"
#include "unet-error.h"

void
unet_config_init_default (UnetConfig *config)
{
  g_return_if_fail (config != NULL);

  config->depth = 4;
  config->base = 64;
  config->in_channels = 3;
  config->classes = 21;
  config->padding = UNET_PADDING_VALID;
  config->norm = UNET_NORM_NONE;
  config->dropout = 0.5f;
}

gboolean
unet_config_validate (const UnetConfig  *config,
                      GError           **error)
{
  g_return_val_if_fail (config != NULL, FALSE);

  if (config->depth < UNET_MIN_DEPTH || config->depth > UNET_MAX_DEPTH)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG,
                   "Depth %d is out of range: it must be %d to %d pooling steps",
                   config->depth, UNET_MIN_DEPTH, UNET_MAX_DEPTH);
      return FALSE;
    }
  /* The widest level has base * 2^depth channels; keep it far from int overflow. */
  if (config->base < 1 || config->base > 1024)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG,
                   "Base width %d is out of range: it must be 1 to 1024 channels", config->base);
      return FALSE;
    }
  if (config->in_channels < 1 || config->in_channels > 64)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG,
                   "Input channels %d is out of range: it must be 1 to 64", config->in_channels);
      return FALSE;
    }
  /* Class maps are stored as bytes with 255 reserved for "ignore". */
  if (config->classes < 2 || config->classes > UNET_MAX_CLASSES)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG,
                   "Class count %d is out of range: it must be 2 to %d", config->classes,
                   UNET_MAX_CLASSES);
      return FALSE;
    }
  if (config->padding != UNET_PADDING_VALID && config->padding != UNET_PADDING_SAME)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG, "Unknown padding mode %d",
                   (int) config->padding);
      return FALSE;
    }
  if (config->norm != UNET_NORM_NONE && config->norm != UNET_NORM_BATCH)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG, "Unknown normalisation %d",
                   (int) config->norm);
      return FALSE;
    }
  if (!(config->dropout >= 0.0f && config->dropout < 1.0f))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG,
                   "Dropout %g is out of range: it must be at least 0 and below 1",
                   (double) config->dropout);
      return FALSE;
    }
  return TRUE;
}

int
unet_config_n_conv_layers (const UnetConfig *config)
{
  /* per level: 2 encoder convs, 1 up-conv, 2 decoder convs; plus 2 bottleneck convs and the head */
  return 5 * config->depth + 3;
}

/* The output side for an input side, or -1; *failed_level (may be NULL) receives the encoder
 * level whose size cannot be pooled, or depth when the input is too small overall. */
static int
output_size_for_input (const UnetConfig *config,
                       int               input_size,
                       int              *failed_level,
                       int              *failed_size)
{
  int shrink = config->padding == UNET_PADDING_VALID ? 4 : 0;
  int size = input_size;

  for (int level = 0; level < config->depth; level++)
    {
      size -= shrink;
      if (size < 2 || size % 2 != 0)
        {
          if (failed_level)
            *failed_level = level;
          if (failed_size)
            *failed_size = size;
          return -1;
        }
      size /= 2;
    }

  size -= shrink;
  for (int level = 0; level < config->depth && size >= 1; level++)
    size = size * 2 - shrink;

  if (size < 1)
    {
      if (failed_level)
        *failed_level = config->depth;
      return -1;
    }
  return size;
}

gboolean
unet_config_output_size (const UnetConfig  *config,
                         int                input_size,
                         int               *output_size,
                         GError           **error)
{
  int failed_level = 0, failed_size = 0;
  int size;

  g_return_val_if_fail (config != NULL, FALSE);

  if (input_size < 1 || input_size > (1 << 20))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                   "Input size %d is out of range", input_size);
      return FALSE;
    }

  size = output_size_for_input (config, input_size, &failed_level, &failed_size);
  if (size < 0 && failed_level < config->depth)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                   "Input size %d does not fit the model: encoder level %d gives %d pixels, "
                   "which cannot be max-pooled by 2 (the nearest larger valid size is %d)",
                   input_size, failed_level, failed_size,
                   unet_config_round_input_size (config, input_size));
      return FALSE;
    }
  if (size < 0)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                   "Input size %d is too small for a depth-%d model (the smallest is %d)",
                   input_size, config->depth, unet_config_round_input_size (config, 1));
      return FALSE;
    }

  *output_size = size;
  return TRUE;
}

/* The input side giving exactly output_size, or -1 when none does. */
static int
input_size_for_output (const UnetConfig *config,
                       int               output_size)
{
  int shrink = config->padding == UNET_PADDING_VALID ? 4 : 0;
  int size = output_size;

  for (int level = 0; level < config->depth; level++)
    {
      if ((size + shrink) % 2 != 0)
        return -1;
      size = (size + shrink) / 2;
    }

  size += shrink;
  for (int level = 0; level < config->depth; level++)
    size = size * 2 + shrink;

  return size;
}

gboolean
unet_config_input_size_for_output (const UnetConfig  *config,
                                   int                output_size,
                                   int               *input_size,
                                   GError           **error)
{
  int size;

  g_return_val_if_fail (config != NULL, FALSE);

  if (output_size < 1 || output_size > (1 << 20))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                   "Output size %d is out of range", output_size);
      return FALSE;
    }

  size = input_size_for_output (config, output_size);
  if (size < 0)
    {
      int lower = output_size - 1, higher = output_size + 1;

      /* name the nearest sizes that do work, to make the message actionable */
      while (lower > 0 && input_size_for_output (config, lower) < 0)
        lower--;
      while (input_size_for_output (config, higher) < 0)
        higher++;
      if (lower > 0)
        g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                     "No input gives an output of %d pixels with this model; "
                     "the nearest valid outputs are %d and %d", output_size, lower, higher);
      else
        g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                     "No input gives an output of %d pixels with this model; "
                     "the smallest valid output is %d", output_size, higher);
      return FALSE;
    }

  *input_size = size;
  return TRUE;
}

int
unet_config_round_input_size (const UnetConfig *config,
                              int               wanted)
{
  /* valid sizes recur with period 2^depth, so the search is short */
  for (int size = MAX (wanted, 1); size <= (1 << 20); size++)
    if (output_size_for_input (config, size, NULL, NULL) > 0)
      return size;

  return -1;
}

const char *
unet_padding_to_string (UnetPadding padding)
{
  return padding == UNET_PADDING_SAME ? "same" : "valid";
}

gboolean
unet_padding_from_string (const char   *string,
                          UnetPadding  *padding,
                          GError      **error)
{
  if (g_strcmp0 (string, "valid") == 0)
    *padding = UNET_PADDING_VALID;
  else if (g_strcmp0 (string, "same") == 0)
    *padding = UNET_PADDING_SAME;
  else
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Unknown padding “%s”: expected “valid” or “same”", string ? string : "");
      return FALSE;
    }
  return TRUE;
}

const char *
unet_norm_to_string (UnetNorm norm)
{
  return norm == UNET_NORM_BATCH ? "batch" : "none";
}

gboolean
unet_norm_from_string (const char  *string,
                       UnetNorm    *norm,
                       GError     **error)
{
  if (g_strcmp0 (string, "none") == 0)
    *norm = UNET_NORM_NONE;
  else if (g_strcmp0 (string, "batch") == 0)
    *norm = UNET_NORM_BATCH;
  else
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_ARGUMENT,
                   "Unknown normalisation “%s”: expected “none” or “batch”", string ? string : "");
      return FALSE;
    }
  return TRUE;
}
