/* unet-conv-xsmm.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxsmm.h>

#include "unet-conv-xsmm.h"
#include "unet-xsmm-private.h"
#include "unet-conv-winograd.h"

/* Direct 3x3 convolution, no im2col. Every pass below is a "valid" convolution of a source
 * src[Cs, Hs, Ws] into dst[Cd, Hs - 2, Ws - 2]; "same" padding and the input gradient first copy
 * their source into a zero-bordered buffer. In libxsmm's column-major terms, a chunk of m output
 * pixels of row y and a block of n output channels is
 *
 *   C(m x n) += sum over (channel block, tap) of A(m x k) B(k x n),
 *   A(i, c) = src[c0 + c, y + ky, x0 + kx + i]   (lda = Hs Ws: read in place)
 *   B(c, o) = wt[tap, o0 + o, c0 + c]           (ldb = Cs: the weights, re-laid out per call)
 *   C(i, o) = dst[o0 + o, y, x0 + i]             (ldc = the output plane)
 *
 * one batch-reduce call per (row, pixel chunk, channel block), so C stays in registers over the
 * 9 taps and all input channels. The batch entries differ only by constant offsets, so the
 * offset arrays are built once per call and shared by every row. */

/* Largest blocks: pixels m, output channels n, input channels k, and the floats of one block of
 * output channels' weights (9 Cs n), which a thread keeps in L2 over its rows. On the 2-core
 * AVX-512 machine m 32..128, k 32..128 and a budget of 64K..1M floats timed within noise of
 * each other; these are the middle. */
#ifndef XSMM_M_MAX
#define XSMM_M_MAX 64
#endif
#ifndef XSMM_N_MAX
#define XSMM_N_MAX 64
#endif
#ifndef XSMM_W_BUDGET
#define XSMM_W_BUDGET (128 * 1024)
#endif
#ifndef XSMM_K_MAX
#define XSMM_K_MAX 64
#endif

typedef struct
{
  int src_channels, src_h, src_w;
  int dst_channels, dst_w;
  size_t dst_plane;

  Split m, n, k;

  /* kernel[m is last][n is last][k is last]; the k-last kernel reduces over one channel block
   * (9 taps), the other over the count - 1 full ones (9 (count - 1) entries). The `first`
   * kernels overwrite C (beta 0), the others add to it. */
  libxsmm_smmfunction_reducebatch_offs kernel[2][2][2];
  libxsmm_smmfunction_reducebatch_offs first[2][2][2];

  unsigned long long *a_offs;   /* 9 k.count entries: full blocks, then the last block */
  unsigned long long *b_offs;
} ValidPlan;


static gint disabled = -1;   /* -1: not decided yet; then 0 or 1 */

/* Whether libxsmm generates code for this CPU: the JIT needs AVX2 or better. */
static gboolean
xsmm_init_once (void)
{
  static gsize initialised = 0;
  static gboolean usable = FALSE;

  if (g_once_init_enter (&initialised))
    {
      libxsmm_init ();
      usable = libxsmm_get_target_archid () >= LIBXSMM_X86_AVX2;
      g_once_init_leave (&initialised, 1);
    }
  return usable;
}

gboolean
unet_conv3x3_xsmm_available (void)
{
  if (g_atomic_int_get (&disabled) < 0)
    g_atomic_int_compare_and_exchange (&disabled, -1, g_getenv ("UNET_NO_XSMM") != NULL);
  return !g_atomic_int_get (&disabled) && xsmm_init_once ();
}

void
unet_conv3x3_xsmm_set_enabled (gboolean enabled)
{
  g_atomic_int_set (&disabled, !enabled);
}

static size_t
offsets_floats (int src_channels)
{
  Split k = split_dim (src_channels, XSMM_K_MAX);

  /* two arrays of 9 k.count 64-bit offsets */
  return 2 * 9 * (size_t) k.count * (sizeof (unsigned long long) / sizeof (float));
}

