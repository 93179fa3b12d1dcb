/* test_kernels.c — every optimised kernel against its plain twin, at
 * awkward sizes (1, tile and chunk edges, odd widths), on both ORC paths
 * (meson runs this test once more with ORC_CODE=backup). */
#include "kernels/kernels.h"
#include "check.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static uint32_t rng_state = 12345;

static float
frand (void)
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return (float) (rng_state >> 8) / (float) (1u << 24) * 2.0f - 1.0f;
}

static float *
random_array (size_t n)
{
  float *a = malloc ((n ? n : 1) * sizeof *a);
  for (size_t i = 0; i < n; i++)
    a[i] = frand ();
  return a;
}

static void
test_conv (int32_t c_in, int32_t c_out, int32_t k, int32_t stride, int32_t n,
    int32_t h, int32_t w, bool binary_input)
{
  esdnet_conv cv = { .c_in = c_in, .c_out = c_out, .k = k, .stride = stride,
    .weight = random_array ((size_t) c_out * c_in * k * k),
    .bias = random_array (c_out) };
  if (k == 3 && stride == 1) {
    cv.packed = malloc ((conv2d_packed_floats (&cv) + 1) * sizeof (float));
    conv2d_pack (&cv, cv.packed);
  }
  const int32_t pad = k / 2;
  const int32_t ho = (h + 2 * pad - k) / stride + 1;
  const int32_t wo = (w + 2 * pad - k) / stride + 1;
  const size_t in_n = (size_t) n * c_in * h * w;
  const size_t out_n = (size_t) n * c_out * ho * wo;
  float *in = random_array (in_n);
  if (binary_input)
    for (size_t i = 0; i < in_n; i++)
      in[i] = in[i] > 0.3f ? 1.0f : 0.0f;
  float *a = random_array (out_n), *b = malloc ((out_n + 1) * sizeof *b);
  memcpy (b, a, out_n * sizeof *b);
  for (int accumulate = 0; accumulate < 2; accumulate++) {
    conv2d_f32 (&cv, in, n, h, w, a, accumulate, 2);
    conv2d_f32_ref (&cv, in, n, h, w, b, accumulate);
    double worst = 0.0;
    for (size_t i = 0; i < out_n; i++)
      worst = fmax (worst, fabs ((double) a[i] - b[i]));
    /* Same products, different summation order: a few ulps of the sum. */
    CHECK (worst <= 1e-5 * (1 + c_in * k * k), "conv %dx%d s%d c%d->%d "
        "n%d %dx%d acc%d: max diff %g", k, k, stride, c_in, c_out, n, w, h,
        accumulate, worst);
  }
  free (cv.weight);
  free (cv.bias);
  free (cv.packed);
  free (in);
  free (a);
  free (b);
}

/* Membrane i of a layer stored as float or binary16. */
static float
membrane_at (const void *v, bool f16, size_t i)
{
  return f16 ? f32_from_f16 (((const uint16_t *) v)[i])
      : ((const float *) v)[i];
}

/* The LIF kernel against its twin over T steps of c channels, from
 * random membranes in either precision, some landing exactly on the
 * threshold (those must fire); then the spike map unpacked against the
 * twin's bits. */
