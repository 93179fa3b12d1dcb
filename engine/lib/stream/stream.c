/* stream.c — stream lifetime, frame I/O, membranes and counters. */
#include "stream.h"
#include "error.h"
#include "kernels/kernels.h"

#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ LIF layers */

typedef struct {
  esdnet_stream *s;
  int32_t count;
  bool ok;
} lif_plan;

static size_t
membrane_bytes (const esdnet_stream *s)
{
  return s->f16_membranes ? sizeof (uint16_t) : sizeof (float);
}

static void
add_lif (lif_plan *pl, size_t neurons, double fanout, const char *format,
    ...)
{
  if (!pl->ok)
    return;
  lif_layer *l = &pl->s->lifs[pl->count++];
  va_list args;
  va_start (args, format);
  vsnprintf (l->name, sizeof l->name, format, args);
  va_end (args);
  l->neurons = neurons;
  l->fanout = fanout;
  l->v = l->v_views = calloc ((neurons ? neurons : 1) * pl->s->views,
      membrane_bytes (pl->s));
  pl->ok = l->v != NULL;
}

static void
add_level (lif_plan *pl, const char *stage, int32_t level, int32_t blocks,
    int32_t c, size_t hw)
{
  for (int32_t i = 0; i < blocks; i++) {
    add_lif (pl, c * hw, 9.0 * c, "%s_level%d.%d.residual.0", stage, level, i);
    add_lif (pl, c * hw, 9.0 * c, "%s_level%d.%d.residual.3", stage, level, i);
  }
}

/* Registers every LIF in the order forward.c runs them. */
static bool
plan_lifs (esdnet_stream *s)
{
  const esdnet_config *c = &s->model->config;
  const int32_t d = c->dim;
  const size_t hw1 = (size_t) s->hp * s->wp, hw2 = hw1 / 4, hw3 = hw1 / 16;
  const int32_t *e = c->enc_blocks, *dd = c->dec_blocks;
  s->n_lifs = 2 * (e[0] + e[1] + e[2] + dd[0] + dd[1] + dd[2]) + 5;
  s->lifs = calloc ((size_t) s->n_lifs, sizeof *s->lifs);
  if (!s->lifs)
    return false;
  lif_plan pl = { s, 0, true };
  add_level (&pl, "encoder", 1, e[0], d, hw1);
  add_lif (&pl, d * hw1, 9.0 * 2 * d / 4, "down1_2.maxpool_conv.0");
  add_level (&pl, "encoder", 2, e[1], 2 * d, hw2);
  add_lif (&pl, 2 * d * hw2, 9.0 * 4 * d / 4, "down2_3.maxpool_conv.0");
  add_level (&pl, "encoder", 3, e[2], 4 * d, hw3);
  add_level (&pl, "decoder", 3, dd[2], 4 * d, hw3);
  add_lif (&pl, 4 * d * hw2, 9.0 * 2 * d, "up3_2.up.0");
  add_lif (&pl, 4 * d * hw2, 2.0 * d, "reduce_chan_level2.0");
  add_level (&pl, "decoder", 2, dd[1], 2 * d, hw2);
  add_lif (&pl, 2 * d * hw1, 9.0 * d, "up2_1.up.0");
  add_level (&pl, "decoder", 1, dd[0], 2 * d, hw1);
  return pl.ok;
}

/* ---------------------------------------------------------------- create */

static int32_t
resolve_threads (int32_t n)
{
  return n > 0 ? n : omp_get_num_procs ();
}

esdnet_stream_params
esdnet_stream_default_params (void)
{
  esdnet_stream_params p = { 0 };
  p.membranes = ESDNET_MEMBRANES_F32;
  p.ensemble = 1;
  return p;
}

const char *
esdnet_membrane_precision_to_string (esdnet_membrane_precision p)
{
  switch (p) {
    case ESDNET_MEMBRANES_F32:
      return "f32";
    case ESDNET_MEMBRANES_F16:
      return "f16";
  }
  return "unknown";
}