/* Output rows per strip when a source of C planes W wide is padded a strip at a time: the
 * strip (with its two rows of halo) stays near XSMM_PAD_STRIP floats. */
#ifndef XSMM_PAD_STRIP
#define XSMM_PAD_STRIP (256 * 1024)
#endif

static int
pad_strip_rows (int C,
                int padded_w,
                int out_h)
{
  size_t rows = XSMM_PAD_STRIP / MAX ((size_t) C * padded_w, 1);

  rows = rows > 2 ? rows - 2 : 1;
  return (int) MIN (rows, (size_t) MAX (out_h, 1));
}

/* Floats of the strip that pads `channels` planes H x W by border. */
static size_t
strip_floats (int channels,
              int H,
              int W,
              int border)
{
  int PW = W + 2 * border;

  return (size_t) channels * (pad_strip_rows (channels, PW, H + 2 * border - 2) + 2) * PW;
}

size_t
unet_conv3x3_xsmm_work_size (UnetShape in,
                             int       out_channels,
                             int       pad)
{
  int C = in.channels, OC = out_channels;
  int OH = in.height - 2 + 2 * pad, OW = in.width - 2 + 2 * pad;
  /* forward pads the input only for "same"; backward always pads the output gradient by
   * 2 - pad, a strip at a time */
  size_t padded = strip_floats (OC, OH, OW, 2 - pad);

  if (pad)
    padded = MAX (padded, strip_floats (C, in.height, in.width, 1));
  return MAX (region ((size_t) 9 * C * OC)
              + region (MAX (offsets_floats (C), offsets_floats (OC)))
              + region (padded),
              unet_conv3x3_winograd_work_size (in, out_channels, pad));
}

/* Carves the weight, offset and padding regions out of work, in that order. */
static void
carve_work (float      *work,
            size_t      n_weight,
            int         src_channels,
            float     **wt,
            ValidPlan  *plan,
            float     **padded)
{
  float *p = align_up (work);

  *wt = p;
  p = align_up (p + n_weight);
  plan->a_offs = (unsigned long long *) p;
  plan->b_offs = plan->a_offs + 9 * (size_t) split_dim (src_channels, XSMM_K_MAX).count;
  p = align_up (p + offsets_floats (src_channels));
  *padded = p;
}

/* A plan for sources of src_channels planes of src_h x src_w (the channel stride of the source),
 * into destinations whose channel stride is dst_plane. */
static gboolean
plan_valid (ValidPlan *plan,
            int        src_channels,
            int        src_h,
            int        src_w,
            int        dst_channels,
            size_t     dst_plane)
{
  libxsmm_blasint lda, ldb, ldc;
  const float alpha = 1.0f, one = 1.0f, zero = 0.0f;
  const int flags = LIBXSMM_GEMM_FLAG_NONE;
  const int prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
  size_t entry = 0;
  int n_max;

  plan->src_channels = src_channels;
  plan->src_h = src_h;
  plan->src_w = src_w;
  plan->dst_channels = dst_channels;
  plan->dst_w = src_w - 2;
  plan->dst_plane = dst_plane;

  /* libxsmm's leading dimensions are int */
  if ((size_t) src_h * src_w > G_MAXINT || plan->dst_plane > G_MAXINT)
    return FALSE;

  plan->m = split_pixels (plan->dst_w, XSMM_M_MAX);
  n_max = XSMM_W_BUDGET / (9 * src_channels);
  n_max = CLAMP (n_max / 16 * 16, 16, XSMM_N_MAX);
  plan->n = split_dim (dst_channels, n_max);
  plan->k = split_dim (src_channels, XSMM_K_MAX);

  lda = (libxsmm_blasint) src_h * src_w;
  ldb = src_channels;
  ldc = (libxsmm_blasint) plan->dst_plane;

  for (int mi = 0; mi < 2; mi++)
    for (int ni = 0; ni < 2; ni++)
      for (int ki = 0; ki < 2; ki++)
        {
          int m = mi ? plan->m.last : plan->m.size;
          int n = ni ? plan->n.last : plan->n.size;
          int k = ki ? plan->k.last : plan->k.size;

          plan->kernel[mi][ni][ki] =
            libxsmm_smmdispatch_reducebatch_offs (m, n, k, &lda, &ldb, &ldc,
                                                  &alpha, &one, &flags, &prefetch);
          plan->first[mi][ni][ki] =
            libxsmm_smmdispatch_reducebatch_offs (m, n, k, &lda, &ldb, &ldc,
                                                  &alpha, &zero, &flags, &prefetch);
          if (plan->kernel[mi][ni][ki] == NULL || plan->first[mi][ni][ki] == NULL)
            return FALSE;
        }

  /* channel block outside, tap inside: consecutive entries read the same channels */
  for (int cb = 0; cb < plan->k.count; cb++)
    for (int tap = 0; tap < 9; tap++)
      {
        size_t c0 = (size_t) cb * plan->k.size;
        int ky = tap / 3, kx = tap % 3;

        plan->a_offs[entry] = sizeof (float) * (c0 * src_h * src_w + (size_t) ky * src_w + kx);
        plan->b_offs[entry] = sizeof (float) * ((size_t) tap * dst_channels * src_channels + c0);
        entry++;
      }

  return TRUE;
}

