/* derain_video.c — `esdnet derain` on video files.
 *
 * One GStreamer pipeline, built element by element so that paths go into
 * properties as they are:
 *
 *   filesrc ! decodebin ┬ first video ─ queue ! videoconvert ! RGB ! appsink
 *                       ├ other streams the muxer takes ─ queue ─────────┐
 *                       ├ audio it does not take ─ queue ! audioconvert  │
 *                       │     ! audioresample ! AUDIO ENCODER ───────────┤
 *                       └ anything else ─ fakesink (dropped, with a note)│
 *   appsrc ! videoconvert ! I420 ! VIDEO ENCODER ─────────────────── MUXER ! filesink
 *
 * The program pulls each decoded frame from the appsink, runs it through
 * the engine (esdnet_stream_process_u8) in this thread and pushes the
 * result into the appsrc, so the esdnetderain element need not be
 * installed; decoding and encoding run in GStreamer's threads meanwhile.
 *
 * Where each decoded stream goes is video_route.c's job.
 * Compressed audio is passed through: decodebin's autoplug-continue stops
 * at parsed audio the muxer accepts. Audio the muxer cannot take is decoded
 * and re-encoded (AAC, MP3, Opus, Vorbis or FLAC, whichever the muxer
 * takes). Extra video streams and streams the muxer has no pad for are
 * dropped with a note on stderr.
 *
 * Temporal mode: carry (the default for video) keeps the membranes from
 * frame to frame and resets them, as the element does, on a scene cut
 * (mean absolute luma change above --scene-cut), on a discontinuity and
 * on a change of frame size. */
#include "derain_video.h"

#include "cli.h"
#include "video_job.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------- building */

static void
configure_encoder (GstElement *enc, const char *factory)
{
  if (strcmp (factory, "x264enc") == 0) {
    /* Constant quality near the source's (CRF 18), fast. */
    gst_util_set_object_arg (G_OBJECT (enc), "speed-preset", "veryfast");
    gst_util_set_object_arg (G_OBJECT (enc), "pass", "qual");
    g_object_set (enc, "quantizer", 18u, NULL);
  } else if (strcmp (factory, "vp8enc") == 0) {
    gst_util_set_object_arg (G_OBJECT (enc), "end-usage", "cq");
    g_object_set (enc, "cq-level", 10, "target-bitrate", 20000000,
        "deadline", (gint64) 1, "cpu-used", 4, NULL);
  }
}

static bool
build_pipeline (video_job *j)
{
  const char *missing = NULL;
  j->pipeline = gst_pipeline_new ("esdnet-video");
  j->filesrc = video_job_make (j, "filesrc", &missing);
  j->decode = video_job_make (j, "decodebin", &missing);
  j->video_queue = video_job_make (j, "queue", &missing);
  GstElement *convert_in = video_job_make (j, "videoconvert", &missing);
  j->appsink = video_job_make (j, "appsink", &missing);
  j->appsrc = video_job_make (j, "appsrc", &missing);
  GstElement *convert_out = video_job_make (j, "videoconvert", &missing);
  j->format_filter = video_job_make (j, "capsfilter", &missing);
  j->encoder = video_job_make (j, j->out->encoder, &missing);
  j->mux = video_job_make (j, j->out->muxer, &missing);
  GstElement *filesink = video_job_make (j, "filesink", &missing);
  if (missing) {
    cli_error ("cannot write video '%s': the GStreamer element '%s' is not "
        "installed", j->output, missing);
    return false;
  }

  g_object_set (j->filesrc, "location", j->input, NULL);
  /* Not part of the preroll: the muxer has nothing for it before the
   * appsink, which prerolls, gives up its first frame. */
  g_object_set (filesink, "location", j->output, "async", FALSE, NULL);
  GstCaps *rgb = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      "RGB", NULL);
  /* Few frames wait for the engine: decoding stays just ahead of it. */
  g_object_set (j->appsink, "caps", rgb, "sync", FALSE, "max-buffers", 2u,
      NULL);
  gst_caps_unref (rgb);
  g_object_set (j->appsrc, "format", GST_FORMAT_TIME, "stream-type",
      GST_APP_STREAM_TYPE_STREAM, NULL);
  configure_encoder (j->encoder, j->out->encoder);
  g_signal_connect (j->decode, "autoplug-continue",
      G_CALLBACK (video_route_autoplug_continue), j);
  g_signal_connect (j->decode, "pad-added", G_CALLBACK (video_route_pad_added), j);
  g_signal_connect (j->decode, "no-more-pads", G_CALLBACK (video_route_no_more_pads),
      j);

  if (!gst_element_link (j->filesrc, j->decode)
      || !gst_element_link_many (j->video_queue, convert_in, j->appsink, NULL)
      || !gst_element_link_many (j->appsrc, convert_out, j->format_filter,
          j->encoder, j->mux, filesink, NULL)) {
    cli_error ("cannot write video '%s': %s does not take the output of %s",
        j->output, j->out->muxer, j->out->encoder);
    return false;
  }
  return true;
}

