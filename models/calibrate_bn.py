#!/usr/bin/python3
"""Recomputes a model's BatchNorm statistics from training data ("precise BN").

Training normalises every forward pass with its own batch's statistics; the
engine folds the running averages into the convolutions instead. Those
averages are an exponential mean over the last few dozen small batches, so
they trail the weights and swing from step to step, and in carry training they
mix frames from rest with carried frames in whatever proportion training used.
Recomputing them as a plain mean over many batches, with the frames the model
is meant for (single images from rest, or sequences with carried membranes),
removes that noise; the weights do not change.

    /usr/bin/python3 models/calibrate_bn.py MODEL OUT [--frames F] [--batches N]
        [--rain STYLE] [--patch P] [--seed S] [--backgrounds DIR] [--threads N]

reads the engine model file MODEL and writes OUT with the new statistics.
"""

import argparse
import os
import sys

import torch

from data import Backgrounds, SyntheticRain, rain_arg
from modelfile import export_model, load_model, metadata_to_config

HERE = os.path.dirname(os.path.abspath(__file__))


def calibrate_bn(model, dataset, batches, batch_size, device):
    """Sets every BatchNorm's running mean and variance to the mean over
    `batches` batches of `dataset` (items (rain, clean); a rain of F x 3 x H x W
    is one sequence, run with membranes carried from rest at its first frame).
    Items batches * batch_size onwards are not used."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    was_training = model.training
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative mean over all forward passes
    model.train()
    try:
        with torch.no_grad():
            for b in range(batches):
                rain = torch.stack([dataset[b * batch_size + k][0] for k in range(batch_size)])
                rain = rain.to(device)
                model.reset_state()
                if rain.dim() == 4:
                    model(rain)
                else:
                    for f in range(rain.shape[1]):
                        model(rain[:, f])
    finally:
        model.reset_state()
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        model.train(was_training)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="engine model file (.safetensors)")
    parser.add_argument("output", help="model file to write")
    parser.add_argument("--frames", type=int, default=1,
                        help="frames per sequence: 1 = single images from rest (reset mode); "
                             "F > 1 = sequences of F frames, membranes carried (default: 1)")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--patch", type=int, default=128)
    parser.add_argument("--rain", default="light", type=rain_arg,
                        help="synthetic rain, as train.py --rain")
    parser.add_argument("--seed", type=int, default=777,
                        help="data seed (pick one no training run used)")
    parser.add_argument("--backgrounds", default=os.path.join(HERE, "data", "backgrounds"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    for name in ("frames", "batches", "batch", "patch"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    try:
        model, meta = load_model(args.model)
    except (OSError, ValueError) as e:
        sys.exit(f"{args.model}: {e}")
    torch.set_num_threads(args.threads)
    try:
        backgrounds = Backgrounds(args.backgrounds)
    except (OSError, ValueError) as e:
        sys.exit(f"--backgrounds {args.backgrounds}: {e}")
    dataset = SyntheticRain(backgrounds, args.patch, args.seed, rain=args.rain, frames=args.frames)
    calibrate_bn(model, dataset, args.batches, args.batch, torch.device("cpu"))
    what = (f"BatchNorm statistics recomputed over {args.batches} x {args.batch} "
            f"{args.patch}x{args.patch} {'images' if args.frames == 1 else f'{args.frames}-frame sequences'}"
            f" of synthetic {args.rain} rain (models/calibrate_bn.py, seed {args.seed}; "
            "validation figures before this predate it)")
    training = meta.get("training")
    export_model(model, metadata_to_config(meta), args.output, description=meta.get("description"),
                 training=f"{training}; {what}" if training else what)
    print(f"{args.output}: {what}")


if __name__ == "__main__":
    main()