/* Lanes of the partial sums below: 16 independent accumulators (four SSE vectors) keep the adds
 * from waiting on each other; one accumulator made the sums latency-bound, and they cost the
 * forward pass as much as they saved batch norm. */
#define ROW_SUM_LANES 16

/* sums = { Σ row, Σ (row - mean)² }: two passes over a row in L1, so that the deviations from
 * the row's own mean cannot cancel. */
static void
row_sums (const float *row,
          int          width,
          float       *sums)
{
  float lanes[ROW_SUM_LANES] = { 0.0f }, sum = 0.0f, deviations = 0.0f, mean;
  int body = width / ROW_SUM_LANES * ROW_SUM_LANES;

  for (int x = 0; x < body; x += ROW_SUM_LANES)
    for (int k = 0; k < ROW_SUM_LANES; k++)
      lanes[k] += row[x + k];
  for (int k = 0; k < ROW_SUM_LANES; k++)
    sum += lanes[k];
  for (int x = body; x < width; x++)
    sum += row[x];
  mean = sum / width;

  for (int k = 0; k < ROW_SUM_LANES; k++)
    lanes[k] = 0.0f;
  for (int x = 0; x < body; x += ROW_SUM_LANES)
    for (int k = 0; k < ROW_SUM_LANES; k++)
      {
        float d = row[x + k] - mean;

        lanes[k] += d * d;
      }
  for (int k = 0; k < ROW_SUM_LANES; k++)
    deviations += lanes[k];
  for (int x = body; x < width; x++)
    deviations += (row[x] - mean) * (row[x] - mean);

  sums[0] = sum;
  sums[1] = deviations;
}

/* The pass over n channels' rows (dst_plane apart) of one output row, while they are still in
 * cache. The row length comes in a plain int: without strict aliasing a store to row[x] could
 * change a struct's field, and the loops would not vectorise (ReLU was a compare and a branch
 * per pixel). */
void
unet_xsmm_output_pass (const OutputPass *pass,
                       float            *rows,
                       size_t            dst_plane,
                       int               width,
                       int               o0,
                       int               n,
                       int               row_index,
                       int               channels)
{
  for (int o = 0; o < n; o++)
    {
      const float value = pass->bias ? pass->bias[o0 + o] : 0.0f;
      float *row = rows + o * dst_plane;

      if (pass->relu)
        {
          for (int x = 0; x < width; x++)
            {
              float v = row[x] + value;

              row[x] = v > 0.0f ? v : 0.0f;
            }
        }
      else if (pass->bias != NULL)
        {
          for (int x = 0; x < width; x++)
            row[x] += value;
        }
      if (pass->sums != NULL)
        row_sums (row, width, pass->sums + ((size_t) row_index * channels + o0 + o) * 2);
    }
}

