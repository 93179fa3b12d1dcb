#!/usr/bin/python3
"""Runs the examples in examples/ against this build, so that none rots.

    test_examples.py CASE EXAMPLES_DIR ESDNET EMBED GST_LAUNCH

The environment (tests/examples/meson.build) points GST_PLUGIN_PATH at the
build's plugin.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from case_runner import check, run_case  # noqa: E402

EXAMPLES, ESDNET, EMBED, GST_LAUNCH = sys.argv[2:6]


def run(args, env=None):
    p = subprocess.run(args, capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout, p.stderr


def make_clip(path, mux, frames=5, pattern="ball"):
    subprocess.run([GST_LAUNCH, "-q", "videotestsrc", f"num-buffers={frames}",
                    f"pattern={pattern}", "!",
                    "video/x-raw,width=48,height=32,framerate=10/1,format=I420",
                    "!", "x264enc", "!", mux, "!", "filesink",
                    f"location={path}"], check=True, timeout=60)


def camera(tmp):
    """camera.sh --test: the camera pipeline on a live test source."""
    rc, out, err = run(["sh", os.path.join(EXAMPLES, "camera.sh"), "--test",
                        "5"], env={"THREADS": "1"})
    check(rc == 0 and "Got EOS" in out, f"exit {rc}: {out} {err}")
    # The variable instead of the option, and a model file.
    rc, out, err = run(["sh", os.path.join(EXAMPLES, "camera.sh")],
                       env={"ESDNET_CAMERA_TEST": "1", "THREADS": "1",
                            "MODEL": os.path.join(tmp, "none.safetensors")})
    check(rc != 0 and "none.safetensors" in out + err,
          f"a missing model: exit {rc}: {out} {err}")


def dashcam_batch(tmp):
    """dashcam-batch.sh: two clips derained, then skipped, then a broken
    one reported without a partial output left."""
    src = os.path.join(tmp, "in")
    dst = os.path.join(tmp, "out")
    os.mkdir(src)
    make_clip(os.path.join(src, "trip 1.mp4"), "mp4mux")
    make_clip(os.path.join(src, "trip2.MOV"), "qtmux", pattern="snow")
    with open(os.path.join(src, "notes.txt"), "w") as f:
        f.write("not a video\n")
    script = ["sh", os.path.join(EXAMPLES, "dashcam-batch.sh"), src, dst,
              "--threads", "1"]
    env = {"ESDNET": ESDNET}

    rc, out, err = run(script, env)
    check(rc == 0 and "2 videos: 2 derained, 0 skipped" in out,
          f"first run: exit {rc}: {out} {err}")
    check(sorted(os.listdir(dst)) == ["trip 1.mp4", "trip2.mp4"],
          f"outputs {os.listdir(dst)}")
    for name in os.listdir(dst):
        check(os.path.getsize(os.path.join(dst, name)) > 0, f"{name} empty")

    rc, out, err = run(script, env)
    check(rc == 0 and "2 derained" not in out and "0 derained, 2 skipped" in out,
          f"second run: exit {rc}: {out} {err}")

    with open(os.path.join(src, "broken.mp4"), "w") as f:
        f.write("not a video either\n")
    rc, out, err = run(script, env)
    check(rc == 1 and "0 derained, 2 skipped (already done), 1 failed" in out
          and "FAILED   broken.mp4" in err, f"broken clip: exit {rc}: {out} {err}")
    check(sorted(os.listdir(dst)) == ["trip 1.mp4", "trip2.mp4"],
          f"left behind: {os.listdir(dst)}")

    rc, out, err = run(["sh", os.path.join(EXAMPLES, "dashcam-batch.sh")], env)
    check(rc == 2 and "usage" in err, f"no folders: exit {rc}: {err}")


def embed(tmp):
    """embed: frames through the element inside a program, statistics from
    the bus."""
    rc, out, err = run([EMBED, "3"])
    check(rc == 0, f"exit {rc}: {out} {err}")
    lines = out.splitlines()
    check([line.split(":")[0] for line in lines[:3]] ==
          ["frame 1", "frame 2", "frame 3"], f"stats lines {out!r}")
    check(all("firing rate 0." in line and " uJ (ANN " in line
              for line in lines[:3]), f"stats {out!r}")
    check(lines[3].startswith("3 frames of 64x48 derained, mean change "),
          f"summary {out!r}")
    rc, out, err = run([EMBED, "2", os.path.join(tmp, "none.safetensors")])
    check(rc == 1 and "model" in err, f"missing model: exit {rc}: {err}")


CASES = {f.__name__: f for f in (camera, dashcam_batch, embed)}

if __name__ == "__main__":
    run_case(CASES, "esdnet-examples-")
