/* cmd_derain.c — `esdnet derain`: image files, or a directory of them,
 * through the network into PNG files; video files into video files
 * (derain_video.c). */
#include "cli.h"
#include "image_dir.h"
#include "derain_video.h"
#include "image_io.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "Usage: esdnet derain [OPTIONS] INPUT OUTPUT\n"
    "\n"
    "Removes rain from INPUT, a PNG or JPEG image, and writes OUTPUT as PNG.\n"
    "If INPUT is a directory, its *.png, *.jpg and *.jpeg files are taken in\n"
    "name order and written into the directory OUTPUT (made if missing) with\n"
    "the same names ending in .png.\n"
    "\n"
    "If INPUT is a video (.mp4 .mkv .mov .avi .webm .ts .m4v .ogv, or any\n"
    "file GStreamer recognises as a video container), every frame is derained\n"
    "and OUTPUT is written as a video: H.264 in MP4 (.mp4 .m4v), QuickTime\n"
    "(.mov), AVI (.avi) or MPEG-TS (.ts), VP8 in WebM (.webm), H.264 in\n"
    "Matroska (.mkv and any other name; .ogv is read, not written). Audio is\n"
    "copied as it is, or re-encoded where the container needs it; other\n"
    "streams are copied if the container takes them as they are, else dropped\n"
    "with a note. A progress line shows on a terminal; Ctrl-C ends OUTPUT early\n"
    "as a playable file (exit status 130).\n"
    "\n"
    "  --model FILE         model file (default: $ESDNET_MODEL)\n"
    "  --temporal MODE      reset: every image starts from rest (the default\n"
    "                       for images); carry: the membranes carry over from\n"
    "                       one frame to the next (the default for video)\n"
    "  --scene-cut F        video in carry mode: start from rest again when the\n"
    "                       mean luma change between frames exceeds F (0..1,\n"
    "                       default 0.2 as the esdnetderain element; 0 = never)\n"
    "  --membranes P        f32 (default) or f16: membranes carried between\n"
    "                       frames in half the memory, a few spikes off the\n"
    "                       float32 result\n"
    "  --ensemble N         views per frame, 1 to 4 (default 1): the picture\n"
    "                       also mirrored, upside down and both, each with\n"
    "                       its own membranes; the output is their mean (N\n"
    "                       times the work, a cleaner picture)\n"
    "  --side-by-side       write the original and the derained picture next\n"
    "                       to each other (twice as wide)\n"
    "  --threads N          threads, 0 = one per core (default)\n";

/* One image to process. */
typedef struct {
  char *input;
  char *output;
} job;

static job *
job_new (char *input, char *output)
{
  job *j = g_new (job, 1);
  j->input = input;
  j->output = output;
  return j;
}

static void
job_free (gpointer p)
{
  job *j = p;
  g_free (j->input);
  g_free (j->output);
  g_free (j);
}

static bool
same_file (const char *a, const char *b)
{
  GStatBuf sa, sb;
  return g_stat (a, &sa) == 0 && g_stat (b, &sb) == 0
      && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The directory's images in name order, each with its PNG in out_dir.
 * NULL (reported) on failure. */
static GPtrArray *
list_directory (const char *in_dir, const char *out_dir)
{
  GError *err = NULL;
  GPtrArray *names = image_dir_list (in_dir, &err);
  if (!names) {
    cli_error ("%s", err->message);
    g_error_free (err);
    return NULL;
  }

  GPtrArray *jobs = g_ptr_array_new_with_free_func (job_free);
  /* "a.jpg" and "a.png" would both become "a.png": refuse to overwrite. */
  GHashTable *writers = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; jobs && i < names->len; i++) {
    const char *name = names->pdata[i];
    char *png = g_strdup_printf ("%.*s.png", (int) (strrchr (name, '.') - name),
        name);
    job *j = job_new (g_build_filename (in_dir, name, NULL),
        g_build_filename (out_dir, png, NULL));
    g_free (png);
    g_ptr_array_add (jobs, j);
    const char *earlier = g_hash_table_lookup (writers, j->output);
    if (earlier) {
      cli_error ("'%s' and '%s' would both be written to '%s'", earlier,
          name, j->output);
      g_clear_pointer (&jobs, g_ptr_array_unref);
    } else {
      g_hash_table_insert (writers, j->output, (gpointer) name);
    }
  }
  g_hash_table_unref (writers);
  g_ptr_array_unref (names);
  if (jobs && jobs->len == 0) {
    cli_error ("'%s' holds no PNG or JPEG images", in_dir);
    g_clear_pointer (&jobs, g_ptr_array_unref);
  }
  return jobs;
}

