"""A synthetic rainy video with ground truth, for measuring temporal
stability (flicker) of reset and carry mode.

    /usr/bin/python3 models/make_video_testset.py IMAGE OUT_DIR [--frames 24]
        [--size 320x240] [--pan 2] [--seed 5]

The clean clip is a window panning slowly (--pan pixels per frame) across one
still image; synthrain.rain_sequence puts moving rain over it. OUT_DIR gets
rain/ and clean/ with frame names 0000.png ..., ready for
`esdnet eval --video`. Use an image that no model was trained on.
"""

import argparse
import os
import sys

import numpy as np

from data import read_image, write_image
from synthrain import rain_sequence


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("image")
    p.add_argument("out")
    p.add_argument("--frames", type=int, default=24)
    p.add_argument("--size", default="320x240")
    p.add_argument("--pan", type=int, default=2)
    p.add_argument("--seed", type=int, default=5)
    args = p.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    image = read_image(args.image)
    span = (args.frames - 1) * args.pan
    if image.shape[0] < h or image.shape[1] < w + span:
        sys.exit(f"{args.image} is {image.shape[1]}x{image.shape[0]}; "
                 f"needs at least {w + span}x{h}")
    frames = [image[:h, i * args.pan:i * args.pan + w] for i in range(args.frames)]
    rainy = rain_sequence(frames, np.random.default_rng(args.seed))
    for kind, seq in (("clean", frames), ("rain", rainy)):
        os.makedirs(os.path.join(args.out, kind), exist_ok=True)
        for i, frame in enumerate(seq):
            write_image(os.path.join(args.out, kind, f"{i:04d}.png"), frame)


if __name__ == "__main__":
    main()
