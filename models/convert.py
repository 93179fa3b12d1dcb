#!/usr/bin/python3
"""Converts an ESDNet PyTorch checkpoint into an esdnet model file (safetensors).

IN is either an official ESDNet .pth (a state_dict, possibly wrapped as
{'state_dict': sd}, {'model': sd} or {'params': sd}, possibly with 'module.'
prefixes), whose configuration is inferred from the tensor shapes, or this
project's training checkpoint ({'config': ..., 'model': sd}).

    /usr/bin/python3 models/convert.py IN OUT [--dtype F32|F16|BF16] [--tau 2.0]
        [--v-threshold 0.15] [--bn-eps 1e-5] [--description TEXT] [--trust-pickle]
"""

import argparse
import inspect
import os
import pickle
import re
import sys

import torch

from esdnet import with_defaults
from modelfile import DTYPES, check_state_dict, export_model

# Values the published model uses; they are not visible in a state dict.
DEFAULT_TAU = 2.0
DEFAULT_V_THRESHOLD = 0.15
DEFAULT_BN_EPS = 1e-5
DEFAULT_REDUCTION_T = 4
DEFAULT_REDUCTION_C = 16
DEFAULT_REFINE_REDUCTION = 8

_BLOCK_KEY = re.compile(r"^(encoder|decoder)_level([123])\.(\d+)\.")


def load_checkpoint(path, trust_pickle=False):
    """torch.load restricted to tensors and plain containers unless trust_pickle.

    Full unpickling can run arbitrary code, so it needs the caller's consent.
    """
    safe = "weights_only" in inspect.signature(torch.load).parameters
    if not safe and not trust_pickle:
        raise ValueError("this torch cannot restrict unpickling (no weights_only); "
                         "pass --trust-pickle if you trust the file")
    kwargs = {} if trust_pickle else {"weights_only": True}
    try:
        return torch.load(path, map_location="cpu", **kwargs)
    except OSError:
        raise
    except pickle.UnpicklingError as e:
        if trust_pickle:
            raise ValueError(f"cannot read {path} as a PyTorch checkpoint: {e}") from None
        raise ValueError(f"{path} holds more than tensors and plain containers, or is not a "
                         "checkpoint; pass --trust-pickle to unpickle it fully if you trust it "
                         f"({str(e).splitlines()[-1]})") from None
    except Exception as e:  # torch.load reports bad files with many exception types
        raise ValueError(f"cannot read {path} as a PyTorch checkpoint: "
                         f"{type(e).__name__}: {e}") from None


def unwrap(obj):
    """Returns (state_dict with bare names, config or None)."""
    if not isinstance(obj, dict):
        raise ValueError(f"checkpoint holds a {type(obj).__name__}, not a dict")
    config = None
    if "config" in obj and "model" in obj:
        config, obj = obj["config"], obj["model"]
    else:
        for wrapper in ("state_dict", "model", "params"):
            if isinstance(obj.get(wrapper), dict):
                obj = obj[wrapper]
                break
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ValueError(f"not a state dict: entries {bad[:5]} are not tensors")
    sd = {(k[len("module."):] if k.startswith("module.") else k): v for k, v in obj.items()}
    return sd, config


def _tensor(sd, key):
    if key not in sd:
        raise ValueError(f"cannot infer the configuration: tensor {key} is missing")
    return sd[key]


