/* image_io.h — image files in and out through GStreamer's own decoders and
 * encoders. */
#ifndef ESDNET_CLI_IMAGE_IO_H
#define ESDNET_CLI_IMAGE_IO_H

#include "esdnet.h"

#include <glib.h>
#include <stdbool.h>

/* Initialises GStreamer; call once before the others. */
bool image_io_init (GError **error);

/* Images are 8-bit RGB laid out as GStreamer lays out video/x-raw,
 * format=RGB (rows padded to 4 bytes), so that they go to the encoder as
 * they are. image_free releases the pixels of an image these made. */
bool image_alloc (esdnet_image_u8 *image, int32_t width, int32_t height,
    GError **error);
void image_free (esdnet_image_u8 *image);

/* A new image twice as wide: left on the left, right on the right (the
 * two of the same size). */
bool image_side_by_side (const esdnet_image_u8 *left,
    const esdnet_image_u8 *right, esdnet_image_u8 *out, GError **error);

/* Decodes the first picture of any file GStreamer can decode (PNG, JPEG ...). */
bool image_load (const char *path, esdnet_image_u8 *image, GError **error);
bool image_save_png (const esdnet_image_u8 *image, const char *path,
    GError **error);

#endif /* ESDNET_CLI_IMAGE_IO_H */
