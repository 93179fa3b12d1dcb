/* video_job.h — one `esdnet derain` video run, shared by derain_video.c
 * (the pipeline, the frames, the run) and video_route.c (where each decoded
 * stream goes). */
#ifndef ESDNET_CLI_VIDEO_JOB_H
#define ESDNET_CLI_VIDEO_JOB_H

#include "derain_video.h"
#include "video_format.h"

#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
  const video_settings *settings;
  const char *input, *output;
  const video_container *out;

  GstElement *pipeline, *filesrc, *decode, *video_queue, *appsink;
  GstElement *appsrc, *format_filter, *encoder, *mux;

  /* Set from decodebin's streaming thread. */
  gint have_video, no_more_pads, link_failed;
  GMutex lock;
  GPtrArray *branch_heads;   /* sink pads fed by decodebin, for EOS */

  /* The engine. */
  esdnet_stream *stream;
  int32_t width, height;
  GstVideoInfo out_info;     /* what goes into the appsrc */

  GstClockTime video_end;    /* running time the frames pushed reach */

  /* Totals. */
  int frames, scene_cuts;
  double process_ms;
  uint64_t spikes, neurons;

  /* Progress. */
  bool show_progress;
  double start_ms, last_draw_ms;
  gint64 duration;           /* ns, -1 while unknown */
} video_job;

/* A new element of the factory in the pipeline; NULL if not installed,
 * with *missing naming it. */
GstElement *video_job_make (video_job *j, const char *factory,
    const char **missing);

/* decodebin's signal handlers: autoplug-continue stops at parsed streams
 * the muxer takes as they are; pad-added routes each stream (the first
 * video to the engine, others passed through, re-encoded or dropped);
 * no-more-pads records that all are there. data is the video_job. */
gboolean video_route_autoplug_continue (GstElement *decodebin, GstPad *pad,
    GstCaps *caps, gpointer data);
void video_route_pad_added (GstElement *decodebin, GstPad *pad,
    gpointer data);
void video_route_no_more_pads (GstElement *decodebin, gpointer data);

#endif /* ESDNET_CLI_VIDEO_JOB_H */