/* The jobs for INPUT and OUTPUT; NULL (reported) on failure, with *status
 * the exit status. */
static GPtrArray *
plan_jobs (const char *input, const char *output, int *status)
{
  *status = CLI_EXIT_FAILURE;
  if (!g_file_test (input, G_FILE_TEST_IS_DIR)) {
    GPtrArray *jobs = g_ptr_array_new_with_free_func (job_free);
    g_ptr_array_add (jobs, job_new (g_strdup (input), g_strdup (output)));
    return jobs;
  }
  if (same_file (input, output)) {
    cli_error ("OUTPUT must be another directory than INPUT, whose .png "
        "files it would overwrite");
    *status = CLI_EXIT_USAGE;
    return NULL;
  }
  GPtrArray *jobs = list_directory (input, output);
  if (jobs && g_mkdir_with_parents (output, 0777) != 0) {
    cli_error ("cannot make the directory '%s': %s", output,
        g_strerror (errno));
    g_clear_pointer (&jobs, g_ptr_array_unref);
  }
  return jobs;
}

/* What stays from one image to the next. */
typedef struct {
  const esdnet_model *model;
  esdnet_stream_params params;
  esdnet_temporal_mode mode;
  bool side_by_side;
  esdnet_stream *stream;
  esdnet_image_u8 output;     /* the stream's frame size */
  int frames;
  double total_ms;
  uint64_t spikes, neurons;
} derainer;

/* A stream and output image of the size; a new size starts a new stream,
 * so carried membranes start from rest again. */
static bool
fit_size (derainer *d, int32_t width, int32_t height)
{
  if (d->stream && d->output.width == width && d->output.height == height)
    return true;
  g_clear_pointer (&d->stream, esdnet_stream_free);
  image_free (&d->output);
  GError *err = NULL;
  if (!image_alloc (&d->output, width, height, &err)) {
    cli_error ("%s", err->message);
    g_error_free (err);
    return false;
  }
  d->stream = cli_create_stream (d->model, width, height, &d->params);
  return d->stream != NULL;
}

static bool
derain_one (derainer *d, const job *j)
{
  GError *err = NULL;
  esdnet_image_u8 input = { 0 };
  bool ok = image_load (j->input, &input, &err)
      && fit_size (d, input.width, input.height);
  if (ok) {
    const double start = cli_now_ms ();
    ok = esdnet_stream_process_u8 (d->stream, &input, &d->output,
        d->mode) == ESDNET_OK;
    const double ms = cli_now_ms () - start;
    if (!ok)
      cli_error ("cannot derain '%s': %s", j->input,
          esdnet_stream_last_error (d->stream));
    esdnet_image_u8 pair = { 0 };
    if (ok && d->side_by_side)
      ok = image_side_by_side (&input, &d->output, &pair, &err);
    ok = ok && image_save_png (d->side_by_side ? &pair : &d->output,
        j->output, &err);
    image_free (&pair);
    if (ok) {
      esdnet_frame_stats stats;
      esdnet_stream_get_stats (d->stream, &stats);
      d->frames++;
      d->total_ms += ms;
      d->spikes += stats.spikes;
      d->neurons += stats.neurons;
      printf ("%s -> %s  %dx%d  %.1f ms\n", j->input, j->output,
          d->side_by_side ? 2 * input.width : input.width, input.height, ms);
      fflush (stdout); /* progress, also through a pipe */
    }
  }
  if (err) {
    cli_error ("%s", err->message);
    g_error_free (err);
  }
  image_free (&input);
  return ok;
}

