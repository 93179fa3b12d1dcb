#!/usr/bin/python3
"""Benchmark table: `esdnet bench` next to the PyTorch reference, same weights,
input size and thread count, and optionally FFmpeg's `derain` filter at the
same size, all measured in one run; prints Markdown.

    scripts/bench.py --esdnet build/engine/cli/esdnet --model NAME=FILE ...
        [--size 320x180 --size 640x360] [--threads 1 --threads 2]
        [--frames 3] [--temporal reset --temporal carry] [--membranes f32]
        [--no-torch] [--shares]
        [--ffmpeg-peer ../shared/peers/ffmpeg-derain-can.model]

Rows alternate engine and peers per configuration so that machine load
drifts hit them alike; the ratio columns are peer time / engine time. The
FFmpeg figure is the median wall time of --frames runs of ffmpeg on one
frame (a PNG of noise), start-up included.
"""

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "models", "bench_reference.py")
# The kinds of work whose time shares --shares prints (esdnet bench --json).
SHARES = ("spike conv", "dense conv", "lif", "attention", "resample", "refine")


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def ffmpeg_ms(model, size, threads, runs):
    """Median wall time (ms) of FFmpeg's derain filter on one frame of size."""
    w, h = (int(v) for v in size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.png"), os.path.join(tmp, "out.png")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                        f"nullsrc=s={w}x{h},geq=random(1)*255:128:128", "-frames:v", "1",
                        src], check=True)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                            "-threads", str(threads), "-filter_threads", str(threads),
                            "-i", src, "-vf", f"format=rgb24,derain=model={model},format=rgb24",
                            dst], check=True)
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--esdnet", required=True)
    p.add_argument("--model", action="append", required=True, metavar="NAME=FILE")
    p.add_argument("--size", action="append")
    p.add_argument("--threads", action="append", type=int)
    p.add_argument("--frames", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--temporal", action="append", choices=("reset", "carry"))
    p.add_argument("--membranes", default="f32", choices=("f32", "f16"))
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--shares", action="store_true",
                   help="also the fastest frame, the time share per kind of work and the "
                        "kernels' throughput")
    p.add_argument("--ffmpeg-peer", metavar="MODEL",
                   help="also time FFmpeg's derain filter with this native model")
    args = p.parse_args()
    if args.ffmpeg_peer and not shutil.which("ffmpeg"):
        p.error("--ffmpeg-peer needs the ffmpeg program (Debian package ffmpeg)")
    sizes = args.size or ["320x180", "640x360"]
    threads = args.threads or [1, 2]
    modes = args.temporal or ["reset"]

    head = ("| model | size | threads | mode | esdnet ms | esdnet fps | peak MB | firing rate "
            "| PyTorch ms | PyTorch / esdnet | FFmpeg derain ms | FFmpeg / esdnet |")
    if args.shares:
        head += " min ms | " + " | ".join(SHARES) + " | spike G ops/s | dense G MAC/s |"
    print(head)
    print("|---" * head.count(" | ") + "|---|")
    for spec in args.model:
        name, path = spec.split("=", 1)
        for size, n, mode in itertools.product(sizes, threads, modes):
            common = ["--size", size, "--frames", str(args.frames), "--warmup",
                      str(args.warmup), "--threads", str(n), "--temporal", mode]
            e = run_json([args.esdnet, "bench", "--model", path, "--json",
                          "--membranes", args.membranes, *common])
            torch_ms, ratio = "-", "-"
            if not args.no_torch:
                t = run_json(["/usr/bin/python3", REFERENCE, path, "--json", *common])
                torch_ms = f"{t['median_ms']:.0f}"
                ratio = f"{t['median_ms'] / e['median_ms']:.2f}x"
            peer_ms, peer_ratio = "-", "-"
            if args.ffmpeg_peer:
                f = ffmpeg_ms(args.ffmpeg_peer, size, n, args.frames)
                peer_ms, peer_ratio = f"{f:.0f}", f"{f / e['median_ms']:.1f}x"
            if args.membranes == "f16":
                mode += ", f16 membranes"
            row = (f"| {name} | {size} | {n} | {mode} | {e['median_ms']:.1f} | {e['fps']:.2f} "
                   f"| {e['peak_rss_mb']:.0f} | {e['firing_rate']:.3f} | {torch_ms} "
                   f"| {ratio} | {peer_ms} | {peer_ratio} |")
            if args.shares:
                row += (f" {e['min_ms']:.1f} | "
                        + " | ".join(f"{100 * e['time_shares'][k]:.0f} %" for k in SHARES)
                        + f" | {e['spike_conv_gops']:.1f} | {e['dense_gmacs']:.1f} |")
            print(row, flush=True)


if __name__ == "__main__":
    sys.exit(main())
