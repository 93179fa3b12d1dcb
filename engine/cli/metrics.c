/* metrics.c — Y-PSNR, SSIM and flicker (see metrics.h). */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>

#define SSIM_WINDOW 11
#define SSIM_SIGMA 1.5

void
metric_luma (const esdnet_image_u8 *image, double *y)
{
  for (int32_t r = 0; r < image->height; r++) {
    const uint8_t *row = image->data + (size_t) r * image->stride;
    for (int32_t x = 0; x < image->width; x++) {
      const uint8_t *p = row + (size_t) x * image->pixel_stride;
      const double v = 16.0 + (65.481 * p[0] + 128.553 * p[1]
          + 24.966 * p[2]) / 255.0;
      y[(size_t) r * image->width + x] = floor (v + 0.5);
    }
  }
}

double
metric_psnr (const double *a, const double *b, int32_t width, int32_t height,
    int32_t crop)
{
  double sum = 0.0;
  size_t n = 0;
  for (int32_t y = crop; y < height - crop; y++)
    for (int32_t x = crop; x < width - crop; x++, n++) {
      const double d = a[(size_t) y * width + x] - b[(size_t) y * width + x];
      sum += d * d;
    }
  if (n == 0)
    return NAN;
  const double mse = sum / (double) n;
  return mse > 0.0 ? 10.0 * log10 (255.0 * 255.0 / mse) : INFINITY;
}

/* Separable 'valid' Gaussian filtering of a w x h map into
 * (w - 10) x (h - 10). */
static void
gaussian_valid (const double *in, int32_t w, int32_t h, const double *g,
    double *tmp, double *out)
{
  const int32_t wo = w - SSIM_WINDOW + 1, ho = h - SSIM_WINDOW + 1;
  for (int32_t y = 0; y < h; y++)
    for (int32_t x = 0; x < wo; x++) {
      double s = 0.0;
      for (int32_t k = 0; k < SSIM_WINDOW; k++)
        s += g[k] * in[(size_t) y * w + x + k];
      tmp[(size_t) y * wo + x] = s;
    }
  for (int32_t y = 0; y < ho; y++)
    for (int32_t x = 0; x < wo; x++) {
      double s = 0.0;
      for (int32_t k = 0; k < SSIM_WINDOW; k++)
        s += g[k] * tmp[(size_t) (y + k) * wo + x];
      out[(size_t) y * wo + x] = s;
    }
}

double
metric_ssim (const double *a, const double *b, int32_t width, int32_t height,
    int32_t crop)
{
  const int32_t w = width - 2 * crop, h = height - 2 * crop;
  if (w < SSIM_WINDOW || h < SSIM_WINDOW)
    return NAN;
  double g[SSIM_WINDOW], gsum = 0.0;
  for (int32_t k = 0; k < SSIM_WINDOW; k++) {
    const double d = k - SSIM_WINDOW / 2;
    g[k] = exp (-d * d / (2.0 * SSIM_SIGMA * SSIM_SIGMA));
    gsum += g[k];
  }
  for (int32_t k = 0; k < SSIM_WINDOW; k++)
    g[k] /= gsum;

  /* Five maps (a, b, a^2, b^2, ab) over the cropped area, then their
   * local means. */
  const size_t n = (size_t) w * h;
  const size_t no = (size_t) (w - SSIM_WINDOW + 1) * (h - SSIM_WINDOW + 1);
  double *maps = malloc (sizeof (double) * (5 * n + (size_t) h * w + 5 * no));
  if (!maps)
    return NAN;
  double *tmp = maps + 5 * n, *mean = tmp + (size_t) h * w;
  for (int32_t y = 0; y < h; y++)
    for (int32_t x = 0; x < w; x++) {
      const size_t i = (size_t) y * w + x;
      const size_t src = (size_t) (y + crop) * width + x + crop;
      maps[i] = a[src];
      maps[n + i] = b[src];
      maps[2 * n + i] = a[src] * a[src];
      maps[3 * n + i] = b[src] * b[src];
      maps[4 * n + i] = a[src] * b[src];
    }
  for (int m = 0; m < 5; m++)
    gaussian_valid (maps + m * n, w, h, g, tmp, mean + m * no);

  const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03
      * 255);
  double sum = 0.0;
  for (size_t i = 0; i < no; i++) {
    const double ma = mean[i], mb = mean[no + i];
    const double va = mean[2 * no + i] - ma * ma;
    const double vb = mean[3 * no + i] - mb * mb;
    const double cov = mean[4 * no + i] - ma * mb;
    sum += ((2 * ma * mb + c1) * (2 * cov + c2))
        / ((ma * ma + mb * mb + c1) * (va + vb + c2));
  }
  free (maps);
  return sum / (double) no;
}

double
metric_flicker (const double *out, const double *out_prev, const double *gt,
    const double *gt_prev, int32_t width, int32_t height, int32_t crop)
{
  double sum = 0.0;
  size_t n = 0;
  for (int32_t y = crop; y < height - crop; y++)
    for (int32_t x = crop; x < width - crop; x++, n++) {
      const size_t i = (size_t) y * width + x;
      sum += fabs ((out[i] - out_prev[i]) - (gt[i] - gt_prev[i]));
    }
  return n ? sum / (double) n : NAN;
}