/* ---------------------------------------------------------------- frames */

/* Sets up the engine and the output for frames of the input's size. */
static bool
fit_format (video_job *j, const GstVideoInfo *in)
{
  const int32_t w = GST_VIDEO_INFO_WIDTH (in), h = GST_VIDEO_INFO_HEIGHT (in);
  if (j->stream && w == j->width && h == j->height)
    return true;
  g_clear_pointer (&j->stream, esdnet_stream_free);
  j->stream = cli_create_stream (j->settings->model, w, h,
      &j->settings->params);
  if (!j->stream)
    return false;
  j->width = w;
  j->height = h;
  esdnet_stream_set_scene_cut_threshold (j->stream, j->settings->scene_cut);

  const int32_t out_w = j->settings->side_by_side ? 2 * w : w;
  gst_video_info_set_format (&j->out_info, GST_VIDEO_FORMAT_RGB,
      (guint) out_w, (guint) h);
  GST_VIDEO_INFO_FPS_N (&j->out_info) = GST_VIDEO_INFO_FPS_N (in);
  GST_VIDEO_INFO_FPS_D (&j->out_info) = GST_VIDEO_INFO_FPS_D (in);
  GST_VIDEO_INFO_PAR_N (&j->out_info) = GST_VIDEO_INFO_PAR_N (in);
  GST_VIDEO_INFO_PAR_D (&j->out_info) = GST_VIDEO_INFO_PAR_D (in);
  GstCaps *caps = gst_video_info_to_caps (&j->out_info);
  gst_app_src_set_caps (GST_APP_SRC (j->appsrc), caps);
  gst_caps_unref (caps);
  /* 4:2:0 for players; x264 needs even sizes for it, else 4:4:4. */
  const bool even = out_w % 2 == 0 && h % 2 == 0;
  const char *format = even || strcmp (j->out->encoder, "x264enc") != 0 ?
      "I420" : "Y444";
  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, format,
      NULL);
  /* The decoded video's YUV matrix and range, if it had one, so that players
   * convert the output back as they did the input. */
  GstPad *pad = gst_element_get_static_pad (j->video_queue, "sink");
  GstCaps *decoded = gst_pad_get_current_caps (pad);
  GstVideoInfo dec_info;
  if (decoded && gst_video_info_from_caps (&dec_info, decoded)
      && GST_VIDEO_INFO_IS_YUV (&dec_info)) {
    char *colorimetry = gst_video_colorimetry_to_string (&dec_info.colorimetry);
    if (colorimetry)
      gst_caps_set_simple (caps, "colorimetry", G_TYPE_STRING, colorimetry,
          NULL);
    g_free (colorimetry);
  }
  if (decoded)
    gst_caps_unref (decoded);
  gst_object_unref (pad);
  g_object_set (j->format_filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  return true;
}

