/* load.c — model files to inference-ready weights.
 *
 * Order of trust: the safetensors structure is validated first
 * (format/safetensors.c), then the architecture from the metadata, then
 * every tensor the architecture needs is looked up by its official name,
 * shape-checked, converted to float32 and checked for NaN/Inf; finally any
 * tensor left over is rejected. BatchNorm is folded into its convolution.
 */
#include "model.h"
#include "error.h"
#include "kernels/kernels.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NAME_SIZE 128

typedef struct {
  esdnet_model *model;
  const st_file *file;
  bool *used;                 /* per file tensor */
  int32_t n_bn;               /* BatchNorms taken so far */
  esdnet_error *error;
  esdnet_status status;
} loader;

static void *
model_alloc (loader *L, size_t count, size_t size)
{
  esdnet_model *m = L->model;
  if (L->status != ESDNET_OK)
    return NULL;
  if (m->n_blocks == m->cap_blocks) {
    size_t cap = m->cap_blocks ? m->cap_blocks * 2 : 64;
    void **blocks = realloc (m->blocks, cap * sizeof *blocks);
    if (!blocks)
      goto oom;
    m->blocks = blocks;
    m->cap_blocks = cap;
  }
  void *p = calloc (count ? count : 1, size);
  if (!p)
    goto oom;
  m->blocks[m->n_blocks++] = p;
  return p;
oom:
  L->status = esdnet_error_set (L->error, ESDNET_ERROR_OUT_OF_MEMORY,
      "out of memory loading the model");
  return NULL;
}

static void
format_shape (char *buf, size_t size, int32_t ndim, const int64_t *shape)
{
  size_t n = (size_t) snprintf (buf, size, "[");
  for (int32_t i = 0; i < ndim && n < size; i++)
    n += (size_t) snprintf (buf + n, size - n, "%s%lld", i ? ", " : "",
        (long long) shape[i]);
  if (n < size)
    snprintf (buf + n, size - n, "]");
}

static const st_tensor *
find_tensor (loader *L, const char *name, size_t *index)
{
  const st_tensor *t = st_file_find (L->file, name);
  if (t)
    *index = (size_t) (t - L->file->tensors);
  return t;
}

/* The tensor called name with exactly this shape, as float32; NULL and
 * L->status set on any problem. Parameters count toward param_count. */
static float *
take (loader *L, const char *name, int32_t ndim, const int64_t *shape,
    bool parameter)
{
  if (L->status != ESDNET_OK)
    return NULL;
  size_t index;
  const st_tensor *t = find_tensor (L, name, &index);
  if (!t) {
    L->status = esdnet_error_set (L->error, ESDNET_ERROR_MODEL_MISSING_TENSOR,
        "tensor '%s' is missing", name);
    return NULL;
  }
  bool same = t->ndim == ndim;
  for (int32_t i = 0; same && i < ndim; i++)
    same = t->shape[i] == shape[i];
  if (!same) {
    char have[64], want[64];
    format_shape (have, sizeof have, t->ndim, t->shape);
    format_shape (want, sizeof want, ndim, shape);
    L->status = esdnet_error_set (L->error, ESDNET_ERROR_MODEL_SHAPE,
        "tensor '%s' has shape %s, the configuration needs %s", name, have,
        want);
    return NULL;
  }
  if (t->dtype == ST_I64) {
    L->status = esdnet_error_set (L->error,
        ESDNET_ERROR_MODEL_TENSOR_ENTRY,
        "tensor '%s' has dtype I64; weights are F32, F16 or BF16", name);
    return NULL;
  }
  float *out = model_alloc (L, (size_t) t->count, sizeof *out);
  if (!out)
    return NULL;
  for (uint64_t i = 0; i < t->count; i++) {
    out[i] = st_tensor_get_f32 (t, i);
    if (!isfinite (out[i])) {
      L->status = esdnet_error_set (L->error, ESDNET_ERROR_MODEL_NONFINITE,
          "tensor '%s' element %llu is %s", name, (unsigned long long) i,
          isnan (out[i]) ? "NaN" : "infinite");
      return NULL;
    }
  }
  L->used[index] = true;
  if (parameter)
    L->model->param_count += t->count;
  return out;
}

