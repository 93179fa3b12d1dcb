/* video_format.h — which files are video, and how each container is
 * written. */
#ifndef ESDNET_CLI_VIDEO_FORMAT_H
#define ESDNET_CLI_VIDEO_FORMAT_H

#include <gst/gst.h>
#include <stdbool.h>

typedef struct {
  const char *extension;
  const char *muxer;          /* NULL: read, not written */
  const char *encoder;
  const char *audio_encoder;  /* tried first for audio to re-encode */
} video_container;

/* The container an output name's extension chooses, or NULL. */
const video_container *video_container_for_path (const char *path);
/* For any other output name. */
const video_container *video_container_default (void);

typedef enum {
  MEDIA_IMAGE,   /* an image, or not known: the image reader decides */
  MEDIA_VIDEO,
  MEDIA_OTHER    /* recognised as something else: audio, text ... */
} media_kind;

/* What INPUT is to be read as: a video when its name ends in a video
 * container's extension or its first bytes are typefound as one. *type
 * receives the media type found (g_free), or NULL. GStreamer must be
 * initialised. */
media_kind video_probe_file (const char *path, char **type);

/* Whether a name ends in one of the video extensions. */
bool video_has_video_extension (const char *path);

#endif /* ESDNET_CLI_VIDEO_FORMAT_H */
