/* embed.c — the esdnetderain element inside an application.
 *
 *   embed [FRAMES [MODEL]]
 *
 * Builds  appsrc ! videoconvert ! esdnetderain post-stats=1 ! videoconvert
 * ! appsink, pushes FRAMES (default 5) generated rainy frames, pulls the
 * derained frames back and prints, for each, the statistics the element
 * posts on the bus as "esdnet-stats" messages: firing rate and the energy
 * estimate against the same network as a conventional (ANN) one.
 *
 * The element must be found: GST_PLUGIN_PATH=build/gst-plugin, or the
 * plugin installed. MODEL sets model-location (default: the built-in model).
 */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 64
#define HEIGHT 48
#define FPS 10

/* A grey-blue gradient crossed by bright diagonal streaks that fall a few
 * pixels each frame: rain, roughly. */
static GstBuffer *
make_rainy_frame (const GstVideoInfo *info, int index)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame frame;
  gst_video_frame_map (&frame, (GstVideoInfo *) info, buffer, GST_MAP_WRITE);
  guint8 *pixels = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  for (int y = 0; y < HEIGHT; y++) {
    for (int x = 0; x < WIDTH; x++) {
      guint8 *p = pixels + y * stride + x * 3;
      const int base = 60 + 100 * y / HEIGHT;
      const int streak = (x * 3 + y - index * 5) % 17 == 0;
      p[0] = (guint8) (streak ? 230 : base);
      p[1] = (guint8) (streak ? 230 : base + 10);
      p[2] = (guint8) (streak ? 235 : base + 40);
    }
  }
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buffer) = gst_util_uint64_scale (index, GST_SECOND, FPS);
  GST_BUFFER_DURATION (buffer) = GST_SECOND / FPS;
  return buffer;
}

/* Mean absolute change the filter made to the picture, 0..255. */
static double
mean_change (GstBuffer *before, GstBuffer *after)
{
  GstMapInfo a, b;
  double sum = 0;
  gst_buffer_map (before, &a, GST_MAP_READ);
  gst_buffer_map (after, &b, GST_MAP_READ);
  const gsize n = MIN (a.size, b.size);
  for (gsize i = 0; i < n; i++)
    sum += abs ((int) a.data[i] - (int) b.data[i]);
  gst_buffer_unmap (before, &a);
  gst_buffer_unmap (after, &b);
  return n ? sum / (double) n : 0;
}

typedef struct {
  gboolean error, eos;
  double energy_uj, ann_energy_uj;  /* totals */
} bus_state;

/* Prints an esdnet-stats message or an error; notes the end of stream. */
static void
handle_message (GstMessage *msg, bus_state *state)
{
  const GstStructure *s = gst_message_get_structure (msg);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err;
    gst_message_parse_error (msg, &err, NULL);
    fprintf (stderr, "embed: %s\n", err->message);
    g_error_free (err);
    state->error = TRUE;
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    state->eos = TRUE;
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
      && gst_structure_has_name (s, "esdnet-stats")) {
    guint64 frame = 0;
    double rate = 0, ms = 0, uj = 0, ann_uj = 0;
    gst_structure_get (s, "frame", G_TYPE_UINT64, &frame,
        "firing-rate", G_TYPE_DOUBLE, &rate,
        "processing-ms", G_TYPE_DOUBLE, &ms,
        "energy-uj", G_TYPE_DOUBLE, &uj,
        "ann-energy-uj", G_TYPE_DOUBLE, &ann_uj, NULL);
    printf ("frame %" G_GUINT64_FORMAT ": firing rate %.4f, energy %.1f uJ "
        "(ANN %.1f uJ), %.1f ms\n", frame, rate, uj, ann_uj, ms);
    state->energy_uj += uj;
    state->ann_energy_uj += ann_uj;
  }
  gst_message_unref (msg);
}

/* Handles the messages on the bus, waiting up to timeout for the first. */
static void
read_bus (GstBus *bus, GstClockTime timeout, bus_state *state)
{
  for (GstMessage *msg; (msg = gst_bus_timed_pop (bus, timeout));
      timeout = 0)
    handle_message (msg, state);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  const int frames = argc > 1 ? atoi (argv[1]) : 5;
  const char *model = argc > 2 ? argv[2] : NULL;
  if (frames < 1) {
    fprintf (stderr, "usage: embed [FRAMES [MODEL]]\n");
    return 2;
  }

  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("appsrc", NULL);
  GstElement *convert_in = gst_element_factory_make ("videoconvert", NULL);
  GstElement *derain = gst_element_factory_make ("esdnetderain", NULL);
  GstElement *convert_out = gst_element_factory_make ("videoconvert", NULL);
  GstElement *sink = gst_element_factory_make ("appsink", NULL);
  if (!src || !convert_in || !derain || !convert_out || !sink) {
    fprintf (stderr, "embed: an element is missing%s\n", derain ? "" :
        " (esdnetderain: set GST_PLUGIN_PATH to the folder of "
        "libgstesdnet.so)");
    return 1;
  }
  gst_bin_add_many (GST_BIN (pipeline), src, convert_in, derain, convert_out,
      sink, NULL);
  gst_element_link_many (src, convert_in, derain, convert_out, sink, NULL);

  /* The frames go in and come out as RGB; the element would take I420 or
   * NV12 just as well. */
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, WIDTH, HEIGHT);
  GST_VIDEO_INFO_FPS_N (&info) = FPS;
  GST_VIDEO_INFO_FPS_D (&info) = 1;
  GstCaps *caps = gst_video_info_to_caps (&info);
  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  g_object_set (sink, "caps", caps, "sync", FALSE, NULL);
  gst_caps_unref (caps);
  /* A statistics message after every frame. */
  g_object_set (derain, "post-stats", 1u, NULL);
  if (model)
    g_object_set (derain, "model-location", model, NULL);

  GstBus *bus = gst_element_get_bus (pipeline);
  bus_state state = { 0 };
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    read_bus (bus, 0, &state);  /* the reason, if the failure posted one */
    if (!state.error)
      fprintf (stderr, "embed: the pipeline did not start\n");
    state.error = TRUE;
  }
  double change = 0;
  int pulled = 0;
  for (int i = 0; !state.error && i < frames; i++) {
    GstBuffer *rainy = make_rainy_frame (&info, i);
    gst_app_src_push_buffer (GST_APP_SRC (src), gst_buffer_ref (rainy));
    /* One frame in, one frame out: wait for it, or for an error. The
     * element posts a frame's statistics before the frame leaves it. */
    GstSample *sample = NULL;
    while (!state.error && !sample) {
      sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
          100 * GST_MSECOND);
      read_bus (bus, 0, &state);
    }
    if (sample) {
      change += mean_change (rainy, gst_sample_get_buffer (sample));
      pulled++;
      gst_sample_unref (sample);
    }
    gst_buffer_unref (rainy);
  }
  if (!state.error)
    gst_app_src_end_of_stream (GST_APP_SRC (src));
  while (!state.error && !state.eos)
    read_bus (bus, GST_CLOCK_TIME_NONE, &state);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  if (state.error)
    return 1;
  printf ("%d frames of %dx%d derained, mean change %.1f/255; energy "
      "%.1f uJ per frame, %.2fx the ANN's\n", pulled, WIDTH, HEIGHT,
      change / pulled, state.energy_uj / pulled, state.ann_energy_uj > 0 ?
      state.energy_uj / state.ann_energy_uj : 0.0);
  return 0;
}
