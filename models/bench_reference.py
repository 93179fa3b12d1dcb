"""Times the PyTorch reference on a model file, for comparison with `esdnet bench`.

    /usr/bin/python3 models/bench_reference.py MODEL [--size 640x360] [--frames 5]
        [--warmup 1] [--threads 2] [--temporal reset|carry] [--json]
    /usr/bin/python3 models/bench_reference.py --random 48:4,4,8:2,2,2 OUT.safetensors

The frame is the same deterministic synthetic picture `esdnet bench` uses in
spirit (a smooth gradient with noise); timing is per frame, median of the
measured frames. `--random DIM:ENC:DEC` writes a random-weight model file
(realistic firing rates, as the parity fixtures) so both engines can be timed
on configurations nobody has trained, such as the published dim-48 one.
"""

import argparse
import json
import statistics
import sys
import time

import torch

from esdnet import ESDNet
from make_fixtures import randomize
from modelfile import export_model, load_model


def parse_size(text):
    w, h = (int(v) for v in text.lower().split("x"))
    return w, h


def write_random(spec, path):
    dim, enc, dec = spec.split(":")
    config = dict(dim=int(dim), enc_blocks=tuple(int(v) for v in enc.split(",")),
                  dec_blocks=tuple(int(v) for v in dec.split(",")))
    model = ESDNet(**config).eval()
    randomize(model, torch.Generator().manual_seed(0))
    export_model(model, model.config(), path,
                 description=f"random weights, dim {dim}, enc {enc}, dec {dec} (benchmarks only)")


def bench(args):
    torch.set_num_threads(args.threads)
    model, _ = load_model(args.model)
    w, h = parse_size(args.size)
    gen = torch.Generator().manual_seed(1)
    ramp = torch.linspace(0, 1, w).view(1, 1, 1, w).expand(1, 3, h, w)
    frame = (0.8 * ramp + 0.2 * torch.rand(1, 3, h, w, generator=gen)).contiguous()
    times = []
    with torch.no_grad():
        model.reset_state()
        for i in range(args.warmup + args.frames):
            if args.temporal == "reset":
                model.reset_state()
            start = time.perf_counter()
            model(frame)
            if i >= args.warmup:
                times.append((time.perf_counter() - start) * 1000.0)
    median = statistics.median(times)
    result = dict(model=args.model, width=w, height=h, threads=args.threads,
                  temporal=args.temporal, frames=args.frames, median_ms=median,
                  min_ms=min(times), max_ms=max(times), fps=1000.0 / median,
                  torch=torch.__version__)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"pytorch {torch.__version__}: {w}x{h}, {args.threads} threads, {args.temporal}: "
              f"median {median:.1f} ms ({result['fps']:.2f} fps) over {args.frames} frames")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", nargs="?")
    p.add_argument("--random", metavar="DIM:ENC:DEC")
    p.add_argument("--size", default="640x360")
    p.add_argument("--frames", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--temporal", choices=("reset", "carry"), default="reset")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.random:
        if not args.model:
            p.error("--random needs an output file")
        write_random(args.random, args.model)
    elif args.model:
        bench(args)
    else:
        p.error("a model file is required")


if __name__ == "__main__":
    sys.exit(main())
