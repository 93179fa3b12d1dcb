/* json.c — strict recursive-descent JSON reader (see json.h). */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 16

typedef struct {
  const char *text;
  size_t size;
  size_t pos;
  char *err;
  size_t err_size;
} json_parser;

static bool
fail (json_parser *p, const char *what)
{
  snprintf (p->err, p->err_size, "%s at byte %zu", what, p->pos);
  return false;
}

static void
skip_space (json_parser *p)
{
  while (p->pos < p->size) {
    char c = p->text[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      break;
    p->pos++;
  }
}

static bool
match_word (json_parser *p, const char *word)
{
  size_t n = strlen (word);
  if (p->size - p->pos < n || memcmp (p->text + p->pos, word, n) != 0)
    return false;
  p->pos += n;
  return true;
}

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static bool
read_hex4 (json_parser *p, uint32_t *out)
{
  uint32_t v = 0;
  if (p->size - p->pos < 4)
    return fail (p, "truncated \\u escape");
  for (int i = 0; i < 4; i++) {
    int d = hex_digit (p->text[p->pos + i]);
    if (d < 0)
      return fail (p, "bad \\u escape");
    v = v * 16 + (uint32_t) d;
  }
  p->pos += 4;
  *out = v;
  return true;
}

/* Appends the UTF-8 encoding of code point cp. buf has room: a string's
 * decoded form is never longer than its escaped source. */
static size_t
put_utf8 (char *buf, uint32_t cp)
{
  if (cp < 0x80) {
    buf[0] = (char) cp;
    return 1;
  }
  if (cp < 0x800) {
    buf[0] = (char) (0xC0 | (cp >> 6));
    buf[1] = (char) (0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    buf[0] = (char) (0xE0 | (cp >> 12));
    buf[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
    buf[2] = (char) (0x80 | (cp & 0x3F));
    return 3;
  }
  buf[0] = (char) (0xF0 | (cp >> 18));
  buf[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
  buf[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
  buf[3] = (char) (0x80 | (cp & 0x3F));
  return 4;
}

static bool
parse_string (json_parser *p, char **out)
{
  size_t start = ++p->pos;      /* after the opening quote */
  size_t end = start;
  /* Find the closing quote first, so the buffer can be sized once. */
  while (end < p->size && p->text[end] != '"') {
    if (p->text[end] == '\\')
      end++;
    end++;
  }
  if (end >= p->size)
    return fail (p, "unterminated string");

  char *buf = malloc (end - start + 1);
  if (!buf)
    return fail (p, "out of memory");
  size_t n = 0;
  while (p->pos < end) {
    unsigned char c = (unsigned char) p->text[p->pos];
    if (c < 0x20) {
      free (buf);
      return fail (p, "control character in string");
    }
    if (c != '\\') {
      buf[n++] = (char) c;
      p->pos++;
      continue;
    }
    p->pos++;
    char e = p->text[p->pos++];
    uint32_t cp;
    switch (e) {
      case '"': buf[n++] = '"'; break;
      case '\\': buf[n++] = '\\'; break;
      case '/': buf[n++] = '/'; break;
      case 'b': buf[n++] = '\b'; break;
      case 'f': buf[n++] = '\f'; break;
      case 'n': buf[n++] = '\n'; break;
      case 'r': buf[n++] = '\r'; break;
      case 't': buf[n++] = '\t'; break;
      case 'u':
        if (!read_hex4 (p, &cp))
          goto error;
        if (cp >= 0xD800 && cp < 0xDC00) {
          uint32_t lo;
          if (!match_word (p, "\\u") || !read_hex4 (p, &lo) || lo < 0xDC00
              || lo > 0xDFFF) {
            fail (p, "unpaired surrogate in string");
            goto error;
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          fail (p, "unpaired surrogate in string");
          goto error;
        }
        if (cp == 0) {
          fail (p, "NUL character in string");
          goto error;
        }
        if (p->pos > end) {
          fail (p, "bad \\u escape");
          goto error;
        }
        n += put_utf8 (buf + n, cp);
        break;
      default:
        fail (p, "bad escape in string");
        goto error;
    }
  }
  buf[n] = '\0';
  p->pos = end + 1;
  *out = buf;
  return true;

error:
  free (buf);
  return false;
}

static bool parse_value (json_parser *p, json_value *out, int depth);

/* Grows a dynamic array of items (and keys, for objects) to hold n + 1. */
static bool
reserve (json_value *v, size_t *capacity, bool with_keys)
{
  if (v->length < *capacity)
    return true;
  size_t cap = *capacity ? *capacity * 2 : 8;
  json_value *items = realloc (v->items, cap * sizeof *items);
  if (!items)
    return false;
  v->items = items;
  if (with_keys) {
    char **keys = realloc (v->keys, cap * sizeof *keys);
    if (!keys)
      return false;
    v->keys = keys;
  }
  *capacity = cap;
  return true;
}

static int
compare_keys (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Duplicates are looked for once the object is read, in a sorted copy of
 * its keys: O(n log n). Comparing each key with all before it would be
 * O(n^2), 13 s of CPU for a hostile 1 MB header of 100 000 keys. */
static bool
check_unique_keys (json_parser *p, const json_value *object)
{
  if (object->length < 2)
    return true;
  char **sorted = malloc (object->length * sizeof *sorted);
  if (!sorted)
    return fail (p, "out of memory");
  memcpy (sorted, object->keys, object->length * sizeof *sorted);
  qsort (sorted, object->length, sizeof *sorted, compare_keys);
  bool unique = true;
  for (size_t i = 1; i < object->length && unique; i++)
    unique = strcmp (sorted[i - 1], sorted[i]) != 0;
  free (sorted);
  return unique || fail (p, "duplicate key");
}

static bool
parse_container (json_parser *p, json_value *out, int depth, bool object)
{
  char close = object ? '}' : ']';
  size_t capacity = 0;
  out->type = object ? JSON_OBJECT : JSON_ARRAY;
  p->pos++;
  skip_space (p);
  if (p->pos < p->size && p->text[p->pos] == close) {
    p->pos++;
    return true;
  }
  for (;;) {
    if (!reserve (out, &capacity, object))
      return fail (p, "out of memory");
    char *key = NULL;
    if (object) {
      skip_space (p);
      if (p->pos >= p->size || p->text[p->pos] != '"')
        return fail (p, "expected a string key");
      if (!parse_string (p, &key))
        return false;
      skip_space (p);
      if (p->pos >= p->size || p->text[p->pos] != ':') {
        free (key);
        return fail (p, "expected ':'");
      }
      p->pos++;
    }
    json_value *item = &out->items[out->length];
    memset (item, 0, sizeof *item);
    if (!parse_value (p, item, depth + 1)) {
      json_value_clear (item);
      free (key);
      return false;
    }
    if (object)
      out->keys[out->length] = key;
    out->length++;
    skip_space (p);
    if (p->pos >= p->size)
      return fail (p, "unterminated container");
    char c = p->text[p->pos++];
    if (c == close)
      return !object || check_unique_keys (p, out);
    if (c != ',')
      return fail (p, "expected ',' or end of container");
  }
}

static bool
parse_integer (json_parser *p, json_value *out)
{
  const char *t = p->text;
  if (t[p->pos] == '-')
    return fail (p, "negative number");
  if (t[p->pos] == '0' && p->pos + 1 < p->size && t[p->pos + 1] >= '0'
      && t[p->pos + 1] <= '9')
    return fail (p, "number with a leading zero");
  uint64_t v = 0;
  size_t start = p->pos;
  while (p->pos < p->size && t[p->pos] >= '0' && t[p->pos] <= '9') {
    unsigned d = (unsigned) (t[p->pos] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return fail (p, "integer too large");
    v = v * 10 + d;
    p->pos++;
  }
  if (p->pos == start)
    return fail (p, "unexpected character");
  if (p->pos < p->size && (t[p->pos] == '.' || t[p->pos] == 'e'
          || t[p->pos] == 'E'))
    return fail (p, "non-integer number");
  out->type = JSON_INTEGER;
  out->integer = v;
  return true;
}

static bool
parse_value (json_parser *p, json_value *out, int depth)
{
  if (depth > JSON_MAX_DEPTH)
    return fail (p, "nesting too deep");
  skip_space (p);
  if (p->pos >= p->size)
    return fail (p, "unexpected end of JSON");
  switch (p->text[p->pos]) {
    case '{':
      return parse_container (p, out, depth, true);
    case '[':
      return parse_container (p, out, depth, false);
    case '"':
      out->type = JSON_STRING;
      return parse_string (p, &out->string);
    case 't':
    case 'f':
      out->type = JSON_BOOL;
      out->boolean = p->text[p->pos] == 't';
      if (match_word (p, out->boolean ? "true" : "false"))
        return true;
      return fail (p, "unexpected word");
    case 'n':
      out->type = JSON_NULL;
      if (match_word (p, "null"))
        return true;
      return fail (p, "unexpected word");
    default:
      return parse_integer (p, out);
  }
}

bool
json_parse (const char *text, size_t size, json_value *out, char *err,
    size_t err_size)
{
  json_parser p = { text, size, 0, err, err_size };
  memset (out, 0, sizeof *out);
  if (!parse_value (&p, out, 0)) {
    json_value_clear (out);
    return false;
  }
  skip_space (&p);
  if (p.pos != size) {
    json_value_clear (out);
    return fail (&p, "trailing characters after JSON");
  }
  return true;
}

void
json_value_clear (json_value *v)
{
  if (!v)
    return;
  for (size_t i = 0; i < v->length; i++) {
    json_value_clear (&v->items[i]);
    if (v->keys)
      free (v->keys[i]);
  }
  free (v->items);
  free (v->keys);
  free (v->string);
  memset (v, 0, sizeof *v);
}

const json_value *
json_object_get (const json_value *object, const char *key)
{
  if (!object || object->type != JSON_OBJECT)
    return NULL;
  for (size_t i = 0; i < object->length; i++)
    if (strcmp (object->keys[i], key) == 0)
      return &object->items[i];
  return NULL;
}
