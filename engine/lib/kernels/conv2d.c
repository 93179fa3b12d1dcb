/* conv2d.c — direct 2-D convolution, zero padding k/2.
 *
 * Work is split into (image, output channel, band of rows) tasks so that an
 * output band stays in cache while every input channel is added into it.
 * The 3x3 stride-1 case (almost all of the network) has a row kernel whose
 * inner loop the compiler vectorises; other shapes take the generic path.
 */
#include "kernels.h"

#include <string.h>

#define BAND_ROWS 16

/* o[x] += w0*r[x-1] + w1*r[x] + w2*r[x+1] over one row, zero outside. */
static inline void
row3_f32 (float *restrict o, const float *restrict r, int32_t w, float w0,
    float w1, float w2)
{
  if (w == 1) {
    o[0] += w1 * r[0];
    return;
  }
  o[0] += w1 * r[0] + w2 * r[1];
  for (int32_t x = 1; x < w - 1; x++)
    o[x] += w0 * r[x - 1] + w1 * r[x] + w2 * r[x + 1];
  o[w - 1] += w0 * r[w - 2] + w1 * r[w - 1];
}

static void
band3x3_s1 (const float *in, int32_t c_in, int32_t h, int32_t w,
    const float *weight, float *out, int32_t y0, int32_t y1)
{
  const size_t hw = (size_t) h * w;
  for (int32_t ic = 0; ic < c_in; ic++) {
    const float *plane = in + ic * hw;
    const float *k = weight + ic * 9;
    for (int32_t y = y0; y < y1; y++) {
      float *o = out + (size_t) y * w;
      for (int32_t ky = 0; ky < 3; ky++) {
        int32_t iy = y + ky - 1;
        if (iy < 0 || iy >= h)
          continue;
        row3_f32 (o, plane + (size_t) iy * w, w, k[ky * 3], k[ky * 3 + 1],
            k[ky * 3 + 2]);
      }
    }
  }
}

static void
band_generic (const float *in, int32_t c_in, int32_t h, int32_t w,
    int32_t k, int32_t stride, const float *weight, float *out, int32_t wo,
    int32_t y0, int32_t y1)
{
  const size_t hw = (size_t) h * w;
  const int32_t pad = k / 2;
  for (int32_t ic = 0; ic < c_in; ic++) {
    const float *plane = in + ic * hw;
    const float *kw = weight + (size_t) ic * k * k;
    for (int32_t y = y0; y < y1; y++) {
      float *o = out + (size_t) y * wo;
      for (int32_t ky = 0; ky < k; ky++) {
        int32_t iy = y * stride + ky - pad;
        if (iy < 0 || iy >= h)
          continue;
        const float *r = plane + (size_t) iy * w;
        for (int32_t kx = 0; kx < k; kx++) {
          const float wv = kw[ky * k + kx];
          /* Output columns whose input column x*stride+kx-pad is inside. */
          int32_t x0 = pad - kx > 0 ? (pad - kx + stride - 1) / stride : 0;
          const int32_t last = w - 1 + pad - kx;
          int32_t x1 = last < 0 ? 0 : last / stride + 1;
          if (x1 > wo)
            x1 = wo;
          for (int32_t x = x0; x < x1; x++)
            o[x] += wv * r[x * stride + kx - pad];
        }
      }
    }
  }
}

void
conv2d_f32 (const esdnet_conv *cv, const float *in, int32_t n, int32_t h,
    int32_t w, float *out, bool accumulate, int32_t threads)
{
  const int32_t pad = cv->k / 2;
  const int32_t ho = (h + 2 * pad - cv->k) / cv->stride + 1;
  const int32_t wo = (w + 2 * pad - cv->k) / cv->stride + 1;
  const int32_t bands = (ho + BAND_ROWS - 1) / BAND_ROWS;
  const int64_t tasks = (int64_t) n * cv->c_out * bands;
  const size_t in_image = (size_t) cv->c_in * h * w;
  const size_t out_plane = (size_t) ho * wo;
  const size_t w_per_out = (size_t) cv->c_in * cv->k * cv->k;
  const bool fast = cv->k == 3 && cv->stride == 1;

#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int64_t task = 0; task < tasks; task++) {
    const int32_t band = (int32_t) (task % bands);
    const int32_t oc = (int32_t) (task / bands % cv->c_out);
    const int64_t img = task / bands / cv->c_out;
    const int32_t y0 = band * BAND_ROWS;
    const int32_t y1 = y0 + BAND_ROWS < ho ? y0 + BAND_ROWS : ho;
    float *o = out + ((size_t) img * cv->c_out + oc) * out_plane;
    const float *src = in + (size_t) img * in_image;
    const float *weight = cv->weight + oc * w_per_out;

    if (!accumulate)
      for (size_t i = (size_t) y0 * wo; i < (size_t) y1 * wo; i++)
        o[i] = cv->bias[oc];
    else
      for (size_t i = (size_t) y0 * wo; i < (size_t) y1 * wo; i++)
        o[i] += cv->bias[oc];
    if (fast)
      band3x3_s1 (src, cv->c_in, h, w, weight, o, y0, y1);
    else
      band_generic (src, cv->c_in, h, w, cv->k, cv->stride, weight, o, wo,
          y0, y1);
  }
}
