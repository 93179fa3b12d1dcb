/* fixture.h — reading test files (whole files, safetensors tensors). */
#ifndef ESDNET_TEST_FIXTURE_H
#define ESDNET_TEST_FIXTURE_H

#include "format/safetensors.h"

#include <stdio.h>
#include <stdlib.h>

/* The whole file, or NULL (with a message on stderr). */
static inline uint8_t *
fixture_read_file (const char *path, size_t *size)
{
  FILE *fp = fopen (path, "rb");
  if (!fp) {
    fprintf (stderr, "cannot open %s\n", path);
    return NULL;
  }
  fseek (fp, 0, SEEK_END);
  long n = ftell (fp);
  fseek (fp, 0, SEEK_SET);
  uint8_t *buf = malloc (n > 0 ? (size_t) n : 1);
  if (buf && fread (buf, 1, (size_t) n, fp) != (size_t) n) {
    free (buf);
    buf = NULL;
  }
  fclose (fp);
  *size = (size_t) n;
  return buf;
}

/* A tensor as a fresh float array of t->count values. */
static inline float *
fixture_tensor_f32 (const st_tensor *t)
{
  float *out = malloc (t->count * sizeof *out + 1);
  for (uint64_t i = 0; out && i < t->count; i++)
    out[i] = st_tensor_get_f32 (t, i);
  return out;
}

#endif
