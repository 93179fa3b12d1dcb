/* conv_spike_lut.c — convolutions over bit-packed spikes by table lookup.
 *
 * A spike map byte holds the spikes of eight input channels at one pixel,
 * so the contribution of that byte through one tap to every output channel
 * is one of 256 precomputed vectors: the sums of the weights whose bits
 * are set. An output pixel is then its bias plus taps x groups vector
 * additions, no multiplications, 8 input channels at a time (a dense
 * convolution does taps x c_in multiply-adds per output channel); with 1
 * or 2 input channels, the taps of a kernel row share an index (lut_span).
 * The tables (each [256][lut_cout]) are built at model load for the
 * layers where they pay (conv_spike_lut_pays); the others take the dense
 * path (spikes_unpack_f32 + conv2d_f32, see forward.c).
 *
 * Sums for a segment of output pixels are built pixel-major (one vector of
 * output channels at a time, in registers) and transposed into the planar
 * output. Checked against conv2d_f32_ref on unpacked spikes.
 */
#include "kernels.h"

#include <string.h>

#define LANES 16                /* floats per vector of output channels */
#define SEGMENT 32              /* output pixels transposed together */

typedef float vec __attribute__ ((vector_size (LANES * sizeof (float))));

static int32_t
lut_cout (const esdnet_conv *cv)
{
  return (cv->c_out + LANES - 1) / LANES * LANES;
}

/* Taps of a kernel row that share one table index. A pixel's spikes fill
 * only c_in bits of its byte, so with c_in <= 2 a whole row of three taps
 * fits one 8-bit index and one lookup replaces three. (Sharing two of
 * three taps, for 3 or 4 channels, measured slower: the extra byte loads
 * cost more than the lookup saved.) */
static int32_t
lut_span (const esdnet_conv *cv)
{
  return cv->c_in >= 1 && cv->c_in * cv->k <= 8 ? cv->k : 1;
}

/* Tables of a conv: [ky][tap group of the row][channel group][256]. */
static int32_t
lut_tables (const esdnet_conv *cv)
{
  const int32_t span = lut_span (cv);
  return cv->k * ((cv->k + span - 1) / span) * spike_groups (cv->c_in);
}

size_t
conv_spike_lut_floats (const esdnet_conv *cv)
{
  if (cv->c_out > CONV_LUT_MAX_COUT || cv->k > 3
      || spike_groups (cv->c_in) > CONV_LUT_MAX_GROUPS)
    return 0;
  return (size_t) lut_tables (cv) * 256 * lut_cout (cv) + lut_cout (cv);
}

/* Tables beyond this stop living in a core's cache (dim-16 level 3 and
 * wider layers). */
#define MAX_TABLE_BYTES (4u << 20)

bool
conv_spike_lut_pays (const esdnet_conv *cv)
{
  const size_t floats = conv_spike_lut_floats (cv);
  if (floats == 0 || floats * sizeof (float) > MAX_TABLE_BYTES)
    return false;
  /* A 3x3 stride-1 conv from and to at most 16 channel pairs (c_in x c_out,
   * the smallest networks' first level): the dense kernel's 9 x c_in
   * multiply-adds over 16 pixels at a time cost less than a lookup per
   * pixel and tap row (measured 2->2, 4->2, 4->4 at 640x360: 1.0-2.4 ms
   * against 2.2-3.1 ms; 8->8: 13.7 against 4.0). */
  return !(cv->k == 3 && cv->stride == 1 && cv->c_in * cv->c_out <= 16);
}

void
conv_spike_lut_build (esdnet_conv *cv, float *lut)
{
  const int32_t k = cv->k, span = lut_span (cv);
  const int32_t groups = spike_groups (cv->c_in), cp = lut_cout (cv);
  /* Bits of the index per tap: the whole byte, or c_in when taps share. */
  const int32_t bpt = span > 1 ? cv->c_in : 8;
  cv->lut = lut;
  cv->lut_cout = cp;
  cv->lut_span = span;
  float *e = lut;
  for (int32_t ky = 0; ky < k; ky++)
    for (int32_t kx0 = 0; kx0 < k; kx0 += span)
      for (int32_t g = 0; g < groups; g++)
        for (int32_t index = 0; index < 256; index++, e += cp)
          for (int32_t o = 0; o < cp; o++) {
            float sum = 0.0f;
            for (int32_t bit = 0; bit < 8 && o < cv->c_out; bit++) {
              const int32_t kx = kx0 + bit / bpt, i = 8 * g + bit % bpt;
              if ((index >> bit) & 1 && bit / bpt < span && kx < k
                  && i < cv->c_in)
                sum += cv->weight[(((size_t) o * cv->c_in + i) * k + ky) * k
                    + kx];
            }
            e[o] = sum;
          }
  for (int32_t o = 0; o < cp; o++)
    e[o] = o < cv->c_out ? cv->bias[o] : 0.0f;
}

#define LOADV(v, p) memcpy (&(v), (p), sizeof (v))
#define MAX_TABLES (9 * CONV_LUT_MAX_GROUPS)

/* Where the index of each table comes from, relative to a pixel's top-left
 * tap: one byte, or (shared taps) up to three neighbouring bytes shifted
 * into place; a missing third tap repeats the first with a shift that
 * the final mask drops. */
typedef struct {
  size_t off[3];
  int32_t shift[3];
} lut_source;

