#!/bin/sh
# The main job of the quick start: derain INPUT (an image, a folder of images
# or a video) into OUTPUT with the model built into esdnet; without INPUT,
# make a short rainy clip (synthetic rain over OpenCV's vtest.avi from
# Debian's opencv-doc package) and derain that.
#
#     scripts/derain-sample.sh BUILD_DIR [INPUT [OUTPUT]]
set -eu

build=$1
shift
esdnet=$build/engine/cli/esdnet
top=$(cd "$(dirname "$0")/.." && pwd)

if [ $# -ge 1 ]; then
  input=$1
  if [ $# -ge 2 ]; then
    output=$2
  else
    # next to the input: photo.jpg -> photo-derained.png, clip.mp4 -> clip-derained.mp4
    case $input in
      *.png|*.PNG|*.jpg|*.JPG|*.jpeg|*.JPEG) output=${input%.*}-derained.png ;;
      *.*) output=${input%.*}-derained.${input##*.} ;;
      *) output=${input%/}-derained ;;
    esac
  fi
  "$esdnet" derain "$input" "$output"
  echo "derained: $output"
  exit 0
fi

samples=$top/samples
mkdir -p "$samples"
clip=$top/models/data/backgrounds/videos/vtest.avi
if [ ! -f "$clip" ]; then
  clip=$samples/vtest.avi
  if [ ! -f "$clip" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    chown _apt "$work" 2>/dev/null || true
    echo "sample: fetching vtest.avi from Debian's opencv-doc package"
    (cd "$work" && apt-get download -q opencv-doc >/dev/null)
    dpkg-deb --fsys-tarfile "$work"/opencv-doc_*.deb |
      tar -xO --wildcards '*/examples/data/vtest.avi' > "$clip"
  fi
fi

# 40 frames at 384x288, rain added by the project's own generator.
rm -rf "$samples/clean" "$samples/rainy"
mkdir -p "$samples/clean"
gst-launch-1.0 -q filesrc location="$clip" ! decodebin ! videoconvert ! \
  videoscale ! video/x-raw,width=384,height=288 ! identity eos-after=40 ! \
  pngenc ! multifilesink location="$samples/clean/%04d.png"
/usr/bin/python3 "$top/models/synthrain.py" --video --seed 7 \
  "$samples/clean" "$samples/rainy" >/dev/null
gst-launch-1.0 -q multifilesrc location="$samples/rainy/rain/%04d.png" \
  caps=image/png,framerate=10/1 ! pngdec ! videoconvert ! \
  x264enc speed-preset=veryfast qp-max=20 ! mp4mux ! \
  filesink location="$samples/rainy.mp4"

"$esdnet" derain --side-by-side "$samples/rainy.mp4" "$samples/derained.mp4"
echo "rainy sample:          $samples/rainy.mp4"
echo "derained, side by side: $samples/derained.mp4 (left: rainy, right: derained)"
echo "model: the built-in esdnet-default (dim 2, real time), trained 80 minutes on a CPU (docs/models.md)"