static void
test_lif (int32_t T, int32_t c, int32_t h, int32_t w, bool f16)
{
  const size_t n = (size_t) c * h * w, bytes = spike_map_bytes (T, c, h, w);
  const size_t vsize = f16 ? sizeof (uint16_t) : sizeof (float);
  const float decay = 0.5f, threshold = 0.15f;
  float *in = random_array (T * n), *start = random_array (n);
  uint8_t *v1 = malloc ((n + 1) * vsize), *v2 = malloc ((n + 1) * vsize);
  for (size_t i = 0; i < n; i++) {
    const float vi = i % 5 ? start[i] : 0.0f;
    if (f16)
      ((uint16_t *) v1)[i] = f16_from_f32 (vi);
    else
      ((float *) v1)[i] = vi;
    if (i % 5 == 0)
      in[i] = threshold;
  }
  memcpy (v2, v1, n * vsize);
  uint8_t *s1 = malloc (bytes + 1), *s2 = malloc (bytes + 1);
  memset (s1, 0xa5, bytes);     /* the border must be written, not assumed */
  const uint64_t f1 = lif_bits_f32 (in, s1, v1, f16, T, c, h, w, decay,
      threshold, 2);
  const uint64_t f2 = lif_bits_f32_ref (in, s2, v2, f16, T, c, h, w, decay,
      threshold);
  CHECK (f1 == f2, "lif T=%d c=%d %dx%d: %llu vs %llu spikes", T, c, w, h,
      (unsigned long long) f1, (unsigned long long) f2);
  CHECK (memcmp (s1, s2, bytes) == 0, "lif T=%d c=%d %dx%d: spike maps "
      "differ", T, c, w, h);
  /* A last-bit float difference (a fused multiply-add in the twin) may
   * round to the neighbouring half. */
  const float rel = f16 ? 1e-3f : 1e-6f;
  bool close = true;
  for (size_t i = 0; i < n; i++) {
    const float a = membrane_at (v1, f16, i), b = membrane_at (v2, f16, i);
    close &= fabsf (a - b) <= rel * fabsf (b) + 1e-7f;
  }
  CHECK (close, "lif T=%d c=%d %dx%d %s: membranes differ", T, c, w, h,
      f16 ? "f16" : "f32");
  const size_t plane = (size_t) (h + 2) * (w + 2);
  bool at_threshold = true;
  for (size_t i = 0; i < n; i += 5) {
    const size_t ch = i / ((size_t) h * w), p = i % ((size_t) h * w);
    const size_t at = (ch / 8) * plane + (p / w + 1) * (w + 2) + p % w + 1;
    at_threshold &= (s1[at] >> (ch % 8)) & 1;
  }
  CHECK (at_threshold, "lif T=%d c=%d %dx%d: a value exactly at the "
      "threshold must fire", T, c, w, h);

  float *unpacked = malloc ((T * n + 1) * sizeof *unpacked);
  spikes_unpack_f32 (s1, T, c, h, w, unpacked, 2);
  bool same = true;
  for (int32_t t = 0; t < T; t++)
    for (size_t i = 0; i < n; i++) {
      const size_t ch = i / ((size_t) h * w), p = i % ((size_t) h * w);
      const size_t at = ((size_t) t * spike_groups (c) + ch / 8) * plane
          + (p / w + 1) * (w + 2) + p % w + 1;
      same &= unpacked[t * n + i] == (float) ((s2[at] >> (ch % 8)) & 1);
    }
  CHECK (same, "spikes_unpack T=%d c=%d %dx%d differs", T, c, w, h);
  free (in);
  free (start);
  free (v1);
  free (v2);
  free (s1);
  free (s2);
  free (unpacked);
}

/* The LIF over an upsampling made as it goes against the upsampled tensor
 * through the twin: the same spikes and membranes, across chunk edges. */
