/* unet-file.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "unet-error.h"
#include "unet-file.h"

/* g_mkstemp() fills in six letters or digits; g_file_set_contents() uses the same template. */
#define TEMPLATE_SUFFIX ".XXXXXX"

struct _UnetAtomicFile
{
  char *path;
  char *display;
  char *tmp_path;
  FILE *stream;   /* NULL once committed or failed */
};

static void
discard_temporary (UnetAtomicFile *self)
{
  if (self->tmp_path != NULL)
    g_unlink (self->tmp_path);
  g_clear_pointer (&self->tmp_path, g_free);
}

static gboolean
set_io_error (GError     **error,
              const char  *display,
              const char  *what,
              int          saved_errno)
{
  g_set_error (error, UNET_ERROR, UNET_ERROR_IO, "%s: %s: %s", display, what,
               g_strerror (saved_errno));
  return FALSE;
}

UnetAtomicFile *
unet_atomic_file_open (const char  *path,
                       GError     **error)
{
  g_autoptr(UnetAtomicFile) self = NULL;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (UnetAtomicFile, 1);
  self->path = g_strdup (path);
  self->display = g_filename_display_name (path);
  self->tmp_path = g_strconcat (path, TEMPLATE_SUFFIX, NULL);

  /* 0666 as open() would use: the umask decides, as for any new file */
  fd = g_mkstemp_full (self->tmp_path, O_WRONLY
#ifdef O_CLOEXEC
                       | O_CLOEXEC
#endif
                       , 0666);
  if (fd < 0)
    {
      int saved_errno = errno;

      /* nothing to remove: free must not unlink a name someone else may own */
      g_clear_pointer (&self->tmp_path, g_free);
      set_io_error (error, self->display, "cannot create a temporary file beside it",
                    saved_errno);
      return NULL;
    }

  self->stream = fdopen (fd, "wb");
  if (self->stream == NULL)
    {
      int saved_errno = errno;

      close (fd);
      set_io_error (error, self->display, "cannot write", saved_errno);
      return NULL;
    }

  return g_steal_pointer (&self);
}

FILE *
unet_atomic_file_get_stream (UnetAtomicFile *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (self->stream != NULL, NULL);

  return self->stream;
}

gboolean
unet_atomic_file_write (UnetAtomicFile  *self,
                        const void      *data,
                        gsize            length,
                        GError         **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->stream != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (length == 0)
    return TRUE;
  errno = 0;
  if (fwrite (data, 1, length, self->stream) != length)
    return set_io_error (error, self->display, "cannot write", errno != 0 ? errno : EIO);
  return TRUE;
}

static gboolean
sync_folder (const char *path)
{
#ifdef G_OS_UNIX
  g_autofree char *folder = g_path_get_dirname (path);
  int fd = open (folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int saved_errno;
  int res;

  /* Not being allowed to open the folder for reading leaves nothing to sync with. */
  if (fd < 0)
    return TRUE;
  res = fsync (fd);
  saved_errno = errno;
  close (fd);
  /* Some file systems cannot sync folders at all. */
  if (res < 0 && saved_errno != EINVAL && saved_errno != ENOTSUP)
    {
      errno = saved_errno;
      return FALSE;
    }
#endif
  return TRUE;
}

gboolean
unet_atomic_file_commit (UnetAtomicFile  *self,
                         GError         **error)
{
  FILE *stream;
  int saved_errno;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->stream != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stream = g_steal_pointer (&self->stream);

  /* A write the caller did not check left the error flag, maybe without errno. */
  errno = 0;
  if (fflush (stream) != 0 || ferror (stream))
    {
      saved_errno = errno != 0 ? errno : EIO;
      fclose (stream);
      goto fail_write;
    }
  if (g_fsync (fileno (stream)) < 0)
    {
      saved_errno = errno;
      fclose (stream);
      discard_temporary (self);
      return set_io_error (error, self->display, "cannot flush to disk", saved_errno);
    }
  /* Some file systems report a failed write only here. */
  if (fclose (stream) != 0)
    {
      saved_errno = errno;
      goto fail_write;
    }

  if (g_rename (self->tmp_path, self->path) < 0)
    {
      saved_errno = errno;
      discard_temporary (self);
      return set_io_error (error, self->display, "cannot replace the file", saved_errno);
    }
  g_clear_pointer (&self->tmp_path, g_free);

  if (!sync_folder (self->path))
    return set_io_error (error, self->display,
                         "written, but the folder cannot be flushed to disk", errno);
  return TRUE;

fail_write:
  discard_temporary (self);
  return set_io_error (error, self->display, "cannot write", saved_errno);
}

void
unet_atomic_file_free (UnetAtomicFile *self)
{
  if (self == NULL)
    return;

  if (self->stream != NULL)
    fclose (self->stream);
  /* not committed: the temporary is ours to remove */
  discard_temporary (self);
  g_free (self->display);
  g_free (self->path);
  g_free (self);
}

gboolean
unet_file_write_atomic (const char  *path,
                        const void  *data,
                        gsize        length,
                        GError     **error)
{
  g_autoptr(UnetAtomicFile) file = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  file = unet_atomic_file_open (path, error);
  return file != NULL &&
         unet_atomic_file_write (file, data, length, error) &&
         unet_atomic_file_commit (file, error);
}

gboolean
unet_file_is_atomic_temporary (const char *name,
                               const char *basename)
{
  gsize length;
  gsize suffix = strlen (TEMPLATE_SUFFIX);

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (basename != NULL, FALSE);

  length = strlen (basename);
  if (strlen (name) != length + suffix || strncmp (name, basename, length) != 0 ||
      name[length] != '.')
    return FALSE;
  for (gsize i = length + 1; i < length + suffix; i++)
    if (!g_ascii_isalnum (name[i]))
      return FALSE;
  return TRUE;
}
