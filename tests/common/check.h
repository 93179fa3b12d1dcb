/* check.h — the assertion of the plain C tests: a failed CHECK prints where
 * and why, counts, and lets the test go on to report every failure. */
#ifndef ESDNET_TEST_CHECK_H
#define ESDNET_TEST_CHECK_H

#include <stdio.h>

static int failures = 0;

#define CHECK(cond, ...) \
  do { \
    if (!(cond)) { \
      fprintf (stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf (stderr, __VA_ARGS__); \
      fprintf (stderr, "\n"); \
      failures++; \
    } \
  } while (0)

#endif
