/* resample.c — bilinear x2 upsampling, align_corners = false.
 *
 * The source coordinate (dst + 0.5) / 2 - 0.5, clamped at 0, falls a
 * quarter pixel before or after a source pixel, so every output is
 * 0.25 / 0.75 of two neighbours (the far one clamped at the edge; at
 * the first row and column the clamped coordinate takes the pixel itself),
 * as l0 * near + l1 * far in PyTorch's order. A task makes output rows 2i and
 * 2i + 1, which share the horizontally upsampled source rows i - 1, i and
 * i + 1.
 */
#include "kernels.h"

/* Output rows are at most a padded frame wide (kernels.h). */
#define MAX_OUT_WIDTH ESDNET_MAX_FRAME_WIDTH

/* One source row upsampled horizontally into o[2w]. */
static void
row2x (const float *a, int32_t w, float *o)
{
  o[0] = a[0];
  for (int32_t j = 1; j < w; j++)
    o[2 * j] = 0.25f * a[j - 1] + 0.75f * a[j];
  for (int32_t j = 0; j + 1 < w; j++)
    o[2 * j + 1] = 0.75f * a[j] + 0.25f * a[j + 1];
  o[2 * w - 1] = 0.75f * a[w - 1] + 0.25f * a[w - 1];
}

static void
blend (const float *a, float la, const float *b, float lb, int32_t n,
    float *o)
{
  for (int32_t x = 0; x < n; x++)
    o[x] = la * a[x] + lb * b[x];
}

void
upsample2x_bilinear_f32 (const float *in, int32_t planes, int32_t h,
    int32_t w, float *out, int32_t threads)
{
  const int32_t wo = 2 * w;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t task = 0; task < (int64_t) planes * h; task++) {
    const int32_t i = (int32_t) (task % h);
    const float *src = in + (size_t) (task / h) * h * w;
    float *o = out + (size_t) (task / h) * 4 * h * w + (size_t) 2 * i * wo;
    float above[MAX_OUT_WIDTH], mid[MAX_OUT_WIDTH], below[MAX_OUT_WIDTH];
    row2x (src + (size_t) i * w, w, mid);
    /* Row 2i: 0.25 of row i - 1 and 0.75 of row i (row 0 itself at the
     * top); row 2i + 1: 0.75 of row i and 0.25 of row i + 1 (clamped to
     * row h - 1 at the bottom). */
    if (i > 0) {
      row2x (src + (size_t) (i - 1) * w, w, above);
      blend (above, 0.25f, mid, 0.75f, wo, o);
    } else {
      blend (mid, 1.0f, mid, 0.0f, wo, o);
    }
    if (i + 1 < h) {
      row2x (src + (size_t) (i + 1) * w, w, below);
      blend (mid, 0.75f, below, 0.25f, wo, o + wo);
    } else {
      blend (mid, 0.75f, mid, 0.25f, wo, o + wo);
    }
  }
}
