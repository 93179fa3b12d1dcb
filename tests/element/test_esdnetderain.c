/* Tests of the esdnetderain element, through GstHarness.
 * SPDX-License-Identifier: MIT
 *
 * tests/element/meson.build runs each test case (CK_RUN_CASE) as its own
 * meson test, isolated like GStreamer's own suites: no system plugins, the
 * build's plugin directory, a registry of its own. The models come from the
 * environment:
 *   ESDNET_TEST_MODEL          a small fixture model (d8_t3)
 *   ESDNET_TEST_MODEL_D16      a second fixture model (d16_t4)
 *   ESDNET_TEST_BUILTIN_MODEL  the file compiled into the element
 * Frames are small and random (fixed seeds); the network runs on one thread
 * except where a test says otherwise.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "esdnet.h"

/* The element's GstEsdnetTemporalMode values. */
#define MODE_RESET 0
#define MODE_CARRY 1

static const GstVideoFormat all_formats[] = {
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx,
  GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
  GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_ARGB,
  GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_YV12,
  GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_NV21, GST_VIDEO_FORMAT_Y42B,
  GST_VIDEO_FORMAT_Y444,
};

/* ------------------------------------------------------------- helpers */

static const gchar *
model_path (const gchar * variable)
{
  const gchar *path = g_getenv (variable);

  fail_unless (path != NULL && *path != '\0', "%s is not set", variable);
  fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR),
      "%s=%s is not a file", variable, path);
  return path;
}

#define SMALL_MODEL model_path ("ESDNET_TEST_MODEL")
#define D16_MODEL model_path ("ESDNET_TEST_MODEL_D16")
#define BUILTIN_MODEL_FILE model_path ("ESDNET_TEST_BUILTIN_MODEL")

/* A new esdnetderain with one thread and no scene-cut detection, then
 * model-location = @model (NULL: the built-in model) and the given
 * properties. */
static GstElement *
element_new_valist (const gchar * model, const gchar * first_property,
    va_list args)
{
  GstElement *e = gst_element_factory_make ("esdnetderain", NULL);

  fail_unless (e != NULL, "no esdnetderain element: check GST_PLUGIN_PATH");
  g_object_set (e, "n-threads", 1, "scene-cut-threshold", 0.0, NULL);
  if (model)
    g_object_set (e, "model-location", model, NULL);
  if (first_property)
    g_object_set_valist (G_OBJECT (e), first_property, args);
  return e;
}

static GstHarness *
harness_new (const gchar * model, const gchar * first_property, ...)
{
  GstElement *e;
  GstHarness *h;
  va_list args;

  va_start (args, first_property);
  e = element_new_valist (model, first_property, args);
  va_end (args);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

static void
info_init (GstVideoInfo * info, GstVideoFormat format, gint width,
    gint height)
{
  fail_unless (gst_video_info_set_format (info, format, width, height));
  GST_VIDEO_INFO_FPS_N (info) = 30;
  GST_VIDEO_INFO_FPS_D (info) = 1;
}

static GstCaps *
caps_new (GstVideoFormat format, gint width, gint height)
{
  GstVideoInfo info;

  info_init (&info, format, width, height);
  return gst_video_info_to_caps (&info);
}

/* A frame of random bytes (every plane, padding included), or of one
 * value when @rng is NULL. */
static GstBuffer *
frame_new (GstVideoFormat format, gint width, gint height, GRand * rng,
    guint8 value)
{
  GstVideoInfo info;
  GstBuffer *buf;
  GstMapInfo map;

  info_init (&info, format, width, height);
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = rng ? (guint8) g_rand_int_range (rng, 0, 256) : value;
  gst_buffer_unmap (buf, &map);
  return buf;
}

#define random_frame(fmt, w, h, rng) frame_new (fmt, w, h, rng, 0)
#define flat_frame(fmt, w, h, v) frame_new (fmt, w, h, NULL, v)

/* Calls @func on every visible row of every plane of @a and @b (buffers of
 * @info); padding bytes are never looked at. */
typedef void (*RowFunc) (const guint8 * a, const guint8 * b, gsize len,
    gpointer data);

static void
for_each_row (const GstVideoInfo * info, GstBuffer * a, GstBuffer * b,
    RowFunc func, gpointer data)
{
  GstVideoFrame fa, fb;

  fail_unless (gst_video_frame_map (&fa, (GstVideoInfo *) info, a,
          GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fb, (GstVideoInfo *) info, b,
          GST_MAP_READ));
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&fa); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    gint rows;
    gsize len;

    gst_video_format_info_component (info->finfo, p, comp);
    rows = GST_VIDEO_FRAME_COMP_HEIGHT (&fa, comp[0]);
    len = (gsize) GST_VIDEO_FRAME_COMP_WIDTH (&fa, comp[0]) *
        GST_VIDEO_FRAME_COMP_PSTRIDE (&fa, comp[0]);
    for (gint y = 0; y < rows; y++)
      func ((const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fa, p) +
          (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&fa, p),
          (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fb, p) +
          (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&fb, p), len, data);
  }
  gst_video_frame_unmap (&fa);
  gst_video_frame_unmap (&fb);
}

static void
count_different (const guint8 * a, const guint8 * b, gsize len,
    gpointer data)
{
  guint64 *count = data;

  for (gsize i = 0; i < len; i++)
    *count += a[i] != b[i];
}

/* Visible bytes that differ between two frames of @info. */
static guint64
frames_differ (const GstVideoInfo * info, GstBuffer * a, GstBuffer * b)
{
  guint64 count = 0;

  for_each_row (info, a, b, count_different, &count);
  return count;
}

static gboolean
frames_equal (const GstVideoInfo * info, GstBuffer * a, GstBuffer * b)
{
  return frames_differ (info, a, b) == 0;
}

static void
assert_output_matches (GstHarness * h, GstBuffer * out,
    GstVideoFormat format, gint width, gint height)
{
  GstVideoInfo info;
  GstCaps *caps;

  fail_unless (out != NULL);
  info_init (&info, format, width, height);
  fail_unless (gst_buffer_get_size (out) >= GST_VIDEO_INFO_SIZE (&info),
      "%s %dx%d: output of %" G_GSIZE_FORMAT " bytes, expected %"
      G_GSIZE_FORMAT, gst_video_format_to_string (format), width, height,
      gst_buffer_get_size (out), GST_VIDEO_INFO_SIZE (&info));
  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (caps != NULL);
  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  fail_unless_equals_string (gst_video_format_to_string
      (GST_VIDEO_INFO_FORMAT (&info)), gst_video_format_to_string (format));
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), width);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), height);
  fail_unless_equals_int (gst_buffer_get_size (out),
      GST_VIDEO_INFO_SIZE (&info));
}

