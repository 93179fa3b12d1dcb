/* default-model.h — the model file compiled into the element and program. */
#ifndef ESDNET_DEFAULT_MODEL_H
#define ESDNET_DEFAULT_MODEL_H

#include <glib.h>

/* The bytes of the built-in model file (a reference; unref when done). */
GBytes *esdnet_default_model_bytes (void);
/* Its name, for messages: ESDNET_DEFAULT_MODEL_NAME, defined by
 * models/meson.build. */

#endif
