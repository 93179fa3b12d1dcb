#!/usr/bin/python3
"""Benchmark table: `esdnet bench` next to the PyTorch reference, same weights,
input size and thread count, measured in one run; prints Markdown.

    scripts/bench.py --esdnet build/engine/cli/esdnet --model NAME=FILE ...
        [--size 320x180 --size 640x360] [--threads 1 --threads 2]
        [--frames 3] [--temporal reset] [--no-torch]

Rows alternate engine and reference per configuration so that machine load
drifts hit both alike; the ratio column is reference time / engine time.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "models", "bench_reference.py")


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--esdnet", required=True)
    p.add_argument("--model", action="append", required=True, metavar="NAME=FILE")
    p.add_argument("--size", action="append")
    p.add_argument("--threads", action="append", type=int)
    p.add_argument("--frames", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--temporal", default="reset")
    p.add_argument("--no-torch", action="store_true")
    args = p.parse_args()
    sizes = args.size or ["320x180", "640x360"]
    threads = args.threads or [1, 2]

    print("| model | size | threads | esdnet ms | esdnet fps | peak MB | firing rate "
          "| PyTorch ms | PyTorch / esdnet |")
    print("|---|---|---|---|---|---|---|---|---|")
    for spec in args.model:
        name, path = spec.split("=", 1)
        for size in sizes:
            for n in threads:
                common = ["--size", size, "--frames", str(args.frames), "--warmup",
                          str(args.warmup), "--threads", str(n), "--temporal", args.temporal]
                e = run_json([args.esdnet, "bench", "--model", path, "--json", *common])
                torch_ms, ratio = "-", "-"
                if not args.no_torch:
                    t = run_json(["/usr/bin/python3", REFERENCE, path, "--json", *common])
                    torch_ms = f"{t['median_ms']:.0f}"
                    ratio = f"{t['median_ms'] / e['median_ms']:.2f}x"
                print(f"| {name} | {size} | {n} | {e['median_ms']:.1f} | {e['fps']:.2f} "
                      f"| {e['peak_rss_mb']:.0f} | {e['firing_rate']:.3f} | {torch_ms} "
                      f"| {ratio} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
