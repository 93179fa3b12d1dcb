/* conv2d.c — 2-D convolution, zero padding k/2.
 *
 * 3x3 stride 1 (nearly all of the network's work) is register-blocked: a
 * task computes two output rows for a block of CONV_OCB output channels,
 * 16 columns at a time, holding the 2 x CONV_OCB x 16 sums in vector
 * registers while it walks every input channel and tap. Each input vector
 * loaded feeds CONV_OCB or 2 x CONV_OCB multiply-adds (the four input rows
 * under two output rows serve both), which makes the loop compute-bound. The
 * weights are pre-packed at model load ([block][c_in][9][CONV_OCB]) so the
 * CONV_OCB weights of a tap are adjacent. Columns next to the frame edge
 * and the last partial vector go through a small zero-padded copy.
 *
 * The same loop reads bit-packed spike maps (conv3x3_spikes_f32), turning
 * each byte's channel bit into 0.0 or 1.0 as it loads: for the narrowest
 * spike convs, which have no lookup tables, that costs less than
 * unpacking the map into floats first, and needs no buffer for them.
 *
 * Other shapes (stride-2 downsampling, the 1x1 reduce) take a plain banded
 * loop. Both paths are checked against conv2d_f32_ref (reference.c).
 */
#include "kernels.h"

#include <string.h>

#define VW 16                   /* floats per vector */
#define BAND_ROWS 16

typedef float v16f __attribute__ ((vector_size (VW * sizeof (float))));

size_t
conv2d_packed_floats (const esdnet_conv *cv)
{
  const size_t blocks = ((size_t) cv->c_out + CONV_OCB - 1) / CONV_OCB;
  return blocks * (size_t) cv->c_in * 9 * CONV_OCB;
}

void
conv2d_pack (const esdnet_conv *cv, float *packed)
{
  const int32_t blocks = (cv->c_out + CONV_OCB - 1) / CONV_OCB;
  for (int32_t b = 0; b < blocks; b++)
    for (int32_t i = 0; i < cv->c_in; i++)
      for (int32_t tap = 0; tap < 9; tap++)
        for (int32_t o = 0; o < CONV_OCB; o++) {
          const int32_t oc = b * CONV_OCB + o;
          *packed++ = oc < cv->c_out
              ? cv->weight[((size_t) oc * cv->c_in + i) * 9 + tap] : 0.0f;
        }
}

/* An unaligned vector load (a macro: vector return values would tie the
 * baseline clone to an ABI question). */
#define LOAD16(v, p) memcpy (&(v), (p), sizeof (v))
/* Bit `bit` of 16 spike-map bytes as floats 0 or 1. */
#define LOAD_BITS16(v, p, bit) \
  do { \
    float f_[VW]; \
    for (int32_t i_ = 0; i_ < VW; i_++) \
      f_[i_] = (float) (((p)[i_] >> (bit)) & 1); \
    LOAD16 (v, f_); \
  } while (0)

/* The CONV_OCB sums of one vector of columns are named variables rather
 * than an array, so that the compiler keeps all of them in registers. */
#define FOR_EACH_OC(X) X (0) X (1) X (2) X (3) X (4) X (5) X (6) X (7)
#define ACC_INIT(o) \
  v16f acc##o = (v16f) { 0 } + (o < n_oc ? cv->bias[oc0 + o] : 0.0f); \
  v16f bcc##o = acc##o;
#define TAPS(sum, k, o) \
  if (o < computed) { \
    sum += a * k[o]; \
    sum += m * k[CONV_OCB + o]; \
    sum += c * k[2 * CONV_OCB + o]; \
  }
#define ACC_TAPS(o) TAPS (acc##o, ka, o)
#define BCC_TAPS(o) TAPS (bcc##o, kb, o)
/* A whole vector is stored as one: the element loop, which the last
 * vector of a row needs, compiles to a call of memcpy that spills every
 * sum around it. */
#define STORE(sum, row, o) \
  if (o < n_oc) { \
    float *dst = out + (size_t) (oc0 + o) * hw + (size_t) (row) * w + x0; \
    if (n == VW) { \
      if (accumulate) { \
        v16f prev_; \
        LOAD16 (prev_, dst); \
        sum += prev_; \
      } \
      memcpy (dst, &sum, sizeof sum); \
    } else { \
      float sums[VW]; \
      memcpy (sums, &sum, sizeof sums); \
      for (int32_t i = 0; i < n; i++) \
        dst[i] = accumulate ? dst[i] + sums[i] : sums[i]; \
    } \
  }
