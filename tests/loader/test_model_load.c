/* test_model_load.c — the model loader against the corpus of malformed and
 * valid files in tests/corpus/model (written by tests/corpus/make_corpus.py),
 * plus the loader API's edge cases.
 *
 * Usage: test_model_load CORPUS_DIR
 *
 * For every manifest line (file, expected status, message substring) the file
 * is loaded both from memory and from its path: the result must be NULL
 * exactly when an error is expected, the status must match, the message must
 * hold the substring, and the file loader's message must be the memory
 * loader's with the path in front. Files of different kinds (status or
 * substring) must give different messages, and every model-file status must
 * be covered by at least one file.
 */
#include "esdnet.h"
#include "check.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#define MAX_ENTRIES 1024
#define PATH_SIZE 4096

static const struct {
  const char *name;
  esdnet_status status;
} status_names[] = {
  { "OK", ESDNET_OK },
  { "INVALID_ARGUMENT", ESDNET_ERROR_INVALID_ARGUMENT },
  { "OUT_OF_MEMORY", ESDNET_ERROR_OUT_OF_MEMORY },
  { "IO", ESDNET_ERROR_IO },
  { "MODEL_HEADER", ESDNET_ERROR_MODEL_HEADER },
  { "MODEL_METADATA", ESDNET_ERROR_MODEL_METADATA },
  { "MODEL_TENSOR_ENTRY", ESDNET_ERROR_MODEL_TENSOR_ENTRY },
  { "MODEL_OVERLAP", ESDNET_ERROR_MODEL_OVERLAP },
  { "MODEL_MISSING_TENSOR", ESDNET_ERROR_MODEL_MISSING_TENSOR },
  { "MODEL_UNKNOWN_TENSOR", ESDNET_ERROR_MODEL_UNKNOWN_TENSOR },
  { "MODEL_SHAPE", ESDNET_ERROR_MODEL_SHAPE },
  { "MODEL_NONFINITE", ESDNET_ERROR_MODEL_NONFINITE },
  { "FRAME_SIZE", ESDNET_ERROR_FRAME_SIZE },
};
#define N_STATUS_NAMES (sizeof status_names / sizeof status_names[0])

/* The statuses a model file itself can cause: each needs a corpus file. */
static const esdnet_status file_statuses[] = {
  ESDNET_ERROR_MODEL_HEADER, ESDNET_ERROR_MODEL_METADATA,
  ESDNET_ERROR_MODEL_TENSOR_ENTRY, ESDNET_ERROR_MODEL_OVERLAP,
  ESDNET_ERROR_MODEL_MISSING_TENSOR, ESDNET_ERROR_MODEL_UNKNOWN_TENSOR,
  ESDNET_ERROR_MODEL_SHAPE, ESDNET_ERROR_MODEL_NONFINITE,
};

static const char *
status_name (esdnet_status status)
{
  for (size_t i = 0; i < N_STATUS_NAMES; i++)
    if (status_names[i].status == status)
      return status_names[i].name;
  return "(not a status)";
}

static bool
status_from_name (const char *name, esdnet_status *out)
{
  for (size_t i = 0; i < N_STATUS_NAMES; i++) {
    if (strcmp (status_names[i].name, name) == 0) {
      *out = status_names[i].status;
      return true;
    }
  }
  return false;
}

static void *
xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);
  if (!p) {
    fprintf (stderr, "out of memory\n");
    exit (2);
  }
  return p;
}

/* The whole file in a buffer of exactly its size (so AddressSanitizer sees
 * any read past the end), or NULL. */
static uint8_t *
read_file (const char *path, size_t *size)
{
  FILE *fp = fopen (path, "rb");
  struct stat st;
  if (!fp)
    return NULL;
  if (fstat (fileno (fp), &st) != 0) {
    fclose (fp);
    return NULL;
  }
  *size = (size_t) st.st_size;
  uint8_t *buf = xmalloc (*size);
  if (fread (buf, 1, *size, fp) != *size) {
    free (buf);
    buf = NULL;
  }
  fclose (fp);
  return buf;
}

