#!/usr/bin/python3
"""Writes a model file that runs the same weights with another number of timesteps T.

Every tensor but the temporal attention's carries over unchanged: convolutions,
BatchNorm and LIF neurons act on each timestep alike. The temporal attention's
MLP has T/4 hidden units (integer division), so its shape follows T:

- old and new T both below 4: no hidden units either way; the gate stays 0.5.
- new T a multiple k of old T >= 4: the MLP becomes k copies of the old one
  side by side, each reading and gating its own group of old-T timesteps, so
  the first old-T timesteps see exactly the old gates.

Any other pair is refused. The result is a starting point for training at the
new T (models/train.py --init OUT --timesteps T): finer rate codes (more
timesteps) cost time per frame in proportion and need training to pay off.

    /usr/bin/python3 models/retime.py MODEL OUT --timesteps T
"""

import argparse
import sys

import torch

from esdnet import ESDNet
from modelfile import export_model, load_model, metadata_to_config


def retime_state_dict(state_dict, old_t, new_t, reduction_t):
    """state_dict of a network at old_t timesteps, rewritten for new_t."""
    old_hidden, new_hidden = old_t // reduction_t, new_t // reduction_t
    if old_hidden == 0 and new_hidden == 0:
        groups = 0
    elif old_hidden > 0 and new_t % old_t == 0:
        groups = new_t // old_t
    else:
        raise ValueError(f"cannot carry the temporal attention from {old_t} to {new_t} timesteps: "
                         f"the new count must be below {reduction_t} like the old one, or a "
                         f"multiple of an old count of at least {reduction_t}")
    out = {}
    for key, value in state_dict.items():
        squeeze = key.endswith("ta.sharedMLP.0.weight")   # [hidden, T, 1, 1, 1]
        expand = key.endswith("ta.sharedMLP.2.weight")    # [T, hidden, 1, 1, 1]
        if not (squeeze or expand):
            out[key] = value.clone()
            continue
        rows, cols = (new_hidden, new_t) if squeeze else (new_t, new_hidden)
        tiled = torch.zeros(rows, cols, *value.shape[2:], dtype=value.dtype)
        r, c = value.shape[:2]
        for g in range(groups):  # block-diagonal: group g reads and gates its own timesteps
            tiled[g * r:(g + 1) * r, g * c:(g + 1) * c] = value
        out[key] = tiled
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("out")
    parser.add_argument("--timesteps", type=int, required=True)
    args = parser.parse_args(argv)
    if args.timesteps < 1:
        parser.error(f"--timesteps must be at least 1, got {args.timesteps}")
    try:
        model, meta = load_model(args.model)
        config = metadata_to_config(meta)
        old_t = config["timesteps"]
        state = retime_state_dict(model.state_dict(), old_t, args.timesteps, config["reduction_t"])
    except (OSError, ValueError) as e:
        print(f"retime: {args.model}: {e}", file=sys.stderr)
        return 1
    config["timesteps"] = args.timesteps
    training = meta.get("training")
    note = f"weights of a T = {old_t} model, run at T = {args.timesteps} (models/retime.py)"
    try:
        export_model(state, config, args.out, description=meta.get("description"),
                     training=f"{training}; {note}" if training else note)
    except OSError as e:
        print(f"retime: cannot write {args.out}: {e}", file=sys.stderr)
        return 1
    print(f"{args.out}: T {old_t} -> {args.timesteps}, "
          f"{sum(p.numel() for p in ESDNet.from_config(config).parameters()):,} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
