/* unet-cli.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "unet-cli.h"
#include "unet-cli-common.h"

typedef struct
{
  const char      *name;
  UnetCommandFunc  run;
  const char      *summary;
} Command;

static const Command commands[] = {
  { "train", unet_cli_train, "Train a model on a dataset, or resume a run" },
  { "info", unet_cli_info, "Describe and check a dataset, or show a model file's configuration" },
  { "evaluate", unet_cli_evaluate, "Measure a model's mIoU and accuracy on a dataset split" },
  { "predict", unet_cli_predict, "Segment images: class masks, overlays and legends" },
  { "plot", unet_cli_plot, "Draw a training run's loss and validation mIoU as a PNG or SVG" },
  { "bench", unet_cli_bench, "Measure training and inference speed of a model configuration" },
};

void
unet_cli_error (const char *command,
                const char *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (command)
    fprintf (stderr, "unet %s: %s\n", command, message);
  else
    fprintf (stderr, "unet: %s\n", message);
}

/* Warnings from the libraries read like the tool's own messages ("unet train: warning: …"),
 * not like GLib's debugging output with process ids and timestamps. */
static GLogWriterOutput
write_log (GLogLevelFlags   level,
           const GLogField *fields,
           gsize            n_fields,
           gpointer         user_data)
{
  const char *message = NULL;

  if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO | G_LOG_FLAG_FATAL |
               G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return g_log_writer_default (level, fields, n_fields, user_data);

  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
  if (message == NULL)
    return G_LOG_WRITER_UNHANDLED;

  fprintf (stderr, "%s: %s%s%s\n", g_get_prgname () ? g_get_prgname () : "unet",
           unet_cli_get_log_prefix (), level & G_LOG_LEVEL_WARNING ? "warning: " : "", message);
  return G_LOG_WRITER_HANDLED;
}

static void
print_usage (FILE *stream)
{
  fprintf (stream,
           "Usage: unet COMMAND [OPTION…]\n"
           "\n"
           "Train, evaluate and run U-Net semantic segmentation models.\n"
           "\n"
           "Commands:\n");
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (stream, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (stream,
           "\n"
           "Options:\n"
           "  -h, --help     Show this help and exit\n"
           "  -V, --version  Show the version and exit\n"
           "\n"
           "Run “unet COMMAND --help” for the options of a command.\n");
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  g_log_set_writer_func (write_log, NULL, NULL);

  if (argc < 2)
    {
      print_usage (stderr);
      return UNET_EXIT_USAGE;
    }

  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return UNET_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0)
    {
      printf ("unet (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
      printf ("Copyright 2026 The U-Net Studio authors\n"
              "License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\n"
              "This is free software: you are free to change and redistribute it.\n"
              "There is NO WARRANTY, to the extent permitted by law.\n");
      return UNET_EXIT_OK;
    }

  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        g_autofree char *name = g_strdup_printf ("unet %s", commands[i].name);

        /* so that "--help" reads "Usage: unet predict [OPTION…]" */
        g_set_prgname (name);
        return commands[i].run (argc - 1, argv + 1);
      }

  unet_cli_error (NULL, "unknown command “%s”; see “unet --help”", argv[1]);
  return UNET_EXIT_USAGE;
}
