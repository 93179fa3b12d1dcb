/* fuzz_model_load.c — libFuzzer target for the model loader.
 *
 * Any byte string must be either rejected with a status and a message, or
 * loaded into a model that runs: a loaded model also gets a 4x4 stream and
 * one frame, so configurations the loader lets through (empty blocks, zero
 * hidden sizes, extreme tau or thresholds) are exercised by the forward pass.
 */
#include "esdnet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  esdnet_error err;
  esdnet_model *m = esdnet_model_load_from_memory (data, size, &err);
  /* The contract: NULL exactly when the status is an error, and never a
   * failure without a message. */
  if ((m == NULL) != (err.status != ESDNET_OK)
      || (!m && err.message[0] == '\0')
      || memchr (err.message, '\0', sizeof err.message) == NULL)
    abort ();
  if (!m)
    return 0;

  esdnet_stream_params sp = esdnet_stream_default_params ();
  sp.num_threads = 1;
  /* A model that fits in a fuzzer input is small: a 4x4 stream of it
   * needs little memory, so failing to create one is a bug. */
  esdnet_stream *s = esdnet_stream_create (m, 4, 4, &sp, &err);
  if (!s)
    abort ();
  uint8_t in[4 * 4 * 3], out[4 * 4 * 3];
  for (size_t i = 0; i < sizeof in; i++)
    in[i] = (uint8_t) (i * 37);
  esdnet_image_u8 src = { 4, 4, 4 * 3, 3, in };
  esdnet_image_u8 dst = { 4, 4, 4 * 3, 3, out };
  if (esdnet_stream_process_u8 (s, &src, &dst, ESDNET_TEMPORAL_CARRY)
      != ESDNET_OK)
    abort ();
  esdnet_stream_free (s);
  esdnet_model_free (m);
  return 0;
}
