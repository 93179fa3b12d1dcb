/* video_route.c — where each stream decodebin finds goes, for `esdnet
 * derain` on video (derain_video.c has the whole pipeline): the first
 * video stream to the engine's appsink; compressed streams the muxer takes
 * as they are, parsed; audio it does not take decoded and re-encoded;
 * anything else to a fakesink, with a note. */
#include "video_job.h"

#include "cli.h"

#include <gst/gst.h>
#include <stdio.h>
#include <string.h>

static void
add (video_job *j, GstElement *e)
{
  gst_bin_add (GST_BIN (j->pipeline), e);
}

GstElement *
video_job_make (video_job *j, const char *factory, const char **missing)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  if (e)
    add (j, e);
  else if (missing && !*missing)
    *missing = factory;
  return e;
}

/* The queues of the streams other than video take all they are given: a
 * full one, waiting for the muxer while the muxer waits for video frames
 * still inside the encoder, would stall the demuxer and so the video.
 * The demuxer, held back by the video branch, bounds what they hold. */
static GstElement *
make_unbounded_queue (void)
{
  GstElement *q = gst_element_factory_make ("queue", NULL);
  g_object_set (q, "max-size-buffers", 0u, "max-size-bytes", 0u,
      "max-size-time", (guint64) 0, NULL);
  return q;
}

/* The muxer's request sink template other than video that takes caps,
 * or NULL. */
static GstPadTemplate *
mux_template_for (GstElement *mux, GstCaps *caps)
{
  const GList *l = gst_element_class_get_pad_template_list
      (GST_ELEMENT_GET_CLASS (mux));
  for (; l; l = l->next) {
    GstPadTemplate *t = l->data;
    if (GST_PAD_TEMPLATE_DIRECTION (t) != GST_PAD_SINK
        || GST_PAD_TEMPLATE_PRESENCE (t) != GST_PAD_REQUEST
        || g_str_has_prefix (GST_PAD_TEMPLATE_NAME_TEMPLATE (t), "video"))
      continue;
    GstCaps *tcaps = gst_pad_template_get_caps (t);
    const bool fits = gst_caps_can_intersect (tcaps, caps);
    gst_caps_unref (tcaps);
    if (fits)
      return t;
  }
  return NULL;
}

static bool
is_parsed (GstCaps *caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  gboolean v = FALSE;
  return (gst_structure_get_boolean (s, "parsed", &v) && v)
      || (gst_structure_get_boolean (s, "framed", &v) && v);
}

static bool
parser_exists_for (GstCaps *caps)
{
  GList *parsers = gst_element_factory_list_get_elements
      (GST_ELEMENT_FACTORY_TYPE_PARSER, GST_RANK_MARGINAL);
  GList *fit = gst_element_factory_list_filter (parsers, caps, GST_PAD_SINK,
      FALSE);
  const bool exists = fit != NULL;
  gst_plugin_feature_list_free (fit);
  gst_plugin_feature_list_free (parsers);
  return exists;
}

static bool
made_by_parser (GstPad *pad)
{
  GstElement *e = gst_pad_get_parent_element (pad);
  GstElementFactory *f = e ? gst_element_get_factory (e) : NULL;
  const char *klass = f ? gst_element_factory_get_metadata (f,
      GST_ELEMENT_METADATA_KLASS) : NULL;
  const bool parser = klass && strstr (klass, "Parser");
  if (e)
    gst_object_unref (e);
  return parser;
}

/* decodebin asks whether to go on decoding a stream: stop at parsed
 * streams (not video) that the muxer takes as they are. */
gboolean
video_route_autoplug_continue (GstElement *decodebin, GstPad *pad, GstCaps *caps,
    gpointer data)
{
  video_job *j = data;
  const char *type = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (g_str_has_prefix (type, "video/") || g_str_has_prefix (type, "image/")
      || !mux_template_for (j->mux, caps))
    return TRUE;
  return !(is_parsed (caps) || made_by_parser (pad)
      || !parser_exists_for (caps));
}

/* Adds elements, brings them to the pipeline's state and links them. */
static bool
add_chain (video_job *j, GstElement **chain, int n)
{
  for (int i = 0; i < n; i++)
    add (j, chain[i]);
  bool ok = true;
  for (int i = 0; ok && i + 1 < n; i++)
    ok = gst_element_link (chain[i], chain[i + 1]);
  for (int i = n - 1; i >= 0; i--)
    gst_element_sync_state_with_parent (chain[i]);
  return ok;
}

/* Links a decodebin pad to the head of a branch, remembering the head. */
static bool
link_head (video_job *j, GstPad *pad, GstElement *head)
{
  GstPad *sink = gst_element_get_static_pad (head, "sink");
  const bool ok = gst_pad_link (pad, sink) == GST_PAD_LINK_OK;
  g_mutex_lock (&j->lock);
  g_ptr_array_add (j->branch_heads, sink);
  g_mutex_unlock (&j->lock);
  return ok;
}

/* The last link of a branch, decodebin's pad to the branch's head. The
 * muxer waits for data from the branch by now, so a failure is fatal.
 * True: the pad is taken care of. */
