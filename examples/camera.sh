#!/bin/sh
# camera.sh — derain a V4L2 camera live and show it.
#
#   examples/camera.sh                 camera /dev/video0 into a window
#   DEVICE=/dev/video2 SIZE=320x180 THREADS=2 examples/camera.sh
#   examples/camera.sh --test [FRAMES] a test picture into fakesink, headless
#
# Environment:
#   DEVICE   the camera (default /dev/video0)
#   SIZE     WIDTHxHEIGHT the network works at (default 640x360; the camera's
#            own size when empty). The network's cost grows with the pixels.
#   THREADS  the element's n-threads (default 0: one per core)
#   MODEL    a model file for model-location (default: the built-in model)
#   ESDNET_CAMERA_TEST=1   the same as --test
#
# The leaky queue holds one frame and drops older ones, so the picture
# stays current when the network is slower than the camera; sync=false
# shows each frame when it is ready instead of when it was due.
set -eu

DEVICE=${DEVICE:-/dev/video0}
THREADS=${THREADS:-0}
MODEL=${MODEL:-}
test_mode=${ESDNET_CAMERA_TEST:-0}
frames=30
if [ "${1:-}" = "--test" ]; then
  test_mode=1
  frames=${2:-$frames}
fi

if [ "$test_mode" = 1 ]; then
  SIZE=${SIZE-64x48}
  # A live source like a camera, that stops after $frames frames.
  set -- videotestsrc is-live=true num-buffers="$frames" pattern=ball \
    ! "video/x-raw,width=${SIZE%x*},height=${SIZE#*x},framerate=10/1"
  sink=fakesink
else
  SIZE=${SIZE-640x360}
  # decodebin: raw or MJPEG, whichever the camera gives.
  set -- v4l2src device="$DEVICE" ! decodebin
  sink=autovideosink
fi

scale=
if [ -n "$SIZE" ]; then
  scale="videoscale ! video/x-raw,width=${SIZE%x*},height=${SIZE#*x} !"
fi

# $scale is split into words on purpose; a MODEL path stays one word.
# shellcheck disable=SC2086
exec gst-launch-1.0 "$@" \
  ! queue max-size-buffers=1 leaky=downstream \
  ! $scale videoconvert \
  ! esdnetderain n-threads="$THREADS" ${MODEL:+"model-location=$MODEL"} \
  ! videoconvert ! "$sink" sync=false
