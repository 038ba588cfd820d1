/* unet-model.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unet-error.h"
#include "unet-model-private.h"


static const char *const voc_class_names[] = {
  "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair",
  "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
  "train", "tvmonitor", NULL
};

/* The VOC colormap: the bits of the class index spread over the high bits of R, G and B. */
static void
voc_color (int     index,
           guint8 *rgb)
{
  int r = 0, g = 0, b = 0, c = index;

  for (int j = 0; j < 8; j++)
    {
      r |= ((c >> 0) & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
  rgb[0] = r;
  rgb[1] = g;
  rgb[2] = b;
}

static int
add_param (UnetModel     *self,
           UnetParamKind  kind,
           int            ndim,
           const int64_t *shape,
           const char    *format,
           ...) G_GNUC_PRINTF (5, 6);

static int
add_param (UnetModel     *self,
           UnetParamKind  kind,
           int            ndim,
           const int64_t *shape,
           const char    *format,
           ...)
{
  UnetParam param = { 0 };
  va_list args;

  va_start (args, format);
  param.name = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (self->param_names, param.name);

  param.kind = kind;
  param.ndim = ndim;
  param.numel = 1;
  for (int i = 0; i < ndim; i++)
    {
      param.shape[i] = shape[i];
      param.numel *= shape[i];
    }
  param.offset = self->n_param_floats;
  self->n_param_floats += param.numel;
  g_array_append_val (self->params, param);

  return self->params->len - 1;
}

static void
add_conv_unit (UnetModel  *self,
               ConvUnit   *unit,
               const char *prefix,
               const char *suffix,
               int         in_channels,
               int         out_channels)
{
  int64_t wshape[4] = { out_channels, in_channels, 3, 3 };
  int64_t vshape[1] = { out_channels };

  unit->in_channels = in_channels;
  unit->out_channels = out_channels;
  unit->weight = add_param (self, UNET_PARAM_WEIGHT, 4, wshape, "%s.conv%s.weight", prefix, suffix);
  unit->bias = add_param (self, UNET_PARAM_BIAS, 1, vshape, "%s.conv%s.bias", prefix, suffix);
  if (self->config.norm == UNET_NORM_BATCH)
    {
      unit->gamma = add_param (self, UNET_PARAM_NORM_WEIGHT, 1, vshape, "%s.bn%s.weight", prefix, suffix);
      unit->beta = add_param (self, UNET_PARAM_NORM_BIAS, 1, vshape, "%s.bn%s.bias", prefix, suffix);
      unit->running_mean = add_param (self, UNET_PARAM_RUNNING_STAT, 1, vshape,
                                      "%s.bn%s.running_mean", prefix, suffix);
      unit->running_var = add_param (self, UNET_PARAM_RUNNING_STAT, 1, vshape,
                                     "%s.bn%s.running_var", prefix, suffix);
    }
  else
    {
      unit->gamma = unit->beta = unit->running_mean = unit->running_var = -1;
    }
  /* the tensors were added one after the other */
  unit->first = g_array_index (self->params, UnetParam, unit->weight).offset;
  unit->n_floats = self->n_param_floats - unit->first;
}

UnetModel *
unet_model_new (const UnetConfig  *config,
                GError           **error)
{
  g_autoptr(UnetModel) self = NULL;
  int depth;
  char prefix[32];

  g_return_val_if_fail (config != NULL, NULL);

  if (!unet_config_validate (config, error))
    return NULL;

  self = g_new0 (UnetModel, 1);
  self->config = *config;
  self->param_names = g_ptr_array_new_with_free_func (g_free);
  self->params = g_array_new (FALSE, TRUE, sizeof (UnetParam));
  self->info = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  depth = config->depth;

  for (int i = 0; i < depth; i++)
    {
      int width = config->base << i;
      int in = i == 0 ? config->in_channels : config->base << (i - 1);

      g_snprintf (prefix, sizeof prefix, "enc.%d", i);
      self->enc[i].width = width;
      add_conv_unit (self, &self->enc[i].conv1, prefix, "1", in, width);
      add_conv_unit (self, &self->enc[i].conv2, prefix, "2", width, width);
    }

  self->mid.width = config->base << depth;
  add_conv_unit (self, &self->mid.conv1, "mid", "1", config->base << (depth - 1), self->mid.width);
  add_conv_unit (self, &self->mid.conv2, "mid", "2", self->mid.width, self->mid.width);

  for (int i = 0; i < depth; i++)
    {
      int width = config->base << i;
      int64_t up_shape[4] = { 2 * width, width, 2, 2 };
      int64_t up_bias_shape[1] = { width };

      g_snprintf (prefix, sizeof prefix, "dec.%d", i);
      self->dec[i].width = width;
      self->dec[i].up_weight = add_param (self, UNET_PARAM_WEIGHT, 4, up_shape, "%s.up.weight", prefix);
      self->dec[i].up_bias = add_param (self, UNET_PARAM_BIAS, 1, up_bias_shape, "%s.up.bias", prefix);
      add_conv_unit (self, &self->dec[i].conv1, prefix, "1", 2 * width, width);
      add_conv_unit (self, &self->dec[i].conv2, prefix, "2", width, width);
    }

  {
    int64_t head_shape[4] = { config->classes, config->base, 1, 1 };
    int64_t head_bias_shape[1] = { config->classes };

    self->head_weight = add_param (self, UNET_PARAM_WEIGHT, 4, head_shape, "head.weight");
    self->head_bias = add_param (self, UNET_PARAM_BIAS, 1, head_bias_shape, "head.bias");
  }

  self->param_block = g_try_new0 (float, self->n_param_floats);
  self->grad_block = g_try_new0 (float, self->n_param_floats);
  if (self->param_block == NULL || self->grad_block == NULL)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                   "Not enough memory for %zu parameters (%.1f MB)",
                   self->n_param_floats, self->n_param_floats * 8.0 / 1e6);
      return NULL;
    }
  for (guint i = 0; i < self->params->len; i++)
    {
      UnetParam *param = param_at (self, i);

      param->data = self->param_block + param->offset;
      param->grad = param->kind == UNET_PARAM_RUNNING_STAT ? NULL : self->grad_block + param->offset;
    }

  {
    static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
    static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };

    unet_model_set_normalization (self, imagenet_mean, imagenet_std);
  }
  self->input_scale = 1.0;
  self->bn_momentum = 0.1f; /* PyTorch's default */
  unet_model_set_classes (self, NULL, NULL);
  unet_model_init_weights (self, 0);

  return g_steal_pointer (&self);
}