/* The first n_rows output rows of one source image through the plan; called by every thread of
 * a parallel region. With a pass, dst = convolution, then the pass (first_row: the image's row
 * that dst's first is, for the sums); without, dst += convolution. */
static void
run_valid (const ValidPlan  *plan,
           float            *dst,
           const float      *src,
           const float      *wt,
           int               n_rows,
           const OutputPass *pass,
           int               first_row)
{
  const gboolean overwrite = pass != NULL;
  const int n_items = n_rows * plan->n.count;
  const unsigned long long n_full = 9 * (unsigned long long) (plan->k.count - 1);
  const unsigned long long n_last = 9;

#pragma omp for schedule(static)
  for (int item = 0; item < n_items; item++)
    {
      /* channel blocks outside, rows inside: a thread's consecutive items share the weights,
       * and two of their three input rows */
      int nb = item / n_rows;
      int y = item % n_rows;
      int ni = nb == plan->n.count - 1;
      int o0 = nb * plan->n.size;
      int n = ni ? plan->n.last : plan->n.size;
      const float *b_base = wt + (size_t) o0 * plan->src_channels;
      float *dst_row = dst + (size_t) o0 * plan->dst_plane + (size_t) y * plan->dst_w;

      for (int mb = 0; mb < plan->m.count; mb++)
        {
          int mi = mb == plan->m.count - 1;
          int x0 = mb * plan->m.size;
          const float *a_base = src + (size_t) y * plan->src_w + x0;
          float *c = dst_row + x0;

          /* the first call overwrites: no pass to clear or preset the output */
          if (n_full > 0)
            (overwrite ? plan->first : plan->kernel)[mi][ni][0] (a_base, b_base, c, &n_full,
                                                                  plan->a_offs, plan->b_offs);
          (overwrite && n_full == 0 ? plan->first : plan->kernel)[mi][ni][1]
            (a_base, b_base, c, &n_last, plan->a_offs + n_full, plan->b_offs + n_full);
        }

      if (pass != NULL)
        unet_xsmm_output_pass (pass, dst_row, plan->dst_plane, plan->dst_w, o0, n, first_row + y,
                     plan->dst_channels);
    }
}

/* Rows first_row .. first_row + n_rows - 1 of src[C, H, W] zero-padded by `border` on every
 * side, into dst[C, cap_rows, W + 2 border] (cap_rows >= n_rows: the strip buffer's fixed
 * channel stride). Called by every thread of a parallel region. */
static void
pad_strip (float       *dst,
           const float *src,
           int          C,
           int          H,
           int          W,
           int          border,
           int          first_row,
           int          n_rows,
           int          cap_rows)
{
  int PW = W + 2 * border;

#pragma omp for schedule(static)
  for (int c = 0; c < C; c++)
    {
      const float *s = src + (size_t) c * H * W;
      float *d = dst + (size_t) c * cap_rows * PW;

      for (int r = 0; r < n_rows; r++)
        {
          float *row = d + (size_t) r * PW;
          int y = first_row + r - border;

          if (y < 0 || y >= H)
            {
              memset (row, 0, sizeof (float) * PW);
              continue;
            }
          memset (row, 0, sizeof (float) * border);
          memcpy (row + border, s + (size_t) y * W, sizeof (float) * W);
          memset (row + border + W, 0, sizeof (float) * border);
        }
    }
}

/* dst (= and the pass, or +=, as run_valid) the valid convolution of src[C, H, W] zero-padded by
 * `border`,
 * padding one strip of rows at a time into `strip`; the plan was made for sources of
 * strip_rows + 2 rows. Called by every thread of a parallel region. */