/* Real-valued MACs per frame: patch embedding (once), shortcut convs,
 * spatial-attention convs, refinement (its convs only where it has hidden
 * units, refine.c) and output. */
static double
frame_macs (const esdnet_config *c, size_t hw1)
{
  const double d = c->dim, T = c->timesteps;
  const double lv[3] = { (double) hw1, hw1 / 4.0, hw1 / 16.0 };
  const double ch[3] = { d, 2 * d, 4 * d };
  double macs = 27.0 * d * hw1;
  for (int l = 0; l < 3; l++) {
    const double dec_c = l == 0 ? 2 * d : ch[l];
    macs += c->enc_blocks[l] * (9.0 * ch[l] * ch[l] * T + 18.0) * lv[l];
    macs += c->dec_blocks[l] * (9.0 * dec_c * dec_c * T + 18.0) * lv[l];
  }
  const double cr = 2 * d, hr = (int32_t) (2 * c->dim) / c->refine_reduction;
  macs += ((hr > 0 ? 9.0 * cr * cr : 0.0) + 18.0 * cr * hr + 27.0 * cr)
      * hw1;
  return macs;
}

typedef struct {
  void **field;
  size_t bytes;
} buffer_spec;

#define N_BUFFERS 14
#define LUMA_STEP 4
#define BUF(name, count) { (void **) &s->name, (count) * sizeof *s->name }

static size_t
max_size (size_t a, size_t b)
{
  return a > b ? a : b;
}

/* Every activation buffer of a stream and its size: one list for
 * allocation, the memory check and freeing. */
static void
buffer_specs (esdnet_stream *s, buffer_spec b[N_BUFFERS])
{
  const esdnet_model *m = s->model;
  const int32_t Ti = m->config.timesteps, di = m->config.dim;
  const size_t T = (size_t) Ti, d = (size_t) di;
  const size_t hw1 = (size_t) s->wp * s->hp, hw2 = hw1 / 4, hw3 = hw1 / 16;
  /* The widest spike map at each level: 2d channels at full size, 4d at
   * half (up3_2 and reduce) and quarter size. */
  const size_t spikes = max_size (spike_map_bytes (Ti, 2 * di, s->hp, s->wp),
      max_size (spike_map_bytes (Ti, 4 * di, s->hp / 2, s->wp / 2),
          spike_map_bytes (Ti, 4 * di, s->hp / 4, s->wp / 4)));
  const size_t ensemble = s->views > 1 ? 3 * hw1 : 0;
  const buffer_spec specs[N_BUFFERS] = {
    BUF (x, 3 * hw1),
    BUF (in, ensemble),
    BUF (sum, ensemble),
    BUF (e1, T * d * hw1),
    BUF (d1, T * 2 * d * hw1),
    BUF (e2, T * 2 * d * hw2),
    BUF (cat2, T * 4 * d * hw2),
    BUF (d2, T * 2 * d * hw2),
    BUF (e3, T * 4 * d * hw3),
    BUF (spikes, spikes),
    BUF (spk, m->spike_floats ? T * 2 * d * hw1 : 0),
    BUF (acc, max_size (T * 2 * d * hw1, 2 * d * hw1
            + frb_tmp_floats (&m->refine, s->hp, s->wp))),
    BUF (mda_scratch, mda_scratch_floats (Ti, 4 * di, s->wp,
            s->scratch_threads)),
    BUF (luma_prev, s->luma_len),
  };
  memcpy (b, specs, sizeof specs);
}

/* Bytes of RAM in the machine (0 if unknown). Checked before allocating:
 * with overcommit, calloc of more than the machine has may succeed and the
 * process die later, when the pages are touched. */
