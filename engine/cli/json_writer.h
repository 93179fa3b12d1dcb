/* json_writer.h — JSON output, indented two spaces per level. */
#ifndef ESDNET_CLI_JSON_WRITER_H
#define ESDNET_CLI_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
  FILE *out;
  int depth;
  bool need_comma;
} json_writer;

/* key is NULL for the top level and for array elements. */
void json_open (json_writer *w, const char *key, char bracket); /* '{' or '[' */
void json_close (json_writer *w, char bracket);                 /* '}' or ']' */
/* A NULL value writes null. */
void json_string (json_writer *w, const char *key, const char *value);
/* A non-finite value writes null. */
void json_number (json_writer *w, const char *key, double value);
/* A float with the 7 digits it holds, so 0.15f writes 0.15. */
void json_float (json_writer *w, const char *key, float value);
void json_uint (json_writer *w, const char *key, uint64_t value);
void json_bool (json_writer *w, const char *key, bool value);

#endif /* ESDNET_CLI_JSON_WRITER_H */
