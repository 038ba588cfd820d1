/* unet-distributed.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef UNET_WITH_MPI
#include <mpi.h>
#endif

#include "unet-distributed.h"
#include "unet/unet-model-train.h"

G_DEFINE_QUARK (unet-distributed-error-quark, unet_distributed_error)

/* Set from a signal handler; read by the wait loops. */
static volatile sig_atomic_t terminating;
/* What SIGTERM's message says, read by the signal handler: plain data, set by the main thread.
 * The prefix ("unet train: rank 3: ") is written once, when MPI starts; waiting_for is a string
 * constant naming the collective this rank is in, or NULL. */
static char message_prefix[128];
static const char *volatile waiting_for;
static volatile long waiting_step;
static volatile sig_atomic_t told;

gboolean
unet_distributed_was_launched (void)
{
  static const char *const variables[] = {
    "OMPI_COMM_WORLD_SIZE", /* Open MPI's mpirun and mpiexec */
    "PMIX_RANK",            /* PMIx launchers: srun --mpi=pmix, prterun */
    "PMI_RANK",             /* MPICH's hydra, srun --mpi=pmi2 */
  };

  for (guint i = 0; i < G_N_ELEMENTS (variables); i++)
    if (g_getenv (variables[i]) != NULL)
      return TRUE;
  return FALSE;
}

static void
write_string (const char *text)
{
  size_t length = strlen (text);

  while (length > 0)
    {
      ssize_t written = write (STDERR_FILENO, text, length);

      if (written <= 0)
        return;
      text += written;
      length -= (size_t) written;
    }
}

/* Everything here is async-signal-safe: write(2), and digits by hand. */
void
unet_distributed_notify_terminate (void)
{
  const char *what = waiting_for;

  terminating = 1;
  if (told || message_prefix[0] == '\0')
    return;
  told = 1;
  write_string (message_prefix);
  write_string ("mpirun is ending the job");
  if (what != NULL)
    {
      char digits[24];
      int at = sizeof digits - 1;
      long step = waiting_step;

      digits[at] = '\0';
      do
        digits[--at] = (char) ('0' + step % 10);
      while ((step /= 10) > 0 && at > 0);
      write_string (" while this rank waits for ");
      write_string (what);
      write_string (" of step ");
      write_string (digits + at);
    }
  /* said at once: where a peer is gone, the next message to it can end this process inside
   * MPI (Open MPI's TCP transport does, when it cannot reconnect), and mpirun sends SIGKILL a
   * second later anyway */
  write_string (": a rank has died or failed (mpirun names it), or the job was interrupted\n");
}

#ifndef UNET_WITH_MPI

/* Built without MPI: the interface is there, but a run can never start. The functions below
 * behave as a world of one rank would, which nothing can reach since no object exists. */

struct _UnetDistributed
{
  gboolean failure_agreed;
};

gboolean
unet_distributed_is_available (void)
{
  return FALSE;
}

UnetDistributed *
unet_distributed_new (GError **error)
{
  g_set_error_literal (error, UNET_DISTRIBUTED_ERROR, UNET_DISTRIBUTED_ERROR_UNAVAILABLE,
                       "This unet was built without MPI, so it cannot train distributed: "
                       "install Open MPI (Debian: libopenmpi-dev openmpi-bin) and rebuild "
                       "with meson setup -Dmpi=enabled");
  return NULL;
}

void
unet_distributed_free (UnetDistributed *self)
{
  g_free (self);
}

int
unet_distributed_get_rank (const UnetDistributed *self)
{
  return 0;
}

int
unet_distributed_get_size (const UnetDistributed *self)
{
  return 1;
}

int
unet_distributed_get_local_size (const UnetDistributed *self)
{
  return 1;
}

void
unet_distributed_set_timeout (UnetDistributed *self,
                              double           seconds)
{
}

void
unet_distributed_set_bucket_bytes (UnetDistributed *self,
                                   gsize            bytes)
{
}

void
unet_distributed_set_overlap (UnetDistributed *self,
                              gboolean         overlap)
{
}

void
unet_distributed_set_step (UnetDistributed *self,
                           gint64           step)
{
}

