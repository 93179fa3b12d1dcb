/* test_ensemble.c — the self-ensemble (esdnet_stream_params.ensemble)
 * against its definition: the mean of one-view streams run on the
 * mirrored and upside-down frames, turned back, each view with its own
 * membranes in carry mode; for each model given. */
#include "esdnet.h"
#include "each_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Not multiples of 4, so the padding is flipped too. */
#define W 21
#define H 14
#define N (3 * W * H)

/* Frame f of a slowly changing textured scene, planar floats in [0, 1]
 * that are exact u8 levels. */
static void
scene (int f, float *out)
{
  for (int i = 0; i < N; i++) {
    const int x = i % W, y = i / W % H, c = i / (W * H);
    out[i] = (float) ((30 + 9 * f + 5 * x + 11 * y * (c + 1) + (x * y % 7) *
            13) % 256) / 255.0f;
  }
}

/* out = in mirrored left-right (flip bit 0) and/or upside down (bit 1). */
static void
flip (const float *in, int flips, float *out)
{
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        const int sy = flips & 2 ? H - 1 - y : y, sx = flips & 1 ? W - 1 - x
            : x;
        out[(c * H + y) * W + x] = in[(c * H + sy) * W + sx];
      }
}

static esdnet_stream *
make (const esdnet_model *m, int32_t views)
{
  esdnet_stream_params p = esdnet_stream_default_params ();
  p.ensemble = views;
  esdnet_error err;
  esdnet_stream *s = esdnet_stream_create (m, W, H, &p, &err);
  CHECK (s != NULL, "ensemble %d: %s", views, s ? "" : err.message);
  return s;
}

static uint64_t
spikes_of (const esdnet_stream *s, uint64_t *neurons)
{
  esdnet_frame_stats st;
  esdnet_stream_get_stats (s, &st);
  *neurons = st.neurons;
  return st.spikes;
}

/* frames frames through an ensemble of `views` and through one single-view
 * stream per view on the flipped frames: outputs and counts agree. */
static void
test_views (const esdnet_model *m, int32_t views, esdnet_temporal_mode mode,
    int frames)
{
  static float frame[N], flipped[N], y[N], back[N], mean[N], ens[N];
  esdnet_stream *e = make (m, views), *single[ESDNET_MAX_ENSEMBLE];
  for (int k = 0; k < views; k++)
    single[k] = make (m, 1);
  for (int f = 0; f < frames; f++) {
    scene (f, frame);
    uint64_t spikes = 0, neurons = 0, n;
    for (int k = 0; k < views; k++) {
      flip (frame, k, flipped);
      CHECK (esdnet_stream_process_f32 (single[k], flipped, y, mode)
          == ESDNET_OK, "single: %s", esdnet_stream_last_error (single[k]));
      flip (y, k, back);
      for (int i = 0; i < N; i++)
        mean[i] = k ? mean[i] + back[i] / views : back[i] / views;
      spikes += spikes_of (single[k], &n);
      neurons += n;
    }
    CHECK (esdnet_stream_process_f32 (e, frame, ens, mode) == ESDNET_OK,
        "ensemble: %s", esdnet_stream_last_error (e));
    double worst = 0.0;
    for (int i = 0; i < N; i++)
      worst = fmax (worst, fabs ((double) ens[i] - mean[i]));
    CHECK (worst < 1e-5, "%s, %d views, frame %d: %g from the mean of the "
        "flipped single-view outputs", esdnet_temporal_mode_to_string (mode),
        views, f, worst);
    const uint64_t e_spikes = spikes_of (e, &n);
    CHECK (e_spikes == spikes && n == neurons, "%d views, frame %d: %llu "
        "spikes of %llu neurons, the views alone %llu of %llu", views, f,
        (unsigned long long) e_spikes, (unsigned long long) n,
        (unsigned long long) spikes, (unsigned long long) neurons);
  }
  esdnet_stream_free (e);
  for (int k = 0; k < views; k++)
    esdnet_stream_free (single[k]);
}

