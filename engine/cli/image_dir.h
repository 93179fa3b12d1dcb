/* image_dir.h — the images of a directory, in name order. */
#ifndef ESDNET_CLI_IMAGE_DIR_H
#define ESDNET_CLI_IMAGE_DIR_H

#include <glib.h>
#include <stdbool.h>

/* Whether a file name ends in .png, .jpg or .jpeg (any case). */
bool image_dir_is_image_name (const char *name);

/* The names (not paths) of the PNG and JPEG files in dir, sorted with
 * strcmp; NULL with error set when dir cannot be read. */
GPtrArray *image_dir_list (const char *dir, GError **error);

#endif
