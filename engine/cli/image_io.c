/* image_io.c — decoding and encoding image files with GStreamer pipelines.
 *
 * Pipelines are built element by element, so paths go into properties
 * as they are (a launch string would need quoting). */
#include "image_io.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <string.h>

G_DEFINE_QUARK (esdnet-cli-image-error-quark, image_error)

bool
image_io_init (GError **error)
{
  return gst_init_check (NULL, NULL, error);
}

bool
image_alloc (esdnet_image_u8 *image, int32_t width, int32_t height,
    GError **error)
{
  GstVideoInfo info;
  guint8 *data = NULL;
  if (gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, (guint) width,
          (guint) height))
    data = g_try_malloc (info.size);
  if (!data) {
    g_set_error (error, image_error_quark (), 0,
        "no memory for a %dx%d image", width, height);
    return false;
  }
  *image = (esdnet_image_u8) {
    .width = width,
    .height = height,
    .stride = GST_VIDEO_INFO_PLANE_STRIDE (&info, 0),
    .pixel_stride = 3,
    .data = data,
  };
  return true;
}

void
image_free (esdnet_image_u8 *image)
{
  g_free (image->data);
  image->data = NULL;
}

bool
image_side_by_side (const esdnet_image_u8 *left, const esdnet_image_u8 *right,
    esdnet_image_u8 *out, GError **error)
{
  g_return_val_if_fail (left->width == right->width
      && left->height == right->height, false);
  if (!image_alloc (out, 2 * left->width, left->height, error))
    return false;
  const size_t row = (size_t) left->width * 3;
  for (int32_t y = 0; y < left->height; y++) {
    uint8_t *dst = out->data + (size_t) y * out->stride;
    const uint8_t *a = left->data + (size_t) y * left->stride;
    const uint8_t *b = right->data + (size_t) y * right->stride;
    if (left->pixel_stride == 3 && right->pixel_stride == 3) {
      memcpy (dst, a, row);
      memcpy (dst + row, b, row);
      continue;
    }
    for (int32_t x = 0; x < left->width; x++)
      for (int c = 0; c < 3; c++) {
        dst[x * 3 + c] = a[x * left->pixel_stride + c];
        dst[row + x * 3 + c] = b[x * right->pixel_stride + c];
      }
  }
  return true;
}

/* Adds a new element of the factory to the pipeline. */
static GstElement *
add_element (GstElement *pipeline, const char *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  if (!e)
    g_set_error (error, image_error_quark (), 0,
        "the GStreamer element '%s' is not installed", factory);
  else
    gst_bin_add (GST_BIN (pipeline), e);
  return e;
}

/* Takes the pipeline to the state and waits for a message of type `until`;
 * an error message on the bus becomes *error instead. */
static bool
run_pipeline (GstElement *pipeline, GstState state, GstMessageType until,
    GError **error)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  const bool started =
      gst_element_set_state (pipeline, state) != GST_STATE_CHANGE_FAILURE;
  /* A failed start has posted its reason already, if it has one. */
  GstMessage *msg = gst_bus_timed_pop_filtered (bus,
      started ? GST_CLOCK_TIME_NONE : 0, until | GST_MESSAGE_ERROR);
  const bool ok = started && msg && GST_MESSAGE_TYPE (msg) == until;
  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, error, NULL);
  else if (!ok)
    g_set_error (error, image_error_quark (), 0,
        "the GStreamer pipeline did not start");
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);
  return ok;
}

/* decodebin's pads appear once it knows the stream: the first one that
 * links (a video pad) feeds the converter. */
