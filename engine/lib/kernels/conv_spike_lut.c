/* conv_spike_lut.c — convolutions over bit-packed spikes by table lookup.
 *
 * A spike map byte holds the spikes of eight input channels at one pixel,
 * so the contribution of that byte through one tap to every output channel
 * is one of 256 precomputed vectors: the sums of the weights whose bits
 * are set. An output pixel is then its bias plus taps x groups vector
 * additions, no multiplications, 8 input channels at a time (a dense
 * convolution does taps x c_in multiply-adds per output channel). The
 * tables ([tap][group][256][lut_cout]) are built at model load; layers
 * whose tables would not stay in cache take the dense path instead
 * (spikes_unpack_f32 + conv2d_f32, see forward.c).
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

size_t
conv_spike_lut_floats (const esdnet_conv *cv)
{
  if (cv->c_out > CONV_LUT_MAX_COUT || cv->k > 3
      || spike_groups (cv->c_in) > CONV_LUT_MAX_GROUPS)
    return 0;
  return (size_t) cv->k * cv->k * spike_groups (cv->c_in) * 256
      * lut_cout (cv) + lut_cout (cv);
}

void
conv_spike_lut_build (esdnet_conv *cv, float *lut)
{
  const int32_t taps = cv->k * cv->k, groups = spike_groups (cv->c_in);
  const int32_t cp = lut_cout (cv);
  cv->lut = lut;
  cv->lut_cout = cp;
  for (int32_t tap = 0; tap < taps; tap++)
    for (int32_t g = 0; g < groups; g++)
      for (int32_t byte = 0; byte < 256; byte++) {
        float *e = lut + (((size_t) tap * groups + g) * 256 + byte) * cp;
        for (int32_t o = 0; o < cp; o++) {
          float sum = 0.0f;
          for (int32_t j = 0; j < 8 && o < cv->c_out; j++) {
            const int32_t i = 8 * g + j;
            if (i < cv->c_in && (byte >> j) & 1)
              sum += cv->weight[((size_t) o * cv->c_in + i) * taps + tap];
          }
          e[o] = sum;
        }
      }
  float *bias = lut + (size_t) taps * groups * 256 * cp;
  for (int32_t o = 0; o < cp; o++)
    bias[o] = o < cv->c_out ? cv->bias[o] : 0.0f;
}

#define LOADV(v, p) memcpy (&(v), (p), sizeof (v))
#define MAX_ENTRIES (9 * CONV_LUT_MAX_GROUPS)

/* Output row yo of one image: spikes [groups][h+2][w+2] -> out
 * [c_out][ho][wo]. Four pixels at a time: four independent sums keep the
 * vector adders busy while each waits on its previous addition. cp (the
 * table vector) is a constant in the common callers, so that the entry
 * addressing and the transposition compile to shifts and vector moves. */
static inline __attribute__ ((always_inline)) void
row_lut (const esdnet_conv *cv, int32_t cp, const uint8_t *spikes,
    int32_t h, int32_t w, float *out, int32_t ho, int32_t wo, int32_t yo)
{
  const int32_t k = cv->k, s = cv->stride, pad = k / 2;
  const int32_t groups = spike_groups (cv->c_in), entries = k * k * groups;
  const size_t stride = (size_t) w + 2, plane = (size_t) (h + 2) * stride;
  const float *bias = cv->lut + (size_t) entries * 256 * cp;
  /* Byte offset of each (tap, group) from a pixel's top-left tap. */
  size_t offs[MAX_ENTRIES];
  for (int32_t tap = 0; tap < k * k; tap++)
    for (int32_t g = 0; g < groups; g++)
      offs[tap * groups + g] = (size_t) (tap / k) * stride + tap % k
          + g * plane;
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
        for (int32_t j = 0; j < entries; j++, tab += (size_t) 256 * cp) {
          const size_t off = offs[j];
          LOADV (e0, tab + (size_t) at[0][off] * cp);
          LOADV (e1, tab + (size_t) at[1][off] * cp);
          LOADV (e2, tab + (size_t) at[2][off] * cp);
          LOADV (e3, tab + (size_t) at[3][off] * cp);
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
  switch (cv->lut_cout) {
    case 16:
      row_lut (cv, 16, spikes, h, w, out, ho, wo, yo);
      break;
    case 32:
      row_lut (cv, 32, spikes, h, w, out, ho, wo, yo);
      break;
    default:
      row_lut (cv, cv->lut_cout, spikes, h, w, out, ho, wo, yo);
  }
}

void
conv_spike_lut_f32 (const esdnet_conv *cv, const uint8_t *spikes, int32_t T,
    int32_t h, int32_t w, float *out, int32_t threads)
{
  const int32_t pad = cv->k / 2;
  const int32_t ho = (h + 2 * pad - cv->k) / cv->stride + 1;
  const int32_t wo = (w + 2 * pad - cv->k) / cv->stride + 1;
  const size_t in_image = (size_t) spike_groups (cv->c_in) * (h + 2) * (w + 2);
  const size_t out_image = (size_t) cv->c_out * ho * wo;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t task = 0; task < (int64_t) T * ho; task++) {
    const int64_t t = task / ho;
    row_lut_cp (cv, spikes + t * in_image, h, w, out + t * out_image, ho, wo,
        (int32_t) (task % ho));
  }
}