static void
release_activations (UnetModel *self)
{
  g_clear_pointer (&self->act_block, free);
  g_clear_pointer (&self->act_grad_block, free);
  g_clear_pointer (&self->work, free);
  self->input_shape = (UnetShape) { 0 };
  self->output_shape = (UnetShape) { 0 };
  self->last_input = NULL;
  self->last_forward_trained = FALSE;
}

void
unet_model_free (UnetModel *self)
{
  if (self == NULL)
    return;

  release_activations (self);
  g_free (self->param_block);
  g_free (self->grad_block);
  g_clear_pointer (&self->params, g_array_unref);
  g_clear_pointer (&self->param_names, g_ptr_array_unref);
  g_clear_pointer (&self->info, g_hash_table_unref);
  g_clear_pointer (&self->class_names, g_strfreev);
  g_free (self->palette);
  g_free (self->bn_sync.scratch);
  g_free (self);
}

const UnetConfig *
unet_model_get_config (const UnetModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->config;
}

guint
unet_model_get_n_params (const UnetModel *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->params->len;
}

UnetParam *
unet_model_get_param (UnetModel *self,
                      guint      index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->params->len, NULL);

  return param_at (self, index);
}

UnetParam *
unet_model_find_param (UnetModel  *self,
                       const char *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->params->len; i++)
    if (strcmp (param_at (self, i)->name, name) == 0)
      return param_at (self, i);

  return NULL;
}

