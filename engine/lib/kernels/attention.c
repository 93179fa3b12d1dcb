/* attention.c — multi-dimensional attention (temporal, channel, spatial).
 *
 * All three gates are positive, so the pools of the gated tensors follow
 * from per-(t, k) means and maxima of z taken once: mean and max commute
 * with a positive scale; and a gate whose MLP has no hidden units (T < 4,
 * c < 16) is sigmoid(0) = 0.5 whatever the pools, so the smallest
 * networks skip them. The spatial gate and the gated residual add then run
 * in bands of rows, each band's pixel pools (with a row of halo either
 * side), 3x3 conv and add done while its rows of z are in cache: z is read
 * from memory twice at most instead of three times.
 */
#include "kernels.h"

#include <float.h>
#include <omp.h>

/* out[i] = sigmoid(W2 relu(W1 a) + W2 relu(W1 m))[i]; W1 [hidden][n],
 * W2 [n][hidden]. hidden may be 0 (the gate is then 0.5). */
static void
shared_mlp_gate (const float *w1, const float *w2, int32_t n, int32_t hidden,
    const float *a, const float *m, float *out)
{
  for (int32_t i = 0; i < n; i++)
    out[i] = 0.0f;
  for (int32_t j = 0; j < hidden; j++) {
    float ha = 0.0f, hm = 0.0f;
    for (int32_t i = 0; i < n; i++) {
      ha += w1[j * n + i] * a[i];
      hm += w1[j * n + i] * m[i];
    }
    ha = ha > 0.0f ? ha : 0.0f;
    hm = hm > 0.0f ? hm : 0.0f;
    for (int32_t i = 0; i < n; i++)
      out[i] += w2[i * hidden + j] * ha + w2[i * hidden + j] * hm;
  }
  for (int32_t i = 0; i < n; i++)
    out[i] = sigmoid_f32 (out[i]);
}

#define MDA_BAND 8

/* Per thread: pooled rows of a band and its halo, and its gate rows. */
static size_t
band_floats (int32_t w)
{
  return (size_t) (3 * MDA_BAND + 4) * w;
}

size_t
mda_scratch_floats (int32_t T, int32_t c, int32_t w, int32_t threads)
{
  /* plane means and maxima, two gains per plane, T and c pooled pairs,
   * gates, bands */
  return (size_t) 4 * T * c + 2 * (size_t) (T > c ? T : c) + T + c
      + (size_t) threads * band_floats (w);
}

/* Mean and max over the planes of gain_i * z_i, rows r0 .. r1 - 1. */
static void
pixel_pools (const float *z, const float *gain, int32_t planes, size_t hw,
    int32_t w, int32_t r0, int32_t r1, float *mean, float *max)
{
  const size_t n = (size_t) (r1 - r0) * w;
  for (size_t j = 0; j < n; j++) {
    mean[j] = 0.0f;
    max[j] = -FLT_MAX;
  }
  for (int32_t i = 0; i < planes; i++) {
    const float *zp = z + (size_t) i * hw + (size_t) r0 * w;
    const float g = gain[2 * i], gk = gain[2 * i + 1];
    for (size_t j = 0; j < n; j++) {
      const float v = zp[j] * g * gk;
      mean[j] += v;
      max[j] = v > max[j] ? v : max[j];
    }
  }
  for (size_t j = 0; j < n; j++)
    mean[j] /= (float) planes;
}

/* s = sigmoid(conv3([mean; max])) for rows y0 .. y1 - 1; the pooled rows
 * start at row r0 and cover y0 - 1 .. y1 where those are inside. */
static void
spatial_gate (const float *wt, const float *mean, const float *max,
    int32_t h, int32_t w, int32_t r0, int32_t y0, int32_t y1, float *s)
{
  for (int32_t y = y0; y < y1; y++) {
    float *o = s + (size_t) (y - y0) * w;
    for (int32_t xx = 0; xx < w; xx++)
      o[xx] = 0.0f;
    for (int32_t ky = 0; ky < 3; ky++) {
      const int32_t iy = y + ky - 1;
      if (iy < 0 || iy >= h)
        continue;
      const float *pm = mean + (size_t) (iy - r0) * w;
      const float *px = max + (size_t) (iy - r0) * w;
      const float *km = wt + ky * 3, *kx = wt + 9 + ky * 3;
      /* Columns with both neighbours inside, then the two edges. */
      for (int32_t xx = 1; xx < w - 1; xx++)
        o[xx] += km[0] * pm[xx - 1] + km[1] * pm[xx] + km[2] * pm[xx + 1]
            + kx[0] * px[xx - 1] + kx[1] * px[xx] + kx[2] * px[xx + 1];
      for (int32_t xx = 0; xx < w; xx += w - 1 > 0 ? w - 1 : 1) {
        float acc = 0.0f;
        for (int32_t k = 0; k < 3; k++) {
          const int32_t ix = xx + k - 1;
          if (ix >= 0 && ix < w)
            acc += km[k] * pm[ix] + kx[k] * px[ix];
        }
        o[xx] += acc;
      }
    }
    for (int32_t xx = 0; xx < w; xx++)
      o[xx] = sigmoid_f32 (o[xx]);
  }
}

