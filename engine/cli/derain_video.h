/* derain_video.h — `esdnet derain` on video files. */
#ifndef ESDNET_CLI_DERAIN_VIDEO_H
#define ESDNET_CLI_DERAIN_VIDEO_H

#include "esdnet.h"

#include <stdbool.h>

/* The default --scene-cut, the same as the element's scene-cut-threshold. */
#define VIDEO_DEFAULT_SCENE_CUT 0.2

typedef struct {
  const esdnet_model *model;
  int32_t threads;            /* 0: one per core */
  esdnet_temporal_mode mode;
  double scene_cut;           /* carry mode: reset above this luma change, 0 never */
  bool side_by_side;          /* original | derained, twice as wide */
} video_settings;

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

/* Derains every frame of the video INPUT into OUTPUT, whose extension
 * chooses the container; other streams pass through. Reports failures;
 * returns an exit status. */
int video_derain (const char *input, const char *output,
    const video_settings *settings);

#endif /* ESDNET_CLI_DERAIN_VIDEO_H */
