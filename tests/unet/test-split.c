/* test-split.c — a batch split between processes, without MPI
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine's hooks for data-parallel training, with threads standing in for the ranks and a
 * barrier for MPI_Allreduce: synchronised batch norm, the loss of a part of a batch, the dropout
 * generator skipped past the other parts, and a whole model whose two halves of a batch sum to
 * the gradient of the whole. The MPI plumbing itself is tested in tests/mpi/.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "unet/unet-layers.h"
#include "unet/unet-model.h"
#include "unet/unet-rng.h"

#include "conv-reference.h"
#include "unet/unet-model-train.h"

/* --- the generator's jump ------------------------------------------------------------------- */

static void
test_rng_skip (void)
{
  /* both sides of the switch from stepping to matrix powers, and odd sizes */
  static const guint64 sizes[] = { 0, 1, 2, 5, 1000, 65535, 65536, 65537, 100003, 1 << 20,
                                   3000017 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      UnetRng stepped, jumped;

      unet_rng_seed (&stepped, 40 + i);
      unet_rng_seed (&jumped, 40 + i);
      for (guint64 k = 0; k < sizes[i]; k++)
        unet_rng_next (&stepped);
      unet_rng_skip (&jumped, sizes[i]);
      g_assert_cmpuint (stepped.s[0], ==, jumped.s[0]);
      g_assert_cmpuint (stepped.s[1], ==, jumped.s[1]);
      g_assert_cmpuint (unet_rng_next (&stepped), ==, unet_rng_next (&jumped));
    }
}

/* --- ranks as threads ----------------------------------------------------------------------- */

/* MPI_Allreduce(SUM) between N threads: each adds its values, waits for all, takes the sum. */
typedef struct
{
  GMutex   lock;
  GCond    changed;
  int      n;
  int      arrived;
  int      copied;
  gboolean copying;
  double  *sum;
  size_t   length;
} Reducer;

static void
reducer_init (Reducer *r,
              int      n)
{
  memset (r, 0, sizeof *r);
  g_mutex_init (&r->lock);
  g_cond_init (&r->changed);
  r->n = n;
}

static void
reducer_clear (Reducer *r)
{
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->changed);
  g_free (r->sum);
}

static void
reduce (double *values,
        size_t  n,
        void   *user_data)
{
  Reducer *r = user_data;

  g_mutex_lock (&r->lock);
  /* the previous reduction's sum is still being taken */
  while (r->copying)
    g_cond_wait (&r->changed, &r->lock);
  if (r->arrived == 0)
    {
      g_free (r->sum);
      r->sum = g_new0 (double, n);
      r->length = n;
    }
  g_assert_cmpuint (r->length, ==, n);
  for (size_t i = 0; i < n; i++)
    r->sum[i] += values[i];
  if (++r->arrived == r->n)
    {
      r->copying = TRUE;
      g_cond_broadcast (&r->changed);
    }
  while (!r->copying)
    g_cond_wait (&r->changed, &r->lock);
  memcpy (values, r->sum, n * sizeof (double));
  if (++r->copied == r->n)
    {
      r->copied = r->arrived = 0;
      r->copying = FALSE;
      g_cond_broadcast (&r->changed);
    }
  g_mutex_unlock (&r->lock);
}

static double
largest_difference (const float *a,
                    const float *b,
                    size_t       n)
{
  double largest = 1e-3, worst = 0.0;

  for (size_t i = 0; i < n; i++)
    {
      largest = MAX (largest, fabs (a[i]));
      worst = MAX (worst, fabs ((double) a[i] - b[i]));
    }
  return worst / largest;
}

/* --- batch norm ------------------------------------------------------------------------------ */

typedef struct
{
  UnetShape          shape;       /* this part's */
  const float       *in, *dout, *gamma, *beta;
  float             *out, *mean, *invstd, *running_mean, *running_var;
  float             *din, *dgamma, *dbeta;
  UnetBatchNormSync  sync;
} NormPart;