static bool
process_sample (video_job *j, GstSample *sample)
{
  GstBuffer *in_buf = gst_sample_get_buffer (sample);
  GstVideoInfo in_info;
  if (!gst_video_info_from_caps (&in_info, gst_sample_get_caps (sample))) {
    cli_error ("cannot read video '%s': the decoder gave unreadable frames",
        j->input);
    return false;
  }
  if (!fit_format (j, &in_info))
    return false;

  GstBuffer *out_buf = gst_buffer_new_allocate (NULL,
      GST_VIDEO_INFO_SIZE (&j->out_info), NULL);
  GstVideoFrame in, out;
  if (!gst_video_frame_map (&in, &in_info, in_buf, GST_MAP_READ)) {
    gst_buffer_unref (out_buf);
    cli_error ("cannot read video '%s': unreadable frame", j->input);
    return false;
  }
  gst_video_frame_map (&out, &j->out_info, out_buf, GST_MAP_WRITE);
  const esdnet_image_u8 src = {
    j->width, j->height, GST_VIDEO_FRAME_PLANE_STRIDE (&in, 0), 3,
    GST_VIDEO_FRAME_PLANE_DATA (&in, 0)
  };
  uint8_t *out_data = GST_VIDEO_FRAME_PLANE_DATA (&out, 0);
  const int32_t out_stride = GST_VIDEO_FRAME_PLANE_STRIDE (&out, 0);
  if (j->settings->side_by_side) {
    for (int32_t y = 0; y < j->height; y++)
      memcpy (out_data + (size_t) y * out_stride,
          src.data + (size_t) y * src.stride, (size_t) j->width * 3);
    out_data += (size_t) j->width * 3;  /* derained on the right */
  }
  esdnet_image_u8 dst = { j->width, j->height, out_stride, 3, out_data };

  /* The engine resets on scene cuts itself (carry mode). */
  if (j->frames > 0 && GST_BUFFER_FLAG_IS_SET (in_buf, GST_BUFFER_FLAG_DISCONT))
    esdnet_stream_reset (j->stream);
  const double start = cli_now_ms ();
  const bool ok = esdnet_stream_process_u8 (j->stream, &src, &dst,
      j->settings->mode) == ESDNET_OK;
  const double ms = cli_now_ms () - start;
  gst_video_frame_unmap (&in);
  gst_video_frame_unmap (&out);
  if (!ok) {
    cli_error ("cannot derain '%s': %s", j->input,
        esdnet_stream_last_error (j->stream));
    gst_buffer_unref (out_buf);
    return false;
  }

  esdnet_frame_stats stats;
  esdnet_stream_get_stats (j->stream, &stats);
  j->frames++;
  j->process_ms += ms;
  j->spikes += stats.spikes;
  j->neurons += stats.neurons;
  j->scene_cuts += stats.scene_cut;

  /* Running time: the time base the passed-through streams are muxed in. */
  const GstSegment *segment = gst_sample_get_segment (sample);
  GstClockTime pts = GST_BUFFER_PTS (in_buf);
  if (segment && segment->format == GST_FORMAT_TIME)
    pts = gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
  GST_BUFFER_PTS (out_buf) = pts;
  GST_BUFFER_DURATION (out_buf) = GST_BUFFER_DURATION (in_buf);
  if (GST_CLOCK_TIME_IS_VALID (pts))
    j->video_end = pts + (GST_BUFFER_DURATION_IS_VALID (in_buf) ?
        GST_BUFFER_DURATION (in_buf) : 0);
  return gst_app_src_push_buffer (GST_APP_SRC (j->appsrc), out_buf)
      == GST_FLOW_OK;
}

/* -------------------------------------------------------------- progress */

