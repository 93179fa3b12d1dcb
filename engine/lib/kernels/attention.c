/* attention.c — multi-dimensional attention (temporal, channel, spatial).
 *
 * All three gates are positive, so the pools of the gated tensors follow
 * from per-(t, k) means and maxima of z taken once: mean and max commute
 * with a positive scale. That leaves three passes over z: plane statistics,
 * per-pixel statistics, and the final gated residual add.
 */
#include "kernels.h"

#include <float.h>

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

size_t
mda_scratch_floats (int32_t T, int32_t c, int32_t h, int32_t w)
{
  /* plane means and maxima, T and c pooled pairs, gates, three pixel maps */
  return (size_t) 2 * T * c + 2 * (size_t) (T + c) + T + c
      + 3 * (size_t) h * w;
}

void
mda_residual_f32 (const esdnet_srb *b, int32_t T, int32_t h, int32_t w,
    const float *z, float *x, float *scratch, int32_t threads)
{
  const int32_t c = b->c;
  const size_t hw = (size_t) h * w;
  const int32_t planes = T * c;
  float *plane_mean = scratch, *plane_max = plane_mean + planes;
  float *pool_a = plane_max + planes, *pool_m = pool_a + (T > c ? T : c);
  float *g_t = pool_m + (T > c ? T : c), *g_c = g_t + T;
  float *pix_mean = g_c + c, *pix_max = pix_mean + hw, *s = pix_max + hw;

#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int32_t i = 0; i < planes; i++) {
    const double sum = sum_max_f32 (z + (size_t) i * hw, hw, &plane_max[i]);
    plane_mean[i] = (float) (sum / (double) hw);
  }

  /* Temporal gate: pools over (c, h, w) of each timestep. */
  for (int32_t t = 0; t < T; t++) {
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
  for (int32_t k = 0; k < c; k++) {
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

  /* Spatial gate: pools over (t, k) per pixel, then a 3x3 conv. */
#pragma omp parallel for num_threads(threads)
  for (int32_t y = 0; y < h; y++) {
    float *am = pix_mean + (size_t) y * w, *mm = pix_max + (size_t) y * w;
    for (int32_t xx = 0; xx < w; xx++) {
      am[xx] = 0.0f;
      mm[xx] = -FLT_MAX;
    }
    for (int32_t i = 0; i < planes; i++) {
      const float g = g_t[i / c], gk = g_c[i % c];
      const float *row = z + (size_t) i * hw + (size_t) y * w;
      for (int32_t xx = 0; xx < w; xx++) {
        const float v = row[xx] * g * gk;
        am[xx] += v;
        mm[xx] = v > mm[xx] ? v : mm[xx];
      }
    }
    for (int32_t xx = 0; xx < w; xx++)
      am[xx] /= (float) planes;
  }
#pragma omp parallel for num_threads(threads)
  for (int32_t y = 0; y < h; y++) {
    for (int32_t xx = 0; xx < w; xx++) {
      float acc = 0.0f;
      for (int32_t ky = 0; ky < 3; ky++) {
        const int32_t iy = y + ky - 1;
        if (iy < 0 || iy >= h)
          continue;
        for (int32_t kx = 0; kx < 3; kx++) {
          const int32_t ix = xx + kx - 1;
          if (ix < 0 || ix >= w)
            continue;
          const size_t p = (size_t) iy * w + ix;
          acc += b->sa_w[ky * 3 + kx] * pix_mean[p]
              + b->sa_w[9 + ky * 3 + kx] * pix_max[p];
        }
      }
      s[(size_t) y * w + xx] = acc;
    }
    for (int32_t xx = 0; xx < w; xx++)
      s[(size_t) y * w + xx] = sigmoid_f32 (s[(size_t) y * w + xx]);
  }

#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int32_t i = 0; i < planes; i++) {
    const float g = g_t[i / c], gk = g_c[i % c];
    const float *zp = z + (size_t) i * hw;
    float *xp = x + (size_t) i * hw;
    for (size_t j = 0; j < hw; j++) {
      const float v = zp[j] * g * gk * s[j];
      xp[j] += v > 0.0f ? v : 0.0f;
    }
  }
}