gboolean
unet_distributed_agree (UnetDistributed  *self,
                        const char       *what,
                        const GError     *failure,
                        double           *sums,
                        guint             n_sums,
                        gboolean         *flag,
                        GError          **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (failure == NULL)
    return TRUE;
  self->failure_agreed = TRUE;
  g_propagate_error (error, g_error_copy (failure));
  return FALSE;
}

gboolean
unet_distributed_failure_agreed (const UnetDistributed *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->failure_agreed;
}

void
unet_distributed_sum_doubles (UnetDistributed *self,
                              double          *values,
                              gsize            n)
{
}

void
unet_distributed_sum_counts (UnetDistributed *self,
                             guint64         *values,
                             gsize            n)
{
}

void
unet_distributed_broadcast_floats (UnetDistributed *self,
                                   float           *values,
                                   gsize            n)
{
}

GBytes *
unet_distributed_broadcast_bytes (UnetDistributed *self,
                                  GBytes          *bytes)
{
  g_return_val_if_fail (bytes != NULL, NULL);

  return g_bytes_ref (bytes);
}

gboolean
unet_distributed_check_same (UnetDistributed  *self,
                             guint64           value,
                             const char       *what,
                             GError          **error)
{
  return TRUE;
}

void
unet_distributed_attach_model (UnetDistributed *self,
                               UnetModel       *model)
{
}

void
unet_distributed_begin_gradients (UnetDistributed *self)
{
}

void
unet_distributed_finish_gradients (UnetDistributed *self)
{
}

void
unet_distributed_get_stats (const UnetDistributed *self,
                            UnetDistributedStats  *stats)
{
  memset (stats, 0, sizeof *stats);
}

void
unet_distributed_reset_stats (UnetDistributed *self)
{
}

/* Unreachable: without MPI, unet_distributed_new makes no UnetDistributed to abort with. */
void
unet_distributed_abort (UnetDistributed *self,
                        const char      *message)
{
  g_error ("unet_distributed_abort (%s) in a build without MPI", message);
}

#else /* UNET_WITH_MPI */

#define DEFAULT_TIMEOUT 120.0
#define DEFAULT_BUCKET_BYTES ((gsize) 1 << 20)
/* mpirun sends SIGKILL one second after SIGTERM (odls_base_sigkill_timeout): a rank that got
 * SIGTERM (and said why, see unet_distributed_notify_terminate) and is still waiting this long
 * after waits for a rank that is gone. */
#define TERMINATE_STALL_US (200 * G_TIME_SPAN_MILLISECOND)
/* The longest a roll call after a timeout waits for answers: every live rank reaches a wait
 * loop within a layer's compute time. */
#define MAX_ROLL_CALL_S 10.0
#define NOTICE_BYTES 1024
/* MPI counts are ints; larger buffers go in pieces of this many elements. */
#define MAX_CHUNK (1 << 28)

enum
{
  TAG_FAILED = 1, /* the sender failed; the message says why */
  TAG_ASK,        /* the sender is stuck and asks who is still there */
  TAG_HERE,       /* the answer */
};

typedef struct
{
  size_t offset, n;
} Segment;

/* A reduction of one or more layers' gradients. Layers finish from the head down, and the head
 * and the decoder levels are not next to each other in the gradient block, so a bucket may hold
 * several pieces: those are packed into the staging buffer, and unpacked when it is done. */
typedef struct
{
  guint    first_segment, n_segments;
  size_t   n;
  float   *data;
  gboolean packed;
} Bucket;

struct _UnetDistributed
{
  int                   rank, size, local_size;
  MPI_Comm              comm;           /* the training's collectives */
  MPI_Comm              watch;          /* failure notices and roll calls */
  double                timeout;
  gsize                 bucket_bytes;
  gboolean              overlap;
  gint64                step;
  gboolean              failure_agreed;

  char                  notice[NOTICE_BYTES];
  MPI_Request           notice_request;
  char                  failure_text[NOTICE_BYTES];
  gboolean              in_roll_call;
  gboolean             *answered;

  UnetModel            *model;
  float                *grads;
  size_t                n_grads;
  float                *staging;
  size_t                staged;
  GArray               *segments;       /* Segment, this step's */
  GArray               *buckets;        /* Bucket */
  GArray               *requests;       /* MPI_Request, one per bucket */
  guint                 open_first;     /* the bucket being filled: its first segment … */
  size_t                open_n;         /* … and its floats */
  size_t                ready_floats;

