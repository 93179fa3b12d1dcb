/* json.h — a strict, bounded JSON reader for safetensors headers.
 *
 * Only what the model format needs: objects, arrays, strings, numbers,
 * true/false/null. Integers are kept exactly (uint64); other numbers are
 * rejected, since a safetensors header holds none. Nesting depth is capped
 * so hostile input cannot exhaust the stack.
 */
#ifndef ESDNET_JSON_H
#define ESDNET_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  JSON_NULL,
  JSON_BOOL,
  JSON_INTEGER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT
} json_type;

typedef struct json_value json_value;

struct json_value {
  json_type type;
  bool boolean;
  uint64_t integer;     /* JSON_INTEGER: non-negative, exact */
  char *string;         /* JSON_STRING: UTF-8, NUL-terminated, no embedded NUL */
  size_t length;        /* JSON_ARRAY / JSON_OBJECT: number of items */
  char **keys;          /* JSON_OBJECT: keys[i] names items[i]; unique */
  json_value *items;
};

/* Parses text[0..size). On failure returns false and writes a reason with the
 * byte offset into err. On success *out owns memory freed by json_value_clear. */
bool json_parse (const char *text, size_t size, json_value *out, char *err,
    size_t err_size);
void json_value_clear (json_value *value);

/* The member called key, or NULL. */
const json_value *json_object_get (const json_value *object, const char *key);

#endif