/* ------------------------------------------------------------ manifest */

typedef struct {
  char *file;
  esdnet_status status;
  char *substring;
  char message[ESDNET_ERROR_MESSAGE_SIZE];  /* from the memory loader */
} entry;

/* Fills entries from manifest.txt; returns the count, or -1. */
static int
read_manifest (const char *dir, entry *entries)
{
  char path[PATH_SIZE];
  snprintf (path, sizeof path, "%s/manifest.txt", dir);
  size_t size;
  char *text = (char *) read_file (path, &size);
  if (!text) {
    fprintf (stderr, "cannot read %s: %s\n", path, strerror (errno));
    return -1;
  }
  char *copy = xmalloc (size + 1);
  memcpy (copy, text, size);
  copy[size] = '\0';
  free (text);

  int n = 0;
  int line_no = 0;
  for (char *line = copy, *next; line && *line; line = next) {
    next = strchr (line, '\n');
    if (next)
      *next++ = '\0';
    line_no++;
    if (line[0] == '#' || line[0] == '\0')
      continue;
    char *tab1 = strchr (line, '\t');
    char *tab2 = tab1 ? strchr (tab1 + 1, '\t') : NULL;
    if (!tab2 || n == MAX_ENTRIES) {
      fprintf (stderr, "%s:%d: not 'file<TAB>status<TAB>substring'\n", path,
          line_no);
      free (copy);
      return -1;
    }
    *tab1 = *tab2 = '\0';
    entry *e = &entries[n];
    if (!status_from_name (tab1 + 1, &e->status)) {
      fprintf (stderr, "%s:%d: unknown status '%s'\n", path, line_no,
          tab1 + 1);
      free (copy);
      return -1;
    }
    e->file = strdup (line);
    e->substring = strdup (tab2 + 1);
    if (!e->file || !e->substring) {
      fprintf (stderr, "out of memory\n");
      exit (2);
    }
    n++;
  }
  free (copy);
  return n;
}

/* ------------------------------------------------------------ corpus */

/* A loaded model must be usable: its configuration readable and a small
 * stream able to run a frame. */
static void
check_usable (const char *file, const esdnet_model *m)
{
  const esdnet_config *c = esdnet_model_get_config (m);
  CHECK (c && c->dim >= 1 && c->timesteps >= 1, "%s: bad configuration",
      file);
  CHECK (esdnet_model_param_count (m) > 0, "%s: no parameters", file);
  CHECK (esdnet_model_dense_macs_per_pixel (m) > 0.0, "%s: no MACs", file);

  esdnet_stream_params sp = esdnet_stream_default_params ();
  sp.num_threads = 1;
  esdnet_error err;
  esdnet_stream *s = esdnet_stream_create (m, 5, 3, &sp, &err);
  CHECK (s != NULL, "%s: stream: %s", file, err.message);
  if (!s)
    return;
  float in[3 * 5 * 3], out[3 * 5 * 3];
  for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
    in[i] = (float) (i % 7) / 6.0f;
  esdnet_status st = esdnet_stream_process_f32 (s, in, out,
      ESDNET_TEMPORAL_CARRY);
  CHECK (st == ESDNET_OK, "%s: process: %s", file,
      esdnet_stream_last_error (s));
  for (size_t i = 0; st == ESDNET_OK && i < sizeof out / sizeof out[0]; i++)
    CHECK (isfinite (out[i]), "%s: output %zu is not finite", file, i);
  esdnet_stream_free (s);
}

