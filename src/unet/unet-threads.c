/* unet-threads.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <cblas.h>
#include <omp.h>

#include "unet-threads.h"

static int engine_threads = 0;

void
unet_set_threads (int n)
{
  if (n <= 0)
    n = (int) g_get_num_processors ();

  engine_threads = n;
  /* GEMMs and the engine's own loops alternate within a step, so both get every core we mean to
   * use; they never run at the same time, so this cannot oversubscribe. */
  openblas_set_num_threads (n);
  omp_set_num_threads (n);
}

int
unet_get_threads (void)
{
  if (engine_threads <= 0)
    return omp_get_max_threads ();
  return engine_threads;
}