static void
format_duration (char *buf, size_t size, double seconds)
{
  const long s = (long) (seconds + 0.5);
  if (s >= 3600)
    snprintf (buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    snprintf (buf, size, "%ld:%02ld", s / 60, s % 60);
}

/* One line on stderr, redrawn with \r: done/duration of the stream. */
static void
draw_progress (video_job *j, GstSample *sample, bool final)
{
  const double now = cli_now_ms ();
  if (!final && now - j->last_draw_ms < 100)
    return;
  j->last_draw_ms = now;
  if (j->duration < 0
      && !gst_element_query_duration (j->appsink, GST_FORMAT_TIME,
          &j->duration))
    j->duration = -1;

  const double elapsed = (now - j->start_ms) / 1e3;
  const double fps = elapsed > 0 ? j->frames / elapsed : 0;
  double fraction = -1;
  long total_frames = -1;
  if (final) {
    fraction = 1;
  } else if (j->duration > 0 && sample) {
    GstBuffer *b = gst_sample_get_buffer (sample);
    const GstSegment *seg = gst_sample_get_segment (sample);
    guint64 pos = gst_segment_to_stream_time (seg, GST_FORMAT_TIME,
        GST_BUFFER_PTS (b));
    if (GST_CLOCK_TIME_IS_VALID (pos)) {
      if (GST_BUFFER_DURATION_IS_VALID (b))
        pos += GST_BUFFER_DURATION (b);
      fraction = CLAMP ((double) pos / (double) j->duration, 0.0, 1.0);
    }
  }
  if (j->duration > 0 && GST_VIDEO_INFO_FPS_N (&j->out_info) > 0)
    total_frames = (long) gst_util_uint64_scale_round ((guint64) j->duration,
        (guint64) GST_VIDEO_INFO_FPS_N (&j->out_info),
        (guint64) GST_VIDEO_INFO_FPS_D (&j->out_info) * GST_SECOND);

  char bar[41], eta[32] = "", total[32] = "";
  const int width = 30;
  const int filled = fraction >= 0 ? (int) (fraction * width + 0.5) : 0;
  for (int i = 0; i < width; i++)
    bar[i] = i < filled ? '#' : '-';
  bar[width] = '\0';
  if (total_frames > 0 && !final)
    snprintf (total, sizeof total, "/%ld", total_frames);
  if (fraction > 0 && fraction < 1 && !final) {
    char t[24];
    format_duration (t, sizeof t, elapsed * (1 - fraction) / fraction);
    snprintf (eta, sizeof eta, "  ETA %s", t);
  } else if (final) {
    char t[24];
    format_duration (t, sizeof t, elapsed);
    snprintf (eta, sizeof eta, "  in %s", t);
  }
  if (fraction >= 0)
    fprintf (stderr, "\r%3d%% [%s] %d%s frames  %.1f fps%s\033[K",
        (int) (fraction * 100), bar, j->frames, total, fps, eta);
  else
    fprintf (stderr, "\r%d frames  %.1f fps\033[K", j->frames, fps);
  if (final)
    fputc ('\n', stderr);
  fflush (stderr);
}

/* ------------------------------------------------------------------ bus */

/* "cannot read/write video 'X': message" for an error message, naming
 * the side of the pipeline it came from. */
static void
report_error (video_job *j, GstMessage *msg)
{
  GError *err = NULL;
  char *debug = NULL;
  gst_message_parse_error (msg, &err, &debug);
  GstObject *src = GST_MESSAGE_SRC (msg);
  const bool reading = src == GST_OBJECT (j->filesrc)
      || src == GST_OBJECT (j->decode)
      || gst_object_has_as_ancestor (src, GST_OBJECT (j->decode));
  /* A missing plugin's message names no codec; the last line of the
   * debug text does. */
  const char *detail = NULL;
  if (debug && (g_error_matches (err, GST_CORE_ERROR,
              GST_CORE_ERROR_MISSING_PLUGIN) || g_error_matches (err,
              GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND))) {
    g_strchomp (debug);
    detail = strrchr (debug, '\n');
    detail = detail ? detail + 1 : debug;
  }
  cli_error ("cannot %s video '%s': %s%s%s%s", reading ? "read" : "write",
      reading ? j->input : j->output, err->message, detail ? " (" : "",
      detail ? detail : "", detail ? ")" : "");
  g_error_free (err);
  g_free (debug);
}

/* Takes the messages waiting on the bus, for up to timeout; false after
 * an error (reported). *eos becomes true on end of stream. */
static bool
poll_bus (video_job *j, GstClockTime timeout, bool *eos)
{
  GstBus *bus = gst_element_get_bus (j->pipeline);
  bool ok = true;
  for (GstMessage *msg; ok && (msg = gst_bus_timed_pop (bus, timeout));
      timeout = 0) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      report_error (j, msg);
      ok = false;
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      *eos = true;
    }
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return ok;
}

/* ------------------------------------------------------------ interrupt */

static volatile sig_atomic_t interrupted;

static void
on_interrupt (int signum)
{
  interrupted = 1;
}

static gpointer
ref_object (gconstpointer object, gpointer unused)
{
  return gst_object_ref ((gpointer) object);
}

