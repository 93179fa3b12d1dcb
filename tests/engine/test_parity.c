/* test_parity.c — the engine against the PyTorch reference on the committed
 * fixtures (tests/fixtures, made by models/make_fixtures.py), reset and
 * carry mode, frame by frame.
 *
 * Tolerance. Float32 sums in a different order differ by ~1e-6; the only way
 * a correct engine can differ more is a membrane landing within that much
 * of the threshold, so one spike flips and its effect spreads downstream.
 * So a frame passes when
 *   - every layer's spike count is within 2 + 0.2 % of the reference's, and
 *   - at least 99 % of output values are within 1e-4, and all within 0.05;
 *     with no spike count differing at all, every value must be within 1e-4.
 * A real bug (a wrong tap, channel order, gate, reset rule) moves spike
 * counts by far more and shifts most outputs. The test proves the criterion
 * can fail: frames from the wrong mode or the wrong time step must be
 * rejected by it (negative controls).
 */
#include "esdnet.h"
#include "check.h"
#include "fixture.h"

#include <dirent.h>
#include <stdbool.h>
#include <math.h>
#include <string.h>

#define VALUE_TOL 1e-4
#define VALUE_MAX_TOL 0.05
#define CLOSE_FRACTION 0.99

typedef struct {
  const char *name;
  int32_t frames, width, height, layers;
  float *input, *out[2], *spikes[2];   /* [0] reset, [1] carry */
} fixture;


static bool
load_fixture (const char *dir, const char *name, fixture *fx, st_file *file,
    uint8_t **bytes)
{
  char path[1024];
  size_t size;
  snprintf (path, sizeof path, "%s/%s.io.safetensors", dir, name);
  *bytes = fixture_read_file (path, &size);
  if (!*bytes)
    return false;
  esdnet_error err;
  if (st_file_parse (*bytes, size, file, &err) != ESDNET_OK) {
    fprintf (stderr, "%s: %s\n", path, err.message);
    return false;
  }
  const st_tensor *in = st_file_find (file, "input");
  const char *names[4] = { "output_reset", "output_carry", "spikes_reset",
    "spikes_carry" };
  const st_tensor *t[4];
  for (int i = 0; i < 4; i++)
    t[i] = st_file_find (file, names[i]);
  if (!in || in->ndim != 4 || !t[0] || !t[1] || !t[2] || !t[3]) {
    fprintf (stderr, "%s: missing tensors\n", path);
    return false;
  }
  fx->name = name;
  fx->frames = (int32_t) in->shape[0];
  fx->height = (int32_t) in->shape[2];
  fx->width = (int32_t) in->shape[3];
  fx->layers = (int32_t) t[2]->shape[1];
  fx->input = fixture_tensor_f32 (in);
  for (int m = 0; m < 2; m++) {
    fx->out[m] = fixture_tensor_f32 (t[m]);
    fx->spikes[m] = fixture_tensor_f32 (t[2 + m]);
  }
  return true;
}

static void
free_fixture (fixture *fx)
{
  free (fx->input);
  for (int m = 0; m < 2; m++) {
    free (fx->out[m]);
    free (fx->spikes[m]);
  }
}

typedef struct {
  double max_err, close_fraction;
  int64_t worst_spike_diff;
} frame_diff;

/* Whether an engine frame matches a reference frame under the tolerance. */
static bool
frame_matches (const float *out, const float *ref, size_t n,
    const uint64_t *spikes, const float *ref_spikes, int32_t layers,
    frame_diff *d)
{
  bool spikes_ok = true, any_spike_diff = false;
  d->worst_spike_diff = 0;
  for (int32_t l = 0; l < layers; l++) {
    int64_t diff = llabs ((int64_t) spikes[l] - (int64_t) ref_spikes[l]);
    any_spike_diff |= diff != 0;
    spikes_ok &= diff <= 2 + (int64_t) (0.002 * ref_spikes[l]);
    if (diff > d->worst_spike_diff)
      d->worst_spike_diff = diff;
  }
  size_t close = 0;
  d->max_err = 0.0;
  for (size_t i = 0; i < n; i++) {
    double e = fabs ((double) out[i] - ref[i]);
    close += e <= VALUE_TOL;
    if (e > d->max_err || isnan (e))
      d->max_err = isnan (e) ? INFINITY : e;
  }
  d->close_fraction = (double) close / n;
  if (!any_spike_diff)
    return spikes_ok && d->max_err <= VALUE_TOL;
  return spikes_ok && d->close_fraction >= CLOSE_FRACTION
      && d->max_err <= VALUE_MAX_TOL;
}