size_t
unet_model_count_trainable (const UnetModel *self)
{
  size_t count = 0;

  g_return_val_if_fail (self != NULL, 0);

  for (guint i = 0; i < self->params->len; i++)
    {
      const UnetParam *param = &g_array_index (self->params, UnetParam, i);
      if (param->kind != UNET_PARAM_RUNNING_STAT)
        count += param->numel;
    }
  return count;
}

void
unet_model_init_weights (UnetModel *self,
                         guint64    seed)
{
  UnetRng rng;

  g_return_if_fail (self != NULL);

  /* With batch norm, PyTorch's default initialisation (kaiming_uniform with a = √5: weights and
   * biases uniform in ±1/√fan_in, fan_in = weight dimension 1 × kernel). Batch norm makes each
   * convolution blind to its weights' scale, so that scale only sets how fast they turn: He's,
   * √6 times larger, makes every step 6 times smaller, and a learning rate that suits the same
   * network in PyTorch crawls here (measured on EM slices: see README, "Your own data").
   * Without batch norm, the paper's He normal. */
  gboolean pytorch = self->config.norm == UNET_NORM_BATCH;
  double bound = 0.0;

  unet_rng_seed (&rng, seed);
  for (guint i = 0; i < self->params->len; i++)
    {
      UnetParam *param = param_at (self, i);
      float value = 0.0f;

      switch (param->kind)
        {
        case UNET_PARAM_WEIGHT:
          if (pytorch)
            {
              bound = 1.0 / sqrt ((double) param->shape[1] * param->shape[2] * param->shape[3]);
              for (size_t j = 0; j < param->numel; j++)
                param->data[j] = (float) (bound * (2.0 * unet_rng_uniform (&rng) - 1.0));
            }
          else
            {
              /* He et al.: std sqrt(2/N), N the inputs feeding one output. For a transposed
               * convolution [in, out, 2, 2] with stride 2 each output sees one tap per input
               * channel, so N = in. */
              gboolean transposed = g_str_has_suffix (param->name, ".up.weight");
              double fan_in = transposed ? param->shape[0]
                                         : (double) param->shape[1] * param->shape[2] * param->shape[3];
              double std = sqrt (2.0 / fan_in);

              for (size_t j = 0; j < param->numel; j++)
                param->data[j] = (float) (std * unet_rng_normal (&rng));
            }
          continue;
        case UNET_PARAM_BIAS:
          /* a layer's bias follows its weight */
          if (pytorch)
            {
              for (size_t j = 0; j < param->numel; j++)
                param->data[j] = (float) (bound * (2.0 * unet_rng_uniform (&rng) - 1.0));
              continue;
            }
          value = 0.0f;
          break;
        case UNET_PARAM_NORM_WEIGHT:
          value = 1.0f;
          break;
        case UNET_PARAM_RUNNING_STAT:
          value = g_str_has_suffix (param->name, "running_var") ? 1.0f : 0.0f;
          break;
        case UNET_PARAM_NORM_BIAS:
        default:
          value = 0.0f;
          break;
        }
      for (size_t j = 0; j < param->numel; j++)
        param->data[j] = value;
    }

  /* a stream of its own, so that changing the weights' init never changes the dropout masks */
  unet_rng_seed (&self->dropout_rng, seed ^ G_GUINT64_CONSTANT (0x5eed0d120f0a7e11));
}

void
unet_model_set_normalization (UnetModel   *self,
                              const float  mean[3],
                              const float  std[3])
{
  g_return_if_fail (self != NULL);

  for (int c = 0; c < 3; c++)
    {
      self->mean[c] = mean[c];
      self->std[c] = std[c] > 0.0f ? std[c] : 1.0f;
    }
}