static void
check_entry (const char *dir, entry *e)
{
  char path[PATH_SIZE];
  snprintf (path, sizeof path, "%s/%s", dir, e->file);
  size_t size;
  uint8_t *bytes = read_file (path, &size);
  if (!bytes) {
    CHECK (false, "cannot read %s: %s", path, strerror (errno));
    return;
  }
  const bool expect_ok = e->status == ESDNET_OK;

  /* Stale contents must not survive a call. */
  esdnet_error mem_err, file_err;
  memset (&mem_err, 'x', sizeof mem_err);
  memset (&file_err, 'x', sizeof file_err);
  esdnet_model *from_mem = esdnet_model_load_from_memory (bytes, size,
      &mem_err);
  /* The model keeps no pointer to the bytes: free them before using it. */
  free (bytes);
  esdnet_model *from_file = esdnet_model_load_from_file (path, &file_err);
  mem_err.message[sizeof mem_err.message - 1] = '\0';
  file_err.message[sizeof file_err.message - 1] = '\0';

  CHECK ((from_mem != NULL) == expect_ok, "%s: memory load %s (%s: %s)",
      e->file, from_mem ? "succeeded" : "failed",
      status_name (mem_err.status), mem_err.message);
  CHECK ((from_file != NULL) == expect_ok, "%s: file load %s (%s: %s)",
      e->file, from_file ? "succeeded" : "failed",
      status_name (file_err.status), file_err.message);
  CHECK (mem_err.status == e->status, "%s: memory load gave %s, expected %s "
      "(%s)", e->file, status_name (mem_err.status), status_name (e->status),
      mem_err.message);
  CHECK (file_err.status == e->status, "%s: file load gave %s, expected %s "
      "(%s)", e->file, status_name (file_err.status),
      status_name (e->status), file_err.message);

  if (expect_ok) {
    CHECK (mem_err.message[0] == '\0' && file_err.message[0] == '\0',
        "%s: success left a message: '%s' / '%s'", e->file, mem_err.message,
        file_err.message);
    if (from_mem)
      check_usable (e->file, from_mem);
    if (from_mem && from_file)
      CHECK (esdnet_model_param_count (from_mem)
          == esdnet_model_param_count (from_file),
          "%s: file and memory loads differ", e->file);
  } else {
    CHECK (mem_err.message[0] != '\0', "%s: empty message", e->file);
    CHECK (strstr (mem_err.message, e->substring) != NULL,
        "%s: message '%s' lacks '%s'", e->file, mem_err.message,
        e->substring);
    /* The file's message names the file (a long path by its tail) and
     * ends with the same reason. */
    char tail[ESDNET_ERROR_MESSAGE_SIZE];
    snprintf (tail, sizeof tail, "': %s", mem_err.message);
    const size_t fl = strlen (file_err.message), tl = strlen (tail);
    CHECK (strncmp (file_err.message, "model '", 7) == 0
        && strstr (file_err.message, e->file) != NULL && fl >= tl
        && strcmp (file_err.message + fl - tl, tail) == 0,
        "%s: file message '%s' does not name the file and end with '%s'",
        e->file, file_err.message, tail);
  }
  memcpy (e->message, mem_err.message, sizeof e->message);
  esdnet_model_free (from_mem);
  esdnet_model_free (from_file);
}

static void
check_corpus (const char *dir, entry *entries, int n)
{
  for (int i = 0; i < n; i++)
    check_entry (dir, &entries[i]);

  /* Files of one kind (status and substring) may share a message; files of
   * different kinds must not, or the message would not tell them apart. */
  for (int i = 0; i < n; i++) {
    for (int j = i + 1; j < n; j++) {
      const entry *a = &entries[i], *b = &entries[j];
      if (a->status == ESDNET_OK || b->status == ESDNET_OK)
        continue;
      if (a->status == b->status && strcmp (a->substring, b->substring) == 0)
        continue;
      CHECK (strcmp (a->message, b->message) != 0,
          "%s and %s give the same message '%s'", a->file, b->file,
          a->message);
    }
  }

  int ok_files = 0;
  for (int i = 0; i < n; i++)
    ok_files += entries[i].status == ESDNET_OK;
  CHECK (ok_files > 0, "the manifest has no valid file");
  for (size_t s = 0; s < sizeof file_statuses / sizeof file_statuses[0];
      s++) {
    int count = 0;
    for (int i = 0; i < n; i++)
      count += entries[i].status == file_statuses[s];
    CHECK (count > 0, "no corpus file expects %s",
        status_name (file_statuses[s]));
  }
}

/* ------------------------------------------------------------ API edges */

