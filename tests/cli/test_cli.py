#!/usr/bin/python3
"""End-to-end tests of the esdnet program.

    test_cli.py CASE ESDNET MODEL GST_LAUNCH

CASE is one of the functions in CASES; ESDNET the built program, MODEL a model
file, GST_LAUNCH gst-launch-1.0 (it makes the test images).
"""

import json
import os
import struct
import subprocess
import sys
import tempfile

ESDNET, MODEL, GST_LAUNCH = sys.argv[2:5]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(*args, env=None):
    """Runs esdnet; returns (exit status, stdout, stderr)."""
    p = subprocess.run([ESDNET, *args], capture_output=True, text=True,
                       env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


def run_ok(*args):
    rc, out, err = run(*args)
    check(rc == 0, f"esdnet {' '.join(args)} exited {rc}: {err}")
    return out


def make_images(pattern, location, width, height, encoder="pngenc", frames=1):
    """Test pictures from videotestsrc; with frames > 1, location holds %02d."""
    sink = ["multifilesink"] if frames > 1 else ["filesink"]
    subprocess.run([GST_LAUNCH, "-q", "videotestsrc", f"num-buffers={frames}",
                    f"pattern={pattern}", "!",
                    f"video/x-raw,width={width},height={height}", "!",
                    encoder, "!", *sink, f"location={location}"],
                   check=True, timeout=60)


def png_size(path):
    """(width, height) from the IHDR chunk, which a PNG must start with."""
    with open(path, "rb") as f:
        head = f.read(24)
    check(head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR",
          f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ------------------------------------------------------------------- cases

def derain_png(tmp):
    src = os.path.join(tmp, "rainy picture.png")  # a space, on purpose
    dst = os.path.join(tmp, "out.png")
    make_images("smpte", src, 37, 23)
    out = run_ok("derain", "--model", MODEL, src, dst)
    check(png_size(dst) == (37, 23), f"output size {png_size(dst)}")
    check(f"{src} -> {dst}  37x23  " in out and " ms\n" in out,
          f"no progress line in {out!r}")
    check("1 frame, mean " in out and "firing rate" in out,
          f"no summary in {out!r}")


def builtin_model(tmp):
    """Without --model or ESDNET_MODEL the model compiled into esdnet runs."""
    src = os.path.join(tmp, "in.png")
    dst = os.path.join(tmp, "out.png")
    make_images("snow", src, 19, 11)
    env = {k: v for k, v in os.environ.items() if k != "ESDNET_MODEL"}
    rc, out, err = run("derain", src, dst, env=env)
    check(rc == 0 and png_size(dst) == (19, 11), f"exit {rc}: {err}")
    rc, out, err = run("bench", "--size", "16x8", "--frames", "1", "--json",
                       env=env)
    check(rc == 0 and '"model": "built-in' in out, f"exit {rc}: {out} {err}")


def derain_jpeg(tmp):
    src = os.path.join(tmp, "in.jpg")
    dst = os.path.join(tmp, "out.png")
    make_images("ball", src, 40, 30, encoder="jpegenc")
    run_ok("derain", "--model", MODEL, "--threads", "1", src, dst)
    check(png_size(dst) == (40, 30), f"output size {png_size(dst)}")


def derain_directory(tmp):
    frames = os.path.join(tmp, "frames")
    os.mkdir(frames)
    make_images("ball", os.path.join(frames, "f%02d.png"), 33, 21, frames=3)
    with open(os.path.join(frames, "notes.txt"), "w") as f:
        f.write("not an image, skipped\n")
    names = ["f00.png", "f01.png", "f02.png"]
    outputs = {}
    for mode in ("reset", "carry"):
        dst = os.path.join(tmp, "out-" + mode, "new")  # made with its parent
        out = run_ok("derain", "--model", MODEL, "--temporal", mode,
                     "--threads", "1", frames, dst)
        check(sorted(os.listdir(dst)) == names, f"{mode}: {os.listdir(dst)}")
        check(out.count(" -> ") == 3 and "3 frames, mean" in out,
              f"{mode}: output {out!r}")
        outputs[mode] = [read(os.path.join(dst, n)) for n in names]
        for n in names:
            check(png_size(os.path.join(dst, n)) == (33, 21), f"{mode}: {n} size")
    # Both modes start the first frame from rest; carry then differs.
    check(outputs["reset"][0] == outputs["carry"][0],
          "first frame differs between reset and carry")
    check(outputs["reset"][1:] != outputs["carry"][1:],
          "carry gives the same frames 2 and 3 as reset")


def derain_sizes(tmp):
    """A directory of pictures of different sizes: each size gets its stream."""
    src = os.path.join(tmp, "in")
    os.mkdir(src)
    make_images("smpte", os.path.join(src, "a.PNG"), 20, 10)
    make_images("ball", os.path.join(src, "b.jpeg"), 12, 17, encoder="jpegenc")
    make_images("snow", os.path.join(src, "c.png"), 20, 10)
    dst = os.path.join(tmp, "out")
    out = run_ok("derain", "--model", MODEL, "--temporal", "carry", src, dst)
    lines = out.splitlines()
    check([line.split()[0] for line in lines[:3]] ==
          [os.path.join(src, n) for n in ("a.PNG", "b.jpeg", "c.png")],
          f"not in name order: {out!r}")
    check([png_size(os.path.join(dst, n)) for n in ("a.png", "b.png", "c.png")]
          == [(20, 10), (12, 17), (20, 10)], "output sizes")


def info(tmp):
    out = run_ok("info", MODEL)
    info_json = json.loads(run_ok("info", "--json", MODEL))
    check(info_json["dim"] == 16 and info_json["timesteps"] == 4,
          f"configuration {info_json}")
    check(info_json["param_count"] > 0 and info_json["dense_macs_per_pixel"] > 0,
          f"counts {info_json}")
    for line in ("dim               16\n",
                 f"parameters        {info_json['param_count']} ("):
        check(line in out, f"{line!r} missing from {out!r}")
    check(isinstance(info_json["description"], str), "no description")


def bench(tmp):
    result = json.loads(run_ok("bench", "--model", MODEL, "--frames", "2",
                               "--size", "32x24", "--json"))
    check(result["fps"] > 0 and result["width"] == 32 and result["height"] == 24,
          f"result {result}")
    for key in ("model", "threads", "temporal", "frames", "median_ms", "min_ms",
                "max_ms", "peak_rss_mb", "firing_rate", "acs", "macs",
                "ann_macs", "energy_uj", "ann_energy_uj"):
        check(key in result, f"no {key} in {result}")
    check("layers" not in result, "layers without --layers")
    check(0 < result["firing_rate"] < 1, f"firing rate {result['firing_rate']}")

    layered = json.loads(run_ok("bench", "--model", MODEL, "--frames", "1",
                                "--warmup", "0", "--size", "8x8", "--temporal",
                                "carry", "--layers", "--json"))
    check(len(layered["layers"]) > 0 and "name" in layered["layers"][0],
          f"layers {layered.get('layers')}")
    text = run_ok("bench", "--model", MODEL, "--frames", "1", "--size", "8x8",
                  "--layers")
    check("fps" in text and layered["layers"][0]["name"] in text,
          f"text output {text!r}")


def help_and_version(tmp):
    check("Usage: esdnet COMMAND" in run_ok("--help"), "esdnet --help")
    for command in ("derain", "info", "bench"):
        check(f"Usage: esdnet {command}" in run_ok(command, "--help"),
              f"esdnet {command} --help")
    check(run_ok("--version").startswith("esdnet "), "esdnet --version")


def errors(tmp):
    image = os.path.join(tmp, "in.png")
    make_images("smpte", image, 8, 8)
    not_image = os.path.join(tmp, "text.png")
    with open(not_image, "w") as f:
        f.write("this is not a picture\n")
    corrupt = os.path.join(tmp, "corrupt.safetensors")
    with open(corrupt, "wb") as f:
        f.write(bytes([7, 200, 13, 0, 255, 42, 1, 99, 180, 3]))
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    out = os.path.join(tmp, "out.png")
    m = ["--model", MODEL]

    # (arguments, exit status, text the message must hold, environment)
    cases = [
        (["derain", image, out], 1, "corrupt.safetensors",
         dict(os.environ, ESDNET_MODEL=corrupt)),
        (["derain", *m, os.path.join(tmp, "nope.png"), out], 1, "nope.png", None),
        (["derain", *m, not_image, out], 1, "text.png", None),
        (["derain", *m, empty, os.path.join(tmp, "o")], 1, "no PNG or JPEG", None),
        (["derain", *m, tmp, tmp], 2, "another directory", None),
        (["derain", *m, image, os.path.join(tmp, "no", "such", "dir.png")], 1,
         "cannot write", None),
        (["derain", *m, "--threads", "abc", image, out], 2,
         "--threads: 'abc' is not a number", None),
        (["derain", *m, "--threads", "4x", image, out], 2, "not a number", None),
        (["derain", *m, "--threads", "-1", image, out], 2, "out of range", None),
        (["derain", *m, "--threads", "99999999999999999999", image, out], 2,
         "out of range", None),
        (["derain", *m, "--temporal", "sometimes", image, out], 2, "--temporal",
         None),
        (["derain", *m, image], 2, "missing operand", None),
        (["derain", *m, image, out, "extra"], 2, "unexpected operand", None),
        (["derain", "--model"], 2, "--model needs a value", None),
        (["derain", "--model", corrupt, image, out], 1, "corrupt.safetensors",
         None),
        (["info", corrupt], 1, "corrupt.safetensors", None),
        (["info", os.path.join(tmp, "none.safetensors")], 1, "none.safetensors",
         None),
        (["info"], 2, "missing operand", None),
        (["info", "--json=yes", MODEL], 2, "--json takes no value", None),
        (["bench", *m, "--size", "32x"], 2, "--size", None),
        (["bench", *m, "--size", "0x10"], 2, "out of range", None),
        (["bench", *m, "--size", "4097x10"], 2, "out of range", None),
        (["bench", *m, "--size", "32x2305"], 2, "out of range", None),
        (["bench", *m, "--size", "32x24 "], 2, "--size", None),
        (["bench", *m, "--frames", "0"], 2, "--frames", None),
        (["bench", *m, "--warmup", ""], 2, "--warmup", None),
        (["bench", *m, "extra"], 2, "unexpected operand", None),
        (["bench", *m, "--fast"], 2, "unknown option '--fast'", None),
        (["bench", *m, "-f"], 2, "unknown option '-f'", None),
        (["rain"], 2, "unknown command 'rain'", None),
        (["--verbose"], 2, "unknown option '--verbose'", None),
        ([], 2, "Usage", None),
    ]
    failures = []
    for args, status, text, env in cases:
        rc, stdout, stderr = run(*args, env=env)
        if rc != status or text not in stderr or (status == 2 and stdout):
            failures.append(f"esdnet {' '.join(args)}: exit {rc} (want {status}),"
                            f" stderr {stderr!r}, stdout {stdout!r}")
    check(not failures, "\n".join(failures))


CASES = {f.__name__: f for f in (derain_png, builtin_model, derain_jpeg, derain_directory,
                                  derain_sizes, info, bench, help_and_version,
                                  errors)}

if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="esdnet-cli-") as tmp:
        try:
            CASES[sys.argv[1]](tmp)
        except Failure as e:
            print(f"FAIL: {e}", file=sys.stderr)
            sys.exit(1)
