/* GStreamer esdnetderain: spiking-network rain removal.
 * SPDX-License-Identifier: MIT
 */
/**
 * SECTION:element-esdnetderain
 * @title: esdnetderain
 *
 * Removes rain streaks from video with ESDNet, a spiking neural network
 * (Song et al., IJCAI 2024), on the CPU. The neurons' membrane potentials
 * can be carried from frame to frame (temporal-mode=carry, the default) for
 * temporally stable output; they reset on a scene cut, a flush, a
 * discontinuity, a gap, new caps or a new stream.
 *
 * Without model-location the element uses the model compiled into it.
 * membrane-precision=f16 keeps the carried membranes in half the memory
 * (a 1920x1080 stream of the built-in model: about 460 MB instead of 570).
 * ensemble=2..4 runs each frame also mirrored and upside down and averages
 * the views: a cleaner picture for 2-4 times the work.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=rainy.mp4 ! decodebin ! videoconvert ! esdnetderain ! videoconvert ! autovideosink
 * ]| Derain a file and show it.
 * |[
 * gst-launch-1.0 v4l2src ! queue max-size-buffers=1 leaky=downstream ! videoconvert ! esdnetderain n-threads=2 ! videoconvert ! autovideosink
 * ]| A camera: the leaky queue drops frames the filter cannot keep up with.
 * |[
 * gst-launch-1.0 -m videotestsrc num-buffers=30 ! esdnetderain post-stats=10 ! fakesink
 * ]| Print the firing rate and energy estimate every 10 frames.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstesdnetderain.h"
#include "default-model.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_esdnet_derain_debug);
#define GST_CAT_DEFAULT gst_esdnet_derain_debug

#define DEFAULT_MODEL_LOCATION NULL
#define DEFAULT_TEMPORAL_MODE GST_ESDNET_TEMPORAL_CARRY
#define DEFAULT_SCENE_CUT_THRESHOLD 0.2
#define DEFAULT_N_THREADS 0
#define DEFAULT_STRENGTH 1.0
#define DEFAULT_POST_STATS 0
#define DEFAULT_MEMBRANE_PRECISION GST_ESDNET_MEMBRANES_F32
#define DEFAULT_ENSEMBLE 1


enum
{
  PROP_0,
  PROP_MODEL_LOCATION,
  PROP_TEMPORAL_MODE,
  PROP_SCENE_CUT_THRESHOLD,
  PROP_N_THREADS,
  PROP_STRENGTH,
  PROP_POST_STATS,
  PROP_MEMBRANE_PRECISION,
  PROP_ENSEMBLE,
};

#define VIDEO_FORMATS "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, " \
    "ABGR, I420, YV12, NV12, NV21, Y42B, Y444 }"
#define VIDEO_CAPS \
    "video/x-raw, format = (string) " VIDEO_FORMATS ", " \
    "width = (int) [ 1, 4096 ], height = (int) [ 1, 2304 ], " \
    "framerate = (fraction) [ 0, MAX ]"

static GstStaticPadTemplate gst_esdnet_derain_src_template =
GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (VIDEO_CAPS));

static GstStaticPadTemplate gst_esdnet_derain_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (VIDEO_CAPS));

#define gst_esdnet_derain_parent_class parent_class
G_DEFINE_TYPE (GstEsdnetDerain, gst_esdnet_derain, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (esdnetderain, "esdnetderain", GST_RANK_NONE,
    GST_TYPE_ESDNET_DERAIN);

GType
gst_esdnet_temporal_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ESDNET_TEMPORAL_RESET,
        "Reset membranes before every frame (per-image, as in the paper)",
        "reset"},
    {GST_ESDNET_TEMPORAL_CARRY,
        "Carry membranes from frame to frame (temporally stable)", "carry"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstEsdnetTemporalMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_esdnet_membrane_precision_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ESDNET_MEMBRANES_F32,
        "32-bit float membranes (the reference's values)", "f32"},
    {GST_ESDNET_MEMBRANES_F16,
          "16-bit float membranes between frames (half the memory; in carry "
          "mode a few spikes differ from f32)", "f16"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstEsdnetMembranePrecision", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void gst_esdnet_derain_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_esdnet_derain_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_esdnet_derain_finalize (GObject * object);
static gboolean gst_esdnet_derain_start (GstBaseTransform * trans);
static gboolean gst_esdnet_derain_stop (GstBaseTransform * trans);
static gboolean gst_esdnet_derain_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static void gst_esdnet_derain_before_transform (GstBaseTransform * trans,
    GstBuffer * buffer);
static gboolean gst_esdnet_derain_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
static GstFlowReturn gst_esdnet_derain_transform_frame (GstVideoFilter *
    filter, GstVideoFrame * in_frame, GstVideoFrame * out_frame);

static void
gst_esdnet_derain_class_init (GstEsdnetDerainClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseTransformClass *trans_class = (GstBaseTransformClass *) klass;
  GstVideoFilterClass *vfilter_class = (GstVideoFilterClass *) klass;

  GST_DEBUG_CATEGORY_INIT (gst_esdnet_derain_debug, "esdnetderain", 0,
      "esdnetderain");

  gobject_class->set_property = gst_esdnet_derain_set_property;
  gobject_class->get_property = gst_esdnet_derain_get_property;
  gobject_class->finalize = gst_esdnet_derain_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL_LOCATION,
      g_param_spec_string ("model-location", "Model location",
          "ESDNet model file (.safetensors); empty or unset = the model "
          "built into the element", DEFAULT_MODEL_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TEMPORAL_MODE,
      g_param_spec_enum ("temporal-mode", "Temporal mode",
          "Whether neuron membranes start from zero every frame or carry "
          "over from the previous frame", GST_TYPE_ESDNET_TEMPORAL_MODE,
          DEFAULT_TEMPORAL_MODE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SCENE_CUT_THRESHOLD,
      g_param_spec_double ("scene-cut-threshold", "Scene cut threshold",
          "In carry mode, reset the membranes when the mean absolute luma "
          "change between consecutive frames exceeds this fraction of full "
          "scale (0 = never)", 0.0, 1.0, DEFAULT_SCENE_CUT_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_N_THREADS,
      g_param_spec_uint ("n-threads", "Threads",
          "Threads for the network (0 = as many as there are cores)", 0, 256,
          DEFAULT_N_THREADS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_STRENGTH,
      g_param_spec_double ("strength", "Strength",
          "Blend of derained and original picture (0 = the input unchanged, "
          "1 = fully derained)", 0.0, 1.0, DEFAULT_STRENGTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_POST_STATS,
      g_param_spec_uint ("post-stats", "Post statistics",
          "Post an \"esdnet-stats\" element message every N frames with "
          "timing, firing rate, operation counts and energy estimate "
          "(0 = never)", 0, G_MAXUINT, DEFAULT_POST_STATS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MEMBRANE_PRECISION,
      g_param_spec_enum ("membrane-precision", "Membrane precision",
          "How neuron membranes are kept between frames: f16 needs half the "
          "memory of f32 and differs from it by a few spikes in carry mode",
          GST_TYPE_ESDNET_MEMBRANE_PRECISION, DEFAULT_MEMBRANE_PRECISION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ENSEMBLE,
      g_param_spec_uint ("ensemble", "Ensemble",
          "Views of each frame run through the network, each with its own "
          "membranes, and averaged: 1 the frame, 2 also mirrored, 3 also "
          "upside down, 4 also both; N times the work for a cleaner picture",
          1, ESDNET_MAX_ENSEMBLE, DEFAULT_ENSEMBLE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_set_static_metadata (element_class,
      "ESDNet deraining filter", "Filter/Effect/Video",
      "Removes rain streaks with a spiking neural network (ESDNet)",
      "esdnet developers");
  gst_element_class_add_static_pad_template (element_class,
      &gst_esdnet_derain_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_esdnet_derain_src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_esdnet_derain_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_esdnet_derain_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_esdnet_derain_sink_event);
  trans_class->before_transform =
      GST_DEBUG_FUNCPTR (gst_esdnet_derain_before_transform);
  vfilter_class->set_info = GST_DEBUG_FUNCPTR (gst_esdnet_derain_set_info);
  vfilter_class->transform_frame =
      GST_DEBUG_FUNCPTR (gst_esdnet_derain_transform_frame);

  gst_type_mark_as_plugin_api (GST_TYPE_ESDNET_TEMPORAL_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ESDNET_MEMBRANE_PRECISION, 0);
}

static void
gst_esdnet_derain_init (GstEsdnetDerain * self)
{
  self->model_location = g_strdup (DEFAULT_MODEL_LOCATION);
  self->temporal_mode = DEFAULT_TEMPORAL_MODE;
  self->scene_cut_threshold = DEFAULT_SCENE_CUT_THRESHOLD;
  self->n_threads = DEFAULT_N_THREADS;
  self->strength = DEFAULT_STRENGTH;
  self->post_stats = DEFAULT_POST_STATS;
  self->membrane_precision = DEFAULT_MEMBRANE_PRECISION;
  self->ensemble = DEFAULT_ENSEMBLE;
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_esdnet_derain_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstEsdnetDerain *self = GST_ESDNET_DERAIN (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL_LOCATION:
      g_free (self->model_location);
      self->model_location = g_value_dup_string (value);
      break;
    case PROP_TEMPORAL_MODE:
      self->temporal_mode = g_value_get_enum (value);
      break;
    case PROP_SCENE_CUT_THRESHOLD:
      self->scene_cut_threshold = g_value_get_double (value);
      break;
    case PROP_N_THREADS:
      self->n_threads = g_value_get_uint (value);
      break;
    case PROP_STRENGTH:
      self->strength = g_value_get_double (value);
      break;
    case PROP_POST_STATS:
      self->post_stats = g_value_get_uint (value);
      break;
    case PROP_MEMBRANE_PRECISION:
      self->membrane_precision = g_value_get_enum (value);
      break;
    case PROP_ENSEMBLE:
      self->ensemble = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_esdnet_derain_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstEsdnetDerain *self = GST_ESDNET_DERAIN (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL_LOCATION:
      g_value_set_string (value, self->model_location);
      break;
    case PROP_TEMPORAL_MODE:
      g_value_set_enum (value, self->temporal_mode);
      break;
    case PROP_SCENE_CUT_THRESHOLD:
      g_value_set_double (value, self->scene_cut_threshold);
      break;
    case PROP_N_THREADS:
      g_value_set_uint (value, self->n_threads);
      break;
    case PROP_STRENGTH:
      g_value_set_double (value, self->strength);
      break;
    case PROP_POST_STATS:
      g_value_set_uint (value, self->post_stats);
      break;
    case PROP_MEMBRANE_PRECISION:
      g_value_set_enum (value, self->membrane_precision);
      break;
    case PROP_ENSEMBLE:
      g_value_set_uint (value, self->ensemble);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_esdnet_derain_finalize (GObject * object)
{
  GstEsdnetDerain *self = GST_ESDNET_DERAIN (object);

  g_free (self->model_location);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
request_reset (GstEsdnetDerain * self, const gchar * why)
{
  GST_DEBUG_OBJECT (self, "membranes reset: %s", why);
  GST_OBJECT_LOCK (self);
  self->reset_pending = TRUE;
  GST_OBJECT_UNLOCK (self);
}

/* Everything that belongs to one negotiated format. */
static void
free_format_state (GstEsdnetDerain * self)
{
  g_clear_pointer (&self->to_rgb, gst_video_converter_free);
  g_clear_pointer (&self->from_rgb, gst_video_converter_free);
  gst_clear_buffer (&self->rgb_in);
  gst_clear_buffer (&self->rgb_out);
}