/* The engine itself, fed the same RGB frames as the element. */
typedef struct
{
  esdnet_model *model;
  esdnet_stream *stream;
  GstVideoInfo info;
} Engine;

static Engine *
engine_new (const gchar * path, gint width, gint height,
    esdnet_membrane_precision membranes, gint ensemble)
{
  Engine *e = g_new0 (Engine, 1);
  esdnet_stream_params params = esdnet_stream_default_params ();
  esdnet_error err;

  params.num_threads = 1;
  params.membranes = membranes;
  params.ensemble = ensemble;
  e->model = esdnet_model_load_from_file (path, &err);
  fail_unless (e->model != NULL, "%s", err.message);
  e->stream = esdnet_stream_create (e->model, width, height, &params, &err);
  fail_unless (e->stream != NULL, "%s", err.message);
  info_init (&e->info, GST_VIDEO_FORMAT_RGB, width, height);
  return e;
}

static void
engine_free (Engine * e)
{
  esdnet_stream_free (e->stream);
  esdnet_model_free (e->model);
  g_free (e);
}

static esdnet_image_u8
image_of (GstVideoFrame * frame)
{
  esdnet_image_u8 img = {
    GST_VIDEO_FRAME_WIDTH (frame), GST_VIDEO_FRAME_HEIGHT (frame),
    GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0), 3,
    GST_VIDEO_FRAME_PLANE_DATA (frame, 0)
  };
  return img;
}

static GstBuffer *
engine_process (Engine * e, GstBuffer * in, esdnet_temporal_mode mode)
{
  GstBuffer *out = gst_buffer_new_allocate (NULL, e->info.size, NULL);
  GstVideoFrame fi, fo;
  esdnet_image_u8 src, dst;

  gst_buffer_memset (out, 0, 0, e->info.size);
  fail_unless (gst_video_frame_map (&fi, &e->info, in, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fo, &e->info, out, GST_MAP_WRITE));
  src = image_of (&fi);
  dst = image_of (&fo);
  fail_unless_equals_int (esdnet_stream_process_u8 (e->stream, &src, &dst,
          mode), ESDNET_OK);
  gst_video_frame_unmap (&fi);
  gst_video_frame_unmap (&fo);
  return out;
}

/* The output a fresh element (carry mode) gives for @frame. */
static GstBuffer *
fresh_output (GstVideoFormat format, gint width, gint height,
    GstBuffer * frame, const gchar * model)
{
  GstHarness *h = harness_new (model, "temporal-mode", MODE_CARRY, NULL);
  GstBuffer *out;

  gst_harness_set_src_caps (h, caps_new (format, width, height));
  out = gst_harness_push_and_pull (h, gst_buffer_ref (frame));
  fail_unless (out != NULL);
  gst_harness_teardown (h);
  return out;
}

/* Pops the element messages named "esdnet-stats" off @bus. */
static GList *
pop_stats (GstBus * bus)
{
  GList *list = NULL;
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, "esdnet-stats"))
      list = g_list_append (list, msg);
    else
      gst_message_unref (msg);
  }
  return list;
}

/* ------------------------------------------------------ caps negotiation */