#define SHAPE(...) ((const int64_t[]) { __VA_ARGS__ })
#define NDIM(...) ((int32_t) (sizeof SHAPE (__VA_ARGS__) / sizeof (int64_t)))
#define TAKE(L, name, parameter, ...) \
  take (L, name, NDIM (__VA_ARGS__), SHAPE (__VA_ARGS__), parameter)

static const char *
join (char *buf, const char *prefix, const char *suffix)
{
  snprintf (buf, NAME_SIZE, "%s.%s", prefix, suffix);
  return buf;
}

/* A conv from tensor `weight_name`, optionally with its own bias. */
static esdnet_conv
take_conv (loader *L, const char *prefix, int32_t c_out, int32_t c_in,
    int32_t k, int32_t stride, bool has_bias)
{
  char name[NAME_SIZE];
  esdnet_conv cv = { .c_in = c_in, .c_out = c_out, .k = k, .stride = stride };
  cv.weight = TAKE (L, join (name, prefix, "weight"), true, c_out, c_in, k, k);
  cv.bias = has_bias ? TAKE (L, join (name, prefix, "bias"), true, c_out)
      : model_alloc (L, (size_t) c_out, sizeof (float));
  return cv;
}

/* *out = v, or false where v lies outside the float range. */
static bool
store_float (float *out, double v)
{
  if (!(fabs (v) <= FLT_MAX))
    return false;
  *out = (float) v;
  return true;
}

/* Folds a BatchNorm into cv: y = (conv(x) - mean) * s + beta with
 * s = gamma / sqrt(var + eps); mean and var are its running statistics or,
 * with rest, its rest statistics. */
static void
fold_bn (loader *L, esdnet_conv *cv, const char *bn_prefix, bool rest,
    const float *gamma, const float *beta, const float *mean, const float *var)
{
  const size_t per_out = (size_t) cv->c_in * cv->k * cv->k;
  for (int32_t o = 0; o < cv->c_out; o++) {
    if (!(var[o] + L->model->config.bn_eps > 0.0f)) {
      L->status = esdnet_error_set (L->error, ESDNET_ERROR_MODEL_NONFINITE,
          "tensor '%s.%s' element %d is negative", bn_prefix,
          rest ? "rest_var" : "running_var", o);
      return;
    }
    const double s = gamma[o] / sqrt ((double) var[o] + L->model->config.bn_eps);
    bool ok = true;
    for (size_t i = 0; i < per_out; i++)
      ok &= store_float (&cv->weight[o * per_out + i],
          cv->weight[o * per_out + i] * s);
    ok &= store_float (&cv->bias[o], (cv->bias[o] - mean[o]) * s + beta[o]);
    if (!ok) {
      /* Finite inputs, but a huge gamma or a variance next to -eps scales
       * the convolution to infinity: the output would be all NaN. */
      L->status = esdnet_error_set (L->error, ESDNET_ERROR_MODEL_NONFINITE,
          "folding BatchNorm '%s' channel %d%s into its convolution gives "
          "infinite weights", bn_prefix, o, rest ? " (rest statistics)" : "");
      return;
    }
  }
}

/* num_batches_tracked is training bookkeeping: accepted, never used. */
static void
skip_batches_tracked (loader *L, const char *bn_prefix)
{
  char name[NAME_SIZE];
  size_t index;
  const st_tensor *nbt = find_tensor (L,
      join (name, bn_prefix, "num_batches_tracked"), &index);
  if (!nbt)
    return;
  if (nbt->dtype != ST_I64 || nbt->ndim != 0) {
    L->status = esdnet_error_set (L->error, ESDNET_ERROR_MODEL_SHAPE,
        "tensor '%s' must be a scalar I64", name);
    return;
  }
  L->used[index] = true;
}

