/* resample.c — bilinear x2 upsampling, align_corners = false.
 *
 * The source coordinate (dst + 0.5) / 2 - 0.5, clamped at 0, falls a
 * quarter pixel before or after a source pixel, so every output is
 * 0.75 / 0.25 of its near and far neighbour (the far one clamped at the
 * edge; at the first row and column the clamped coordinate takes the pixel
 * itself), as PyTorch computes it. Rows are made a span at a time, so that
 * the LIF layer after an upsampling can take its input straight from here
 * (lif_bits_up2_f32) instead of from a full-size tensor.
 */
#include "kernels.h"

/* Output columns 2j and 2j + 1 of source row a (w wide), horizontally,
 * at the edges. */
static void
row2x_edge (const float *a, int32_t w, int32_t j, float *o)
{
  o[0] = j > 0 ? 0.25f * a[j - 1] + 0.75f * a[j] : a[0];
  o[1] = j + 1 < w ? 0.75f * a[j] + 0.25f * a[j + 1]
      : 0.75f * a[j] + 0.25f * a[j];
}

/* Output columns 2 j0 .. 2 j1 - 1 of source row a upsampled horizontally,
 * into o. */
static void
row2x_range (const float *a, int32_t w, int32_t j0, int32_t j1, float *o)
{
  /* Columns whose neighbours both exist, then those at the edges. */
  const int32_t lo = j0 > 1 ? j0 : 1, hi = j1 < w - 1 ? j1 : w - 1;
  for (int32_t j = lo; j < hi; j++) {
    o[2 * (j - j0)] = 0.25f * a[j - 1] + 0.75f * a[j];
    o[2 * (j - j0) + 1] = 0.75f * a[j] + 0.25f * a[j + 1];
  }
  for (int32_t j = j0; j < j1 && j < lo; j++)
    row2x_edge (a, w, j, o + 2 * (j - j0));
  for (int32_t j = hi > j0 ? hi : j0; j < j1; j++)
    row2x_edge (a, w, j, o + 2 * (j - j0));
}

void
upsample2x_span_f32 (const float *plane, int32_t h, int32_t w, int32_t y,
    int32_t x0, int32_t len, float *out)
{
  float near[UPSAMPLE_SPAN + 2], far[UPSAMPLE_SPAN + 2];
  const int32_t i = y / 2, j0 = x0 / 2, j1 = (x0 + len + 1) / 2;
  const int32_t skip = x0 - 2 * j0;
  row2x_range (plane + (size_t) i * w, w, j0, j1, near);
  if (y == 0) {
    for (int32_t k = 0; k < len; k++)
      out[k] = near[skip + k];
    return;
  }
  /* Row 2i blends with row i - 1, row 2i + 1 with row i + 1 (clamped). */
  const int32_t fi = y % 2 ? (i + 1 < h ? i + 1 : h - 1) : i - 1;
  row2x_range (plane + (size_t) fi * w, w, j0, j1, far);
  for (int32_t k = 0; k < len; k++)
    out[k] = 0.75f * near[skip + k] + 0.25f * far[skip + k];
}

void
upsample2x_bilinear_f32 (const float *in, int32_t planes, int32_t h,
    int32_t w, float *out, int32_t threads)
{
  const int32_t wo = 2 * w;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t task = 0; task < (int64_t) planes * 2 * h; task++) {
    const int32_t y = (int32_t) (task % (2 * h));
    const float *src = in + (size_t) (task / (2 * h)) * h * w;
    float *o = out + (size_t) task * wo;
    for (int32_t x0 = 0; x0 < wo; x0 += UPSAMPLE_SPAN)
      upsample2x_span_f32 (src, h, w, y, x0,
          wo - x0 < UPSAMPLE_SPAN ? wo - x0 : UPSAMPLE_SPAN, o + x0);
  }
}
