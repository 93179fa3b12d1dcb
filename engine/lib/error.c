/* error.c — status strings, enum names and error filling. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const status_strings[ESDNET_STATUS_COUNT] = {
  [ESDNET_OK] = "success",
  [ESDNET_ERROR_INVALID_ARGUMENT] = "invalid argument",
  [ESDNET_ERROR_OUT_OF_MEMORY] = "out of memory",
  [ESDNET_ERROR_IO] = "input/output error",
  [ESDNET_ERROR_MODEL_HEADER] = "model header is malformed",
  [ESDNET_ERROR_MODEL_METADATA] = "model metadata is missing or out of range",
  [ESDNET_ERROR_MODEL_TENSOR_ENTRY] = "model tensor entry is malformed",
  [ESDNET_ERROR_MODEL_OVERLAP] = "model tensor data overlaps or leaves gaps",
  [ESDNET_ERROR_MODEL_MISSING_TENSOR] = "model tensor is missing",
  [ESDNET_ERROR_MODEL_UNKNOWN_TENSOR] = "model has an unknown tensor",
  [ESDNET_ERROR_MODEL_SHAPE] = "model tensor has the wrong shape",
  [ESDNET_ERROR_MODEL_NONFINITE] = "model tensor holds NaN or infinity",
  [ESDNET_ERROR_FRAME_SIZE] = "frame size is not supported",
};

const char *
esdnet_status_to_string (esdnet_status status)
{
  if ((int) status < 0 || status >= ESDNET_STATUS_COUNT)
    return "unknown status";
  return status_strings[status];
}

const char *
esdnet_temporal_mode_to_string (esdnet_temporal_mode mode)
{
  switch (mode) {
    case ESDNET_TEMPORAL_RESET:
      return "reset";
    case ESDNET_TEMPORAL_CARRY:
      return "carry";
  }
  return "unknown";
}

esdnet_status
esdnet_error_set (esdnet_error *error, esdnet_status status,
    const char *format, ...)
{
  if (error) {
    va_list args;
    va_start (args, format);
    error->status = status;
    vsnprintf (error->message, sizeof error->message, format, args);
    va_end (args);
  }
  return status;
}

const char *
esdnet_work_kind_to_string (esdnet_work_kind kind)
{
  static const char *const names[ESDNET_WORK_COUNT] = {
    [ESDNET_WORK_SPIKE_CONV] = "spike conv",
    [ESDNET_WORK_DENSE_CONV] = "dense conv",
    [ESDNET_WORK_LIF] = "lif",
    [ESDNET_WORK_ATTENTION] = "attention",
    [ESDNET_WORK_RESAMPLE] = "resample",
    [ESDNET_WORK_REFINE] = "refine",
    [ESDNET_WORK_IO] = "io",
  };
  if ((int) kind < 0 || kind >= ESDNET_WORK_COUNT)
    return "unknown";
  return names[kind];
}
