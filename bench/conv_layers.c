/* conv_layers.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The 3x3 convolutions of the two benchmark U-Nets, one layer at a time: the OpenBLAS path
 * (im2col + sgemm) against the libxsmm path (direct, batch-reduce GEMM), in GFLOP/s.
 *
 *   OMP_NUM_THREADS=2 conv_layers [--config a|b|all] [--repeat N] [--min-time SECONDS]
 *                                 [--only enc1.2,dec4.1] [--xsmm-only]
 *
 * Columns: forward; input gradient; weight gradient, each OpenBLAS then libxsmm, and the
 * largest difference of the libxsmm weight gradient from OpenBLAS's relative to its largest
 * value. Each time is the best of N runs (median in brackets), after one warm-up run. */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "unet/unet-conv-xsmm.h"
#include "unet/unet-layers.h"

typedef struct
{
  const char *name;
  int         C;
  int         size;  /* input height and width */
  int         OC;
} Layer;

typedef struct
{
  const char  *label;
  int          pad;
  int          batch;
  const Layer *layers;
  guint        n_layers;
} Config;

/* (a) --padding valid --depth 4 --base 32 --tile 572 --batch 1 */
static const Layer layers_a[] = {
  { "enc1.1", 3, 572, 32 },     { "enc1.2", 32, 570, 32 },
  { "enc2.1", 32, 284, 64 },    { "enc2.2", 64, 282, 64 },
  { "enc3.1", 64, 140, 128 },   { "enc3.2", 128, 138, 128 },
  { "enc4.1", 128, 68, 256 },   { "enc4.2", 256, 66, 256 },
  { "bott.1", 256, 32, 512 },   { "bott.2", 512, 30, 512 },
  { "dec4.1", 512, 56, 256 },   { "dec4.2", 256, 54, 256 },
  { "dec3.1", 256, 104, 128 },  { "dec3.2", 128, 102, 128 },
  { "dec2.1", 128, 200, 64 },   { "dec2.2", 64, 198, 64 },
  { "dec1.1", 64, 392, 32 },    { "dec1.2", 32, 390, 32 },
};

/* (b) --padding same --depth 4 --base 16 --tile 256 --batch 4 */
static const Layer layers_b[] = {
  { "enc1.1", 3, 256, 16 },     { "enc1.2", 16, 256, 16 },
  { "enc2.1", 16, 128, 32 },    { "enc2.2", 32, 128, 32 },
  { "enc3.1", 32, 64, 64 },     { "enc3.2", 64, 64, 64 },
  { "enc4.1", 64, 32, 128 },    { "enc4.2", 128, 32, 128 },
  { "bott.1", 128, 16, 256 },   { "bott.2", 256, 16, 256 },
  { "dec4.1", 256, 32, 128 },   { "dec4.2", 128, 32, 128 },
  { "dec3.1", 128, 64, 64 },    { "dec3.2", 64, 64, 64 },
  { "dec2.1", 64, 128, 32 },    { "dec2.2", 32, 128, 32 },
  { "dec1.1", 32, 256, 16 },    { "dec1.2", 16, 256, 16 },
};

static const Config configs[] = {
  { "a: valid, base 32, tile 572, batch 1", 0, 1, layers_a, G_N_ELEMENTS (layers_a) },
  { "b: same, base 16, tile 256, batch 4", 1, 4, layers_b, G_N_ELEMENTS (layers_b) },
};

enum
{
  FWD_BLAS,
  FWD_XSMM,
  BWD_DATA_BLAS,
  BWD_DATA_XSMM,
  BWD_WEIGHT_BLAS,
  BWD_WEIGHT_XSMM,
  N_TIMINGS
};

typedef struct
{
  UnetShape    shape;
  int          OC;
  int          pad;
  float       *in, *weight, *bias, *out, *dout, *din, *dweight, *dbias, *work;
} Buffers;

/* The unet_conv3x3_* entries are timed with the libxsmm path switched off, the
 * unet_conv3x3_xsmm_* ones directly. */
