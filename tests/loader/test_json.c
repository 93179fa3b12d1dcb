/* test_json.c — the header JSON reader (engine/lib/format/json.c) on the
 * inputs a hostile or sloppy writer produces: escapes, surrogates, nesting
 * at and past the depth limit, integers at the edge of uint64, leading
 * zeros, duplicate keys (also when only their escapes differ), and text
 * that is not NUL-terminated.
 */
#include "format/json.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Parses exactly size bytes of text, copied into a buffer of that size so
 * AddressSanitizer catches any read past the end. */
static bool
parse_n (const char *text, size_t size, json_value *out, char *err,
    size_t err_size)
{
  char *copy = malloc (size ? size : 1);
  if (!copy) {
    fprintf (stderr, "out of memory\n");
    exit (1);
  }
  memcpy (copy, text, size);
  bool ok = json_parse (copy, size, out, err, err_size);
  free (copy);
  return ok;
}

/* The input must be rejected with a reason containing `reason`. */
static void
expect_error (const char *text, const char *reason)
{
  json_value v;
  char err[128] = "";
  if (parse_n (text, strlen (text), &v, err, sizeof err)) {
    CHECK (false, "accepted %s (expected '%s')", text, reason);
    json_value_clear (&v);
    return;
  }
  CHECK (strstr (err, reason) != NULL, "%s: error '%s' lacks '%s'", text,
      err, reason);
  CHECK (strstr (err, " at byte ") != NULL, "%s: error '%s' has no offset",
      text, err);
}

/* The input must parse; the caller inspects and clears *v. */
static bool
expect_ok (const char *text, json_value *v)
{
  char err[128] = "";
  bool ok = parse_n (text, strlen (text), v, err, sizeof err);
  CHECK (ok, "rejected %s: %s", text, err);
  return ok;
}

/* A string value must decode to exactly `want` (want_len bytes). */
static void
expect_string (const char *text, const char *want, size_t want_len)
{
  json_value v;
  if (!expect_ok (text, &v))
    return;
  CHECK (v.type == JSON_STRING && strlen (v.string) == want_len
      && memcmp (v.string, want, want_len) == 0, "%s decoded wrongly", text);
  json_value_clear (&v);
}

static void
expect_integer (const char *text, uint64_t want)
{
  json_value v;
  if (!expect_ok (text, &v))
    return;
  CHECK (v.type == JSON_INTEGER && v.integer == want,
      "%s: got %llu, want %llu", text, (unsigned long long) v.integer,
      (unsigned long long) want);
  json_value_clear (&v);
}

static void
test_escapes (void)
{
  expect_string ("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",
      "\" \\ / \b \f \n \r \t", 15);
  expect_string ("\"\\u0041\\u00e9\\u20AC\"", "A\xC3\xA9\xE2\x82\xAC", 6);
  expect_string ("\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
      "\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF", 11);
  /* U+1F600 and U+10FFFF as surrogate pairs, upper- and lower-case hex. */
  expect_string ("\"\\ud83d\\ude00\"", "\xF0\x9F\x98\x80", 4);
  expect_string ("\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF", 4);
  expect_string ("\"\"", "", 0);
  /* Raw UTF-8 passes through untouched. */
  expect_string ("\"caf\xC3\xA9\"", "caf\xC3\xA9", 5);

  expect_error ("\"\\ud800\"", "unpaired surrogate");
  expect_error ("\"\\ud800x\"", "unpaired surrogate");
  expect_error ("\"\\ud800\\u0041\"", "unpaired surrogate");
  expect_error ("\"\\ud800\\ud800\"", "unpaired surrogate");
  expect_error ("\"\\udc00\"", "unpaired surrogate");
  expect_error ("\"\\udfff\\ud800\"", "unpaired surrogate");
  expect_error ("\"\\u0000\"", "NUL character");
  expect_error ("\"\\u12\"", "\\u escape");
  expect_error ("\"\\u12", "unterminated string");
  expect_error ("\"\\u12G4\"", "bad \\u escape");
  expect_error ("\"\\x\"", "bad escape");
  expect_error ("\"\\U0041\"", "bad escape");
  expect_error ("\"a\nb\"", "control character");
  expect_error ("\"a\tb\"", "control character");
  expect_error ("\"abc", "unterminated string");
  expect_error ("\"abc\\", "unterminated string");
  expect_error ("\"abc\\\"", "unterminated string");

  /* A NUL byte inside the text is a control character, not an end. */
  json_value v;
  char err[128];
  CHECK (!parse_n ("\"a\0b\"", 5, &v, err, sizeof err),
      "accepted a raw NUL in a string");
}