static void
test_lif_up2 (int32_t T, int32_t c, int32_t h, int32_t w, bool f16)
{
  const size_t n = (size_t) c * h * w, bytes = spike_map_bytes (T, c, h, w);
  const size_t vsize = f16 ? sizeof (uint16_t) : sizeof (float);
  float *half = random_array (T * n / 4 + 1);
  float *full = malloc ((T * n + 1) * sizeof *full);
  upsample2x_bilinear_f32 (half, T * c, h / 2, w / 2, full, 2);
  uint8_t *v1 = calloc (n + 1, vsize), *v2 = calloc (n + 1, vsize);
  uint8_t *s1 = malloc (bytes + 1), *s2 = malloc (bytes + 1);
  const uint64_t f1 = lif_bits_up2_f32 (half, s1, v1, f16, T, c, h, w, 0.5f,
      0.15f, 2);
  const uint64_t f2 = lif_bits_f32_ref (full, s2, v2, f16, T, c, h, w, 0.5f,
      0.15f);
  bool close = true;
  for (size_t i = 0; i < n; i++) {
    const float a = membrane_at (v1, f16, i), b = membrane_at (v2, f16, i);
    close &= fabsf (a - b) <= (f16 ? 1e-3f : 1e-6f) * fabsf (b) + 1e-7f;
  }
  CHECK (f1 == f2 && memcmp (s1, s2, bytes) == 0 && close, "lif_up2 T=%d "
      "c=%d %dx%d %s: %llu vs %llu spikes, maps %s, membranes %s", T, c, w,
      h, f16 ? "f16" : "f32", (unsigned long long) f1,
      (unsigned long long) f2, memcmp (s1, s2, bytes) ? "differ" : "agree",
      close ? "agree" : "differ");
  free (half);
  free (full);
  free (v1);
  free (v2);
  free (s1);
  free (s2);
}

/* The table-lookup conv, and for 3x3 stride 1 the dense conv reading the
 * bits, against the reference conv of the unpacked spikes, from a random
 * spike map at a given firing rate. */
static void
test_conv_lut (int32_t c_in, int32_t c_out, int32_t k, int32_t stride,
    int32_t T, int32_t h, int32_t w, float rate)
{
  esdnet_conv cv = { .c_in = c_in, .c_out = c_out, .k = k, .stride = stride,
    .weight = random_array ((size_t) c_out * c_in * k * k),
    .bias = random_array (c_out) };
  float *lut = malloc ((conv_spike_lut_floats (&cv) + 1) * sizeof *lut);
  conv_spike_lut_build (&cv, lut);
  /* Spikes from a LIF pass over random currents. */
  const size_t n = (size_t) c_in * h * w;
  float *cur = random_array (T * n);
  uint16_t *v = calloc (n + 1, sizeof *v);
  for (size_t i = 0; i < T * n; i++)
    cur[i] = cur[i] < 2 * rate - 1 ? 1.0f : 0.0f;
  uint8_t *spikes = malloc (spike_map_bytes (T, c_in, h, w) + 1);
  lif_bits_f32_ref (cur, spikes, v, true, T, c_in, h, w, 0.0f, 0.5f);
  float *in = malloc ((T * n + 1) * sizeof *in);
  spikes_unpack_f32 (spikes, T, c_in, h, w, in, 1);
  const int32_t ho = (h + 2 * (k / 2) - k) / stride + 1;
  const int32_t wo = (w + 2 * (k / 2) - k) / stride + 1;
  /* The optimised kernels write each timestep one plane apart from the
   * next (as into a concatenation), which they must leave alone. */
  const size_t image = (size_t) c_out * ho * wo, gap = (size_t) ho * wo;
  const size_t out_n = (size_t) T * image;
  float *a = malloc (T * (image + gap) * sizeof *a), *b = random_array (out_n);
  conv2d_f32_ref (&cv, in, T, h, w, b, false);
  const int kernels = k == 3 && stride == 1 ? 2 : 1;
  for (int kernel = 0; kernel < kernels; kernel++) {
    for (size_t i = 0; i < T * (image + gap); i++)
      a[i] = -7.0f;
    if (kernel == 0)
      conv_spike_lut_f32 (&cv, spikes, T, h, w, a, image + gap, 2);
    else {
      cv.packed = malloc ((conv2d_packed_floats (&cv) + 1) * sizeof (float));
      conv2d_pack (&cv, cv.packed);
      conv3x3_spikes_f32 (&cv, spikes, T, h, w, a, image + gap, 2);
      free (cv.packed);
      cv.packed = NULL;
    }
    double worst = 0.0;
    bool gap_kept = true;
    for (int32_t t = 0; t < T; t++) {
      for (size_t i = 0; i < image; i++)
        worst = fmax (worst, fabs ((double) a[t * (image + gap) + i]
                - b[t * image + i]));
      for (size_t i = 0; i < gap; i++)
        gap_kept &= a[t * (image + gap) + image + i] == -7.0f;
    }
    CHECK (worst <= 1e-5 * (1 + c_in * k * k) && gap_kept, "%s %dx%d s%d "
        "c%d->%d T%d %dx%d rate %.2f: max diff %g%s", kernel
        ? "conv3x3_spikes" : "conv_spike_lut", k, k, stride, c_in, c_out, T,
        w, h, rate, worst, gap_kept ? "" : ", wrote between timesteps");
  }
  free (cv.weight);
  free (cv.bias);
  free (lut);
  free (cur);
  free (v);
  free (spikes);
  free (in);
  free (a);
  free (b);
}

