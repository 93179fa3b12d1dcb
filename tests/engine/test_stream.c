/* test_stream.c — stream behaviour through the public API: scene cuts in
 * carry mode, resets, membrane precision, argument errors, frame sizes; for
 * each model given (one with rest statistics makes the cuts and resets
 * also pick them). */
#include "esdnet.h"
#include "each_model.h"

#include <stdlib.h>
#include <math.h>
#include <string.h>

#define W 13
#define H 9

static void
fill (uint8_t *px, uint8_t base)
{
  for (int i = 0; i < W * H * 3; i++)
    px[i] = (uint8_t) (base + (i * 7) % 40);
}

/* Runs frames through a stream; out receives the last frame's output. */
static esdnet_frame_stats
run (const esdnet_model *m, uint8_t *const *frames, int n, double threshold,
    uint8_t *out)
{
  esdnet_stream *s = esdnet_stream_create (m, W, H, NULL, NULL);
  esdnet_frame_stats st = { 0 };
  CHECK (esdnet_stream_set_scene_cut_threshold (s, threshold) == ESDNET_OK,
      "threshold %g refused", threshold);
  for (int i = 0; i < n; i++) {
    esdnet_image_u8 in = { W, H, W * 3, 3, frames[i] };
    esdnet_image_u8 o = { W, H, W * 3, 3, out };
    CHECK (esdnet_stream_process_u8 (s, &in, &o, ESDNET_TEMPORAL_CARRY)
        == ESDNET_OK, "process: %s", esdnet_stream_last_error (s));
    esdnet_stream_get_stats (s, &st);
  }
  esdnet_stream_free (s);
  return st;
}

/* Three textured frames of a slowly brightening scene through a stream
 * keeping membranes in the given precision; out receives each output. */
#define PW 96
#define PH 64
static void
run_precision (const esdnet_model *m, esdnet_membrane_precision p,
    esdnet_temporal_mode mode, uint8_t out[3][PW * PH * 3])
{
  esdnet_stream_params sp = esdnet_stream_default_params ();
  sp.membranes = p;
  esdnet_error err;
  esdnet_stream *s = esdnet_stream_create (m, PW, PH, &sp, &err);
  CHECK (s != NULL, "%s stream: %s", esdnet_membrane_precision_to_string (p),
      s ? "" : err.message);
  if (!s)
    return;
  static uint8_t in[PW * PH * 3];
  for (int f = 0; f < 3; f++) {
    for (int i = 0; i < PW * PH * 3; i++)
      in[i] = (uint8_t) (40 + 10 * f + (i * 37 % 101) + (i / (PW * 3) % 9) * 9);
    esdnet_image_u8 a = { PW, PH, PW * 3, 3, in }, o = { PW, PH, PW * 3, 3,
      out[f] };
    CHECK (esdnet_stream_process_u8 (s, &a, &o, mode) == ESDNET_OK,
        "process: %s", esdnet_stream_last_error (s));
  }
  esdnet_stream_free (s);
}

/* Binary16 membranes change nothing in reset mode (within a frame they are
 * float32 either way) and little in carry mode, where they do carry. */
static void
test_membrane_precision (const esdnet_model *m)
{
  static uint8_t f32[3][PW * PH * 3], f16[3][PW * PH * 3];
  run_precision (m, ESDNET_MEMBRANES_F32, ESDNET_TEMPORAL_RESET, f32);
  run_precision (m, ESDNET_MEMBRANES_F16, ESDNET_TEMPORAL_RESET, f16);
  CHECK (memcmp (f32, f16, sizeof f32) == 0,
      "reset mode: f16 membranes changed the output");
  static uint8_t reset[3][PW * PH * 3];
  memcpy (reset, f32, sizeof reset);
  run_precision (m, ESDNET_MEMBRANES_F32, ESDNET_TEMPORAL_CARRY, f32);
  run_precision (m, ESDNET_MEMBRANES_F16, ESDNET_TEMPORAL_CARRY, f16);
  double diff = 0.0, carried = 0.0;
  for (int i = 0; i < PW * PH * 3; i++) {
    diff += fabs ((double) f32[2][i] - f16[2][i]);
    carried += fabs ((double) f16[2][i] - reset[2][i]);
  }
  diff /= PW * PH * 3;
  carried /= PW * PH * 3;
  CHECK (diff <= 0.05 && carried > 10 * diff, "carry mode: f16 membranes "
      "%.4f levels from f32, %.4f from reset", diff, carried);
  esdnet_stream_params sp = esdnet_stream_default_params ();
  CHECK (sp.membranes == ESDNET_MEMBRANES_F32, "the default is not f32");
  sp.membranes = (esdnet_membrane_precision) 5;
  esdnet_error err;
  CHECK (esdnet_stream_create (m, PW, PH, &sp, &err) == NULL
      && err.status == ESDNET_ERROR_INVALID_ARGUMENT
      && strstr (err.message, "precision 5"), "bad precision accepted");
  CHECK (strcmp (esdnet_membrane_precision_to_string (ESDNET_MEMBRANES_F16),
          "f16") == 0, "to_string");
}

