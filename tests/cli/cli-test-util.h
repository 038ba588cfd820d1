/* cli-test-util.h — running the built `unet` in the CLI tests
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdarg.h>
#include <string.h>

#include <gio/gio.h>

/* --- running the binary ------------------------------------------------------------------ */

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static inline void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs the built `unet` with the arguments (NULL-terminated) and, when env_name is not NULL,
 * that variable set. UNET_DEFAULT_MODEL is always unset otherwise, so a developer's own
 * setting cannot leak in. */
static inline void
run_unet_env (Run        *run,
              const char *env_name,
              const char *env_value,
              const char *first,
              ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *cli = g_getenv ("UNET_CLI");
  va_list args;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer) cli);
  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_unsetenv (launcher, "UNET_DEFAULT_MODEL");
  if (env_name != NULL)
    g_subprocess_launcher_setenv (launcher, env_name, env_value, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  if (g_test_verbose ())
    g_printerr ("exit %d\n--- stdout\n%s--- stderr\n%s", run->status, run->out, run->err);
}

#define run_unet(run, ...) run_unet_env ((run), NULL, NULL, __VA_ARGS__)

static inline guint
count_lines_with (const char *text,
                  const char *prefix,
                  const char *contains)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (char **l = lines; *l; l++)
    if (g_str_has_prefix (*l, prefix) && (contains == NULL || strstr (*l, contains) != NULL))
      n++;
  return n;
}

