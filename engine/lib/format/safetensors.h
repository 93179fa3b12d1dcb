/* safetensors.h — validated view of a safetensors file held in memory.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON, then the
 * data section. The parser checks the whole structure (every entry's dtype,
 * shape and offsets; offsets inside the data; no overlaps or gaps) before
 * anything is handed out, so callers can trust every entry it returns.
 */
#ifndef ESDNET_SAFETENSORS_H
#define ESDNET_SAFETENSORS_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_DIMS 8
#define ST_MAX_HEADER_SIZE (100u << 20) /* the format's own limit is 100 MB */

typedef enum { ST_F32, ST_F16, ST_BF16, ST_I64 } st_dtype;

typedef struct {
  char *name;
  st_dtype dtype;
  int32_t ndim;
  int64_t shape[ST_MAX_DIMS];
  uint64_t count;            /* product of shape */
  const uint8_t *data;       /* little-endian elements, unaligned */
} st_tensor;

typedef struct {
  char *key;
  char *value;
} st_metadata;

typedef struct {
  st_tensor *tensors;         /* sorted by name */
  size_t n_tensors;
  st_metadata *metadata;
  size_t n_metadata;
} st_file;

/* Parses bytes[0..size) (which must outlive the st_file). */
esdnet_status st_file_parse (const uint8_t *bytes, size_t size, st_file *out,
    esdnet_error *error);
void st_file_clear (st_file *file);

const st_tensor *st_file_find (const st_file *file, const char *name);
const char *st_file_metadata (const st_file *file, const char *key);

/* Converts element i to float (any dtype). */
float st_tensor_get_f32 (const st_tensor *t, uint64_t i);
size_t st_dtype_size (st_dtype dtype);
const char *st_dtype_name (st_dtype dtype);

#endif