static gboolean
gst_esdnet_derain_start (GstBaseTransform * trans)
{
  GstEsdnetDerain *self = GST_ESDNET_DERAIN (trans);
  esdnet_error err;
  gchar *location;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->model_location);
  GST_OBJECT_UNLOCK (self);

  if (location && *location) {
    self->model = esdnet_model_load_from_file (location, &err);
  } else {
    GBytes *bytes = esdnet_default_model_bytes ();
    gsize size = 0;
    const void *data = bytes ? g_bytes_get_data (bytes, &size) : NULL;
    self->model = esdnet_model_load_from_memory (data, size, &err);
    if (bytes)
      g_bytes_unref (bytes);
  }
  if (!self->model)
    goto no_model;

  GST_INFO_OBJECT (self, "model %s: dim %d, T %d, %" G_GUINT64_FORMAT
      " parameters", location && *location ? location : "(built in)",
      esdnet_model_get_config (self->model)->dim,
      esdnet_model_get_config (self->model)->timesteps,
      esdnet_model_param_count (self->model));
  g_free (location);
  self->frame_count = 0;
  return TRUE;

  /* ERRORS */
no_model:
  {
    if (err.status == ESDNET_ERROR_IO)
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read the ESDNet model."), ("%s", err.message));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("Could not load the ESDNet model: %s.",
              esdnet_status_to_string (err.status)), ("%s", err.message));
    g_free (location);
    return FALSE;
  }
}