static void
run (const Buffers *b,
     int            what)
{
  switch (what)
    {
    case FWD_BLAS:
      unet_conv3x3_forward (b->out, b->in, b->weight, b->bias, b->shape, b->OC, b->pad, b->work);
      break;
    case FWD_XSMM:
      if (!unet_conv3x3_xsmm_forward (b->out, b->in, b->weight, b->bias, b->shape, b->OC, b->pad,
                                      TRUE, b->work))
        g_error ("libxsmm forward failed");
      break;
    case BWD_DATA_BLAS:
      unet_conv3x3_backward_data (b->din, FALSE, b->dout, b->weight, b->shape, b->OC, b->pad,
                                  b->work);
      break;
    case BWD_WEIGHT_BLAS:
      unet_conv3x3_backward_weights (b->dweight, NULL, b->dout, b->in, b->shape, b->OC, b->pad,
                                     b->work);
      break;
    case BWD_WEIGHT_XSMM:
      if (!unet_conv3x3_xsmm_backward_weights (b->dweight, b->dout, b->in, b->shape, b->OC,
                                               b->pad, b->work))
        g_error ("libxsmm weight gradient failed");
      break;
    case BWD_DATA_XSMM:
      if (!unet_conv3x3_xsmm_backward_data (b->din, FALSE, b->dout, b->weight, b->shape, b->OC,
                                            b->pad, b->work))
        g_error ("libxsmm backward failed");
      break;
    default:
      g_assert_not_reached ();
    }
}

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Best and median seconds of `repeat` runs, and at least min_time seconds of runs. */
static void
time_it (const Buffers *b,
         int            what,
         int            repeat,
         double         min_time,
         double        *best,
         double        *median)
{
  GArray *times = g_array_new (FALSE, FALSE, sizeof (double));
  double total = 0.0;

  run (b, what);
  while ((int) times->len < repeat || total < min_time)
    {
      gint64 t0 = g_get_monotonic_time ();
      double t;

      run (b, what);
      t = (g_get_monotonic_time () - t0) * 1e-6;
      g_array_append_val (times, t);
      total += t;
      if (times->len >= 200)
        break;
    }
  qsort (times->data, times->len, sizeof (double), compare_double);
  *best = g_array_index (times, double, 0);
  *median = g_array_index (times, double, times->len / 2);
  g_array_unref (times);
}

static float *
new_random (size_t n,
            float  scale)
{
  float *x = g_new (float, MAX (n, 1));

  for (size_t i = 0; i < n; i++)
    x[i] = scale * (2.0f * g_random_double () - 1.0f);
  return x;
}