/* A copy of cv's weights and bias, the twin that gets the rest statistics. */
static esdnet_conv *
twin_conv (loader *L, const esdnet_conv *cv)
{
  const size_t weights = (size_t) cv->c_out * cv->c_in * cv->k * cv->k;
  esdnet_conv *twin = model_alloc (L, 1, sizeof *twin);
  float *weight = model_alloc (L, weights, sizeof *weight);
  float *bias = model_alloc (L, (size_t) cv->c_out, sizeof *bias);
  if (L->status != ESDNET_OK)
    return NULL;
  memcpy (weight, cv->weight, weights * sizeof *weight);
  memcpy (bias, cv->bias, (size_t) cv->c_out * sizeof *bias);
  *twin = (esdnet_conv) { .c_in = cv->c_in, .c_out = cv->c_out, .k = cv->k,
    .stride = cv->stride, .weight = weight, .bias = bias };
  return twin;
}

/* A bias-free conv and the BatchNorm after it, folded. The first BN says
 * whether the file has rest statistics; every other must agree. */
static esdnet_conv
take_conv_bn (loader *L, const char *conv_prefix, const char *bn_prefix,
    int32_t c_out, int32_t c_in, int32_t k, int32_t stride)
{
  char name[NAME_SIZE];
  esdnet_model *m = L->model;
  esdnet_conv cv = take_conv (L, conv_prefix, c_out, c_in, k, stride, false);
  const float *gamma = TAKE (L, join (name, bn_prefix, "weight"), true, c_out);
  const float *beta = TAKE (L, join (name, bn_prefix, "bias"), true, c_out);
  const float *mean = TAKE (L, join (name, bn_prefix, "running_mean"), false,
      c_out);
  const float *var = TAKE (L, join (name, bn_prefix, "running_var"), false,
      c_out);
  skip_batches_tracked (L, bn_prefix);
  if (L->status != ESDNET_OK)
    return cv;

  size_t index;
  const bool has_rest = find_tensor (L, join (name, bn_prefix, "rest_mean"),
      &index) || find_tensor (L, join (name, bn_prefix, "rest_var"), &index);
  if (L->n_bn++ == 0)
    m->rest_statistics = has_rest;
  else if (has_rest && !m->rest_statistics) {
    L->status = esdnet_error_set (L->error, ESDNET_ERROR_MODEL_UNKNOWN_TENSOR,
        "BatchNorm '%s' has rest statistics but the first BatchNorm has "
        "none: they must be on every BatchNorm or on none", bn_prefix);
    return cv;
  }
  if (m->rest_statistics) {
    const float *rest_mean = TAKE (L, join (name, bn_prefix, "rest_mean"),
        false, c_out);
    const float *rest_var = TAKE (L, join (name, bn_prefix, "rest_var"),
        false, c_out);
    cv.rest = twin_conv (L, &cv);
    if (L->status != ESDNET_OK)
      return cv;
    fold_bn (L, cv.rest, bn_prefix, true, gamma, beta, rest_mean, rest_var);
  }
  if (L->status == ESDNET_OK)
    fold_bn (L, &cv, bn_prefix, false, gamma, beta, mean, var);
  return cv;
}

static void
take_srb (loader *L, esdnet_srb *b, const char *prefix, int32_t c)
{
  char a[NAME_SIZE], n[NAME_SIZE];
  const esdnet_config *cfg = &L->model->config;
  const int32_t T = cfg->timesteps;
  b->c = c;
  b->t_hidden = T / cfg->reduction_t;
  b->c_hidden = c / cfg->reduction_c;
  b->conv_a = take_conv_bn (L, join (a, prefix, "residual.1"),
      join (n, prefix, "residual.2"), c, c, 3, 1);
  b->conv_b = take_conv_bn (L, join (a, prefix, "residual.4"),
      join (n, prefix, "residual.5"), c, c, 3, 1);
  b->shortcut = take_conv_bn (L, join (a, prefix, "shortcut.0"),
      join (n, prefix, "shortcut.1"), c, c, 3, 1);
  b->ta_w1 = TAKE (L, join (n, prefix, "attn.ta.sharedMLP.0.weight"), true,
      b->t_hidden, T, 1, 1, 1);
  b->ta_w2 = TAKE (L, join (n, prefix, "attn.ta.sharedMLP.2.weight"), true,
      T, b->t_hidden, 1, 1, 1);
  b->ca_w1 = TAKE (L, join (n, prefix, "attn.ca.sharedMLP.0.weight"), true,
      b->c_hidden, c, 1, 1, 1);
  b->ca_w2 = TAKE (L, join (n, prefix, "attn.ca.sharedMLP.2.weight"), true,
      c, b->c_hidden, 1, 1, 1);
  const float *sa = TAKE (L, join (n, prefix, "attn.sa.conv.weight"), true,
      1, 2, 3, 3);
  if (sa)
    memcpy (b->sa_w, sa, sizeof b->sa_w);
}

