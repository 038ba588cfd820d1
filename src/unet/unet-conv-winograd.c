/* unet-conv-winograd.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <libxsmm.h>

#include "unet-conv-winograd.h"
#include "unet-xsmm-private.h"

/* The 3x3 convolution's forward as Winograd F(2x2, 3x3) (Lavin and Gray 2016): each 2x2 block of
 * output pixels comes from a 4x4 patch of input d and the 3x3 filter g as
 *
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
 *
 * 16 multiplies per input channel where direct convolution needs 36. Over channels the ⊙ is 16
 * GEMMs, one per position ξ of the 4x4 transformed tile, in libxsmm's column-major terms
 *
 *   M_ξ(t, o) = sum over c of V_ξ(t, c) U_ξ(c, o),
 *   V_ξ = the input patches' transforms, tiles t of one row of tiles inside (lda = tiles)
 *   U_ξ = the filters' transforms, [ξ, o, c] (ldb = C)
 *
 * and the output transform, bias, ReLU and row sums run over each row of tiles while M is in
 * cache. A row of tiles at a time: the threads transform its input, run its GEMMs, transform
 * its output, with a barrier between. */

#define TILE_CHUNK 64       /* tiles per kernel call */
/* Below this many 2x2 tiles a call spends more on transforming the filters (16 C OC floats)
 * than the GEMMs save: the bottleneck's 28x28 and 30x30 maps ran slower. */
#ifndef WINOGRAD_MIN_TILES
#define WINOGRAD_MIN_TILES 512
#endif
/* A row of tiles is a block of GEMM rows: rows of 16 tiles ((b)'s deep levels, 32 wide) made
 * the GEMMs too narrow, 335 -> 208 GFLOP/s; rows of 26 and 27 ((a)'s at 54 and 56) gained. */
#ifndef WINOGRAD_MIN_ROW_TILES
#define WINOGRAD_MIN_ROW_TILES 24
#endif
#ifndef WINOGRAD_MIN_CHANNELS
#define WINOGRAD_MIN_CHANNELS 128
#endif
#define OC_BLOCK 64         /* output channels per kernel call */

/* Tiles transformed at a time: their V and M stay in L2. */
#ifndef WINOGRAD_CHUNK
#define WINOGRAD_CHUNK 128
#endif

static int
chunk_tiles (UnetShape in,
             int       pad)
{
  return MIN ((in.width + 2 * pad - 2) / 2, WINOGRAD_CHUNK);
}

static gint policy = -1;   /* -1: not decided yet (UNET_NO_WINOGRAD: never); a UnetWinogradPolicy */

void
unet_conv3x3_winograd_set_policy (UnetWinogradPolicy new_policy)
{
  g_atomic_int_set (&policy, new_policy);
}

static UnetWinogradPolicy
current_policy (void)
{
  if (g_atomic_int_get (&policy) < 0)
    g_atomic_int_compare_and_exchange (&policy, -1, g_getenv ("UNET_NO_WINOGRAD") != NULL
                                                    ? UNET_WINOGRAD_NEVER : UNET_WINOGRAD_AUTO);
  return g_atomic_int_get (&policy);
}

gboolean
unet_conv3x3_winograd_suits (UnetShape in,
                             int       out_channels,
                             int       pad)
{
  int OH = in.height + 2 * pad - 2, OW = in.width + 2 * pad - 2;
  UnetWinogradPolicy now = current_policy ();

  if (now == UNET_WINOGRAD_NEVER)
    return FALSE;
  if (now == UNET_WINOGRAD_ALWAYS)
    return OH >= 2 && OW >= 2 && OH % 2 == 0 && OW % 2 == 0;

  /* even outputs (no partial tiles); enough channels that the transforms are cheap beside the
   * GEMMs (64 were slower: enc2.2 of (a) 335 -> 224 GFLOP/s); filters' transforms of at most
   * 4M floats */
  return OH >= 2 && OW >= 2 && OH % 2 == 0 && OW % 2 == 0
         && in.channels >= WINOGRAD_MIN_CHANNELS && out_channels >= WINOGRAD_MIN_CHANNELS
         && (size_t) 16 * in.channels * out_channels <= 4 * 1024 * 1024
         && (size_t) in.batch * OH * OW / 4 >= WINOGRAD_MIN_TILES
         && OW / 2 >= WINOGRAD_MIN_ROW_TILES;
}

size_t
unet_conv3x3_winograd_work_size (UnetShape in,
                                 int       out_channels,
                                 int       pad)
{
  size_t tiles = chunk_tiles (in, pad);

  if (!unet_conv3x3_winograd_suits (in, out_channels, pad))
    return 0;
  return region ((size_t) 16 * in.channels * out_channels)
         + region ((size_t) 16 * in.channels * tiles)
         + region ((size_t) 16 * out_channels * tiles);
}