static void
link_decoded_pad (GstElement *decodebin, GstPad *pad, gpointer convert)
{
  GstPad *sink = gst_element_get_static_pad (GST_ELEMENT (convert), "sink");
  if (!gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
  gst_object_unref (sink);
}

/* Copies the RGB picture of a sample into a new image. */
static bool
image_from_sample (GstSample *sample, esdnet_image_u8 *image, GError **error)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ)) {
    g_set_error (error, image_error_quark (), 0,
        "the decoder gave an unreadable picture");
    return false;
  }
  const bool ok = image_alloc (image, GST_VIDEO_FRAME_WIDTH (&frame),
      GST_VIDEO_FRAME_HEIGHT (&frame), error);
  const guint8 *src = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  const int src_stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  for (int32_t y = 0; ok && y < image->height; y++)
    memcpy (image->data + (size_t) y * image->stride,
        src + (size_t) y * src_stride, (size_t) image->width * 3);
  gst_video_frame_unmap (&frame);
  return ok;
}

bool
image_load (const char *path, esdnet_image_u8 *image, GError **error)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = NULL, *decode = NULL, *convert = NULL, *sink = NULL;
  bool ok = (src = add_element (pipeline, "filesrc", error))
      && (decode = add_element (pipeline, "decodebin", error))
      && (convert = add_element (pipeline, "videoconvert", error))
      && (sink = add_element (pipeline, "appsink", error));
  if (ok) {
    GstCaps *caps = gst_caps_new_simple ("video/x-raw", "format",
        G_TYPE_STRING, "RGB", NULL);
    g_object_set (src, "location", path, NULL);
    g_object_set (sink, "caps", caps, "sync", FALSE, NULL);
    gst_caps_unref (caps);
    g_signal_connect (decode, "pad-added", G_CALLBACK (link_decoded_pad),
        convert);
    ok = gst_element_link (src, decode) && gst_element_link (convert, sink);
    if (!ok)
      g_set_error (error, image_error_quark (), 0,
          "cannot link the decoding pipeline");
  }
  /* Pausing prerolls the sink with the first picture and decodes no more. */
  if (ok)
    ok = run_pipeline (pipeline, GST_STATE_PAUSED, GST_MESSAGE_ASYNC_DONE,
        error);
  if (ok) {
    GstSample *sample = gst_app_sink_pull_preroll (GST_APP_SINK (sink));
    if (!sample)
      g_set_error (error, image_error_quark (), 0, "it holds no picture");
    ok = sample && image_from_sample (sample, image, error);
    if (sample)
      gst_sample_unref (sample);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  if (!ok)
    g_prefix_error (error, "cannot read image '%s': ", path);
  return ok;
}

bool
image_save_png (const esdnet_image_u8 *image, const char *path,
    GError **error)
{
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB,
      (guint) image->width, (guint) image->height);
  /* The buffer is pushed as is: it must have GStreamer's layout. */
  g_return_val_if_fail (image->stride == GST_VIDEO_INFO_PLANE_STRIDE (&info,
          0), false);

  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = NULL, *convert = NULL, *encode = NULL, *sink = NULL;
  bool ok = (src = add_element (pipeline, "appsrc", error))
      && (convert = add_element (pipeline, "videoconvert", error))
      && (encode = add_element (pipeline, "pngenc", error))
      && (sink = add_element (pipeline, "filesink", error));
  if (ok) {
    GstCaps *caps = gst_video_info_to_caps (&info);
    g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
    g_object_set (sink, "location", path, NULL);
    gst_caps_unref (caps);
    ok = gst_element_link_many (src, convert, encode, sink, NULL);
    if (!ok)
      g_set_error (error, image_error_quark (), 0,
          "cannot link the encoding pipeline");
  }
  if (ok) {
    /* Wrapped, not copied: the pipeline is done with it before we return. */
    GstBuffer *buffer = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY,
        image->data, info.size, 0, info.size, NULL, NULL);
    GST_BUFFER_PTS (buffer) = 0;
    gst_app_src_push_buffer (GST_APP_SRC (src), buffer);
    gst_app_src_end_of_stream (GST_APP_SRC (src));
    ok = run_pipeline (pipeline, GST_STATE_PLAYING, GST_MESSAGE_EOS, error);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  if (!ok)
    g_prefix_error (error, "cannot write image '%s': ", path);
  return ok;
}
