/* fuzz-cli.c — libFuzzer harness for the command line of `unet`: the command functions run
 * in-process on an argv made from the input
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: the first byte picks the command (info, plot, train, predict, evaluate), the rest are
 * its arguments separated by NUL bytes. The commands run inside a private folder that holds a
 * tiny model, a log.jsonl and a log.csv, so that `info --model` and `plot` reach their real
 * work. Nothing leaves that folder: arguments with '/' or ".." are refused, and whatever a
 * command wrote is removed after it. train, predict and evaluate find no dataset and no image
 * there, so they stop after parsing their options, before any training or inference.
 */

#include "config.h"

#include <fcntl.h>
#include <locale.h>
#include <string.h>

#include "unet/unet.h"
#include "cli/unet-cli.h"

#include "fuzz-common.h"

#define MAX_ARGS 24

static const struct
{
  const char      *name;
  UnetCommandFunc  run;
} commands[] = {
  { "info", unet_cli_info },
  { "plot", unet_cli_plot },
  { "train", unet_cli_train },
  { "predict", unet_cli_predict },
  { "evaluate", unet_cli_evaluate },
};

static const char *const fixtures[] = { "model.safetensors", "log.jsonl", "log.csv" };

static char *workdir;

/* unet-cli.c, which holds main(), is not linked: its messages go nowhere here. */
void
unet_cli_error (const char *command,
                const char *format,
                ...)
{
}

static void
discard_print (const char *string)
{
}

static void
write_fixtures (void)
{
  /* as unet train writes them */
  static const char jsonl[] =
    "{\"type\":\"train\",\"step\":1,\"epoch\":1,\"loss\":3.1,\"lr\":0.01,\"images_per_s\":15}\n"
    "{\"type\":\"train\",\"step\":2,\"epoch\":1,\"loss\":2.9,\"lr\":0.005,\"images_per_s\":14}\n"
    "{\"type\":\"val\",\"step\":2,\"epoch\":1,\"val_loss\":3.0,\"miou\":0.03,"
    "\"pixel_accuracy\":0.4,\"mean_class_accuracy\":0.07,\"per_class_iou\":{\"background\":0.4}}\n";
  static const char csv[] =
    "step,epoch,loss,lr,images_per_s,val_loss,val_miou,val_pixel_accuracy,"
    "val_mean_class_accuracy\n"
    "1,1,3.1,0.01,15,,,,\n2,1,2.9,0.005,14,,,,\n2,1,,,,3.0,0.03,0.4,0.07\n";
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(GError) error = NULL;
  UnetConfig config;

  unet_config_init_default (&config);
  config.depth = 1;
  config.base = 2;
  config.padding = UNET_PADDING_SAME;
  model = unet_model_new (&config, &error);
  if (model != NULL)
    {
      unet_model_init_weights (model, 1);
      if (!unet_model_save (model, "model.safetensors", &error))
        g_clear_pointer (&model, unet_model_free);
    }
  if (model == NULL ||
      !g_file_set_contents ("log.jsonl", jsonl, -1, &error) ||
      !g_file_set_contents ("log.csv", csv, -1, &error))
    {
      fprintf (stderr, "fuzz-cli: cannot write the fixtures: %s\n", error->message);
      abort ();
    }
}

/* Removes everything but the fixtures from the working folder. */
static void
clean_workdir (void)
{
  GDir *dir = g_dir_open (".", 0, NULL);
  const char *name;

  if (dir == NULL)
    abort ();
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      gboolean keep = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (fixtures); i++)
        keep = keep || strcmp (name, fixtures[i]) == 0;
      if (!keep)
        {
          g_autofree char *path = g_build_filename (workdir, name, NULL);

          if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
            fuzz_remove_tree (path);
          else
            g_unlink (path);
        }
    }
  g_dir_close (dir);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  int devnull;

  setlocale (LC_ALL, "");
  fuzz_quiet_logs ();
  g_set_print_handler (discard_print);
  g_set_printerr_handler (discard_print);
  /* the reports of info and friends go to stdout; libFuzzer and the sanitizers use stderr */
  devnull = open ("/dev/null", O_WRONLY);
  if (devnull < 0 || dup2 (devnull, STDOUT_FILENO) < 0)
    abort ();
  close (devnull);

  unet_set_threads (1);
  workdir = g_build_filename (fuzz_get_tmpdir (), "cwd", NULL);
  if (g_mkdir (workdir, 0700) != 0 || g_chdir (workdir) != 0)
    abort ();
  write_fixtures ();
  return 0;
}

/* GOption prints the help and calls exit() for -h, -?, --help and --help-*: those are left to
 * tests/cli, as is anything that would name a file outside the working folder. */
static gboolean
arg_is_allowed (const char *arg)
{
  if (strchr (arg, '/') != NULL || strstr (arg, "..") != NULL)
    return FALSE;
  if (g_str_has_prefix (arg, "--help"))
    return FALSE;
  if (arg[0] == '-' && arg[1] != '-' && (strchr (arg, 'h') != NULL || strchr (arg, '?') != NULL))
    return FALSE;
  return TRUE;
}

/* A picture of 8000 × 8000 pixels is a valid request that takes longer than a fuzz run should:
 * plot keeps to the sizes a three-digit number gives. */
static gboolean
plot_size_is_small (const char *arg)
{
  guint digits = 0;

  if (strstr (arg, "0x") != NULL || strstr (arg, "0X") != NULL)
    return FALSE;
  for (const char *p = arg; *p; p++)
    {
      digits = g_ascii_isdigit (*p) ? digits + 1 : 0;
      if (digits > 3)
        return FALSE;
    }
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char **argv = NULL;
  guint command;
  int argc;

  if (size < 1 || size > 4096)
    return -1;
  command = data[0] % G_N_ELEMENTS (commands);
  g_ptr_array_add (args, g_strdup (commands[command].name));
  for (size_t start = 1; start < size; )
    {
      const uint8_t *nul = memchr (data + start, '\0', size - start);
      size_t end = nul ? (size_t) (nul - data) : size;
      char *arg = g_strndup ((const char *) data + start, end - start);

      g_ptr_array_add (args, arg);
      if (args->len > MAX_ARGS || !arg_is_allowed (arg) ||
          (command == 1 && !plot_size_is_small (arg)))
        return -1;
      start = end + 1;
    }

  /* the command may permute or drop entries of argv (GOption does): pass a shallow copy */
  argc = args->len;
  argv = g_new0 (char *, argc + 1);
  memcpy (argv, args->pdata, argc * sizeof (char *));
  commands[command].run (argc, argv);

  unet_set_threads (1);
  clean_workdir ();
  return 0;
}
