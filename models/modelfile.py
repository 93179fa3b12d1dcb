"""The esdnet model file: a safetensors file with the official tensor names.

BN layers are stored unfolded (weight, bias, running_mean, running_var, and
in models with a second set of statistics for frames from rest, rest_mean
and rest_var on every BN); num_batches_tracked is dropped. The architecture
lives in __metadata__.
"""

import torch

import safetensors_io
from esdnet import ESDNet, with_defaults

FORMAT = "esdnet"
FORMAT_VERSION = "1"
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
_INT_KEYS = ("dim", "timesteps", "reduction_t", "reduction_c", "refine_reduction")
_FLOAT_KEYS = ("tau", "v_threshold", "bn_eps")
_LIST_KEYS = ("enc_blocks", "dec_blocks")
_OPTIONAL_KEYS = ("description", "training")


def config_to_metadata(config, description=None, training=None):
    cfg = with_defaults(config)
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION}
    for key, value in cfg.items():
        if key in _LIST_KEYS:
            meta[key] = ",".join(str(int(n)) for n in value)
        elif key in _FLOAT_KEYS:
            meta[key] = repr(float(value))
        else:
            meta[key] = str(int(value))
    if description is not None:
        meta["description"] = str(description)
    if training is not None:
        meta["training"] = str(training)
    return meta


def metadata_to_config(meta):
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"not an esdnet v{FORMAT_VERSION} model file (format="
                         f"{meta.get('format')!r}, format_version={meta.get('format_version')!r})")
    known = {"format", "format_version", *_INT_KEYS, *_FLOAT_KEYS, *_LIST_KEYS, *_OPTIONAL_KEYS}
    unknown = set(meta) - known
    if unknown:
        raise ValueError(f"unknown metadata keys: {sorted(unknown)}")
    missing = [k for k in (*_INT_KEYS, *_FLOAT_KEYS, *_LIST_KEYS) if k not in meta]
    if missing:
        raise ValueError(f"metadata lacks {missing}")
    cfg = {k: int(meta[k]) for k in _INT_KEYS}
    cfg.update({k: float(meta[k]) for k in _FLOAT_KEYS})
    cfg.update({k: tuple(int(n) for n in meta[k].split(",")) for k in _LIST_KEYS})
    return cfg


def _has_rest_statistics(state_dict):
    return any(k.endswith(".rest_mean") or k.endswith(".rest_var") for k in state_dict)


def _network_for(state_dict, config):
    """A fresh ESDNet(config), with rest statistics where state_dict has any."""
    model = ESDNet.from_config(config)
    if _has_rest_statistics(state_dict):
        model.enable_rest_statistics()
    return model


def check_state_dict(state_dict, config):
    """Raises ValueError unless state_dict has exactly ESDNet(config)'s tensors and shapes.

    num_batches_tracked entries are optional (they are not part of the file);
    rest statistics are all there or all absent.
    """
    expected = {k: v.shape for k, v in _network_for(state_dict, config).state_dict().items()
                if not k.endswith("num_batches_tracked")}
    problems = []
    for key, shape in expected.items():
        if key not in state_dict:
            problems.append(f"missing tensor {key} {list(shape)}")
        elif tuple(state_dict[key].shape) != tuple(shape):
            problems.append(f"tensor {key} has shape {list(state_dict[key].shape)}, "
                            f"expected {list(shape)}")
        elif not state_dict[key].is_floating_point():
            problems.append(f"tensor {key} has non-float dtype {state_dict[key].dtype}")
    for key in state_dict:
        if key not in expected and not key.endswith("num_batches_tracked"):
            problems.append(f"unknown tensor {key}")
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ValueError(f"state dict does not match configuration {with_defaults(config)}:\n  "
                         f"{shown}{more}")


def export_model(model_or_state_dict, config, path, dtype="F32", description=None, training=None):
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    sd = (model_or_state_dict.state_dict() if isinstance(model_or_state_dict, torch.nn.Module)
          else model_or_state_dict)
    check_state_dict(sd, config)
    reference = _network_for(sd, config).state_dict()
    tensors = {k: sd[k].detach().to("cpu", DTYPES[dtype]).contiguous()
               for k in reference if not k.endswith("num_batches_tracked")}
    safetensors_io.save(path, tensors, config_to_metadata(config, description, training))


def load_model(path):
    """Returns (ESDNet in eval mode with the file's weights in float32, metadata)."""
    tensors, meta = safetensors_io.load(path)
    config = metadata_to_config(meta)
    check_state_dict(tensors, config)
    model = _network_for(tensors, config)
    # check_state_dict saw every tensor; only num_batches_tracked is absent from the file.
    model.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=False)
    return model.eval(), meta
