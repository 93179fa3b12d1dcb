/* cmd_eval.c — `esdnet eval`: quality of a model on paired rainy/clean
 * images, with the deraining papers' protocol (metrics.h). */
#include "cli.h"
#include "image_dir.h"
#include "image_io.h"
#include "json_writer.h"
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: esdnet eval [OPTIONS] RAIN_DIR CLEAN_DIR\n"
    "\n"
    "Derains every PNG/JPEG of RAIN_DIR (name order) and compares it with the\n"
    "image of the same name in CLEAN_DIR: Y-channel PSNR and SSIM (BT.601 luma\n"
    "as MATLAB's rgb2ycbcr, 11x11 Gaussian SSIM), with the rainy input's\n"
    "figures beside them.\n"
    "\n"
    "Options:\n"
    "  --model FILE      model file (default: $ESDNET_MODEL, else the built-in one)\n"
    "  --threads N       threads, 0 = one per core (default 0)\n"
    "  --ensemble N      views per image, 1 to 4 (default 1): also mirrored,\n"
    "                    upside down, both; the output is their mean\n"
    "  --temporal MODE   reset (default) or carry: carry treats the images as\n"
    "                    consecutive frames of one video\n"
    "  --crop N          pixels cropped off every border first (default 4)\n"
    "  --video           the pairs are consecutive frames: also report flicker,\n"
    "                    mean |change of output - change of ground truth|\n"
    "  --input-only      measure the rainy inputs only (no model is run)\n"
    "  --per-image       a line per image\n"
    "  --json            one JSON object instead of text\n"
    "  -h, --help        this help\n";

typedef struct {
  double psnr, ssim, flicker;
  int32_t flicker_count;
} scores;

typedef struct {
  esdnet_model *model;
  esdnet_stream *stream;
  esdnet_temporal_mode mode;
  esdnet_stream_params params;
  int32_t crop;
  bool video, input_only, per_image;
  scores derained, rainy;
  int32_t count;
  double ms;
  /* The previous frame's luma, for flicker. */
  double *prev_out, *prev_rain, *prev_clean;
  int32_t prev_w, prev_h;
} evaluator;

static void
add_scores (scores *s, const double *y, const double *clean,
    const double *prev, const double *prev_clean, int32_t w, int32_t h,
    int32_t crop, double *psnr, double *ssim)
{
  *psnr = metric_psnr (y, clean, w, h, crop);
  *ssim = metric_ssim (y, clean, w, h, crop);
  s->psnr += *psnr;
  s->ssim += *ssim;
  if (prev) {
    s->flicker += metric_flicker (y, prev, clean, prev_clean, w, h, crop);
    s->flicker_count++;
  }
}

/* Evaluates one pair; false (reported) on failure. */
static bool
eval_pair (evaluator *e, const char *rain_path, const char *clean_path)
{
  esdnet_image_u8 rain = { 0 }, clean = { 0 }, out = { 0 };
  GError *err = NULL;
  bool ok = image_load (rain_path, &rain, &err)
      && image_load (clean_path, &clean, &err);
  if (!ok) {
    cli_error ("%s", err->message);
    g_error_free (err);
    goto done;
  }
  const int32_t w = rain.width, h = rain.height;
  if (clean.width != w || clean.height != h) {
    cli_error ("'%s' is %dx%d but '%s' is %dx%d", rain_path, w, h,
        clean_path, clean.width, clean.height);
    ok = false;
    goto done;
  }
  if (!e->input_only) {
    if (!e->stream || e->prev_w != w || e->prev_h != h) {
      esdnet_stream_free (e->stream);
      e->stream = cli_create_stream (e->model, w, h, &e->params);
    }
    ok = e->stream && image_alloc (&out, w, h, &err);
    if (e->stream && !ok) {
      cli_error ("%s", err->message);
      g_error_free (err);
    }
    if (!ok)
      goto done;
    const double start = cli_now_ms ();
    if (esdnet_stream_process_u8 (e->stream, &rain, &out, e->mode)) {
      cli_error ("cannot derain '%s': %s", rain_path,
          esdnet_stream_last_error (e->stream));
      ok = false;
      goto done;
    }
    e->ms += cli_now_ms () - start;
  }

  const size_t n = (size_t) w * h;
  const bool same_size = e->prev_out && e->prev_w == w && e->prev_h == h;
  if (!same_size) {
    free (e->prev_out);
    e->prev_out = malloc (3 * n * sizeof (double));
    e->prev_rain = e->prev_out + n;
    e->prev_clean = e->prev_rain + n;
  }
  double *y = calloc (3 * n, sizeof (double));
  if (!y || !e->prev_out) {
    cli_error ("no memory for %dx%d images", w, h);
    free (y);
    ok = false;
    goto done;
  }
  double *y_rain = y + n, *y_clean = y_rain + n;
  metric_luma (&rain, y_rain);
  metric_luma (&clean, y_clean);
  const bool flicker = e->video && same_size;
  double p_in, s_in, p_out = NAN, s_out = NAN;
  add_scores (&e->rainy, y_rain, y_clean, flicker ? e->prev_rain : NULL,
      e->prev_clean, w, h, e->crop, &p_in, &s_in);
  if (!e->input_only) {
    metric_luma (&out, y);
    add_scores (&e->derained, y, y_clean, flicker ? e->prev_out : NULL,
        e->prev_clean, w, h, e->crop, &p_out, &s_out);
  }
  if (e->per_image && e->input_only)
    printf ("%s  rainy %.2f dB %.4f\n", rain_path, p_in, s_in);
  else if (e->per_image)
    printf ("%s  rainy %.2f dB %.4f  derained %.2f dB %.4f\n", rain_path,
        p_in, s_in, p_out, s_out);
  memcpy (e->prev_out, y, 3 * n * sizeof (double));
  e->prev_w = w;
  e->prev_h = h;
  e->count++;
  free (y);

done:
  image_free (&rain);
  image_free (&clean);
  image_free (&out);
  return ok;
}