def infer_reduction(pairs, default, what):
    """The reduction r with channels // r == hidden for every (channels, hidden) pair.

    Prefers the published default, else the smallest r >= 1 that fits.
    """
    if all(c // default == h for c, h in pairs):
        return default
    for r in range(1, max(c for c, _ in pairs) + 2):
        if all(c // r == h for c, h in pairs):
            return r
    raise ValueError(f"no {what} reduction fits the (channels, hidden) sizes {sorted(set(pairs))}")


def infer_config(sd, tau=DEFAULT_TAU, v_threshold=DEFAULT_V_THRESHOLD, bn_eps=DEFAULT_BN_EPS):
    dim = _tensor(sd, "patch_embed.proj.weight").shape[0]
    counts = {("encoder", lvl): 0 for lvl in "123"}
    counts.update({("decoder", lvl): 0 for lvl in "123"})
    blocks = set()
    for key in sd:
        m = _BLOCK_KEY.match(key)
        if m:
            side, lvl, idx = m.group(1), m.group(2), int(m.group(3))
            counts[side, lvl] = max(counts[side, lvl], idx + 1)
            blocks.add(m.group(0))
    if not blocks:
        raise ValueError("cannot infer the number of timesteps: the state dict has no blocks")
    prefix = sorted(blocks)[0]
    ta = _tensor(sd, prefix + "attn.ta.sharedMLP.2.weight")
    timesteps = ta.shape[0]
    reduction_t = infer_reduction([(timesteps, ta.shape[1])], DEFAULT_REDUCTION_T, "temporal")
    channel_pairs = []
    for p in sorted(blocks):
        w = _tensor(sd, p + "attn.ca.sharedMLP.0.weight")
        channel_pairs.append((w.shape[1], w.shape[0]))
    reduction_c = infer_reduction(channel_pairs, DEFAULT_REDUCTION_C, "channel")
    refine = _tensor(sd, "refinement.ca.1.weight")
    refine_reduction = infer_reduction([(refine.shape[1], refine.shape[0])],
                                       DEFAULT_REFINE_REDUCTION, "refinement")
    return with_defaults(dict(
        dim=dim,
        enc_blocks=tuple(counts["encoder", lvl] for lvl in "123"),
        dec_blocks=tuple(counts["decoder", lvl] for lvl in "123"),
        timesteps=timesteps, tau=tau, v_threshold=v_threshold,
        reduction_t=reduction_t, reduction_c=reduction_c, refine_reduction=refine_reduction,
        bn_eps=bn_eps))


def convert(in_path, out_path, dtype="F32", tau=None, v_threshold=None, bn_eps=None,
            description=None, trust_pickle=False):
    """Writes the model file and returns the configuration used.

    tau, v_threshold and bn_eps override a training checkpoint's configuration;
    for an official state dict they default to the published values.
    """
    sd, config = unwrap(load_checkpoint(in_path, trust_pickle))
    overrides = {k: float(v) for k, v in
                 (("tau", tau), ("v_threshold", v_threshold), ("bn_eps", bn_eps)) if v is not None}
    if config is not None:
        if not isinstance(config, dict):
            raise ValueError("the checkpoint's 'config' is not a dict")
        config = with_defaults({**config, **overrides})
    else:
        config = infer_config(sd, **overrides)
    check_state_dict(sd, config)
    if description is None:
        description = f"converted from {os.path.basename(in_path)}"
    export_model(sd, config, out_path, dtype=dtype, description=description)
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", metavar="IN", help="official .pth or training checkpoint")
    parser.add_argument("output", metavar="OUT", help="model file to write (.safetensors)")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="F32")
    parser.add_argument("--tau", type=float, help=f"LIF tau (default {DEFAULT_TAU})")
    parser.add_argument("--v-threshold", type=float,
                        help=f"LIF threshold (default {DEFAULT_V_THRESHOLD})")
    parser.add_argument("--bn-eps", type=float, help=f"BatchNorm eps (default {DEFAULT_BN_EPS})")
    parser.add_argument("--description", help="free text stored in the file's metadata")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="unpickle IN fully (runs code it contains); needed for "
                             "checkpoints holding more than tensors, ints and containers")
    args = parser.parse_args(argv)
    try:
        config = convert(args.input, args.output, args.dtype, args.tau, args.v_threshold,
                         args.bn_eps, args.description, args.trust_pickle)
    except (OSError, ValueError, TypeError) as e:
        print(f"convert.py: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.output} ({args.dtype}): {config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