static bool
link_branch (video_job *j, GstPad *pad, GstElement *head, const char *type)
{
  if (!link_head (j, pad, head)) {
    cli_error ("cannot link the %s stream of '%s'", type, j->input);
    g_atomic_int_set (&j->link_failed, 1);
  }
  return true;
}

/* Through a queue into a muxer pad of the template. False, with nothing
 * waiting in the muxer, if they do not link. */
static bool
link_passthrough (video_job *j, GstPad *pad, GstCaps *caps,
    GstPadTemplate *templ, const char *type)
{
  GstElement *queue = make_unbounded_queue ();
  GstPad *mux_pad = gst_element_request_pad (j->mux, templ, NULL, caps);
  if (!mux_pad) {
    gst_object_unref (gst_object_ref_sink (queue));  /* never added */
    return false;
  }
  add_chain (j, &queue, 1);
  GstPad *queue_src = gst_element_get_static_pad (queue, "src");
  const bool ok = gst_pad_link (queue_src, mux_pad) == GST_PAD_LINK_OK;
  gst_object_unref (queue_src);
  if (!ok)  /* the queue stays, unlinked and harmless */
    gst_element_release_request_pad (j->mux, mux_pad);
  gst_object_unref (mux_pad);
  return ok && link_branch (j, pad, queue, type);
}

/* The first installed audio encoder whose output the muxer takes. */
static GstElement *
make_audio_encoder (video_job *j)
{
  const char *const candidates[] = { j->out->audio_encoder, "avenc_aac",
    "voaacenc", "fdkaacenc", "lamemp3enc", "opusenc", "vorbisenc", "flacenc" };
  for (size_t i = 0; i < G_N_ELEMENTS (candidates); i++) {
    GstElementFactory *f = gst_element_factory_find (candidates[i]);
    if (!f)
      continue;
    bool fits = false;
    for (const GList *l = gst_element_factory_get_static_pad_templates (f);
        l && !fits; l = l->next) {
      GstStaticPadTemplate *t = l->data;
      if (t->direction != GST_PAD_SRC)
        continue;
      GstCaps *caps = gst_static_pad_template_get_caps (t);
      fits = mux_template_for (j->mux, caps) != NULL;
      gst_caps_unref (caps);
    }
    GstElement *e = fits ? gst_element_factory_create (f, NULL) : NULL;
    gst_object_unref (f);
    if (e)
      return e;
  }
  return NULL;
}

/* Raw audio the muxer cannot take: encoded into something it can. */
static bool
link_reencoded (video_job *j, GstPad *pad)
{
  GstElement *encoder = make_audio_encoder (j);
  if (!encoder)
    return false;
  GstElement *chain[] = { make_unbounded_queue (),
    gst_element_factory_make ("audioconvert", NULL),
    gst_element_factory_make ("audioresample", NULL), encoder };
  if (!chain[1] || !chain[2]) {
    for (size_t i = 0; i < G_N_ELEMENTS (chain); i++)
      if (chain[i])
        gst_object_unref (gst_object_ref_sink (chain[i]));
    return false;
  }
  fprintf (stderr, "esdnet: note: re-encoding the audio with %s for %s\n",
      GST_OBJECT_NAME (gst_element_get_factory (encoder)),
      GST_OBJECT_NAME (gst_element_get_factory (j->mux)));
  return add_chain (j, chain, G_N_ELEMENTS (chain))
      && gst_element_link (encoder, j->mux)
      && link_branch (j, pad, chain[0], "audio");
}

static void
link_to_fakesink (video_job *j, GstPad *pad)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  add_chain (j, &sink, 1);
  link_head (j, pad, sink);
}

/* decodebin found a stream (in its streaming thread). */
void
video_route_pad_added (GstElement *decodebin, GstPad *pad, gpointer data)
{
  video_job *j = data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  const char *type = gst_caps_is_empty (caps) ? "unknown" :
      gst_structure_get_name (gst_caps_get_structure (caps, 0));
  bool linked = false;
  if (strcmp (type, "video/x-raw") == 0
      && g_atomic_int_compare_and_exchange (&j->have_video, 0, 1)) {
    linked = link_branch (j, pad, j->video_queue, "video");
  } else if (!g_str_has_prefix (type, "video/")) {
    GstPadTemplate *templ = mux_template_for (j->mux, caps);
    if (templ)
      linked = link_passthrough (j, pad, caps, templ, type);
    else if (strcmp (type, "audio/x-raw") == 0)
      linked = link_reencoded (j, pad);
  }
  if (!linked) {
    fprintf (stderr, "esdnet: note: dropping a stream of '%s' (%s): %s\n",
        j->input, type, strcmp (type, "video/x-raw") == 0 ?
        "only the first video stream is derained" :
        "the output container cannot hold it");
    link_to_fakesink (j, pad);
  }
  gst_caps_unref (caps);
}

void
video_route_no_more_pads (GstElement *decodebin, gpointer data)
{
  g_atomic_int_set (&((video_job *) data)->no_more_pads, 1);
}

