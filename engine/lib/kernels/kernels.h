/* kernels.h — the compute kernels the network is built from.
 *
 * Tensors are float32, planar, [n][c][h][w] contiguous. Every kernel takes
 * the OpenMP thread count of the stream that calls it and uses it in a
 * num_threads clause only.
 */
#ifndef ESDNET_KERNELS_H
#define ESDNET_KERNELS_H

#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The hot loops are compiled for AVX-512, AVX2 and the baseline, and the
 * one for the CPU it runs on is picked at load time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOT_CLONES __attribute__ ((target_clones ("avx512f", "avx2", "default")))
#else
#define HOT_CLONES
#endif

/* e^x for the gates, written so that loops over it vectorise (libm's expf
 * does not): 2^n e^r with n = round(x / ln 2), Cephes' degree-6
 * polynomial for e^r, 2^n from the exponent bits; x clamped to
 * [-87, 88]. Within 4e-7 of e^x, relative (test-kernels checks it). */
static inline float
exp_f32 (float x)
{
  x = x > -87.0f ? x : -87.0f;
  x = x < 88.0f ? x : 88.0f;
  const float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = ((int32_t) n + 127) * (1 << 23);
  float scale;
  memcpy (&scale, &bits, sizeof scale);
  return p * scale;
}

static inline float
sigmoid_f32 (float x)
{
  return 1.0f / (1.0f + exp_f32 (-x));
}

/* Sum (in double) and maximum of p[0..n) (reduce.c). */
double sum_max_f32 (const float *p, size_t n, float *max);

/* Output channels a 3x3 stride-1 task computes together (conv2d.c
 * unrolls for exactly this many). */
#define CONV_OCB 8

/* The blocked weight layout of 3x3 stride-1 convs, filled at model load. */
size_t conv2d_packed_floats (const esdnet_conv *cv);
void conv2d_pack (const esdnet_conv *cv, float *packed);

/* n images [n][cv->c_in][h][w] -> [n][cv->c_out][ho][wo] with
 * ho = (h + 2*(k/2) - k) / stride + 1. accumulate adds the convolution
 * (and bias) to what out holds instead of overwriting it. 3x3 stride-1
 * convs need cv->packed (conv2d_pack); others ignore it. */
void conv2d_f32 (const esdnet_conv *cv, const float *in, int32_t n,
    int32_t h, int32_t w, float *out, bool accumulate, int32_t threads);
/* Its plain twin (reference.c). */
void conv2d_f32_ref (const esdnet_conv *cv, const float *in, int32_t n,
    int32_t h, int32_t w, float *out, bool accumulate);
/* The same 3x3 stride-1 conv (cv->packed needed) over the spike maps of T
 * timesteps, bit-packed as lif_bits_f32 writes them, timestep t's output
 * at out + t * out_image; checked against conv2d_f32_ref on the unpacked
 * spikes. */
void conv3x3_spikes_f32 (const esdnet_conv *cv, const uint8_t *spikes,
    int32_t T, int32_t h, int32_t w, float *out, size_t out_image,
    int32_t threads);

/* Spike maps are bit-packed: bit j of byte [t][g][y + 1][x + 1] is the
 * spike of channel 8g + j at (y, x) (unused bits of the last group are 0),
 * and a border of zero bytes one pixel wide surrounds every plane, so that
 * the spike convolutions read their taps without edge tests. */
static inline int32_t
spike_groups (int32_t c)
{
  return (c + 7) / 8;
}
size_t spike_map_bytes (int32_t T, int32_t c, int32_t h, int32_t w);

/* IEEE binary16 bit patterns, for membranes kept between frames in half
 * the memory (ESDNET_MEMBRANES_F16). Rounding is to nearest even;
 * values beyond +-65504, NaN included, saturate to +-65504 (a membrane
 * decays towards 0 and stays below the threshold, so none gets there).
 * Written as selects so that loops over them vectorise. */
