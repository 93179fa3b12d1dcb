#!/bin/sh
# dashcam-batch.sh — derain every video in a folder.
#
#   examples/dashcam-batch.sh INPUT_DIR OUTPUT_DIR [ESDNET DERAIN OPTIONS...]
#   examples/dashcam-batch.sh ~/dashcam ~/dashcam-clear --threads 4
#
# Each video INPUT_DIR/NAME.EXT (.mp4 .mov .mkv .avi .ts .m4v .webm, any
# case) becomes OUTPUT_DIR/NAME.mp4, derained with the membranes carried
# from frame to frame (`esdnet derain --temporal carry`) and the sound kept.
# Videos whose output exists are skipped, so an interrupted run picks up
# where it stopped: each output is written under a temporary name and only
# renamed when complete. Options after the folders go to `esdnet derain`.
#
# Environment: ESDNET, the esdnet program (default: esdnet on PATH);
# OUT_EXT, the output container (default mp4; mkv keeps any audio as is).
set -u

if [ $# -lt 2 ]; then
  echo "usage: $0 INPUT_DIR OUTPUT_DIR [ESDNET DERAIN OPTIONS...]" >&2
  exit 2
fi
in_dir=$1
out_dir=$2
shift 2
ESDNET=${ESDNET:-esdnet}
OUT_EXT=${OUT_EXT:-mp4}

if [ ! -d "$in_dir" ]; then
  echo "$0: '$in_dir' is not a folder" >&2
  exit 2
fi
mkdir -p "$out_dir" || exit 1

done_count=0 skipped=0 failed=0 seen=0
start=$(date +%s)
for video in "$in_dir"/*; do
  [ -f "$video" ] || continue
  name=${video##*/}
  case $(printf '%s' "${name##*.}" | tr '[:upper:]' '[:lower:]') in
    mp4 | mov | mkv | avi | ts | m4v | webm) ;;
    *) continue ;;
  esac
  seen=$((seen + 1))
  output=$out_dir/${name%.*}.$OUT_EXT
  if [ -e "$output" ]; then
    echo "skip     $name (done: $output)"
    skipped=$((skipped + 1))
    continue
  fi
  partial=$out_dir/.${name%.*}.partial.$OUT_EXT
  echo "derain   $name"
  if "$ESDNET" derain --temporal carry "$@" "$video" "$partial" \
      && mv "$partial" "$output"; then
    done_count=$((done_count + 1))
  else
    status=$?
    rm -f "$partial"
    failed=$((failed + 1))
    echo "FAILED   $name (exit $status)" >&2
    # Ctrl-C stops the batch, not just this video.
    [ "$status" -eq 130 ] && break
  fi
done

echo "$seen videos: $done_count derained, $skipped skipped (already done)," \
  "$failed failed, in $(($(date +%s) - start)) s"
[ "$failed" -eq 0 ]