static gboolean
gst_esdnet_derain_stop (GstBaseTransform * trans)
{
  GstEsdnetDerain *self = GST_ESDNET_DERAIN (trans);

  free_format_state (self);
  g_clear_pointer (&self->stream, esdnet_stream_free);
  g_clear_pointer (&self->model, esdnet_model_free);
  GST_OBJECT_LOCK (self);
  self->reset_pending = FALSE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_esdnet_derain_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstEsdnetDerain *self = GST_ESDNET_DERAIN (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_STREAM_START:
    case GST_EVENT_GAP:
      request_reset (self, GST_EVENT_TYPE_NAME (event));
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static void
gst_esdnet_derain_before_transform (GstBaseTransform * trans,
    GstBuffer * buffer)
{
  GstClockTime timestamp = GST_BUFFER_TIMESTAMP (buffer);

  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT))
    request_reset (GST_ESDNET_DERAIN (trans), "discontinuity");
  if (GST_CLOCK_TIME_IS_VALID (timestamp)) {
    GstClockTime stream_time = gst_segment_to_stream_time (&trans->segment,
        GST_FORMAT_TIME, timestamp);
    if (GST_CLOCK_TIME_IS_VALID (stream_time))
      gst_object_sync_values (GST_OBJECT (trans), stream_time);
  }
}

