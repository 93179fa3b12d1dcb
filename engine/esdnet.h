/* esdnet.h — public API of the ESDNet spiking-network deraining engine.
 *
 * Usage:
 *   esdnet_error err;
 *   esdnet_model *m = esdnet_model_load_from_file ("model.safetensors", &err);
 *   if (!m) { report err.message; }
 *   esdnet_stream_params sp = esdnet_stream_default_params ();
 *   sp.num_threads = 2;
 *   esdnet_stream *s = esdnet_stream_create (m, width, height, &sp, &err);
 *   for each frame:
 *     esdnet_stream_process_u8 (s, &in, &out, ESDNET_TEMPORAL_CARRY);
 *   esdnet_stream_free (s);
 *   esdnet_model_free (m);
 *
 * Rules:
 * - The library never aborts, exits or prints. Every failure is a status
 *   plus a readable message: loaders fill an esdnet_error, streams keep the
 *   message of their last failure (esdnet_stream_last_error).
 * - A model is immutable once loaded and may be shared by any number of
 *   streams in any threads. A stream is used by one thread at a time.
 * - Threads: each stream runs OpenMP regions with its own num_threads and
 *   never touches the process-wide OpenMP settings.
 */
#ifndef ESDNET_H
#define ESDNET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility: what this header declares
 * is what it exports. */
#ifdef __GNUC__
#pragma GCC visibility push(default)
#endif

#define ESDNET_MAX_FRAME_WIDTH 4096
#define ESDNET_MAX_FRAME_HEIGHT 2304
#define ESDNET_ERROR_MESSAGE_SIZE 256

typedef enum {
  ESDNET_OK = 0,
  ESDNET_ERROR_INVALID_ARGUMENT,   /* NULL pointer, bad size, bad mode */
  ESDNET_ERROR_OUT_OF_MEMORY,
  ESDNET_ERROR_IO,                 /* file cannot be opened or read */
  ESDNET_ERROR_MODEL_HEADER,       /* header length or JSON is malformed */
  ESDNET_ERROR_MODEL_METADATA,     /* __metadata__ key missing or out of range */
  ESDNET_ERROR_MODEL_TENSOR_ENTRY, /* a tensor entry is malformed (dtype, shape, offsets) */
  ESDNET_ERROR_MODEL_OVERLAP,      /* two tensors share bytes, or data has gaps */
  ESDNET_ERROR_MODEL_MISSING_TENSOR,
  ESDNET_ERROR_MODEL_UNKNOWN_TENSOR,
  ESDNET_ERROR_MODEL_SHAPE,        /* a tensor's shape differs from the configuration */
  ESDNET_ERROR_MODEL_NONFINITE,    /* a weight is NaN or infinite */
  ESDNET_ERROR_FRAME_SIZE,         /* frame size outside 1x1..4096x2304 or not the stream's */
  ESDNET_STATUS_COUNT
} esdnet_status;

/* A static English description of a status ("model header is malformed"). */
const char *esdnet_status_to_string (esdnet_status status);

typedef struct {
  esdnet_status status;
  char message[ESDNET_ERROR_MESSAGE_SIZE]; /* names the tensor, key or file */
} esdnet_error;

typedef enum {
  ESDNET_TEMPORAL_RESET = 0, /* every frame starts from V = 0 (the paper) */
  ESDNET_TEMPORAL_CARRY = 1  /* membranes continue from the previous frame */
} esdnet_temporal_mode;

const char *esdnet_temporal_mode_to_string (esdnet_temporal_mode mode);

/* ---------------------------------------------------------------- model */

typedef struct esdnet_model esdnet_model;

