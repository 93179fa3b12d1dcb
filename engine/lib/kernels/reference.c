/* reference.c — plain twins of the optimised kernels, for the tests.
 *
 * Written for obviousness, not speed: one loop per index of the
 * definition, bounds checked tap by tap.
 */
#include "kernels.h"

#include <math.h>
#include <string.h>

void
conv2d_f32_ref (const esdnet_conv *cv, const float *in, int32_t n, int32_t h,
    int32_t w, float *out, bool accumulate)
{
  const int32_t k = cv->k, s = cv->stride, pad = k / 2;
  const int32_t ho = (h + 2 * pad - k) / s + 1, wo = (w + 2 * pad - k) / s + 1;
  for (int32_t b = 0; b < n; b++)
    for (int32_t o = 0; o < cv->c_out; o++)
      for (int32_t y = 0; y < ho; y++)
        for (int32_t x = 0; x < wo; x++) {
          float acc = cv->bias[o];
          for (int32_t i = 0; i < cv->c_in; i++)
            for (int32_t ky = 0; ky < k; ky++)
              for (int32_t kx = 0; kx < k; kx++) {
                const int32_t iy = y * s + ky - pad, ix = x * s + kx - pad;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                  continue;
                acc += cv->weight[((o * cv->c_in + i) * k + ky) * k + kx]
                    * in[(((size_t) b * cv->c_in + i) * h + iy) * w + ix];
              }
          float *dst = &out[(((size_t) b * cv->c_out + o) * ho + y) * wo + x];
          *dst = accumulate ? *dst + acc : acc;
        }
}

uint64_t
lif_bits_f32_ref (const float *in, uint8_t *spikes, void *v, bool f16,
    int32_t T, int32_t c, int32_t h, int32_t w, float decay, float threshold)
{
  const size_t hw = (size_t) h * w;
  const int32_t groups = spike_groups (c);
  uint64_t fired = 0;
  memset (spikes, 0, spike_map_bytes (T, c, h, w));
  for (int32_t ch = 0; ch < c; ch++)
    for (int32_t y = 0; y < h; y++)
      for (int32_t x = 0; x < w; x++) {
        const size_t i = (size_t) ch * hw + (size_t) y * w + x;
        uint16_t *vh = v;
        float *vf = v;
        float vi = f16 ? f32_from_f16 (vh[i]) : vf[i];
        for (int32_t t = 0; t < T; t++) {
          const float hv = vi * decay + in[(size_t) t * c * hw + i];
          const bool s = hv >= threshold;
          vi = s ? 0.0f : hv;
          fired += s;
          spikes[(((size_t) t * groups + ch / 8) * (h + 2) + y + 1)
              * (w + 2) + x + 1] |= (uint8_t) (s << (ch % 8));
        }
        if (f16)
          vh[i] = f16_from_f32 (vi);
        else
          vf[i] = vi;
      }
  return fired;
}

/* sigmoid(W2 relu(W1 a) + W2 relu(W1 m)) of n values, hidden units. */
static float
mlp_gate_ref (const float *w1, const float *w2, int32_t n, int32_t hidden,
    const float *a, const float *m, int32_t i)
{
  double sum = 0.0;
  for (int32_t j = 0; j < hidden; j++) {
    double ha = 0.0, hm = 0.0;
    for (int32_t q = 0; q < n; q++) {
      ha += w1[j * n + q] * a[q];
      hm += w1[j * n + q] * m[q];
    }
    sum += w2[i * hidden + j] * ((ha > 0 ? ha : 0) + (hm > 0 ? hm : 0));
  }
  return (float) (1.0 / (1.0 + exp (-sum)));
}

/* Mean and max over (t, k) of the channel-gated z at pixel (y, x). */
static void
pixel_pool_ref (const float *z, int32_t T, int32_t c, int32_t h, int32_t w,
    const float *g_t, const float *g_c, int32_t y, int32_t x, float *mean,
    float *max)
{
  double sum = 0.0;
  float mx = -INFINITY;
  for (int32_t t = 0; t < T; t++)
    for (int32_t k = 0; k < c; k++) {
      const float v = z[(((size_t) t * c + k) * h + y) * w + x] * g_t[t]
          * g_c[k];
      sum += v;
      mx = v > mx ? v : mx;
    }
  *mean = (float) (sum / (T * c));
  *max = mx;
}

void
mda_residual_f32_ref (const esdnet_srb *b, int32_t T, int32_t h, int32_t w,
    const float *z, float *x)
{
  const int32_t c = b->c;
  const size_t hw = (size_t) h * w;
  /* The model config's limits: T <= 64, c <= 4 x dim <= 4096. */
  float a_t[64], m_t[64], g_t[64], a_c[4096], m_c[4096], g_c[4096];
  for (int32_t t = 0; t < T; t++) {
    double sum = 0.0;
    float mx = -INFINITY;
    for (size_t i = 0; i < (size_t) c * hw; i++) {
      sum += z[(size_t) t * c * hw + i];
      mx = fmaxf (mx, z[(size_t) t * c * hw + i]);
    }
    a_t[t] = (float) (sum / ((double) c * hw));
    m_t[t] = mx;
  }
  for (int32_t t = 0; t < T; t++)
    g_t[t] = mlp_gate_ref (b->ta_w1, b->ta_w2, T, b->t_hidden, a_t, m_t, t);
  for (int32_t k = 0; k < c; k++) {
    double sum = 0.0;
    float mx = -INFINITY;
    for (int32_t t = 0; t < T; t++)
      for (size_t p = 0; p < hw; p++) {
        const float v = g_t[t] * z[((size_t) t * c + k) * hw + p];
        sum += v;
        mx = fmaxf (mx, v);
      }
    a_c[k] = (float) (sum / ((double) T * hw));
    m_c[k] = mx;
  }
  for (int32_t k = 0; k < c; k++)
    g_c[k] = mlp_gate_ref (b->ca_w1, b->ca_w2, c, b->c_hidden, a_c, m_c, k);
  for (int32_t y = 0; y < h; y++)
    for (int32_t xx = 0; xx < w; xx++) {
      double acc = 0.0;
      for (int32_t ky = 0; ky < 3; ky++)
        for (int32_t kx = 0; kx < 3; kx++) {
          const int32_t iy = y + ky - 1, ix = xx + kx - 1;
          if (iy < 0 || iy >= h || ix < 0 || ix >= w)
            continue;
          float mean, max;
          pixel_pool_ref (z, T, c, h, w, g_t, g_c, iy, ix, &mean, &max);
          acc += b->sa_w[ky * 3 + kx] * mean + b->sa_w[9 + ky * 3 + kx] * max;
        }
      const float s = (float) (1.0 / (1.0 + exp (-acc)));
      for (int32_t t = 0; t < T; t++)
        for (int32_t k = 0; k < c; k++) {
          const size_t i = ((size_t) t * c + k) * hw + (size_t) y * w + xx;
          const float v = z[i] * g_t[t] * g_c[k] * s;
          x[i] += v > 0.0f ? v : 0.0f;
        }
    }
}