/* U[ξ, o, c] = (G g Gᵀ)[ξ] for g = weight[o, c]. */
static void
transform_filters (float       *u,
                   const float *weight,
                   int          C,
                   int          OC)
{
  const size_t stride = (size_t) OC * C;

#pragma omp for schedule(static)
  for (int o = 0; o < OC; o++)
    for (int c = 0; c < C; c++)
      {
        const float *g = weight + ((size_t) o * C + c) * 9;
        float t[4][3];

        /* G g: rows g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2 */
        for (int j = 0; j < 3; j++)
          {
            t[0][j] = g[j];
            t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
            t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
            t[3][j] = g[6 + j];
          }
        /* (G g) Gᵀ: the same on each row */
        for (int i = 0; i < 4; i++)
          {
            float *row = u + (size_t) (4 * i) * stride + (size_t) o * C + c;

            row[0] = t[i][0];
            row[stride] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
            row[2 * stride] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
            row[3 * stride] = t[i][2];
          }
      }
}

/* One 4x4 patch's transform Bᵀ d B into v[ξ stride] from rows r[0..3] at column x. */
static inline void
transform_patch (float        *v,
                 size_t        stride,
                 const float  *r0,
                 const float  *r1,
                 const float  *r2,
                 const float  *r3)
{
  float w[4][4];

  /* Bᵀ d: rows d0 - d2, d1 + d2, d2 - d1, d1 - d3 */
  for (int j = 0; j < 4; j++)
    {
      w[0][j] = r0[j] - r2[j];
      w[1][j] = r1[j] + r2[j];
      w[2][j] = r2[j] - r1[j];
      w[3][j] = r1[j] - r3[j];
    }
  /* (Bᵀ d) B: the same on each row */
  for (int i = 0; i < 4; i++)
    {
      v[(4 * i) * stride] = w[i][0] - w[i][2];
      v[(4 * i + 1) * stride] = w[i][1] + w[i][2];
      v[(4 * i + 2) * stride] = w[i][2] - w[i][1];
      v[(4 * i + 3) * stride] = w[i][1] - w[i][3];
    }
}

/* V[ξ, c, t] = (Bᵀ d B)[ξ] for tiles t0 .. t0 + n - 1 of tile row ty: input rows 2 ty - pad .. + 3,
 * columns 2 t - pad .. + 3, zero outside the image; V's tiles are cap apart. */
static void
transform_inputs (float       *v,
                  size_t       cap,
                  const float *src,
                  int          C,
                  int          H,
                  int          W,
                  int          pad,
                  int          ty,
                  int          t0,
                  int          n)
{
  const size_t stride = (size_t) C * cap;
  const int y0 = 2 * ty - pad, x_first = 2 * t0 - pad, x_last = 2 * (t0 + n - 1) - pad + 3;
  const gboolean inside = y0 >= 0 && y0 + 3 < H && x_first >= 0 && x_last < W;

#pragma omp for schedule(static)
  for (int c = 0; c < C; c++)
    {
      const float *plane = src + (size_t) c * H * W;
      float *vc = v + (size_t) c * cap;

      if (inside)
        {
          const float *r0 = plane + (size_t) y0 * W + x_first;
          const float *r1 = r0 + W, *r2 = r1 + W, *r3 = r2 + W;

          /* the same as transform_patch, spelt out so that it vectorises across tiles */
#pragma omp simd
          for (int t = 0; t < n; t++)
            {
              const int x = 2 * t;
              float w0[4], w1[4], w2[4], w3[4];

              for (int j = 0; j < 4; j++)
                {
                  w0[j] = r0[x + j] - r2[x + j];
                  w1[j] = r1[x + j] + r2[x + j];
                  w2[j] = r2[x + j] - r1[x + j];
                  w3[j] = r1[x + j] - r3[x + j];
                }
              vc[t] = w0[0] - w0[2];
              vc[stride + t] = w0[1] + w0[2];
              vc[2 * stride + t] = w0[2] - w0[1];
              vc[3 * stride + t] = w0[1] - w0[3];
              vc[4 * stride + t] = w1[0] - w1[2];
              vc[5 * stride + t] = w1[1] + w1[2];
              vc[6 * stride + t] = w1[2] - w1[1];
              vc[7 * stride + t] = w1[1] - w1[3];
              vc[8 * stride + t] = w2[0] - w2[2];
              vc[9 * stride + t] = w2[1] + w2[2];
              vc[10 * stride + t] = w2[2] - w2[1];
              vc[11 * stride + t] = w2[1] - w2[3];
              vc[12 * stride + t] = w3[0] - w3[2];
              vc[13 * stride + t] = w3[1] + w3[2];
              vc[14 * stride + t] = w3[2] - w3[1];
              vc[15 * stride + t] = w3[1] - w3[3];
            }
          continue;
        }

      /* the image's border: the patch copied with its zeros first */
      for (int t = 0; t < n; t++)
        {
          float d[4][4];

          for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
              {
                int y = y0 + i, x = x_first + 2 * t + j;

                d[i][j] = y >= 0 && y < H && x >= 0 && x < W ? plane[(size_t) y * W + x] : 0.0f;
              }
          transform_patch (vc + t, stride, d[0], d[1], d[2], d[3]);
        }
    }
}

/* Output rows 2 ty, 2 ty + 1, columns 2 t0 .. 2 (t0 + n) - 1 = Aᵀ M A; then, with the row's last
 * chunk, the output pass over the two rows. */