/* The architecture, as the model file's __metadata__ describes it. */
typedef struct {
  int32_t dim;                /* channels at level 1 */
  int32_t enc_blocks[3];      /* SRBs per encoder level */
  int32_t dec_blocks[3];      /* SRBs per decoder level (1, 2, 3) */
  int32_t timesteps;          /* T */
  float tau;                  /* LIF time constant */
  float v_threshold;          /* LIF firing threshold */
  int32_t reduction_t;        /* temporal attention: hidden = T / reduction_t */
  int32_t reduction_c;        /* channel attention: hidden = c / reduction_c */
  int32_t refine_reduction;   /* feature refinement: hidden = 2*dim / refine_reduction */
  float bn_eps;               /* BatchNorm epsilon, used when folding BN at load */
} esdnet_config;

esdnet_model *esdnet_model_load_from_file (const char *path, esdnet_error *error);
/* The bytes are only read during the call; the model keeps no pointer to them. */
esdnet_model *esdnet_model_load_from_memory (const void *data, size_t size,
    esdnet_error *error);
void esdnet_model_free (esdnet_model *model);

const esdnet_config *esdnet_model_get_config (const esdnet_model *model);
/* Learned parameters as stored (BN running statistics excluded). */
uint64_t esdnet_model_param_count (const esdnet_model *model);
/* 1 if the file has a second set of BatchNorm statistics, used for the
 * first frame after a reset (membranes at rest), else 0. */
int32_t esdnet_model_has_rest_statistics (const esdnet_model *model);
/* Multiply-accumulates per pixel of one frame if every conv of the SNN
 * were dense, T repeats included (the published "7.5 M per pixel"). */
double esdnet_model_dense_macs_per_pixel (const esdnet_model *model);
/* The value of any __metadata__ key ("dim", "description", "training"
 * ...), or NULL. Valid as long as the model. */
const char *esdnet_model_get_metadata (const esdnet_model *model, const char *key);

/* --------------------------------------------------------------- stream */

typedef struct esdnet_stream esdnet_stream;

/* How membranes are kept from one frame to the next (carry mode). Within
 * a frame they are float32 either way, so reset mode gives the same output
 * with both. */
typedef enum {
  ESDNET_MEMBRANES_F32 = 0, /* float32: the reference's values exactly */
  ESDNET_MEMBRANES_F16 = 1  /* binary16: half the membrane memory; each
                             * carried membrane rounded to 11 significant
                             * bits, so a few spikes differ from float32 */
} esdnet_membrane_precision;

const char *esdnet_membrane_precision_to_string (esdnet_membrane_precision p);

/* Self-ensemble: each frame runs through the network as up to 4 views,
 * the picture itself, mirrored left-right, upside down and both, and the
 * output is the mean of the views turned back. Each view keeps its own
 * membranes, so carry mode works as with one. N views cost N times the
 * work and membranes; averaging them cancels much of the error that
 * spiking adds (docs/models.md measures the gain). */
#define ESDNET_MAX_ENSEMBLE 4

typedef struct {
  int32_t num_threads; /* OpenMP threads for this stream; 0 = number of cores */
  esdnet_membrane_precision membranes; /* default ESDNET_MEMBRANES_F32 */
  int32_t ensemble;    /* views per frame, 1 (default) .. ESDNET_MAX_ENSEMBLE;
                        * 0 counts as 1 */
} esdnet_stream_params;

esdnet_stream_params esdnet_stream_default_params (void);

/* A stream owns the buffers and membrane state for one frame size. */
esdnet_stream *esdnet_stream_create (const esdnet_model *model, int32_t width,
    int32_t height, const esdnet_stream_params *params, esdnet_error *error);
void esdnet_stream_free (esdnet_stream *stream);

/* Membranes back to 0 and the previous frame forgotten; the next
 * carry-mode frame starts fresh. */
void esdnet_stream_reset (esdnet_stream *stream);

/* Scene-cut detection for carry mode: when the mean absolute luma change
 * from the previous frame (0..1 of full scale, on a grid of every 4th
 * pixel) exceeds threshold, the membranes reset before the frame. 0 (the
 * default) turns it off. */
esdnet_status esdnet_stream_set_scene_cut_threshold (esdnet_stream *stream,
    double threshold);
