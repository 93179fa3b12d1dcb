/* reduce.c — the global pools of the attention and refinement blocks. */
#include "kernels.h"

#include <float.h>

#define VW 16
#define BLOCK 4096              /* floats summed in float before the double */

/* VW float partial sums per block of BLOCK keep the loop vectorised; the
 * blocks meet in double, so that pools over millions of pixels keep their
 * precision. */
double
sum_max_f32 (const float *p, size_t n, float *max)
{
  double sum = 0.0;
  float mx = -FLT_MAX;
  size_t i = 0;
  while (i + VW <= n) {
    const size_t end = i + BLOCK < n ? i + BLOCK : n;
    float acc[VW] = { 0 }, m[VW];
    memcpy (m, p + i, sizeof m);
    for (; i + VW <= end; i += VW)
      for (int j = 0; j < VW; j++) {
        acc[j] += p[i + j];
        m[j] = p[i + j] > m[j] ? p[i + j] : m[j];
      }
    for (int j = 0; j < VW; j++) {
      sum += acc[j];
      mx = m[j] > mx ? m[j] : mx;
    }
  }
  for (; i < n; i++) {
    sum += p[i];
    mx = p[i] > mx ? p[i] : mx;
  }
  *max = mx;
  return sum;
}