/* The pooled sum and maximum against a double loop, at lengths around the
 * vector and the float block. */
static void
test_sum_max (size_t n)
{
  float *p = random_array (n);
  double ref = 0.0;
  float ref_max = -FLT_MAX, mx;
  for (size_t i = 0; i < n; i++) {
    ref += p[i];
    ref_max = p[i] > ref_max ? p[i] : ref_max;
  }
  const double sum = sum_max_f32 (p, n, &mx);
  CHECK (fabs (sum - ref) <= 1e-5 * (1.0 + (double) n) && mx == ref_max,
      "sum_max n=%zu: %g / %g against %g / %g", n, sum, mx, ref, ref_max);
  free (p);
}

/* The binary16 conversions: every half against its value worked out from
 * its fields, and floats against the nearest half (ties to even), with
 * saturation, subnormals and signed zero; the array versions agree. */
static void
test_f16 (void)
{
  bool exact = true;
  for (uint32_t h = 0; h < 0x10000u; h++) {
    const uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double want = e == 0 ? ldexp (m, -24) : ldexp (1024 + m, (int) e - 25);
    want = h & 0x8000u ? -want : want;
    const float got = f32_from_f16 ((uint16_t) h);
    if (e == 31)
      exact &= m ? isnan (got) : isinf (got) && (got < 0) == !!(h & 0x8000u);
    else
      exact &= got == (float) want && !!signbit (got) == !!(h & 0x8000u);
    /* Finite halves round-trip. */
    if (e != 31)
      exact &= f16_from_f32 (got) == h;
  }
  CHECK (exact, "f32_from_f16 or the round trip is wrong");

  bool nearest = true;
  for (int i = 0; i < 200000; i++) {
    const float f = (float) ldexp (2.0 * rand () / RAND_MAX - 1.0,
        rand () % 44 - 28);
    const uint16_t h = f16_from_f32 (f);
    const double got = f32_from_f16 (h);
    /* The neighbours one step either side must be no nearer; on a tie the
     * even one wins. */
    for (int d = -1; d <= 1; d += 2) {
      const uint16_t nb = (uint16_t) (h + d);
      if ((nb & 0x7fffu) >= 0x7c00u || ((h ^ nb) & 0x8000u))
        continue;
      const double other = f32_from_f16 (nb);
      const double eg = fabs (got - f), eo = fabs (other - f);
      nearest &= fabs (f) > 65504.0 || eg < eo || (eg == eo && !(h & 1));
    }
  }
  CHECK (nearest, "f16_from_f32 does not round to nearest even");
  CHECK (f16_from_f32 (1e6f) == 0x7bff && f16_from_f32 (-1e6f) == 0xfbff
      && f16_from_f32 (65519.0f) == 0x7bff && f16_from_f32 (-0.0f) == 0x8000
      && f16_from_f32 (0x1p-25f) == 0 && f16_from_f32 (0x1.8p-25f) == 1
      && f16_from_f32 (0x1p-24f) == 1,
      "f16_from_f32: saturation, signed zero or subnormal rounding wrong");

  enum { N = 1037 };
  float f[N], back[N];
  uint16_t h[N];
  for (int i = 0; i < N; i++)
    f[i] = (float) ldexp (2.0 * rand () / RAND_MAX - 1.0, rand () % 40 - 26);
  f32_to_f16_n (f, h, N);
  f16_to_f32_n (h, back, N);
  bool same = true;
  for (int i = 0; i < N; i++)
    same &= h[i] == f16_from_f32 (f[i]) && back[i] == f32_from_f16 (h[i]);
  CHECK (same, "the array conversions differ from the scalar ones");
}

