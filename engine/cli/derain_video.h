/* derain_video.h — `esdnet derain` on video files. */
#ifndef ESDNET_CLI_DERAIN_VIDEO_H
#define ESDNET_CLI_DERAIN_VIDEO_H

#include "esdnet.h"
#include "video_format.h"

#include <stdbool.h>

/* The default --scene-cut, the same as the element's scene-cut-threshold. */
#define VIDEO_DEFAULT_SCENE_CUT 0.2

typedef struct {
  const esdnet_model *model;
  esdnet_stream_params params;
  esdnet_temporal_mode mode;
  double scene_cut;           /* carry mode: reset above this luma change, 0 never */
  bool side_by_side;          /* original | derained, twice as wide */
} video_settings;

/* Derains every frame of the video INPUT into OUTPUT, whose extension
 * chooses the container; other streams pass through. Reports failures;
 * returns an exit status. */
int video_derain (const char *input, const char *output,
    const video_settings *settings);

#endif /* ESDNET_CLI_DERAIN_VIDEO_H */
