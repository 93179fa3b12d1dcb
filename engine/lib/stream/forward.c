/* forward.c — one frame through the whole network (see docs/architecture.md).
 *
 * LIF layers are consumed in execution order from s->lifs, the order
 * stream.c registered them in.
 */
#include "stream.h"
#include "kernels/kernels.h"

#include <omp.h>
#include <string.h>

#define SPIKE ESDNET_WORK_SPIKE_CONV
#define DENSE ESDNET_WORK_DENSE_CONV

typedef struct {
  esdnet_stream *s;
  int32_t T, threads;
  float decay, threshold;
  int32_t next_lif;
  bool rest;                  /* the membranes started the frame at rest */
} pass;

/* The conv to run for a conv + BN: on a frame from rest, the twin with the
 * rest statistics where the model has them. */
static const esdnet_conv *
bn_conv (const pass *p, const esdnet_conv *cv)
{
  return p->rest && cv->rest ? cv->rest : cv;
}

/* BN(conv(LIF(x))) for x [T][cv->c_in][h][w] into out, timestep t at
 * out + t * out_image: the LIF layer next in order (with up2, over the 2x
 * upsampling of x [T][cv->c_in][h/2][w/2]), then the conv over its spikes
 * by table lookup or, where the layer has no tables, by the dense kernel:
 * straight from the bits for 3x3 stride 1, else unpacked. */
static void
spike_conv_into (pass *p, const esdnet_conv *cv, const float *x, bool up2,
    int32_t h, int32_t w, float *out, size_t out_image)
{
  esdnet_stream *s = p->s;
  lif_layer *l = &s->lifs[p->next_lif++];
  cv = bn_conv (p, cv);
  TIMED (s, ESDNET_WORK_LIF, l->spikes += (up2 ? lif_bits_up2_f32
          : lif_bits_f32) (x, s->spikes, l->v, s->f16_membranes, p->T,
          cv->c_in, h, w, p->decay, p->threshold, p->threads));
  if (cv->lut)
    TIMED (s, SPIKE, conv_spike_lut_f32 (cv, s->spikes, p->T, h, w, out,
            out_image, p->threads));
  else if (cv->packed)
    TIMED (s, SPIKE, conv3x3_spikes_f32 (cv, s->spikes, p->T, h, w, out,
            out_image, p->threads));
  else {
    /* Output size of a k x k conv with padding k / 2, k = 1 or 3. */
    const int32_t ho = (h - 1) / cv->stride + 1, wo = (w - 1) / cv->stride + 1;
    const size_t in_image = (size_t) cv->c_in * h * w;
    const bool packed_out = out_image == (size_t) cv->c_out * ho * wo;
    TIMED (s, SPIKE, spikes_unpack_f32 (s->spikes, p->T, cv->c_in, h, w,
            s->spk, p->threads);
        for (int32_t t = 0; t < (packed_out ? 1 : p->T); t++)
          conv2d_f32 (cv, s->spk + t * in_image, packed_out ? p->T : 1, h, w,
              out + t * out_image, false, p->threads));
  }
}

/* The same into a tensor of its own, [T][c_out][ho][wo]. */
static void
spike_conv (pass *p, const esdnet_conv *cv, const float *x, int32_t h,
    int32_t w, float *out)
{
  const int32_t ho = (h - 1) / cv->stride + 1, wo = (w - 1) / cv->stride + 1;
  spike_conv_into (p, cv, x, false, h, w, out, (size_t) cv->c_out * ho * wo);
}

/* Y = MDA(BN(conv(LIF(BN(conv(LIF(X)))))) + BN(conv(X))) + X, in place.
 * Both convs write s->acc: a spike conv reads only the spike map its LIF
 * has made, so its input tensor is free by the time it writes. */
