/* unet-distributed.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "unet/unet.h"

G_BEGIN_DECLS

/* Data-parallel training over MPI: every process ("rank") holds the whole model and a part of
 * each batch; gradients and batch-norm statistics are summed over the ranks, so that N ranks
 * train exactly the model one process would train on the whole batch.
 *
 * This interface exists in every build. Built without MPI (meson -Dmpi=disabled, or MPI not
 * found), unet_distributed_new() fails with UNET_DISTRIBUTED_ERROR_UNAVAILABLE; the application
 * links that variant, so that it never depends on MPI.
 *
 * Every collective waits in a loop that also watches the other ranks. When a rank dies or hangs
 * the others cannot go on — an MPI collective that lost a member can be neither finished nor
 * cancelled — so they say why and end: the one place where this code ends the process instead
 * of returning an error. A rank that dies, mpirun notices and names, and it ends the job with
 * SIGTERM (see unet_distributed_notify_terminate); one that hangs, the others find by a timeout
 * and a roll call, and they name it. Errors that every rank can see coming go through
 * unet_distributed_agree() and come back as GErrors on every rank. */

#define UNET_DISTRIBUTED_ERROR (unet_distributed_error_quark ())

typedef enum
{
  UNET_DISTRIBUTED_ERROR_UNAVAILABLE, /* this build has no MPI */
  UNET_DISTRIBUTED_ERROR_FAILED,      /* MPI could not start, or refused a call */
} UnetDistributedError;

/* Where the time between two steps' starts went, summed over the steps measured. */
typedef struct
{
  gint64  steps;
  double  gradient_wait;   /* seconds waiting after backward for the gradient reductions */
  double  norm_wait;       /* seconds in the batch-norm reductions (forward and backward) */
  double  step_wait;       /* seconds in the per-step agreement and the loss reduction */
  guint64 gradient_bytes;  /* bytes of gradients each rank sends into the sum per step */
  guint   buckets;         /* reductions the gradients travel in per step */
} UnetDistributedStats;

typedef struct _UnetDistributed UnetDistributed;

GQuark            unet_distributed_error_quark      (void);

/* Whether this build can train over MPI. */
gboolean          unet_distributed_is_available     (void);
/* Whether this process was started by an MPI launcher (mpirun, mpiexec, srun with PMI/PMIx),
 * judged by the environment it was given. */
gboolean          unet_distributed_was_launched     (void);

/* Starts MPI (once per process). */
UnetDistributed  *unet_distributed_new              (GError                **error);
/* Ends MPI; the process cannot start it again. */
void              unet_distributed_free             (UnetDistributed        *self);

int               unet_distributed_get_rank         (const UnetDistributed  *self);
int               unet_distributed_get_size         (const UnetDistributed  *self);
/* Ranks on this machine, this one included: they share its cores. */
int               unet_distributed_get_local_size   (const UnetDistributed  *self);

/* A collective that makes no progress for this long (120 s by default) starts a roll call; the
 * ranks that do not answer are named and the job ends (MPI_Abort). */
void              unet_distributed_set_timeout      (UnetDistributed        *self,
                                                     double                  seconds);
/* Gradients are reduced in buckets of about this many bytes (1 MiB by default), each started
 * as soon as its layers' gradients are final. With overlap off, the whole gradient goes in one
 * reduction after backward: the baseline the overlap is measured against. */
void              unet_distributed_set_bucket_bytes (UnetDistributed        *self,
                                                     gsize                   bytes);
void              unet_distributed_set_overlap      (UnetDistributed        *self,
                                                     gboolean                overlap);
/* The step number that messages about a lost rank name. */
void              unet_distributed_set_step         (UnetDistributed        *self,
                                                     gint64                  step);

/* Safe from a signal handler: the launcher is ending the job (a rank died, or Ctrl+C: mpirun
 * sends SIGTERM, then SIGKILL a second later). Prints at once, with write(2), that the job is
 * ending and which collective this rank was in; a rank still waiting on one shortly after
 * exits. */
void              unet_distributed_notify_terminate (void);

/* --- collectives: every rank calls the same ones in the same order ------------------------ */

/* One collective at a point every rank reaches (`what`, for messages): sums `sums` (at most 14)
 * over the ranks, ORs *flag (may be NULL), and learns whether some rank failed (`failure` not
 * NULL on that rank). If one did,
 * every rank returns FALSE with the same error: the failing rank's own, or on the others its
 * domain, code and message prefixed with "rank N: " (the lowest failing rank's). */
gboolean          unet_distributed_agree            (UnetDistributed        *self,
                                                     const char             *what,
                                                     const GError           *failure,
                                                     double                 *sums,
                                                     guint                   n_sums,
                                                     gboolean               *flag,
                                                     GError                **error);
/* Whether the last failure this rank saw went through unet_distributed_agree (every rank knows
 * of it) — otherwise the others may be waiting, and unet_distributed_abort() must end them. */
gboolean          unet_distributed_failure_agreed   (const UnetDistributed  *self);

void              unet_distributed_sum_doubles      (UnetDistributed        *self,
                                                     double                 *values,
                                                     gsize                   n);
void              unet_distributed_sum_counts       (UnetDistributed        *self,
                                                     guint64                *values,
                                                     gsize                   n);
/* Rank 0's floats to every rank. */
void              unet_distributed_broadcast_floats (UnetDistributed        *self,
                                                     float                  *values,
                                                     gsize                   n);
/* Rank 0's bytes (NULL elsewhere) to every rank; returns them on every rank. */
GBytes           *unet_distributed_broadcast_bytes  (UnetDistributed        *self,
                                                     GBytes                 *bytes);
/* Fails on every rank when `value` (a checksum) is not the same on all. */
gboolean          unet_distributed_check_same       (UnetDistributed        *self,
                                                     guint64                 value,
                                                     const char             *what,
                                                     GError                **error);

/* --- training ----------------------------------------------------------------------------- */

/* Installs the model's hooks: batch-norm statistics are reduced over the ranks, and each
 * layer's gradients are reduced as soon as backward has finished them. The model must outlive
 * its attachment; NULL detaches. */
void              unet_distributed_attach_model     (UnetDistributed        *self,
                                                     UnetModel              *model);
/* Around unet_model_backward: afterwards every rank holds the sum of all ranks' gradients. */
void              unet_distributed_begin_gradients  (UnetDistributed        *self);
void              unet_distributed_finish_gradients (UnetDistributed        *self);

void              unet_distributed_get_stats        (const UnetDistributed  *self,
                                                     UnetDistributedStats   *stats);
void              unet_distributed_reset_stats      (UnetDistributed        *self);

/* Tells every other rank that this one failed (message), then ends the job. */
G_NORETURN
void              unet_distributed_abort            (UnetDistributed        *self,
                                                     const char             *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetDistributed, unet_distributed_free)

G_END_DECLS