void
unet_model_get_normalization (const UnetModel *self,
                              float            mean[3],
                              float            std[3])
{
  g_return_if_fail (self != NULL);

  for (int c = 0; c < 3; c++)
    {
      mean[c] = self->mean[c];
      std[c] = self->std[c];
    }
}

void
unet_model_set_input_scale (UnetModel *self,
                            double     scale)
{
  g_return_if_fail (self != NULL);
  /* written so that NaN fails too */
  g_return_if_fail (scale > 0.0 && scale <= UNET_MAX_INPUT_SCALE);

  self->input_scale = scale;
}

double
unet_model_get_input_scale (const UnetModel *self)
{
  g_return_val_if_fail (self != NULL, 1.0);

  return self->input_scale;
}

void
unet_model_set_max_classes (UnetModel *self,
                            int        max_classes)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (max_classes >= 0 && max_classes < UNET_MAX_CLASSES);

  self->max_classes = max_classes;
}

int
unet_model_get_max_classes (const UnetModel *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->max_classes;
}

void
unet_model_set_info (UnetModel  *self,
                     const char *key,
                     const char *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (key != NULL);

  if (value == NULL)
    g_hash_table_remove (self->info, key);
  else
    g_hash_table_replace (self->info, g_strdup (key), g_strdup (value));
}

const char *
unet_model_get_info (const UnetModel *self,
                     const char      *key)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_hash_table_lookup (self->info, key);
}

GHashTable *
unet_model_get_info_table (const UnetModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->info;
}

const char *const *
unet_model_get_class_names (const UnetModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return (const char *const *) self->class_names;
}

const guint8 *
unet_model_get_palette (const UnetModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->palette;
}

void
unet_model_set_classes (UnetModel         *self,
                        const char *const *names,
                        const guint8      *palette)
{
  int K;

  g_return_if_fail (self != NULL);

  K = self->config.classes;
  g_clear_pointer (&self->class_names, g_strfreev);
  self->class_names = g_new0 (char *, K + 1);
  for (int k = 0; k < K; k++)
    {
      if (names != NULL && names[k] != NULL)
        self->class_names[k] = g_strdup (names[k]);
      else if (K == 21)
        self->class_names[k] = g_strdup (voc_class_names[k]);
      else
        self->class_names[k] = g_strdup_printf ("class %d", k);
    }

  g_free (self->palette);
  self->palette = g_new (guint8, 3 * K);
  for (int k = 0; k < K; k++)
    {
      if (palette != NULL)
        memcpy (self->palette + 3 * k, palette + 3 * k, 3);
      else
        voc_color (k, self->palette + 3 * k);
    }
}

/* --- activation memory ------------------------------------------------------------------------ */

/* Hands out consecutive pieces of a block; with a NULL base it only counts, so that the same
 * code sizes the block, estimates memory, and assigns the pointers. */
typedef struct
{
  float  *base;
  size_t  used;
} Arena;

static float *
arena_take (Arena  *arena,
            size_t  n)
{
  float *p = arena->base ? arena->base + arena->used : NULL;

  /* tensors start at multiples of 16 floats, so vector loops start on whole cache lines */
  arena->used += (n + 15) & ~(size_t) 15;
  return p;
}

static UnetShape
conv_out_shape (const UnetConfig *config,
                UnetShape         in,
                int               out_channels)
{
  int shrink = config->padding == UNET_PADDING_VALID ? 2 : 0;

  return (UnetShape) { in.batch, out_channels, in.height - shrink, in.width - shrink };
}

/* The unit's output (z and y, or y alone without batch norm) out of `outputs`, which may be a
 * different arena from its statistics'. */
static void
take_outputs (ConvUnit *unit,
              gboolean  norm,
              Arena    *outputs)
{
  size_t n = unet_shape_numel (unit->out_shape);

  unit->z = arena_take (outputs, n);
  unit->y = norm ? arena_take (outputs, n) : unit->z;
}