/* Runs all frames in one mode; out/spikes receive every frame. */
static bool
run_engine (const esdnet_model *model, const fixture *fx, int mode,
    float *out, uint64_t *spikes)
{
  esdnet_error err;
  esdnet_stream_params sp = esdnet_stream_default_params ();
  esdnet_stream *s = esdnet_stream_create (model, fx->width, fx->height, &sp,
      &err);
  if (!s) {
    fprintf (stderr, "%s: stream: %s\n", fx->name, err.message);
    return false;
  }
  CHECK (esdnet_stream_layer_count (s) == fx->layers,
      "%s: %d LIF layers, reference has %d", fx->name,
      esdnet_stream_layer_count (s), fx->layers);
  const size_t frame = (size_t) 3 * fx->width * fx->height;
  for (int32_t f = 0; f < fx->frames; f++) {
    esdnet_status st = esdnet_stream_process_f32 (s, fx->input + f * frame,
        out + f * frame, mode ? ESDNET_TEMPORAL_CARRY : ESDNET_TEMPORAL_RESET);
    CHECK (st == ESDNET_OK, "%s: process: %s", fx->name,
        esdnet_stream_last_error (s));
    for (int32_t l = 0; l < fx->layers && l < esdnet_stream_layer_count (s);
        l++) {
      esdnet_layer_stats ls;
      esdnet_stream_get_layer_stats (s, l, &ls);
      spikes[f * fx->layers + l] = ls.spikes;
    }
  }
  esdnet_stream_free (s);
  return true;
}

static void
test_fixture (const char *dir, const char *name)
{
  fixture fx = { 0 };
  st_file file;
  uint8_t *bytes = NULL;
  char path[1024];
  if (!load_fixture (dir, name, &fx, &file, &bytes)) {
    failures++;
    free (bytes);
    return;
  }
  snprintf (path, sizeof path, "%s/%s.model.safetensors", dir, name);
  esdnet_error err;
  esdnet_model *model = esdnet_model_load_from_file (path, &err);
  CHECK (model != NULL, "%s: %s", name, err.message);

  const size_t frame = (size_t) 3 * fx.width * fx.height;
  float *out[2];
  uint64_t *spikes[2];
  for (int m = 0; m < 2 && model; m++) {
    out[m] = malloc (frame * fx.frames * sizeof (float));
    spikes[m] = calloc ((size_t) fx.frames * fx.layers, sizeof (uint64_t));
    run_engine (model, &fx, m, out[m], spikes[m]);
    for (int32_t f = 0; f < fx.frames; f++) {
      frame_diff d;
      bool ok = frame_matches (out[m] + f * frame, fx.out[m] + f * frame,
          frame, spikes[m] + f * fx.layers, fx.spikes[m] + f * fx.layers,
          fx.layers, &d);
      printf ("%-8s %-5s frame %d: max |diff| %.2e, %.2f%% within %.0e, "
          "worst layer spike diff %lld\n", name, m ? "carry" : "reset", f,
          d.max_err, 100.0 * d.close_fraction, VALUE_TOL,
          (long long) d.worst_spike_diff);
      CHECK (ok, "%s %s frame %d outside tolerance", name,
          m ? "carry" : "reset", f);
    }
  }
  if (model) {
    /* Negative controls: the criterion must tell frames apart. */
    int32_t rejected = 0, controls = 0;
    for (int32_t f = 1; f < fx.frames; f++) {
      frame_diff d;
      controls += 2;
      rejected += !frame_matches (out[0] + f * frame, fx.out[1] + f * frame,
          frame, spikes[0] + f * fx.layers, fx.spikes[1] + f * fx.layers,
          fx.layers, &d);
      rejected += !frame_matches (out[1] + f * frame,
          fx.out[1] + (f - 1) * frame, frame, spikes[1] + f * fx.layers,
          fx.spikes[1] + (f - 1) * fx.layers, fx.layers, &d);
    }
    printf ("%-8s negative controls rejected: %d of %d\n", name, rejected,
        controls);
    CHECK (rejected == controls, "%s: the tolerance accepts wrong frames",
        name);
    for (int m = 0; m < 2; m++) {
      free (out[m]);
      free (spikes[m]);
    }
  }
  esdnet_model_free (model);
  st_file_clear (&file);
  free (bytes);
  free_fixture (&fx);
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
    return 2;
  }
  DIR *dir = opendir (argv[1]);
  if (!dir) {
    fprintf (stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  char *names[64];
  int n = 0;
  const char *suffix = ".io.safetensors";
  for (struct dirent *e; (e = readdir (dir)) && n < 64;) {
    size_t len = strlen (e->d_name), sl = strlen (suffix);
    if (len > sl && strcmp (e->d_name + len - sl, suffix) == 0)
      names[n++] = strndup (e->d_name, len - sl);
  }
  closedir (dir);
  qsort (names, (size_t) n, sizeof *names, compare_names);
  CHECK (n >= 4, "only %d fixtures in %s", n, argv[1]);
  for (int i = 0; i < n; i++) {
    test_fixture (argv[1], names[i]);
    free (names[i]);
  }
  if (failures)
    fprintf (stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
