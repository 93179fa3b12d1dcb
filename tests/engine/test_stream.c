/* test_stream.c — stream behaviour through the public API: scene cuts in
 * carry mode, argument errors, frame sizes. */
#include "esdnet.h"
#include "check.h"

#include <stdlib.h>
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

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s MODEL\n", argv[0]);
    return 2;
  }
  esdnet_error err;
  esdnet_model *m = esdnet_model_load_from_file (argv[1], &err);
  if (!m) {
    fprintf (stderr, "%s\n", err.message);
    return 1;
  }
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
  esdnet_model_free (m);
  if (failures)
    fprintf (stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