#define ACC_STORE(o) STORE (acc##o, y, o)
#define BCC_STORE(o) STORE (bcc##o, y + 1, o)

/* Output rows y and y + 1 (when inside) of output channels
 * [b*OCB, b*OCB + n_oc), from the float planes in or, where bits is not
 * NULL, from the padded spike map bits. computed (a constant in each
 * caller) is how many of the block's sums are worked out: CONV_OCB, or
 * exactly n_oc for the narrow convs (2 to 4 outputs) of the smallest
 * models. */
static inline __attribute__ ((always_inline)) void
rows3x3_s1 (const esdnet_conv *cv, const float *in, const uint8_t *bits,
    int32_t h, int32_t w, float *out, int32_t b, int32_t y, bool accumulate,
    int32_t computed)
{
  const size_t hw = (size_t) h * w;
  const int32_t c_in = cv->c_in;
  const int32_t oc0 = b * CONV_OCB;
  const int32_t n_oc = cv->c_out - oc0 < CONV_OCB ? cv->c_out - oc0 : CONV_OCB;
  const float *wb = cv->packed + (size_t) b * c_in * 9 * CONV_OCB;

  for (int32_t x0 = 0; x0 < w; x0 += VW) {
    const bool interior = x0 >= 1 && x0 + VW + 1 <= w;
    FOR_EACH_OC (ACC_INIT)

    for (int32_t ic = 0; ic < c_in; ic++) {
      /* Input rows y - 1 .. y + 2: tap row r of output row y, r - 1 of
       * output row y + 1. */
      for (int32_t r = 0; r < 4; r++) {
        const int32_t iy = y + r - 1;
        if (iy < 0 || iy >= h)
          continue;
        v16f a, m, c;
        if (bits) {
          /* Columns -1 and w of a spike-map row are its zero border. */
          const uint8_t *row = bits + (size_t) (ic / 8) * (h + 2) * (w + 2)
              + (size_t) (iy + 1) * (w + 2) + 1;
          const int32_t bit = ic % 8;
          if (x0 + VW <= w) {
            LOAD_BITS16 (a, row + x0 - 1, bit);
            LOAD_BITS16 (m, row + x0, bit);
            LOAD_BITS16 (c, row + x0 + 1, bit);
          } else {
            float tmp[VW + 2];
            for (int32_t i = 0; i < VW + 2; i++) {
              const int32_t xi = x0 - 1 + i;
              tmp[i] = xi <= w ? (float) ((row[xi] >> bit) & 1) : 0.0f;
            }
            LOAD16 (a, tmp);
            LOAD16 (m, tmp + 1);
            LOAD16 (c, tmp + 2);
          }
        } else if (interior) {
          const float *row = in + ic * hw + (size_t) iy * w;
          LOAD16 (a, row + x0 - 1);
          LOAD16 (m, row + x0);
          LOAD16 (c, row + x0 + 1);
        } else {
          const float *row = in + ic * hw + (size_t) iy * w;
          float tmp[VW + 2];
          for (int32_t i = 0; i < VW + 2; i++) {
            const int32_t xi = x0 - 1 + i;
            tmp[i] = xi >= 0 && xi < w ? row[xi] : 0.0f;
          }
          LOAD16 (a, tmp);
          LOAD16 (m, tmp + 1);
          LOAD16 (c, tmp + 2);
        }
        const float *ka = wb + ((size_t) ic * 9 + r * 3) * CONV_OCB;
        const float *kb = ka - 3 * CONV_OCB;
        if (r < 3) {
          FOR_EACH_OC (ACC_TAPS)
        }
        if (r > 0) {
          FOR_EACH_OC (BCC_TAPS)
        }
      }
    }

    const int32_t n = w - x0 < VW ? w - x0 : VW;
    FOR_EACH_OC (ACC_STORE)
    if (y + 1 < h) {
      FOR_EACH_OC (BCC_STORE)
    }
  }
}