  UnetDistributedStats  stats;
};

/* MPI starts once per process and cannot start again after MPI_Finalize. */
static gboolean mpi_started;

gboolean
unet_distributed_is_available (void)
{
  return TRUE;
}

static const char *
program_name (void)
{
  return g_get_prgname () ? g_get_prgname () : "unet";
}

/* The one way out when a collective cannot complete: say why, then end this rank, and with
 * `abort_job` the whole job (MPI_Abort makes the launcher kill every rank). */
G_NORETURN G_GNUC_PRINTF (3, 4)
static void
end_job (UnetDistributed *self,
         gboolean         abort_job,
         const char      *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "%s: rank %d: %s\n", program_name (), self->rank, message);
  fflush (NULL);
  if (abort_job)
    MPI_Abort (MPI_COMM_WORLD, 1);
  /* mpirun forwards a rank's output from a pipe, and drops what it has not read yet when the
   * rank is gone: stay long enough for the message to get through */
  g_usleep (G_USEC_PER_SEC / 2);
  /* no exit handlers: MPI's could wait for the ranks that are gone */
  _exit (1);
}

static void
send_notice (UnetDistributed *self,
             int              destination,
             int              tag)
{
  /* constant buffers, so the sends may be let go at once: nobody waits for a dead rank */
  static const char byte = 0;
  const void *buffer = tag == TAG_FAILED ? (const void *) self->failure_text : &byte;
  int length = tag == TAG_FAILED ? (int) strlen (self->failure_text) + 1 : 1;
  MPI_Request request;

  if (MPI_Isend (buffer, length, MPI_CHAR, destination, tag, self->watch, &request) == MPI_SUCCESS)
    MPI_Request_free (&request);
}

static void
post_notice_receive (UnetDistributed *self)
{
  if (MPI_Irecv (self->notice, NOTICE_BYTES, MPI_CHAR, MPI_ANY_SOURCE, MPI_ANY_TAG, self->watch,
                 &self->notice_request) != MPI_SUCCESS)
    end_job (self, TRUE, "MPI refused to listen for the other ranks' notices");
}

/* Answers roll calls and learns of other ranks' failures. */
static void
poll_notices (UnetDistributed *self)
{
  for (;;)
    {
      MPI_Status status;
      int arrived = 0, source;

      if (MPI_Test (&self->notice_request, &arrived, &status) != MPI_SUCCESS || !arrived)
        return;
      source = status.MPI_SOURCE;
      switch (status.MPI_TAG)
        {
        case TAG_FAILED:
          self->notice[NOTICE_BYTES - 1] = '\0';
          end_job (self, FALSE, "rank %d failed, so the job ends: %s", source, self->notice);
          break;
        case TAG_ASK:
          send_notice (self, source, TAG_HERE);
          if (self->in_roll_call)
            self->answered[source] = TRUE;
          break;
        case TAG_HERE:
          if (self->in_roll_call)
            self->answered[source] = TRUE;
          break;
        default:
          break;
        }
      post_notice_receive (self);
    }
}

/* Asks every rank who is still there; a rank answers from any wait loop it is in, and every live
 * rank reaches one soon, since the collective this one waits in needs them all.
 *
 * Only for a rank that hangs: the launcher does not notice one, so nothing else would end the
 * job. A rank that died is different — mpirun notices, names it, and ends the job with SIGTERM
 * (see wait_for) — and must not be sent to: Open MPI's TCP transport ends the sender when it
 * cannot connect. */
