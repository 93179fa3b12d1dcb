/* convert.c — frames in and out of the engine's padded planar floats, and
 * membranes in and out of binary16.
 *
 * Padding replicates the last column and row (edge padding) up to the
 * padded size: it adds no artificial edges for the convolutions to see.
 */
#include "kernels.h"

void
rgb_u8_to_planar_f32 (const uint8_t *src, int32_t stride,
    int32_t pixel_stride, int32_t w, int32_t h, float *dst, int32_t wp,
    int32_t hp, int32_t threads)
{
  const size_t plane = (size_t) wp * hp;
#pragma omp parallel for num_threads(threads)
  for (int32_t y = 0; y < hp; y++) {
    const uint8_t *row = src + (size_t) (y < h ? y : h - 1) * stride;
    for (int32_t x = 0; x < wp; x++) {
      const uint8_t *px = row + (size_t) (x < w ? x : w - 1) * pixel_stride;
      for (int32_t c = 0; c < 3; c++)
        dst[c * plane + (size_t) y * wp + x] = px[c] / 255.0f;
    }
  }
}

void
planar_f32_pad (const float *src, int32_t w, int32_t h, float *dst,
    int32_t wp, int32_t hp, int32_t threads)
{
#pragma omp parallel for num_threads(threads)
  for (int32_t r = 0; r < 3 * hp; r++) {
    const int32_t c = r / hp, y = r % hp;
    const float *row = src + ((size_t) c * h + (y < h ? y : h - 1)) * w;
    float *o = dst + (size_t) r * wp;
    for (int32_t x = 0; x < wp; x++)
      o[x] = row[x < w ? x : w - 1];
  }
}

void
planar_f32_to_rgb_u8 (const float *src, int32_t wp, int32_t hp, int32_t w,
    int32_t h, uint8_t *dst, int32_t stride, int32_t pixel_stride,
    int32_t threads)
{
  const size_t plane = (size_t) wp * hp;
#pragma omp parallel for num_threads(threads)
  for (int32_t y = 0; y < h; y++) {
    uint8_t *row = dst + (size_t) y * stride;
    for (int32_t x = 0; x < w; x++) {
      for (int32_t c = 0; c < 3; c++) {
        float v = src[c * plane + (size_t) y * wp + x];
        v = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
        row[(size_t) x * pixel_stride + c] = (uint8_t) (v * 255.0f + 0.5f);
      }
    }
  }
}

/* Source index of output position i of n along a flipped axis; positions
 * past the picture (the padding) take its last one. */
static inline int32_t
flip_index (int32_t i, int32_t n, bool flip)
{
  const int32_t e = i < n ? i : n - 1;
  return flip ? n - 1 - e : e;
}

void
planar_f32_flip_pad (const float *src, int32_t w, int32_t h, int32_t wp,
    int32_t hp, int32_t flip, float *dst, int32_t threads)
{
#pragma omp parallel for num_threads(threads)
  for (int32_t r = 0; r < 3 * hp; r++) {
    const int32_t c = r / hp, y = r % hp;
    const float *row = src + ((size_t) c * hp + flip_index (y, h,
            flip & FLIP_Y)) * wp;
    float *o = dst + (size_t) r * wp;
    for (int32_t x = 0; x < wp; x++)
      o[x] = row[flip_index (x, w, flip & FLIP_X)];
  }
}

void
planar_f32_unflip_accumulate (const float *src, int32_t w, int32_t h,
    int32_t wp, int32_t hp, int32_t flip, float weight, bool first,
    float *dst, int32_t threads)
{
#pragma omp parallel for num_threads(threads)
  for (int32_t r = 0; r < 3 * h; r++) {
    const int32_t c = r / h, y = r % h;
    const float *row = src + ((size_t) c * hp + flip_index (y, h,
            flip & FLIP_Y)) * wp;
    float *o = dst + ((size_t) c * hp + y) * wp;
    for (int32_t x = 0; x < w; x++) {
      const float v = weight * row[flip_index (x, w, flip & FLIP_X)];
      o[x] = first ? v : o[x] + v;
    }
  }
}

HOT_CLONES void
f16_to_f32_n (const uint16_t *src, float *dst, size_t n)
{
  for (size_t i = 0; i < n; i++)
    dst[i] = f32_from_f16 (src[i]);
}

HOT_CLONES void
f32_to_f16_n (const float *src, uint16_t *dst, size_t n)
{
  for (size_t i = 0; i < n; i++)
    dst[i] = f16_from_f32 (src[i]);
}