static void
print_load (void)
{
  g_autofree char *text = NULL;

  if (g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    printf ("load average: %s", text);
}

/* max |xsmm - blas| / max |blas| of one weight gradient from zero */
static double
weight_grad_difference (Buffers *b,
                        size_t   n_w)
{
  g_autofree float *blas = g_new0 (float, n_w);
  double largest = 0.0, diff = 0.0;

  memset (b->dweight, 0, sizeof (float) * n_w);
  run (b, BWD_WEIGHT_BLAS);
  memcpy (blas, b->dweight, sizeof (float) * n_w);
  memset (b->dweight, 0, sizeof (float) * n_w);
  run (b, BWD_WEIGHT_XSMM);
  for (size_t i = 0; i < n_w; i++)
    {
      largest = MAX (largest, fabs (blas[i]));
      diff = MAX (diff, fabs (b->dweight[i] - blas[i]));
    }
  return diff / MAX (largest, 1e-30);
}

static const char *only_layers = NULL;
static gboolean xsmm_only = FALSE;

static void
bench_config (const Config *config,
              int           repeat,
              double        min_time)
{
  double sum[N_TIMINGS] = { 0 };
  double flops_total = 0.0;

  printf ("\n## config %s\n\n", config->label);
  printf ("| layer  | C->OC    | in   | GFLOP | fwd blas  | fwd xsmm  | x    | dX blas   "
          "| dX xsmm   | x    | dW blas   | dW xsmm   | x    | dW diff |\n");
  printf ("|--------|----------|------|-------|-----------|-----------|------|-----------"
          "|-----------|------|-----------|-----------|------|---------|\n");

  for (guint i = 0; i < config->n_layers; i++)
    {
      const Layer *l = &config->layers[i];
      Buffers b = { { config->batch, l->C, l->size, l->size }, l->OC, config->pad };
      int out_size = l->size - 2 + 2 * config->pad;
      size_t n_in = unet_shape_numel (b.shape);
      size_t n_out = (size_t) config->batch * l->OC * out_size * out_size;
      size_t n_w = (size_t) l->OC * l->C * 9;
      size_t n_work = unet_conv3x3_work_size (b.shape, l->OC, config->pad);
      double flops = 2.0 * config->batch * l->OC * l->C * 9 * out_size * out_size;
      double best[N_TIMINGS], median[N_TIMINGS], gf[N_TIMINGS], gf_med[N_TIMINGS];
      double diff;

      if (only_layers && !strstr (only_layers, l->name))
        continue;
      b.in = new_random (n_in, 1.0f);
      b.weight = new_random (n_w, 0.1f);
      b.bias = new_random (l->OC, 0.1f);
      b.out = new_random (n_out, 1.0f);
      b.dout = new_random (n_out, 1.0f);
      b.din = new_random (n_in, 1.0f);
      b.dweight = new_random (n_w, 1.0f);
      b.dbias = new_random (l->OC, 1.0f);
      b.work = new_random (n_work, 1.0f);

      for (int t = 0; t < N_TIMINGS; t++)
        {
          if (xsmm_only && t != FWD_XSMM && t != BWD_DATA_XSMM && t != BWD_WEIGHT_XSMM)
            {
              best[t] = median[t] = 1.0;
              continue;
            }
          time_it (&b, t, repeat, min_time, &best[t], &median[t]);
          sum[t] += best[t];
        }
      diff = weight_grad_difference (&b, n_w);
      for (int t = 0; t < N_TIMINGS; t++)
        {
          gf[t] = flops / best[t] * 1e-9;
          gf_med[t] = flops / median[t] * 1e-9;
        }
      flops_total += flops;

      printf ("| %-6s | %3d->%-4d | %4d | %5.2f | %3.0f (%3.0f) | %3.0f (%3.0f) | %4.2f "
              "| %3.0f (%3.0f) | %3.0f (%3.0f) | %4.2f | %3.0f (%3.0f) | %3.0f (%3.0f) | %4.2f "
              "| %7.1e |\n",
              l->name, l->C, l->OC, l->size, flops * 1e-9,
              gf[FWD_BLAS], gf_med[FWD_BLAS], gf[FWD_XSMM], gf_med[FWD_XSMM],
              best[FWD_BLAS] / best[FWD_XSMM],
              gf[BWD_DATA_BLAS], gf_med[BWD_DATA_BLAS], gf[BWD_DATA_XSMM], gf_med[BWD_DATA_XSMM],
              best[BWD_DATA_BLAS] / best[BWD_DATA_XSMM],
              gf[BWD_WEIGHT_BLAS], gf_med[BWD_WEIGHT_BLAS],
              gf[BWD_WEIGHT_XSMM], gf_med[BWD_WEIGHT_XSMM],
              best[BWD_WEIGHT_BLAS] / best[BWD_WEIGHT_XSMM], diff);
      fflush (stdout);

      g_free (b.in); g_free (b.weight); g_free (b.bias); g_free (b.out); g_free (b.dout);
      g_free (b.din); g_free (b.dweight); g_free (b.dbias); g_free (b.work);
    }

  {
    double blas_step = sum[FWD_BLAS] + sum[BWD_DATA_BLAS] + sum[BWD_WEIGHT_BLAS];
    double xsmm_step = sum[FWD_XSMM] + sum[BWD_DATA_XSMM] + sum[BWD_WEIGHT_XSMM];

    printf ("\nall 3x3 layers, %.1f GFLOP forward (x3 for a training step):\n", flops_total * 1e-9);
    printf ("  forward       blas %7.1f ms (%3.0f GFLOP/s)   xsmm %7.1f ms (%3.0f GFLOP/s)\n",
            sum[FWD_BLAS] * 1e3, flops_total / sum[FWD_BLAS] * 1e-9,
            sum[FWD_XSMM] * 1e3, flops_total / sum[FWD_XSMM] * 1e-9);
    printf ("  input grad    blas %7.1f ms (%3.0f GFLOP/s)   xsmm %7.1f ms (%3.0f GFLOP/s)\n",
            sum[BWD_DATA_BLAS] * 1e3, flops_total / sum[BWD_DATA_BLAS] * 1e-9,
            sum[BWD_DATA_XSMM] * 1e3, flops_total / sum[BWD_DATA_XSMM] * 1e-9);
    printf ("  weight grad   blas %7.1f ms (%3.0f GFLOP/s)   xsmm %7.1f ms (%3.0f GFLOP/s)\n",
            sum[BWD_WEIGHT_BLAS] * 1e3, flops_total / sum[BWD_WEIGHT_BLAS] * 1e-9,
            sum[BWD_WEIGHT_XSMM] * 1e3, flops_total / sum[BWD_WEIGHT_XSMM] * 1e-9);
    printf ("  training step blas %7.1f ms (%3.0f GFLOP/s)   xsmm %7.1f ms (%3.0f GFLOP/s)\n",
            blas_step * 1e3, 3 * flops_total / blas_step * 1e-9,
            xsmm_step * 1e3, 3 * flops_total / xsmm_step * 1e-9);
  }
}

int
main (int   argc,
      char *argv[])
{
  const char *which = "all";
  int repeat = 5;
  double min_time = 0.2;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--config") && i + 1 < argc)
        which = argv[++i];
      else if (g_str_equal (argv[i], "--repeat") && i + 1 < argc)
        {
          repeat = atoi (argv[++i]);
          repeat = MAX (repeat, 1);
        }
      else if (g_str_equal (argv[i], "--xsmm-only"))
        xsmm_only = TRUE;
      else if (g_str_equal (argv[i], "--only") && i + 1 < argc)
        only_layers = argv[++i];
      else if (g_str_equal (argv[i], "--min-time") && i + 1 < argc)
        min_time = g_ascii_strtod (argv[++i], NULL);
      else
        {
          fprintf (stderr, "usage: %s [--config a|b|all] [--repeat N] [--min-time SECONDS]\n"
                   "       [--only LAYER,LAYER...] [--xsmm-only]\n",
                   argv[0]);
          return 2;
        }
    }

  if (!unet_conv3x3_xsmm_available ())
    {
      fprintf (stderr, "libxsmm does not JIT for this CPU (or UNET_NO_XSMM is set)\n");
      return 1;
    }
  unet_conv3x3_xsmm_set_enabled (FALSE);

  printf ("OMP_NUM_THREADS=%s\n", g_getenv ("OMP_NUM_THREADS") ? g_getenv ("OMP_NUM_THREADS")
                                                              : "(unset)");
  print_load ();
  for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
    if (g_str_equal (which, "all") || configs[i].label[0] == which[0])
      bench_config (&configs[i], repeat, min_time);
  print_load ();

  return 0;
}