static void
roll_call (UnetDistributed *self,
           const char      *what,
           double           grace,
           double           stalled)
{
  g_autoptr(GString) silent = g_string_new (NULL);
  gint64 deadline;
  int n_silent = 0;
  gboolean all;

  /* said first, in case a rank is gone after all and the transport ends this one */
  fprintf (stderr, "%s: rank %d: %s of step %" G_GINT64_FORMAT " has made no progress for "
           "%.0f s; asking which ranks are still there\n", program_name (), self->rank, what,
           self->step, stalled);
  fflush (stderr);
  for (int r = 0; r < self->size; r++)
    self->answered[r] = r == self->rank;
  self->in_roll_call = TRUE;
  for (int r = 0; r < self->size; r++)
    if (r != self->rank)
      send_notice (self, r, TAG_ASK);

  deadline = g_get_monotonic_time () + (gint64) (grace * G_USEC_PER_SEC);
  do
    {
      poll_notices (self);
      all = TRUE;
      for (int r = 0; r < self->size; r++)
        all = all && self->answered[r];
      if (!all)
        g_usleep (1000);
    }
  while (!all && g_get_monotonic_time () < deadline);
  self->in_roll_call = FALSE;

  if (all)
    {
      /* slow, not lost (a rank writing a large checkpoint, an overloaded machine) */
      fprintf (stderr, "%s: rank %d: every rank answers; waiting on\n", program_name (),
               self->rank);
      return;
    }

  for (int r = 0; r < self->size; r++)
    if (!self->answered[r])
      {
        g_string_append_printf (silent, "%s%d", silent->len ? ", " : "", r);
        n_silent++;
      }
  end_job (self, TRUE, "rank%s %s did not answer for %.0f s while this rank waited for %s of step %"
           G_GINT64_FORMAT ": %s died or %s stuck; ending the job",
           n_silent > 1 ? "s" : "", silent->str, stalled + grace, what, self->step,
           n_silent > 1 ? "they" : "it", n_silent > 1 ? "are" : "is");
}

/* Between polls: spin briefly (a batch-norm reduction is over in microseconds when every rank
 * is there), then sleep more and more, so that a waiting rank leaves the cores to the ones
 * still computing. */
static void
pause_between_polls (guint polls)
{
  if (polls < 256)
    sched_yield ();
  else if (polls < 4096)
    g_usleep (50);
  else
    g_usleep (500);
}

static void
wait_for (UnetDistributed *self,
          int              n,
          MPI_Request     *requests,
          const char      *what,
          double          *seconds)
{
  gint64 start = g_get_monotonic_time (), since = start;
  guint polls = 0;

  waiting_for = what;
  waiting_step = (long) self->step;
  for (;;)
    {
      gint64 now;
      int done = 0;

      if (MPI_Testall (n, requests, &done, MPI_STATUSES_IGNORE) != MPI_SUCCESS)
        end_job (self, TRUE, "MPI failed during %s of step %" G_GINT64_FORMAT, what, self->step);
      if (done)
        break;

      poll_notices (self);
      now = g_get_monotonic_time ();
      /* Ctrl+C on mpirun, or a rank that died: every live rank got SIGTERM, and those still
       * waiting wait for one that is gone (mpirun's own message names it) */
      if (terminating && now - since > TERMINATE_STALL_US)
        {
          /* the message went out with the signal; let mpirun read it before this rank goes */
          g_usleep (G_USEC_PER_SEC / 2);
          _exit (1);
        }
      else if (now - since > self->timeout * G_USEC_PER_SEC)
        {
          roll_call (self, what, MIN (self->timeout, MAX_ROLL_CALL_S), (now - since) / 1e6);
          since = g_get_monotonic_time ();
        }
      pause_between_polls (polls++);
    }
  waiting_for = NULL;
  if (seconds)
    *seconds += (g_get_monotonic_time () - start) / 1e6;
}

static void
allreduce (UnetDistributed *self,
           void            *buffer,
           gsize            count,
           MPI_Datatype     type,
           MPI_Op           op,
           const char      *what,
           double          *seconds)
{
  MPI_Request request;

  g_assert (count <= G_MAXINT);
  waiting_for = what;
  waiting_step = (long) self->step;
  if (MPI_Iallreduce (MPI_IN_PLACE, buffer, (int) count, type, op, self->comm,
                      &request) != MPI_SUCCESS)
    end_job (self, TRUE, "MPI refused %s of step %" G_GINT64_FORMAT, what, self->step);
  wait_for (self, 1, &request, what, seconds);
}

static void
broadcast (UnetDistributed *self,
           void            *buffer,
           gsize            count,
           MPI_Datatype     type,
           int              root,
           const char      *what)
{
  MPI_Request request;

  g_assert (count <= G_MAXINT);
  waiting_for = what;
  waiting_step = (long) self->step;
  if (MPI_Ibcast (buffer, (int) count, type, root, self->comm, &request) != MPI_SUCCESS)
    end_job (self, TRUE, "MPI refused %s", what);
  wait_for (self, 1, &request, what, NULL);
}

