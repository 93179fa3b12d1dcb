/* cmd_bench.c — `esdnet bench`: time and spiking activity on a synthetic
 * frame. */
#include "cli.h"
#include "json_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static const char usage[] =
    "Usage: esdnet bench [OPTIONS]\n"
    "\n"
    "Runs the network on a synthetic frame (the same every run) and reports\n"
    "the time per frame, the peak memory, and the spiking activity and\n"
    "estimated energy of the last frame against the same network as an ANN.\n"
    "\n"
    "  --model FILE      model file (default: $ESDNET_MODEL)\n"
    "  --size WxH        frame size, 1x1 to 4096x2304 (default 640x360)\n"
    "  --frames N        frames timed (default 10)\n"
    "  --warmup N        frames run first, untimed (default 2)\n"
    "  --threads N       threads, 0 = one per core (default)\n"
    "  --temporal MODE   reset (default) or carry: the membranes carry over\n"
    "                    from one frame to the next\n"
    "  --membranes P     f32 (default) or f16: carried membranes in half\n"
    "                    the memory, a few spikes off the float32 result\n"
    "  --ensemble N      views per frame, 1 to 4 (default 1): also mirrored,\n"
    "                    upside down, both, averaged (N times the work)\n"
    "  --layers          also the firing rate of every LIF layer\n"
    "  --json            print one JSON object\n";

#define MAX_FRAMES 1000000

typedef struct {
  const char *model_path;
  int32_t width, height, frames, warmup;
  esdnet_stream_params params;
  esdnet_temporal_mode mode;
  bool layers;
} bench_options;

typedef struct {
  double median_ms, min_ms, max_ms, peak_rss_mb;
  double work_ms[ESDNET_WORK_COUNT]; /* summed over the measured frames */
  esdnet_frame_stats stats; /* of the last frame */
} bench_result;

/* A smooth colour gradient under a fixed pseudo-random noise, so that the
 * network sees texture and every run sees the same frame. */
static void
fill_synthetic (esdnet_image_u8 *image)
{
  uint32_t state = 1;
  for (int32_t y = 0; y < image->height; y++) {
    uint8_t *row = image->data + (size_t) y * image->stride;
    for (int32_t x = 0; x < image->width; x++) {
      const int base[3] = {
        255 * x / image->width,
        255 * y / image->height,
        255 * (x + y) / (image->width + image->height),
      };
      for (int c = 0; c < 3; c++) {
        state = state * 1664525u + 1013904223u;
        const int v = base[c] + (int) (state >> 27) - 16;
        row[3 * x + c] = (uint8_t) (v < 0 ? 0 : v > 255 ? 255 : v);
      }
    }
  }
}

