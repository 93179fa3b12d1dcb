/* cmd_info.c — `esdnet info`: what a model file holds. */
#include "cli.h"
#include "json_writer.h"

#include <inttypes.h>
#include <stdio.h>

static const char usage[] =
    "Usage: esdnet info [--json] MODEL\n"
    "\n"
    "Prints a model's architecture, parameter count, multiply-accumulates per\n"
    "pixel if every convolution ran dense, and its description and training\n"
    "notes if the file has them.\n"
    "\n"
    "  --json   print one JSON object\n";

static const char *const metadata_keys[] = { "description", "training" };
#define N_METADATA_KEYS (sizeof metadata_keys / sizeof *metadata_keys)

static void
print_text (const char *path, const esdnet_model *m)
{
  const esdnet_config *c = esdnet_model_get_config (m);
  const uint64_t params = esdnet_model_param_count (m);
  const double macs = esdnet_model_dense_macs_per_pixel (m);
  printf ("model             %s\n", path);
  printf ("dim               %d\n", c->dim);
  printf ("enc_blocks        %d %d %d\n", c->enc_blocks[0], c->enc_blocks[1],
      c->enc_blocks[2]);
  printf ("dec_blocks        %d %d %d\n", c->dec_blocks[0], c->dec_blocks[1],
      c->dec_blocks[2]);
  printf ("timesteps         %d\n", c->timesteps);
  printf ("tau               %.7g\n", c->tau);
  printf ("v_threshold       %.7g\n", c->v_threshold);
  printf ("reduction_t       %d\n", c->reduction_t);
  printf ("reduction_c       %d\n", c->reduction_c);
  printf ("refine_reduction  %d\n", c->refine_reduction);
  printf ("bn_eps            %.7g\n", c->bn_eps);
  printf ("rest statistics   %s\n", esdnet_model_has_rest_statistics (m)
      ? "yes (for the first frame after a reset)" : "no");
  printf ("parameters        %" PRIu64 " (%.3f M)\n", params, params / 1e6);
  printf ("dense MACs/pixel  %.0f (%.3f M)\n", macs, macs / 1e6);
  for (size_t i = 0; i < N_METADATA_KEYS; i++) {
    const char *v = esdnet_model_get_metadata (m, metadata_keys[i]);
    if (v)
      printf ("%-17s %s\n", metadata_keys[i], v);
  }
}

static void
write_blocks (json_writer *w, const char *key, const int32_t blocks[3])
{
  json_open (w, key, '[');
  for (int i = 0; i < 3; i++)
    json_uint (w, NULL, (uint64_t) blocks[i]);
  json_close (w, ']');
}

static void
print_json (const char *path, const esdnet_model *m)
{
  const esdnet_config *c = esdnet_model_get_config (m);
  json_writer w = { stdout, 0, false };
  json_open (&w, NULL, '{');
  json_string (&w, "model", path);
  json_uint (&w, "dim", (uint64_t) c->dim);
  write_blocks (&w, "enc_blocks", c->enc_blocks);
  write_blocks (&w, "dec_blocks", c->dec_blocks);
  json_uint (&w, "timesteps", (uint64_t) c->timesteps);
  json_float (&w, "tau", c->tau);
  json_float (&w, "v_threshold", c->v_threshold);
  json_uint (&w, "reduction_t", (uint64_t) c->reduction_t);
  json_uint (&w, "reduction_c", (uint64_t) c->reduction_c);
  json_uint (&w, "refine_reduction", (uint64_t) c->refine_reduction);
  json_float (&w, "bn_eps", c->bn_eps);
  json_bool (&w, "rest_statistics", esdnet_model_has_rest_statistics (m));
  json_uint (&w, "param_count", esdnet_model_param_count (m));
  json_number (&w, "dense_macs_per_pixel",
      esdnet_model_dense_macs_per_pixel (m));
  for (size_t i = 0; i < N_METADATA_KEYS; i++)
    json_string (&w, metadata_keys[i],
        esdnet_model_get_metadata (m, metadata_keys[i]));
  json_close (&w, '}');
  putchar ('\n');
}

int
cmd_info (int argc, char **argv)
{
  bool json = false;
  const cli_option options[] = { { "json", NULL, &json } };
  const cli_command cmd = { "info", usage, options, 1, 1, "MODEL" };
  const char *path;
  const int status = cli_parse_args (&cmd, argc, argv, &path);
  if (status >= 0)
    return status;

  esdnet_model *m = cli_load_model (path);
  if (!m)
    return CLI_EXIT_FAILURE;
  (json ? print_json : print_text) (path, m);
  esdnet_model_free (m);
  return CLI_EXIT_OK;
}