UnetDistributed *
unet_distributed_new (GError **error)
{
  g_autoptr(UnetDistributed) self = NULL;
  MPI_Comm node;
  int provided = 0, initialized = 0;

  if (mpi_started)
    {
      g_set_error_literal (error, UNET_DISTRIBUTED_ERROR, UNET_DISTRIBUTED_ERROR_FAILED,
                           "MPI can be started only once per process");
      return NULL;
    }
  MPI_Initialized (&initialized);
  /* only the main thread calls MPI; the engine's OpenMP threads never do */
  if (!initialized && MPI_Init_thread (NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    {
      g_set_error_literal (error, UNET_DISTRIBUTED_ERROR, UNET_DISTRIBUTED_ERROR_FAILED,
                           "MPI could not start");
      return NULL;
    }
  mpi_started = TRUE;
  if (initialized)
    MPI_Query_thread (&provided);

  self = g_new0 (UnetDistributed, 1);
  self->comm = self->watch = MPI_COMM_NULL;
  self->notice_request = MPI_REQUEST_NULL;
  if (provided < MPI_THREAD_FUNNELED)
    {
      g_set_error_literal (error, UNET_DISTRIBUTED_ERROR, UNET_DISTRIBUTED_ERROR_FAILED,
                           "This MPI library does not support programs with threads");
      return NULL;
    }
  /* errors come back as codes, so that a failed call ends the job with a message of ours */
  MPI_Comm_set_errhandler (MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  if (MPI_Comm_dup (MPI_COMM_WORLD, &self->comm) != MPI_SUCCESS ||
      MPI_Comm_dup (MPI_COMM_WORLD, &self->watch) != MPI_SUCCESS)
    {
      g_set_error_literal (error, UNET_DISTRIBUTED_ERROR, UNET_DISTRIBUTED_ERROR_FAILED,
                           "MPI could not create the job's communicators");
      return NULL;
    }
  MPI_Comm_rank (self->comm, &self->rank);
  MPI_Comm_size (self->comm, &self->size);
  g_snprintf (message_prefix, sizeof message_prefix, "%s: rank %d: ", program_name (), self->rank);
  if (MPI_Comm_split_type (MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, self->rank, MPI_INFO_NULL,
                           &node) == MPI_SUCCESS)
    {
      MPI_Comm_size (node, &self->local_size);
      MPI_Comm_free (&node);
    }
  else
    {
      self->local_size = 1;
    }

  self->timeout = DEFAULT_TIMEOUT;
  self->bucket_bytes = DEFAULT_BUCKET_BYTES;
  self->overlap = TRUE;
  self->answered = g_new0 (gboolean, self->size);
  self->segments = g_array_sized_new (FALSE, FALSE, sizeof (Segment), 128);
  self->buckets = g_array_sized_new (FALSE, FALSE, sizeof (Bucket), 64);
  self->requests = g_array_sized_new (FALSE, FALSE, sizeof (MPI_Request), 64);
  post_notice_receive (self);

  return g_steal_pointer (&self);
}

void
unet_distributed_free (UnetDistributed *self)
{
  if (self == NULL)
    return;

  unet_distributed_attach_model (self, NULL);
  if (self->notice_request != MPI_REQUEST_NULL)
    {
      MPI_Cancel (&self->notice_request);
      MPI_Wait (&self->notice_request, MPI_STATUS_IGNORE);
    }
  if (self->comm != MPI_COMM_NULL)
    MPI_Comm_free (&self->comm);
  if (self->watch != MPI_COMM_NULL)
    MPI_Comm_free (&self->watch);
  g_clear_pointer (&self->segments, g_array_unref);
  g_clear_pointer (&self->buckets, g_array_unref);
  g_clear_pointer (&self->requests, g_array_unref);
  g_free (self->answered);
  g_free (self);
  MPI_Finalize ();
}

int
unet_distributed_get_rank (const UnetDistributed *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->rank;
}

int
unet_distributed_get_size (const UnetDistributed *self)
{
  g_return_val_if_fail (self != NULL, 1);

  return self->size;
}

int
unet_distributed_get_local_size (const UnetDistributed *self)
{
  g_return_val_if_fail (self != NULL, 1);

  return self->local_size;
}

void
unet_distributed_set_timeout (UnetDistributed *self,
                              double           seconds)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (seconds > 0.0);

  self->timeout = seconds;
}

void
unet_distributed_set_bucket_bytes (UnetDistributed *self,
                                   gsize            bytes)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (bytes > 0);

  self->bucket_bytes = bytes;
}

void
unet_distributed_set_overlap (UnetDistributed *self,
                              gboolean         overlap)
{
  g_return_if_fail (self != NULL);

  self->overlap = overlap;
}

void
unet_distributed_set_step (UnetDistributed *self,
                           gint64           step)
{
  g_return_if_fail (self != NULL);

  self->step = step;
}

/* --- collectives ---------------------------------------------------------------------------- */

/* A GError travels as "domain\0code\0message\0". */
static GError *
receive_error (UnetDistributed *self,
               int              root,
               const GError    *own)
{
  g_autofree char *packed = NULL;
  int length = 0;
  const char *domain, *code, *message;

  if (self->rank == root)
    {
      GString *text = g_string_new (g_quark_to_string (own->domain));

      g_string_append_c (text, '\0');
      g_string_append_printf (text, "%d", own->code);
      g_string_append_c (text, '\0');
      g_string_append (text, own->message);
      length = (int) text->len + 1;
      packed = g_string_free (text, FALSE);
    }
  broadcast (self, &length, 1, MPI_INT, root, "the error of a failed rank");
  if (self->rank != root)
    packed = g_malloc0 (MAX (length, 3) + 1);
  broadcast (self, packed, length, MPI_CHAR, root, "the error of a failed rank");
  if (self->rank == root)
    return g_error_copy (own);

  domain = packed;
  code = domain + strlen (domain) + 1;
  message = code + strlen (code) + 1;
  return g_error_new (g_quark_from_string (domain), (int) g_ascii_strtoll (code, NULL, 10),
                      "rank %d: %s", root, message);
}

gboolean
unet_distributed_agree (UnetDistributed  *self,
                        const char       *what,
                        const GError     *failure,
                        double           *sums,
                        guint             n_sums,
                        gboolean         *flag,
                        GError          **error)
{
  double buffer[16];
  int failed;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (n_sums <= G_N_ELEMENTS (buffer) - 2, FALSE);

  if (n_sums > 0)
    memcpy (buffer, sums, n_sums * sizeof (double));
  buffer[n_sums] = flag && *flag ? 1.0 : 0.0;
  buffer[n_sums + 1] = failure ? 1.0 : 0.0;
  allreduce (self, buffer, n_sums + 2, MPI_DOUBLE, MPI_SUM, what, &self->stats.step_wait);
  if (n_sums > 0)
    memcpy (sums, buffer, n_sums * sizeof (double));
  if (flag)
    *flag = buffer[n_sums] > 0.0;
  if (buffer[n_sums + 1] == 0.0)
    return TRUE;

  /* the lowest failing rank speaks for all */
  failed = failure ? self->rank : self->size;
  allreduce (self, &failed, 1, MPI_INT, MPI_MIN, what, NULL);
  self->failure_agreed = TRUE;
  g_propagate_error (error, receive_error (self, failed, failure));
  return FALSE;
}

gboolean
unet_distributed_failure_agreed (const UnetDistributed *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->failure_agreed;
}

void
unet_distributed_sum_doubles (UnetDistributed *self,
                              double          *values,
                              gsize            n)
{
  g_return_if_fail (self != NULL);

  for (gsize done = 0; done < n; done += MAX_CHUNK)
    allreduce (self, values + done, MIN (n - done, MAX_CHUNK), MPI_DOUBLE, MPI_SUM,
               "a sum over the ranks", &self->stats.step_wait);
}

void
unet_distributed_sum_counts (UnetDistributed *self,
                             guint64         *values,
                             gsize            n)
{
  g_return_if_fail (self != NULL);

  for (gsize done = 0; done < n; done += MAX_CHUNK)
    allreduce (self, values + done, MIN (n - done, MAX_CHUNK), MPI_UINT64_T, MPI_SUM,
               "the validation's sums", NULL);
}

void
unet_distributed_broadcast_floats (UnetDistributed *self,
                                   float           *values,
                                   gsize            n)
{
  g_return_if_fail (self != NULL);

  for (gsize done = 0; done < n; done += MAX_CHUNK)
    broadcast (self, values + done, MIN (n - done, MAX_CHUNK), MPI_FLOAT, 0,
               "the broadcast of the weights");
}

GBytes *
unet_distributed_broadcast_bytes (UnetDistributed *self,
                                  GBytes          *bytes)
{
  guint64 size = 0;
  guint8 *data;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail ((self->rank == 0) == (bytes != NULL), NULL);

  if (self->rank == 0)
    size = g_bytes_get_size (bytes);
  broadcast (self, &size, 1, MPI_UINT64_T, 0, "the broadcast of a file");
  /* MPI only reads the root's buffer */
  data = self->rank == 0 ? (guint8 *) g_bytes_get_data (bytes, NULL) : g_malloc (MAX (size, 1));
  for (guint64 done = 0; done < size; done += MAX_CHUNK)
    broadcast (self, data + done, MIN (size - done, MAX_CHUNK), MPI_BYTE, 0,
               "the broadcast of a file");
  if (self->rank == 0)
    return g_bytes_ref (bytes);
  return g_bytes_new_take (data, size);
}

gboolean
unet_distributed_check_same (UnetDistributed  *self,
                             guint64           value,
                             const char       *what,
                             GError          **error)
{
  /* the largest value and the largest complement (the smallest value) in one reduction */
  guint64 extremes[2] = { value, ~value };

  g_return_val_if_fail (self != NULL, FALSE);

  allreduce (self, extremes, 2, MPI_UINT64_T, MPI_MAX, "the comparison of the ranks' weights",
             &self->stats.step_wait);
  if (extremes[0] == ~extremes[1])
    return TRUE;
  self->failure_agreed = TRUE;
  g_set_error (error, UNET_DISTRIBUTED_ERROR, UNET_DISTRIBUTED_ERROR_FAILED,
               "The ranks no longer agree on %s after step %" G_GINT64_FORMAT ": their "
               "computations should be bit-identical (this is a bug)", what, self->step);
  return FALSE;
}

/* --- gradients ------------------------------------------------------------------------------ */

static void
on_reduce (double *values,
           size_t  n,
           void   *user_data)
{
  UnetDistributed *self = user_data;

  allreduce (self, values, n, MPI_DOUBLE, MPI_SUM, "the batch-norm statistics",
             &self->stats.norm_wait);
}

static void
launch_open_bucket (UnetDistributed *self)
{
  Bucket bucket = { self->open_first, self->segments->len - self->open_first, self->open_n,
                    NULL, FALSE };
  MPI_Request request;

  if (bucket.n_segments == 0)
    return;
  if (bucket.n_segments == 1)
    {
      const Segment *s = &g_array_index (self->segments, Segment, bucket.first_segment);

      bucket.data = self->grads + s->offset;
    }
  else
    {
      bucket.data = self->staging + self->staged;
      bucket.packed = TRUE;
      for (guint i = 0; i < bucket.n_segments; i++)
        {
          const Segment *s = &g_array_index (self->segments, Segment, bucket.first_segment + i);

          memcpy (self->staging + self->staged, self->grads + s->offset, s->n * sizeof (float));
          self->staged += s->n;
        }
    }

  g_assert (bucket.n <= G_MAXINT);
  waiting_for = "the gradient reduction";
  waiting_step = (long) self->step;
  if (MPI_Iallreduce (MPI_IN_PLACE, bucket.data, (int) bucket.n, MPI_FLOAT, MPI_SUM, self->comm,
                      &request) != MPI_SUCCESS)
    end_job (self, TRUE, "MPI refused the gradient reduction of step %" G_GINT64_FORMAT,
             self->step);
  waiting_for = NULL;
  g_array_append_val (self->buckets, bucket);
  g_array_append_val (self->requests, request);
  self->open_first = self->segments->len;
  self->open_n = 0;
}

static void
on_gradients_ready (float  *gradients,
                    size_t  offset,
                    size_t  n,
                    void   *user_data)
{
  UnetDistributed *self = user_data;
  size_t added = n;
  int done;

  g_assert (gradients == self->grads);
  self->ready_floats += n;
  if (!self->overlap)
    return;

  /* layers that lie side by side in the block share a piece */
  if (self->segments->len > self->open_first)
    {
      Segment *last = &g_array_index (self->segments, Segment, self->segments->len - 1);

      if (offset + n == last->offset)
        {
          last->offset = offset;
          last->n += n;
          n = 0;
        }
      else if (last->offset + last->n == offset)
        {
          last->n += n;
          n = 0;
        }
    }
  if (n > 0)
    {
      Segment segment = { offset, n };
      g_array_append_val (self->segments, segment);
    }
  self->open_n += added;

  if (self->open_n * sizeof (float) >= self->bucket_bytes)
    launch_open_bucket (self);
  /* MPI moves non-blocking collectives on only inside its calls */
  if (self->requests->len > 0)
    {
      waiting_for = "the gradient reduction";
      MPI_Testall (self->requests->len, (MPI_Request *) self->requests->data, &done,
                   MPI_STATUSES_IGNORE);
      waiting_for = NULL;
    }
}

void
unet_distributed_attach_model (UnetDistributed *self,
                               UnetModel       *model)
{
  g_return_if_fail (self != NULL);

  if (self->model != NULL)
    unet_model_set_hooks (self->model, NULL);
  g_clear_pointer (&self->staging, g_free);
  self->model = model;
  self->grads = NULL;
  self->n_grads = 0;
  if (model == NULL)
    return;

  {
    UnetModelHooks hooks = { on_reduce, on_gradients_ready, self };

    unet_model_set_hooks (model, &hooks);
  }
  self->grads = unet_model_get_grad_block (model, &self->n_grads);
  self->staging = g_new (float, MAX (self->n_grads, 1));
}

void
unet_distributed_begin_gradients (UnetDistributed *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->model != NULL);

  g_array_set_size (self->segments, 0);
  g_array_set_size (self->buckets, 0);
  g_array_set_size (self->requests, 0);
  self->open_first = 0;
  self->open_n = 0;
  self->staged = 0;
  self->ready_floats = 0;
}