static void
transform_outputs (float            *dst,
                   const float      *m,
                   size_t            cap,
                   int               OC,
                   int               OW,
                   size_t            plane,
                   int               ty,
                   int               t0,
                   int               n,
                   const OutputPass *pass)
{
  const size_t stride = (size_t) OC * cap;
  const gboolean row_done = 2 * (t0 + n) == OW;

#pragma omp for schedule(static)
  for (int o = 0; o < OC; o++)
    {
      float *row0 = dst + (size_t) o * plane + (size_t) (2 * ty) * OW;
      float *row1 = row0 + OW;
      const float *mo = m + (size_t) o * cap;

      float *out0 = row0 + 2 * t0, *out1 = row1 + 2 * t0;

#pragma omp simd
      for (int t = 0; t < n; t++)
        {
          float a0[4], a1[4];

          /* Aᵀ M: rows m0 + m1 + m2, m1 - m2 - m3 */
          for (int j = 0; j < 4; j++)
            {
              float m0 = mo[j * stride + t], m1 = mo[(4 + j) * stride + t];
              float m2 = mo[(8 + j) * stride + t], m3 = mo[(12 + j) * stride + t];

              a0[j] = m0 + m1 + m2;
              a1[j] = m1 - m2 - m3;
            }
          out0[2 * t] = a0[0] + a0[1] + a0[2];
          out0[2 * t + 1] = a0[1] - a0[2] - a0[3];
          out1[2 * t] = a1[0] + a1[1] + a1[2];
          out1[2 * t + 1] = a1[1] - a1[2] - a1[3];
        }
      if (row_done)
        {
          unet_xsmm_output_pass (pass, row0, plane, OW, o, 1, 2 * ty, OC);
          unet_xsmm_output_pass (pass, row1, plane, OW, o, 1, 2 * ty + 1, OC);
        }
    }
}

gboolean
unet_conv3x3_winograd_forward (float            *out,
                               const float      *in,
                               const float      *weight,
                               UnetShape         in_shape,
                               int               out_channels,
                               int               pad,
                               const OutputPass *pass,
                               float            *work)
{
  const int C = in_shape.channels, H = in_shape.height, W = in_shape.width, OC = out_channels;
  const int OH = H + 2 * pad - 2, OW = W + 2 * pad - 2, tiles = OW / 2;
  const int cap = chunk_tiles (in_shape, pad);
  const size_t plane = (size_t) OH * OW;
  libxsmm_smmfunction kernel[2][2][2];
  float *u = align_up (work);
  float *v = align_up (u + (size_t) 16 * C * OC);
  float *mt = align_up (v + (size_t) 16 * C * cap);
  Split chunks, n;

  if (!unet_conv3x3_winograd_suits (in_shape, OC, pad))
    return FALSE;
  chunks = split_pixels (tiles, cap);
  n = split_dim (OC, OC_BLOCK);

  /* kernel[chunk is last][m is last][n is last]: a chunk's tiles go in calls of TILE_CHUNK */
  for (int ci = 0; ci < 2; ci++)
    for (int mi = 0; mi < 2; mi++)
      for (int ni = 0; ni < 2; ni++)
        {
          Split m = split_pixels (ci ? chunks.last : chunks.size, TILE_CHUNK);

          kernel[ci][mi][ni] = xsmm_gemm (mi ? m.last : m.size, ni ? n.last : n.size, C,
                                          cap, C, cap, 0.0f);
          if (kernel[ci][mi][ni] == NULL)
            return FALSE;
        }

#pragma omp parallel
  {
    transform_filters (u, weight, C, OC);

    for (int b = 0; b < in_shape.batch; b++)
      {
        OutputPass image_pass = *pass;

        if (pass->sums != NULL)
          image_pass.sums = pass->sums + (size_t) b * OH * OC * 2;

        /* each loop's closing barrier keeps the next from reading before it is done */
        for (int ty = 0; ty < OH / 2; ty++)
          for (int cb = 0; cb < chunks.count; cb++)
            {
              int ci = cb == chunks.count - 1, t0 = cb * chunks.size;
              int count = ci ? chunks.last : chunks.size;
              Split m = split_pixels (count, TILE_CHUNK);
              int n_items = 16 * n.count * m.count;

              transform_inputs (v, cap, in + (size_t) b * C * H * W, C, H, W, pad, ty, t0, count);

#pragma omp for schedule(static)
              for (int item = 0; item < n_items; item++)
                {
                  int xi = item / (n.count * m.count), nb = item / m.count % n.count;
                  int mb = item % m.count;
                  size_t t = (size_t) mb * m.size, o0 = (size_t) nb * n.size;

                  kernel[ci][mb == m.count - 1][nb == n.count - 1]
                    (v + (size_t) xi * C * cap + t, u + ((size_t) xi * OC + o0) * C,
                     mt + (size_t) xi * OC * cap + o0 * cap + t);
                }

              transform_outputs (out + (size_t) b * OC * plane, mt, cap, OC, OW, plane, ty, t0,
                                 count, &image_pass);
            }
      }
  }
  return TRUE;
}