static void
test_numbers (void)
{
  expect_integer ("0", 0);
  expect_integer ("7", 7);
  expect_integer (" 42 ", 42);
  expect_integer ("18446744073709551615", UINT64_MAX);
  expect_integer ("18446744073709551609", UINT64_MAX - 6);
  expect_integer ("1844674407370955161", UINT64_MAX / 10);
  expect_error ("18446744073709551616", "integer too large");
  expect_error ("18446744073709551620", "integer too large");
  expect_error ("99999999999999999999", "integer too large");
  expect_error ("184467440737095516150", "integer too large");
  expect_error ("01", "leading zero");
  expect_error ("00", "leading zero");
  expect_error ("[0, 007]", "leading zero");
  expect_error ("-1", "negative number");
  expect_error ("-0", "negative number");
  expect_error ("1.5", "non-integer");
  expect_error ("1e3", "non-integer");
  expect_error ("1E3", "non-integer");
  expect_error ("0.0", "non-integer");
  expect_error ("+1", "unexpected character");
  expect_error ("0x10", "trailing characters");
}

/* n nested arrays around `inner` ("" for empty arrays). */
static char *
nested (int n, const char *inner)
{
  size_t len = 2 * (size_t) n + strlen (inner) + 1;
  char *s = malloc (len);
  if (!s) {
    fprintf (stderr, "out of memory\n");
    exit (1);
  }
  memset (s, '[', (size_t) n);
  strcpy (s + n, inner);
  memset (s + n + strlen (inner), ']', (size_t) n);
  s[len - 1] = '\0';
  return s;
}

static void
test_depth (void)
{
  /* The root is depth 0 and the cap is 16: 17 nested containers can hold
   * nothing, 16 can still hold a value. */
  json_value v;
  char *s = nested (17, "");
  if (expect_ok (s, &v))
    json_value_clear (&v);
  free (s);
  s = nested (16, "1");
  if (expect_ok (s, &v))
    json_value_clear (&v);
  free (s);

  s = nested (18, "");
  expect_error (s, "nesting too deep");
  free (s);
  s = nested (17, "1");
  expect_error (s, "nesting too deep");
  free (s);
  /* Objects count like arrays: 17 levels of {"a": ...} around a value. */
  expect_error ("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
      "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
      "{\"a\":1}}}}}}}}}}}}}}}}}", "nesting too deep");

  /* Far past the cap, unclosed: must fail fast, without deep recursion. */
  s = malloc (1000001);
  if (!s)
    exit (1);
  memset (s, '[', 1000000);
  s[1000000] = '\0';
  expect_error (s, "nesting too deep");
  free (s);
}

static void
test_objects (void)
{
  json_value v;
  if (expect_ok ("{\"a\":1,\"b\":{\"a\":2},\"c\":[true,false,null],"
          "\"d\":\"x\"}", &v)) {
    CHECK (v.type == JSON_OBJECT && v.length == 4, "object shape");
    const json_value *a = json_object_get (&v, "a");
    const json_value *b = json_object_get (&v, "b");
    const json_value *c = json_object_get (&v, "c");
    CHECK (a && a->type == JSON_INTEGER && a->integer == 1, "member a");
    CHECK (b && b->type == JSON_OBJECT && json_object_get (b, "a")
        && json_object_get (b, "a")->integer == 2, "member b.a");
    CHECK (c && c->type == JSON_ARRAY && c->length == 3
        && c->items[0].type == JSON_BOOL && c->items[0].boolean
        && c->items[1].type == JSON_BOOL && !c->items[1].boolean
        && c->items[2].type == JSON_NULL, "member c");
    CHECK (json_object_get (&v, "e") == NULL, "absent member found");
    CHECK (json_object_get (a, "a") == NULL, "lookup in a non-object");
    json_value_clear (&v);
  }
  if (expect_ok (" \t\r\n{ } \n", &v)) {
    CHECK (v.type == JSON_OBJECT && v.length == 0, "empty object");
    json_value_clear (&v);
  }
  /* More members than the first allocation holds. */
  if (expect_ok ("{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,"
          "\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k10\":10}", &v)) {
    const json_value *k = json_object_get (&v, "k10");
    CHECK (v.length == 11 && k && k->integer == 10, "growing object");
    json_value_clear (&v);
  }

  expect_error ("{\"a\":1,\"a\":2}", "duplicate key");
  expect_error ("{\"a\":1,\"\\u0061\":2}", "duplicate key");
  expect_error ("{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,"
      "\"k6\":6,\"k7\":7,\"k8\":8,\"k0\":9}", "duplicate key");
  expect_error ("{\"a\":{\"b\":1,\"b\":2}}", "duplicate key");
  expect_error ("{\"a\"}", "expected ':'");
  expect_error ("{\"a\":1,}", "expected a string key");
  expect_error ("{,}", "expected a string key");
  expect_error ("{1:2}", "expected a string key");
  expect_error ("{\"a\":1", "unterminated container");
  expect_error ("[1,]", "unexpected character");
  expect_error ("[1 2]", "expected ','");
  expect_error ("[1,2", "unterminated container");
  expect_error ("{}x", "trailing characters");
  expect_error ("{}{}", "trailing characters");
  expect_error ("", "unexpected end");
  expect_error ("   ", "unexpected end");
  expect_error ("tru", "unexpected word");
  expect_error ("nul", "unexpected word");
  expect_error ("True", "unexpected character");
}