static void
check_format (GstVideoFormat format, gint width, gint height)
{
  GRand *rng = g_rand_new_with_seed (format);
  GstHarness *h = harness_new (SMALL_MODEL, NULL);
  GstVideoInfo info;

  info_init (&info, format, width, height);
  gst_harness_set_src_caps (h, caps_new (format, width, height));
  for (gint i = 0; i < 2; i++) {
    GstBuffer *in = random_frame (format, width, height, rng);
    GstBuffer *out = gst_harness_push_and_pull (h, gst_buffer_ref (in));

    assert_output_matches (h, out, format, width, height);
    /* The network does something to random pixels. */
    fail_if (frames_equal (&info, in, out), "%s: output equals input",
        gst_video_format_to_string (format));
    gst_buffer_unref (in);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_rand_free (rng);
}

GST_START_TEST (test_every_template_format)
{
  for (guint i = 0; i < G_N_ELEMENTS (all_formats); i++) {
    check_format (all_formats[i], 16, 12);
    check_format (all_formats[i], 15, 9);
  }
}

GST_END_TEST;

GST_START_TEST (test_template_lists_the_formats)
{
  GstElement *e = gst_element_factory_make ("esdnetderain", NULL);
  GstPad *pad;
  GstCaps *tmpl;

  fail_unless (e != NULL);
  pad = gst_element_get_static_pad (e, "sink");
  tmpl = gst_pad_get_pad_template_caps (pad);
  for (guint i = 0; i < G_N_ELEMENTS (all_formats); i++) {
    GstCaps *caps = caps_new (all_formats[i], 16, 16);
    fail_unless (gst_caps_can_intersect (tmpl, caps), "%s missing",
        gst_video_format_to_string (all_formats[i]));
    gst_caps_unref (caps);
  }
  gst_caps_unref (tmpl);
  gst_object_unref (pad);
  gst_object_unref (e);
}

GST_END_TEST;

/* -------------------------------------------------- output = the engine */

static void
check_against_engine_with (const gchar * model, gboolean use_builtin,
    gint mode, gint width, gint height, gint frames,
    esdnet_membrane_precision membranes, gint ensemble)
{
  GRand *rng = g_rand_new_with_seed (width * 1000 + height + mode);
  GstHarness *h = harness_new (use_builtin ? NULL : model,
      "temporal-mode", mode, "membrane-precision", membranes,
      "ensemble", ensemble, NULL);
  Engine *e = engine_new (model, width, height, membranes, ensemble);

  gst_harness_set_src_caps (h, caps_new (GST_VIDEO_FORMAT_RGB, width,
          height));
  for (gint i = 0; i < frames; i++) {
    GstBuffer *in = random_frame (GST_VIDEO_FORMAT_RGB, width, height, rng);
    GstBuffer *expected = engine_process (e, in, (esdnet_temporal_mode) mode);
    GstBuffer *out = gst_harness_push_and_pull (h, gst_buffer_ref (in));

    assert_output_matches (h, out, GST_VIDEO_FORMAT_RGB, width, height);
    fail_unless_equals_int (frames_differ (&e->info, out, expected), 0);
    gst_buffer_unref (in);
    gst_buffer_unref (expected);
    gst_buffer_unref (out);
  }
  engine_free (e);
  gst_harness_teardown (h);
  g_rand_free (rng);
}

static void
check_against_engine (const gchar * model, gboolean use_builtin,
    gint mode, gint width, gint height, gint frames)
{
  check_against_engine_with (model, use_builtin, mode, width, height, frames,
      ESDNET_MEMBRANES_F32, 1);
}

GST_START_TEST (test_engine_output_reset)
{
  check_against_engine (SMALL_MODEL, FALSE, MODE_RESET, 16, 12, 3);
  check_against_engine (D16_MODEL, FALSE, MODE_RESET, 13, 10, 2);
}

GST_END_TEST;

GST_START_TEST (test_engine_output_carry)
{
  check_against_engine (SMALL_MODEL, FALSE, MODE_CARRY, 16, 12, 3);
  check_against_engine (D16_MODEL, FALSE, MODE_CARRY, 13, 10, 3);
}

GST_END_TEST;

/* membrane-precision reaches the engine: the element's f16 output is the
 * engine's f16 output, which (on these frames) is not the f32 one. */
GST_START_TEST (test_engine_output_carry_f16)
{
  const gint width = 40, height = 32, frames = 4;
  GRand *rng = g_rand_new_with_seed (16);
  Engine *f32 = engine_new (D16_MODEL, width, height, ESDNET_MEMBRANES_F32, 1);
  Engine *f16 = engine_new (D16_MODEL, width, height, ESDNET_MEMBRANES_F16, 1);
  gint differing = 0;

  for (gint i = 0; i < frames; i++) {
    GstBuffer *in = random_frame (GST_VIDEO_FORMAT_RGB, width, height, rng);
    GstBuffer *a = engine_process (f32, in, ESDNET_TEMPORAL_CARRY);
    GstBuffer *b = engine_process (f16, in, ESDNET_TEMPORAL_CARRY);

    differing += frames_differ (&f32->info, a, b) > 0;
    gst_buffer_unref (in);
    gst_buffer_unref (a);
    gst_buffer_unref (b);
  }
  engine_free (f32);
  engine_free (f16);
  g_rand_free (rng);
  fail_unless (differing > 0, "f16 and f32 membranes gave the same frames");
  check_against_engine_with (D16_MODEL, FALSE, MODE_CARRY, width, height,
      frames, ESDNET_MEMBRANES_F16, 1);
}

GST_END_TEST;

/* ensemble reaches the engine: the element's output is the engine's with
 * as many views, which is not the one-view output. */
GST_START_TEST (test_engine_output_ensemble)
{
  const gint width = 15, height = 10;
  GRand *rng = g_rand_new_with_seed (3);
  Engine *one = engine_new (D16_MODEL, width, height, ESDNET_MEMBRANES_F32, 1);
  Engine *three = engine_new (D16_MODEL, width, height,
      ESDNET_MEMBRANES_F32, 3);
  GstBuffer *in = random_frame (GST_VIDEO_FORMAT_RGB, width, height, rng);
  GstBuffer *a = engine_process (one, in, ESDNET_TEMPORAL_RESET);
  GstBuffer *b = engine_process (three, in, ESDNET_TEMPORAL_RESET);

  fail_unless (frames_differ (&one->info, a, b) > 0,
      "three views gave the one-view frame");
  gst_buffer_unref (in);
  gst_buffer_unref (a);
  gst_buffer_unref (b);
  engine_free (one);
  engine_free (three);
  g_rand_free (rng);
  check_against_engine_with (D16_MODEL, FALSE, MODE_CARRY, width, height, 3,
      ESDNET_MEMBRANES_F32, 3);
  check_against_engine_with (SMALL_MODEL, FALSE, MODE_RESET, 16, 12, 2,
      ESDNET_MEMBRANES_F32, 4);
}

GST_END_TEST;

/* No model-location: the model compiled into the element, which is the
 * file named in models/meson.build (default_model_name). */
GST_START_TEST (test_builtin_model)
{
  check_against_engine (BUILTIN_MODEL_FILE, TRUE, MODE_CARRY, 16, 12, 2);
}

GST_END_TEST;

/* ------------------------------------------------------------ alpha */

static void
check_alpha_kept (GstVideoFormat format, gint alpha_byte)
{
  const gint width = 11, height = 7;
  GRand *rng = g_rand_new_with_seed (42 + format);
  GstHarness *h = harness_new (SMALL_MODEL, NULL);
  GstVideoInfo info;

  info_init (&info, format, width, height);
  gst_harness_set_src_caps (h, caps_new (format, width, height));
  for (gint i = 0; i < 2; i++) {
    GstBuffer *in = random_frame (format, width, height, rng);
    GstBuffer *out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
    GstVideoFrame fi, fo;
    gint changed = 0;

    assert_output_matches (h, out, format, width, height);
    fail_unless (gst_video_frame_map (&fi, &info, in, GST_MAP_READ));
    fail_unless (gst_video_frame_map (&fo, &info, out, GST_MAP_READ));
    for (gint y = 0; y < height; y++) {
      const guint8 *a = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fi, 0) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (&fi, 0);
      const guint8 *b = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fo, 0) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (&fo, 0);
      for (gint x = 0; x < width; x++) {
        fail_unless_equals_int (b[x * 4 + alpha_byte], a[x * 4 + alpha_byte]);
        for (gint c = 0; c < 4; c++)
          changed += c != alpha_byte && a[x * 4 + c] != b[x * 4 + c];
      }
    }
    fail_unless (changed > 0, "%s: colour untouched",
        gst_video_format_to_string (format));
    gst_video_frame_unmap (&fi);
    gst_video_frame_unmap (&fo);
    gst_buffer_unref (in);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_rand_free (rng);
}

GST_START_TEST (test_alpha_untouched)
{
  check_alpha_kept (GST_VIDEO_FORMAT_RGBA, 3);  /* direct */
  check_alpha_kept (GST_VIDEO_FORMAT_BGRA, 3);  /* converted */
  check_alpha_kept (GST_VIDEO_FORMAT_ARGB, 0);
  check_alpha_kept (GST_VIDEO_FORMAT_ABGR, 0);
}

GST_END_TEST;

/* ------------------------------------------------------------ strength */

static gboolean
buffers_identical (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo ma, mb;
  gboolean same;

  fail_unless (gst_buffer_map (a, &ma, GST_MAP_READ));
  fail_unless (gst_buffer_map (b, &mb, GST_MAP_READ));
  same = ma.size == mb.size && memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return same;
}