static esdnet_srb *
take_level (loader *L, const char *stage, int32_t level, int32_t blocks,
    int32_t c)
{
  esdnet_srb *srb = model_alloc (L, (size_t) blocks, sizeof *srb);
  for (int32_t i = 0; i < blocks && L->status == ESDNET_OK; i++) {
    char prefix[NAME_SIZE];
    snprintf (prefix, sizeof prefix, "%s_level%d.%d", stage, level, i);
    take_srb (L, &srb[i], prefix, c);
  }
  return srb;
}

static void
take_network (loader *L)
{
  esdnet_model *m = L->model;
  const esdnet_config *c = &m->config;
  const int32_t d = c->dim;
  const int32_t level_c[3] = { d, 2 * d, 4 * d };

  m->patch_embed = take_conv (L, "patch_embed.proj", d, 3, 3, 1, false);
  for (int32_t l = 0; l < 3; l++)
    m->enc[l] = take_level (L, "encoder", l + 1, c->enc_blocks[l], level_c[l]);
  for (int32_t l = 0; l < 3; l++)
    m->dec[l] = take_level (L, "decoder", l + 1, c->dec_blocks[l],
        l == 0 ? 2 * d : level_c[l]);
  m->down1_2 = take_conv_bn (L, "down1_2.maxpool_conv.1",
      "down1_2.maxpool_conv.2", 2 * d, d, 3, 2);
  m->down2_3 = take_conv_bn (L, "down2_3.maxpool_conv.1",
      "down2_3.maxpool_conv.2", 4 * d, 2 * d, 3, 2);
  m->up3_2 = take_conv_bn (L, "up3_2.up.1", "up3_2.up.2", 2 * d, 4 * d, 3, 1);
  m->reduce = take_conv_bn (L, "reduce_chan_level2.1", "reduce_chan_level2.2",
      2 * d, 4 * d, 1, 1);
  m->up2_1 = take_conv_bn (L, "up2_1.up.1", "up2_1.up.2", d, 2 * d, 3, 1);

  esdnet_frb *r = &m->refine;
  r->c = 2 * d;
  r->hidden = r->c / c->refine_reduction;
  r->ca1_w = TAKE (L, "refinement.ca.1.weight", true, r->hidden, r->c, 1, 1);
  r->ca1_b = TAKE (L, "refinement.ca.1.bias", true, r->hidden);
  r->ca3_w = TAKE (L, "refinement.ca.3.weight", true, r->c, r->hidden, 1, 1);
  r->ca3_b = TAKE (L, "refinement.ca.3.bias", true, r->c);
  r->sa0 = take_conv (L, "refinement.sa.0", r->c, r->c, 3, 1, true);
  r->sa1 = take_conv (L, "refinement.sa.1", r->hidden, r->c, 3, 1, true);
  r->sa3 = take_conv (L, "refinement.sa.3", r->c, r->hidden, 3, 1, true);
  m->output = take_conv (L, "output.0", 3, r->c, 3, 1, true);
}

static void
pack_one (loader *L, esdnet_conv *cv)
{
  if (cv->k != 3 || cv->stride != 1)
    return;
  cv->packed = model_alloc (L, conv2d_packed_floats (cv), sizeof (float));
  if (cv->packed)
    conv2d_pack (cv, cv->packed);
}

