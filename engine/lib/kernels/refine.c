/* refine.c — the feature refinement block over the mean of the decoder's
 * timesteps.
 *
 * With fewer than 8 channels (dim < 4) the block has no hidden units:
 * both gates are then constants, sigmoid of a bias, and the block is an
 * affine map per channel, applied as the mean is taken (one pass); its
 * global pool and its 3x3 convs, whose results nothing would read, are
 * not run. With hidden units the mean is taken first, into d's first
 * timestep, since the pool and the convs each read it whole.
 */
#include "kernels.h"

static float
mean_t (const float *d, int32_t T, size_t n, size_t i)
{
  float sum = 0.0f;
  for (int32_t t = 0; t < T; t++)
    sum += d[(size_t) t * n + i];
  return sum / (float) T;
}

size_t
frb_tmp_floats (const esdnet_frb *r, int32_t h, int32_t w)
{
  /* gap, a, hidden units, then the sa.0 and sa.1 maps; the affine map
   * without hidden units needs none of them. */
  if (r->hidden == 0)
    return 0;
  return (size_t) (2 * r->c + r->hidden) + (size_t) (r->c + r->hidden) * h * w;
}

void
frb_f32 (const esdnet_frb *r, float *d, int32_t T, int32_t h, int32_t w,
    float *out, float *tmp, int32_t threads)
{
  const int32_t c = r->c, hidden = r->hidden;
  const size_t hw = (size_t) h * w, n = (size_t) c * hw;
  const float *f = d;

  if (hidden == 0) {
    /* Both gates constant: out = (1 - t) a + t mean(d) per channel. */
#pragma omp parallel for num_threads(threads)
    for (int32_t k = 0; k < c; k++) {
      const float t = sigmoid_f32 (r->sa3.bias[k]);
      const float a = sigmoid_f32 (r->ca3_b[k]);
      float *o = out + (size_t) k * hw;
      for (size_t j = 0; j < hw; j++)
        o[j] = (1.0f - t) * a + t * mean_t (d, T, n, (size_t) k * hw + j);
    }
    return;
  }
#pragma omp parallel for num_threads(threads)
  for (int64_t i = 0; i < (int64_t) n; i++)
    d[i] = mean_t (d, T, n, (size_t) i);

  /* Channel weights a = sigmoid(W3 relu(W1 gap(f) + b1) + b3). */
  float *gap = tmp, *a = gap + c, *hid = a + c;
#pragma omp parallel for num_threads(threads)
  for (int32_t k = 0; k < c; k++) {
    float unused;
    gap[k] = (float) (sum_max_f32 (f + (size_t) k * hw, hw, &unused)
        / (double) hw);
  }
  for (int32_t j = 0; j < hidden; j++) {
    float v = r->ca1_b[j];
    for (int32_t k = 0; k < c; k++)
      v += r->ca1_w[j * c + k] * gap[k];
    hid[j] = v > 0.0f ? v : 0.0f;
  }
  for (int32_t k = 0; k < c; k++) {
    float v = r->ca3_b[k];
    for (int32_t j = 0; j < hidden; j++)
      v += r->ca3_w[k * hidden + j] * hid[j];
    a[k] = sigmoid_f32 (v);
  }

  /* Spatial map t = sigmoid(sa3(relu(sa1(sa0(f))))), its logits built in
   * out. */
  float *t1 = hid + hidden, *t2 = t1 + (size_t) c * hw;
  conv2d_f32 (&r->sa0, f, 1, h, w, t1, false, threads);
  conv2d_f32 (&r->sa1, t1, 1, h, w, t2, false, threads);
#pragma omp parallel for num_threads(threads)
  for (int64_t i = 0; i < (int64_t) (hidden * hw); i++)
    t2[i] = t2[i] > 0.0f ? t2[i] : 0.0f;
  conv2d_f32 (&r->sa3, t2, 1, h, w, out, false, threads);

#pragma omp parallel for num_threads(threads)
  for (int32_t k = 0; k < c; k++) {
    float *o = out + (size_t) k * hw;
    const float *fk = f + (size_t) k * hw;
    for (size_t j = 0; j < hw; j++) {
      const float t = sigmoid_f32 (o[j]);
      o[j] = (1.0f - t) * a[k] + t * fk[j];
    }
  }
}
