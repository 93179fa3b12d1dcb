/* video_format.c — which files are video, and how each container is
 * written. */
#include "video_format.h"

#include <gst/base/gsttypefindhelper.h>
#include <stdio.h>
#include <string.h>

/* Input extensions read as video, and what each is written with. */
static const video_container containers[] = {
  { ".mp4", "mp4mux", "x264enc", "avenc_aac" },
  { ".m4v", "mp4mux", "x264enc", "avenc_aac" },
  { ".mov", "qtmux", "x264enc", "avenc_aac" },
  { ".mkv", "matroskamux", "x264enc", "vorbisenc" },
  { ".avi", "avimux", "x264enc", "lamemp3enc" },
  { ".webm", "webmmux", "vp8enc", "opusenc" },
  { ".ts", "mpegtsmux", "x264enc", "avenc_aac" },
  /* oggmux (1.22) can lose the last video frames of a stream muxed with
   * Vorbis: Ogg is only read. */
  { ".ogv", NULL, NULL, NULL },
};
/* Any other OUTPUT name: Matroska takes every stream we may pass through. */
static const video_container default_container = { NULL, "matroskamux", "x264enc",
  "vorbisenc" };

const video_container *
video_container_for_path (const char *path)
{
  const char *dot = strrchr (path, '.');
  for (size_t i = 0; dot && i < G_N_ELEMENTS (containers); i++)
    if (g_ascii_strcasecmp (dot, containers[i].extension) == 0)
      return &containers[i];
  return NULL;
}

const video_container *
video_container_default (void)
{
  return &default_container;
}

bool
video_has_video_extension (const char *path)
{
  return video_container_for_path (path) != NULL;
}

/* Media types of containers (and elementary video) that typefinding
 * reports; an image's type (image/png ...) is not among them. */
static const char *const video_types[] = {
  "video/quicktime", "application/x-3gp", "video/x-matroska", "video/webm",
  "video/x-msvideo", "video/mpegts", "video/x-flv", "video/x-ms-asf",
  "video/ogg", "application/ogg", "video/x-h264", "video/x-h265",
};

media_kind
video_probe_file (const char *path, char **type_out)
{
  *type_out = NULL;
  if (video_has_video_extension (path))
    return MEDIA_VIDEO;
  FILE *f = fopen (path, "rb");
  if (!f)
    return MEDIA_IMAGE;  /* the image reader reports it */
  guint8 *head = g_malloc (64 * 1024);
  const size_t n = fread (head, 1, 64 * 1024, f);
  fclose (f);
  GstCaps *caps = n ? gst_type_find_helper_for_data (NULL, head, n, NULL)
      : NULL;
  g_free (head);
  media_kind kind = MEDIA_IMAGE;
  if (caps && !gst_caps_is_empty (caps)) {
    const GstStructure *s = gst_caps_get_structure (caps, 0);
    const char *type = gst_structure_get_name (s);
    gboolean system = FALSE;
    bool video = false;
    for (size_t i = 0; i < G_N_ELEMENTS (video_types); i++)
      video = video || strcmp (type, video_types[i]) == 0;
    /* MPEG program streams */
    video = video || (strcmp (type, "video/mpeg") == 0
        && gst_structure_get_boolean (s, "systemstream", &system) && system);
    kind = video ? MEDIA_VIDEO : g_str_has_prefix (type, "image/") ?
        MEDIA_IMAGE : MEDIA_OTHER;
    *type_out = g_strdup (type);
  }
  if (caps)
    gst_caps_unref (caps);
  return kind;
}

