/* safetensors.c — structural validation of safetensors files (see .h). */
#include "safetensors.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  size_t size;
} dtype_info[] = {
  [ST_F32] = { "F32", 4 },
  [ST_F16] = { "F16", 2 },
  [ST_BF16] = { "BF16", 2 },
  [ST_I64] = { "I64", 8 },
};

size_t
st_dtype_size (st_dtype dtype)
{
  return dtype_info[dtype].size;
}

const char *
st_dtype_name (st_dtype dtype)
{
  return dtype_info[dtype].name;
}

static uint64_t
read_le64 (const uint8_t *p)
{
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static float
half_to_float (uint16_t h)
{
  uint32_t sign = (uint32_t) (h >> 15) << 31;
  uint32_t exp = (h >> 10) & 0x1F;
  uint32_t mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    /* Subnormal half: normalise into a float32 exponent. */
    exp = 113;
    while (!(mant & 0x400)) {
      mant <<= 1;
      exp--;
    }
    bits = sign | (exp << 23) | ((mant & 0x3FF) << 13);
  }
  float f;
  memcpy (&f, &bits, sizeof f);
  return f;
}

float
st_tensor_get_f32 (const st_tensor *t, uint64_t i)
{
  const uint8_t *p = t->data + i * st_dtype_size (t->dtype);
  uint32_t bits;
  float f;
  switch (t->dtype) {
    case ST_F32:
      bits = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
          | (uint32_t) p[3] << 24;
      memcpy (&f, &bits, sizeof f);
      return f;
    case ST_F16:
      return half_to_float ((uint16_t) (p[0] | p[1] << 8));
    case ST_BF16:
      bits = ((uint32_t) p[0] | (uint32_t) p[1] << 8) << 16;
      memcpy (&f, &bits, sizeof f);
      return f;
    case ST_I64:
      return (float) (int64_t) read_le64 (p);
  }
  return 0.0f;
}

static esdnet_status
parse_metadata (const json_value *obj, st_file *out, esdnet_error *error)
{
  if (obj->type != JSON_OBJECT)
    return esdnet_error_set (error, ESDNET_ERROR_MODEL_HEADER,
        "__metadata__ is not a JSON object");
  out->metadata = calloc (obj->length ? obj->length : 1, sizeof *out->metadata);
  if (!out->metadata)
    return esdnet_error_set (error, ESDNET_ERROR_OUT_OF_MEMORY,
        "out of memory reading __metadata__");
  for (size_t i = 0; i < obj->length; i++) {
    if (obj->items[i].type != JSON_STRING)
      return esdnet_error_set (error, ESDNET_ERROR_MODEL_HEADER,
          "__metadata__ value of '%.64s' is not a string", obj->keys[i]);
    st_metadata *m = &out->metadata[out->n_metadata];
    m->key = strdup (obj->keys[i]);
    m->value = strdup (obj->items[i].string);
    out->n_metadata++;
    if (!m->key || !m->value)
      return esdnet_error_set (error, ESDNET_ERROR_OUT_OF_MEMORY,
          "out of memory reading __metadata__");
  }
  return ESDNET_OK;
}

