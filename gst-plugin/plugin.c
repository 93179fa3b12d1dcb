/* The esdnet GStreamer plugin: registers its elements.
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstesdnetderain.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (esdnetderain, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, esdnet,
    "Rain removal with spiking neural networks (ESDNet)", plugin_init,
    VERSION, "MIT", PACKAGE_NAME, PACKAGE_ORIGIN)
