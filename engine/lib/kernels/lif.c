/* lif.c — leaky integrate-and-fire neurons with hard reset.
 *
 * The per-timestep update is an ORC kernel (lif_step_f32) with a plain C
 * twin (lif_step_f32_ref) that the tests compare it with. Neurons are walked
 * in cache-sized chunks through all T timesteps, the membrane ping-ponging
 * between two small buffers so that no ORC source aliases its destination.
 */
#include "kernels.h"
#include "esdnet-orc.h"

#include <string.h>

#define LIF_CHUNK 2048

uint32_t
lif_step_f32_ref (float *v, float *spikes, const float *in, float decay,
    float threshold, int32_t n)
{
  uint32_t fired = 0;
  for (int32_t i = 0; i < n; i++) {
    const float h = v[i] * decay + in[i];
    const bool s = h >= threshold;
    spikes[i] = s ? 1.0f : 0.0f;
    v[i] = s ? 0.0f : h;
    fired += s;
  }
  return fired;
}

/* One timestep through the chunked ORC path, for the kernel tests. */
uint32_t
lif_step_f32 (float *v, float *spikes, const float *in, float decay,
    float threshold, int32_t n)
{
  return (uint32_t) lif_f32 (in, spikes, v, 1, (size_t) n, decay, threshold,
      1);
}

uint64_t
lif_f32 (const float *in, float *spikes, float *v, int32_t T, size_t neurons,
    float decay, float threshold, int32_t threads)
{
  const int64_t chunks = (int64_t) ((neurons + LIF_CHUNK - 1) / LIF_CHUNK);
  uint64_t total = 0;
#pragma omp parallel for num_threads(threads) reduction(+:total)
  for (int64_t c = 0; c < chunks; c++) {
    const size_t i = (size_t) c * LIF_CHUNK;
    const int32_t len = (int32_t) (neurons - i < LIF_CHUNK ? neurons - i
        : LIF_CHUNK);
    float buf[2][LIF_CHUNK];
    const float *cur = v + i;
    for (int32_t t = 0; t < T; t++) {
      float *next = buf[t & 1];
      int count = 0;
      esdnet_orc_lif_step_f32 (next, spikes + (size_t) t * neurons + i,
          &count, cur, in + (size_t) t * neurons + i, decay, threshold, len);
      total += (uint64_t) count;
      cur = next;
    }
    memcpy (v + i, cur, (size_t) len * sizeof *cur);
  }
  return total;
}