/* Validates one tensor entry; offsets are checked against data_size. */
static esdnet_status
parse_entry (const char *name, const json_value *entry, const uint8_t *data,
    uint64_t data_size, st_tensor *t, uint64_t offsets[2], esdnet_error *error)
{
#define ENTRY_ERROR(...) \
  esdnet_error_set (error, ESDNET_ERROR_MODEL_TENSOR_ENTRY, __VA_ARGS__)
  if (name[0] == '\0')
    return ENTRY_ERROR ("a tensor has an empty name");
  if (entry->type != JSON_OBJECT)
    return ENTRY_ERROR ("tensor '%.96s': entry is not a JSON object", name);
  for (size_t i = 0; i < entry->length; i++) {
    const char *k = entry->keys[i];
    if (strcmp (k, "dtype") != 0 && strcmp (k, "shape") != 0
        && strcmp (k, "data_offsets") != 0)
      return ENTRY_ERROR ("tensor '%.96s': unexpected field '%.32s'", name, k);
  }
  const json_value *dtype = json_object_get (entry, "dtype");
  const json_value *shape = json_object_get (entry, "shape");
  const json_value *offs = json_object_get (entry, "data_offsets");
  if (!dtype || !shape || !offs)
    return ENTRY_ERROR ("tensor '%.96s': needs dtype, shape and data_offsets",
        name);
  if (dtype->type != JSON_STRING)
    return ENTRY_ERROR ("tensor '%.96s': dtype is not a string", name);
  size_t d;
  for (d = 0; d < sizeof dtype_info / sizeof dtype_info[0]; d++)
    if (strcmp (dtype->string, dtype_info[d].name) == 0)
      break;
  if (d == sizeof dtype_info / sizeof dtype_info[0])
    return ENTRY_ERROR ("tensor '%.96s': unsupported dtype '%.16s' "
        "(F32, F16, BF16 or I64)", name, dtype->string);
  t->dtype = (st_dtype) d;

  if (shape->type != JSON_ARRAY || shape->length > ST_MAX_DIMS)
    return ENTRY_ERROR ("tensor '%.96s': shape is not an array of at most %d "
        "integers", name, ST_MAX_DIMS);
  t->ndim = (int32_t) shape->length;
  t->count = 1;
  for (size_t i = 0; i < shape->length; i++) {
    const json_value *s = &shape->items[i];
    if (s->type != JSON_INTEGER || s->integer > INT32_MAX)
      return ENTRY_ERROR ("tensor '%.96s': shape[%zu] is not an integer in "
          "0..%d", name, i, INT32_MAX);
    t->shape[i] = (int64_t) s->integer;
    if (s->integer != 0 && t->count > UINT64_MAX / 8 / s->integer)
      return ENTRY_ERROR ("tensor '%.96s': shape too large", name);
    t->count *= s->integer;
  }

  if (offs->type != JSON_ARRAY || offs->length != 2
      || offs->items[0].type != JSON_INTEGER
      || offs->items[1].type != JSON_INTEGER)
    return ENTRY_ERROR ("tensor '%.96s': data_offsets is not [begin, end]",
        name);
  offsets[0] = offs->items[0].integer;
  offsets[1] = offs->items[1].integer;
  if (offsets[0] > offsets[1])
    return ENTRY_ERROR ("tensor '%.96s': data_offsets [%llu, %llu) are "
        "reversed", name, (unsigned long long) offsets[0],
        (unsigned long long) offsets[1]);
  if (offsets[1] > data_size)
    return ENTRY_ERROR ("tensor '%.96s': data_offsets [%llu, %llu) lie "
        "outside the %llu data bytes", name, (unsigned long long) offsets[0],
        (unsigned long long) offsets[1], (unsigned long long) data_size);
  if (offsets[1] - offsets[0] != t->count * st_dtype_size (t->dtype))
    return ENTRY_ERROR ("tensor '%.96s': %llu data bytes for %llu %s "
        "elements", name, (unsigned long long) (offsets[1] - offsets[0]),
        (unsigned long long) t->count, st_dtype_name (t->dtype));
  t->data = data + offsets[0];
  t->name = strdup (name);
  if (!t->name)
    return esdnet_error_set (error, ESDNET_ERROR_OUT_OF_MEMORY,
        "out of memory reading tensor entries");
  return ESDNET_OK;
#undef ENTRY_ERROR
}

static int
compare_tensor_names (const void *a, const void *b)
{
  return strcmp (((const st_tensor *) a)->name, ((const st_tensor *) b)->name);
}

typedef struct {
  uint64_t begin, end;
  size_t index;
} st_span;

static int
compare_spans (const void *a, const void *b)
{
  const st_span *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return 0;
}

/* The data section must be tiled exactly: no shared bytes, no holes. */
static esdnet_status
check_layout (const st_file *f, st_span *spans, uint64_t data_size,
    esdnet_error *error)
{
  qsort (spans, f->n_tensors, sizeof *spans, compare_spans);
  uint64_t covered = 0;
  const char *last = NULL;
  for (size_t i = 0; i < f->n_tensors; i++) {
    const char *name = f->tensors[spans[i].index].name;
    if (spans[i].begin == spans[i].end)
      continue;                 /* empty tensors occupy no bytes */
    if (spans[i].begin < covered)
      return esdnet_error_set (error, ESDNET_ERROR_MODEL_OVERLAP,
          "tensor '%.96s' overlaps tensor '%.96s'", name, last);
    if (spans[i].begin > covered)
      return esdnet_error_set (error, ESDNET_ERROR_MODEL_OVERLAP,
          "data bytes [%llu, %llu) before tensor '%.96s' belong to no tensor",
          (unsigned long long) covered, (unsigned long long) spans[i].begin,
          name);
    covered = spans[i].end;
    last = name;
  }
  if (covered != data_size)
    return esdnet_error_set (error, ESDNET_ERROR_MODEL_OVERLAP,
        "data bytes [%llu, %llu) at the end belong to no tensor",
        (unsigned long long) covered, (unsigned long long) data_size);
  return ESDNET_OK;
}

