/* reference.c — plain twins of the optimised kernels, for the tests.
 *
 * Written for obviousness, not speed: one loop per index of the
 * definition, bounds checked tap by tap.
 */
#include "kernels.h"

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