static inline __attribute__ ((always_inline)) void
rows3x3_s1_by_cout (const esdnet_conv *cv, const float *in,
    const uint8_t *bits, int32_t h, int32_t w, float *out, int32_t b,
    int32_t y, bool accumulate)
{
  switch (cv->c_out) {
    case 2:
      rows3x3_s1 (cv, in, bits, h, w, out, b, y, accumulate, 2);
      break;
    case 3:
      rows3x3_s1 (cv, in, bits, h, w, out, b, y, accumulate, 3);
      break;
    case 4:
      rows3x3_s1 (cv, in, bits, h, w, out, b, y, accumulate, 4);
      break;
    default:
      rows3x3_s1 (cv, in, bits, h, w, out, b, y, accumulate, CONV_OCB);
  }
}

/* One copy of the loop per input kind and output count. */
HOT_CLONES static void
rows3x3_s1_n (const esdnet_conv *cv, const float *in, const uint8_t *bits,
    int32_t h, int32_t w, float *out, int32_t b, int32_t y, bool accumulate)
{
  if (bits)
    rows3x3_s1_by_cout (cv, NULL, bits, h, w, out, b, y, accumulate);
  else
    rows3x3_s1_by_cout (cv, in, NULL, h, w, out, b, y, accumulate);
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

static void
conv_generic (const esdnet_conv *cv, const float *in, int32_t n, int32_t h,
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

#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int64_t task = 0; task < tasks; task++) {
    const int32_t band = (int32_t) (task % bands);
    const int32_t oc = (int32_t) (task / bands % cv->c_out);
    const int64_t img = task / bands / cv->c_out;
    const int32_t y0 = band * BAND_ROWS;
    const int32_t y1 = y0 + BAND_ROWS < ho ? y0 + BAND_ROWS : ho;
    float *o = out + ((size_t) img * cv->c_out + oc) * out_plane;
    for (size_t i = (size_t) y0 * wo; i < (size_t) y1 * wo; i++)
      o[i] = (accumulate ? o[i] : 0.0f) + cv->bias[oc];
    band_generic (in + (size_t) img * in_image, cv->c_in, h, w, cv->k,
        cv->stride, cv->weight + oc * w_per_out, o, wo, y0, y1);
  }
}

/* The packed 3x3 stride-1 path over n images of in (floats) or of bits
 * (spike maps, bytes_per_image each), image i's output at out + i *
 * out_image. */
static void
conv3x3_rows (const esdnet_conv *cv, const float *in, const uint8_t *bits,
    size_t bytes_per_image, int32_t n, int32_t h, int32_t w, float *out,
    size_t out_image, bool accumulate, int32_t threads)
{
  const int32_t blocks = (cv->c_out + CONV_OCB - 1) / CONV_OCB;
  const int32_t pairs = (h + 1) / 2;
  const int64_t tasks = (int64_t) n * blocks * pairs;
  const size_t in_image = (size_t) cv->c_in * h * w;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t task = 0; task < tasks; task++) {
    const int32_t y = 2 * (int32_t) (task % pairs);
    const int32_t b = (int32_t) (task / pairs % blocks);
    const int64_t img = task / pairs / blocks;
    rows3x3_s1_n (cv, in ? in + (size_t) img * in_image : NULL,
        bits ? bits + (size_t) img * bytes_per_image : NULL, h, w,
        out + (size_t) img * out_image, b, y, accumulate);
  }
}

void
conv2d_f32 (const esdnet_conv *cv, const float *in, int32_t n, int32_t h,
    int32_t w, float *out, bool accumulate, int32_t threads)
{
  if (!cv->packed)
    conv_generic (cv, in, n, h, w, out, accumulate, threads);
  else
    conv3x3_rows (cv, in, NULL, 0, n, h, w, out, (size_t) cv->c_out * h * w,
        accumulate, threads);
}

void
conv3x3_spikes_f32 (const esdnet_conv *cv, const uint8_t *spikes, int32_t T,
    int32_t h, int32_t w, float *out, size_t out_image, int32_t threads)
{
  conv3x3_rows (cv, NULL, spikes, spike_map_bytes (1, cv->c_in, h, w), T, h,
      w, out, out_image, false, threads);
}
