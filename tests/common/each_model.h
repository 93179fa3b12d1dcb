/* each_model.h — main() of the C tests that take model files as
 * arguments: runs a test on each and reports the CHECK failures. */
#ifndef ESDNET_TEST_EACH_MODEL_H
#define ESDNET_TEST_EACH_MODEL_H

#include "esdnet.h"
#include "check.h"

static int
run_on_each_model (int argc, char **argv, void (*test) (const esdnet_model *))
{
  if (argc < 2) {
    fprintf (stderr, "usage: %s MODEL...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    esdnet_error err;
    esdnet_model *m = esdnet_model_load_from_file (argv[i], &err);
    if (!m) {
      fprintf (stderr, "%s\n", err.message);
      return 1;
    }
    test (m);
    esdnet_model_free (m);
  }
  if (failures)
    fprintf (stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}

#endif
