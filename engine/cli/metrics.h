/* metrics.h — the deraining papers' image quality measures.
 *
 * Luma is BT.601 as MATLAB's rgb2ycbcr computes it for 8-bit images
 * (Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255, rounded to an
 * integer as uint8 images are); PSNR and SSIM are on that Y with a peak of
 * 255, after cropping `crop` pixels off every border. SSIM is Wang et al.'s:
 * 11x11 Gaussian window, sigma 1.5, 'valid' filtering, K1 0.01, K2 0.03.
 */
#ifndef ESDNET_CLI_METRICS_H
#define ESDNET_CLI_METRICS_H

#include "esdnet.h"

/* y receives width * height luma values. */
void metric_luma (const esdnet_image_u8 *image, double *y);

double metric_psnr (const double *a, const double *b, int32_t width,
    int32_t height, int32_t crop);
/* NaN when the cropped image is smaller than the 11x11 window. */
double metric_ssim (const double *a, const double *b, int32_t width,
    int32_t height, int32_t crop);

/* Temporal flicker of an output against its ground truth: the mean absolute
 * difference between the frame-to-frame changes of the two,
 * mean |(out - out_prev) - (gt - gt_prev)|, in luma levels. */
double metric_flicker (const double *out, const double *out_prev,
    const double *gt, const double *gt_prev, int32_t width, int32_t height,
    int32_t crop);

#endif