/* Assigns shapes and (when the arenas have bases) pointers; returns the workspace floats. The
 * output is left to the caller when `outputs` is NULL. */
static size_t
plan_conv_unit (UnetModel *self,
                ConvUnit  *unit,
                UnetShape  in,
                Arena     *act,
                Arena     *outputs,
                size_t    *largest)
{
  gboolean norm = self->config.norm == UNET_NORM_BATCH;
  int pad = self->config.padding == UNET_PADDING_SAME ? 1 : 0;
  size_t n;

  unit->in_shape = in;
  unit->out_shape = conv_out_shape (&self->config, in, unit->out_channels);
  n = unet_shape_numel (unit->out_shape);

  if (outputs != NULL)
    take_outputs (unit, norm, outputs);
  unit->save_mean = norm ? arena_take (act, unit->out_channels) : NULL;
  unit->save_invstd = norm ? arena_take (act, unit->out_channels) : NULL;
  *largest = MAX (*largest, MAX (n, unet_shape_numel (in)));

  return unet_conv3x3_work_size (in, unit->out_channels, pad);
}

/* Floats of the row sums batch norm takes from the widest of the convolutions' outputs. */
static size_t
largest_row_sums (const UnetModel *self)
{
  size_t largest = 0;

  for (int i = 0; i < self->config.depth; i++)
    {
      const ConvUnit *units[] = { &self->enc[i].conv1, &self->enc[i].conv2,
                                  &self->dec[i].conv1, &self->dec[i].conv2 };

      for (guint u = 0; u < G_N_ELEMENTS (units); u++)
        largest = MAX (largest, (size_t) units[u]->out_shape.batch * units[u]->out_shape.height *
                                units[u]->out_channels * 2);
    }
  largest = MAX (largest, (size_t) self->mid.conv1.out_shape.batch *
                          self->mid.conv1.out_shape.height * self->mid.conv1.out_channels * 2);
  largest = MAX (largest, (size_t) self->mid.conv2.out_shape.batch *
                          self->mid.conv2.out_shape.height * self->mid.conv2.out_channels * 2);
  return largest;
}

static size_t
plan (UnetModel *self,
      UnetShape  input,
      Arena     *act,
      Arena     *grad)
{
  const UnetConfig *config = &self->config;
  int depth = config->depth;
  size_t work = 0, largest = 0;
  UnetShape shape = input;

  size_t top_level_at = 0;
  ConvUnit *first = &self->enc[0].conv1;

  for (int i = 0; i < depth; i++)
    {
      Level *level = &self->enc[i];

      /* the first convolution's output: placed below, once the decoder is */
      work = MAX (work, plan_conv_unit (self, &level->conv1, shape, act, i == 0 ? NULL : act,
                                        &largest));
      work = MAX (work, plan_conv_unit (self, &level->conv2, level->conv1.out_shape, act, act,
                                        &largest));
      shape = level->conv2.out_shape;
      shape.height /= 2;
      shape.width /= 2;
      level->pool_shape = shape;
      level->pool = arena_take (act, unet_shape_numel (shape));
    }

  self->dropout_mask = arena_take (act, unet_shape_numel (shape));
  work = MAX (work, plan_conv_unit (self, &self->mid.conv1, shape, act, act, &largest));
  work = MAX (work, plan_conv_unit (self, &self->mid.conv2, self->mid.conv1.out_shape, act, act,
                                    &largest));
  shape = self->mid.conv2.out_shape;

  for (int i = depth - 1; i >= 0; i--)
    {
      Level *level = &self->dec[i];

      work = MAX (work, unet_upconv_work_size (shape, level->width));
      level->cat_shape = (UnetShape) { shape.batch, 2 * level->width, 2 * shape.height, 2 * shape.width };
      top_level_at = act->used;
      level->cat = arena_take (act, unet_shape_numel (level->cat_shape));
      work = MAX (work, plan_conv_unit (self, &level->conv1, level->cat_shape, act, act, &largest));
      work = MAX (work, plan_conv_unit (self, &level->conv2, level->conv1.out_shape, act, act,
                                        &largest));
      shape = level->conv2.out_shape;
    }

  self->output_shape = (UnetShape) { shape.batch, config->classes, shape.height, shape.width };
  self->logits = arena_take (act, unet_shape_numel (self->output_shape));

  /* The first convolution's output is needed twice: by the second convolution's forward, before
   * the decoder's top level exists, and by its backward, after that level's gradients are
   * spent. In between it would be the largest tensor kept; instead it shares the top level's
   * memory (concatenation, convolutions, logits) and backward computes it again from the input:
   * with 3 input channels, about 1 % of a training step. */
  {
    Arena top_level = { act->base ? act->base + top_level_at : NULL, 0 };

    take_outputs (first, config->norm == UNET_NORM_BATCH, &top_level);
    self->recompute_first = top_level.used <= act->used - top_level_at;
    if (!self->recompute_first)
      take_outputs (first, config->norm == UNET_NORM_BATCH, act);
  }
  self->row_sums = config->norm == UNET_NORM_BATCH ? arena_take (act, largest_row_sums (self))
                                                   : NULL;

  if (grad)
    {
      /* the loss reads a pixel's logits before it writes their gradient, so it works in place:
       * one buffer fewer the size of the output times the classes */
      self->dlogits = self->logits;
      self->relu_mask = (guint8 *) arena_take (grad, (largest + sizeof (float) - 1) / sizeof (float));
    }
  else
    {
      self->dlogits = NULL;
      self->relu_mask = NULL;
    }

  return work;
}

