/* test-infer-bands-memory.c: the memory a prediction by bands takes, by an interposed malloc
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <malloc.h>

#include "test-infer.h"

/* --- memory of a prediction by bands --------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
# define COUNTING_MALLOC 0
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define COUNTING_MALLOC 0
# endif
#endif
#ifndef COUNTING_MALLOC
# define COUNTING_MALLOC 1
#endif

#if COUNTING_MALLOC

/* The allocator interposed to follow the bytes in use and their peak (as test-model.c counts
 * allocations), so that a test can see how much memory a prediction takes besides its input
 * and outputs. */
extern void *__libc_malloc (size_t);
extern void *__libc_calloc (size_t, size_t);
extern void *__libc_realloc (void *, size_t);
extern void *__libc_memalign (size_t, size_t);
extern void __libc_free (void *);
static gint64 live_bytes = 0;
static gint64 peak_bytes = 0;

static void
track (void   *p,
       gint64  sign)
{
  gint64 live, peak;

  if (p == NULL)
    return;
  live = __atomic_add_fetch (&live_bytes, sign * (gint64) malloc_usable_size (p),
                             __ATOMIC_SEQ_CST);
  peak = __atomic_load_n (&peak_bytes, __ATOMIC_SEQ_CST);
  while (live > peak &&
         !__atomic_compare_exchange_n (&peak_bytes, &peak, live, FALSE, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST))
    ;
}

void *
malloc (size_t n)
{
  void *p = __libc_malloc (n);

  track (p, 1);
  return p;
}

void *
calloc (size_t n,
        size_t size)
{
  void *p = __libc_calloc (n, size);

  track (p, 1);
  return p;
}

void *
realloc (void   *p,
         size_t  n)
{
  void *q;

  track (p, -1);
  q = __libc_realloc (p, n);
  /* a failed realloc leaves the block as it was */
  track (q != NULL || n == 0 ? q : p, 1);
  return q;
}

void
free (void *p)
{
  track (p, -1);
  __libc_free (p);
}

int
posix_memalign (void   **out,
                size_t   alignment,
                size_t   n)
{
  void *p = __libc_memalign (alignment, n);

  if (p == NULL)
    return ENOMEM;
  track (p, 1);
  *out = p;
  return 0;
}

void *
aligned_alloc (size_t alignment,
               size_t n)
{
  void *p = __libc_memalign (alignment, n);

  track (p, 1);
  return p;
}

/* Whether our malloc is the one called: valgrind puts its own in place of every malloc. */
static gboolean
tracking_works (void)
{
  gint64 before = __atomic_load_n (&live_bytes, __ATOMIC_SEQ_CST);
  g_autofree char *probe = g_malloc (4096);

  return __atomic_load_n (&live_bytes, __ATOMIC_SEQ_CST) >= before + 4096;
}

/* Bytes a prediction takes at its peak beyond what was in use before it. The first call
 * prepares the network for the tile (its buffers belong to the model, whatever the image) and
 * starts the thread pools; the second is measured. */
static gint64
prediction_peak (UnetModel                *model,
                 const UnetImage          *image,
                 const UnetPredictOptions *options,
                 const UnetPrediction     *out)
{
  gint64 before;

  g_assert_true (unet_model_predict_image (model, image, options, out, NULL));
  before = __atomic_load_n (&live_bytes, __ATOMIC_SEQ_CST);
  __atomic_store_n (&peak_bytes, before, __ATOMIC_SEQ_CST);
  g_assert_true (unet_model_predict_image (model, image, options, out, NULL));
  return __atomic_load_n (&peak_bytes, __ATOMIC_SEQ_CST) - before;
}
#endif

/* By bands, the memory a prediction takes does not grow with the image: the same for an image
 * eight times as tall, in the slowest case (input scale, flip, a class limit that takes two
 * passes, bytes to convert), and well below the image's probabilities. In one band it grows. */
static void
test_bands_memory (void)
{
#if COUNTING_MALLOC
  g_autoptr(UnetModel) model = make_model (UNET_PADDING_SAME, 3, 101);
  const int heights[2] = { 256, 2048 }, w = 64;
  UnetPredictOptions options = { .tile = 96, .flip = TRUE, .max_classes = 1, .band_bytes = 1 };
  gint64 banded[2], whole[2];

  if (!tracking_works ())
    {
      g_test_skip ("another allocator (valgrind's) replaces the tracking one");
      return;
    }
  unet_model_set_input_scale (model, 0.5);
  for (int i = 0; i < 2; i++)
    {
      int h = heights[i];
      size_t plane = (size_t) h * w;
      g_autofree guint8 *rgb8 = make_image8 (h, w, 97);
      g_autofree guint8 *classes = g_new (guint8, plane);
      g_autofree float *confidence = g_new (float, plane);
      g_autofree float *entropy = g_new (float, plane);
      UnetImage image = { h, w, NULL, rgb8 };
      UnetPrediction out = { classes, confidence, entropy, NULL };
      UnetPredictOptions one_band = options;

      banded[i] = prediction_peak (model, &image, &options, &out);
      one_band.band_bytes = 0;
      whole[i] = prediction_peak (model, &image, &one_band, &out);
      g_test_message ("%d×%d: %" G_GINT64_FORMAT " bytes by bands, %" G_GINT64_FORMAT
                      " in one band; its probabilities take %zu", w, h, banded[i], whole[i],
                      CLASSES * sizeof (float) * plane);
    }
  /* a little slack for the allocator's rounding and the threads' bookkeeping */
  g_assert_cmpint (banded[1], <=, banded[0] + 4096);
  g_assert_cmpint (banded[1], <, (gint64) (CLASSES * sizeof (float) * heights[1] * w / 8));
  g_assert_cmpint (whole[1], >, whole[0] + (gint64) (CLASSES * sizeof (float) * (heights[1] - heights[0]) * w / 4 / 2));
#else
  g_test_skip ("the allocation tracker cannot coexist with AddressSanitizer's allocator");
#endif
}

void
test_infer_bands_memory_register (void)
{
  g_test_add_func ("/infer/bands/memory", test_bands_memory);
}