/* A video INPUT: OUTPUT is checked, then the model loaded. */
static int
derain_video_file (const char *input, const char *output,
    const char *model_path, video_settings *settings)
{
  if (same_file (input, output)) {
    cli_error ("OUTPUT must be another file than INPUT");
    return CLI_EXIT_USAGE;
  }
  if (image_dir_is_image_name (output) || g_file_test (output,
          G_FILE_TEST_IS_DIR)) {
    cli_error ("'%s' is a video: OUTPUT must name a video file, such as "
        "out.mp4 or out.mkv", input);
    return CLI_EXIT_USAGE;
  }
  esdnet_model *model = cli_load_model (model_path);
  if (!model)
    return CLI_EXIT_FAILURE;
  settings->model = model;
  const int status = video_derain (input, output, settings);
  esdnet_model_free (model);
  return status;
}

int
cmd_derain (int argc, char **argv)
{
  const char *model_arg = NULL, *temporal_arg = NULL, *threads_arg = NULL,
      *scene_cut_arg = NULL, *membranes_arg = NULL, *ensemble_arg = NULL;
  bool side_by_side = false;
  const cli_option options[] = {
    { "model", &model_arg, NULL },
    { "temporal", &temporal_arg, NULL },
    { "scene-cut", &scene_cut_arg, NULL },
    { "membranes", &membranes_arg, NULL },
    { "ensemble", &ensemble_arg, NULL },
    { "side-by-side", NULL, &side_by_side },
    { "threads", &threads_arg, NULL },
  };
  const cli_command cmd = { "derain", usage, options, G_N_ELEMENTS (options),
    2, "INPUT and OUTPUT" };
  const char *operands[2];
  int status = cli_parse_args (&cmd, argc, argv, operands);
  if (status >= 0)
    return status;

  derainer d = { .mode = ESDNET_TEMPORAL_RESET, .side_by_side = side_by_side,
    .params = esdnet_stream_default_params () };
  video_settings video = { .mode = ESDNET_TEMPORAL_CARRY,
    .scene_cut = VIDEO_DEFAULT_SCENE_CUT, .side_by_side = side_by_side };
  if ((temporal_arg && !cli_parse_temporal ("--temporal", temporal_arg,
              &d.mode))
      || !cli_parse_stream_params (threads_arg, ensemble_arg, membranes_arg,
          &d.params)
      || (scene_cut_arg && !cli_parse_double ("--scene-cut", scene_cut_arg,
              0.0, 1.0, &video.scene_cut)))
    return CLI_EXIT_USAGE;
  if (temporal_arg)
    video.mode = d.mode;
  video.params = d.params;
  const char *model_path = cli_model_path (model_arg);

  GError *err = NULL;
  if (!image_io_init (&err)) {
    cli_error ("cannot start GStreamer: %s", err->message);
    g_error_free (err);
    return CLI_EXIT_FAILURE;
  }
  if (!g_file_test (operands[0], G_FILE_TEST_IS_DIR)) {
    char *type;
    const media_kind kind = video_probe_file (operands[0], &type);
    if (kind == MEDIA_OTHER)
      cli_error ("cannot read '%s': it is neither an image nor a video (%s)",
          operands[0], type);
    g_free (type);
    if (kind == MEDIA_OTHER)
      return CLI_EXIT_FAILURE;
    if (kind == MEDIA_VIDEO)
      return derain_video_file (operands[0], operands[1], model_path, &video);
  }

  GPtrArray *jobs = plan_jobs (operands[0], operands[1], &status);
  if (!jobs)
    return status;
  esdnet_model *model = cli_load_model (model_path);
  bool ok = model != NULL;
  d.model = model;
  for (guint i = 0; ok && i < jobs->len; i++)
    ok = derain_one (&d, jobs->pdata[i]);
  if (ok)
    printf ("%d frame%s, mean %.1f ms, firing rate %.4f\n", d.frames,
        d.frames == 1 ? "" : "s", d.total_ms / d.frames,
        d.neurons ? (double) d.spikes / d.neurons : 0.0);

  esdnet_stream_free (d.stream);
  image_free (&d.output);
  esdnet_model_free (model);
  g_ptr_array_unref (jobs);
  return ok ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