/* After Ctrl-C, on the queues of the other streams: what they hold past
 * the last video frame is dropped, so that all streams end together. */
static GstPadProbeReturn
drop_after_video (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  const GstClockTime end = *(const GstClockTime *) data;
  GstClockTime t = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  GstEvent *event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  if (event && GST_CLOCK_TIME_IS_VALID (t)) {
    const GstSegment *segment;
    gst_event_parse_segment (event, &segment);
    if (segment->format == GST_FORMAT_TIME)
      t = gst_segment_to_running_time (segment, GST_FORMAT_TIME, t);
  }
  if (event)
    gst_event_unref (event);
  return GST_CLOCK_TIME_IS_VALID (t) && t >= end ? GST_PAD_PROBE_DROP :
      GST_PAD_PROBE_OK;
}

/* Ctrl-C: the frames done so far make a complete, playable file. Ends
 * every stream from decodebin and the video into the encoder. */
static void
finish_early (video_job *j)
{
  fprintf (stderr, "%sesdnet: interrupted: finishing '%s' with the %d "
      "frames done (Ctrl-C again to quit at once)\n",
      j->show_progress ? "\n" : "", j->output, j->frames);
  /* The appsink must not hold up the EOS pushed into its queue. */
  gst_app_sink_set_drop (GST_APP_SINK (j->appsink), TRUE);
  gst_app_sink_set_max_buffers (GST_APP_SINK (j->appsink), 1);
  g_mutex_lock (&j->lock);
  GPtrArray *heads = g_ptr_array_copy (j->branch_heads, ref_object, NULL);
  g_mutex_unlock (&j->lock);
  for (guint i = 0; i < heads->len; i++) {
    GstElement *head = gst_pad_get_parent_element (heads->pdata[i]);
    if (head && head != j->video_queue && g_str_equal ("queue",
            GST_OBJECT_NAME (gst_element_get_factory (head)))) {
      GstPad *src = gst_element_get_static_pad (head, "src");
      gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, drop_after_video,
          &j->video_end, NULL);
      gst_object_unref (src);
    }
    if (head)
      gst_object_unref (head);
    gst_pad_send_event (heads->pdata[i], gst_event_new_eos ());
  }
  g_ptr_array_unref (heads);  /* unrefs the pads, as branch_heads would */
  /* Last: the video's end lets the muxer take what the others hold. */
  gst_app_src_end_of_stream (GST_APP_SRC (j->appsrc));
}

/* ------------------------------------------------------------------ run */

/* How long a local file may take to show its streams. */
#define STARTUP_TIMEOUT_S 20