/* A conv over spikes gets lookup tables (conv_spike_lut.c) where they pay;
 * the others run the dense kernel, which reads 3x3 stride-1 inputs from
 * the spike bits and the rest unpacked. */
static void
spike_one (loader *L, esdnet_conv *cv)
{
  pack_one (L, cv);
  if (!conv_spike_lut_pays (cv)) {
    L->model->spike_floats |= !cv->packed;
    return;
  }
  float *lut = model_alloc (L, conv_spike_lut_floats (cv), sizeof (float));
  if (lut)
    conv_spike_lut_build (cv, lut);
}

/* Each prepares a conv and its rest twin alike. */
static void
pack_conv (loader *L, esdnet_conv *cv)
{
  pack_one (L, cv);
  if (cv->rest)
    pack_one (L, cv->rest);
}

static void
spike_conv (loader *L, esdnet_conv *cv)
{
  spike_one (L, cv);
  if (cv->rest)
    spike_one (L, cv->rest);
}

static void
pack_srb (loader *L, esdnet_srb *b)
{
  spike_conv (L, &b->conv_a);
  spike_conv (L, &b->conv_b);
  pack_conv (L, &b->shortcut);
}

/* Every 3x3 stride-1 conv gets the blocked weights of its fast kernel, and
 * every conv over spikes its tables where they pay. */
static void
pack_network (loader *L)
{
  esdnet_model *m = L->model;
  pack_conv (L, &m->patch_embed);
  for (int32_t l = 0; l < 3; l++) {
    for (int32_t i = 0; i < m->config.enc_blocks[l]; i++)
      pack_srb (L, &m->enc[l][i]);
    for (int32_t i = 0; i < m->config.dec_blocks[l]; i++)
      pack_srb (L, &m->dec[l][i]);
  }
  spike_conv (L, &m->down1_2);
  spike_conv (L, &m->down2_3);
  spike_conv (L, &m->up3_2);
  spike_conv (L, &m->reduce);
  spike_conv (L, &m->up2_1);
  pack_conv (L, &m->refine.sa0);
  pack_conv (L, &m->refine.sa1);
  pack_conv (L, &m->refine.sa3);
  pack_conv (L, &m->output);
}

static esdnet_status
copy_metadata (loader *L, const st_file *f)
{
  esdnet_model *m = L->model;
  m->metadata = model_alloc (L, f->n_metadata, sizeof *m->metadata);
  for (size_t i = 0; i < f->n_metadata && L->status == ESDNET_OK; i++) {
    size_t kn = strlen (f->metadata[i].key) + 1;
    size_t vn = strlen (f->metadata[i].value) + 1;
    char *k = model_alloc (L, kn, 1), *v = model_alloc (L, vn, 1);
    if (!k || !v)
      break;
    memcpy (k, f->metadata[i].key, kn);
    memcpy (v, f->metadata[i].value, vn);
    m->metadata[i] = (esdnet_metadata_entry) { k, v };
    m->n_metadata++;
  }
  return L->status;
}

esdnet_model *
esdnet_model_load_from_memory (const void *data, size_t size,
    esdnet_error *error)
{
  esdnet_error local;
  if (!error)
    error = &local;
  esdnet_error_set (error, ESDNET_OK, "%s", "");
  if (!data && size)
    return esdnet_error_set (error, ESDNET_ERROR_INVALID_ARGUMENT,
        "model data is NULL"), NULL;

  st_file file;
  if (st_file_parse (data, size, &file, error) != ESDNET_OK)
    return NULL;

  esdnet_model *m = calloc (1, sizeof *m);
  loader L = { m, &file, calloc (file.n_tensors + 1, sizeof (bool)), 0,
    error, ESDNET_OK };
  if (!m || !L.used) {
    esdnet_error_set (error, ESDNET_ERROR_OUT_OF_MEMORY,
        "out of memory loading the model");
    goto fail;
  }
  if ((L.status = esdnet_config_from_metadata (&file, &m->config, error)))
    goto fail;
  if (copy_metadata (&L, &file) != ESDNET_OK)
    goto fail;
  take_network (&L);
  if (L.status != ESDNET_OK)
    goto fail;
  for (size_t i = 0; i < file.n_tensors; i++) {
    if (!L.used[i]) {
      esdnet_error_set (error, ESDNET_ERROR_MODEL_UNKNOWN_TENSOR,
          "tensor '%.160s' is not part of this configuration",
          file.tensors[i].name);
      goto fail;
    }
  }
  pack_network (&L);
  if (L.status != ESDNET_OK)
    goto fail;
  free (L.used);
  st_file_clear (&file);
  return m;

fail:
  free (L.used);
  st_file_clear (&file);
  esdnet_model_free (m);
  return NULL;
}