static void
lut_sources (const esdnet_conv *cv, size_t stride, size_t plane,
    lut_source *src)
{
  const int32_t k = cv->k, span = lut_span (cv);
  const int32_t groups = spike_groups (cv->c_in);
  for (int32_t ky = 0; ky < k; ky++)
    for (int32_t kx0 = 0; kx0 < k; kx0 += span)
      for (int32_t g = 0; g < groups; g++, src++)
        for (int32_t u = 0; u < 3; u++) {
          const bool used = u < span && kx0 + u < k;
          src->off[u] = (size_t) ky * stride + (size_t) g * plane + kx0
              + (used ? u : 0);
          src->shift[u] = used ? u * cv->c_in : 8;
        }
}

/* The table index of a source at pixel p. */
#define INDEX(p, src, shared) ((shared) \
  ? ((p)[(src).off[0]] | (p)[(src).off[1]] << (src).shift[1] \
      | (p)[(src).off[2]] << (src).shift[2]) & 255 \
  : (p)[(src).off[0]])

/* Output row yo of one image: spikes [groups][h+2][w+2] -> out
 * [c_out][ho][wo]. Four pixels at a time: four independent sums keep the
 * vector adders busy while each waits on its previous addition. cp (the
 * table vector) and shared (lut_span > 1) are constants in the common
 * callers, so that the addressing and the transposition compile to shifts
 * and vector moves. */
static inline __attribute__ ((always_inline)) void
row_lut (const esdnet_conv *cv, int32_t cp, bool shared,
    const uint8_t *spikes, int32_t h, int32_t w, float *out, int32_t ho,
    int32_t wo, int32_t yo)
{
  const int32_t s = cv->stride, pad = cv->k / 2, tables = lut_tables (cv);
  const size_t stride = (size_t) w + 2;
  const float *bias = cv->lut + (size_t) tables * 256 * cp;
  lut_source src[MAX_TABLES];
  lut_sources (cv, stride, (size_t) (h + 2) * stride, src);
  float sums[SEGMENT * CONV_LUT_MAX_COUT];

  for (int32_t x0 = 0; x0 < wo; x0 += SEGMENT) {
    const int32_t n = wo - x0 < SEGMENT ? wo - x0 : SEGMENT;
    for (int32_t i = 0; i < n; i += 4) {
      /* Top-left taps in padded coordinates (the border absorbs the -pad);
       * past the row's end the last pixel is computed again. */
      const uint8_t *at[4];
      for (int32_t q = 0; q < 4; q++) {
        const int32_t x = x0 + (i + q < n ? i + q : n - 1);
        at[q] = spikes + (size_t) (yo * s - pad + 1) * stride
            + (size_t) (x * s - pad + 1);
      }
      for (int32_t o0 = 0; o0 < cp; o0 += LANES) {
        vec acc0, acc1, acc2, acc3, e0, e1, e2, e3;
        LOADV (acc0, bias + o0);
        acc1 = acc2 = acc3 = acc0;
        const float *tab = cv->lut + o0;
        for (int32_t j = 0; j < tables; j++, tab += (size_t) 256 * cp) {
          LOADV (e0, tab + (size_t) INDEX (at[0], src[j], shared) * cp);
          LOADV (e1, tab + (size_t) INDEX (at[1], src[j], shared) * cp);
          LOADV (e2, tab + (size_t) INDEX (at[2], src[j], shared) * cp);
          LOADV (e3, tab + (size_t) INDEX (at[3], src[j], shared) * cp);
          acc0 += e0;
          acc1 += e1;
          acc2 += e2;
          acc3 += e3;
        }
        float *dst = sums + (size_t) i * cp + o0;
        memcpy (dst, &acc0, sizeof acc0);
        memcpy (dst + cp, &acc1, sizeof acc1);
        memcpy (dst + 2 * cp, &acc2, sizeof acc2);
        memcpy (dst + 3 * cp, &acc3, sizeof acc3);
      }
    }
    for (int32_t o = 0; o < cv->c_out; o++) {
      float *dst = out + ((size_t) o * ho + yo) * wo + x0;
      for (int32_t i = 0; i < n; i++)
        dst[i] = sums[(size_t) i * cp + o];
    }
  }
}

HOT_CLONES static void
row_lut_cp (const esdnet_conv *cv, const uint8_t *spikes, int32_t h,
    int32_t w, float *out, int32_t ho, int32_t wo, int32_t yo)
{
  const bool shared = cv->lut_span > 1;
  if (cv->lut_cout == 16 && shared)
    row_lut (cv, 16, true, spikes, h, w, out, ho, wo, yo);
  else if (cv->lut_cout == 16)
    row_lut (cv, 16, false, spikes, h, w, out, ho, wo, yo);
  else if (cv->lut_cout == 32 && !shared)
    row_lut (cv, 32, false, spikes, h, w, out, ho, wo, yo);
  else
    row_lut (cv, cv->lut_cout, shared, spikes, h, w, out, ho, wo, yo);
}

void
conv_spike_lut_f32 (const esdnet_conv *cv, const uint8_t *spikes, int32_t T,
    int32_t h, int32_t w, float *out, size_t out_image, int32_t threads)
{
  const int32_t pad = cv->k / 2;
  const int32_t ho = (h + 2 * pad - cv->k) / cv->stride + 1;
  const int32_t wo = (w + 2 * pad - cv->k) / cv->stride + 1;
  const size_t in_image = (size_t) spike_groups (cv->c_in) * (h + 2) * (w + 2);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t task = 0; task < (int64_t) T * ho; task++) {
    const int64_t t = task / ho;
    row_lut_cp (cv, spikes + t * in_image, h, w, out + t * out_image, ho, wo,
        (int32_t) (task % ho));
  }
}