static gpointer
run_norm_part (gpointer data)
{
  NormPart *p = data;
  const UnetBatchNormParams params = { 0.1f, 1e-5f, &p->sync };

  unet_batchnorm_forward_train (p->out, p->mean, p->invstd, p->running_mean, p->running_var,
                                p->in, p->gamma, p->beta, p->shape, &params);
  unet_batchnorm_backward_sync (p->din, TRUE, p->dgamma, p->dbeta, p->dout, NULL, p->in, p->gamma,
                                p->mean, p->invstd, p->shape, &p->sync);
  return NULL;
}

static void
identity (double *values,
          size_t  n,
          void   *user_data)
{
}

static void
test_batchnorm (void)
{
  const UnetShape whole = { 5, 3, 4, 6 };
  const int C = whole.channels, parts = 2;
  const int split[3] = { 0, 2, 5 };                     /* uneven: 2 and 3 images */
  size_t image = (size_t) C * whole.height * whole.width, n = whole.batch * image;
  const UnetBatchNormParams local = { 0.1f, 1e-5f, NULL };
  UnetRng rng;
  Reducer reducer;
  NormPart part[2];
  GThread *threads[2];

  unet_rng_seed (&rng, 77);
  g_autofree float *in = ref_new_uniform (n, &rng, -2.0f, 3.0f);
  g_autofree float *dout = ref_new_uniform (n, &rng, -1.0f, 1.0f);
  g_autofree float *gamma = ref_new_uniform (C, &rng, 0.5f, 1.5f);
  g_autofree float *beta = ref_new_uniform (C, &rng, -0.5f, 0.5f);
  /* the whole batch in one process */
  g_autofree float *out = g_new0 (float, n), *din = g_new0 (float, n);
  g_autofree float *mean = g_new0 (float, C), *invstd = g_new0 (float, C);
  g_autofree float *rm = g_new0 (float, C), *rv = g_new0 (float, C);
  g_autofree float *dgamma = g_new0 (float, C), *dbeta = g_new0 (float, C);
  /* the same through the synchronised code with one process: bit for bit */
  g_autofree float *out1 = g_new0 (float, n), *din1 = g_new0 (float, n);
  g_autofree float *mean1 = g_new0 (float, C), *invstd1 = g_new0 (float, C);
  g_autofree float *rm1 = g_new0 (float, C), *rv1 = g_new0 (float, C);
  g_autofree float *dgamma1 = g_new0 (float, C), *dbeta1 = g_new0 (float, C);
  g_autofree double *scratch = g_new (double, 2 * C + 1);
  /* two parts, each with its own statistics' copies */
  g_autofree float *out2 = g_new0 (float, n), *din2 = g_new0 (float, n);
  g_autofree float *stats = g_new0 (float, 2 * 6 * C);
  g_autofree double *scratches = g_new (double, 2 * (2 * C + 1));

  unet_batchnorm_forward_train (out, mean, invstd, rm, rv, in, gamma, beta, whole, &local);
  unet_batchnorm_backward (din, dgamma, dbeta, dout, in, gamma, mean, invstd, whole);

  {
    const UnetBatchNormSync alone = { identity, NULL, scratch };
    const UnetBatchNormParams params = { 0.1f, 1e-5f, &alone };

    unet_batchnorm_forward_train (out1, mean1, invstd1, rm1, rv1, in, gamma, beta, whole, &params);
    unet_batchnorm_backward_sync (din1, TRUE, dgamma1, dbeta1, dout, NULL, in, gamma, mean1, invstd1,
                                  whole, &alone);
    g_assert_cmpmem (out1, n * sizeof (float), out, n * sizeof (float));
    g_assert_cmpmem (din1, n * sizeof (float), din, n * sizeof (float));
    g_assert_cmpmem (rv1, C * sizeof (float), rv, C * sizeof (float));
    g_assert_cmpmem (dgamma1, C * sizeof (float), dgamma, C * sizeof (float));
  }

  reducer_init (&reducer, parts);
  for (int i = 0; i < parts; i++)
    {
      size_t first = split[i] * image;
      float *s = stats + i * 6 * C;

      part[i] = (NormPart) {
        .shape = { split[i + 1] - split[i], C, whole.height, whole.width },
        .in = in + first, .dout = dout + first, .gamma = gamma, .beta = beta,
        .out = out2 + first, .din = din2 + first,
        .mean = s, .invstd = s + C, .running_mean = s + 2 * C, .running_var = s + 3 * C,
        .dgamma = s + 4 * C, .dbeta = s + 5 * C,
        .sync = { reduce, &reducer, scratches + i * (2 * C + 1) },
      };
    }
  for (int i = 0; i < parts; i++)
    threads[i] = g_thread_new ("part", run_norm_part, &part[i]);
  for (int i = 0; i < parts; i++)
    g_thread_join (threads[i]);
  reducer_clear (&reducer);

  /* the whole batch's normalisation and input gradient, to rounding */
  g_assert_cmpfloat (largest_difference (out2, out, n), <, 1e-6);
  g_assert_cmpfloat (largest_difference (din2, din, n), <, 1e-5);
  for (int i = 0; i < parts; i++)
    {
      g_assert_cmpfloat (largest_difference (part[i].mean, mean, C), <, 1e-6);
      g_assert_cmpfloat (largest_difference (part[i].invstd, invstd, C), <, 1e-6);
      /* the whole batch's running statistics (the unbiased variance counts every image) */
      g_assert_cmpfloat (largest_difference (part[i].running_mean, rm, C), <, 1e-6);
      g_assert_cmpfloat (largest_difference (part[i].running_var, rv, C), <, 1e-6);
    }
  /* each part's own share of d gamma and d beta: the caller sums them over the ranks */
  for (int c = 0; c < C; c++)
    {
      g_assert_cmpfloat_with_epsilon (part[0].dgamma[c] + part[1].dgamma[c], dgamma[c], 1e-4);
      g_assert_cmpfloat_with_epsilon (part[0].dbeta[c] + part[1].dbeta[c], dbeta[c], 1e-4);
      g_assert_cmpfloat (fabs (part[0].dbeta[c] - dbeta[c]), >, 1e-3);
    }
}

