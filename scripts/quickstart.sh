#!/bin/sh
# The README's two quick-start commands, on a fresh Debian 12 machine as root:
#   scripts/quickstart.sh derain [INPUT [OUTPUT]]   set up, build, derain
#   scripts/quickstart.sh test                      set up, build, run every test
# Both install what is missing with apt-get first. .ci/run runs "test".
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Build and run dependencies; the test suite adds the reference's Python
# stack and clang for the sanitizer build.
build_packages="gcc libc6-dev meson ninja-build pkg-config libglib2.0-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev liborc-0.4-dev
  liborc-0.4-dev-bin gstreamer1.0-tools gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-libav
  python3 python3-numpy python3-pil python3-scipy"
test_packages="python3-torch python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0"

install_missing() {
  missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  echo "quickstart: installing$missing"
  if [ "$(id -u)" != 0 ]; then
    echo "quickstart: these Debian packages are missing:$missing; run as root to install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

build() {
  dir=$1; shift
  if [ -d "$dir" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  derain)
    # shellcheck disable=SC2086
    install_missing $build_packages
    build build
    exec scripts/derain-sample.sh build "$@"
    ;;
  test)
    # shellcheck disable=SC2086
    install_missing $build_packages $test_packages
    build build
    meson test -C build --print-errorlogs
    # The same suite with AddressSanitizer and UndefinedBehaviorSanitizer.
    build build-sanitize -Db_sanitize=address,undefined -Db_lundef=false \
      -Dbuildtype=debugoptimized
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 \
      LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0 \
      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      meson test -C build-sanitize --print-errorlogs --no-suite slow
    ;;
  *)
    echo "usage: $0 derain [INPUT [OUTPUT]] | test" >&2
    exit 2
    ;;
esac