static void
srb (pass *p, const esdnet_srb *b, float *x, int32_t h, int32_t w)
{
  esdnet_stream *s = p->s;
  spike_conv (p, &b->conv_a, x, h, w, s->acc);
  spike_conv (p, &b->conv_b, s->acc, h, w, s->acc);
  TIMED (s, DENSE, conv2d_f32 (bn_conv (p, &b->shortcut), x, p->T, h, w,
          s->acc, true, p->threads));
  TIMED (s, ESDNET_WORK_ATTENTION, mda_residual_f32 (b, p->T, h, w, s->acc,
          x, s->mda_scratch, p->threads));
}

static void
level (pass *p, const esdnet_srb *blocks, int32_t n, float *x, int32_t h,
    int32_t w)
{
  for (int32_t i = 0; i < n; i++)
    srb (p, &blocks[i], x, h, w);
}

/* BN(conv(LIF(up2(X)))) for x [T][cv->c_in][h][w], then
 * cat(result, skip) into out [T][2 * c_out][2h][2w]: the LIF takes the
 * upsampling as it goes and the conv writes its half of each timestep in
 * place. */
static void
up_cat (pass *p, const esdnet_conv *cv, const float *x, int32_t h, int32_t w,
    const float *skip, float *out)
{
  esdnet_stream *s = p->s;
  const size_t half = (size_t) cv->c_out * 4 * h * w;
  spike_conv_into (p, cv, x, true, 2 * h, 2 * w, out, 2 * half);
  TIMED (s, ESDNET_WORK_RESAMPLE, for (int32_t t = 0; t < p->T; t++)
      memcpy (out + (2 * t + 1) * half, skip + t * half,
          half * sizeof (float)));
}

void
esdnet_forward (esdnet_stream *s)
{
  const esdnet_model *m = s->model;
  const esdnet_config *c = &m->config;
  pass p = { s, c->timesteps, s->threads, 1.0f - 1.0f / c->tau,
    c->v_threshold, 0, s->at_rest };
  const int32_t T = c->timesteps, d = c->dim;
  const int32_t h1 = s->hp, w1 = s->wp;
  const int32_t h2 = h1 / 2, w2 = w1 / 2, h3 = h1 / 4, w3 = w1 / 4;
  const size_t hw1 = (size_t) h1 * w1;

  /* The patch embedding sees the same image at every timestep: once. */
  TIMED (s, DENSE, conv2d_f32 (&m->patch_embed, s->x, 1, h1, w1, s->e1,
          false, s->threads));
  for (int32_t t = 1; t < T; t++)
    memcpy (s->e1 + t * d * hw1, s->e1, d * hw1 * sizeof (float));

  level (&p, m->enc[0], c->enc_blocks[0], s->e1, h1, w1);
  spike_conv (&p, &m->down1_2, s->e1, h1, w1, s->e2);
  level (&p, m->enc[1], c->enc_blocks[1], s->e2, h2, w2);
  spike_conv (&p, &m->down2_3, s->e2, h2, w2, s->e3);
  level (&p, m->enc[2], c->enc_blocks[2], s->e3, h3, w3);
  level (&p, m->dec[2], c->dec_blocks[2], s->e3, h3, w3);

  up_cat (&p, &m->up3_2, s->e3, h3, w3, s->e2, s->cat2);
  spike_conv (&p, &m->reduce, s->cat2, h2, w2, s->d2);
  level (&p, m->dec[1], c->dec_blocks[1], s->d2, h2, w2);

  up_cat (&p, &m->up2_1, s->d2, h2, w2, s->e1, s->d1);
  level (&p, m->dec[0], c->dec_blocks[0], s->d1, h1, w1);

  /* The refinement of D1's mean over T runs in the scratch buffer, free
   * once the decoder is done. */
  float *refined = s->acc, *frb_tmp = refined + 2 * d * hw1;
  TIMED (s, ESDNET_WORK_REFINE, frb_f32 (&m->refine, s->d1, T, h1, w1,
          refined, frb_tmp, s->threads));
  /* The output conv adds the residual onto the input image in place. */
  TIMED (s, DENSE, conv2d_f32 (&m->output, refined, 1, h1, w1, s->x, true,
          s->threads));
}
