"""Minimal safetensors reader/writer (F32, F16, BF16, I64), written for this project.

Layout: u64 little-endian header length N, N bytes of JSON (padded with
spaces to a multiple of 8), then the tensors' raw little-endian bytes,
contiguous and in header order; data_offsets are relative to the data section.
"""

import json
import struct

import numpy as np
import torch

# dtype name -> (torch dtype, numpy little-endian dtype of the raw bytes).
# BF16 has no numpy type: its bytes travel as int16 and are reinterpreted.
_DTYPES = {
    "F32": (torch.float32, np.dtype("<f4")),
    "F16": (torch.float16, np.dtype("<f2")),
    "BF16": (torch.bfloat16, np.dtype("<i2")),
    "I64": (torch.int64, np.dtype("<i8")),
}
_NAME_OF = {torch_dtype: name for name, (torch_dtype, _) in _DTYPES.items()}
_SAME_SIZE_INT = {torch.bfloat16: torch.int16}


def _to_bytes(tensor):
    t = tensor.detach().cpu().contiguous()
    if t.dtype in _SAME_SIZE_INT:
        t = t.view(_SAME_SIZE_INT[t.dtype])
    arr = t.numpy()
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def _from_bytes(raw, dtype_name, shape):
    torch_dtype, np_dtype = _DTYPES[dtype_name]
    arr = np.frombuffer(raw, dtype=np_dtype).astype(np_dtype.newbyteorder("="))
    t = torch.from_numpy(arr)
    if torch_dtype in _SAME_SIZE_INT:
        t = t.view(torch_dtype)
    return t.reshape(shape)


def save(path, tensors, metadata=None):
    """Writes tensors (name -> torch.Tensor, in dict order) and str->str metadata."""
    header = {}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"metadata must map str to str, got {k!r}: {v!r}")
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved and cannot name a tensor")
        if tensor.dtype not in _NAME_OF:
            raise TypeError(f"tensor {name!r} has unsupported dtype {tensor.dtype}")
        blob = _to_bytes(tensor)
        header[name] = {"dtype": _NAME_OF[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for blob in blobs:
            f.write(blob)


def load(path):
    """Returns (tensors, metadata): name -> torch.Tensor in file order, and str->str."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: malformed header: {e}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: header is not a JSON object")
    body = data[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError(f"{path}: __metadata__ must map strings to strings")
    tensors = {}
    for name, entry in header.items():
        dtype_name = entry.get("dtype")
        if dtype_name not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {dtype_name!r}")
        shape = entry.get("shape")
        begin, end = entry.get("data_offsets", (None, None))
        if not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape):
            raise ValueError(f"{path}: tensor {name!r} has a bad shape {shape!r}")
        expected = int(np.prod(shape, dtype=np.int64)) * _DTYPES[dtype_name][1].itemsize
        if not (isinstance(begin, int) and isinstance(end, int)
                and 0 <= begin <= end <= len(body) and end - begin == expected):
            raise ValueError(f"{path}: tensor {name!r} has bad data_offsets {[begin, end]} "
                             f"(needs {expected} bytes, data section has {len(body)})")
        tensors[name] = _from_bytes(body[begin:end], dtype_name, shape)
    return tensors, dict(metadata)
