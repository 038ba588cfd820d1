/* unet-file.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

/* Replacing a file so that readers, and a crash at any moment, see the old file or the whole new
 * one, never a part: the bytes go to a temporary "NAME.XXXXXX" beside NAME (rename() only
 * replaces atomically within one file system), which is flushed to disk, renamed over NAME, and
 * the folder flushed. On failure the file at the path is untouched and the temporary removed.
 * Errors are UNET_ERROR_IO with a message naming the file and the reason.
 *
 * The one writer of every file libunet, the data layer and the command line write; PNG writers
 * (libpng) write into the stream. */
typedef struct _UnetAtomicFile UnetAtomicFile;

UnetAtomicFile *unet_atomic_file_open       (const char      *path,
                                             GError         **error);
/* (transfer none): the temporary's buffered stream, until commit or free. Whoever writes into
 * it directly need not check every call: commit fails if any write did. */
FILE           *unet_atomic_file_get_stream (UnetAtomicFile  *self);
gboolean        unet_atomic_file_write      (UnetAtomicFile  *self,
                                             const void      *data,
                                             gsize            length,
                                             GError         **error);
/* Flushes, renames over the path and flushes the folder. Either way the stream is closed after;
 * on failure the temporary is gone. An error after the rename (the folder cannot be flushed)
 * says so: the new file is in place but may not survive a crash. */
gboolean        unet_atomic_file_commit     (UnetAtomicFile  *self,
                                             GError         **error);
/* Before commit: gives up, removing the temporary; the file at the path is untouched. */
void            unet_atomic_file_free       (UnetAtomicFile  *self);

/* All of data as the new contents of path, atomically as above. */
gboolean        unet_file_write_atomic      (const char      *path,
                                             const void      *data,
                                             gsize            length,
                                             GError         **error);

/* Whether a name in a folder is a temporary unet_atomic_file_open() (or g_file_set_contents(),
 * which names them alike) made for the file called basename in that folder: what a crash
 * between open and commit leaves behind. */
gboolean        unet_file_is_atomic_temporary (const char    *name,
                                               const char    *basename);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetAtomicFile, unet_atomic_file_free)

G_END_DECLS
