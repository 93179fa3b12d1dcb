/* test_metrics.c — the quality measures on images with known answers. */
#include "metrics.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>


int
main (void)
{
  enum { W = 40, H = 30 };
  static uint8_t pixels[H][W][3];
  static double a[W * H], b[W * H], c[W * H], d[W * H];
  esdnet_image_u8 img = { W, H, W * 3, 3, &pixels[0][0][0] };

  /* Grey 128: Y = 16 + 128 * 219 / 255 = 125.93..., rounded to 126. */
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      pixels[y][x][0] = pixels[y][x][1] = pixels[y][x][2] = 128;
  metric_luma (&img, a);
  CHECK (a[0] == 126.0, "luma of grey 128 is %g, not 126", a[0]);

  /* A texture, and the same texture one luma level brighter. */
  for (int i = 0; i < W * H; i++) {
    a[i] = 16 + (i * 37 % 200);
    b[i] = a[i] + 1.0;
  }
  const double psnr = metric_psnr (a, b, W, H, 4);
  CHECK (fabs (psnr - 10 * log10 (255.0 * 255.0)) < 1e-9,
      "PSNR of a one-level offset is %g, not 48.13", psnr);
  CHECK (isinf (metric_psnr (a, a, W, H, 0)), "PSNR of identical images");
  CHECK (fabs (metric_ssim (a, a, W, H, 4) - 1.0) < 1e-12,
      "SSIM of identical images is not 1");
  const double s = metric_ssim (a, b, W, H, 4);
  CHECK (s > 0.99 && s < 1.0, "SSIM of a one-level offset is %g", s);
  for (int i = 0; i < W * H; i++)
    c[i] = 255.0 - a[i];
  CHECK (metric_ssim (a, c, W, H, 4) < 0.0,
      "SSIM of an inverted texture should be negative");
  CHECK (isnan (metric_ssim (a, a, 14, 14, 2)),
      "SSIM of a crop smaller than the window must be NaN");

  /* Flicker: an output that follows the ground truth's change has none;
   * one that stays put while the truth brightens by 3 has 3. */
  for (int i = 0; i < W * H; i++)
    d[i] = a[i] + 3.0;
  CHECK (metric_flicker (d, a, d, a, W, H, 0) == 0.0, "flicker of a match");
  CHECK (fabs (metric_flicker (a, a, d, a, W, H, 0) - 3.0) < 1e-12,
      "flicker of a frozen output");
  if (failures)
    fprintf (stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