static uint64_t
physical_memory (void)
{
  const long pages = sysconf (_SC_PHYS_PAGES), size = sysconf (_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (uint64_t) pages * (uint64_t) size : 0;
}

esdnet_stream *
esdnet_stream_create (const esdnet_model *model, int32_t width,
    int32_t height, const esdnet_stream_params *params, esdnet_error *error)
{
  if (!model)
    return esdnet_error_set (error, ESDNET_ERROR_INVALID_ARGUMENT,
        "model is NULL"), NULL;
  if (width < 1 || height < 1 || width > ESDNET_MAX_FRAME_WIDTH
      || height > ESDNET_MAX_FRAME_HEIGHT)
    return esdnet_error_set (error, ESDNET_ERROR_FRAME_SIZE,
        "frame size %dx%d is outside 1x1..%dx%d", width, height,
        ESDNET_MAX_FRAME_WIDTH, ESDNET_MAX_FRAME_HEIGHT), NULL;
  const int32_t threads = params ? params->num_threads : 0;
  if (threads < 0)
    return esdnet_error_set (error, ESDNET_ERROR_INVALID_ARGUMENT,
        "num_threads %d is negative", threads), NULL;
  const esdnet_membrane_precision membranes =
      params ? params->membranes : ESDNET_MEMBRANES_F32;
  if (membranes != ESDNET_MEMBRANES_F32 && membranes != ESDNET_MEMBRANES_F16)
    return esdnet_error_set (error, ESDNET_ERROR_INVALID_ARGUMENT,
        "membrane precision %d is neither f32 nor f16", (int) membranes),
        NULL;
  const int32_t views = params && params->ensemble ? params->ensemble : 1;
  if (views < 1 || views > ESDNET_MAX_ENSEMBLE)
    return esdnet_error_set (error, ESDNET_ERROR_INVALID_ARGUMENT,
        "ensemble of %d views is outside 1..%d", views, ESDNET_MAX_ENSEMBLE),
        NULL;

  esdnet_stream *s = calloc (1, sizeof *s);
  if (!s)
    return esdnet_error_set (error, ESDNET_ERROR_OUT_OF_MEMORY,
        "out of memory creating a stream"), NULL;
  const esdnet_config *c = &model->config;
  s->model = model;
  s->width = width;
  s->height = height;
  s->wp = (width + 3) / 4 * 4;
  s->hp = (height + 3) / 4 * 4;
  s->threads = s->scratch_threads = resolve_threads (threads);
  s->f16_membranes = membranes == ESDNET_MEMBRANES_F16;
  s->at_rest = true;          /* the membranes are calloc'ed */
  s->views = views;
  s->luma_len = (size_t) ((width + LUMA_STEP - 1) / LUMA_STEP)
      * (size_t) ((height + LUMA_STEP - 1) / LUMA_STEP);
  const size_t hw1 = (size_t) s->wp * s->hp;

  buffer_spec b[N_BUFFERS];
  buffer_specs (s, b);
  uint64_t bytes = 0;
  for (int i = 0; i < N_BUFFERS; i++)
    bytes += b[i].bytes;
  /* The membranes: one per neuron of every LIF layer and view, about a
   * third of the activations' size in float32 for each view. */
  bytes += bytes / (s->f16_membranes ? 6 : 3) * (uint64_t) views;
  const uint64_t ram = physical_memory ();
  if (ram && bytes > ram) {
    esdnet_stream_free (s);
    return esdnet_error_set (error, ESDNET_ERROR_OUT_OF_MEMORY,
        "a %dx%d stream of this dim-%d model needs about %llu MB, more than "
        "the machine's %llu MB", width, height, c->dim,
        (unsigned long long) (bytes >> 20), (unsigned long long) (ram >> 20)),
        NULL;
  }
  for (int i = 0; i < N_BUFFERS; i++) {
    *b[i].field = calloc (b[i].bytes ? b[i].bytes : 1, 1);
    if (!*b[i].field)
      goto oom;
  }
  if (!plan_lifs (s))
    goto oom;
  s->macs = frame_macs (c, hw1) * views;
  s->ann_macs = esdnet_config_dense_macs_per_pixel (c, 1) * hw1 * views;
  return s;

oom:
  esdnet_stream_free (s);
  return esdnet_error_set (error, ESDNET_ERROR_OUT_OF_MEMORY,
      "out of memory for a %dx%d stream of a dim-%d model", width, height,
      c->dim), NULL;
}

void
esdnet_stream_free (esdnet_stream *s)
{
  if (!s)
    return;
  if (s->lifs)
    for (int32_t i = 0; i < s->n_lifs; i++)
      free (s->lifs[i].v_views);
  free (s->lifs);
  buffer_spec b[N_BUFFERS];
  buffer_specs (s, b);
  for (int i = 0; i < N_BUFFERS; i++)
    free (*b[i].field);
  free (s);
}

static void
reset_membranes (esdnet_stream *s)
{
  for (int32_t i = 0; i < s->n_lifs; i++)
    memset (s->lifs[i].v_views, 0, s->lifs[i].neurons * s->views
        * membrane_bytes (s));
  s->at_rest = true;
}

void
esdnet_stream_reset (esdnet_stream *s)
{
  if (!s)
    return;
  reset_membranes (s);
  s->have_prev = false;
}

esdnet_status
esdnet_stream_set_scene_cut_threshold (esdnet_stream *s, double threshold)
{
  if (!s || !(threshold >= 0.0 && threshold <= 1.0))
    return ESDNET_ERROR_INVALID_ARGUMENT;
  s->scene_cut_threshold = threshold;
  return ESDNET_OK;
}

esdnet_status
esdnet_stream_set_num_threads (esdnet_stream *s, int32_t num_threads)
{
  if (!s || num_threads < 0)
    return ESDNET_ERROR_INVALID_ARGUMENT;
  const int32_t n = resolve_threads (num_threads);
  /* The attention keeps a few rows per thread. */
  if (n > s->scratch_threads) {
    const esdnet_config *c = &s->model->config;
    float *grown = realloc (s->mda_scratch, mda_scratch_floats (c->timesteps,
            4 * c->dim, s->wp, n) * sizeof (float));
    if (!grown)
      return ESDNET_ERROR_OUT_OF_MEMORY;
    s->mda_scratch = grown;
    s->scratch_threads = n;
  }
  s->threads = n;
  return ESDNET_OK;
}

/* --------------------------------------------------------------- process */

static esdnet_status
stream_fail (esdnet_stream *s, esdnet_status status, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  vsnprintf (s->error, sizeof s->error, format, args);
  va_end (args);
  return status;
}

static esdnet_status
check_mode (esdnet_stream *s, esdnet_temporal_mode mode)
{
  if (mode != ESDNET_TEMPORAL_RESET && mode != ESDNET_TEMPORAL_CARRY)
    return stream_fail (s, ESDNET_ERROR_INVALID_ARGUMENT,
        "temporal mode %d is neither reset nor carry", (int) mode);
  return ESDNET_OK;
}

static esdnet_status
check_image (esdnet_stream *s, const esdnet_image_u8 *img, const char *which)
{
  if (!img || !img->data)
    return stream_fail (s, ESDNET_ERROR_INVALID_ARGUMENT, "%s image is NULL",
        which);
  if (img->width != s->width || img->height != s->height)
    return stream_fail (s, ESDNET_ERROR_FRAME_SIZE, "%s image is %dx%d, the "
        "stream was created for %dx%d", which, img->width, img->height,
        s->width, s->height);
  if (img->pixel_stride != 3 && img->pixel_stride != 4)
    return stream_fail (s, ESDNET_ERROR_INVALID_ARGUMENT, "%s pixel stride "
        "%d is neither 3 nor 4", which, img->pixel_stride);
  if (img->stride < img->width * img->pixel_stride)
    return stream_fail (s, ESDNET_ERROR_INVALID_ARGUMENT, "%s row stride %d "
        "is shorter than a row of %d pixels", which, img->stride, img->width);
  return ESDNET_OK;
}

/* The buffer a frame comes into: with an ensemble each view is made from
 * it into s->x. */
static float *
frame_input (esdnet_stream *s)
{
  return s->views > 1 ? s->in : s->x;
}

/* Points every LIF layer at the membranes of ensemble view k. */
static void
select_view (esdnet_stream *s, int32_t k)
{
  for (int32_t i = 0; i < s->n_lifs; i++) {
    lif_layer *l = &s->lifs[i];
    l->v = (char *) l->v_views + (size_t) k * l->neurons * membrane_bytes (s);
  }
}

/* Mean absolute luma change of the (padded planar) input frame from
 * the previous one; the frame's luma is kept for the next. -1 for the
 * first frame. Luma is recorded on every frame, so that turning detection
 * on compares with the frame just before, not an old one. */
static double
luma_change (esdnet_stream *s)
{
  const size_t plane = (size_t) s->wp * s->hp;
  double sum = 0.0;
  size_t i = 0;
  for (int32_t y = 0; y < s->height; y += LUMA_STEP) {
    const float *r = frame_input (s) + (size_t) y * s->wp;
    for (int32_t x = 0; x < s->width; x += LUMA_STEP, i++) {
      const float luma = 0.299f * r[x] + 0.587f * r[plane + x]
          + 0.114f * r[2 * plane + x];
      sum += fabsf (luma - s->luma_prev[i]);
      s->luma_prev[i] = luma;
    }
  }
  const bool first = !s->have_prev;
  s->have_prev = true;
  return first ? -1.0 : sum / (double) s->luma_len;
}

/* Runs the frame in frame_input() through every view; returns the padded
 * planar output. */
static const float *
run_frame (esdnet_stream *s, esdnet_temporal_mode mode)
{
  s->luma_change = luma_change (s);
  s->scene_cut = mode == ESDNET_TEMPORAL_CARRY && s->scene_cut_threshold > 0.0
      && s->luma_change > s->scene_cut_threshold;
  if (mode == ESDNET_TEMPORAL_RESET || s->scene_cut)
    reset_membranes (s);
  for (int32_t i = 0; i < s->n_lifs; i++)
    s->lifs[i].spikes = 0;
  if (s->views == 1) {
    esdnet_forward (s);
    s->at_rest = false;
    return s->x;
  }
  for (int32_t k = 0; k < s->views; k++) {
    select_view (s, k);
    TIMED (s, ESDNET_WORK_IO, planar_f32_flip_pad (s->in, s->width,
            s->height, s->wp, s->hp, k, s->x, s->threads));
    esdnet_forward (s);
    TIMED (s, ESDNET_WORK_IO, planar_f32_unflip_accumulate (s->x, s->width,
            s->height, s->wp, s->hp, k, 1.0f / s->views, k == 0, s->sum,
            s->threads));
  }
  s->at_rest = false;
  return s->sum;
}

static void
finish_stats (esdnet_stream *s)
{
  const int32_t T = s->model->config.timesteps;
  esdnet_frame_stats *st = &s->stats;
  memset (st, 0, sizeof *st);
  for (int32_t i = 0; i < s->n_lifs; i++) {
    const lif_layer *l = &s->lifs[i];
    st->spikes += l->spikes;
    st->neurons += (uint64_t) l->neurons * (uint64_t) T * s->views;
    st->acs += (double) l->spikes * l->fanout;
    st->synaptic_ops += (double) l->neurons * T * s->views * l->fanout;
  }
  st->firing_rate = st->neurons ? (double) st->spikes / st->neurons : 0.0;
  st->macs = s->macs;
  st->ann_macs = s->ann_macs;
  st->energy_pj = st->acs * ESDNET_PJ_PER_AC + st->macs * ESDNET_PJ_PER_MAC;
  st->ann_energy_pj = st->ann_macs * ESDNET_PJ_PER_MAC;
  memcpy (st->work_ms, s->work_ms, sizeof st->work_ms);
  st->luma_change = s->luma_change;
  st->scene_cut = s->scene_cut;
  s->error[0] = '\0';
}

esdnet_status
esdnet_stream_process_u8 (esdnet_stream *s, const esdnet_image_u8 *input,
    esdnet_image_u8 *output, esdnet_temporal_mode mode)
{
  if (!s)
    return ESDNET_ERROR_INVALID_ARGUMENT;
  esdnet_status status;
  if ((status = check_mode (s, mode)) || (status = check_image (s, input,
              "input")) || (status = check_image (s, output, "output")))
    return status;
  memset (s->work_ms, 0, sizeof s->work_ms);
  TIMED (s, ESDNET_WORK_IO, rgb_u8_to_planar_f32 (input->data, input->stride,
          input->pixel_stride, s->width, s->height, frame_input (s), s->wp,
          s->hp, s->threads));
  const float *y = run_frame (s, mode);
  TIMED (s, ESDNET_WORK_IO, planar_f32_to_rgb_u8 (y, s->wp, s->hp, s->width,
          s->height, output->data, output->stride, output->pixel_stride,
          s->threads));
  finish_stats (s);
  return ESDNET_OK;
}

esdnet_status
esdnet_stream_process_f32 (esdnet_stream *s, const float *input,
    float *output, esdnet_temporal_mode mode)
{
  if (!s)
    return ESDNET_ERROR_INVALID_ARGUMENT;
  esdnet_status status = check_mode (s, mode);
  if (status)
    return status;
  if (!input || !output)
    return stream_fail (s, ESDNET_ERROR_INVALID_ARGUMENT,
        "input or output buffer is NULL");
  memset (s->work_ms, 0, sizeof s->work_ms);
  TIMED (s, ESDNET_WORK_IO, planar_f32_pad (input, s->width, s->height,
          frame_input (s), s->wp, s->hp, s->threads));
  const float *y = run_frame (s, mode);
  const size_t plane = (size_t) s->wp * s->hp;
  TIMED (s, ESDNET_WORK_IO, for (int32_t c = 0; c < 3; c++)
      for (int32_t row = 0; row < s->height; row++)
        memcpy (output + ((size_t) c * s->height + row) * s->width,
            y + c * plane + (size_t) row * s->wp,
            s->width * sizeof (float)));
  finish_stats (s);
  return ESDNET_OK;
}

const char *
esdnet_stream_last_error (const esdnet_stream *s)
{
  return s ? s->error : "stream is NULL";
}

/* ----------------------------------------------------------------- stats */

esdnet_status
esdnet_stream_get_stats (const esdnet_stream *s, esdnet_frame_stats *stats)
{
  if (!s || !stats)
    return ESDNET_ERROR_INVALID_ARGUMENT;
  *stats = s->stats;
  return ESDNET_OK;
}

int32_t
esdnet_stream_layer_count (const esdnet_stream *s)
{
  return s ? s->n_lifs : 0;
}

esdnet_status
esdnet_stream_get_layer_stats (const esdnet_stream *s, int32_t index,
    esdnet_layer_stats *stats)
{
  if (!s || !stats || index < 0 || index >= s->n_lifs)
    return ESDNET_ERROR_INVALID_ARGUMENT;
  const lif_layer *l = &s->lifs[index];
  const uint64_t neurons = (uint64_t) l->neurons
      * s->model->config.timesteps * s->views;
  stats->name = l->name;
  stats->spikes = l->spikes;
  stats->neurons = neurons;
  stats->firing_rate = neurons ? (double) l->spikes / neurons : 0.0;
  return ESDNET_OK;
}