/* --- the loss ------------------------------------------------------------------------------- */

static void
test_xent_sum (void)
{
  const UnetShape whole = { 4, 5, 3, 7 };
  const int K = whole.channels;
  size_t plane = (size_t) whole.height * whole.width, image = K * plane;
  size_t n = whole.batch * image, n_labels = whole.batch * plane, counted;
  UnetRng rng;
  double loss, sum = 0.0;

  unet_rng_seed (&rng, 91);
  g_autofree float *logits = ref_new_uniform (n, &rng, -3.0f, 3.0f);
  g_autofree float *weights = ref_new_uniform (n_labels, &rng, 0.5f, 2.0f);
  g_autofree float *dlogits = g_new0 (float, n), *dparts = g_new0 (float, n);
  g_autofree guint8 *labels = g_new (guint8, n_labels);

  for (size_t i = 0; i < n_labels; i++)
    labels[i] = i % 9 == 0 ? UNET_IGNORE_LABEL : unet_rng_below (&rng, K);
  loss = unet_softmax_xent (dlogits, &counted, logits, labels, weights, whole);
  g_assert_cmpuint (unet_count_labels (labels, n_labels, K), ==, counted);

  /* a part of 1 image and one of 3, normalised by the whole batch's count */
  for (int first = 0, b = 1; first < whole.batch; first += b, b = whole.batch - first)
    {
      UnetShape part = { b, K, whole.height, whole.width };

      sum += unet_softmax_xent_sum (dparts + first * image, logits + first * image,
                                    labels + first * plane, weights + first * plane, part,
                                    counted);
    }
  g_assert_cmpfloat_with_epsilon (sum / counted, loss, 1e-9 * fabs (loss));
  /* every pixel's gradient depends on the count alone: the same bits */
  g_assert_cmpmem (dparts, n * sizeof (float), dlogits, n * sizeof (float));
}

