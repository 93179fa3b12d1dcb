/* cli.h — what the parts of the esdnet command-line program share. */
#ifndef ESDNET_CLI_H
#define ESDNET_CLI_H

#include "esdnet.h"

#include <stdbool.h>
#include <time.h>

/* Exit statuses: 2 for a command line that cannot be run as written,
 * 1 for a failure while running it. */
enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_FAILURE = 1,
  CLI_EXIT_USAGE = 2
};

/* Subcommands: argv[0] is the subcommand's name. */
int cmd_derain (int argc, char **argv);
int cmd_info (int argc, char **argv);
int cmd_bench (int argc, char **argv);
int cmd_eval (int argc, char **argv);

/* "esdnet: " + message + newline on stderr. */
void cli_error (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

/* ---------------------------------------------------------- arguments */

/* An option of a subcommand, "--name VALUE", "--name=VALUE" or "--name".
 * Exactly one of value and flag is set. */
typedef struct {
  const char *name;    /* without the leading "--" */
  const char **value;  /* receives the text of an option that takes a value */
  bool *flag;          /* set true when a flag is given */
} cli_option;

typedef struct {
  const char *command; /* the subcommand, for messages */
  const char *usage;   /* printed by --help */
  const cli_option *options;
  int n_options;
  int n_operands;      /* exact number of operands */
  const char *operand_names; /* "INPUT OUTPUT", for the missing-operand message */
} cli_command;

/* Parses argv[1..argc). Fills operands (n_operands entries).
 * Returns -1 to go on, or the exit status to leave with (after --help,
 * or after a usage error, which it reports). */
int cli_parse_args (const cli_command *cmd, int argc, char **argv,
    const char **operands);

/* --threads: 0 means one per core. */
#define CLI_MAX_THREADS 1024

/* Value parsers: on failure they report "esdnet: --OPTION: ..." and
 * return false. */
bool cli_parse_int (const char *option, const char *text, long min, long max,
    int32_t *out);
bool cli_parse_double (const char *option, const char *text, double min,
    double max, double *out);
bool cli_parse_size (const char *option, const char *text, int32_t *width,
    int32_t *height);
bool cli_parse_temporal (const char *option, const char *text,
    esdnet_temporal_mode *out);
/* The stream options every running command takes: --threads, --ensemble
 * and, where membranes_arg is given, --membranes. */
bool cli_parse_stream_params (const char *threads_arg,
    const char *ensemble_arg, const char *membranes_arg,
    esdnet_stream_params *out);


/* -------------------------------------------------------------- model */

/* The model file to use: the --model value, else $ESDNET_MODEL; NULL
 * means the model built into the program. */
const char *cli_model_path (const char *option_value);
/* How to name that model in output. */
const char *cli_model_name (const char *path);
/* Loads a model (NULL path: the built-in one), reporting a failure. */
esdnet_model *cli_load_model (const char *path);

/* Creates a stream, reporting a failure. */
esdnet_stream *cli_create_stream (const esdnet_model *model, int32_t width,
    int32_t height, const esdnet_stream_params *params);

/* Monotonic time in milliseconds. */
static inline double
cli_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#endif /* ESDNET_CLI_H */
