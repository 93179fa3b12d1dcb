/* json_writer.c — JSON output, indented two spaces per level. */
#include "json_writer.h"

#include <inttypes.h>
#include <math.h>

static void
write_quoted (FILE *out, const char *s)
{
  fputc ('"', out);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf (out, "\\%c", *p);
    else if (*p < 0x20)
      fprintf (out, "\\u%04x", *p);
    else
      fputc (*p, out);
  }
  fputc ('"', out);
}

static void
new_line (json_writer *w, int depth)
{
  fputc ('\n', w->out);
  for (int i = 0; i < depth; i++)
    fputs ("  ", w->out);
}

/* The separator, indentation and key that come before every value. */
static void
begin_item (json_writer *w, const char *key)
{
  if (w->need_comma)
    fputc (',', w->out);
  if (w->depth > 0)
    new_line (w, w->depth);
  if (key) {
    write_quoted (w->out, key);
    fputs (": ", w->out);
  }
  w->need_comma = true;
}

void
json_open (json_writer *w, const char *key, char bracket)
{
  begin_item (w, key);
  fputc (bracket, w->out);
  w->depth++;
  w->need_comma = false;
}

void
json_close (json_writer *w, char bracket)
{
  w->depth--;
  new_line (w, w->depth);
  fputc (bracket, w->out);
  w->need_comma = true;
}

void
json_string (json_writer *w, const char *key, const char *value)
{
  begin_item (w, key);
  if (value)
    write_quoted (w->out, value);
  else
    fputs ("null", w->out);
}

static void
write_number (json_writer *w, const char *key, double value, int digits)
{
  begin_item (w, key);
  if (isfinite (value))
    fprintf (w->out, "%.*g", digits, value);
  else
    fputs ("null", w->out);
}

void
json_number (json_writer *w, const char *key, double value)
{
  write_number (w, key, value, 10);
}

void
json_float (json_writer *w, const char *key, float value)
{
  write_number (w, key, value, 7);
}

void
json_uint (json_writer *w, const char *key, uint64_t value)
{
  begin_item (w, key);
  fprintf (w->out, "%" PRIu64, value);
}

void
json_bool (json_writer *w, const char *key, bool value)
{
  begin_item (w, key);
  fputs (value ? "true" : "false", w->out);
}