/* --- a whole model --------------------------------------------------------------------------- */

#define MODEL_BATCH 4
#define MODEL_SIDE 16

typedef struct
{
  size_t offset, n;
} Range;

typedef struct
{
  UnetModel     *model;
  Reducer       *reducer;
  int            first, count;   /* its images of the batch */
  const float   *input;
  const guint8  *labels;
  size_t         normalizer;
  double         loss_sum;
  GArray        *ready;          /* Range, as reported */
  float         *logits;
} ModelPart;

static void
reduce_part (double *values,
             size_t  n,
             void   *user_data)
{
  ModelPart *p = user_data;

  reduce (values, n, p->reducer);
}

static void
on_ready (float  *gradients,
          size_t  offset,
          size_t  n,
          void   *user_data)
{
  ModelPart *p = user_data;
  Range range = { offset, n };

  g_assert_true (gradients == unet_model_get_grad_block (p->model, NULL));
  g_array_append_val (p->ready, range);
}

static UnetModel *
new_model (void)
{
  UnetConfig config;
  UnetModel *model;

  unet_config_init_default (&config);
  config.depth = 2;
  config.base = 4;
  config.classes = 3;
  config.padding = UNET_PADDING_SAME;
  config.norm = UNET_NORM_BATCH;
  config.dropout = 0.3f;
  model = unet_model_new (&config, NULL);
  g_assert_nonnull (model);
  unet_model_init_weights (model, 5);
  return model;
}

static gpointer
run_model_part (gpointer data)
{
  ModelPart *p = data;
  size_t image = 3 * MODEL_SIDE * MODEL_SIDE, plane = MODEL_SIDE * MODEL_SIDE;
  const float *logits;

  g_assert_true (unet_model_prepare (p->model, p->count, MODEL_SIDE, MODEL_SIDE, TRUE, NULL));
  unet_rng_seed (unet_model_get_rng (p->model), 123);
  unet_model_skip_dropout (p->model, p->first);
  logits = unet_model_forward (p->model, p->input + p->first * image, TRUE);
  /* before the loss, which overwrites them with their gradient */
  p->logits = g_memdup2 (logits, sizeof (float) * 3 * plane * p->count);
  p->loss_sum = unet_softmax_xent_sum (unet_model_get_logits_grad (p->model), logits,
                                       p->labels + p->first * plane, NULL,
                                       unet_model_get_output_shape (p->model), p->normalizer);
  unet_model_zero_grad (p->model);
  unet_model_backward (p->model);
  return NULL;
}

