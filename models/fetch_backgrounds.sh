#!/bin/sh
# Fetches clean background photos and video clips for synthetic-rain training,
# from Debian packages only (apt-get download + dpkg-deb -x; nothing else goes
# to the network). Photos go to DEST/images, clips to DEST/videos, each
# package's copyright file to DEST/licenses; DEST/validation gets textured
# photos that training never reads, for validation sets (models/README.md).
#
#     models/fetch_backgrounds.sh [DEST]      (default: models/data/backgrounds)
#
# The file lists below were chosen by looking at every image the packages
# hold: photographs of at least 200x200 pixels only, no logos, icons,
# diagrams, calibration patterns, paintings or text-heavy scenes. Running the
# script again fetches only packages whose files are not all there yet.
# models/README.md ("Training data") lists the sources and their licences.
set -eu

DEST=${1:-$(dirname "$0")/data/backgrounds}
mkdir -p "$DEST/images" "$DEST/videos" "$DEST/validation" "$DEST/licenses"
DEST=$(cd "$DEST" && pwd)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Run as root, apt downloads as its _apt user when that user may write here.
chown _apt "$WORK" 2>/dev/null || true

OPENCV=usr/share/doc/opencv-doc/examples
SKIMAGE=usr/lib/python3/dist-packages/skimage/data
SKLEARN=usr/lib/python3/dist-packages/sklearn/datasets/images
PLASMA=usr/share/wallpapers
LOMIRI=usr/share/backgrounds

unpacked=""
unpack() {  # unpack PACKAGE: downloads and extracts it once into $WORK/PACKAGE
    case " $unpacked " in *" $1 "*) return 0 ;; esac
    if ! (cd "$WORK" && apt-get download -q "$1" >/dev/null); then
        echo "warning: cannot download $1 (run 'apt-get update' first?); skipped" >&2
        return 1
    fi
    dpkg-deb -x "$WORK/$1"_*.deb "$WORK/$1"
    rm -f "$WORK/$1"_*.deb
    cp "$WORK/$1/usr/share/doc/$1/copyright" "$DEST/licenses/$1.copyright"
    unpacked="$unpacked $1"
}

# A stamp lists the files an entry copied; the entry is done when they all exist.
is_complete() {  # is_complete STAMP
    [ -f "$1" ] || return 1
    while read -r f; do [ -f "$f" ] || return 1; done < "$1"
}

failed=0
# fetch PACKAGE KIND PREFIX ITEM...: copies ITEMs (paths or globs inside the
# package; for KIND plasma, wallpaper names) as DEST/images/PREFIX-NAME, as
# DEST/validation/PREFIX-NAME for KIND validation, or as DEST/videos/NAME for
# KIND videos.
fetch() {
    pkg=$1 kind=$2 prefix=$3
    shift 3
    stamp="$DEST/licenses/.$pkg-$kind.done"
    if is_complete "$stamp"; then
        echo "$pkg ($kind): already there"
        return 0
    fi
    unpack "$pkg" || { failed=1; return 0; }
    root="$WORK/$pkg"
    : > "$stamp.tmp"
    n=0
    here=$PWD
    cd "$root"
    # shellcheck disable=SC2068  # unquoted on purpose: globs expand inside the package
    for path in $@; do
        case $kind in
            # Each plasma wallpaper holds one picture at several sizes: take the largest file.
            plasma) src=$(ls -S "$PLASMA/$path/contents/images/"* | head -n 1)
                    dst="$DEST/images/$prefix-$path.${src##*.}" ;;
            videos) src=$path dst="$DEST/videos/${path##*/}" ;;
            validation) src=$path dst="$DEST/validation/$prefix-${path##*/}" ;;
            *) src=$path dst="$DEST/images/$prefix-${path##*/}" ;;
        esac
        if [ ! -f "$src" ]; then
            echo "warning: $pkg has no $path; skipped" >&2
            continue
        fi
        [ -f "$dst" ] || cp "$src" "$dst"
        echo "$dst" >> "$stamp.tmp"
        n=$((n + 1))
    done
    cd "$here"
    mv "$stamp.tmp" "$stamp"
    echo "$pkg ($kind): $n files"
}

