/* main.c — the esdnet program: picks the subcommand. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "Usage: esdnet COMMAND [OPTIONS] ...\n"
    "\n"
    "Removes rain from images and video frames with the ESDNet spiking\n"
    "neural network.\n"
    "\n"
    "Commands:\n"
    "  derain   derain an image, or a directory of images or video frames\n"
    "  info     describe a model file\n"
    "  bench    measure the speed and spiking activity on synthetic frames\n"
    "  eval     measure quality on paired rainy and clean images\n"
    "\n"
    "  esdnet COMMAND --help   the options of a command\n"
    "  esdnet --version        the version\n";

static const struct {
  const char *name;
  int (*run) (int argc, char **argv);
} commands[] = {
  { "derain", cmd_derain },
  { "info", cmd_info },
  { "bench", cmd_bench },
  { "eval", cmd_eval },
};

int
main (int argc, char **argv)
{
  if (argc < 2) {
    fputs (usage, stderr);
    return CLI_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0) {
    fputs (usage, stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp (name, "--version") == 0) {
    printf ("esdnet %s\n", ESDNET_VERSION);
    return CLI_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp (name, commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);
  if (name[0] == '-')
    cli_error ("unknown option '%s'", name);
  else
    cli_error ("unknown command '%s'", name);
  fputs ("Try 'esdnet --help'.\n", stderr);
  return CLI_EXIT_USAGE;
}
