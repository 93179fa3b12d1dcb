/* model.h — the loaded network: configuration plus inference-ready weights.
 *
 * Weights are converted to float32 at load time and every BatchNorm is
 * folded into the convolution in front of it, so inference never sees BN.
 * A file with rest statistics (a second set for the first frame after a
 * reset) gives each of those convolutions a twin with that set folded in.
 */
#ifndef ESDNET_MODEL_H
#define ESDNET_MODEL_H

#include "esdnet.h"
#include "format/safetensors.h"

#include <stdbool.h>

/* A 2-D convolution, weights [c_out][c_in][k][k], zero padding k/2. */
typedef struct esdnet_conv esdnet_conv;
struct esdnet_conv {
  int32_t c_in, c_out, k, stride;
  float *weight;
  float *bias;                /* [c_out]; zeros where the layer has none */
  float *packed;              /* 3x3 stride 1 only: weights in the blocked
                               * layout of conv2d.c, or NULL */
  float *lut;                 /* convs over spikes: the tables of
                               * conv_spike_lut.c, or NULL (dense path) */
  int32_t lut_cout;           /* c_out rounded up to a table vector */
  int32_t lut_span;           /* taps of a row sharing one table index */
  esdnet_conv *rest;          /* the same conv with the BN's rest statistics
                               * folded in, for frames from rest; or NULL */
};

/* Spiking residual block with its multi-dimensional attention. */
typedef struct {
  int32_t c;
  esdnet_conv conv_a, conv_b, shortcut; /* BN folded */
  int32_t t_hidden, c_hidden;
  float *ta_w1, *ta_w2;       /* [t_hidden][T], [T][t_hidden] */
  float *ca_w1, *ca_w2;       /* [c_hidden][c], [c][c_hidden] */
  float sa_w[2 * 9];          /* spatial conv on [mean; max] */
} esdnet_srb;

/* Feature refinement block over C = 2 * dim channels. */
typedef struct {
  int32_t c, hidden;
  float *ca1_w, *ca1_b;       /* [hidden][c], [hidden] */
  float *ca3_w, *ca3_b;       /* [c][hidden], [c] */
  esdnet_conv sa0, sa1, sa3;
} esdnet_frb;

typedef struct {
  char *key, *value;
} esdnet_metadata_entry;

struct esdnet_model {
  esdnet_config config;
  esdnet_conv patch_embed;
  esdnet_srb *enc[3], *dec[3];        /* enc[l] has config.enc_blocks[l] */
  esdnet_conv down1_2, down2_3, up3_2, reduce, up2_1;
  esdnet_frb refine;
  esdnet_conv output;
  uint64_t param_count;
  bool rest_statistics;               /* every BN conv has its rest twin */
  bool spike_floats;                  /* a spike conv other than 3x3 stride
                                       * 1 lacks tables: the stream needs
                                       * unpacked spikes */
  esdnet_metadata_entry *metadata;
  size_t n_metadata;
  void **blocks;                      /* every allocation, freed together */
  size_t n_blocks, cap_blocks;
};

/* Reads and range-checks the architecture from a file's __metadata__. */
esdnet_status esdnet_config_from_metadata (const st_file *file,
    esdnet_config *config, esdnet_error *error);

/* Dense MACs per pixel of one full-size frame: with T repeats (SNN) or one
 * pass (ANN). */
double esdnet_config_dense_macs_per_pixel (const esdnet_config *c,
    int32_t repeats);

#endif