static void
check_strength_zero (GstVideoFormat format, gint width, gint height)
{
  GRand *rng = g_rand_new_with_seed (7);
  GstHarness *h = harness_new (SMALL_MODEL, "strength", 0.0, NULL);

  gst_harness_set_src_caps (h, caps_new (format, width, height));
  for (gint i = 0; i < 3; i++) {
    GstBuffer *in = random_frame (format, width, height, rng);
    GstBuffer *out = gst_harness_push_and_pull (h, gst_buffer_ref (in));

    assert_output_matches (h, out, format, width, height);
    /* Bit-exact, whole buffer (these sizes have no row padding). */
    fail_unless (buffers_identical (in, out), "%s: strength 0 changed the "
        "picture", gst_video_format_to_string (format));
    gst_buffer_unref (in);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_rand_free (rng);
}

GST_START_TEST (test_strength_zero_is_identity)
{
  check_strength_zero (GST_VIDEO_FORMAT_RGB, 16, 12);
  check_strength_zero (GST_VIDEO_FORMAT_I420, 16, 12);
  check_strength_zero (GST_VIDEO_FORMAT_NV12, 16, 12);
  check_strength_zero (GST_VIDEO_FORMAT_RGBA, 16, 12);
}

GST_END_TEST;

/* strength 0.5: every colour byte lies between the input and the fully
 * derained output. */
GST_START_TEST (test_strength_half_between)
{
  const gint width = 16, height = 12;
  const gdouble strengths[2] = { 1.0, 0.5 };
  GRand *rng = g_rand_new_with_seed (11);
  GstBuffer *in = random_frame (GST_VIDEO_FORMAT_RGB, width, height, rng);
  GstBuffer *outs[2];
  GstVideoFrame fi, ff, fh;
  GstVideoInfo info;
  guint64 outside = 0, strictly_between = 0;

  info_init (&info, GST_VIDEO_FORMAT_RGB, width, height);
  for (gint i = 0; i < 2; i++) {
    GstHarness *h = harness_new (SMALL_MODEL, "temporal-mode", MODE_RESET,
        "strength", strengths[i], NULL);
    gst_harness_set_src_caps (h, caps_new (GST_VIDEO_FORMAT_RGB, width,
            height));
    outs[i] = gst_harness_push_and_pull (h, gst_buffer_ref (in));
    fail_unless (outs[i] != NULL);
    gst_harness_teardown (h);
  }
  fail_unless (gst_video_frame_map (&fi, &info, in, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&ff, &info, outs[0], GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fh, &info, outs[1], GST_MAP_READ));
  for (gint y = 0; y < height; y++) {
    const guint8 *a = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fi, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&fi, 0);
    const guint8 *f = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&ff, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&ff, 0);
    const guint8 *b = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fh, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&fh, 0);
    for (gint x = 0; x < width * 3; x++) {
      const guint8 lo = MIN (a[x], f[x]), hi = MAX (a[x], f[x]);
      outside += b[x] < lo || b[x] > hi;
      strictly_between += b[x] > lo && b[x] < hi;
    }
  }
  gst_video_frame_unmap (&fi);
  gst_video_frame_unmap (&ff);
  gst_video_frame_unmap (&fh);
  fail_unless_equals_int (outside, 0);
  fail_unless (strictly_between > 0);
  fail_unless (frames_differ (&info, outs[0], outs[1]) > 0);
  fail_unless (frames_differ (&info, in, outs[1]) > 0);
  gst_buffer_unref (outs[0]);
  gst_buffer_unref (outs[1]);
  gst_buffer_unref (in);
  g_rand_free (rng);
}

GST_END_TEST;

/* ----------------------------------------------------- temporal state */

GST_START_TEST (test_carry_differs_from_reset)
{
  const gint width = 16, height = 12;
  GRand *rng = g_rand_new_with_seed (5);
  GstBuffer *a = random_frame (GST_VIDEO_FORMAT_RGB, width, height, rng);
  GstBuffer *b = random_frame (GST_VIDEO_FORMAT_RGB, width, height, rng);
  GstBuffer *out[2][2];
  GstVideoInfo info;

  info_init (&info, GST_VIDEO_FORMAT_RGB, width, height);
  for (gint mode = 0; mode < 2; mode++) {
    GstHarness *h = harness_new (SMALL_MODEL, "temporal-mode", mode, NULL);
    gst_harness_set_src_caps (h, caps_new (GST_VIDEO_FORMAT_RGB, width,
            height));
    out[mode][0] = gst_harness_push_and_pull (h, gst_buffer_ref (a));
    out[mode][1] = gst_harness_push_and_pull (h, gst_buffer_ref (b));
    gst_harness_teardown (h);
  }
  /* The first frame starts from zero membranes either way. */
  fail_unless (frames_equal (&info, out[0][0], out[1][0]));
  fail_if (frames_equal (&info, out[0][1], out[1][1]));
  for (gint i = 0; i < 4; i++)
    gst_buffer_unref (out[i / 2][i % 2]);
  gst_buffer_unref (a);
  gst_buffer_unref (b);
  g_rand_free (rng);
}

GST_END_TEST;

typedef enum
{
  TRIGGER_NONE,
  TRIGGER_FLUSH,
  TRIGGER_STREAM_START,
  TRIGGER_GAP,
  TRIGGER_DISCONT,
  TRIGGER_CAPS,
  TRIGGER_STATE,
} Trigger;

/* Frame A, then @trigger, then frame B in carry mode: B's output equals a
 * fresh element's output for B exactly when the membranes were reset. */