static const char *
errno_reason (int e)
{
  switch (e) {
    case ENOENT: return "no such file";
    case EACCES: return "permission denied";
    case EISDIR: return "is a directory";
    case ENOMEM: return "out of memory";
    default: return "read error";
  }
}

esdnet_model *
esdnet_model_load_from_file (const char *path, esdnet_error *error)
{
  esdnet_error local;
  if (!error)
    error = &local;
  if (!path)
    return esdnet_error_set (error, ESDNET_ERROR_INVALID_ARGUMENT,
        "model path is NULL"), NULL;
  FILE *fp = fopen (path, "rb");
  if (!fp)
    return esdnet_error_set (error, ESDNET_ERROR_IO, "cannot open model '%s': "
        "%s", path, errno_reason (errno)), NULL;
  struct stat st;
  if (fstat (fileno (fp), &st) != 0 || !S_ISREG (st.st_mode)) {
    fclose (fp);
    return esdnet_error_set (error, ESDNET_ERROR_IO, "model '%s' is not a "
        "regular file", path), NULL;
  }
  size_t size = (size_t) st.st_size;
  uint8_t *bytes = malloc (size ? size : 1);
  if (!bytes) {
    fclose (fp);
    return esdnet_error_set (error, ESDNET_ERROR_OUT_OF_MEMORY,
        "out of memory reading model '%s' (%zu bytes)", path, size), NULL;
  }
  size_t got = fread (bytes, 1, size, fp);
  const int read_errno = ferror (fp) ? errno : 0;
  fclose (fp);
  if (got != size) {
    free (bytes);
    return esdnet_error_set (error, ESDNET_ERROR_IO, "cannot read model '%s': "
        "%s", path, read_errno ? errno_reason (read_errno)
        : "the file is shorter than its size"), NULL;
  }
  esdnet_model *m = esdnet_model_load_from_memory (bytes, size, error);
  free (bytes);
  if (!m) {
    /* Name the file in front of the reason; a long path keeps only its
     * tail so that the reason still fits. */
    char reason[ESDNET_ERROR_MESSAGE_SIZE];
    memcpy (reason, error->message, sizeof reason);
    const size_t len = strlen (path), keep = 120;
    esdnet_error_set (error, error->status, "model '%s%s': %s",
        len > keep ? "..." : "", len > keep ? path + len - keep : path, reason);
  }
  return m;
}

void
esdnet_model_free (esdnet_model *m)
{
  if (!m)
    return;
  for (size_t i = 0; i < m->n_blocks; i++)
    free (m->blocks[i]);
  free (m->blocks);
  free (m);
}

const esdnet_config *
esdnet_model_get_config (const esdnet_model *m)
{
  return m ? &m->config : NULL;
}

uint64_t
esdnet_model_param_count (const esdnet_model *m)
{
  return m ? m->param_count : 0;
}

int32_t
esdnet_model_has_rest_statistics (const esdnet_model *m)
{
  return m && m->rest_statistics;
}

double
esdnet_model_dense_macs_per_pixel (const esdnet_model *m)
{
  return m ? esdnet_config_dense_macs_per_pixel (&m->config,
      m->config.timesteps) : 0.0;
}

const char *
esdnet_model_get_metadata (const esdnet_model *m, const char *key)
{
  if (!m || !key)
    return NULL;
  for (size_t i = 0; i < m->n_metadata; i++)
    if (strcmp (m->metadata[i].key, key) == 0)
      return m->metadata[i].value;
  return NULL;
}