/* An object of n keys "k0".."k<n-1>", then `last` as one more member. */
static char *
many_keys (int n, const char *last)
{
  size_t cap = (size_t) n * 16 + strlen (last) + 4;
  char *s = malloc (cap);
  if (!s) {
    fprintf (stderr, "out of memory\n");
    exit (1);
  }
  size_t len = 0;
  s[len++] = '{';
  for (int i = 0; i < n; i++)
    len += (size_t) snprintf (s + len, cap - len, "\"k%d\":%d,", i, i);
  snprintf (s + len, cap - len, "%s}", last);
  return s;
}

/* Duplicates among many keys, far apart: also the case that must not take
 * quadratic time (a hostile header can hold millions of keys). */
static void
test_many_keys (void)
{
  json_value v;
  char *s = many_keys (200000, "\"end\":0");
  if (expect_ok (s, &v)) {
    const json_value *k = json_object_get (&v, "k199999");
    CHECK (v.length == 200001 && k && k->integer == 199999, "200001 keys");
    json_value_clear (&v);
  }
  free (s);
  s = many_keys (200000, "\"k7\":0");
  expect_error (s, "duplicate key");
  free (s);
}

/* The reader must honour size and never look for a terminator. */
static void
test_bounds (void)
{
  json_value v;
  char err[128];
  CHECK (parse_n ("[1]garbage", 3, &v, err, sizeof err), "prefix [1]: %s",
      err);
  json_value_clear (&v);
  CHECK (!parse_n ("true", 3, &v, err, sizeof err), "accepted 'tru'");
  CHECK (!parse_n ("\"abc\"", 4, &v, err, sizeof err), "accepted '\"abc'");
  CHECK (!parse_n ("\"\\u0041\"", 6, &v, err, sizeof err),
      "accepted a cut \\u escape");
  CHECK (parse_n ("12345", 2, &v, err, sizeof err) && v.integer == 12,
      "prefix 12");
  json_value_clear (&v);

  /* A failed parse leaves *out cleared, and clearing twice is harmless. */
  CHECK (!parse_n ("{\"a\":[1,2,{\"b\":\"c\"", 18, &v, err, sizeof err),
      "accepted a cut object");
  CHECK (v.type == JSON_NULL && v.length == 0 && v.items == NULL,
      "failed parse left a value behind");
  json_value_clear (&v);
  json_value_clear (NULL);

  /* The error text is cut to err_size. */
  char tiny[8];
  CHECK (!parse_n ("{}x", 3, &v, tiny, sizeof tiny)
      && strlen (tiny) == sizeof tiny - 1, "error not truncated to 8 bytes");
}

int
main (void)
{
  test_escapes ();
  test_numbers ();
  test_depth ();
  test_objects ();
  test_many_keys ();
  test_bounds ();
  if (failures) {
    fprintf (stderr, "%d JSON check(s) failed\n", failures);
    return 1;
  }
  printf ("JSON reader: all checks passed\n");
  return 0;
}