static void
run_padded (const ValidPlan  *plan,
            float            *dst,
            const float      *src,
            const float      *wt,
            int               H,
            int               W,
            int               border,
            int               strip_rows,
            float            *strip,
            const OutputPass *pass)
{
  int out_h = H + 2 * border - 2, out_w = W + 2 * border - 2;

  for (int y0 = 0; y0 < out_h; y0 += strip_rows)
    {
      int rows = MIN (strip_rows, out_h - y0);

      /* the barrier at the end of run_valid's loop keeps the next strip from overwriting this
       * one while it is read */
      pad_strip (strip, src, plan->src_channels, H, W, border, y0, rows + 2, strip_rows + 2);
      run_valid (plan, dst + (size_t) y0 * out_w, strip, wt, rows, pass, y0);
    }
}

/* pass->sums, when set, covers the whole batch: [B, OH, OC, 2] */
static gboolean
xsmm_forward (float             *out,
              const float       *in,
              const float       *weight,
              UnetShape          in_shape,
              int                out_channels,
              int                pad,
              const OutputPass  *pass,
              float             *work)
{
  int C = in_shape.channels, H = in_shape.height, W = in_shape.width;
  int OC = out_channels;
  int SW = W + 2 * pad, OH = H + 2 * pad - 2;
  size_t in_image = (size_t) C * H * W;
  size_t out_plane = (size_t) OH * (SW - 2);
  /* "same" pads the input a strip of rows at a time; "valid" reads it in place */
  int strip_rows = pad ? pad_strip_rows (C, SW, OH) : OH;
  ValidPlan plan;
  float *wt, *padded;

  g_return_val_if_fail (pad == 0 || pad == 1, FALSE);
  g_return_val_if_fail (H + 2 * pad >= 3 && W + 2 * pad >= 3, FALSE);

  if (!xsmm_init_once ())
    return FALSE;
  /* Winograd where it is faster (unet-conv-winograd.c), direct convolution everywhere else */
  if (unet_conv3x3_winograd_forward (out, in, weight, in_shape, OC, pad, pass, work))
    return TRUE;

  carve_work (work, (size_t) 9 * C * OC, C, &wt, &plan, &padded);
  if (!plan_valid (&plan, C, strip_rows + 2, SW, OC, out_plane))
    return FALSE;

#pragma omp parallel
  {
    /* wt[tap, oc, c] = weight[oc, c, tap] */
#pragma omp for schedule(static)
    for (int oc = 0; oc < OC; oc++)
      for (int c = 0; c < C; c++)
        {
          const float *w = weight + ((size_t) oc * C + c) * 9;

          for (int tap = 0; tap < 9; tap++)
            wt[((size_t) tap * OC + oc) * C + c] = w[tap];
        }

    for (int b = 0; b < in_shape.batch; b++)
      {
        float *dst = out + b * OC * out_plane;
        OutputPass image_pass = *pass;

        if (pass->sums != NULL)
          image_pass.sums = pass->sums + (size_t) b * OH * OC * 2;
        if (pad)
          run_padded (&plan, dst, in + b * in_image, wt, H, W, 1, strip_rows, padded, &image_pass);
        else
          run_valid (&plan, dst, in + b * in_image, wt, OH, &image_pass, 0);
      }
  }

  return TRUE;
}

gboolean
unet_conv3x3_xsmm_forward (float       *out,
                           const float *in,
                           const float *weight,
                           const float *bias,
                           UnetShape    in_shape,
                           int          out_channels,
                           int          pad,
                           gboolean     relu,
                           float       *work)
{
  OutputPass pass = { bias, relu, NULL };

  return xsmm_forward (out, in, weight, in_shape, out_channels, pad, &pass, work);
}

gboolean
unet_conv3x3_xsmm_forward_sums (float       *out,
                                const float *in,
                                const float *weight,
                                const float *bias,
                                UnetShape    in_shape,
                                int          out_channels,
                                int          pad,
                                float       *row_sums,
                                float       *work)
{
  OutputPass pass = { bias, FALSE, row_sums };

  g_return_val_if_fail (row_sums != NULL, FALSE);

  return xsmm_forward (out, in, weight, in_shape, out_channels, pad, &pass, work);
}