static int
compare_ranges (gconstpointer a,
                gconstpointer b)
{
  const Range *x = a, *y = b;

  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static void
test_model (void)
{
  size_t image = 3 * MODEL_SIDE * MODEL_SIDE, plane = MODEL_SIDE * MODEL_SIDE;
  g_autoptr(UnetModel) whole = new_model ();
  g_autofree float *input = NULL, *summed = NULL;
  g_autofree guint8 *labels = g_new (guint8, MODEL_BATCH * plane);
  const int split[3] = { 0, 1, MODEL_BATCH };   /* 1 and 3 images */
  g_autofree float *whole_logits = NULL;
  const float *grads;
  size_t n_grads, counted, next;
  ModelPart part[2];
  GThread *threads[2];
  Reducer reducer;
  double loss;
  UnetRng rng;

  unet_rng_seed (&rng, 8);
  input = ref_new_uniform (MODEL_BATCH * image, &rng, -1.5f, 1.5f);
  for (size_t i = 0; i < MODEL_BATCH * plane; i++)
    labels[i] = i % 11 == 0 ? UNET_IGNORE_LABEL : unet_rng_below (&rng, 3);
  counted = unet_count_labels (labels, MODEL_BATCH * plane, 3);

  /* one process, the whole batch */
  g_assert_true (unet_model_prepare (whole, MODEL_BATCH, MODEL_SIDE, MODEL_SIDE, TRUE, NULL));
  unet_rng_seed (unet_model_get_rng (whole), 123);
  whole_logits = g_memdup2 (unet_model_forward (whole, input, TRUE),
                            sizeof (float) * 3 * plane * MODEL_BATCH);
  loss = unet_softmax_xent (unet_model_get_logits_grad (whole), NULL, whole_logits, labels, NULL,
                            unet_model_get_output_shape (whole));
  unet_model_zero_grad (whole);
  unet_model_backward (whole);

  /* two "ranks" with 1 and 3 images */
  reducer_init (&reducer, 2);
  for (int i = 0; i < 2; i++)
    {
      UnetModelHooks hooks = { reduce_part, on_ready, &part[i] };

      part[i] = (ModelPart) { new_model (), &reducer, split[i], split[i + 1] - split[i], input,
                              labels, counted, 0.0, g_array_new (FALSE, FALSE, sizeof (Range)),
                              NULL };
      unet_model_set_hooks (part[i].model, &hooks);
    }
  for (int i = 0; i < 2; i++)
    threads[i] = g_thread_new ("rank", run_model_part, &part[i]);
  for (int i = 0; i < 2; i++)
    g_thread_join (threads[i]);
  reducer_clear (&reducer);

  /* each part's images come out as they do from the whole batch */
  for (int i = 0; i < 2; i++)
    g_assert_cmpfloat (largest_difference (part[i].logits, whole_logits + part[i].first * 3 * plane,
                                           3 * plane * part[i].count), <, 1e-5);

  /* the loss of the whole batch */
  g_assert_cmpfloat_with_epsilon ((part[0].loss_sum + part[1].loss_sum) / counted, loss,
                                  1e-6 * loss);

  /* the sum of the parts' gradients is the whole batch's: batch norm saw the whole batch's
   * statistics, dropout drew the whole batch's masks */
  grads = unet_model_get_grad_block (part[0].model, &n_grads);
  summed = g_memdup2 (grads, sizeof (float) * n_grads);
  for (size_t i = 0; i < n_grads; i++)
    summed[i] += unet_model_get_grad_block (part[1].model, NULL)[i];
  for (guint p = 0; p < unet_model_get_n_params (whole); p++)
    {
      UnetParam *param = unet_model_get_param (whole, p);

      if (param->grad == NULL)
        continue;
      /* ahead of batch norm: no gradient but rounding */
      if (g_str_has_suffix (param->name, "conv1.bias") ||
          g_str_has_suffix (param->name, "conv2.bias"))
        continue;
      if (largest_difference (summed + param->offset, param->grad, param->numel) >= 1e-5)
        g_error ("%s: the parts' gradients differ from the whole's by %.3g", param->name,
                 largest_difference (summed + param->offset, param->grad, param->numel));
    }

  /* every gradient was reported ready once, in pieces that tile the block */
  for (int i = 0; i < 2; i++)
    {
      g_array_sort (part[i].ready, compare_ranges);
      next = 0;
      for (guint k = 0; k < part[i].ready->len; k++)
        {
          g_assert_cmpuint (g_array_index (part[i].ready, Range, k).offset, ==, next);
          next += g_array_index (part[i].ready, Range, k).n;
        }
      g_assert_cmpuint (next, ==, n_grads);
    }

  for (int i = 0; i < 2; i++)
    {
      g_free (part[i].logits);
      g_array_unref (part[i].ready);
      unet_model_free (part[i].model);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/split/rng-skip", test_rng_skip);
  g_test_add_func ("/split/batchnorm", test_batchnorm);
  g_test_add_func ("/split/xent-sum", test_xent_sum);
  g_test_add_func ("/split/model", test_model);

  return g_test_run ();
}