/* The banded attention against its twin, with and without hidden units in
 * the gates' MLPs (T / 4, c / 16 as the network has them), heights around
 * the band of rows and widths with and without interior columns. */
static void
test_mda (int32_t T, int32_t c, int32_t h, int32_t w, int32_t threads)
{
  esdnet_srb b = { .c = c, .t_hidden = T / 4, .c_hidden = c / 16 };
  b.ta_w1 = random_array ((size_t) b.t_hidden * T + 1);
  b.ta_w2 = random_array ((size_t) T * b.t_hidden + 1);
  b.ca_w1 = random_array ((size_t) b.c_hidden * c + 1);
  b.ca_w2 = random_array ((size_t) c * b.c_hidden + 1);
  float *sa = random_array (18);
  memcpy (b.sa_w, sa, sizeof b.sa_w);
  const size_t n = (size_t) T * c * h * w;
  float *z = random_array (n), *x1 = random_array (n);
  float *x2 = malloc (n * sizeof *x2);
  memcpy (x2, x1, n * sizeof *x2);
  float *scratch = malloc (mda_scratch_floats (T, c, w, threads)
      * sizeof *scratch);
  mda_residual_f32 (&b, T, h, w, z, x1, scratch, threads);
  mda_residual_f32_ref (&b, T, h, w, z, x2);
  double worst = 0.0;
  for (size_t i = 0; i < n; i++)
    worst = fmax (worst, fabs ((double) x1[i] - x2[i]));
  CHECK (worst <= 1e-5, "mda T=%d c=%d %dx%d threads %d: max diff %g", T, c,
      w, h, threads, worst);
  free (b.ta_w1);
  free (b.ta_w2);
  free (b.ca_w1);
  free (b.ca_w2);
  free (sa);
  free (z);
  free (x1);
  free (x2);
  free (scratch);
}

/* exp_f32 against libm over the range the gates see and past its clamp. */
static void
test_exp (void)
{
  double worst = 0.0;
  for (float x = -87.0f; x <= 88.0f; x += 0.01f) {
    const double rel = fabs ((double) exp_f32 (x) - exp ((double) x)) / exp (x);
    worst = fmax (worst, rel);
  }
  CHECK (worst <= 4e-7, "exp_f32: relative error %g", worst);
  CHECK (sigmoid_f32 (-200.0f) >= 0.0f && sigmoid_f32 (-200.0f) < 1e-37f
      && sigmoid_f32 (200.0f) == 1.0f && sigmoid_f32 (0.0f) == 0.5f,
      "sigmoid_f32 at the ends: %g %g %g", sigmoid_f32 (-200.0f),
      sigmoid_f32 (0.0f), sigmoid_f32 (200.0f));
}

/* Bilinear x2 against the definition evaluated in double. */
static void
test_upsample (int32_t planes, int32_t h, int32_t w)
{
  float *in = random_array ((size_t) planes * h * w);
  float *out = malloc ((size_t) planes * 4 * h * w * sizeof *out);
  upsample2x_bilinear_f32 (in, planes, h, w, out, 2);
  double worst = 0.0;
  for (int32_t p = 0; p < planes; p++)
    for (int32_t y = 0; y < 2 * h; y++)
      for (int32_t x = 0; x < 2 * w; x++) {
        double sy = fmax ((y + 0.5) / 2 - 0.5, 0), sx = fmax ((x + 0.5) / 2
            - 0.5, 0);
        int32_t y0 = (int32_t) sy, x0 = (int32_t) sx;
        int32_t y1 = y0 + 1 < h ? y0 + 1 : h - 1, x1 = x0 + 1 < w ? x0 + 1
            : w - 1;
        double ly = sy - y0, lx = sx - x0;
        const float *pl = in + (size_t) p * h * w;
        double v = (1 - ly) * ((1 - lx) * pl[y0 * w + x0] + lx * pl[y0 * w
                + x1]) + ly * ((1 - lx) * pl[y1 * w + x0] + lx * pl[y1 * w
                + x1]);
        worst = fmax (worst, fabs (v - out[((size_t) p * 2 * h + y) * 2 * w
                    + x]));
      }
  CHECK (worst <= 1e-6, "upsample %d planes %dx%d: max diff %g", planes, w,
      h, worst);
  free (in);
  free (out);
}