static void
print_scores (json_writer *w, const char *key, const scores *s, int32_t n,
    bool video)
{
  if (w) {
    json_open (w, key, '{');
    json_number (w, "psnr", s->psnr / n);
    json_number (w, "ssim", s->ssim / n);
    if (video && s->flicker_count)
      json_number (w, "flicker", s->flicker / s->flicker_count);
    json_close (w, '}');
    return;
  }
  printf ("%-9s Y-PSNR %.2f dB  Y-SSIM %.4f", key, s->psnr / n, s->ssim / n);
  if (video && s->flicker_count)
    printf ("  flicker %.3f", s->flicker / s->flicker_count);
  putchar ('\n');
}

int
cmd_eval (int argc, char **argv)
{
  const char *model_arg = NULL, *threads_arg = NULL, *temporal_arg = NULL,
      *crop_arg = NULL, *ensemble_arg = NULL;
  bool json = false;
  evaluator e = { .mode = ESDNET_TEMPORAL_RESET, .crop = 4,
    .params = esdnet_stream_default_params () };
  const cli_option options[] = {
    { "model", &model_arg, NULL },
    { "threads", &threads_arg, NULL },
    { "ensemble", &ensemble_arg, NULL },
    { "temporal", &temporal_arg, NULL },
    { "crop", &crop_arg, NULL },
    { "video", NULL, &e.video },
    { "input-only", NULL, &e.input_only },
    { "per-image", NULL, &e.per_image },
    { "json", NULL, &json },
  };
  const cli_command cmd = { "eval", usage, options, G_N_ELEMENTS (options), 2,
    "RAIN_DIR CLEAN_DIR" };
  const char *operands[2];
  int status = cli_parse_args (&cmd, argc, argv, operands);
  if (status >= 0)
    return status;
  if (!cli_parse_stream_params (threads_arg, ensemble_arg, NULL, &e.params)
      || (temporal_arg && !cli_parse_temporal ("--temporal", temporal_arg,
              &e.mode))
      || (crop_arg && !cli_parse_int ("--crop", crop_arg, 0, 1000, &e.crop)))
    return CLI_EXIT_USAGE;

  GError *err = NULL;
  GPtrArray *names = image_dir_list (operands[0], &err);
  if (!names) {
    cli_error ("%s", err->message);
    g_error_free (err);
    return CLI_EXIT_FAILURE;
  }
  bool ok = names->len > 0;
  if (!ok)
    cli_error ("'%s' holds no PNG or JPEG images", operands[0]);
  const char *model_path = cli_model_path (model_arg);
  if (ok && !e.input_only)
    ok = (e.model = cli_load_model (model_path)) != NULL;
  if (ok && !image_io_init (&err)) {
    cli_error ("cannot start GStreamer: %s", err->message);
    g_error_free (err);
    ok = false;
  }
  for (guint i = 0; ok && i < names->len; i++) {
    char *rain = g_build_filename (operands[0], names->pdata[i], NULL);
    char *clean = g_build_filename (operands[1], names->pdata[i], NULL);
    ok = eval_pair (&e, rain, clean);
    g_free (rain);
    g_free (clean);
  }

  if (ok) {
    json_writer w = { stdout, 0, false };
    if (json) {
      json_open (&w, NULL, '{');
      json_string (&w, "model", e.input_only ? "none"
          : cli_model_name (model_path));
      json_uint (&w, "images", (uint64_t) e.count);
      json_uint (&w, "crop", (uint64_t) e.crop);
      json_string (&w, "temporal", esdnet_temporal_mode_to_string (e.mode));
      json_uint (&w, "ensemble", (uint64_t) e.params.ensemble);
      print_scores (&w, "rainy", &e.rainy, e.count, e.video);
      if (!e.input_only) {
        print_scores (&w, "derained", &e.derained, e.count, e.video);
        json_number (&w, "mean_ms", e.ms / e.count);
      }
      json_close (&w, '}');
      putchar ('\n');
    } else {
      printf ("%d images, %d-pixel border crop, model %s, %s", e.count,
          e.crop, e.input_only ? "none" : cli_model_name (model_path),
          esdnet_temporal_mode_to_string (e.mode));
      if (e.params.ensemble > 1 && !e.input_only)
        printf (", ensemble of %d views", e.params.ensemble);
      putchar ('\n');
      print_scores (NULL, "rainy", &e.rainy, e.count, e.video);
      if (!e.input_only) {
        print_scores (NULL, "derained", &e.derained, e.count, e.video);
        printf ("time      %.1f ms per image\n", e.ms / e.count);
      }
    }
  }
  free (e.prev_out);
  esdnet_stream_free (e.stream);
  esdnet_model_free (e.model);
  g_ptr_array_unref (names);
  return ok ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
