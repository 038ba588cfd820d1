/* keep-loaded.c — a dlclose() that leaves libraries loaded, preloaded into the ranks of the mpi
 * tests
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Open MPI keeps memory its plugins allocate at start until the process ends, and unloads the
 * plugins in MPI_Finalize. LeakSanitizer then reports that memory from "<unknown module>",
 * which no suppression can name; with the plugins still loaded the reports name them, and
 * lsan.supp leaves them out, while leaks of our own still fail the tests.
 */

int dlclose (void *handle);

int
dlclose (void *handle)
{
  (void) handle;
  return 0;
}