gboolean
unet_conv3x3_xsmm_backward_data (float       *din,
                                 gboolean     accumulate,
                                 const float *dout,
                                 const float *weight,
                                 UnetShape    in_shape,
                                 int          out_channels,
                                 int          pad,
                                 float       *work)
{
  int C = in_shape.channels, H = in_shape.height, W = in_shape.width;
  int OC = out_channels;
  int OH = H - 2 + 2 * pad, OW = W - 2 + 2 * pad;
  /* the full correlation: dout with a border of 2 - pad, which makes it (H + 2) x (W + 2),
   * padded a strip of rows at a time */
  int border = 2 - pad;
  int strip_rows = pad_strip_rows (OC, W + 2, H);
  /* written over, with nothing added */
  const OutputPass no_pass = { NULL, FALSE, NULL };
  size_t in_image = (size_t) C * H * W;
  size_t out_image = (size_t) OC * OH * OW;
  ValidPlan plan;
  float *wt, *padded;

  g_return_val_if_fail (pad == 0 || pad == 1, FALSE);
  g_return_val_if_fail (OH >= 1 && OW >= 1, FALSE);

  if (!xsmm_init_once ())
    return FALSE;

  carve_work (work, (size_t) 9 * C * OC, OC, &wt, &plan, &padded);
  if (!plan_valid (&plan, OC, strip_rows + 2, W + 2, C, in_image / C))
    return FALSE;

#pragma omp parallel
  {
    /* wt[tap, c, oc] = weight[oc, c, 8 - tap]: transposed and flipped. Tiles of 16 output
     * channels, so that the writes run along oc while the reads stay sequential per oc. */
#pragma omp for schedule(static)
    for (int oc0 = 0; oc0 < OC; oc0 += 16)
      for (int c = 0; c < C; c++)
        for (int oc = oc0; oc < MIN (oc0 + 16, OC); oc++)
          {
            const float *w = weight + ((size_t) oc * C + c) * 9;

            for (int tap = 0; tap < 9; tap++)
              wt[((size_t) tap * C + c) * OC + oc] = w[8 - tap];
          }

    for (int b = 0; b < in_shape.batch; b++)
      run_padded (&plan, din + b * in_image, dout + b * out_image, wt, OH, OW, border,
                  strip_rows, padded, accumulate ? NULL : &no_pass);
  }

  return TRUE;
}

/* --- the weight gradient ------------------------------------------------------------------- */

/* dW[oc, c, tap] = sum over pixels of dout[oc, y, x] in[c, y + ky, x + kx] (padded input) is, for
 * one tap and one output row y, a GEMM whose reduction runs along the row:
 *
 *   C(m x n) += sum over rows y of A(m x k) B(k x n),  k = the row's OW pixels,
 *   A(c, x) = in_t[y + ky, x + kx, c0 + c]   (lda = C: the input transposed to pixels x channels)
 *   B(x, o) = dout[o0 + o, y, x]             (ldb = the output plane: read in place)
 *   C(c, o) = dwt[tap, o0 + o, c0 + c]       (ldc = C)
 *
 * with the rows a strided batch-reduce. The input is transposed a strip of rows at a time into
 * the work area, so that it stays in cache while the taps and channel blocks read it. Work items
 * are (output-channel block, tap, channel block): each owns its block of dwt, so the threads
 * never write the same floats and no reduction is needed. */

#ifndef XSMM_WGRAD_M_MAX
#define XSMM_WGRAD_M_MAX 32
#endif
#ifndef XSMM_WGRAD_N_MAX
#define XSMM_WGRAD_N_MAX 32
#endif
/* floats of the transposed strip */
#ifndef XSMM_WGRAD_STRIP
#define XSMM_WGRAD_STRIP (256 * 1024)
#endif