static int
compare_doubles (const void *a, const void *b)
{
  const double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Runs the frames; false (reported) on failure. */
static bool
run_bench (const bench_options *o, esdnet_stream *stream,
    bench_result *result)
{
  esdnet_image_u8 in = { o->width, o->height, 3 * o->width, 3, NULL };
  esdnet_image_u8 out = in;
  const size_t bytes = (size_t) in.stride * in.height;
  in.data = malloc (bytes);
  out.data = malloc (bytes);
  double *ms = malloc (sizeof *ms * (size_t) o->frames);
  bool ok = in.data && out.data && ms;
  if (!ok) {
    cli_error ("no memory for %dx%d frames", o->width, o->height);
  } else {
    fill_synthetic (&in);
    for (int32_t i = 0; ok && i < o->warmup + o->frames; i++) {
      const double start = cli_now_ms ();
      ok = esdnet_stream_process_u8 (stream, &in, &out, o->mode) == ESDNET_OK;
      if (ok && i >= o->warmup) {
        ms[i - o->warmup] = cli_now_ms () - start;
        esdnet_stream_get_stats (stream, &result->stats);
        for (int k = 0; k < ESDNET_WORK_COUNT; k++)
          result->work_ms[k] += result->stats.work_ms[k];
      }
    }
    if (!ok)
      cli_error ("cannot process a frame: %s",
          esdnet_stream_last_error (stream));
  }
  if (ok) {
    const int32_t n = o->frames;
    qsort (ms, (size_t) n, sizeof *ms, compare_doubles);
    result->median_ms = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
    result->min_ms = ms[0];
    result->max_ms = ms[n - 1];
    struct rusage usage_now;
    getrusage (RUSAGE_SELF, &usage_now);
    result->peak_rss_mb = usage_now.ru_maxrss / 1024.0; /* Linux: kB */
  }
  free (ms);
  free (out.data);
  free (in.data);
  return ok;
}

static double
energy_ratio (const esdnet_frame_stats *s)
{
  return s->ann_energy_pj > 0 ? s->energy_pj / s->ann_energy_pj : 0.0;
}

/* Share of the measured time spent in each kind of work. */
static double
work_share (const bench_result *r, int kind)
{
  double total = 0.0;
  for (int k = 0; k < ESDNET_WORK_COUNT; k++)
    total += r->work_ms[k];
  return total > 0.0 ? r->work_ms[kind] / total : 0.0;
}

/* ops per second (G) over the median frame's time in one or two kinds of
 * work (kind2 < 0: none), scaled from the profile's shares. */
static double
rate_g (double ops, const bench_result *r, int kind, int kind2)
{
  const double share = work_share (r, kind) + (kind2 >= 0
      ? work_share (r, kind2) : 0.0);
  return share > 0.0 ? ops / (share * r->median_ms * 1e-3) / 1e9 : 0.0;
}

static void
print_text (const bench_options *o, const bench_result *r,
    const esdnet_stream *stream)
{
  const esdnet_frame_stats *s = &r->stats;
  printf ("model         %s\n", cli_model_name (o->model_path));
  printf ("frames        %d of %dx%d after %d warm-up, temporal %s, "
      "threads %d%s, %s membranes, ensemble %d\n", o->frames, o->width,
      o->height, o->warmup, esdnet_temporal_mode_to_string (o->mode),
      o->params.num_threads, o->params.num_threads ? "" : " (one per core)",
      esdnet_membrane_precision_to_string (o->params.membranes),
      o->params.ensemble);
  printf ("time          median %.2f ms, min %.2f ms, max %.2f ms, %.2f fps\n",
      r->median_ms, r->min_ms, r->max_ms, 1000.0 / r->median_ms);
  printf ("peak memory   %.1f MB resident\n", r->peak_rss_mb);
  printf ("last frame    firing rate %.4f, %.4g G ACs, %.4g G MACs "
      "(ANN: %.4g G MACs)\n", s->firing_rate, s->acs / 1e9, s->macs / 1e9,
      s->ann_macs / 1e9);
  printf ("energy        %.1f uJ, ANN %.1f uJ, ratio %.3f\n",
      s->energy_pj / 1e6, s->ann_energy_pj / 1e6, energy_ratio (s));
  printf ("time shares  ");
  for (int k = 0; k < ESDNET_WORK_COUNT; k++)
    printf (" %s %.1f%%%s", esdnet_work_kind_to_string (k),
        100.0 * work_share (r, k), k + 1 < ESDNET_WORK_COUNT ? "," : "\n");
  printf ("throughput    spike convs %.2f G synaptic ops/s (%.2f G ACs/s), "
      "dense convs and refinement %.2f G MAC/s\n",
      rate_g (s->synaptic_ops, r, ESDNET_WORK_SPIKE_CONV, -1),
      rate_g (s->acs, r, ESDNET_WORK_SPIKE_CONV, -1),
      rate_g (s->macs, r, ESDNET_WORK_DENSE_CONV, ESDNET_WORK_REFINE));
  if (!o->layers)
    return;
  printf ("layer firing rates (last frame)\n");
  for (int32_t i = 0; i < esdnet_stream_layer_count (stream); i++) {
    esdnet_layer_stats l;
    if (esdnet_stream_get_layer_stats (stream, i, &l) == ESDNET_OK)
      printf ("  %-32s %.4f\n", l.name, l.firing_rate);
  }
}

static void
print_json (const bench_options *o, const bench_result *r,
    const esdnet_stream *stream)
{
  const esdnet_frame_stats *s = &r->stats;
  json_writer w = { stdout, 0, false };
  json_open (&w, NULL, '{');
  json_string (&w, "model", cli_model_name (o->model_path));
  json_uint (&w, "width", (uint64_t) o->width);
  json_uint (&w, "height", (uint64_t) o->height);
  json_uint (&w, "threads", (uint64_t) o->params.num_threads);
  json_string (&w, "membranes",
      esdnet_membrane_precision_to_string (o->params.membranes));
  json_uint (&w, "ensemble", (uint64_t) o->params.ensemble);
  json_string (&w, "temporal", esdnet_temporal_mode_to_string (o->mode));
  json_uint (&w, "frames", (uint64_t) o->frames);
  json_uint (&w, "warmup", (uint64_t) o->warmup);
  json_number (&w, "median_ms", r->median_ms);
  json_number (&w, "min_ms", r->min_ms);
  json_number (&w, "max_ms", r->max_ms);
  json_number (&w, "fps", 1000.0 / r->median_ms);
  json_number (&w, "peak_rss_mb", r->peak_rss_mb);
  json_number (&w, "firing_rate", s->firing_rate);
  json_number (&w, "acs", s->acs);
  json_number (&w, "synaptic_ops", s->synaptic_ops);
  json_number (&w, "spike_conv_gops", rate_g (s->synaptic_ops, r,
          ESDNET_WORK_SPIKE_CONV, -1));
  json_number (&w, "dense_gmacs", rate_g (s->macs, r, ESDNET_WORK_DENSE_CONV,
          ESDNET_WORK_REFINE));
  json_number (&w, "macs", s->macs);
  json_number (&w, "ann_macs", s->ann_macs);
  json_number (&w, "energy_uj", s->energy_pj / 1e6);
  json_number (&w, "ann_energy_uj", s->ann_energy_pj / 1e6);
  json_number (&w, "energy_ratio", energy_ratio (s));
  json_open (&w, "time_shares", '{');
  for (int k = 0; k < ESDNET_WORK_COUNT; k++)
    json_number (&w, esdnet_work_kind_to_string (k), work_share (r, k));
  json_close (&w, '}');
  if (o->layers) {
    json_open (&w, "layers", '[');
    for (int32_t i = 0; i < esdnet_stream_layer_count (stream); i++) {
      esdnet_layer_stats l;
      if (esdnet_stream_get_layer_stats (stream, i, &l) != ESDNET_OK)
        continue;
      json_open (&w, NULL, '{');
      json_string (&w, "name", l.name);
      json_number (&w, "firing_rate", l.firing_rate);
      json_uint (&w, "spikes", l.spikes);
      json_uint (&w, "neurons", l.neurons);
      json_close (&w, '}');
    }
    json_close (&w, ']');
  }
  json_close (&w, '}');
  putchar ('\n');
}

int
cmd_bench (int argc, char **argv)
{
  const char *model_arg = NULL, *size_arg = NULL, *frames_arg = NULL,
      *warmup_arg = NULL, *threads_arg = NULL, *temporal_arg = NULL,
      *membranes_arg = NULL, *ensemble_arg = NULL;
  bool json = false;
  bench_options o = { .width = 640, .height = 360, .frames = 10,
    .warmup = 2, .mode = ESDNET_TEMPORAL_RESET,
    .params = esdnet_stream_default_params () };
  const cli_option options[] = {
    { "model", &model_arg, NULL },
    { "size", &size_arg, NULL },
    { "frames", &frames_arg, NULL },
    { "warmup", &warmup_arg, NULL },
    { "threads", &threads_arg, NULL },
    { "temporal", &temporal_arg, NULL },
    { "membranes", &membranes_arg, NULL },
    { "ensemble", &ensemble_arg, NULL },
    { "layers", NULL, &o.layers },
    { "json", NULL, &json },
  };
  const cli_command cmd = { "bench", usage, options,
    sizeof options / sizeof *options, 0, "" };
  const int status = cli_parse_args (&cmd, argc, argv, NULL);
  if (status >= 0)
    return status;
  if ((size_arg && !cli_parse_size ("--size", size_arg, &o.width, &o.height))
      || (frames_arg && !cli_parse_int ("--frames", frames_arg, 1,
              MAX_FRAMES, &o.frames))
      || (warmup_arg && !cli_parse_int ("--warmup", warmup_arg, 0,
              MAX_FRAMES, &o.warmup))
      || !cli_parse_stream_params (threads_arg, ensemble_arg, membranes_arg,
          &o.params)
      || (temporal_arg && !cli_parse_temporal ("--temporal", temporal_arg,
              &o.mode)))
    return CLI_EXIT_USAGE;
  o.model_path = cli_model_path (model_arg);

  esdnet_model *model = cli_load_model (o.model_path);
  esdnet_stream *stream =
      model ? cli_create_stream (model, o.width, o.height, &o.params) : NULL;
  bench_result result = { 0 };
  const bool ok = stream && run_bench (&o, stream, &result);
  if (ok)
    (json ? print_json : print_text) (&o, &result, stream);
  esdnet_stream_free (stream);
  esdnet_model_free (model);
  return ok ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