static gboolean
check_input_size (const UnetConfig  *config,
                  int                batch,
                  int                height,
                  int                width,
                  GError           **error)
{
  int out;

  if (batch < 1 || batch > 4096)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_INVALID_SIZE,
                   "Batch size %d is out of range", batch);
      return FALSE;
    }
  if (!unet_config_output_size (config, height, &out, error) ||
      !unet_config_output_size (config, width, &out, error))
    return FALSE;

  return TRUE;
}

size_t
unet_model_estimate_memory (const UnetConfig *config,
                            int               batch,
                            int               height,
                            int               width,
                            gboolean          for_training)
{
  g_autoptr(UnetModel) model = NULL;
  Arena act = { NULL, 0 }, grad = { NULL, 0 };
  size_t work;

  if (!check_input_size (config, batch, height, width, NULL))
    return 0;
  model = unet_model_new (config, NULL);
  if (model == NULL)
    return 0;

  work = plan (model, (UnetShape) { batch, config->in_channels, height, width },
               &act, for_training ? &grad : NULL);

  /* parameters, gradients and (when training) momentum buffers, plus the input batch */
  return sizeof (float) * (act.used + grad.used + work
                           + model->n_param_floats * (for_training ? 3 : 1)
                           + (size_t) batch * config->in_channels * height * width);
}

/* Cache-line aligned and zeroed; NULL when the memory is not there, instead of aborting. */
static float *
try_alloc_floats (size_t n)
{
  void *p = NULL;

  if (posix_memalign (&p, 64, sizeof (float) * MAX (n, 1)) != 0)
    return NULL;
  memset (p, 0, sizeof (float) * MAX (n, 1));
  return p;
}

