/* GStreamer esdnetderain: spiking-network rain removal.
 * SPDX-License-Identifier: MIT
 */
#ifndef __GST_ESDNET_DERAIN_H__
#define __GST_ESDNET_DERAIN_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

#include "esdnet.h"

G_BEGIN_DECLS

#define GST_TYPE_ESDNET_DERAIN (gst_esdnet_derain_get_type ())
G_DECLARE_FINAL_TYPE (GstEsdnetDerain, gst_esdnet_derain, GST, ESDNET_DERAIN,
    GstVideoFilter)

/**
 * GstEsdnetTemporalMode:
 * @GST_ESDNET_TEMPORAL_RESET: every frame starts from zero membranes (the paper)
 * @GST_ESDNET_TEMPORAL_CARRY: membranes carry over from one frame to the next
 */
typedef enum {
  GST_ESDNET_TEMPORAL_RESET = ESDNET_TEMPORAL_RESET,
  GST_ESDNET_TEMPORAL_CARRY = ESDNET_TEMPORAL_CARRY,
} GstEsdnetTemporalMode;

#define GST_TYPE_ESDNET_TEMPORAL_MODE (gst_esdnet_temporal_mode_get_type ())
GType gst_esdnet_temporal_mode_get_type (void);

/**
 * GstEsdnetMembranePrecision:
 * @GST_ESDNET_MEMBRANES_F32: membranes kept as 32-bit floats (the reference's values)
 * @GST_ESDNET_MEMBRANES_F16: membranes kept between frames as 16-bit floats
 */
typedef enum {
  GST_ESDNET_MEMBRANES_F32 = ESDNET_MEMBRANES_F32,
  GST_ESDNET_MEMBRANES_F16 = ESDNET_MEMBRANES_F16,
} GstEsdnetMembranePrecision;

#define GST_TYPE_ESDNET_MEMBRANE_PRECISION \
    (gst_esdnet_membrane_precision_get_type ())
GType gst_esdnet_membrane_precision_get_type (void);

/* How a negotiated format reaches the engine's interleaved RGB. */
typedef enum {
  ESDNET_PATH_DIRECT,     /* R, G, B at bytes 0..2: the frame itself */
  ESDNET_PATH_CONVERT,    /* through GstVideoConverter and an RGB frame */
} GstEsdnetPath;

struct _GstEsdnetDerain {
  GstVideoFilter parent;

  /* Properties, under the object lock. */
  gchar *model_location;
  GstEsdnetTemporalMode temporal_mode;
  gdouble scene_cut_threshold;
  guint n_threads;
  gdouble strength;
  guint post_stats;
  GstEsdnetMembranePrecision membrane_precision;
  guint ensemble;
  gboolean reset_pending;     /* set by events and flags, taken per frame */

  /* Streaming state: only touched from the streaming thread and state
   * changes, never under the object lock. */
  esdnet_model *model;
  esdnet_stream *stream;
  GstEsdnetPath path;
  GstVideoConverter *to_rgb, *from_rgb;
  GstVideoInfo rgb_info;
  GstBuffer *rgb_in, *rgb_out;
  guint64 frame_count;
  guint stream_threads;
};

GST_ELEMENT_REGISTER_DECLARE (esdnetderain);

G_END_DECLS

#endif
