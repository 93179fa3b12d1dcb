/* args.c — the subcommands' option parser, value parsers and error output. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cli_error (const char *format, ...)
{
  va_list args;
  va_start (args, format);
  fputs ("esdnet: ", stderr);
  vfprintf (stderr, format, args);
  fputc ('\n', stderr);
  va_end (args);
}

static int
usage_error (const cli_command *cmd)
{
  fprintf (stderr, "Try 'esdnet %s --help'.\n", cmd->command);
  return CLI_EXIT_USAGE;
}

static const cli_option *
find_option (const cli_command *cmd, const char *name, size_t len)
{
  for (int i = 0; i < cmd->n_options; i++) {
    const cli_option *o = &cmd->options[i];
    if (strlen (o->name) == len && strncmp (o->name, name, len) == 0)
      return o;
  }
  return NULL;
}

int
cli_parse_args (const cli_command *cmd, int argc, char **argv,
    const char **operands)
{
  int n = 0;
  bool options_done = false;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    /* "-" alone is an operand by convention; "--" ends the options. */
    if (options_done || arg[0] != '-' || arg[1] == '\0') {
      if (n == cmd->n_operands) {
        cli_error ("%s: unexpected operand '%s'", cmd->command, arg);
        return usage_error (cmd);
      }
      operands[n++] = arg;
      continue;
    }
    if (strcmp (arg, "--") == 0) {
      options_done = true;
      continue;
    }
    if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0) {
      fputs (cmd->usage, stdout);
      return CLI_EXIT_OK;
    }
    /* Only long options exist: the name runs to '=' or the end. */
    const char *eq = strchr (arg, '=');
    const int arg_len = eq ? (int) (eq - arg) : (int) strlen (arg);
    const cli_option *o = arg[1] == '-' ?
        find_option (cmd, arg + 2, (size_t) arg_len - 2) : NULL;
    if (!o) {
      cli_error ("%s: unknown option '%.*s'", cmd->command, arg_len, arg);
      return usage_error (cmd);
    }
    if (o->flag) {
      if (eq) {
        cli_error ("--%s takes no value", o->name);
        return usage_error (cmd);
      }
      *o->flag = true;
    } else if (eq) {
      *o->value = eq + 1;
    } else if (i + 1 < argc) {
      *o->value = argv[++i];
    } else {
      cli_error ("--%s needs a value", o->name);
      return usage_error (cmd);
    }
  }
  if (n < cmd->n_operands) {
    cli_error ("%s: missing operand (expected %s)", cmd->command,
        cmd->operand_names);
    return usage_error (cmd);
  }
  return -1;
}

/* strtol, refusing leading blanks and texts without digits. A number too
 * big for a long comes back as LONG_MIN or LONG_MAX, which every range
 * here then refuses. */
static bool
parse_long (const char *text, const char **end, long *out)
{
  if (!(text[0] == '-' || text[0] == '+' || (text[0] >= '0'
              && text[0] <= '9')))
    return false;
  char *e;
  *out = strtol (text, &e, 10);
  *end = e;
  return e != text;
}

bool
cli_parse_int (const char *option, const char *text, long min, long max,
    int32_t *out)
{
  const char *end;
  long v;
  if (!parse_long (text, &end, &v) || *end != '\0') {
    cli_error ("%s: '%s' is not a number", option, text);
    return false;
  }
  if (v < min || v > max) {
    cli_error ("%s: %s is out of range (%ld..%ld)", option, text, min, max);
    return false;
  }
  *out = (int32_t) v;
  return true;
}

bool
cli_parse_double (const char *option, const char *text, double min,
    double max, double *out)
{
  /* Like parse_long: no leading blanks, and no "nan" or "inf". */
  const bool digit_first = text[0] == '-' || text[0] == '+' || text[0] == '.'
      || (text[0] >= '0' && text[0] <= '9');
  char *end = (char *) text;
  const double v = digit_first ? strtod (text, &end) : 0.0;
  if (end == text || *end != '\0' || v != v) {
    cli_error ("%s: '%s' is not a number", option, text);
    return false;
  }
  if (v < min || v > max) {
    cli_error ("%s: %s is out of range (%g..%g)", option, text, min, max);
    return false;
  }
  *out = v;
  return true;
}

bool
cli_parse_size (const char *option, const char *text, int32_t *width,
    int32_t *height)
{
  const char *end;
  long w, h;
  if (!parse_long (text, &end, &w) || *end != 'x'
      || !parse_long (end + 1, &end, &h) || *end != '\0') {
    cli_error ("%s: '%s' is not a size WIDTHxHEIGHT", option, text);
    return false;
  }
  if (w < 1 || w > ESDNET_MAX_FRAME_WIDTH || h < 1
      || h > ESDNET_MAX_FRAME_HEIGHT) {
    cli_error ("%s: %s is out of range (1x1..%dx%d)", option, text,
        ESDNET_MAX_FRAME_WIDTH, ESDNET_MAX_FRAME_HEIGHT);
    return false;
  }
  *width = (int32_t) w;
  *height = (int32_t) h;
  return true;
}

bool
cli_parse_temporal (const char *option, const char *text,
    esdnet_temporal_mode *out)
{
  if (strcmp (text, "reset") == 0)
    *out = ESDNET_TEMPORAL_RESET;
  else if (strcmp (text, "carry") == 0)
    *out = ESDNET_TEMPORAL_CARRY;
  else {
    cli_error ("%s: '%s' is neither reset nor carry", option, text);
    return false;
  }
  return true;
}

static bool
parse_membranes (const char *option, const char *text,
    esdnet_membrane_precision *out)
{
  if (strcmp (text, "f32") == 0)
    *out = ESDNET_MEMBRANES_F32;
  else if (strcmp (text, "f16") == 0)
    *out = ESDNET_MEMBRANES_F16;
  else {
    cli_error ("%s: '%s' is neither f32 nor f16", option, text);
    return false;
  }
  return true;
}

bool
cli_parse_stream_params (const char *threads_arg, const char *ensemble_arg,
    const char *membranes_arg, esdnet_stream_params *out)
{
  return (!threads_arg || cli_parse_int ("--threads", threads_arg, 0,
          CLI_MAX_THREADS, &out->num_threads))
      && (!ensemble_arg || cli_parse_int ("--ensemble", ensemble_arg, 1,
          ESDNET_MAX_ENSEMBLE, &out->ensemble))
      && (!membranes_arg || parse_membranes ("--membranes", membranes_arg,
          &out->membranes));
}