/* u8 in -> padded planar -> u8 out is the identity on the visible area. */
static void
test_convert (int32_t w, int32_t h, int32_t pixel_stride)
{
  const int32_t wp = (w + 3) / 4 * 4, hp = (h + 3) / 4 * 4;
  const int32_t stride = w * pixel_stride + 3;
  uint8_t *src = malloc ((size_t) stride * h), *dst = calloc ((size_t)
      stride * h, 1);
  for (size_t i = 0; i < (size_t) stride * h; i++)
    src[i] = (uint8_t) (i * 37 + 11);
  float *planar = malloc ((size_t) 3 * wp * hp * sizeof *planar);
  rgb_u8_to_planar_f32 (src, stride, pixel_stride, w, h, planar, wp, hp, 2);
  /* The padding replicates the last column and row. */
  CHECK (planar[(size_t) (hp - 1) * wp + wp - 1]
      == src[(size_t) (h - 1) * stride + (w - 1) * pixel_stride] / 255.0f,
      "convert %dx%d: padding is not edge replication", w, h);
  planar_f32_to_rgb_u8 (planar, wp, hp, w, h, dst, stride, pixel_stride, 2);
  bool same = true;
  for (int32_t y = 0; y < h; y++)
    for (int32_t x = 0; x < w; x++)
      for (int32_t c = 0; c < 3; c++)
        same &= src[(size_t) y * stride + x * pixel_stride + c]
            == dst[(size_t) y * stride + x * pixel_stride + c];
  CHECK (same, "convert %dx%d ps %d: round trip differs", w, h, pixel_stride);
  free (src);
  free (dst);
  free (planar);
}

