/* test_kernels.c — every optimised kernel against its plain twin, at
 * awkward sizes (1, tile and chunk edges, odd widths), on both ORC paths
 * (meson runs this test once more with ORC_CODE=backup). */
#include "kernels/kernels.h"
#include "check.h"

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
  esdnet_conv cv = { c_in, c_out, k, stride,
    random_array ((size_t) c_out * c_in * k * k), random_array (c_out), NULL };
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

static void
test_lif (int32_t n)
{
  float *in = random_array ((size_t) n), *v1 = random_array ((size_t) n);
  float *v2 = malloc (((size_t) n + 1) * sizeof *v2);
  float *s1 = malloc (((size_t) n + 1) * sizeof *s1);
  float *s2 = malloc (((size_t) n + 1) * sizeof *s2);
  memcpy (v2, v1, (size_t) n * sizeof *v2);
  const float decay = 0.5f, threshold = 0.15f;
  /* Land some membranes exactly on the threshold: those must fire. */
  for (int32_t i = 0; i < n; i += 5) {
    v1[i] = v2[i] = 0.0f;
    in[i] = threshold;
  }
  for (int step = 0; step < 3; step++) {
    uint32_t f1 = lif_step_f32 (v1, s1, in, decay, threshold, n);
    uint32_t f2 = lif_step_f32_ref (v2, s2, in, decay, threshold, n);
    CHECK (f1 == f2, "lif n=%d step %d: %u vs %u spikes", n, step, f1, f2);
    CHECK (memcmp (s1, s2, (size_t) n * sizeof *s1) == 0,
        "lif n=%d step %d: spikes differ", n, step);
    bool close = true;
    for (int32_t i = 0; i < n; i++)
      close &= fabsf (v1[i] - v2[i]) <= 1e-6f;
    CHECK (close, "lif n=%d step %d: membranes differ", n, step);
    if (step == 0)
      for (int32_t i = 0; i < n; i += 5)
        CHECK (s1[i] == 1.0f && v1[i] == 0.0f, "lif n=%d: a value exactly "
            "at the threshold must fire and reset", n);
  }
  free (in);
  free (v1);
  free (v2);
  free (s1);
  free (s2);
}

/* lif_f32 over T steps equals T single steps. */
static void
test_lif_sequence (int32_t T, size_t n)
{
  float *in = random_array (T * n), *v1 = calloc (n + 1, sizeof (float));
  float *v2 = calloc (n + 1, sizeof (float));
  float *s1 = malloc ((T * n + 1) * sizeof (float));
  float *s2 = malloc ((T * n + 1) * sizeof (float));
  uint64_t total = lif_f32 (in, s1, v1, T, n, 0.75f, 0.2f, 2), ref = 0;
  for (int32_t t = 0; t < T; t++)
    ref += lif_step_f32_ref (v2, s2 + t * n, in + t * n, 0.75f, 0.2f,
        (int32_t) n);
  CHECK (total == ref, "lif_f32 T=%d n=%zu: %llu vs %llu spikes", T, n,
      (unsigned long long) total, (unsigned long long) ref);
  CHECK (memcmp (s1, s2, T * n * sizeof (float)) == 0,
      "lif_f32 T=%d n=%zu: spike trains differ", T, n);
  free (in);
  free (v1);
  free (v2);
  free (s1);
  free (s2);
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
  const int32_t lif_sizes[] = { 1, 2, 7, 2047, 2048, 2049, 5000 };
  for (size_t i = 0; i < sizeof lif_sizes / sizeof lif_sizes[0]; i++) {
    test_lif (lif_sizes[i]);
    test_lif_sequence (3, (size_t) lif_sizes[i]);
  }
  if (failures)
    fprintf (stderr, "%d check(s) failed\n", failures);
  else
    printf ("all kernel checks passed\n");
  return failures ? 1 : 0;
}
