/* test-layers.c: the layers' tests, and that every backward pass accumulates
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "test-layers.h"

/* --- backward accumulates ------------------------------------------------------------------- */

static void
test_backward_accumulates (void)
{
  UnetShape s = { 2, 3, 6, 8 };
  const int OC = 5;
  size_t n_in = unet_shape_numel (s);
  UnetRng rng;

  unet_rng_seed (&rng, 2201);
  g_autofree float *in = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
  g_autofree float *weight = ref_new_uniform ((size_t) OC * s.channels * 9, &rng, -0.5f, 0.5f);
  g_autofree float *dout = ref_new_uniform ((size_t) 4 * OC * n_in, &rng, -1.0f, 1.0f);

  /* conv3x3: twice gives twice, and a gradient already there is added to, not overwritten */
  {
    size_t n_w = (size_t) OC * s.channels * 9, n_work = unet_conv3x3_work_size (s, OC, 1);
    g_autofree float *work = new_work (n_work);
    g_autofree float *din1 = g_new0 (float, n_in);
    g_autofree float *dw1 = g_new0 (float, n_w);
    g_autofree float *db1 = g_new0 (float, OC);
    g_autofree float *din2 = g_new0 (float, n_in);
    g_autofree float *dw2 = g_new0 (float, n_w);
    g_autofree float *db2 = g_new0 (float, OC);
    g_autofree float *din3 = ref_new_uniform (n_in, &rng, -1.0f, 1.0f);
    g_autofree float *dw3 = ref_new_uniform (n_w, &rng, -1.0f, 1.0f);
    g_autofree float *db3 = ref_new_uniform (OC, &rng, -1.0f, 1.0f);
    g_autofree float *ref_din = new_copy (din3, n_in);
    g_autofree float *ref_dw = new_copy (dw3, n_w);
    g_autofree float *ref_db = new_copy (db3, OC);

    unet_conv3x3_backward (din1, dw1, db1, dout, in, weight, s, OC, 1, work);
    unet_conv3x3_backward (din2, dw2, db2, dout, in, weight, s, OC, 1, work);
    unet_conv3x3_backward (din2, dw2, db2, dout, in, weight, s, OC, 1, work);
    check_doubled ("conv3x3 din twice", din1, din2, n_in);
    check_doubled ("conv3x3 dweight twice", dw1, dw2, n_w);
    check_doubled ("conv3x3 dbias twice", db1, db2, OC);

    unet_conv3x3_backward (din3, dw3, db3, dout, in, weight, s, OC, 1, work);
    ref_conv3x3_backward (ref_din, ref_dw, ref_db, dout, in, weight, s, OC, 1);
    assert_close ("conv3x3 din onto a prior gradient", din3, ref_din, n_in, ORACLE_BACKWARD_TOL);
    assert_close ("conv3x3 dweight onto a prior gradient", dw3, ref_dw, n_w, ORACLE_BACKWARD_TOL);
    assert_close ("conv3x3 dbias onto a prior gradient", db3, ref_db, OC, ORACLE_BACKWARD_TOL);
  }

  /* conv1x1 */
  {
    size_t n_w = (size_t) OC * s.channels;
    g_autofree float *din1 = g_new0 (float, n_in);
    g_autofree float *dw1 = g_new0 (float, n_w);
    g_autofree float *db1 = g_new0 (float, OC);
    g_autofree float *din2 = g_new0 (float, n_in);
    g_autofree float *dw2 = g_new0 (float, n_w);
    g_autofree float *db2 = g_new0 (float, OC);

    unet_conv1x1_backward (din1, TRUE, dw1, db1, dout, in, weight, s, OC);
    unet_conv1x1_backward (din2, TRUE, dw2, db2, dout, in, weight, s, OC);
    unet_conv1x1_backward (din2, TRUE, dw2, db2, dout, in, weight, s, OC);
    check_doubled ("conv1x1 din twice", din1, din2, n_in);
    check_doubled ("conv1x1 dweight twice", dw1, dw2, n_w);
    check_doubled ("conv1x1 dbias twice", db1, db2, OC);
  }

  /* upconv, reading a strided dout */
  {
    size_t n_w = (size_t) s.channels * OC * 4, stride = (size_t) (OC + 1) * 4 * s.height * s.width;
    g_autofree float *work = new_work (unet_upconv_work_size (s, OC));
    g_autofree float *din1 = g_new0 (float, n_in);
    g_autofree float *dw1 = g_new0 (float, n_w);
    g_autofree float *db1 = g_new0 (float, OC);
    g_autofree float *din2 = g_new0 (float, n_in);
    g_autofree float *dw2 = g_new0 (float, n_w);
    g_autofree float *db2 = g_new0 (float, OC);

    g_assert_cmpuint (s.batch * stride, <=, (size_t) 4 * OC * n_in);
    unet_upconv_backward (din1, TRUE, dw1, db1, dout, stride, in, weight, s, OC, work);
    unet_upconv_backward (din2, TRUE, dw2, db2, dout, stride, in, weight, s, OC, work);
    unet_upconv_backward (din2, TRUE, dw2, db2, dout, stride, in, weight, s, OC, work);
    check_doubled ("upconv din twice", din1, din2, n_in);
    check_doubled ("upconv dweight twice", dw1, dw2, n_w);
    check_doubled ("upconv dbias twice", db1, db2, OC);
  }

  /* crop, maxpool, batchnorm */
  {
    const UnetBatchNormParams params = { 0.1f, 1e-5f };
    const int C = s.channels;
    size_t stride = (size_t) (C + 2) * 4 * 5;
    g_autofree float *din1 = g_new0 (float, n_in);
    g_autofree float *din2 = g_new0 (float, n_in);
    g_autofree float *out = g_new (float, n_in);
    g_autofree float *mean = g_new (float, C);
    g_autofree float *invstd = g_new (float, C);
    g_autofree float *rm = g_new0 (float, C);
    g_autofree float *rv = new_filled (C, 1.0f);
    g_autofree float *gamma = ref_new_uniform (C, &rng, 0.5f, 1.5f);
    g_autofree float *beta = ref_new_uniform (C, &rng, -0.5f, 0.5f);
    g_autofree float *dg1 = g_new0 (float, C);
    g_autofree float *db1 = g_new0 (float, C);
    g_autofree float *dg2 = g_new0 (float, C);
    g_autofree float *db2 = g_new0 (float, C);

    unet_crop_backward (din1, TRUE, dout, stride, s, 4, 5);
    unet_crop_backward (din2, TRUE, dout, stride, s, 4, 5);
    unet_crop_backward (din2, TRUE, dout, stride, s, 4, 5);
    check_doubled ("crop din twice", din1, din2, n_in);

    memset (din1, 0, n_in * sizeof (float));
    memset (din2, 0, n_in * sizeof (float));
    unet_maxpool_backward (din1, dout, in, s);
    unet_maxpool_backward (din2, dout, in, s);
    unet_maxpool_backward (din2, dout, in, s);
    check_doubled ("maxpool din twice", din1, din2, n_in);

    memset (din1, 0, n_in * sizeof (float));
    memset (din2, 0, n_in * sizeof (float));
    unet_batchnorm_forward_train (out, mean, invstd, rm, rv, in, gamma, beta, s, &params);
    unet_batchnorm_backward (din1, dg1, db1, dout, in, gamma, mean, invstd, s);
    unet_batchnorm_backward (din2, dg2, db2, dout, in, gamma, mean, invstd, s);
    unet_batchnorm_backward (din2, dg2, db2, dout, in, gamma, mean, invstd, s);
    check_doubled ("batchnorm din twice", din1, din2, n_in);
    check_doubled ("batchnorm dgamma twice", dg1, dg2, C);
    check_doubled ("batchnorm dbeta twice", db1, db2, C);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* report every failing comparison, and go on to the next test */
  g_test_set_nonfatal_assertions ();

  test_layers_conv_register ();
  test_layers_crop_register ();
  test_layers_relu_register ();
  test_layers_pool_register ();
  test_layers_norm_register ();
  test_layers_dropout_register ();
  test_layers_softmax_register ();
  g_test_add_func ("/layers/backward-accumulates", test_backward_accumulates);

  return g_test_run ();
}