fetch opencv-doc images opencv \
    $OPENCV/data/aero1.jpg $OPENCV/data/aero3.jpg $OPENCV/data/aloeL.jpg $OPENCV/data/apple.jpg \
    $OPENCV/data/baboon.jpg $OPENCV/data/board.jpg $OPENCV/data/building.jpg \
    $OPENCV/data/butterfly.jpg $OPENCV/data/chicky_512.png $OPENCV/data/ela_original.jpg \
    $OPENCV/data/fruits.jpg $OPENCV/data/graf1.png $OPENCV/data/home.jpg $OPENCV/data/left.jpg \
    $OPENCV/data/leuvenA.jpg $OPENCV/data/messi5.jpg $OPENCV/data/orange.jpg \
    $OPENCV/data/rubberwhale1.png $OPENCV/data/smarties.png $OPENCV/data/squirrel_cls.jpg \
    $OPENCV/data/stuff.jpg $OPENCV/alphamat/input_images/plant.jpg \
    $OPENCV/hfs/data/000.jpg $OPENCV/hfs/data/001.jpg $OPENCV/hfs/data/002.jpg
fetch opencv-doc videos opencv \
    $OPENCV/data/vtest.avi $OPENCV/data/tree.avi $OPENCV/data/Megamind.avi
fetch python3-skimage images skimage \
    $SKIMAGE/astronaut.png $SKIMAGE/chelsea.png $SKIMAGE/coffee.png \
    $SKIMAGE/motorcycle_left.png $SKIMAGE/rocket.jpg
fetch mate-backgrounds images mate 'usr/share/backgrounds/mate/nature/*.jpg'
fetch plasma-workspace-wallpapers plasma plasma \
    BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite \
    OneStandsOut Path summer_1am
fetch lomiri-wallpapers-16.04 images lomiri \
    $LOMIRI/aitzgorri_by_Aitzol_Berasategi.jpg $LOMIRI/Bridge_by_Sander_Klootwijk.jpg \
    $LOMIRI/Dragonfly_by_Bolly.jpg $LOMIRI/free_by_Peter_Nerlich.jpg \
    $LOMIRI/friends_by_Aitzol_Berasategi.jpg $LOMIRI/greentock_by_Peter_Nerlich.jpg \
    $LOMIRI/life_by_Aitzol_Berasategi.jpg $LOMIRI/picosdeeuropa_by_Aitzol_Berasategi.jpg \
    $LOMIRI/Picture_0B_by_freespace.jpg $LOMIRI/Picture_1A_by_freespace.jpg \
    $LOMIRI/seeding_by_Clements_Engelhardt.jpg $LOMIRI/sunset_by_Aitzol_Berasategi.jpg \
    $LOMIRI/Wine_by_Jakkub_Mede.jpg
fetch lomiri-wallpapers-20.04 images lomiri $LOMIRI/Kleiber_by_Lukas_Baubkus.jpg
# Held out of training: fine texture (gravel, bricks, grass) and textured photos.
fetch python3-skimage validation skimage \
    $SKIMAGE/camera.png $SKIMAGE/gravel.png $SKIMAGE/brick.png $SKIMAGE/grass.png
fetch python3-sklearn validation sklearn $SKLEARN/china.jpg $SKLEARN/flower.jpg

summary() {  # summary DIR: "N files, SIZE"
    echo "$(find "$1" -type f | wc -l) files, $(du -sh "$1" | cut -f1)"
}
echo "$DEST: images $(summary "$DEST/images"); videos $(summary "$DEST/videos");" \
    "validation $(summary "$DEST/validation")"
exit $failed
