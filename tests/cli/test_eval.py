#!/usr/bin/python3
"""Tests of `esdnet eval`; same arguments as test_cli.py:

    test_eval.py CASE ESDNET MODEL GST_LAUNCH

Exit status 77 (meson: skipped) when a case needs ../shared/data and it is
absent.
"""

import json
import os

from test_cli import Skip, check, make_images, run, run_case, run_ok, MODEL

RAIN100L = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                        "..", "shared", "data", "rain100l")


def make_pairs(tmp, n=3):
    rain, clean = os.path.join(tmp, "rain"), os.path.join(tmp, "clean")
    os.mkdir(rain)
    os.mkdir(clean)
    make_images("ball", os.path.join(clean, "%02d.png"), 32, 24, frames=n)
    make_images("snow", os.path.join(rain, "%02d.png"), 32, 24, frames=n)
    return rain, clean


def eval_pairs(tmp):
    rain, clean = make_pairs(tmp)
    out = run_ok("eval", "--model", MODEL, "--per-image", rain, clean)
    check(out.count(" dB ") >= 6 and "3 images" in out, f"eval output {out!r}")
    result = json.loads(run_ok("eval", "--model", MODEL, "--json", "--video",
                               "--temporal", "carry", rain, clean))
    check(result["images"] == 3 and "flicker" in result["derained"]
          and result["derained"]["psnr"] > 0, f"eval --json {result}")
    only = json.loads(run_ok("eval", "--input-only", "--json", rain, clean))
    check(only["rainy"]["psnr"] == result["rainy"]["psnr"] and "derained" not in only,
          f"--input-only {only}")
    lines = run_ok("eval", "--input-only", "--per-image", rain, clean).splitlines()
    check(len([l for l in lines if " rainy " in l]) == 3 and "derained" not in "".join(lines),
          f"--input-only --per-image {lines}")
    # Identical folders: infinite PSNR and SSIM 1 for the inputs.
    same = json.loads(run_ok("eval", "--input-only", "--json", "--crop", "0",
                             clean, clean))
    check(same["rainy"]["ssim"] == 1.0, f"identical images {same}")
    os.remove(os.path.join(clean, "01.png"))
    rc, _, err = run("eval", "--model", MODEL, rain, clean)
    check(rc == 1 and "01.png" in err, f"missing clean image: {rc} {err!r}")
    rc, _, err = run("eval", "--crop", "x", rain, clean)
    check(rc == 2 and "--crop" in err, f"bad --crop: {rc} {err!r}")


def eval_rain100l(tmp):
    """The metric against the published figure for Rain100L's rainy inputs."""
    if not os.path.isdir(RAIN100L):
        raise Skip(f"{RAIN100L} is absent")
    r = json.loads(run_ok("eval", "--input-only", "--json", "--crop", "0",
                          os.path.join(RAIN100L, "rain"), os.path.join(RAIN100L, "clean")))
    check(r["images"] == 100 and abs(r["rainy"]["psnr"] - 26.90) < 0.01
          and abs(r["rainy"]["ssim"] - 0.838) < 0.001,
          f"Rain100L rainy inputs: {r['rainy']} (published: 26.90 dB / 0.838)")


if __name__ == "__main__":
    run_case({f.__name__: f for f in (eval_pairs, eval_rain100l)}, "esdnet-eval-")
