#!/usr/bin/python3
"""Carry mode against reset mode on synthetic rainy video.

Runs `esdnet eval --video` in both temporal modes over every sequence under
SETS (each a folder with rain/ and clean/, as make_video_testset.py writes
them) and prints, per model, the means over the sequences as a Markdown
table: Y-PSNR, Y-SSIM and flicker (mean |change of output - change of
ground truth| between consecutive frames, luma levels).

    /usr/bin/python3 models/video_flicker.py --esdnet build/engine/cli/esdnet \\
        --sets /tmp/vt [--ensemble N] NAME=MODEL [NAME=MODEL ...]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys


def evaluate(esdnet, model, seq, mode, threads, ensemble):
    out = subprocess.run([esdnet, "eval", "--model", model, "--video", "--temporal", mode,
                          "--threads", str(threads), "--ensemble", str(ensemble),
                          "--json", os.path.join(seq, "rain"),
                          os.path.join(seq, "clean")], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--esdnet", required=True)
    p.add_argument("--sets", required=True)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--ensemble", type=int, default=1, help="views per frame (esdnet eval --ensemble)")
    p.add_argument("models", nargs="+", metavar="NAME=MODEL")
    args = p.parse_args()
    seqs = sorted(os.path.join(args.sets, d) for d in os.listdir(args.sets)
                  if os.path.isdir(os.path.join(args.sets, d, "rain")))
    if not seqs:
        sys.exit(f"no sequences (rain/ and clean/) under {args.sets}")
    print(f"{len(seqs)} sequences of {args.sets}: {', '.join(os.path.basename(s) for s in seqs)}\n")
    print("| model | mode | Y-PSNR | Y-SSIM | flicker | sequences with less flicker than reset |")
    print("|---|---|---|---|---|---|")
    for i, spec in enumerate(args.models):
        name, model = spec.split("=", 1)
        runs = {mode: [evaluate(args.esdnet, model, s, mode, args.threads, args.ensemble)
                       for s in seqs]
                for mode in ("reset", "carry")}
        if i == 0:
            rainy = [r["rainy"] for r in runs["reset"]]
            print(f"| rainy input | | {statistics.mean(r['psnr'] for r in rainy):.2f} "
                  f"| {statistics.mean(r['ssim'] for r in rainy):.4f} "
                  f"| {statistics.mean(r['flicker'] for r in rainy):.3f} | |")
        for mode in ("reset", "carry"):
            d = [r["derained"] for r in runs[mode]]
            fewer = ""
            if mode == "carry":
                n = sum(c["derained"]["flicker"] < r["derained"]["flicker"]
                        for c, r in zip(runs["carry"], runs["reset"]))
                fewer = f"{n} of {len(seqs)}"
            print(f"| {name} | {mode} | {statistics.mean(x['psnr'] for x in d):.2f} "
                  f"| {statistics.mean(x['ssim'] for x in d):.4f} "
                  f"| {statistics.mean(x['flicker'] for x in d):.3f} | {fewer} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
