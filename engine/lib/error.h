/* error.h — filling an esdnet_error (the library's only way to report). */
#ifndef ESDNET_ERROR_H
#define ESDNET_ERROR_H

#include "esdnet.h"

/* Sets status and a formatted message (error may be NULL); returns status. */
esdnet_status esdnet_error_set (esdnet_error *error, esdnet_status status,
    const char *format, ...) __attribute__ ((format (printf, 3, 4)));

#endif