/* The u8 path feeds the same frame and rounds the same mean. */
static void
test_u8 (const esdnet_model *m)
{
  static float frame[N], y[N];
  static uint8_t in[N], out[N];
  scene (1, frame);
  for (int i = 0; i < N; i++) {
    const int x = i % W, yy = i / W % H, c = i / (W * H);
    in[(yy * W + x) * 3 + c] = (uint8_t) lrintf (frame[i] * 255.0f);
  }
  esdnet_stream *a = make (m, 3), *b = make (m, 3);
  esdnet_image_u8 ii = { W, H, W * 3, 3, in }, oo = { W, H, W * 3, 3, out };
  CHECK (esdnet_stream_process_u8 (a, &ii, &oo, ESDNET_TEMPORAL_RESET)
      == ESDNET_OK, "u8: %s", esdnet_stream_last_error (a));
  CHECK (esdnet_stream_process_f32 (b, frame, y, ESDNET_TEMPORAL_RESET)
      == ESDNET_OK, "f32: %s", esdnet_stream_last_error (b));
  int wrong = 0;
  for (int i = 0; i < N; i++) {
    const int x = i % W, yy = i / W % H, c = i / (W * H);
    const float v = y[i] < 0.0f ? 0.0f : y[i] > 1.0f ? 1.0f : y[i];
    wrong += out[(yy * W + x) * 3 + c] != (uint8_t) (v * 255.0f + 0.5f);
  }
  CHECK (wrong == 0, "u8 ensemble: %d values differ from the f32 one", wrong);
  esdnet_stream_free (a);
  esdnet_stream_free (b);
}

/* A reset clears every view's membranes; 0 views means 1; bad counts are
 * refused with a message that names them. */
static void
test_reset_and_arguments (const esdnet_model *m)
{
  static float a[N], b[N], fresh[N], out[N], one[N];
  scene (0, a);
  scene (2, b);
  esdnet_stream *s = make (m, 4), *t = make (m, 4);
  esdnet_stream_process_f32 (t, b, fresh, ESDNET_TEMPORAL_CARRY);
  esdnet_stream_process_f32 (s, a, out, ESDNET_TEMPORAL_CARRY);
  esdnet_stream_reset (s);
  esdnet_stream_process_f32 (s, b, out, ESDNET_TEMPORAL_CARRY);
  CHECK (memcmp (out, fresh, sizeof out) == 0,
      "after esdnet_stream_reset the ensemble is not a fresh one");
  esdnet_stream_free (s);
  esdnet_stream_free (t);

  esdnet_stream *zero = make (m, 0), *single = make (m, 1);
  esdnet_stream_process_f32 (zero, a, out, ESDNET_TEMPORAL_RESET);
  esdnet_stream_process_f32 (single, a, one, ESDNET_TEMPORAL_RESET);
  CHECK (memcmp (out, one, sizeof out) == 0, "ensemble 0 is not 1 view");
  esdnet_stream_free (zero);
  esdnet_stream_free (single);

  const int32_t bad[] = { -1, ESDNET_MAX_ENSEMBLE + 1 };
  for (int i = 0; i < 2; i++) {
    esdnet_stream_params p = esdnet_stream_default_params ();
    p.ensemble = bad[i];
    esdnet_error err;
    char want[32];
    snprintf (want, sizeof want, "ensemble of %d views", bad[i]);
    CHECK (esdnet_stream_create (m, W, H, &p, &err) == NULL
        && err.status == ESDNET_ERROR_INVALID_ARGUMENT
        && strstr (err.message, want), "ensemble %d accepted", bad[i]);
  }
  CHECK (esdnet_stream_default_params ().ensemble == 1,
      "the default is not one view");
}

static void
test_model (const esdnet_model *m)
{
  for (int32_t views = 1; views <= ESDNET_MAX_ENSEMBLE; views++)
    test_views (m, views, ESDNET_TEMPORAL_RESET, 1);
  /* Later frames match only if every view carried its own membranes. */
  test_views (m, ESDNET_MAX_ENSEMBLE, ESDNET_TEMPORAL_CARRY, 3);
  test_u8 (m);
  test_reset_and_arguments (m);
}

int
main (int argc, char **argv)
{
  return run_on_each_model (argc, argv, test_model);
}
