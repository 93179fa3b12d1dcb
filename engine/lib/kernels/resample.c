/* resample.c — bilinear x2 upsampling, align_corners = false.
 *
 * Source coordinate (dst + 0.5) / 2 - 0.5, clamped at 0; the far neighbour
 * is clamped at the edge. Both are exact in float, as in PyTorch.
 */
#include "kernels.h"

typedef struct {
  int32_t i0, i1;
  float l0, l1;
} tap;

static inline tap
source_tap (int32_t dst, int32_t size)
{
  float src = (dst + 0.5f) * 0.5f - 0.5f;
  if (src < 0.0f)
    src = 0.0f;
  tap t;
  t.i0 = (int32_t) src;
  t.i1 = t.i0 + (t.i0 < size - 1);
  t.l1 = src - (float) t.i0;
  t.l0 = 1.0f - t.l1;
  return t;
}

void
upsample2x_bilinear_f32 (const float *in, int32_t planes, int32_t h,
    int32_t w, float *out, int32_t threads)
{
  const int32_t ho = 2 * h, wo = 2 * w;
  const int64_t rows = (int64_t) planes * ho;
#pragma omp parallel for num_threads(threads)
  for (int64_t r = 0; r < rows; r++) {
    const int64_t plane = r / ho;
    const tap ty = source_tap ((int32_t) (r % ho), h);
    const float *a = in + (size_t) plane * h * w + (size_t) ty.i0 * w;
    const float *b = in + (size_t) plane * h * w + (size_t) ty.i1 * w;
    float *o = out + (size_t) r * wo;
    for (int32_t x = 0; x < wo; x++) {
      const tap tx = source_tap (x, w);
      o[x] = ty.l0 * (tx.l0 * a[tx.i0] + tx.l1 * a[tx.i1])
          + ty.l1 * (tx.l0 * b[tx.i0] + tx.l1 * b[tx.i1]);
    }
  }
}