static GstVideoConverter *
make_converter (const GstVideoInfo * from, const GstVideoInfo * to,
    guint threads)
{
  return gst_video_converter_new ((GstVideoInfo *) from, (GstVideoInfo *) to,
      gst_structure_new ("GstVideoConverter",
          GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
          GST_VIDEO_DITHER_NONE, GST_VIDEO_CONVERTER_OPT_THREADS, G_TYPE_UINT,
          MAX (threads, 1), NULL));
}

static gboolean
gst_esdnet_derain_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstEsdnetDerain *self = GST_ESDNET_DERAIN (filter);
  const gint width = GST_VIDEO_INFO_WIDTH (in_info);
  const gint height = GST_VIDEO_INFO_HEIGHT (in_info);
  esdnet_stream_params params = esdnet_stream_default_params ();
  esdnet_error err;

  GST_OBJECT_LOCK (self);
  params.num_threads = (int32_t) self->n_threads;
  params.membranes = (esdnet_membrane_precision) self->membrane_precision;
  params.ensemble = (int32_t) self->ensemble;
  GST_OBJECT_UNLOCK (self);

  free_format_state (self);
  switch (GST_VIDEO_INFO_FORMAT (in_info)) {
    case GST_VIDEO_FORMAT_RGB:
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_RGBA:
      self->path = ESDNET_PATH_DIRECT;
      break;
    default:
      self->path = ESDNET_PATH_CONVERT;
      gst_video_info_set_format (&self->rgb_info, GST_VIDEO_FORMAT_RGB, width,
          height);
      /* The converter wants identical timing and layout on both sides. */
      GST_VIDEO_INFO_FPS_N (&self->rgb_info) = GST_VIDEO_INFO_FPS_N (in_info);
      GST_VIDEO_INFO_FPS_D (&self->rgb_info) = GST_VIDEO_INFO_FPS_D (in_info);
      GST_VIDEO_INFO_INTERLACE_MODE (&self->rgb_info) =
          GST_VIDEO_INFO_INTERLACE_MODE (in_info);
      self->to_rgb = make_converter (in_info, &self->rgb_info,
          params.num_threads);
      self->from_rgb = make_converter (&self->rgb_info, out_info,
          params.num_threads);
      self->rgb_in = gst_buffer_new_allocate (NULL,
          GST_VIDEO_INFO_SIZE (&self->rgb_info), NULL);
      self->rgb_out = gst_buffer_new_allocate (NULL,
          GST_VIDEO_INFO_SIZE (&self->rgb_info), NULL);
      if (!self->to_rgb || !self->from_rgb || !self->rgb_in || !self->rgb_out)
        goto no_converter;
      break;
  }

  /* New caps start a new picture: fresh membranes, and a stream for the
   * new size. */
  g_clear_pointer (&self->stream, esdnet_stream_free);
  self->stream = esdnet_stream_create (self->model, width, height, &params,
      &err);
  if (!self->stream)
    goto no_stream;
  self->stream_threads = (guint) params.num_threads;
  GST_OBJECT_LOCK (self);
  self->reset_pending = FALSE;
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "%s %dx%d via %s", gst_video_format_to_string
      (GST_VIDEO_INFO_FORMAT (in_info)), width, height,
      self->path == ESDNET_PATH_DIRECT ? "direct RGB" : "RGB conversion");
  return TRUE;

  /* ERRORS */
