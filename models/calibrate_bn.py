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

Frames from rest and frames with carried membranes fire differently, so one
set of statistics suits one of them. With --rest-batches R the file gets two
(models/esdnet.py, TimeBatchNorm2d): a rest set measured on R batches of
single images from rest, used for the first frame after every reset, and
the main set measured on the frames after the first of F-frame sequences.

    /usr/bin/python3 models/calibrate_bn.py MODEL OUT [--frames F] [--batches N]
        [--rest-batches R] [--rain STYLE] [--patch P] [--seed S]
        [--backgrounds DIR] [--threads N]

reads the engine model file MODEL and writes OUT with the new statistics.
"""

import argparse
import contextlib
import os
import sys

import torch

from data import Backgrounds, SyntheticRain, rain_arg
from modelfile import export_model, load_model, metadata_to_config

HERE = os.path.dirname(os.path.abspath(__file__))
NOTE = "BatchNorm statistics recomputed"  # starts what the file's training note says


@contextlib.contextmanager
def _statistics_kept(norms):
    """Forward passes inside leave the BatchNorms' statistics as they were."""
    saved = [(m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
             for m in norms]
    yield
    for m, (mean, var, count) in zip(norms, saved):
        m.running_mean.copy_(mean)
        m.running_var.copy_(var)
        m.num_batches_tracked.copy_(count)


def calibrate_bn(model, dataset, batches, batch_size, device, skip_first=False):
    """Sets every BatchNorm's running mean and variance to the mean over
    `batches` batches of `dataset` (items (rain, clean); a rain of F x 3 x H x W
    is one sequence, run with membranes carried from rest at its first frame;
    with skip_first that frame only brings the membranes to their carried
    state and is left out of the statistics).
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
                    continue
                if skip_first:
                    with _statistics_kept(norms):
                        model(rain[:, 0])
                for f in range(1 if skip_first else 0, rain.shape[1]):
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
    parser.add_argument("--rest-batches", type=int, default=0,
                        help="also measure rest statistics on this many batches of single "
                             "images from rest (needs --frames of at least 2; default: 0, none)")
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
    if args.rest_batches < 0 or (args.rest_batches and args.frames < 2):
        parser.error("--rest-batches must be positive and needs --frames of at least 2")
    try:
        model, meta = load_model(args.model)
    except (OSError, ValueError) as e:
        sys.exit(f"{args.model}: {e}")
    torch.set_num_threads(args.threads)
    try:
        backgrounds = Backgrounds(args.backgrounds)
    except (OSError, ValueError) as e:
        sys.exit(f"--backgrounds {args.backgrounds}: {e}")
    cpu = torch.device("cpu")
    size = f"{args.patch}x{args.patch}"
    rest = ""
    if args.rest_batches:
        images = SyntheticRain(backgrounds, args.patch, args.seed, rain=args.rain)
        calibrate_bn(model, images, args.rest_batches, args.batch, cpu)
        model.enable_rest_statistics()  # copies of the running statistics just measured
        rest = (f" (their frames after the first, with carried membranes); rest "
                f"statistics over {args.rest_batches} x {args.batch} {size} images from rest")
    dataset = SyntheticRain(backgrounds, args.patch, args.seed, rain=args.rain, frames=args.frames)
    calibrate_bn(model, dataset, args.batches, args.batch, cpu, skip_first=bool(args.rest_batches))
    what = (f"{NOTE} over {args.batches} x {args.batch} {size} "
            f"{'images' if args.frames == 1 else f'{args.frames}-frame sequences'}{rest}"
            f" of synthetic {args.rain} rain (models/calibrate_bn.py, seed {args.seed}; "
            "validation figures before this predate it)")
    # New statistics replace the old ones, and so does their note.
    training = meta.get("training", "").split(f"; {NOTE}")[0]
    export_model(model, metadata_to_config(meta), args.output, description=meta.get("description"),
                 training=f"{training}; {what}" if training else what)
    print(f"{args.output}: {what}")


if __name__ == "__main__":
    main()