/* After esdnet_stream_reset a stream is as good as new. */
static void
test_reset (const esdnet_model *m, uint8_t *dark, uint8_t *bright,
    const uint8_t *fresh)
{
  static uint8_t out[W * H * 3];
  esdnet_stream *s = esdnet_stream_create (m, W, H, NULL, NULL);
  esdnet_image_u8 o = { W, H, W * 3, 3, out };
  esdnet_image_u8 a = { W, H, W * 3, 3, dark }, b = { W, H, W * 3, 3, bright };
  CHECK (esdnet_stream_process_u8 (s, &a, &o, ESDNET_TEMPORAL_CARRY)
      == ESDNET_OK, "process: %s", esdnet_stream_last_error (s));
  esdnet_stream_reset (s);
  CHECK (esdnet_stream_process_u8 (s, &b, &o, ESDNET_TEMPORAL_CARRY)
      == ESDNET_OK, "process: %s", esdnet_stream_last_error (s));
  CHECK (memcmp (out, fresh, sizeof out) == 0,
      "after esdnet_stream_reset the output is not a fresh stream's");
  esdnet_stream_free (s);
}

static void
test_model (const esdnet_model *m)
{
  esdnet_error err;
  static uint8_t dark[W * H * 3], dark2[W * H * 3], bright[W * H * 3];
  static uint8_t fresh[W * H * 3], out[W * H * 3];
  fill (dark, 10);
  fill (dark2, 12);
  fill (bright, 200);

  /* A bright frame after a dark one is a cut: with detection on, the
   * output equals a fresh stream's; with it off, the membranes carry. */
  uint8_t *cut[] = { dark, bright }, *alone[] = { bright };
  run (m, alone, 1, 0.0, fresh);
  esdnet_frame_stats st = run (m, cut, 2, 0.2, out);
  CHECK (st.scene_cut == 1 && st.luma_change > 0.5,
      "no scene cut reported (change %g)", st.luma_change);
  CHECK (memcmp (out, fresh, sizeof out) == 0,
      "after a scene cut the output is not a fresh stream's");
  st = run (m, cut, 2, 0.0, out);
  CHECK (st.scene_cut == 0 && memcmp (out, fresh, sizeof out) != 0,
      "with detection off the membranes must carry");
  /* A small change is no cut. */
  uint8_t *calm[] = { dark, dark2 };
  st = run (m, calm, 2, 0.2, out);
  CHECK (st.scene_cut == 0 && st.luma_change > 0.0 && st.luma_change < 0.05,
      "small change: cut %d, change %g", st.scene_cut, st.luma_change);

  test_reset (m, dark, bright, fresh);
  test_membrane_precision (m);

  /* Arguments and sizes. */
  esdnet_stream *s = esdnet_stream_create (m, W, H, NULL, NULL);
  CHECK (esdnet_stream_set_scene_cut_threshold (s, -0.1)
      == ESDNET_ERROR_INVALID_ARGUMENT, "negative threshold accepted");
  esdnet_image_u8 small = { W - 1, H, W * 3, 3, dark }, o = { W, H, W * 3,
    3, out };
  CHECK (esdnet_stream_process_u8 (s, &small, &o, ESDNET_TEMPORAL_RESET)
      == ESDNET_ERROR_FRAME_SIZE && strstr (esdnet_stream_last_error (s),
          "12x9"), "wrong size: %s", esdnet_stream_last_error (s));
  esdnet_image_u8 in = { W, H, W * 3, 3, dark };
  CHECK (esdnet_stream_process_u8 (s, &in, &o, (esdnet_temporal_mode) 7)
      == ESDNET_ERROR_INVALID_ARGUMENT, "bad mode accepted");
  esdnet_stream_free (s);
  CHECK (esdnet_stream_create (m, 0, 5, NULL, &err) == NULL
      && err.status == ESDNET_ERROR_FRAME_SIZE, "0-wide stream created");
  CHECK (esdnet_stream_create (m, 4097, 5, NULL, &err) == NULL
      && err.status == ESDNET_ERROR_FRAME_SIZE, "4097-wide stream created");
}

int
main (int argc, char **argv)
{
  return run_on_each_model (argc, argv, test_model);
}