typedef struct
{
  int C, OC, SH, SW, OH, OW;
  int strip_rows;                 /* output rows per strip */
  Split m, n;                     /* input- and output-channel blocks */
  libxsmm_smmfunction_reducebatch_strd kernel[2][2];   /* [m is last][n is last] */
} WeightGradPlan;

static int
wgrad_strip_rows (int C,
                  int SW,
                  int OH)
{
  size_t row = (size_t) C * SW;
  size_t rows = XSMM_WGRAD_STRIP / MAX (row, 1);

  /* two rows of halo come with every strip */
  rows = rows > 2 ? rows - 2 : 1;
  return (int) MIN (rows, (size_t) OH);
}

static size_t
wgrad_work_floats (int C,
                   int OC,
                   int SH,
                   int SW)
{
  int rows = wgrad_strip_rows (C, SW, SH - 2);

  return region ((size_t) 9 * C * OC) + region ((size_t) (rows + 2) * SW * C);
}

static gboolean
plan_weight_grad (WeightGradPlan *plan,
                  int             C,
                  int             OC,
                  int             SH,
                  int             SW)
{
  libxsmm_blasint lda = C, ldb, ldc = C;
  const float alpha = 1.0f, beta = 1.0f;
  const int flags = LIBXSMM_GEMM_FLAG_NONE;
  const int prefetch = LIBXSMM_GEMM_PREFETCH_NONE;

  plan->C = C;
  plan->OC = OC;
  plan->SH = SH;
  plan->SW = SW;
  plan->OH = SH - 2;
  plan->OW = SW - 2;
  plan->strip_rows = wgrad_strip_rows (C, SW, plan->OH);
  if ((size_t) plan->OH * plan->OW > G_MAXINT || (size_t) SW * C * sizeof (float) > G_MAXINT)
    return FALSE;
  ldb = (libxsmm_blasint) plan->OH * plan->OW;
  plan->m = split_dim (C, XSMM_WGRAD_M_MAX);
  plan->n = split_dim (OC, XSMM_WGRAD_N_MAX);

  for (int mi = 0; mi < 2; mi++)
    for (int ni = 0; ni < 2; ni++)
      {
        int m = mi ? plan->m.last : plan->m.size;
        int n = ni ? plan->n.last : plan->n.size;

        /* strides in bytes: the next row of the transposed input, of the output gradient */
        plan->kernel[mi][ni] =
          libxsmm_smmdispatch_reducebatch_strd (m, n, plan->OW,
                                                (libxsmm_blasint) (sizeof (float) * SW * C),
                                                (libxsmm_blasint) (sizeof (float) * plan->OW),
                                                &lda, &ldb, &ldc, &alpha, &beta, &flags,
                                                &prefetch);
        if (plan->kernel[mi][ni] == NULL)
          return FALSE;
      }
  return TRUE;
}

/* dst[(r SW + x) C + c] = the padded source at row first_row + r, column x, channel c, for
 * rows r < n_rows: rows and columns outside the source are zero. Called by every thread of a
 * parallel region. */
static void
transpose_strip (float       *dst,
                 const float *src,
                 int          C,
                 int          H,
                 int          W,
                 int          pad,
                 int          first_row,
                 int          n_rows)
{
  int SW = W + 2 * pad;
  /* blocks of 16 channels: each reads 16 rows of the source and writes 16-float runs */
  int c_blocks = (C + 15) / 16;

#pragma omp for schedule(static) collapse(2)
  for (int r = 0; r < n_rows; r++)
    for (int cb = 0; cb < c_blocks; cb++)
      {
        int iy = first_row + r - pad;
        int c0 = cb * 16, c1 = MIN (c0 + 16, C);
        float *row = dst + (size_t) r * SW * C;

        if (iy < 0 || iy >= H)
          {
            for (int x = 0; x < SW; x++)
              memset (row + (size_t) x * C + c0, 0, sizeof (float) * (c1 - c0));
            continue;
          }
        if (pad)
          {
            memset (row + c0, 0, sizeof (float) * (c1 - c0));
            memset (row + (size_t) (SW - 1) * C + c0, 0, sizeof (float) * (c1 - c0));
          }
        for (int x0 = 0; x0 < W; x0 += 16)
          {
            int x1 = MIN (x0 + 16, W);

            for (int c = c0; c < c1; c++)
              {
                const float *s = src + ((size_t) c * H + iy) * W;

                for (int x = x0; x < x1; x++)
                  row[(size_t) (x + pad) * C + c] = s[x];
              }
          }
      }
}

