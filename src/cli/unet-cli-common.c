/* unet-cli-common.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "voc/voc.h"
#include "unet-cli.h"
#include "unet/unet-default-model.h"
#include "unet-cli-common.h"

static char *log_prefix;

void
unet_cli_set_log_prefix (int rank)
{
  g_free (log_prefix);
  log_prefix = g_strdup_printf ("rank %d: ", rank);
}

const char *
unet_cli_get_log_prefix (void)
{
  return log_prefix ? log_prefix : "";
}

char *
unet_cli_default_model_path (void)
{
  const char *env = g_getenv ("UNET_DEFAULT_MODEL");

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  return g_strdup (UNET_DEFAULT_MODEL_NAME);
}

int
unet_cli_exit_code_for_error (const GError *error)
{
  if (error == NULL)
    return UNET_EXIT_FAILURE;
  if (error->domain == VOC_ERROR)
    return error->code == VOC_ERROR_INVALID_ARGUMENT ? UNET_EXIT_USAGE : UNET_EXIT_INPUT;
  if (error->domain == UNET_ERROR)
    switch ((UnetError) error->code)
      {
      case UNET_ERROR_INVALID_CONFIG:
      case UNET_ERROR_INVALID_SIZE:
      case UNET_ERROR_INVALID_ARGUMENT:
        return UNET_EXIT_USAGE;
      case UNET_ERROR_IO:
      case UNET_ERROR_CORRUPT:
      case UNET_ERROR_MISMATCH:
        return UNET_EXIT_INPUT;
      case UNET_ERROR_NO_MEMORY:
      default:
        return UNET_EXIT_FAILURE;
      }
  if (error->domain == G_FILE_ERROR)
    return UNET_EXIT_INPUT;
  return UNET_EXIT_FAILURE;
}

UnetModel *
unet_cli_load_model (const char *command,
                     const char *path,
                     int        *exit_code)
{
  g_autofree char *default_path = NULL;
  g_autoptr(GError) error = NULL;
  UnetModel *model;

  g_return_val_if_fail (exit_code != NULL, NULL);

  if (path == NULL)
    {
      g_autoptr(GBytes) bytes = unet_default_model_get_bytes (&default_path, &error);

      if (bytes == NULL)
        {
          unet_cli_error (command, "%s", error->message);
          *exit_code = UNET_EXIT_INPUT;
          return NULL;
        }
      model = unet_model_load_bytes (bytes, default_path, &error);
      if (model == NULL)
        {
          unet_cli_error (command, "%s", error->message);
          *exit_code = UNET_EXIT_INPUT;
          return NULL;
        }
      *exit_code = UNET_EXIT_OK;
      return model;
    }

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      unet_cli_error (command, "%s: no such model file", path);
      *exit_code = UNET_EXIT_INPUT;
      return NULL;
    }
  model = unet_model_load (path, &error);
  if (model == NULL)
    {
      unet_cli_error (command, "%s", error->message);
      *exit_code = error->domain == UNET_ERROR && error->code == UNET_ERROR_NO_MEMORY
                   ? UNET_EXIT_FAILURE : UNET_EXIT_INPUT;
      return NULL;
    }
  *exit_code = UNET_EXIT_OK;
  return model;
}

void
unet_cli_model_palette (UnetModel *model,
                        guint8     palette[768])
{
  const UnetConfig *config = unet_model_get_config (model);
  int classes = MIN (config->classes, 256);

  memcpy (palette, voc_colormap_table (), 768);
  memcpy (palette, unet_model_get_palette (model), 3 * classes);
}

/* --- progress ----------------------------------------------------------------------------- */

struct _UnetCliProgress
{
  char     *command;
  guint     total;
  gboolean  quiet;
  gboolean  terminal;
  gboolean  line_open; /* a progress line without its newline is on the terminal */
};

UnetCliProgress *
unet_cli_progress_new (const char *command,
                       guint       total,
                       gboolean    quiet)
{
  UnetCliProgress *self = g_new0 (UnetCliProgress, 1);

  self->command = g_strdup (command);
  self->total = total;
  self->quiet = quiet;
  self->terminal = isatty (STDERR_FILENO);
  return self;
}

static void
close_line (UnetCliProgress *self)
{
  if (self->line_open)
    {
      fputs ("\r\033[K", stderr);
      self->line_open = FALSE;
    }
}

void
unet_cli_progress_update (UnetCliProgress *self,
                          guint            index,
                          const char      *item)
{
  g_return_if_fail (self != NULL);

  if (self->quiet)
    return;
  if (self->terminal)
    {
      /* Keep the line shorter than a narrow terminal, or \r no longer returns to its start. */
      g_autofree char *shown = g_utf8_make_valid (item, -1);
      glong chars = g_utf8_strlen (shown, -1);
      const char *tail = shown;

      if (chars > 50)
        tail = g_utf8_offset_to_pointer (shown, chars - 49);
      fprintf (stderr, "\r\033[Kunet %s: [%u/%u] %s%s", self->command, index + 1, self->total,
               tail == shown ? "" : "…", tail);
      self->line_open = TRUE;
    }
  else
    fprintf (stderr, "unet %s: [%u/%u] %s\n", self->command, index + 1, self->total, item);
  fflush (stderr);
}

void
unet_cli_progress_warn (UnetCliProgress *self,
                        const char      *format,
                        ...)
{
  g_autofree char *message = NULL;
  va_list args;

  g_return_if_fail (self != NULL);

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  close_line (self);
  fprintf (stderr, "unet %s: warning: %s\n", self->command, message);
  fflush (stderr);
}

void
unet_cli_progress_free (UnetCliProgress *self)
{
  if (self == NULL)
    return;
  close_line (self);
  fflush (stderr);
  g_free (self->command);
  g_free (self);
}

gboolean
unet_cli_parse_max_classes (const char *command,
                            int         option,
                            int        *max_classes)
{
  if (option == UNET_CLI_MAX_CLASSES_UNSET)
    *max_classes = 0;
  else if (option == 0)
    *max_classes = -1;
  else if (option > 0)
    *max_classes = option;
  else
    {
      unet_cli_error (command, "--max-classes must be at least 0 (0: no limit)");
      return FALSE;
    }
  return TRUE;
}
