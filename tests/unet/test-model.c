/* test-model.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE /* dladdr */

#include "config.h"

#include <dlfcn.h>
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "unet/unet.h"
#include "unet/unet-model-train.h"
#include "unet/unet-optimizer.h"

/* --- sizes and structure ---------------------------------------------------------------------- */

static void
test_paper_sizes (void)
{
  UnetConfig config;
  g_autoptr(GError) error = NULL;
  int out = 0, in = 0;

  unet_config_init_default (&config);
  g_assert_cmpint (config.depth, ==, 4);
  g_assert_cmpint (unet_config_n_conv_layers (&config), ==, 23);

  g_assert_true (unet_config_output_size (&config, 572, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (out, ==, 388);

  g_assert_true (unet_config_input_size_for_output (&config, 388, &in, &error));
  g_assert_no_error (error);
  g_assert_cmpint (in, ==, 572);

  /* 570 is not a valid input: 566 after two convs is even, 283 after pooling ... breaks later */
  g_assert_false (unet_config_output_size (&config, 570, &out, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE);
  g_assert_nonnull (strstr (error->message, "570"));
  g_clear_error (&error);

  g_assert_false (unet_config_input_size_for_output (&config, 387, &in, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE);
  g_assert_nonnull (strstr (error->message, "388"));
  g_clear_error (&error);

  g_assert_false (unet_config_output_size (&config, 100, &out, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE);
  g_clear_error (&error);

  /* round_input_size gives a size that works and nothing smaller in between does */
  for (int wanted = 150; wanted < 600; wanted += 37)
    {
      int size = unet_config_round_input_size (&config, wanted);
      g_assert_cmpint (size, >=, wanted);
      g_assert_true (unet_config_output_size (&config, size, &out, NULL));
      for (int s = wanted; s < size; s++)
        g_assert_false (unet_config_output_size (&config, s, &out, NULL));
    }

  config.padding = UNET_PADDING_SAME;
  g_assert_true (unet_config_output_size (&config, 256, &out, &error));
  g_assert_cmpint (out, ==, 256);
  g_assert_false (unet_config_output_size (&config, 250, &out, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE);
  g_clear_error (&error);
  g_assert_cmpint (unet_config_round_input_size (&config, 250), ==, 256);
}

static void
test_sizes_all_depths (void)
{
  /* input_size_for_output and output_size are inverses at every depth and padding */
  for (int padding = 0; padding < 2; padding++)
    for (int depth = 1; depth <= 5; depth++)
      {
        UnetConfig config;
        int found = 0;

        unet_config_init_default (&config);
        config.depth = depth;
        config.padding = padding;
        for (int want = 1; want < 300; want++)
          {
            int in, out;
            if (!unet_config_input_size_for_output (&config, want, &in, NULL))
              continue;
            found++;
            g_assert_true (unet_config_output_size (&config, in, &out, NULL));
            g_assert_cmpint (out, ==, want);
          }
        g_assert_cmpint (found, >, 0);
      }
}

static void
test_invalid_config (void)
{
  UnetConfig config;
  g_autoptr(GError) error = NULL;
  g_autoptr(UnetModel) model = NULL;

  unet_config_init_default (&config);
  config.depth = 6;
  model = unet_model_new (&config, &error);
  g_assert_null (model);
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "Depth 6"));
  g_clear_error (&error);

  unet_config_init_default (&config);
  config.base = 0;
  g_assert_false (unet_config_validate (&config, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG);
  g_clear_error (&error);

  unet_config_init_default (&config);
  config.dropout = 1.0f;
  g_assert_false (unet_config_validate (&config, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG);
  g_clear_error (&error);

  unet_config_init_default (&config);
  config.classes = 300;
  g_assert_false (unet_config_validate (&config, &error));
  g_assert_error (error, UNET_ERROR, UNET_ERROR_INVALID_CONFIG);
}

static void
test_paper_network (void)
{
  UnetConfig config;
  g_autoptr(UnetModel) model = NULL;
  int n_conv = 0, n_up = 0;
  UnetParam *param;

  unet_config_init_default (&config);
  model = unet_model_new (&config, NULL);
  g_assert_nonnull (model);

  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      param = unet_model_get_param (model, i);
      if (param->kind == UNET_PARAM_WEIGHT)
        {
          n_conv++;
          if (g_str_has_suffix (param->name, ".up.weight"))
            n_up++;
        }
    }
  g_assert_cmpint (n_conv, ==, 23);
  g_assert_cmpint (n_up, ==, 4);

  /* the paper's widths and PyTorch's layouts */
  param = unet_model_find_param (model, "enc.0.conv1.weight");
  g_assert_nonnull (param);
  g_assert_cmpint (param->ndim, ==, 4);
  g_assert_cmpint (param->shape[0], ==, 64);
  g_assert_cmpint (param->shape[1], ==, 3);
  g_assert_cmpint (param->shape[2], ==, 3);
  param = unet_model_find_param (model, "mid.conv2.weight");
  g_assert_cmpint (param->shape[0], ==, 1024);
  g_assert_cmpint (param->shape[1], ==, 1024);
  param = unet_model_find_param (model, "dec.3.up.weight");
  g_assert_cmpint (param->shape[0], ==, 1024); /* ConvTranspose2d: [in, out, 2, 2] */
  g_assert_cmpint (param->shape[1], ==, 512);
  param = unet_model_find_param (model, "dec.0.conv1.weight");
  g_assert_cmpint (param->shape[0], ==, 64);
  g_assert_cmpint (param->shape[1], ==, 128); /* cropped skip + up-sampled */
  param = unet_model_find_param (model, "head.weight");
  g_assert_cmpint (param->shape[0], ==, 21);
  g_assert_cmpint (param->shape[1], ==, 64);
  g_assert_cmpint (param->shape[2], ==, 1);
  g_assert_null (unet_model_find_param (model, "enc.0.bn1.weight"));

  /* the paper's network has about 31 million parameters */
  g_assert_cmpuint (unet_model_count_trainable (model), >, 31000000);
  g_assert_cmpuint (unet_model_count_trainable (model), <, 31100000);
  g_assert_cmpstr (unet_model_get_class_names (model)[15], ==, "person");
  g_assert_cmpint (unet_model_get_palette (model)[3 * 15 + 0], ==, 192);
  g_assert_cmpint (unet_model_get_palette (model)[3 * 15 + 1], ==, 128);
  g_assert_cmpint (unet_model_get_palette (model)[3 * 15 + 2], ==, 128);
}

static void
test_batch_norm_params (void)
{
  UnetConfig config;
  g_autoptr(UnetModel) model = NULL;
  UnetParam *param;

  unet_config_init_default (&config);
  config.depth = 2;
  config.base = 4;
  config.norm = UNET_NORM_BATCH;
  model = unet_model_new (&config, NULL);

  param = unet_model_find_param (model, "dec.1.bn2.running_var");
  g_assert_nonnull (param);
  g_assert_true (param->kind == UNET_PARAM_RUNNING_STAT);
  g_assert_null (param->grad);
  g_assert_cmpfloat (param->data[0], ==, 1.0f);
  param = unet_model_find_param (model, "mid.bn1.weight");
  g_assert_nonnull (param);
  g_assert_cmpfloat (param->data[0], ==, 1.0f);
}

/* --- initialisation --------------------------------------------------------------------------- */

/* Without batch norm, the paper's He normal: std √(2/fan_in), biases 0. */
static void
test_he_init (void)
{
  UnetConfig config;
  g_autoptr(UnetModel) a = NULL;
  g_autoptr(UnetModel) b = NULL;
  g_autoptr(UnetModel) c = NULL;
  UnetParam *param;
  double sum = 0, sum_sq = 0, expected_std;

  unet_config_init_default (&config);
  config.base = 16;
  a = unet_model_new (&config, NULL);
  b = unet_model_new (&config, NULL);
  c = unet_model_new (&config, NULL);
  unet_model_init_weights (a, 42);
  unet_model_init_weights (b, 42);
  unet_model_init_weights (c, 43);

  for (guint i = 0; i < unet_model_get_n_params (a); i++)
    {
      UnetParam *pa = unet_model_get_param (a, i);
      UnetParam *pb = unet_model_get_param (b, i);
      g_assert_cmpmem (pa->data, pa->numel * sizeof (float), pb->data, pb->numel * sizeof (float));
    }
  param = unet_model_find_param (c, "mid.conv1.weight");
  g_assert_true (memcmp (param->data, unet_model_find_param (a, "mid.conv1.weight")->data,
                         param->numel * sizeof (float)) != 0);

  /* mid.conv1: 128 -> 256 channels, fan-in 128 * 9 */
  param = unet_model_find_param (a, "mid.conv1.weight");
  for (size_t j = 0; j < param->numel; j++)
    {
      sum += param->data[j];
      sum_sq += (double) param->data[j] * param->data[j];
    }
  expected_std = sqrt (2.0 / (128 * 9));
  g_assert_cmpfloat (fabs (sum / param->numel), <, 0.02 * expected_std * 10);
  g_assert_cmpfloat_with_epsilon (sqrt (sum_sq / param->numel), expected_std, 0.02 * expected_std);

  param = unet_model_find_param (a, "mid.conv1.bias");
  for (size_t j = 0; j < param->numel; j++)
    g_assert_cmpfloat (param->data[j], ==, 0.0f);
}

/* With batch norm, PyTorch's default: weights and biases uniform in ±1/√fan_in, fan_in being
 * the weight's dimension 1 times its kernel (so out × 4 for a transposed convolution). */
static void
test_pytorch_init (void)
{
  UnetConfig config;
  g_autoptr(UnetModel) model = NULL;
  const struct { const char *name; double fan_in; } layers[] = {
    { "mid.conv1", 128 * 9 },
    { "dec.0.up", 16 * 4 },    /* [32, 16, 2, 2] */
    { "head", 16 },
  };

  unet_config_init_default (&config);
  config.base = 16;
  config.norm = UNET_NORM_BATCH;
  model = unet_model_new (&config, NULL);
  unet_model_init_weights (model, 42);

  for (guint l = 0; l < G_N_ELEMENTS (layers); l++)
    {
      g_autofree char *weight_name = g_strconcat (layers[l].name, ".weight", NULL);
      g_autofree char *bias_name = g_strconcat (layers[l].name, ".bias", NULL);
      UnetParam *weight = unet_model_find_param (model, weight_name);
      UnetParam *bias = unet_model_find_param (model, bias_name);
      double bound = 1.0 / sqrt (layers[l].fan_in), sum_sq = 0.0, largest = 0.0;
      gboolean nonzero = FALSE;

      g_assert_nonnull (weight);
      g_assert_nonnull (bias);
      for (size_t j = 0; j < weight->numel; j++)
        {
          sum_sq += (double) weight->data[j] * weight->data[j];
          largest = MAX (largest, fabs (weight->data[j]));
        }
      g_assert_cmpfloat (largest, <=, bound);
      g_assert_cmpfloat (largest, >, 0.9 * bound);
      /* uniform: std bound/√3 */
      g_assert_cmpfloat_with_epsilon (sqrt (sum_sq / weight->numel), bound / sqrt (3.0),
                                      0.05 * bound / sqrt (3.0));
      for (size_t j = 0; j < bias->numel; j++)
        {
          g_assert_cmpfloat (fabs (bias->data[j]), <=, bound);
          nonzero |= bias->data[j] != 0.0f;
        }
      g_assert_true (nonzero);
    }
  /* batch norm itself starts as the identity */
  g_assert_cmpfloat (unet_model_find_param (model, "mid.bn1.weight")->data[0], ==, 1.0f);
  g_assert_cmpfloat (unet_model_find_param (model, "mid.bn1.bias")->data[0], ==, 0.0f);
}

/* --- the whole network's gradient by finite differences --------------------------------------- */

typedef struct
{
  UnetPadding padding;
  UnetNorm    norm;
  float       dropout;
} GradCase;

static double
network_loss (UnetModel     *model,
              const float   *input,
              const uint8_t *labels,
              const float   *weights,
              const UnetRng *dropout_state)
{
  const float *logits;

  /* the same dropout mask for every evaluation */
  *unet_model_get_rng (model) = *dropout_state;
  logits = unet_model_forward (model, input, TRUE);
  return unet_softmax_xent (NULL, NULL, logits, labels, weights, unet_model_get_output_shape (model));
}

static void
test_network_gradient (gconstpointer data)
{
  const GradCase *gc = data;
  UnetConfig config;
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *input = NULL;
  g_autofree uint8_t *labels = NULL;
  g_autofree float *weights = NULL;
  UnetShape out_shape;
  UnetRng rng, dropout_state;
  int size, out;
  size_t n_in, n_out;
  double worst = 0.0;
  int n_checked = 0, n_kinked = 0;

  unet_config_init_default (&config);
  config.depth = 2;
  config.base = 2;
  config.classes = 3;
  config.padding = gc->padding;
  config.norm = gc->norm;
  config.dropout = gc->dropout;
  model = unet_model_new (&config, &error);
  g_assert_no_error (error);
  unet_model_init_weights (model, 7);

  /* biases away from zero, so their gradients are exercised too */
  unet_rng_seed (&rng, 99);
  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);
      if (param->kind == UNET_PARAM_BIAS || param->kind == UNET_PARAM_NORM_BIAS)
        for (size_t j = 0; j < param->numel; j++)
          param->data[j] = (float) (0.2 * (unet_rng_uniform (&rng) - 0.5));
    }

  /* small inputs: fewer ReLU units, so fewer switches inside a finite-difference step */
  size = gc->padding == UNET_PADDING_VALID ? 44 : 8;
  g_assert_true (unet_model_prepare (model, 2, size, size, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (unet_config_output_size (&config, size, &out, NULL));
  out_shape = unet_model_get_output_shape (model);
  g_assert_cmpint (out_shape.height, ==, out);

  n_in = (size_t) 2 * 3 * size * size;
  n_out = (size_t) 2 * out * out;
  input = g_new (float, n_in);
  labels = g_new (uint8_t, n_out);
  weights = g_new (float, n_out);
  for (size_t i = 0; i < n_in; i++)
    input[i] = (float) unet_rng_normal (&rng);
  for (size_t i = 0; i < n_out; i++)
    {
      labels[i] = unet_rng_uniform (&rng) < 0.2 ? 255 : unet_rng_below (&rng, 3);
      weights[i] = (float) (0.5 + 2.0 * unet_rng_uniform (&rng));
    }

  dropout_state = *unet_model_get_rng (model);
  *unet_model_get_rng (model) = dropout_state;
  unet_model_train_step (model, input, labels, weights);

  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);
      g_autofree float *analytic = NULL;
      int picks;

      if (param->grad == NULL)
        continue;
      double scale = 0.0;

      analytic = g_memdup2 (param->grad, param->numel * sizeof (float));
      picks = MIN ((int) param->numel, 6);
      /* errors are measured against the tensor's largest gradient, as in test-torch.c */
      for (size_t j = 0; j < param->numel; j++)
        scale = MAX (scale, fabs (analytic[j]));

      for (int p = 0; p < picks; p++)
        {
          size_t j = param->numel <= 6 ? (size_t) p : unet_rng_below (&rng, param->numel);
          double estimate[2], error;

          /* Two step sizes: where they disagree a ReLU or max-pool switch lies within the step,
           * and the loss is not differentiable enough there for either to be a reference. */
          for (int e = 0; e < 2; e++)
            {
              float saved = param->data[j];
              double eps = e == 0 ? 2e-3 : 1e-3, plus, minus;

              param->data[j] = saved + eps;
              plus = network_loss (model, input, labels, weights, &dropout_state);
              param->data[j] = saved - eps;
              minus = network_loss (model, input, labels, weights, &dropout_state);
              param->data[j] = saved;
              estimate[e] = (plus - minus) / (2 * eps);
            }
          if (fabs (estimate[0] - estimate[1]) > 2e-3 * (fabs (estimate[0]) + fabs (estimate[1])) + 1e-4)
            {
              n_kinked++;
              continue;
            }
          n_checked++;
          error = fabs (estimate[1] - analytic[j]);
          worst = MAX (worst, error / (scale + 1e-3));
          /* Through a whole float32 network the first layers see many ReLU switches at once, each
           * too small for the two-step check, so this bound is looser than the single-layer
           * checks in test-layers.c; exactness is the PyTorch comparison's job (test-torch.c).
           * The absolute floor is the float32 loss's own rounding (a few ulps over 2 eps). */
          if (error > 5e-2 * scale + 3e-4)
            g_error ("%s[%zu]: backward gives %.6g, finite differences %.6g",
                     param->name, j, analytic[j], estimate[1]);
        }
    }
  g_test_message ("checked %d coordinates (%d skipped at a kink), worst relative error %.3g",
                  n_checked, n_kinked, worst);
  g_assert_cmpint (n_kinked, <, n_checked / 2);
  g_assert_cmpint (n_checked, >, 50);
}

/* --- memory ---------------------------------------------------------------------------------- */

static void
test_prepare_reuses_memory (void)
{
  UnetConfig config;
  g_autoptr(UnetModel) model = NULL;
  const float *first, *second;
  g_autofree float *input = g_new0 (float, 2 * 3 * 32 * 32);

  unet_config_init_default (&config);
  config.depth = 2;
  config.base = 4;
  config.padding = UNET_PADDING_SAME;
  model = unet_model_new (&config, NULL);

  g_assert_true (unet_model_prepare (model, 2, 32, 32, TRUE, NULL));
  first = unet_model_forward (model, input, TRUE);
  g_assert_true (unet_model_prepare (model, 2, 32, 32, TRUE, NULL));
  /* an inference request at the same shape needs nothing new either */
  g_assert_true (unet_model_prepare (model, 2, 32, 32, FALSE, NULL));
  second = unet_model_forward (model, input, FALSE);
  g_assert_true (first == second);

  g_assert_cmpuint (unet_model_estimate_memory (&config, 2, 32, 32, TRUE), >,
                    unet_model_estimate_memory (&config, 2, 32, 32, FALSE));
  g_assert_cmpuint (unet_model_estimate_memory (&config, 4, 32, 32, TRUE), >,
                    unet_model_estimate_memory (&config, 2, 32, 32, TRUE));
  g_assert_cmpuint (unet_model_estimate_memory (&config, 2, 30, 32, TRUE), ==, 0);
}

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

/* Interpose the allocator to prove the step loop allocates nothing. OpenBLAS's threaded GEMM
 * mallocs its own job table on every call; that is the library's business (and a reason to
 * replace it on the hot path), not an allocation of ours, so calls from it are not counted. */
extern void *__libc_malloc (size_t);
extern void *__libc_calloc (size_t, size_t);
extern void *__libc_realloc (void *, size_t);
static volatile gint allocations = 0;
static const void *openblas_base = NULL;

static void
count_allocation (const void *caller)
{
  Dl_info info;

  if (openblas_base != NULL && dladdr (caller, &info) && info.dli_fbase == openblas_base)
    return;
  g_atomic_int_inc (&allocations);
}

void *
malloc (size_t n)
{
  count_allocation (__builtin_return_address (0));
  return __libc_malloc (n);
}

void *
calloc (size_t n,
        size_t size)
{
  count_allocation (__builtin_return_address (0));
  return __libc_calloc (n, size);
}

void *
realloc (void   *p,
         size_t  n)
{
  count_allocation (__builtin_return_address (0));
  return __libc_realloc (p, n);
}
#endif

static void
test_no_allocation_in_step (void)
{
#if COUNTING_MALLOC
  UnetConfig config;
  g_autoptr(UnetModel) model = NULL;
  g_autoptr(UnetOptimizer) optimizer = NULL;
  g_autofree float *input = NULL;
  g_autofree uint8_t *labels = NULL;
  int before;

  unet_config_init_default (&config);
  config.depth = 3;
  config.base = 4;
  config.padding = UNET_PADDING_VALID;
  config.norm = UNET_NORM_BATCH;
  config.dropout = 0.5f;
  model = unet_model_new (&config, NULL);
  optimizer = unet_optimizer_new (model, 0.99, 1e-4);
  g_assert_true (unet_model_prepare (model, 2, 124, 124, TRUE, NULL));
  input = g_new0 (float, 2 * 3 * 124 * 124);
  labels = g_new0 (uint8_t, 2 * 36 * 36);
  g_assert_cmpint (unet_model_get_output_shape (model).height, ==, 36);

  /* warm up: OpenBLAS and OpenMP set up their thread pools on first use */
  for (int i = 0; i < 2; i++)
    {
      unet_model_train_step (model, input, labels, NULL);
      unet_optimizer_step (optimizer, model, 0.01);
    }

  {
    Dl_info info;

    g_assert_true (dladdr ((const void *) cblas_sgemm, &info));
    openblas_base = info.dli_fbase;
  }
  before = g_atomic_int_get (&allocations);
  for (int i = 0; i < 3; i++)
    {
      g_assert_true (unet_model_prepare (model, 2, 124, 124, TRUE, NULL));
      unet_model_train_step (model, input, labels, NULL);
      unet_optimizer_step (optimizer, model, 0.01);
    }
  g_assert_cmpint (g_atomic_int_get (&allocations) - before, ==, 0);
#else
  g_test_skip ("the allocation counter cannot coexist with AddressSanitizer's allocator");
#endif
}

/* --- batch-norm statistics from data ------------------------------------------------------------ */

static UnetModel *
make_bn_model (float dropout)
{
  g_autoptr(GError) error = NULL;
  UnetConfig config;
  UnetModel *model;

  unet_config_init_default (&config);
  config.depth = 2;
  config.base = 4;
  config.padding = UNET_PADDING_SAME;
  config.norm = UNET_NORM_BATCH;
  config.dropout = dropout;
  model = unet_model_new (&config, &error);
  g_assert_no_error (error);
  unet_model_init_weights (model, 7);
  g_assert_true (unet_model_prepare (model, 2, 16, 16, TRUE, &error));
  g_assert_no_error (error);
  return model;
}

/* Every running statistic, in parameter order. */
static GArray *
running_stats (UnetModel *model)
{
  GArray *stats = g_array_new (FALSE, FALSE, sizeof (float));

  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);

      if (param->kind == UNET_PARAM_RUNNING_STAT)
        g_array_append_vals (stats, param->data, param->numel);
    }
  return stats;
}

/* After a reset, the running statistics are the plain mean over the batches accumulated of each
 * batch's own statistics (which a single batch gives exactly: the first replaces what was
 * there); dropout plays no part; nothing else in the model changes. */
static void
test_accumulate_bn_statistics (void)
{
  enum { N_BATCHES = 3 };
  const size_t n_input = (size_t) 2 * 3 * 16 * 16;
  g_autoptr(UnetModel) model = make_bn_model (0.5f);
  g_autoptr(UnetModel) no_dropout = make_bn_model (0.0f);
  g_autofree float *inputs = g_new (float, N_BATCHES * n_input);
  GArray *single[N_BATCHES] = { NULL };
  g_autoptr(GArray) all = NULL;
  g_autoptr(GArray) without_dropout = NULL;
  g_autoptr(GArray) trainable_before = g_array_new (FALSE, FALSE, sizeof (float));
  UnetRng rng, dropout_rng_before;

  unet_rng_seed (&rng, 99);
  for (size_t i = 0; i < N_BATCHES * n_input; i++)
    inputs[i] = (float) unet_rng_normal (&rng);
  for (guint i = 0; i < unet_model_get_n_params (model); i++)
    {
      UnetParam *param = unet_model_get_param (model, i);

      if (param->kind != UNET_PARAM_RUNNING_STAT)
        g_array_append_vals (trainable_before, param->data, param->numel);
      else
        for (size_t j = 0; j < param->numel; j++)
          param->data[j] = 1234.5f; /* must not survive the first batch */
    }
  dropout_rng_before = *unet_model_get_rng (model);

  for (int b = 0; b < N_BATCHES; b++)
    {
      unet_model_reset_bn_statistics (model);
      unet_model_accumulate_bn_statistics (model, inputs + b * n_input);
      single[b] = running_stats (model);
    }
  unet_model_reset_bn_statistics (model);
  for (int b = 0; b < N_BATCHES; b++)
    unet_model_accumulate_bn_statistics (model, inputs + b * n_input);
  all = running_stats (model);

  g_assert_cmpuint (all->len, >, 0);
  for (guint i = 0; i < all->len; i++)
    {
      double mean = 0.0;

      for (int b = 0; b < N_BATCHES; b++)
        mean += g_array_index (single[b], float, i) / N_BATCHES;
      g_assert_cmpfloat_with_epsilon (g_array_index (all, float, i), mean,
                                      1e-5 * MAX (1.0, fabs (mean)));
      g_assert_cmpfloat (g_array_index (single[0], float, i), !=, 1234.5f);
    }

  /* the same as a model without dropout */
  unet_model_reset_bn_statistics (no_dropout);
  unet_model_accumulate_bn_statistics (no_dropout, inputs);
  without_dropout = running_stats (no_dropout);
  g_assert_cmpmem (without_dropout->data, without_dropout->len * sizeof (float),
                   single[0]->data, single[0]->len * sizeof (float));

  /* parameters and the dropout generator untouched */
  {
    g_autoptr(GArray) trainable_after = g_array_new (FALSE, FALSE, sizeof (float));

    for (guint i = 0; i < unet_model_get_n_params (model); i++)
      {
        UnetParam *param = unet_model_get_param (model, i);

        if (param->kind != UNET_PARAM_RUNNING_STAT)
          g_array_append_vals (trainable_after, param->data, param->numel);
      }
    g_assert_cmpmem (trainable_after->data, trainable_after->len * sizeof (float),
                     trainable_before->data, trainable_before->len * sizeof (float));
    g_assert_cmpmem (unet_model_get_rng (model), sizeof (UnetRng),
                     &dropout_rng_before, sizeof (UnetRng));
  }

  /* and a training forward afterwards updates with PyTorch's momentum 0.1 again */
  {
    g_autoptr(GArray) before = running_stats (model);
    g_autoptr(GArray) after = NULL;

    unet_model_forward (model, inputs, TRUE);
    after = running_stats (model);
    /* the first statistic is enc.0.bn1's mean, whose batch value single[0] holds */
    g_assert_cmpfloat_with_epsilon (g_array_index (after, float, 0),
                                    0.9f * g_array_index (before, float, 0) +
                                    0.1f * g_array_index (single[0], float, 0), 1e-5);
  }

  for (int b = 0; b < N_BATCHES; b++)
    g_array_unref (single[b]);
}

/* The profile counts every layer once per pass, with the FLOPs unet_model_count_flops counts,
 * and a profiled step computes exactly what an unprofiled one does. */
static void
test_profile (void)
{
  g_autoptr(UnetModel) model = make_bn_model (0.0f);
  g_autoptr(UnetModel) twin = make_bn_model (0.0f);
  const UnetConfig *config = unet_model_get_config (model);
  UnetShape out = unet_model_get_output_shape (model);
  const size_t n_input = (size_t) 2 * 3 * 16 * 16;
  const size_t n_labels = (size_t) out.batch * out.height * out.width;
  g_autofree float *input = g_new (float, n_input);
  g_autofree uint8_t *labels = g_new (uint8_t, n_labels);
  /* 2 per level on both paths, 2 in the bottleneck */
  int convs = 4 * config->depth + 2;
  double head = 2.0 * n_labels * config->base * config->classes;
  /* same padding: the first convolution's output is as large as the input */
  double first = 2.0 * n_labels * config->base * 3 * 9;
  double flops = unet_model_count_flops (model);
  UnetProfile profile;
  size_t n_grad;
  UnetRng rng;

  unet_rng_seed (&rng, 5);
  for (size_t i = 0; i < n_input; i++)
    input[i] = (float) unet_rng_normal (&rng);
  for (size_t i = 0; i < n_labels; i++)
    labels[i] = unet_rng_below (&rng, config->classes);

  unet_profile_reset (&profile);
  unet_model_set_profile (model, &profile);
  unet_model_train_step (model, input, labels, NULL);
  unet_model_set_profile (model, NULL);
  unet_model_train_step (twin, input, labels, NULL);
  g_assert_cmpmem (unet_model_get_grad_block (model, &n_grad), n_grad * sizeof (float),
                   unet_model_get_grad_block (twin, NULL), n_grad * sizeof (float));

  /* backward computes the first convolution's output (and its batch norm) once more */
  g_assert_cmpuint (profile.calls[UNET_PROFILE_CONV_FORWARD], ==, convs + 1);
  g_assert_cmpuint (profile.calls[UNET_PROFILE_CONV_WEIGHT_GRAD], ==, convs);
  /* the first convolution's input is the image: no gradient */
  g_assert_cmpuint (profile.calls[UNET_PROFILE_CONV_INPUT_GRAD], ==, convs - 1);
  g_assert_cmpuint (profile.calls[UNET_PROFILE_UP_CONV], ==, 2 * config->depth);
  g_assert_cmpuint (profile.calls[UNET_PROFILE_BATCH_NORM], ==, 2 * convs + 1);
  g_assert_cmpfloat_with_epsilon (profile.flops[UNET_PROFILE_CONV_FORWARD] +
                                  profile.flops[UNET_PROFILE_UP_CONV] / 3.0,
                                  flops - head + first, 1e-6 * flops);
  g_assert_cmpfloat_with_epsilon (profile.flops[UNET_PROFILE_CONV_WEIGHT_GRAD],
                                  profile.flops[UNET_PROFILE_CONV_FORWARD] - first,
                                  1e-6 * flops);
  g_assert_cmpfloat (profile.flops[UNET_PROFILE_CONV_INPUT_GRAD], <,
                     profile.flops[UNET_PROFILE_CONV_FORWARD]);
  for (int kind = 0; kind < UNET_PROFILE_N_KINDS; kind++)
    {
      g_assert_cmpfloat (profile.seconds[kind], >, 0.0);
      g_assert_nonnull (unet_profile_kind_name (kind));
    }
}

int
main (int    argc,
      char **argv)
{
  static const GradCase valid = { UNET_PADDING_VALID, UNET_NORM_NONE, 0.0f };
  static const GradCase same = { UNET_PADDING_SAME, UNET_NORM_NONE, 0.0f };
  static const GradCase valid_bn = { UNET_PADDING_VALID, UNET_NORM_BATCH, 0.0f };
  static const GradCase same_bn = { UNET_PADDING_SAME, UNET_NORM_BATCH, 0.0f };
  static const GradCase same_dropout = { UNET_PADDING_SAME, UNET_NORM_NONE, 0.3f };

  g_test_init (&argc, &argv, NULL);
  unet_set_threads (2);

  g_test_add_func ("/model/sizes/paper", test_paper_sizes);
  g_test_add_func ("/model/sizes/all-depths", test_sizes_all_depths);
  g_test_add_func ("/model/config/invalid", test_invalid_config);
  g_test_add_func ("/model/structure/paper", test_paper_network);
  g_test_add_func ("/model/structure/batch-norm", test_batch_norm_params);
  g_test_add_func ("/model/batch-norm/accumulate", test_accumulate_bn_statistics);
  g_test_add_func ("/model/init/he-normal", test_he_init);
  g_test_add_func ("/model/init/pytorch-with-batch-norm", test_pytorch_init);
  g_test_add_data_func ("/model/gradient/valid", &valid, test_network_gradient);
  g_test_add_data_func ("/model/gradient/same", &same, test_network_gradient);
  g_test_add_data_func ("/model/gradient/valid-batchnorm", &valid_bn, test_network_gradient);
  g_test_add_data_func ("/model/gradient/same-batchnorm", &same_bn, test_network_gradient);
  g_test_add_data_func ("/model/gradient/same-dropout", &same_dropout, test_network_gradient);
  g_test_add_func ("/model/memory/prepare-reuses", test_prepare_reuses_memory);
  g_test_add_func ("/model/memory/no-allocation-in-step", test_no_allocation_in_step);
  g_test_add_func ("/model/profile", test_profile);

  return g_test_run ();
}
