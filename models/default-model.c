/* default-model.c — access to the built-in model resource. */
#include "default-model.h"
#include "default-model-resource.h"

GBytes *
esdnet_default_model_bytes (void)
{
  /* Looked up in the resource itself, not the global registry: nothing is
   * registered behind the host application's back. */
  return g_resource_lookup_data (esdnet_default_model_get_resource (),
      "/org/esdnet/models/default.safetensors",
      G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
}