static void
check_trigger (Trigger trigger, gboolean expect_reset)
{
  const gint width = 16, height = 12;
  const gint a_width = trigger == TRIGGER_CAPS ? 20 : width;
  const gint a_height = trigger == TRIGGER_CAPS ? 10 : height;
  GRand *rng = g_rand_new_with_seed (3);
  GstBuffer *a = random_frame (GST_VIDEO_FORMAT_RGB, a_width, a_height, rng);
  GstBuffer *b = random_frame (GST_VIDEO_FORMAT_RGB, width, height, rng);
  GstBuffer *fresh = fresh_output (GST_VIDEO_FORMAT_RGB, width, height, b,
      SMALL_MODEL);
  GstHarness *h = harness_new (SMALL_MODEL, "temporal-mode", MODE_CARRY,
      NULL);
  GstBuffer *out, *again;
  GstSegment segment;
  GstVideoInfo info;

  info_init (&info, GST_VIDEO_FORMAT_RGB, width, height);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_harness_set_src_caps (h, caps_new (GST_VIDEO_FORMAT_RGB, a_width,
          a_height));
  GST_BUFFER_PTS (a) = 0;
  GST_BUFFER_DURATION (a) = GST_SECOND / 30;
  out = gst_harness_push_and_pull (h, gst_buffer_ref (a));
  fail_unless (out != NULL);
  gst_buffer_unref (out);

  b = gst_buffer_make_writable (b);
  GST_BUFFER_PTS (b) = GST_SECOND / 30;
  GST_BUFFER_DURATION (b) = GST_SECOND / 30;
  switch (trigger) {
    case TRIGGER_NONE:
      break;
    case TRIGGER_FLUSH:
      fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
      fail_unless (gst_harness_push_event (h,
              gst_event_new_flush_stop (TRUE)));
      fail_unless (gst_harness_push_event (h,
              gst_event_new_segment (&segment)));
      break;
    case TRIGGER_STREAM_START:
      fail_unless (gst_harness_push_event (h,
              gst_event_new_stream_start ("esdnet-test-second-stream")));
      fail_unless (gst_harness_push_event (h,
              gst_event_new_segment (&segment)));
      break;
    case TRIGGER_GAP:
      fail_unless (gst_harness_push_event (h,
              gst_event_new_gap (GST_SECOND / 30, GST_SECOND / 30)));
      GST_BUFFER_PTS (b) = 2 * GST_SECOND / 30;
      break;
    case TRIGGER_DISCONT:
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
      break;
    case TRIGGER_CAPS:
      gst_harness_set_src_caps (h, caps_new (GST_VIDEO_FORMAT_RGB, width,
              height));
      break;
    case TRIGGER_STATE:
      fail_unless_equals_int (gst_element_set_state (h->element,
              GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
      gst_harness_play (h);
      break;
  }
  out = gst_harness_push_and_pull (h, gst_buffer_ref (b));
  fail_unless (out != NULL);
  if (expect_reset)
    fail_unless (frames_equal (&info, out, fresh),
        "trigger %d: the membranes were carried", trigger);
  else
    fail_if (frames_equal (&info, out, fresh),
        "trigger %d: the membranes were reset", trigger);

  /* And the stream goes on from there: carried again. */
  gst_buffer_unref (out);
  again = gst_buffer_copy (b);
  GST_BUFFER_FLAG_UNSET (again, GST_BUFFER_FLAG_DISCONT);
  out = gst_harness_push_and_pull (h, again);
  fail_if (frames_equal (&info, out, fresh));
  gst_buffer_unref (out);

  gst_harness_teardown (h);
  gst_buffer_unref (fresh);
  gst_buffer_unref (a);
  gst_buffer_unref (b);
  g_rand_free (rng);
}

GST_START_TEST (test_carry_without_event)
{
  check_trigger (TRIGGER_NONE, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_reset_on_flush)
{
  check_trigger (TRIGGER_FLUSH, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_reset_on_stream_start)
{
  check_trigger (TRIGGER_STREAM_START, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_reset_on_gap)
{
  check_trigger (TRIGGER_GAP, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_reset_on_discont)
{
  check_trigger (TRIGGER_DISCONT, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_reset_on_new_caps)
{
  check_trigger (TRIGGER_CAPS, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_reset_on_paused_ready_paused)
{
  check_trigger (TRIGGER_STATE, TRUE);
}

GST_END_TEST;

/* Black, then white: a scene cut when the threshold is above 0. */
static void
check_scene_cut (gdouble threshold, gboolean expect_cut)
{
  const gint width = 16, height = 12;
  GstBuffer *black = flat_frame (GST_VIDEO_FORMAT_RGB, width, height, 0);
  GstBuffer *white = flat_frame (GST_VIDEO_FORMAT_RGB, width, height, 255);
  GstBuffer *fresh = fresh_output (GST_VIDEO_FORMAT_RGB, width, height,
      white, SMALL_MODEL);
  GstHarness *h = harness_new (SMALL_MODEL, "temporal-mode", MODE_CARRY,
      "scene-cut-threshold", threshold, "post-stats", 1, NULL);
  GstBus *bus = gst_bus_new ();
  GstBuffer *out;
  GstVideoInfo info;
  GList *stats;
  gboolean cut = TRUE;

  info_init (&info, GST_VIDEO_FORMAT_RGB, width, height);
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps (h, caps_new (GST_VIDEO_FORMAT_RGB, width,
          height));
  for (gint i = 0; i < 2; i++) {
    out = gst_harness_push_and_pull (h, gst_buffer_ref (black));
    gst_buffer_unref (out);
  }
  out = gst_harness_push_and_pull (h, gst_buffer_ref (white));
  fail_unless_equals_int (frames_equal (&info, out, fresh), expect_cut);
  gst_buffer_unref (out);

  stats = pop_stats (bus);
  fail_unless_equals_int (g_list_length (stats), 3);
  fail_unless (gst_structure_get_boolean (gst_message_get_structure
          (g_list_nth_data (stats, 1)), "scene-cut", &cut));
  fail_if (cut, "a scene cut between two black frames");
  fail_unless (gst_structure_get_boolean (gst_message_get_structure
          (g_list_nth_data (stats, 2)), "scene-cut", &cut));
  fail_unless_equals_int (cut, expect_cut);
  g_list_free_full (stats, (GDestroyNotify) gst_message_unref);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  gst_buffer_unref (fresh);
  gst_buffer_unref (black);
  gst_buffer_unref (white);
}

GST_START_TEST (test_scene_cut_resets)
{
  check_scene_cut (0.2, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_scene_cut_off)
{
  check_scene_cut (0.0, FALSE);
}

GST_END_TEST;

/* Pushes @frame; returns the scene-cut field of the esdnet-stats message
 * it gives (post-stats must be 1). */
static gboolean
push_and_get_scene_cut (GstHarness * h, GstBus * bus, GstBuffer * frame)
{
  GList *stats;
  gboolean cut = FALSE;

  gst_buffer_unref (gst_harness_push_and_pull (h, gst_buffer_ref (frame)));
  stats = pop_stats (bus);
  fail_unless_equals_int (g_list_length (stats), 1);
  fail_unless (gst_structure_get_boolean (gst_message_get_structure
          (stats->data), "scene-cut", &cut));
  g_list_free_full (stats, (GDestroyNotify) gst_message_unref);
  return cut;
}

/* A cut is judged against the frame just before, even when that frame was
 * processed with the threshold at 0 or in reset mode. */
GST_START_TEST (test_scene_cut_against_previous_frame)
{
  const gint width = 16, height = 12;
  GstBuffer *black = flat_frame (GST_VIDEO_FORMAT_RGB, width, height, 0);
  GstBuffer *white = flat_frame (GST_VIDEO_FORMAT_RGB, width, height, 255);
  GstHarness *h = harness_new (SMALL_MODEL, "temporal-mode", MODE_CARRY,
      "scene-cut-threshold", 0.2, "post-stats", 1, NULL);
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps (h, caps_new (GST_VIDEO_FORMAT_RGB, width,
          height));

  /* Black, then white with the detection off, then white with it on:
   * white after white is no cut. */
  fail_if (push_and_get_scene_cut (h, bus, black));
  g_object_set (h->element, "scene-cut-threshold", 0.0, NULL);
  fail_if (push_and_get_scene_cut (h, bus, white));
  g_object_set (h->element, "scene-cut-threshold", 0.2, NULL);
  fail_if (push_and_get_scene_cut (h, bus, white));

  /* Black in reset mode, then white in carry mode: a cut. */
  g_object_set (h->element, "temporal-mode", MODE_RESET, NULL);
  fail_if (push_and_get_scene_cut (h, bus, black));
  g_object_set (h->element, "temporal-mode", MODE_CARRY, NULL);
  fail_unless (push_and_get_scene_cut (h, bus, white));

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  gst_buffer_unref (black);
  gst_buffer_unref (white);
}

GST_END_TEST;

/* ---------------------------------------------------- property stress */

/* 1,000 8x8 frames (some flat black and white, for scene cuts) while two
 * threads set @name to @v1 and @v2 over and over. */
static void
stress_property (const gchar * name, const GValue * v1, const GValue * v2)
{
  const gint width = 8, height = 8;
  GRand *rng = g_rand_new_with_seed (1);
  GstHarness *h = harness_new (SMALL_MODEL, NULL);
  GstBus *bus = gst_bus_new ();
  GstHarnessThread *t1, *t2;
  GstBuffer *frames[4];

  frames[0] = random_frame (GST_VIDEO_FORMAT_RGB, width, height, rng);
  frames[1] = random_frame (GST_VIDEO_FORMAT_RGB, width, height, rng);
  frames[2] = flat_frame (GST_VIDEO_FORMAT_RGB, width, height, 0);
  frames[3] = flat_frame (GST_VIDEO_FORMAT_RGB, width, height, 255);
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps (h, caps_new (GST_VIDEO_FORMAT_RGB, width,
          height));

  t1 = gst_harness_stress_property_start_full (h, name, v1, 100);
  t2 = gst_harness_stress_property_start_full (h, name, v2, 130);
  for (gint i = 0; i < 1000; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h,
        gst_buffer_ref (frames[i % 4]));

    fail_unless (out != NULL, "%s: no output for frame %d", name, i);
    fail_unless_equals_int (gst_buffer_get_size (out),
        gst_buffer_get_size (frames[0]));
    gst_buffer_unref (out);
    /* Keep the bus short when post-stats is on. */
    if (i % 100 == 99) {
      gst_bus_set_flushing (bus, TRUE);
      gst_bus_set_flushing (bus, FALSE);
    }
  }
  fail_unless (gst_harness_stress_thread_stop (t1) > 0);
  fail_unless (gst_harness_stress_thread_stop (t2) > 0);

  gst_bus_set_flushing (bus, TRUE);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  for (gint i = 0; i < 4; i++)
    gst_buffer_unref (frames[i]);
  g_rand_free (rng);
}

GST_START_TEST (test_stress_temporal_mode)
{
  GstElement *e = gst_element_factory_make ("esdnetderain", NULL);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
      "temporal-mode");
  GValue reset = G_VALUE_INIT, carry = G_VALUE_INIT;

  g_value_init (&reset, pspec->value_type);
  g_value_init (&carry, pspec->value_type);
  g_value_set_enum (&reset, MODE_RESET);
  g_value_set_enum (&carry, MODE_CARRY);
  gst_object_unref (e);
  stress_property ("temporal-mode", &reset, &carry);
  g_value_unset (&reset);
  g_value_unset (&carry);
}

GST_END_TEST;

static void
stress_double (const gchar * name, gdouble a, gdouble b)
{
  GValue v1 = G_VALUE_INIT, v2 = G_VALUE_INIT;

  g_value_set_double (g_value_init (&v1, G_TYPE_DOUBLE), a);
  g_value_set_double (g_value_init (&v2, G_TYPE_DOUBLE), b);
  stress_property (name, &v1, &v2);
}

static void
stress_uint (const gchar * name, guint a, guint b)
{
  GValue v1 = G_VALUE_INIT, v2 = G_VALUE_INIT;

  g_value_set_uint (g_value_init (&v1, G_TYPE_UINT), a);
  g_value_set_uint (g_value_init (&v2, G_TYPE_UINT), b);
  stress_property (name, &v1, &v2);
}

GST_START_TEST (test_stress_scene_cut_threshold)
{
  stress_double ("scene-cut-threshold", 0.0, 0.3);
}

GST_END_TEST;

GST_START_TEST (test_stress_n_threads)
{
  stress_uint ("n-threads", 1, 2);
}

GST_END_TEST;

GST_START_TEST (test_stress_strength)
{
  stress_double ("strength", 0.0, 0.6);
}

GST_END_TEST;

GST_START_TEST (test_stress_post_stats)
{
  stress_uint ("post-stats", 0, 1);
}

GST_END_TEST;

/* ----------------------------------------------------------- stats */

static void
check_stats_message (GstMessage * msg, guint64 expected_frame,
    const gchar * expected_mode)
{
  const GstStructure *s = gst_message_get_structure (msg);
  guint64 frame = 0;
  gdouble ms = -1, rate = -1, acs = -1, macs = -1, energy = -1, ann = -1;
  const gchar *mode;

  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ELEMENT);
  fail_unless (gst_structure_has_name (s, "esdnet-stats"));
  fail_unless (gst_structure_get_uint64 (s, "frame", &frame));
  fail_unless_equals_uint64 (frame, expected_frame);
  fail_unless (gst_structure_get_double (s, "processing-ms", &ms));
  fail_unless (gst_structure_get_double (s, "firing-rate", &rate));
  fail_unless (gst_structure_get_double (s, "acs", &acs));
  fail_unless (gst_structure_get_double (s, "macs", &macs));
  fail_unless (gst_structure_get_double (s, "energy-uj", &energy));
  fail_unless (gst_structure_get_double (s, "ann-energy-uj", &ann));
  mode = gst_structure_get_string (s, "temporal-mode");
  fail_unless (mode != NULL);
  fail_unless_equals_string (mode, expected_mode);

  fail_unless (ms >= 0.0 && ms < 60000.0, "processing-ms %g", ms);
  fail_unless (rate > 0.0 && rate < 1.0, "firing-rate %g", rate);
  fail_unless (acs > 0.0, "acs %g", acs);
  fail_unless (macs > 0.0, "macs %g", macs);
  fail_unless (ann > 0.0, "ann-energy-uj %g", ann);
  /* 0.9 pJ per accumulate, 4.6 pJ per multiply-accumulate. */
  fail_unless (fabs (energy - (0.9 * acs + 4.6 * macs) * 1e-6) <=
      1e-9 * energy, "energy-uj %g for %g ACs and %g MACs", energy, acs,
      macs);
}

static void
check_post_stats (guint every, gint mode, const gchar * mode_name)
{
  const gint width = 12, height = 8, frames = 6;
  GRand *rng = g_rand_new_with_seed (9);
  GstHarness *h = harness_new (SMALL_MODEL, "post-stats", every,
      "temporal-mode", mode, NULL);
  GstBus *bus = gst_bus_new ();
  GList *stats, *l;
  guint64 n;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps (h, caps_new (GST_VIDEO_FORMAT_RGB, width,
          height));
  for (gint i = 0; i < frames; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h,
            random_frame (GST_VIDEO_FORMAT_RGB, width, height, rng)));
  stats = pop_stats (bus);
  fail_unless_equals_int (g_list_length (stats), every ? frames / every : 0);
  for (l = stats, n = every; l; l = l->next, n += every)
    check_stats_message (l->data, n, mode_name);
  g_list_free_full (stats, (GDestroyNotify) gst_message_unref);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  g_rand_free (rng);
}

GST_START_TEST (test_post_stats)
{
  check_post_stats (2, MODE_CARRY, "carry");
  check_post_stats (3, MODE_RESET, "reset");
  check_post_stats (1, MODE_CARRY, "carry");
}

GST_END_TEST;

GST_START_TEST (test_post_stats_off)
{
  check_post_stats (0, MODE_CARRY, "carry");
}

GST_END_TEST;

/* ----------------------------------------------------------- errors */

/* Going to @state must fail with an ERROR message whose debug string
 * carries @expected1 or @expected2 (in any case). */
static void
check_load_error (const gchar * location, GstState state,
    const gchar * expected1, const gchar * expected2)
{
  GstElement *e = gst_element_factory_make ("esdnetderain", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL, *lower, *want1, *want2;

  fail_unless (e != NULL);
  gst_element_set_bus (e, bus);
  g_object_set (e, "model-location", location, NULL);
  fail_unless_equals_int (gst_element_set_state (e, state),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message for %s", location);
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (err->domain == GST_RESOURCE_ERROR, "%s", err->message);
  fail_unless (debug != NULL);
  lower = g_ascii_strdown (debug, -1);
  want1 = g_ascii_strdown (expected1, -1);
  want2 = expected2 ? g_ascii_strdown (expected2, -1) : NULL;
  fail_unless (strstr (lower, want1) || (want2 && strstr (lower, want2)),
      "error for %s: %s (%s)", location, err->message, debug);
  g_free (lower);
  g_free (want1);
  g_free (want2);
  g_free (debug);
  g_error_free (err);
  gst_message_unref (msg);

  /* And the element can still be shut down and used again. */
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  g_object_set (e, "model-location", SMALL_MODEL, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

static gchar *
temp_model (const guint8 * bytes, gsize len)
{
  GError *err = NULL;
  gchar *path = NULL;
  gint fd = g_file_open_tmp ("esdnet-test-XXXXXX.safetensors", &path, &err);

  fail_unless (fd >= 0, "%s", err ? err->message : "");
  close (fd);
  fail_unless (g_file_set_contents (path, (const gchar *) bytes, len, &err),
      "%s", err ? err->message : "");
  return path;
}

GST_START_TEST (test_corrupt_model)
{
  GRand *rng = g_rand_new_with_seed (1234);
  guint8 junk[37];
  gchar *path;

  for (gsize i = 0; i < sizeof (junk); i++)
    junk[i] = (guint8) g_rand_int_range (rng, 0, 256);
  path = temp_model (junk, sizeof (junk));
  check_load_error (path, GST_STATE_PAUSED, "header length", NULL);
  check_load_error (path, GST_STATE_PLAYING, "header length", NULL);
  g_unlink (path);
  g_free (path);
  g_rand_free (rng);
}

GST_END_TEST;

GST_START_TEST (test_truncated_model)
{
  gchar *contents = NULL, *path;
  gsize len = 0;

  fail_unless (g_file_get_contents (SMALL_MODEL, &contents, &len, NULL));
  path = temp_model ((const guint8 *) contents, len / 2);
  check_load_error (path, GST_STATE_PAUSED, path, NULL);
  g_unlink (path);
  g_free (path);
  g_free (contents);
}

GST_END_TEST;

GST_START_TEST (test_missing_model)
{
  check_load_error ("/nonexistent/esdnet/model.safetensors",
      GST_STATE_PAUSED, "no such file", NULL);
  check_load_error ("/nonexistent/esdnet/model.safetensors",
      GST_STATE_PLAYING, "no such file", NULL);
}

GST_END_TEST;

GST_START_TEST (test_directory_as_model)
{
  gchar *dir = g_path_get_dirname (SMALL_MODEL);

  check_load_error (dir, GST_STATE_PAUSED, "directory", "regular file");
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_null_ready_null_missing_model)
{
  GstElement *e = gst_element_factory_make ("esdnetderain", NULL);

  fail_unless (e != NULL);
  g_object_set (e, "model-location", "/nonexistent/model.safetensors", NULL);
  for (gint i = 0; i < 3; i++) {
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }
  gst_object_unref (e);
}

GST_END_TEST;

/* --------------------------------------------------------------- sizes */

GST_START_TEST (test_small_and_odd_sizes)
{
  static const gint sizes[][2] = { {1, 1}, {2, 1}, {1, 3}, {7, 5}, {33, 17} };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    const gint w = sizes[i][0], h = sizes[i][1];
    check_against_engine (SMALL_MODEL, FALSE, MODE_CARRY, w, h, 2);
    check_format (GST_VIDEO_FORMAT_I420, w, h);
    check_format (GST_VIDEO_FORMAT_NV12, w, h);
    check_format (GST_VIDEO_FORMAT_BGRx, w, h);
  }
}

GST_END_TEST;

GST_START_TEST (test_uhd_frame)
{
  const gint width = 3840, height = 2160;
  GRand *rng = g_rand_new_with_seed (2160);
  GstHarness *h = harness_new (SMALL_MODEL, "n-threads", 0, NULL);
  GstBuffer *in = random_frame (GST_VIDEO_FORMAT_RGB, width, height, rng);
  GstBuffer *out;
  GstVideoInfo info;

  info_init (&info, GST_VIDEO_FORMAT_RGB, width, height);
  gst_harness_set_src_caps (h, caps_new (GST_VIDEO_FORMAT_RGB, width,
          height));
  out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
  assert_output_matches (h, out, GST_VIDEO_FORMAT_RGB, width, height);
  fail_unless (frames_differ (&info, in, out) > 0);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (h);
  g_rand_free (rng);
}

GST_END_TEST;

/* ---------------------------------------------------- renegotiation */

GST_START_TEST (test_caps_change_mid_stream)
{
  static const struct
  {
    GstVideoFormat format;
    gint width, height;
  } steps[] = {
    {GST_VIDEO_FORMAT_RGB, 32, 24},
    {GST_VIDEO_FORMAT_RGB, 16, 12},
    {GST_VIDEO_FORMAT_I420, 20, 10},
    {GST_VIDEO_FORMAT_RGBA, 9, 6},
    {GST_VIDEO_FORMAT_NV12, 32, 24},
    {GST_VIDEO_FORMAT_RGB, 32, 24},
  };
  GRand *rng = g_rand_new_with_seed (77);
  GstHarness *h = harness_new (SMALL_MODEL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++) {
    gst_harness_set_src_caps (h, caps_new (steps[i].format, steps[i].width,
            steps[i].height));
    for (gint f = 0; f < 2; f++) {
      GstBuffer *out = gst_harness_push_and_pull (h,
          random_frame (steps[i].format, steps[i].width, steps[i].height,
              rng));
      assert_output_matches (h, out, steps[i].format, steps[i].width,
          steps[i].height);
      gst_buffer_unref (out);
    }
  }
  gst_harness_teardown (h);
  g_rand_free (rng);
}

GST_END_TEST;

/* Caps outside the template are refused: no crash, not-negotiated; good
 * caps afterwards still work. */
static void
check_refused_caps (GstVideoFormat format, gint width, gint height)
{
  GstHarness *h = harness_new (SMALL_MODEL, NULL);
  GstCaps *caps = caps_new (format, width, height);
  GstPad *sinkpad = gst_element_get_static_pad (h->element, "sink");
  GstBuffer *out;

  fail_if (gst_pad_query_accept_caps (sinkpad, caps));
  /* Sticky events are stored whatever the peer says: the refusal shows
   * with the first buffer, which is not negotiated (and no crash). */
  gst_harness_set_src_caps (h, caps);
  fail_unless_equals_int (gst_harness_push (h, flat_frame (format, 4, 4,
              128)), GST_FLOW_NOT_NEGOTIATED);
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);

  gst_harness_set_src_caps (h, caps_new (GST_VIDEO_FORMAT_RGB, 8, 8));
  out = gst_harness_push_and_pull (h, flat_frame (GST_VIDEO_FORMAT_RGB, 8, 8,
          100));
  assert_output_matches (h, out, GST_VIDEO_FORMAT_RGB, 8, 8);
  gst_buffer_unref (out);
  gst_object_unref (sinkpad);
  gst_harness_teardown (h);
}

GST_START_TEST (test_unsupported_caps)
{
  check_refused_caps (GST_VIDEO_FORMAT_RGB, 5000, 5000);
  check_refused_caps (GST_VIDEO_FORMAT_RGB, 4097, 16);
  check_refused_caps (GST_VIDEO_FORMAT_RGB, 16, 2305);
  check_refused_caps (GST_VIDEO_FORMAT_GRAY8, 16, 16);
  check_refused_caps (GST_VIDEO_FORMAT_I420_10LE, 16, 16);
}

GST_END_TEST;

/* ------------------------------------------------------------- suite */

static Suite *
esdnetderain_suite (void)
{
  Suite *s = suite_create ("esdnetderain");
  TCase *tc;

  tc = tcase_create ("formats");
  tcase_add_test (tc, test_template_lists_the_formats);
  tcase_add_test (tc, test_every_template_format);
  suite_add_tcase (s, tc);

  tc = tcase_create ("engine");
  tcase_add_test (tc, test_engine_output_reset);
  tcase_add_test (tc, test_engine_output_carry);
  tcase_add_test (tc, test_engine_output_carry_f16);
  tcase_add_test (tc, test_engine_output_ensemble);
  tcase_add_test (tc, test_builtin_model);
  suite_add_tcase (s, tc);

  tc = tcase_create ("picture");
  tcase_add_test (tc, test_alpha_untouched);
  tcase_add_test (tc, test_strength_zero_is_identity);
  tcase_add_test (tc, test_strength_half_between);
  suite_add_tcase (s, tc);

  tc = tcase_create ("temporal");
  tcase_add_test (tc, test_carry_differs_from_reset);
  tcase_add_test (tc, test_carry_without_event);
  tcase_add_test (tc, test_reset_on_flush);
  tcase_add_test (tc, test_reset_on_stream_start);
  tcase_add_test (tc, test_reset_on_gap);
  tcase_add_test (tc, test_reset_on_discont);
  tcase_add_test (tc, test_reset_on_new_caps);
  tcase_add_test (tc, test_reset_on_paused_ready_paused);
  tcase_add_test (tc, test_scene_cut_resets);
  tcase_add_test (tc, test_scene_cut_off);
  tcase_add_test (tc, test_scene_cut_against_previous_frame);
  suite_add_tcase (s, tc);

  tc = tcase_create ("stress");
  tcase_add_test (tc, test_stress_temporal_mode);
  tcase_add_test (tc, test_stress_scene_cut_threshold);
  tcase_add_test (tc, test_stress_n_threads);
  tcase_add_test (tc, test_stress_strength);
  tcase_add_test (tc, test_stress_post_stats);
  suite_add_tcase (s, tc);

  tc = tcase_create ("stats");
  tcase_add_test (tc, test_post_stats);
  tcase_add_test (tc, test_post_stats_off);
  suite_add_tcase (s, tc);

  tc = tcase_create ("errors");
  tcase_add_test (tc, test_corrupt_model);
  tcase_add_test (tc, test_truncated_model);
  tcase_add_test (tc, test_missing_model);
  tcase_add_test (tc, test_directory_as_model);
  tcase_add_test (tc, test_null_ready_null_missing_model);
  suite_add_tcase (s, tc);

  tc = tcase_create ("sizes");
  tcase_add_test (tc, test_small_and_odd_sizes);
  tcase_add_test (tc, test_caps_change_mid_stream);
  tcase_add_test (tc, test_unsupported_caps);
  suite_add_tcase (s, tc);

  /* One 3840x2160 frame: minutes on a small machine (suite 'slow'). */
  tc = tcase_create ("uhd");
  tcase_set_timeout (tc, 1200);
  tcase_add_test (tc, test_uhd_frame);
  suite_add_tcase (s, tc);

  return s;
}

GST_CHECK_MAIN (esdnetderain);
