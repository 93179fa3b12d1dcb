/* stream.h — per-video state: buffers for one padded frame size and the
 * membranes of every LIF layer. */
#ifndef ESDNET_STREAM_H
#define ESDNET_STREAM_H

#include "esdnet.h"
#include "model/model.h"

#include <omp.h>

#define LIF_NAME_SIZE 48

typedef struct {
  char name[LIF_NAME_SIZE];
  void *v;                    /* membrane, one per neuron: float, or
                               * binary16 where the stream says so; of
                               * the ensemble view being run */
  void *v_views;              /* every view's membranes, one after another */
  size_t neurons;             /* per timestep */
  double fanout;              /* synaptic ops per spike in the conv it feeds */
  uint64_t spikes;            /* during the last frame, all views */
} lif_layer;

struct esdnet_stream {
  const esdnet_model *model;
  int32_t width, height;      /* frame size */
  int32_t wp, hp;             /* padded to a multiple of 4 */
  int32_t threads;
  int32_t scratch_threads;    /* threads mda_scratch has room for */
  bool f16_membranes;
  bool at_rest;               /* every membrane is 0 (a reset, no frame since) */
  int32_t views;              /* ensemble views per frame (1: none) */

  lif_layer *lifs;
  int32_t n_lifs;

  /* Activations [T][c][h][w] at level 1 (full), 2 (half) and 3 (quarter). */
  float *x;                   /* [3] padded input frame; the output conv
                               * then adds its residual onto it in place */
  float *in, *sum;            /* [3] each, ensembles only: the frame as it
                               * came, and the mean of the views' outputs */
  float *e1, *d1;             /* [d], [2d] (d1 = cat(up(D2), E1), then D1) */
  float *e2, *cat2, *d2;      /* [2d], [4d], [2d] */
  float *e3;                  /* [4d]: E3, then D3 in place */
  uint8_t *spikes;            /* spike map of the LIF layer being run */
  float *spk;                 /* the same unpacked, for convs without
                               * tables (model->spike_floats only) */
  float *acc;                 /* scratch, [T][2d] at level 1: enough for
                               * any block; after the decoder it holds
                               * the refinement's tensors (forward.c) */
  float *mda_scratch;

  /* Scene cuts: luma of the previous frame on a 4-pixel grid. */
  double scene_cut_threshold;
  float *luma_prev;
  size_t luma_len;
  bool have_prev;
  double luma_change;
  bool scene_cut;

  double macs;                /* real-valued MACs of a frame (fixed) */
  double ann_macs;
  double work_ms[ESDNET_WORK_COUNT];  /* profile of the frame being run */
  esdnet_frame_stats stats;
  char error[ESDNET_ERROR_MESSAGE_SIZE];
};

/* Runs call and adds its wall time to the frame's profile. */
#define TIMED(s, kind, call) \
  do { \
    const double t0_ = omp_get_wtime (); \
    call; \
    (s)->work_ms[kind] += (omp_get_wtime () - t0_) * 1e3; \
  } while (0)

/* Runs the network on s->x (padded), leaving the output there; adds to
 * the per-layer spike counts. Frames from rest use the model's rest statistics. */
void esdnet_forward (esdnet_stream *s);

#endif