no_converter:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("cannot convert %s to RGB and back",
            gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info))));
    free_format_state (self);
    return FALSE;
  }
no_stream:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Could not set up the network for %dx%d frames.", width, height),
        ("%s", err.message));
    free_format_state (self);
    return FALSE;
  }
}

/* out = in + strength * (out - in), on the three colour bytes. */
static void
blend_rgb (const esdnet_image_u8 * in, esdnet_image_u8 * out,
    gdouble strength)
{
  const gint s = (gint) (strength * 256.0 + 0.5);

  for (gint y = 0; y < in->height; y++) {
    const guint8 *a = in->data + (gsize) y * in->stride;
    guint8 *b = out->data + (gsize) y * out->stride;
    for (gint x = 0; x < in->width; x++) {
      for (gint c = 0; c < 3; c++) {
        gint va = a[x * in->pixel_stride + c];
        gint vb = b[x * out->pixel_stride + c];
        b[x * out->pixel_stride + c] = (guint8) (va + (((vb - va) * s +
                    128) >> 8));
      }
    }
  }
}

/* Packed 4-byte formats: the byte the network does not produce (alpha or
 * padding) is copied from the input untouched. */
static void
copy_fourth_byte (const GstVideoFrame * in, GstVideoFrame * out)
{
  const GstVideoFormatInfo *finfo = in->info.finfo;
  gint offset;

  if (GST_VIDEO_FRAME_N_PLANES (in) != 1 || GST_VIDEO_FRAME_COMP_PSTRIDE (in,
          0) != 4)
    return;
  /* The byte that is not R, G or B. */
  offset = 0 + 1 + 2 + 3 - GST_VIDEO_FORMAT_INFO_POFFSET (finfo, 0) -
      GST_VIDEO_FORMAT_INFO_POFFSET (finfo, 1) -
      GST_VIDEO_FORMAT_INFO_POFFSET (finfo, 2);
  for (gint y = 0; y < GST_VIDEO_FRAME_HEIGHT (in); y++) {
    const guint8 *a = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (in, 0) +
        (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (in, 0);
    guint8 *b = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (out, 0) +
        (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (out, 0);
    for (gint x = 0; x < GST_VIDEO_FRAME_WIDTH (in); x++)
      b[x * 4 + offset] = a[x * 4 + offset];
  }
}

static esdnet_image_u8
image_of_frame (GstVideoFrame * frame)
{
  esdnet_image_u8 img = {
    GST_VIDEO_FRAME_WIDTH (frame), GST_VIDEO_FRAME_HEIGHT (frame),
    GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0),
    GST_VIDEO_FRAME_COMP_PSTRIDE (frame, 0),
    GST_VIDEO_FRAME_PLANE_DATA (frame, 0)
  };
  return img;
}

static void
post_stats (GstEsdnetDerain * self, gdouble ms, GstEsdnetTemporalMode mode)
{
  esdnet_frame_stats st;

  esdnet_stream_get_stats (self->stream, &st);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("esdnet-stats",
              "frame", G_TYPE_UINT64, self->frame_count,
              "processing-ms", G_TYPE_DOUBLE, ms,
              "temporal-mode", G_TYPE_STRING,
              esdnet_temporal_mode_to_string ((esdnet_temporal_mode) mode),
              "scene-cut", G_TYPE_BOOLEAN, (gboolean) st.scene_cut,
              "spikes", G_TYPE_UINT64, st.spikes,
              "firing-rate", G_TYPE_DOUBLE, st.firing_rate,
              "acs", G_TYPE_DOUBLE, st.acs,
              "macs", G_TYPE_DOUBLE, st.macs,
              "energy-uj", G_TYPE_DOUBLE, st.energy_pj * 1e-6,
              "ann-macs", G_TYPE_DOUBLE, st.ann_macs,
              "ann-energy-uj", G_TYPE_DOUBLE, st.ann_energy_pj * 1e-6, NULL)));
}