static inline uint32_t
f32_bits (float f)
{
  uint32_t u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static inline uint16_t
f16_from_f32 (float f)
{
  const uint32_t u = f32_bits (f);
  const uint32_t sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
  /* Normal halves: rebias the exponent (127 -> 15) and round away the 13
   * low mantissa bits. Subnormal ones: in |f| + 0.5 the float's last
   * mantissa bit weighs 2^-24, the half subnormal step, so the add rounds
   * |f| onto that grid. */
  const uint32_t normal = (a - 0x38000000u + 0xfffu + ((a >> 13) & 1u)) >> 13;
  const uint32_t subnormal = f32_bits ((f < 0.0f ? -f : f) + 0.5f)
      - 0x3f000000u;
  const uint32_t h = a > 0x477fe000u ? 0x7bffu
      : a >= 0x38800000u ? normal : subnormal;
  return (uint16_t) (h | sign);
}

static inline float
f32_from_f16 (uint16_t h)
{
  const uint32_t a = h & 0x7fffu;
  const uint32_t normal = a >= 0x7c00u ? 0x7f800000u | (a << 13)
      : (a << 13) + 0x38000000u;
  const uint32_t u = (a < 0x400u ? f32_bits ((float) a * 0x1p-24f) : normal)
      | (uint32_t) (h & 0x8000u) << 16;
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

/* The same over n values (convert.c). */
void f16_to_f32_n (const uint16_t *src, float *dst, size_t n);
void f32_to_f16_n (const float *src, uint16_t *dst, size_t n);

/* LIF neurons over T timesteps: in is [T][c][h][w], v [c][h][w] the
 * membranes (float, or binary16 if f16), updated in place; writes the spike
 * map and returns the number of spikes. */
uint64_t lif_bits_f32 (const float *in, uint8_t *spikes, void *v, bool f16,
    int32_t T, int32_t c, int32_t h, int32_t w, float decay, float threshold,
    int32_t threads);
/* Its plain twin (reference.c). */
uint64_t lif_bits_f32_ref (const float *in, uint8_t *spikes, void *v,
    bool f16, int32_t T, int32_t c, int32_t h, int32_t w, float decay,
    float threshold);
/* The same over the 2x bilinear upsampling of in [T][c][h/2][w/2] (h, w
 * even), made as the neurons take it, not stored; its twin is
 * upsample2x_bilinear_f32, then lif_bits_f32_ref. */
uint64_t lif_bits_up2_f32 (const float *in, uint8_t *spikes, void *v,
    bool f16, int32_t T, int32_t c, int32_t h, int32_t w, float decay,
    float threshold, int32_t threads);
/* A spike map as floats 0/1, [T][c][h][w]. */
void spikes_unpack_f32 (const uint8_t *spikes, int32_t T, int32_t c,
    int32_t h, int32_t w, float *out, int32_t threads);

/* Convolution of T spike maps ([T][c_in] at h x w) by table lookup into
 * [T][c_out][ho][wo] (conv_spike_lut.c). Needs cv->lut. */
#define CONV_LUT_MAX_COUT 128
#define CONV_LUT_MAX_GROUPS 32   /* c_in up to 256 */
/* Floats of cv's tables; 0 when the layer cannot have them. */
size_t conv_spike_lut_floats (const esdnet_conv *cv);
/* Whether the tables beat the dense kernel on unpacked spikes for cv:
 * they fit in cache and the layer is not one of the narrowest. */
bool conv_spike_lut_pays (const esdnet_conv *cv);
/* Fills lut (conv_spike_lut_floats of them) and points cv at it. */
void conv_spike_lut_build (esdnet_conv *cv, float *lut);
/* Timestep t's output starts at out + t * out_image: c_out x ho x wo
 * floats for a packed result, more to write into a wider tensor. */
void conv_spike_lut_f32 (const esdnet_conv *cv, const uint8_t *spikes,
    int32_t T, int32_t h, int32_t w, float *out, size_t out_image,
    int32_t threads);

/* Bilinear x2, align_corners = false: planes [p][h][w] -> [p][2h][2w]. */
void upsample2x_bilinear_f32 (const float *in, int32_t planes, int32_t h,
    int32_t w, float *out, int32_t threads);
/* Row y, columns x0 .. x0 + len - 1 (len <= UPSAMPLE_SPAN) of one plane
 * [h][w] upsampled so: the same values, a span at a time. */
#define UPSAMPLE_SPAN 256
void upsample2x_span_f32 (const float *plane, int32_t h, int32_t w, int32_t y,
    int32_t x0, int32_t len, float *out);

/* Multi-dimensional attention of an SRB, fused with its residual:
 * x[t][k][p] += relu(MDA(z))[t][k][p] for z, x [T][c][h][w].
 * scratch holds mda_scratch_floats() floats for up to `threads` threads
 * and rows of up to w pixels. */
size_t mda_scratch_floats (int32_t T, int32_t c, int32_t w, int32_t threads);
void mda_residual_f32 (const esdnet_srb *b, int32_t T, int32_t h, int32_t w,
    const float *z, float *x, float *scratch, int32_t threads);
/* Its plain twin (reference.c), straight from the definition. */
void mda_residual_f32_ref (const esdnet_srb *b, int32_t T, int32_t h,
    int32_t w, const float *z, float *x);

/* Feature refinement FRB(f) of f, the mean over T of d [T][c][h][w];
 * result into out [c][h][w]. May overwrite d's first timestep with f.
 * tmp needs frb_tmp_floats() floats. */
size_t frb_tmp_floats (const esdnet_frb *r, int32_t h, int32_t w);
void frb_f32 (const esdnet_frb *r, float *d, int32_t T, int32_t h,
    int32_t w, float *out, float *tmp, int32_t threads);

/* Interleaved u8 RGB (3 or 4 bytes a pixel) to planar [3][hp][wp] floats in
 * [0, 1], replicating the last column and row into the padding. */
void rgb_u8_to_planar_f32 (const uint8_t *src, int32_t stride,
    int32_t pixel_stride, int32_t w, int32_t h, float *dst, int32_t wp,
    int32_t hp, int32_t threads);
/* The same from planar float [3][h][w]. */
void planar_f32_pad (const float *src, int32_t w, int32_t h, float *dst,
    int32_t wp, int32_t hp, int32_t threads);
/* Planar [3][hp][wp] floats, cropped to w x h, clamped to [0, 1], rounded to
 * u8 and interleaved (bytes 0..2 of each pixel; byte 3 untouched). */
void planar_f32_to_rgb_u8 (const float *src, int32_t wp, int32_t hp,
    int32_t w, int32_t h, uint8_t *dst, int32_t stride, int32_t pixel_stride,
    int32_t threads);

/* Views of the self-ensemble: bit 0 mirrors left-right, bit 1 turns upside
 * down (view 3 does both). */
#define FLIP_X 1
#define FLIP_Y 2
/* dst [3][hp][wp] = the w x h picture of src [3][hp][wp] flipped, padded
 * by replicating its last column and row as the frame converters do. */
void planar_f32_flip_pad (const float *src, int32_t w, int32_t h,
    int32_t wp, int32_t hp, int32_t flip, float *dst, int32_t threads);
/* Over the w x h picture of [3][hp][wp] planes: dst = weight * src flipped
 * back (first), else dst += that. The same flip undoes itself. */
void planar_f32_unflip_accumulate (const float *src, int32_t w, int32_t h,
    int32_t wp, int32_t hp, int32_t flip, float weight, bool first,
    float *dst, int32_t threads);

#endif
