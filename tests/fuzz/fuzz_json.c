/* fuzz_json.c — libFuzzer target for the header JSON reader alone, which
 * reaches its corners (escapes, depth, numbers) faster than the model
 * target, whose inputs must first get past the length prefix. */
#include "format/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Walks a parsed value, checking the invariants json.h promises: bounded
 * depth (json.c caps it at 16 below the root), strings present, object keys
 * unique and found by json_object_get. */
static void
walk (const json_value *v, int depth)
{
  if (depth > 16)
    abort ();
  switch (v->type) {
    case JSON_STRING:
      if (!v->string)
        abort ();
      break;
    case JSON_OBJECT:
      for (size_t i = 0; i < v->length; i++) {
        for (size_t j = 0; j < i; j++)
          if (strcmp (v->keys[i], v->keys[j]) == 0)
            abort ();
        if (json_object_get (v, v->keys[i]) != &v->items[i])
          abort ();
      }
      /* fall through */
    case JSON_ARRAY:
      for (size_t i = 0; i < v->length; i++)
        walk (&v->items[i], depth + 1);
      break;
    case JSON_NULL:
    case JSON_BOOL:
    case JSON_INTEGER:
      break;
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  json_value v;
  char err[128];
  if (json_parse ((const char *) data, size, &v, err, sizeof err)) {
    walk (&v, 0);
    json_value_clear (&v);
  } else if (err[0] == '\0') {
    abort ();
  }
  return 0;
}