HOT_CLONES static void
band_residual (const esdnet_srb *b, const float *z, float *x,
    const float *gain, int32_t planes, int32_t h, int32_t w, int32_t y0,
    float *scratch)
{
  const size_t hw = (size_t) h * w;
  const int32_t y1 = y0 + MDA_BAND < h ? y0 + MDA_BAND : h;
  const int32_t r0 = y0 > 0 ? y0 - 1 : 0, r1 = y1 < h ? y1 + 1 : h;
  float *mean = scratch, *max = mean + (size_t) (MDA_BAND + 2) * w;
  float *s = max + (size_t) (MDA_BAND + 2) * w;
  pixel_pools (z, gain, planes, hw, w, r0, r1, mean, max);
  spatial_gate (b->sa_w, mean, max, h, w, r0, y0, y1, s);
  const size_t n = (size_t) (y1 - y0) * w;
  for (int32_t i = 0; i < planes; i++) {
    const float g = gain[2 * i], gk = gain[2 * i + 1];
    const float *zp = z + (size_t) i * hw + (size_t) y0 * w;
    float *xp = x + (size_t) i * hw + (size_t) y0 * w;
    for (size_t j = 0; j < n; j++) {
      const float v = zp[j] * g * gk * s[j];
      xp[j] += v > 0.0f ? v : 0.0f;
    }
  }
}

void
mda_residual_f32 (const esdnet_srb *b, int32_t T, int32_t h, int32_t w,
    const float *z, float *x, float *scratch, int32_t threads)
{
  const int32_t c = b->c;
  const size_t hw = (size_t) h * w;
  const int32_t planes = T * c;
  float *plane_mean = scratch, *plane_max = plane_mean + planes;
  float *gain = plane_max + planes;
  float *pool_a = gain + 2 * planes, *pool_m = pool_a + (T > c ? T : c);
  float *g_t = pool_m + (T > c ? T : c), *g_c = g_t + T;
  float *bands = g_c + c;

  if (b->t_hidden > 0 || b->c_hidden > 0) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int32_t i = 0; i < planes; i++) {
      const double sum = sum_max_f32 (z + (size_t) i * hw, hw, &plane_max[i]);
      plane_mean[i] = (float) (sum / (double) hw);
    }
  }

  /* Temporal gate: pools over (c, h, w) of each timestep. */
  for (int32_t t = 0; t < T && b->t_hidden > 0; t++) {
    double sum = 0.0;
    float mx = -FLT_MAX;
    for (int32_t k = 0; k < c; k++) {
      sum += plane_mean[t * c + k];
      mx = plane_max[t * c + k] > mx ? plane_max[t * c + k] : mx;
    }
    pool_a[t] = (float) (sum / c);
    pool_m[t] = mx;
  }
  shared_mlp_gate (b->ta_w1, b->ta_w2, T, b->t_hidden, pool_a, pool_m, g_t);

  /* Channel gate: pools over (t, h, w) of the temporally gated tensor. */
  for (int32_t k = 0; k < c && b->c_hidden > 0; k++) {
    double sum = 0.0;
    float mx = -FLT_MAX;
    for (int32_t t = 0; t < T; t++) {
      sum += (double) g_t[t] * plane_mean[t * c + k];
      const float m = g_t[t] * plane_max[t * c + k];
      mx = m > mx ? m : mx;
    }
    pool_a[k] = (float) (sum / T);
    pool_m[k] = mx;
  }
  shared_mlp_gate (b->ca_w1, b->ca_w2, c, b->c_hidden, pool_a, pool_m, g_c);
  for (int32_t i = 0; i < planes; i++) {
    gain[2 * i] = g_t[i / c];
    gain[2 * i + 1] = g_c[i % c];
  }

  /* Spatial gate and residual, band by band. */
  const int32_t n_bands = (h + MDA_BAND - 1) / MDA_BAND;
#pragma omp parallel num_threads(threads)
  {
    float *mine = bands + (size_t) omp_get_thread_num () * band_floats (w);
#pragma omp for schedule(static)
    for (int32_t band = 0; band < n_bands; band++)
      band_residual (b, z, x, gain, planes, h, w, band * MDA_BAND, mine);
  }
}