static void
expect_failure (esdnet_model *m, const esdnet_error *err,
    esdnet_status status, const char *substring, const char *what)
{
  CHECK (m == NULL, "%s: loaded", what);
  esdnet_model_free (m);
  CHECK (err->status == status, "%s: status %s, expected %s (%s)", what,
      status_name (err->status), status_name (status), err->message);
  CHECK (err->message[0] != '\0', "%s: empty message", what);
  CHECK (strstr (err->message, substring) != NULL,
      "%s: message '%s' lacks '%s'", what, err->message, substring);
}

static void
check_api_edges (const char *dir, const char *valid_file)
{
  esdnet_error err;
  char path[PATH_SIZE];

  expect_failure (esdnet_model_load_from_file (NULL, &err), &err,
      ESDNET_ERROR_INVALID_ARGUMENT, "NULL", "NULL path");
  expect_failure (esdnet_model_load_from_memory (NULL, 16, &err), &err,
      ESDNET_ERROR_INVALID_ARGUMENT, "NULL", "NULL data, size 16");
  /* No bytes at all is a file too short for its header length. */
  expect_failure (esdnet_model_load_from_memory (NULL, 0, &err), &err,
      ESDNET_ERROR_MODEL_HEADER, "0 bytes", "NULL data, size 0");

  snprintf (path, sizeof path, "%s/no-such-model.safetensors", dir);
  expect_failure (esdnet_model_load_from_file (path, &err), &err,
      ESDNET_ERROR_IO, "no-such-model.safetensors", "nonexistent file");
  CHECK (strstr (err.message, "no such file") != NULL,
      "nonexistent file: message '%s' gives no reason", err.message);
  expect_failure (esdnet_model_load_from_file (dir, &err), &err,
      ESDNET_ERROR_IO, dir, "a directory");
  expect_failure (esdnet_model_load_from_file ("", &err), &err,
      ESDNET_ERROR_IO, "''", "empty path");

  /* A path longer than the message: cut, not overflowed. */
  char long_path[1024];
  memset (long_path, 'p', sizeof long_path - 1);
  long_path[sizeof long_path - 1] = '\0';
  expect_failure (esdnet_model_load_from_file (long_path, &err), &err,
      ESDNET_ERROR_IO, "ppp", "1023-byte path");
  CHECK (strlen (err.message) == sizeof err.message - 1,
      "long path: message of %zu bytes", strlen (err.message));

  /* A NULL error pointer is allowed everywhere. */
  CHECK (esdnet_model_load_from_file (NULL, NULL) == NULL, "NULL, NULL");
  CHECK (esdnet_model_load_from_memory (NULL, 3, NULL) == NULL,
      "NULL data, NULL error");
  CHECK (esdnet_model_load_from_memory ("garbage!garbage!", 16, NULL) == NULL,
      "garbage, NULL error");
  CHECK (esdnet_model_load_from_file (dir, NULL) == NULL,
      "directory, NULL error");
  snprintf (path, sizeof path, "%s/no-such-model.safetensors", dir);
  CHECK (esdnet_model_load_from_file (path, NULL) == NULL,
      "nonexistent file, NULL error");

  snprintf (path, sizeof path, "%s/%s", dir, valid_file);
  esdnet_model *m = esdnet_model_load_from_file (path, NULL);
  CHECK (m != NULL, "%s does not load with a NULL error pointer", path);

  /* Metadata lookups. */
  if (m) {
    CHECK (esdnet_model_get_metadata (m, "no-such-key") == NULL,
        "metadata: found an absent key");
    CHECK (esdnet_model_get_metadata (m, NULL) == NULL, "metadata: NULL key");
    CHECK (esdnet_model_get_metadata (m, "") == NULL, "metadata: empty key");
  }
  CHECK (esdnet_model_get_metadata (NULL, "description") == NULL,
      "metadata: NULL model");
  esdnet_model_free (m);

  snprintf (path, sizeof path, "%s/OK--extra-metadata-unicode.safetensors",
      dir);
  m = esdnet_model_load_from_file (path, &err);
  CHECK (m != NULL, "%s: %s", path, err.message);
  if (m) {
    const char *d = esdnet_model_get_metadata (m, "description");
    const char *t = esdnet_model_get_metadata (m, "training");
    CHECK (d && strcmp (d, "Regen \xE2\x98\x94 caf\xC3\xA9 \xF0\x9F\x8C\xA7")
        == 0, "metadata 'description' is '%s'", d ? d : "(null)");
    CHECK (t && strcmp (t, "none") == 0, "metadata 'training' is '%s'",
        t ? t : "(null)");
  }
  esdnet_model_free (m);

  /* The NULL model is accepted by every accessor. */
  esdnet_model_free (NULL);
  CHECK (esdnet_model_get_config (NULL) == NULL, "config of NULL");
  CHECK (esdnet_model_param_count (NULL) == 0, "param count of NULL");
  CHECK (esdnet_model_dense_macs_per_pixel (NULL) == 0.0, "MACs of NULL");
}

