/* lif.c — leaky integrate-and-fire neurons with hard reset, writing
 * bit-packed spike maps.
 *
 * The per-timestep update of one channel is an ORC kernel
 * (esdnet_orc_lif_step_bits) that ORs the channel's spike bit into the
 * byte its group of eight shares; lif_bits_f32_ref (reference.c) is its
 * plain twin. A task owns one row of one channel group and walks it in
 * chunks through all T timesteps: the eight membranes (widened from
 * binary16 on entry and narrowed on exit where the stream keeps them so)
 * ping-pong between two small float buffers and the bytes between two
 * others, so that no ORC source aliases its destination. Spikes are
 * counted from the finished bytes. After an upsampling the input of a
 * chunk is made on the spot (lif_bits_up2_f32).
 */
#include "kernels.h"
#include "esdnet-orc.h"

#include <string.h>

/* A chunk is an upsampling span (UPSAMPLE_SPAN) at most. */
#define LIF_CHUNK 256

size_t
spike_map_bytes (int32_t T, int32_t c, int32_t h, int32_t w)
{
  return (size_t) T * spike_groups (c) * (size_t) (h + 2) * (size_t) (w + 2);
}

/* The zero border of row y's padded plane row (and the top and bottom
 * border rows next to the first and last row). */
static void
clear_border (uint8_t *plane, int32_t h, int32_t w, int32_t y)
{
  const size_t stride = (size_t) w + 2;
  if (y == 0)
    memset (plane, 0, stride);
  if (y == h - 1)
    memset (plane + (size_t) (h + 1) * stride, 0, stride);
  plane[(size_t) (y + 1) * stride] = 0;
  plane[(size_t) (y + 1) * stride + w + 1] = 0;
}

/* Spikes in n packed bytes. */
static uint64_t
popcount_bytes (const uint8_t *b, int32_t n)
{
  uint64_t count = 0;
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    memcpy (&word, b + i, sizeof word);
    count += (uint64_t) __builtin_popcountll (word);
  }
  for (; i < n; i++)
    count += (uint64_t) __builtin_popcount (b[i]);
  return count;
}

/* in is [T][c][h][w], or with up2 [T][c][h/2][w/2], upsampled a chunk at
 * a time as the neurons take it. */
static uint64_t
lif_bits (const float *in, bool up2, uint8_t *spikes, void *v, bool f16,
    int32_t T, int32_t c, int32_t h, int32_t w, float decay, float threshold,
    int32_t threads)
{
  const int32_t groups = spike_groups (c);
  const size_t hw = (size_t) h * w, plane = (size_t) (h + 2) * (w + 2);
  uint64_t total = 0;
#pragma omp parallel for num_threads(threads) reduction(+:total) \
    schedule(static)
  for (int64_t task = 0; task < (int64_t) groups * h; task++) {
    const int32_t g = (int32_t) (task / h), y = (int32_t) (task % h);
    const int32_t nj = c - 8 * g < 8 ? c - 8 * g : 8;
    float vbuf[2][8][LIF_CHUNK], up[LIF_CHUNK];
    uint8_t bits[2][LIF_CHUNK];
    for (int32_t t = 0; t < T; t++)
      clear_border (spikes + ((size_t) t * groups + g) * plane, h, w, y);
    for (int32_t x0 = 0; x0 < w; x0 += LIF_CHUNK) {
      const int32_t len = w - x0 < LIF_CHUNK ? w - x0 : LIF_CHUNK;
      const size_t at = (size_t) y * w + x0;
      /* Step t reads slot (t + 1) & 1 and writes slot t & 1: step 0 reads
       * the widened membranes from slot 1. */
      for (int32_t j = 0; j < nj; j++) {
        const size_t i = ((size_t) 8 * g + j) * hw + at;
        if (f16)
          f16_to_f32_n ((const uint16_t *) v + i, vbuf[1][j], (size_t) len);
        else
          memcpy (vbuf[1][j], (const float *) v + i, len * sizeof (float));
      }
      for (int32_t t = 0; t < T; t++) {
        int32_t cur = 0;
        memset (bits[0], 0, (size_t) len);
        for (int32_t j = 0; j < nj; j++) {
          const size_t ch = (size_t) 8 * g + j;
          const float *v_in = vbuf[(t + 1) & 1][j], *current = up;
          if (up2)
            upsample2x_span_f32 (in + ((size_t) t * c + ch) * (hw / 4),
                h / 2, w / 2, y, x0, len, up);
          else
            current = in + ((size_t) t * c + ch) * hw + at;
          esdnet_orc_lif_step_bits (vbuf[t & 1][j], bits[cur ^ 1], v_in,
              current, bits[cur], decay, threshold, 1 << j, len);
          cur ^= 1;
        }
        total += popcount_bytes (bits[cur], len);
        memcpy (spikes + ((size_t) t * groups + g) * plane
            + (size_t) (y + 1) * (w + 2) + x0 + 1, bits[cur], (size_t) len);
      }
      for (int32_t j = 0; j < nj; j++) {
        const size_t i = ((size_t) 8 * g + j) * hw + at;
        const float *last = vbuf[(T - 1) & 1][j];
        if (f16)
          f32_to_f16_n (last, (uint16_t *) v + i, (size_t) len);
        else
          memcpy ((float *) v + i, last, len * sizeof (float));
      }
    }
  }
  return total;
}

uint64_t
lif_bits_f32 (const float *in, uint8_t *spikes, void *v, bool f16,
    int32_t T, int32_t c, int32_t h, int32_t w, float decay, float threshold,
    int32_t threads)
{
  return lif_bits (in, false, spikes, v, f16, T, c, h, w, decay, threshold,
      threads);
}

uint64_t
lif_bits_up2_f32 (const float *in, uint8_t *spikes, void *v, bool f16,
    int32_t T, int32_t c, int32_t h, int32_t w, float decay, float threshold,
    int32_t threads)
{
  return lif_bits (in, true, spikes, v, f16, T, c, h, w, decay, threshold,
      threads);
}

void
spikes_unpack_f32 (const uint8_t *spikes, int32_t T, int32_t c, int32_t h,
    int32_t w, float *out, int32_t threads)
{
  const int32_t groups = spike_groups (c);
  const size_t plane = (size_t) (h + 2) * (w + 2);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t task = 0; task < (int64_t) T * c * h; task++) {
    const int32_t y = (int32_t) (task % h), ch = (int32_t) (task / h % c);
    const int64_t t = task / h / c;
    const uint8_t *src = spikes + ((size_t) t * groups + ch / 8) * plane
        + (size_t) (y + 1) * (w + 2) + 1;
    float *dst = out + (((size_t) t * c + ch) * h + y) * w;
    for (int32_t x = 0; x < w; x++)
      dst[x] = (float) ((src[x] >> (ch % 8)) & 1);
  }
}
