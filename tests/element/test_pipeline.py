#!/usr/bin/python3
"""The esdnetderain element in real pipelines, through gst-launch-1.0.

    test_pipeline.py CASE GST_LAUNCH GST_INSPECT MODEL

CASE is one of the functions in CASES. meson runs this with the element
tests' isolation (tests/element/meson.build): no system plugin path, the
build's plugin directory plus GStreamer's own plugin directory in
GST_PLUGIN_PATH, a registry of its own. ESDNET_TEST_PRELOAD, when set (a
sanitizer build), is put in LD_PRELOAD of the GStreamer programs so that they
can load the instrumented plugin.
"""

import os
import subprocess
import sys
import tempfile

GST_LAUNCH, GST_INSPECT, MODEL = sys.argv[2:5]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def gst_env():
    env = dict(os.environ)
    preload = env.pop("ESDNET_TEST_PRELOAD", "")
    if preload:
        env["LD_PRELOAD"] = preload
    return env


def launch(*pipeline, timeout=300):
    """Runs gst-launch-1.0; returns (exit status, stdout, stderr)."""
    p = subprocess.run([GST_LAUNCH, *pipeline], capture_output=True,
                       text=True, env=gst_env(), timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def launch_ok(*pipeline):
    rc, out, err = launch(*pipeline)
    check(rc == 0, f"gst-launch-1.0 {' '.join(pipeline)} exited {rc}:\n"
          f"{out}\n{err}")
    return out


def have(element):
    return subprocess.run([GST_INSPECT, "--exists", element],
                          env=gst_env()).returncode == 0


def codec():
    """(encoder and muxer, suffix) of the first usable pair."""
    if have("x264enc") and have("mp4mux") and have("qtdemux") and \
            have("avdec_h264"):
        return ["x264enc", "speed-preset=ultrafast", "!", "mp4mux"], "mp4"
    if have("jpegenc") and have("matroskamux") and have("matroskademux") and \
            have("jpegdec"):
        return ["jpegenc", "!", "matroskamux"], "mkv"
    if have("pngenc") and have("matroskamux") and have("matroskademux") and \
            have("pngdec"):
        return ["pngenc", "!", "matroskamux"], "mkv"
    raise Failure("no encoder and muxer: install gstreamer1.0-plugins-good")


def make_video(path, encoder, frames=8, width=48, height=32):
    launch_ok("-q", "videotestsrc", f"num-buffers={frames}", "pattern=ball",
              "!", f"video/x-raw,width={width},height={height},"
              "framerate=10/1", "!", *encoder, "!", "filesink",
              f"location={path}")
    check(os.path.getsize(path) > 0, f"{path} is empty")


def count_frames(path):
    """Decodes path; returns the number of frames."""
    out = launch_ok("-v", "filesrc", f"location={path}", "!", "decodebin",
                    "!", "videoconvert", "!", "fakesink", "silent=false")
    return out.count("last-message = chain")


# ------------------------------------------------------------------ cases

def derain(tmp):
    encoder, suffix = codec()
    src = os.path.join(tmp, f"rainy.{suffix}")
    dst = os.path.join(tmp, f"derained.{suffix}")
    make_video(src, encoder)
    launch_ok("filesrc", f"location={src}", "!", "decodebin", "!",
              "videoconvert", "!", "esdnetderain", f"model-location={MODEL}",
              "n-threads=1", "!", "videoconvert", "!", *encoder, "!",
              "filesink", f"location={dst}")
    check(os.path.getsize(dst) > 0, "the output file is empty")
    check(count_frames(dst) == 8, "the output does not decode to 8 frames")


def builtin_model(tmp):
    out = launch_ok("-m", "videotestsrc", "num-buffers=4", "!",
                    "video/x-raw,format=I420,width=24,height=16", "!",
                    "esdnetderain", "post-stats=2", "n-threads=1", "!",
                    "fakesink")
    check(out.count("esdnet-stats") == 2,
          f"expected 2 esdnet-stats messages in:\n{out}")


def bad_model(tmp):
    missing = os.path.join(tmp, "no such model.safetensors")
    rc, out, err = launch("videotestsrc", "num-buffers=2", "!",
                          "video/x-raw,width=16,height=16", "!",
                          "esdnetderain", f"model-location={missing}", "!",
                          "fakesink")
    check(rc != 0, "gst-launch-1.0 succeeded with a missing model")
    check("Could not read the ESDNet model" in err,
          f"no element error on stderr:\n{err}")
    check("no such file" in err and missing in err,
          f"the engine's message is not on stderr:\n{err}")

    corrupt = os.path.join(tmp, "corrupt.safetensors")
    with open(corrupt, "wb") as f:
        f.write(bytes([0xff, 0x13, 0x77, 0x00, 0x42, 0x99, 0x01, 0xee, 0x5a,
                       0x10, 0x20]))
    rc, out, err = launch("videotestsrc", "num-buffers=2", "!",
                          "esdnetderain", f"model-location={corrupt}", "!",
                          "fakesink")
    check(rc != 0, "gst-launch-1.0 succeeded with a corrupt model")
    check("header length" in err, f"no loader message on stderr:\n{err}")


def unsupported_format(tmp):
    rc, out, err = launch("videotestsrc", "num-buffers=2", "!",
                          "video/x-raw,format=GRAY8,width=16,height=16", "!",
                          "esdnetderain", f"model-location={MODEL}", "!",
                          "fakesink")
    check(rc != 0, "GRAY8 was accepted")
    # gst-launch-1.0 finds out when it links the pipeline; a pipeline that
    # links (an application's) fails with not-negotiated when data flows.
    text = (out + err).lower()
    check("can't handle caps" in text or "not-negotiated" in text or
          "not negotiated" in text, f"no negotiation error:\n{out}\n{err}")


CASES = {f.__name__.replace("_", "-"): f
         for f in (derain, builtin_model, bad_model, unsupported_format)}


def main():
    case = CASES.get(sys.argv[1]) if len(sys.argv) == 5 else None
    if case is None:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="esdnet-pipeline-") as tmp:
        try:
            case(tmp)
        except Failure as e:
            print(f"FAIL {sys.argv[1]}: {e}", file=sys.stderr)
            return 1
    print(f"ok {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
