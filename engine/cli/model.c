/* model.c — finding the model file, loading it and making streams, with
 * the failures reported. */
#include "cli.h"
#include "default-model.h"

#include <stdlib.h>

const char *
cli_model_path (const char *option_value)
{
  if (option_value)
    return option_value;
  const char *env = getenv ("ESDNET_MODEL");
  return env && env[0] ? env : NULL;
}

const char *
cli_model_name (const char *path)
{
  return path ? path : "built-in (" ESDNET_DEFAULT_MODEL_NAME ")";
}

esdnet_model *
cli_load_model (const char *path)
{
  esdnet_error err;
  esdnet_model *m;
  if (path) {
    m = esdnet_model_load_from_file (path, &err);
  } else {
    GBytes *bytes = esdnet_default_model_bytes ();
    gsize size = 0;
    const void *data = bytes ? g_bytes_get_data (bytes, &size) : NULL;
    m = esdnet_model_load_from_memory (data, size, &err);
    if (bytes)
      g_bytes_unref (bytes);
  }
  if (!m)  /* a file's message names the file */
    cli_error ("%s%s", path ? "" : "built-in model: ", err.message);
  return m;
}

esdnet_stream *
cli_create_stream (const esdnet_model *model, int32_t width, int32_t height,
    const esdnet_stream_params *params)
{
  esdnet_error err;
  esdnet_stream *s = esdnet_stream_create (model, width, height, params, &err);
  if (!s)
    cli_error ("cannot process %dx%d frames: %s", width, height, err.message);
  return s;
}