esdnet_status
st_file_parse (const uint8_t *bytes, size_t size, st_file *out,
    esdnet_error *error)
{
  memset (out, 0, sizeof *out);
  if (size < 8)
    return esdnet_error_set (error, ESDNET_ERROR_MODEL_HEADER,
        "file is %zu bytes, too short for the 8-byte header length", size);
  uint64_t header_size = read_le64 (bytes);
  if (header_size == 0 || header_size > ST_MAX_HEADER_SIZE
      || header_size > size - 8)
    return esdnet_error_set (error, ESDNET_ERROR_MODEL_HEADER,
        "header length %llu does not fit the %zu-byte file",
        (unsigned long long) header_size, size);

  json_value root;
  char json_err[128];
  if (!json_parse ((const char *) bytes + 8, header_size, &root, json_err,
          sizeof json_err))
    return esdnet_error_set (error, ESDNET_ERROR_MODEL_HEADER,
        "header is not valid JSON: %s", json_err);

  esdnet_status status = ESDNET_OK;
  st_span *spans = NULL;
  if (root.type != JSON_OBJECT) {
    status = esdnet_error_set (error, ESDNET_ERROR_MODEL_HEADER,
        "header is not a JSON object");
    goto done;
  }
  const uint8_t *data = bytes + 8 + header_size;
  uint64_t data_size = size - 8 - header_size;
  out->tensors = calloc (root.length ? root.length : 1, sizeof *out->tensors);
  spans = calloc (root.length ? root.length : 1, sizeof *spans);
  if (!out->tensors || !spans) {
    status = esdnet_error_set (error, ESDNET_ERROR_OUT_OF_MEMORY,
        "out of memory reading the header");
    goto done;
  }
  for (size_t i = 0; i < root.length && status == ESDNET_OK; i++) {
    if (strcmp (root.keys[i], "__metadata__") == 0) {
      status = parse_metadata (&root.items[i], out, error);
      continue;
    }
    st_span *s = &spans[out->n_tensors];
    uint64_t offsets[2] = { 0, 0 };
    status = parse_entry (root.keys[i], &root.items[i], data, data_size,
        &out->tensors[out->n_tensors], offsets, error);
    if (status == ESDNET_OK) {
      s->begin = offsets[0];
      s->end = offsets[1];
      s->index = out->n_tensors++;
    }
  }
  if (status == ESDNET_OK)
    status = check_layout (out, spans, data_size, error);
  /* Sorted by name for st_file_find: a header may list ~10^6 entries. */
  if (status == ESDNET_OK)
    qsort (out->tensors, out->n_tensors, sizeof *out->tensors,
        compare_tensor_names);

done:
  free (spans);
  json_value_clear (&root);
  if (status != ESDNET_OK)
    st_file_clear (out);
  return status;
}

void
st_file_clear (st_file *f)
{
  if (f->tensors)
    for (size_t i = 0; i < f->n_tensors; i++)
      free (f->tensors[i].name);
  for (size_t i = 0; i < f->n_metadata; i++) {
    free (f->metadata[i].key);
    free (f->metadata[i].value);
  }
  free (f->tensors);
  free (f->metadata);
  memset (f, 0, sizeof *f);
}

const st_tensor *
st_file_find (const st_file *f, const char *name)
{
  const st_tensor key = { .name = (char *) name };
  return bsearch (&key, f->tensors, f->n_tensors, sizeof *f->tensors,
      compare_tensor_names);
}

const char *
st_file_metadata (const st_file *f, const char *key)
{
  for (size_t i = 0; i < f->n_metadata; i++)
    if (strcmp (f->metadata[i].key, key) == 0)
      return f->metadata[i].value;
  return NULL;
}