size_t
unet_conv3x3_xsmm_weight_grad_work_size (UnetShape in,
                                         int       out_channels,
                                         int       pad)
{
  return wgrad_work_floats (in.channels, out_channels, in.height + 2 * pad, in.width + 2 * pad);
}

gboolean
unet_conv3x3_xsmm_backward_weights (float       *dweight,
                                    const float *dout,
                                    const float *in,
                                    UnetShape    in_shape,
                                    int          out_channels,
                                    int          pad,
                                    float       *work)
{
  int C = in_shape.channels, H = in_shape.height, W = in_shape.width, OC = out_channels;
  WeightGradPlan plan;
  float *dwt, *strip;
  size_t in_image, out_image;
  int n_items;

  g_return_val_if_fail (pad == 0 || pad == 1, FALSE);
  g_return_val_if_fail (H + 2 * pad >= 3 && W + 2 * pad >= 3, FALSE);

  if (!xsmm_init_once () || !plan_weight_grad (&plan, C, OC, H + 2 * pad, W + 2 * pad))
    return FALSE;

  dwt = align_up (work);
  strip = align_up (dwt + (size_t) 9 * C * OC);
  in_image = (size_t) C * H * W;
  out_image = (size_t) OC * plan.OH * plan.OW;
  n_items = plan.n.count * 9 * plan.m.count;

#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (size_t i = 0; i < (size_t) 9 * C * OC; i++)
      dwt[i] = 0.0f;

    for (int b = 0; b < in_shape.batch; b++)
      for (int y0 = 0; y0 < plan.OH; y0 += plan.strip_rows)
        {
          int rows = MIN (plan.strip_rows, plan.OH - y0);
          const float *dout_strip = dout + b * out_image + (size_t) y0 * plan.OW;
          unsigned long long count = (unsigned long long) rows;

          /* the strip's output rows read input rows y0 .. y0 + rows + 1 of the padded input */
          transpose_strip (strip, in + b * in_image, C, H, W, pad, y0, rows + 2);

          /* output-channel blocks outside: a thread's consecutive items share their block of
           * the output gradient */
#pragma omp for schedule(static)
          for (int item = 0; item < n_items; item++)
            {
              int nb = item / (9 * plan.m.count);
              int tap = item / plan.m.count % 9;
              int mb = item % plan.m.count;
              int ni = nb == plan.n.count - 1, mi = mb == plan.m.count - 1;
              int o0 = nb * plan.n.size, c0 = mb * plan.m.size;
              int ky = tap / 3, kx = tap % 3;
              const float *a = strip + ((size_t) ky * plan.SW + kx) * C + c0;
              const float *bm = dout_strip + (size_t) o0 * plan.OH * plan.OW;
              float *c = dwt + ((size_t) tap * OC + o0) * C + c0;

              plan.kernel[mi][ni] (a, bm, c, &count);
            }
        }

    /* dweight[oc, c, tap] += dwt[tap, oc, c] */
#pragma omp for schedule(static)
    for (int oc = 0; oc < OC; oc++)
      for (int c = 0; c < C; c++)
        {
          float *w = dweight + ((size_t) oc * C + c) * 9;

          for (int tap = 0; tap < 9; tap++)
            w[tap] += dwt[((size_t) tap * OC + oc) * C + c];
        }
  }

  return TRUE;
}