/* Variants of one model must load to the same parameter count:
 * num_batches_tracked is bookkeeping, not a parameter, and the dtype does
 * not change what is counted. */
static void
check_variants (const char *dir)
{
  static const char *const files[] = {
    "OK--mini-f16.safetensors", "OK--mini-bf16.safetensors",
    "OK--mini-num-batches-tracked.safetensors",
  };
  uint64_t first = 0;
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[PATH_SIZE];
    esdnet_error err;
    snprintf (path, sizeof path, "%s/%s", dir, files[i]);
    esdnet_model *m = esdnet_model_load_from_file (path, &err);
    CHECK (m != NULL, "%s: %s", files[i], err.message);
    if (!m)
      continue;
    uint64_t count = esdnet_model_param_count (m);
    if (i == 0)
      first = count;
    CHECK (count == first, "%s has %llu parameters, %s has %llu", files[i],
        (unsigned long long) count, files[0], (unsigned long long) first);
    esdnet_model_free (m);
  }
}

static void
check_status_strings (void)
{
  const char *seen[ESDNET_STATUS_COUNT];
  for (int s = 0; s < ESDNET_STATUS_COUNT; s++) {
    const char *str = esdnet_status_to_string ((esdnet_status) s);
    seen[s] = str;
    CHECK (str && str[0], "status %d has no description", s);
    for (int t = 0; str && t < s; t++)
      CHECK (seen[t] && strcmp (seen[t], str) != 0,
          "statuses %d and %d are both '%s'", t, s, str);
  }
  const int bad[] = { -1, ESDNET_STATUS_COUNT, 1000 };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *str = esdnet_status_to_string ((esdnet_status) bad[i]);
    CHECK (str && str[0], "status %d has no description", bad[i]);
    for (int s = 0; str && s < ESDNET_STATUS_COUNT; s++)
      CHECK (strcmp (seen[s], str) != 0, "invalid status %d reads as '%s'",
          bad[i], str);
  }
  CHECK (N_STATUS_NAMES == ESDNET_STATUS_COUNT,
      "the test knows %zu statuses, esdnet.h has %d", N_STATUS_NAMES,
      ESDNET_STATUS_COUNT);
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  static entry entries[MAX_ENTRIES];
  int n = read_manifest (dir, entries);
  if (n <= 0) {
    fprintf (stderr, "no corpus entries in %s/manifest.txt\n", dir);
    return 1;
  }

  check_corpus (dir, entries, n);
  const char *valid = NULL;
  for (int i = 0; i < n && !valid; i++)
    if (entries[i].status == ESDNET_OK)
      valid = entries[i].file;
  if (valid)
    check_api_edges (dir, valid);
  check_variants (dir);
  check_status_strings ();

  for (int i = 0; i < n; i++) {
    free (entries[i].file);
    free (entries[i].substring);
  }
  if (failures) {
    fprintf (stderr, "%d model-load check(s) failed\n", failures);
    return 1;
  }
  printf ("model loader: %d corpus files and the API edge cases pass\n", n);
  return 0;
}