static bool
run (video_job *j)
{
  j->start_ms = cli_now_ms ();
  j->duration = -1;
  if (gst_element_set_state (j->pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    bool eos = false;
    if (poll_bus (j, 0, &eos))
      cli_error ("cannot read video '%s': the pipeline did not start",
          j->input);
    return false;
  }
  bool ok = true, eos = false, draining = false;
  GstAppSink *appsink = GST_APP_SINK (j->appsink);
  while (ok) {
    if (interrupted && !draining && j->frames == 0) {
      fprintf (stderr, "%sesdnet: interrupted before the first frame\n",
          j->show_progress ? "\n" : "");
      ok = false;
      break;
    }
    if (interrupted && !draining) {
      finish_early (j);
      draining = true;
    }
    GstSample *sample = gst_app_sink_try_pull_sample (appsink,
        100 * GST_MSECOND);
    if (sample) {
      if (!draining) {
        ok = process_sample (j, sample);
        if (ok && j->show_progress)
          draw_progress (j, sample, false);
      }
      gst_sample_unref (sample);
    } else if (gst_app_sink_is_eos (appsink)) {
      break;
    }
    ok = ok && poll_bus (j, 0, &eos) && !g_atomic_int_get (&j->link_failed);
    if (ok && !sample && g_atomic_int_get (&j->no_more_pads)
        && !g_atomic_int_get (&j->have_video)) {
      cli_error ("cannot read video '%s': it holds no video stream",
          j->input);
      ok = false;
    }
    /* decodebin (1.22) drops an error a demuxer posts while it is still
     * being set up, and then waits for ever: a file that shows no stream
     * in this time is taken as unreadable. */
    if (ok && !sample && !g_atomic_int_get (&j->have_video)
        && !g_atomic_int_get (&j->no_more_pads)
        && cli_now_ms () - j->start_ms > STARTUP_TIMEOUT_S * 1e3) {
      cli_error ("cannot read video '%s': no stream found in %d s",
          j->input, STARTUP_TIMEOUT_S);
      ok = false;
    }
  }
  if (ok && j->frames == 0) {
    cli_error ("cannot read video '%s': it holds no video frames", j->input);
    ok = false;
  }
  if (ok && !draining)
    gst_app_src_end_of_stream (GST_APP_SRC (j->appsrc));
  /* The encoder and muxer finish the file. */
  while (ok && !eos)
    ok = poll_bus (j, 100 * GST_MSECOND, &eos);
  if (ok && j->show_progress)
    draw_progress (j, NULL, true);
  return ok;
}

int
video_derain (const char *input, const char *output,
    const video_settings *settings)
{
  const video_container *out = video_container_for_path (output);
  if (out && !out->muxer) {
    cli_error ("cannot write video '%s': %s files are read, not written; "
        "name OUTPUT .mkv, .mp4 or .webm", output, out->extension);
    return CLI_EXIT_USAGE;
  }
  /* Read the input first: a missing one must not cost OUTPUT. */
  FILE *f = fopen (input, "rb");
  if (!f) {
    cli_error ("cannot read video '%s': %s", input, g_strerror (errno));
    return CLI_EXIT_FAILURE;
  }
  fclose (f);
  GStatBuf before;
  const bool existed = g_stat (output, &before) == 0;

  video_job j = {
    .settings = settings,
    .input = input,
    .output = output,
    .out = out ? out : video_container_default (),
    .branch_heads = g_ptr_array_new_with_free_func (gst_object_unref),
    .show_progress = isatty (STDERR_FILENO),
  };
  g_mutex_init (&j.lock);

  /* Ctrl-C only: other signals end the program as usual. */
  struct sigaction action = { .sa_handler = on_interrupt,
    .sa_flags = SA_RESETHAND }, old_int;
  sigemptyset (&action.sa_mask);
  interrupted = 0;
  sigaction (SIGINT, &action, &old_int);

  bool started = false;
  bool ok = build_pipeline (&j);
  if (ok) {
    started = true;
    ok = run (&j);
  }
  const double wall_s = (cli_now_ms () - j.start_ms) / 1e3;
  if (j.pipeline) {
    gst_element_set_state (j.pipeline, GST_STATE_NULL);
    gst_object_unref (j.pipeline);
  }
  sigaction (SIGINT, &old_int, NULL);
  const bool cut_short = interrupted;

  if (ok) {
    char scene_cuts[48] = "";
    if (j.scene_cuts)
      snprintf (scene_cuts, sizeof scene_cuts, ", %d scene cut%s", j.scene_cuts,
          j.scene_cuts == 1 ? "" : "s");
    printf ("%s -> %s  %dx%d  %d frame%s, mean %.1f ms, %.2f fps, "
        "firing rate %.4f%s%s\n", input, output, GST_VIDEO_INFO_WIDTH
        (&j.out_info), GST_VIDEO_INFO_HEIGHT (&j.out_info), j.frames,
        j.frames == 1 ? "" : "s", j.process_ms / j.frames,
        wall_s > 0 ? j.frames / wall_s : 0.0,
        j.neurons ? (double) j.spikes / (double) j.neurons : 0.0,
        scene_cuts, cut_short ? " (interrupted)" : "");
    fflush (stdout);
  } else if (started) {
    /* No half-written file to be taken for a finished one; an OUTPUT that
     * was there before and was not touched stays. */
    GStatBuf after;
    if (g_stat (output, &after) == 0 && (!existed
            || after.st_size != before.st_size
            || after.st_mtime != before.st_mtime))
      g_unlink (output);
  }

  esdnet_stream_free (j.stream);
  g_ptr_array_unref (j.branch_heads);
  g_mutex_clear (&j.lock);
  /* Interrupted: the file is complete but short (or, before the first
   * frame, removed); say so as a shell does. */
  return cut_short ? 128 + SIGINT : ok ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