gboolean
unet_model_prepare (UnetModel  *self,
                    int         batch,
                    int         height,
                    int         width,
                    gboolean    for_training,
                    GError    **error)
{
  UnetShape input;
  Arena act = { NULL, 0 }, grad = { NULL, 0 };
  size_t work;

  g_return_val_if_fail (self != NULL, FALSE);

  input = (UnetShape) { batch, self->config.in_channels, height, width };
  if (self->act_block != NULL &&
      memcmp (&input, &self->input_shape, sizeof input) == 0 &&
      (self->prepared_for_training || !for_training))
    return TRUE;

  if (!check_input_size (&self->config, batch, height, width, error))
    return FALSE;

  release_activations (self);

  work = plan (self, input, &act, for_training ? &grad : NULL);
  self->act_block = try_alloc_floats (act.used);
  self->act_grad_block = for_training ? try_alloc_floats (grad.used) : NULL;
  self->work = try_alloc_floats (work);
  if (self->act_block == NULL || self->work == NULL || (for_training && self->act_grad_block == NULL))
    {
      release_activations (self);
      g_set_error (error, UNET_ERROR, UNET_ERROR_NO_MEMORY,
                   "Not enough memory for a batch of %d at %d×%d: it needs %.0f MB",
                   batch, width, height, sizeof (float) * (act.used + grad.used + work) / 1e6);
      return FALSE;
    }

  self->n_act_floats = act.used;
  self->n_work_floats = work;
  act = (Arena) { self->act_block, 0 };
  grad = (Arena) { self->act_grad_block, 0 };
  plan (self, input, &act, for_training ? &grad : NULL);

  self->input_shape = input;
  self->prepared_for_training = for_training;
  return TRUE;
}

UnetShape
unet_model_get_input_shape (const UnetModel *self)
{
  return self->input_shape;
}

UnetShape
unet_model_get_output_shape (const UnetModel *self)
{
  return self->output_shape;
}

double
unet_model_count_flops (const UnetModel *self)
{
  double flops = 0.0;

  g_return_val_if_fail (self != NULL, 0.0);

  for (int i = 0; i < self->config.depth; i++)
    {
      const Level *dec = &self->dec[i];

      flops += conv_unit_flops (&self->enc[i].conv1) + conv_unit_flops (&self->enc[i].conv2);
      flops += conv_unit_flops (&dec->conv1) + conv_unit_flops (&dec->conv2);
      flops += level_upconv_flops (dec);
    }
  flops += conv_unit_flops (&self->mid.conv1) + conv_unit_flops (&self->mid.conv2);
  flops += 2.0 * unet_shape_numel (self->output_shape) * self->config.base;
  return flops;
}

UnetRng *
unet_model_get_rng (UnetModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->dropout_rng;
}

void
unet_model_skip_dropout (UnetModel *self,
                         int        samples)
{
  const UnetShape *pool;

  g_return_if_fail (self != NULL);
  g_return_if_fail (samples >= 0);
  g_return_if_fail (self->act_block != NULL);

  if (self->config.dropout <= 0.0f)
    return;
  /* one uniform draw per element of the bottleneck's input, image after image */
  pool = &self->enc[self->config.depth - 1].pool_shape;
  unet_rng_skip (&self->dropout_rng,
                 (guint64) samples * pool->channels * pool->height * pool->width);
}

float *
unet_model_get_param_block (UnetModel *self,
                            size_t    *n_floats)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (n_floats)
    *n_floats = self->n_param_floats;
  return self->param_block;
}

float *
unet_model_get_grad_block (UnetModel *self,
                           size_t    *n_floats)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (n_floats)
    *n_floats = self->n_param_floats;
  return self->grad_block;
}

void
unet_model_set_hooks (UnetModel            *self,
                      const UnetModelHooks *hooks)
{
  int widest;

  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->bn_sync.scratch, g_free);
  self->has_hooks = hooks != NULL;
  if (hooks == NULL)
    {
      memset (&self->hooks, 0, sizeof self->hooks);
      memset (&self->bn_sync, 0, sizeof self->bn_sync);
      return;
    }
  self->hooks = *hooks;
  /* the bottleneck is the widest layer */
  widest = self->mid.width;
  self->bn_sync.reduce = hooks->reduce;
  self->bn_sync.user_data = hooks->user_data;
  self->bn_sync.scratch = g_new0 (double, 2 * (size_t) widest + 1);
}