esdnet_status esdnet_stream_set_num_threads (esdnet_stream *stream, int32_t num_threads);

/* Interleaved 8-bit RGB: R, G, B at bytes 0, 1, 2 of each pixel.
 * pixel_stride is 3 or 4 (the fourth byte of the output is left as it is). */
typedef struct {
  int32_t width;
  int32_t height;
  int32_t stride;       /* bytes from one row to the next */
  int32_t pixel_stride; /* 3 or 4 */
  uint8_t *data;
} esdnet_image_u8;

esdnet_status esdnet_stream_process_u8 (esdnet_stream *stream,
    const esdnet_image_u8 *input, esdnet_image_u8 *output,
    esdnet_temporal_mode mode);

/* Planar float RGB in [0, 1]: 3 planes of width*height values.
 * The output is not clamped (the network's raw y). */
esdnet_status esdnet_stream_process_f32 (esdnet_stream *stream,
    const float *input, float *output, esdnet_temporal_mode mode);

/* The message of the stream's last failure ("" after a success). */
const char *esdnet_stream_last_error (const esdnet_stream *stream);

/* ---------------------------------------------------------------- stats */

/* Kinds of work, for the time profile of a frame. */
typedef enum {
  ESDNET_WORK_SPIKE_CONV = 0, /* convolutions over spike maps */
  ESDNET_WORK_DENSE_CONV,     /* convolutions over real values */
  ESDNET_WORK_LIF,            /* neuron updates */
  ESDNET_WORK_ATTENTION,      /* multi-dimensional attention + residual */
  ESDNET_WORK_RESAMPLE,       /* upsampling, concatenation, mean over T */
  ESDNET_WORK_REFINE,         /* feature refinement apart from its convs */
  ESDNET_WORK_IO,             /* frame in and out: conversion, padding */
  ESDNET_WORK_COUNT
} esdnet_work_kind;

/* "spike conv", "dense conv", "lif", ... */
const char *esdnet_work_kind_to_string (esdnet_work_kind kind);

/* Counters of the last processed frame; with an ensemble the counts
 * (spikes, neurons, ACs, MACs, energies) add up all its views. */
typedef struct {
  uint64_t spikes;        /* spikes over all LIF layers and timesteps */
  uint64_t neurons;       /* LIF neuron updates (neurons x T) */
  double firing_rate;     /* spikes / neurons */
  double acs;             /* synaptic accumulates driven by spikes */
  double synaptic_ops;    /* the spike convs' synapses over all inputs,
                           * spiking or not (what a dense conv multiplies) */
  double macs;            /* multiply-accumulates on real-valued inputs */
  double ann_macs;        /* the same network as an ANN: every conv dense, one pass (no T) */
  double energy_pj;       /* 0.9 pJ per AC + 4.6 pJ per MAC (45 nm) */
  double ann_energy_pj;   /* 4.6 pJ per ANN MAC */
  double work_ms[ESDNET_WORK_COUNT]; /* wall time per kind of work */
  double luma_change;     /* mean |luma change| from the previous frame, 0..1
                           * (-1 for the first frame after a reset) */
  int32_t scene_cut;      /* 1 if a scene cut reset the membranes */
} esdnet_frame_stats;

#define ESDNET_PJ_PER_MAC 4.6
#define ESDNET_PJ_PER_AC 0.9

typedef struct {
  const char *name;       /* "encoder_level1.0.residual.0", "down1_2.maxpool_conv.0" ... */
  uint64_t spikes;
  uint64_t neurons;
  double firing_rate;
} esdnet_layer_stats;

esdnet_status esdnet_stream_get_stats (const esdnet_stream *stream,
    esdnet_frame_stats *stats);
int32_t esdnet_stream_layer_count (const esdnet_stream *stream);
esdnet_status esdnet_stream_get_layer_stats (const esdnet_stream *stream,
    int32_t index, esdnet_layer_stats *stats);

#ifdef __GNUC__
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif /* ESDNET_H */