int
main (void)
{
  /* Widths around the 16-column vector, 1, and odd. */
  const int32_t sizes[][2] = { { 1, 1 }, { 1, 7 }, { 7, 1 }, { 2, 3 },
    { 5, 15 }, { 3, 16 }, { 5, 17 }, { 16, 16 }, { 17, 33 }, { 4, 34 },
    { 33, 4 } };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    const int32_t h = sizes[i][0], w = sizes[i][1];
    test_conv (3, 5, 3, 1, 2, h, w, false);
    test_conv (4, 3, 3, 1, 1, h, w, true);
    test_conv (3, 2, 3, 1, 2, h, w, false);
    test_conv (2, 4, 3, 1, 1, h, w, true);
    test_conv (3, 4, 3, 2, 2, h, w, true);
    test_conv (6, 2, 1, 1, 1, h, w, true);
    test_conv (0, 2, 3, 1, 1, h, w, false);
    /* Output channels around the block of CONV_OCB. */
    test_conv (5, CONV_OCB - 1, 3, 1, 1, h, w, false);
    test_conv (5, CONV_OCB, 3, 1, 2, h, w, true);
    test_conv (3, CONV_OCB + 1, 3, 1, 1, h, w, false);
    test_conv (2, 2 * CONV_OCB + 3, 3, 1, 1, h, w, false);
    test_conv (2, 0, 3, 1, 1, h, w, false);
    test_upsample (2, h, w);
    test_convert (w, h, 3);
    test_convert (w, h, 4);
  }
  const size_t sum_sizes[] = { 0, 1, 15, 16, 17, 4095, 4096, 4097, 10007 };
  for (size_t i = 0; i < sizeof sum_sizes / sizeof sum_sizes[0]; i++)
    test_sum_max (sum_sizes[i]);
  test_exp ();
  const int32_t mda_sizes[][2] = { { 1, 1 }, { 2, 2 }, { 7, 3 }, { 8, 33 },
    { 9, 1 }, { 17, 20 } };
  for (size_t i = 0; i < sizeof mda_sizes / sizeof mda_sizes[0]; i++) {
    const int32_t h = mda_sizes[i][0], w = mda_sizes[i][1];
    test_mda (2, 2, h, w, 2);
    test_mda (4, 16, h, w, 2);
    test_mda (1, 3, h, w, 3);
    test_mda (8, 32, h, w, 1);
  }
  test_f16 ();
  /* Channels around a byte of spikes, widths around the LIF chunk. */
  const int32_t lif_shapes[][3] = { { 1, 1, 1 }, { 7, 3, 5 }, { 8, 2, 9 },
    { 9, 1, 1 }, { 16, 3, 17 }, { 3, 2, 255 }, { 3, 1, 256 },
    { 10, 2, 257 }, { 2, 1, 600 } };
  for (size_t i = 0; i < sizeof lif_shapes / sizeof lif_shapes[0]; i++)
    for (int32_t T = 1; T <= 3; T += 2)
      for (int f16 = 0; f16 < 2; f16++)
        test_lif (T, lif_shapes[i][0], lif_shapes[i][1], lif_shapes[i][2],
            f16);
  test_upsample (1, 3, 300);    /* output rows of several spans */
  /* Even sizes, widths across the 256-column chunks. */
  const int32_t up2_shapes[][3] = { { 1, 2, 2 }, { 3, 4, 6 }, { 9, 2, 514 },
    { 2, 6, 600 } };
  for (size_t i = 0; i < sizeof up2_shapes / sizeof up2_shapes[0]; i++)
    for (int f16 = 0; f16 < 2; f16++)
      test_lif_up2 (2, up2_shapes[i][0], up2_shapes[i][1], up2_shapes[i][2],
          f16);
  /* The spike convs of the network (3x3 s1, 3x3 s2, 1x1) with channel
   * counts around bytes and table vectors, widths around the segment and
   * its blocks of four pixels. */
  const int32_t lut_sizes[][2] = { { 1, 1 }, { 2, 3 }, { 5, 17 }, { 4, 31 },
    { 3, 32 }, { 6, 33 }, { 2, 70 } };
  for (size_t i = 0; i < sizeof lut_sizes / sizeof lut_sizes[0]; i++) {
    const int32_t h = lut_sizes[i][0], w = lut_sizes[i][1];
    test_conv_lut (8, 8, 3, 1, 2, h, w, 0.4f);
    test_conv_lut (5, 3, 3, 1, 1, h, w, 0.9f);
    test_conv_lut (16, 17, 3, 1, 3, h, w, 0.1f);
    test_conv_lut (9, 16, 3, 2, 2, h, w, 0.5f);
    test_conv_lut (32, 16, 1, 1, 2, h, w, 0.5f);
    test_conv_lut (3, CONV_LUT_MAX_COUT, 3, 1, 1, h, w, 0.3f);
    /* Few input channels: the taps of a row share table indices. */
    test_conv_lut (1, 5, 3, 2, 1, h, w, 0.5f);
    test_conv_lut (2, 4, 3, 1, 2, h, w, 0.4f);
    test_conv_lut (2, 16, 3, 2, 1, h, w, 0.6f);
    test_conv_lut (4, 2, 3, 1, 2, h, w, 0.4f);
    test_conv_lut (4, 8, 1, 1, 1, h, w, 0.5f);
  }
  if (failures)
    fprintf (stderr, "%d check(s) failed\n", failures);
  else
    printf ("all kernel checks passed\n");
  return failures ? 1 : 0;
}