static GstFlowReturn
gst_esdnet_derain_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in_frame, GstVideoFrame * out_frame)
{
  GstEsdnetDerain *self = GST_ESDNET_DERAIN (filter);
  GstEsdnetTemporalMode mode;
  gdouble strength, scene_cut_threshold;
  guint threads, every;
  gboolean reset;
  GstVideoFrame rgb_in, rgb_out;
  esdnet_image_u8 src, dst;
  esdnet_status status;
  gint64 start;

  /* Settings for this frame; the work happens outside the lock. */
  GST_OBJECT_LOCK (self);
  mode = self->temporal_mode;
  strength = self->strength;
  scene_cut_threshold = self->scene_cut_threshold;
  threads = self->n_threads;
  every = self->post_stats;
  reset = self->reset_pending;
  self->reset_pending = FALSE;
  GST_OBJECT_UNLOCK (self);

  self->frame_count++;
  if (strength <= 0.0) {
    /* Identity: the input exactly, and no state to carry past it. */
    esdnet_stream_reset (self->stream);
    return gst_video_frame_copy (out_frame, in_frame) ? GST_FLOW_OK :
        GST_FLOW_ERROR;
  }
  if (threads != self->stream_threads) {
    esdnet_stream_set_num_threads (self->stream, (int32_t) threads);
    self->stream_threads = threads;
  }

  if (self->path == ESDNET_PATH_DIRECT) {
    src = image_of_frame (in_frame);
    dst = image_of_frame (out_frame);
  } else {
    if (!gst_video_frame_map (&rgb_in, &self->rgb_info, self->rgb_in,
            GST_MAP_READWRITE))
      goto map_failed;
    if (!gst_video_frame_map (&rgb_out, &self->rgb_info, self->rgb_out,
            GST_MAP_READWRITE)) {
      gst_video_frame_unmap (&rgb_in);
      goto map_failed;
    }
    gst_video_converter_frame (self->to_rgb, in_frame, &rgb_in);
    src = image_of_frame (&rgb_in);
    dst = image_of_frame (&rgb_out);
  }

  /* The engine judges scene cuts (carry mode) against the frame before. */
  if (reset)
    esdnet_stream_reset (self->stream);
  esdnet_stream_set_scene_cut_threshold (self->stream, scene_cut_threshold);

  start = g_get_monotonic_time ();
  status = esdnet_stream_process_u8 (self->stream, &src, &dst,
      (esdnet_temporal_mode) mode);
  if (status != ESDNET_OK)
    goto process_failed;
  if (strength < 1.0)
    blend_rgb (&src, &dst, strength);

  if (self->path == ESDNET_PATH_CONVERT) {
    gst_video_converter_frame (self->from_rgb, &rgb_out, out_frame);
    gst_video_frame_unmap (&rgb_in);
    gst_video_frame_unmap (&rgb_out);
  }
  if (GST_VIDEO_INFO_HAS_ALPHA (&in_frame->info)
      || self->path == ESDNET_PATH_DIRECT)
    copy_fourth_byte (in_frame, out_frame);

  if (every && self->frame_count % every == 0)
    post_stats (self, (g_get_monotonic_time () - start) / 1000.0, mode);
  return GST_FLOW_OK;

  /* ERRORS */
map_failed:
  {
    GST_ELEMENT_ERROR (self, CORE, FAILED, (NULL),
        ("cannot map the RGB work frames"));
    return GST_FLOW_ERROR;
  }
process_failed:
  {
    if (self->path == ESDNET_PATH_CONVERT) {
      gst_video_frame_unmap (&rgb_in);
      gst_video_frame_unmap (&rgb_out);
    }
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL), ("%s",
            esdnet_stream_last_error (self->stream)));
    return GST_FLOW_ERROR;
  }
}