void
unet_distributed_finish_gradients (UnetDistributed *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->model != NULL);

  /* every layer must have reported: a gradient left out would differ between the ranks */
  g_assert (self->ready_floats == self->n_grads);

  if (!self->overlap)
    {
      Segment whole = { 0, self->n_grads };

      g_array_append_val (self->segments, whole);
      self->open_n = self->n_grads;
    }
  launch_open_bucket (self);
  wait_for (self, self->requests->len, (MPI_Request *) self->requests->data,
            "the gradient reduction", &self->stats.gradient_wait);

  for (guint b = 0; b < self->buckets->len; b++)
    {
      const Bucket *bucket = &g_array_index (self->buckets, Bucket, b);
      const float *from = bucket->data;

      if (!bucket->packed)
        continue;
      for (guint i = 0; i < bucket->n_segments; i++)
        {
          const Segment *s = &g_array_index (self->segments, Segment, bucket->first_segment + i);

          memcpy (self->grads + s->offset, from, s->n * sizeof (float));
          from += s->n;
        }
    }

  self->stats.steps++;
  self->stats.gradient_bytes = self->n_grads * sizeof (float);
  self->stats.buckets = self->buckets->len;
}

void
unet_distributed_get_stats (const UnetDistributed *self,
                            UnetDistributedStats  *stats)
{
  g_return_if_fail (self != NULL && stats != NULL);

  *stats = self->stats;
}

void
unet_distributed_reset_stats (UnetDistributed *self)
{
  g_return_if_fail (self != NULL);

  memset (&self->stats, 0, sizeof self->stats);
}

void
unet_distributed_abort (UnetDistributed *self,
                        const char      *message)
{
  gint64 deadline;

  g_strlcpy (self->failure_text, message, sizeof self->failure_text);
  for (int r = 0; r < self->size; r++)
    if (r != self->rank)
      send_notice (self, r, TAG_FAILED);
  /* the sends were let go: give them, and the ranks that print the message, a moment */
  deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < deadline)
    {
      int flag;

      MPI_Iprobe (MPI_ANY_SOURCE, MPI_ANY_TAG, self->watch, &flag, MPI_STATUS_IGNORE);
      g_usleep (1000);
    }
  fflush (NULL);
  MPI_Abort (MPI_COMM_WORLD, 1);
  _exit (1);
}

#endif /* UNET_WITH_MPI */
