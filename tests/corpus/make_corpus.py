#!/usr/bin/python3
"""Writes the model-loader corpus in tests/corpus/model/: one small file per
way a model file can be wrong, each named <EXPECTED_STATUS>--<what>.safetensors,
plus a few valid variants named OK--<what>.safetensors, and manifest.txt.

    /usr/bin/python3 tests/corpus/make_corpus.py

Every file is derived at the byte level from the valid fixture
tests/fixtures/d8_1x1.model.safetensors (written by models/make_fixtures.py).
That model is ~400 KB, too big to copy a hundred times, so the corpus cuts it
down to models of the same architecture at dim 1, every tensor the leading
slice of the fixture's tensor of the same name:

  full     one block in every encoder and decoder level (~23 KB): the valid
           seed that drives the fuzzer through the whole network;
  srb      one encoder block at level 1 only (~7 KB): cases inside a block;
  small    no blocks (~5 KB): the other tensor-level cases;
  trimmed  small's metadata with only 5 of its tensors (~1 KB): header,
           tensor-entry, layout and metadata cases. The loader validates the
           structure, then the metadata, then the tensors (engine/lib/model/
           load.c), so the tensors it lacks are never looked at.

Only the standard library is used, so the corpus can be rebuilt without
torch. Deterministic: rerunning rewrites the same bytes.

manifest.txt has one line per file, tab-separated: file name, expected status
(the esdnet_status name without ESDNET_ERROR_, or OK), and a substring the
error message must contain (empty for OK). Lines starting with '#' are notes.
"""

import itertools
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BASE = os.path.join(ROOT, "tests", "fixtures", "d8_1x1.model.safetensors")
OUT_DIR = os.path.join(HERE, "model")

DTYPE_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}

# Every derived model: dim 1, and refine_reduction 1 to keep the refinement
# block's hidden layer non-empty (2*dim/8 would be 0).
MINI_METADATA = {"dim": "1", "refine_reduction": "1"}
TRIMMED_TENSORS = ("patch_embed.proj.weight", "down1_2.maxpool_conv.1.weight",
                   "down1_2.maxpool_conv.2.bias", "output.0.weight", "output.0.bias")


# ------------------------------------------------------------ file format

class Tensor:
    def __init__(self, name, dtype, shape, data):
        self.name, self.dtype, self.shape, self.data = name, dtype, list(shape), data

    def count(self):
        n = 1
        for s in self.shape:
            n *= s
        return n

    def floats(self):
        return [to_float(self.dtype, self.data[i * DTYPE_SIZE[self.dtype]:
                                               (i + 1) * DTYPE_SIZE[self.dtype]])
                for i in range(self.count())]


class Model:
    """Metadata plus tensors in data order; encode() lays them out back to back."""

    def __init__(self, metadata, tensors):
        self.metadata = dict(metadata)
        self.tensors = list(tensors)

    def copy(self):
        return Model(self.metadata, [Tensor(t.name, t.dtype, t.shape, t.data)
                                     for t in self.tensors])

    def get(self, name):
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(name)

    def remove(self, name):
        self.tensors.remove(self.get(name))

    def header(self):
        """The header as a dict (metadata first, like the reference writer)."""
        header = {"__metadata__": dict(self.metadata)}
        offset = 0
        for t in self.tensors:
            header[t.name] = {"dtype": t.dtype, "shape": list(t.shape),
                              "data_offsets": [offset, offset + len(t.data)]}
            offset += len(t.data)
        return header

    def data(self):
        return b"".join(t.data for t in self.tensors)

    def encode(self):
        return pack(dumps(self.header()), self.data())


def dumps(header):
    return json.dumps(header, separators=(",", ":"))


def pack(header_text, data, pad=True):
    """8-byte length, header (space-padded to a multiple of 8 like the
    reference writer), data."""
    head = header_text.encode("utf-8")
    if pad:
        head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + data


def parse(raw):
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    body = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    entries = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
    tensors = [Tensor(name, e["dtype"], e["shape"],
                      body[e["data_offsets"][0]:e["data_offsets"][1]])
               for name, e in entries]
    return Model(metadata, tensors)


def to_float(dtype, b):
    if dtype == "F32":
        return struct.unpack("<f", b)[0]
    if dtype == "F16":
        return struct.unpack("<e", b)[0]
    if dtype == "BF16":
        return struct.unpack("<f", b"\0\0" + b)[0]
    raise ValueError(f"not a float dtype: {dtype}")


def from_float(dtype, x):
    if dtype == "F32":
        return struct.pack("<f", x)
    if dtype == "F16":
        return struct.pack("<e", x)
    if dtype == "BF16":
        # Round to nearest even on the upper 16 bits of the float32.
        (bits,) = struct.unpack("<I", struct.pack("<f", x))
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
        return struct.pack("<H", bits)
    raise ValueError(f"not a float dtype: {dtype}")


def with_element(t, index, raw):
    """t with element `index` replaced by the raw bytes `raw`."""
    size = DTYPE_SIZE[t.dtype]
    t.data = t.data[:index * size] + raw + t.data[(index + 1) * size:]


# ------------------------------------------------------------ architecture

def expected_shapes(meta):
    """Tensor name -> shape for a configuration, the engine's load order
    (engine/lib/model/load.c; names as in esdnet-architecture.md)."""
    d = int(meta["dim"])
    T = int(meta["timesteps"])
    rt, rc = int(meta["reduction_t"]), int(meta["reduction_c"])
    rr = int(meta["refine_reduction"])
    enc = [int(x) for x in meta["enc_blocks"].split(",")]
    dec = [int(x) for x in meta["dec_blocks"].split(",")]
    shapes = {}

    def conv(prefix, co, ci, k, bias=False):
        shapes[prefix + ".weight"] = [co, ci, k, k]
        if bias:
            shapes[prefix + ".bias"] = [co]

    def bn(prefix, c):
        for field in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{prefix}.{field}"] = [c]

    def srb(prefix, c):
        for conv_i, bn_i in (("residual.1", "residual.2"), ("residual.4", "residual.5"),
                             ("shortcut.0", "shortcut.1")):
            conv(f"{prefix}.{conv_i}", c, c, 3)
            bn(f"{prefix}.{bn_i}", c)
        shapes[prefix + ".attn.ta.sharedMLP.0.weight"] = [T // rt, T, 1, 1, 1]
        shapes[prefix + ".attn.ta.sharedMLP.2.weight"] = [T, T // rt, 1, 1, 1]
        shapes[prefix + ".attn.ca.sharedMLP.0.weight"] = [c // rc, c, 1, 1, 1]
        shapes[prefix + ".attn.ca.sharedMLP.2.weight"] = [c, c // rc, 1, 1, 1]
        shapes[prefix + ".attn.sa.conv.weight"] = [1, 2, 3, 3]

    conv("patch_embed.proj", d, 3, 3)
    level_c = [d, 2 * d, 4 * d]
    for stage, blocks in (("encoder", enc), ("decoder", dec)):
        for level in range(3):
            c = 2 * d if (stage, level) == ("decoder", 0) else level_c[level]
            for i in range(blocks[level]):
                srb(f"{stage}_level{level + 1}.{i}", c)
    for prefix, bn_index, co, ci, k in (("down1_2.maxpool_conv", 2, 2 * d, d, 3),
                                        ("down2_3.maxpool_conv", 2, 4 * d, 2 * d, 3),
                                        ("up3_2.up", 2, 2 * d, 4 * d, 3),
                                        ("reduce_chan_level2", 2, 2 * d, 4 * d, 1),
                                        ("up2_1.up", 2, d, 2 * d, 3)):
        conv(f"{prefix}.{bn_index - 1}", co, ci, k)
        bn(f"{prefix}.{bn_index}", co)
    c, h = 2 * d, 2 * d // rr
    conv("refinement.ca.1", h, c, 1, bias=True)
    conv("refinement.ca.3", c, h, 1, bias=True)
    conv("refinement.sa.0", c, c, 3, bias=True)
    conv("refinement.sa.1", h, c, 3, bias=True)
    conv("refinement.sa.3", c, h, 3, bias=True)
    conv("output.0", 3, c, 3, bias=True)
    return shapes


def leading_slice(t, shape):
    """The sub-tensor t[:shape[0], :shape[1], ...] (same dtype)."""
    if len(shape) != len(t.shape) or any(s > b for s, b in zip(shape, t.shape)):
        raise ValueError(f"cannot cut {t.name} {t.shape} down to {shape}")
    size = DTYPE_SIZE[t.dtype]
    strides = [1] * len(t.shape)
    for i in range(len(t.shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * t.shape[i + 1]
    parts = []
    for index in itertools.product(*(range(s) for s in shape)):
        flat = sum(i * s for i, s in zip(index, strides))
        parts.append(t.data[flat * size:(flat + 1) * size])
    return Tensor(t.name, t.dtype, shape, b"".join(parts))


def make_mini(base, enc_blocks, dec_blocks, **metadata):
    meta = dict(base.metadata, **MINI_METADATA)
    meta.update(enc_blocks=enc_blocks, dec_blocks=dec_blocks, **metadata)
    tensors = [leading_slice(base.get(name), shape)
               for name, shape in expected_shapes(meta).items()]
    return Model(meta, tensors)


def reencode(model, dtype):
    out = model.copy()
    for t in out.tensors:
        t.data = b"".join(from_float(dtype, x) for x in t.floats())
        t.dtype = dtype
    return out


def with_num_batches_tracked(model):
    """num_batches_tracked I64 scalars after each BN's running_var, as
    torch's state_dict has them."""
    out = Model(model.metadata, [])
    for t in model.tensors:
        out.tensors.append(t)
        if t.name.endswith(".running_var"):
            prefix = t.name[:-len(".running_var")]
            out.tensors.append(Tensor(prefix + ".num_batches_tracked", "I64", [],
                                      struct.pack("<q", 12345)))
    return out


def with_rest_statistics(model, only=None):
    """rest_mean and rest_var (copies of the running statistics) after the
    running_var of every BN, or of the BNs named in only."""
    out = Model(model.metadata, [])
    for t in model.tensors:
        out.tensors.append(t)
        if t.name.endswith(".running_var"):
            prefix = t.name[:-len(".running_var")]
            if only is None or prefix in only:
                mean = model.get(prefix + ".running_mean")
                out.tensors += [Tensor(prefix + ".rest_mean", mean.dtype, mean.shape, mean.data),
                                Tensor(prefix + ".rest_var", t.dtype, t.shape, t.data)]
    return out


# ------------------------------------------------------------ the cases

class Variants:
    """Ways to derive a malformed file from one valid model."""

    def __init__(self, model):
        self.model = model
        self.header = model.header()
        self.text = dumps(self.header)
        self.data = model.data()
        self.names = [t.name for t in model.tensors]

    def good(self):
        return self.model.encode()

    def edited(self, edit):
        """The file with its header dict changed by edit(h)."""
        h = json.loads(self.text)
        edit(h)
        return pack(dumps(h), self.data)

    def entry(self, name, field, value):
        return self.edited(lambda h: h[name].__setitem__(field, value))

    def replaced(self, old, new):
        """The file with the first `old` in the header text replaced."""
        if old not in self.text:
            raise ValueError(f"{old!r} is not in the header")
        return pack(self.text.replace(old, new, 1), self.data)

    def changed(self, edit):
        """The file re-encoded after edit(model) on a copy."""
        m = self.model.copy()
        edit(m)
        return m.encode()

    def meta_set(self, key, value):
        return self.changed(lambda m: m.metadata.__setitem__(key, value))

    def poke(self, name, index, raw):
        return self.changed(lambda m: with_element(m.get(name), index, raw))

    def appended(self, name, dtype, shape, raw):
        return self.changed(lambda m: m.tensors.append(Tensor(name, dtype, shape, raw)))


def build_cases(base):
    """(status, what, message substring, file bytes) for every corpus file."""
    full = Variants(make_mini(base, "1,1,1", "1,1,1"))
    srb = Variants(make_mini(base, "1,0,0", "0,0,0"))
    small = Variants(make_mini(base, "0,0,0", "0,0,0"))
    trimmed = Variants(Model(small.model.metadata,
                             [small.model.get(n) for n in TRIMMED_TENSORS]))
    cases = []

    def add(status, what, substring, raw):
        cases.append((status, what, substring, raw))

    # ---- valid variants
    add("OK", "mini-f32", "", full.good())
    add("OK", "mini-f16", "", reencode(small.model, "F16").encode())
    add("OK", "mini-bf16", "", reencode(small.model, "BF16").encode())
    add("OK", "mini-num-batches-tracked", "",
        with_num_batches_tracked(small.model).encode())
    add("OK", "rest-statistics", "", with_rest_statistics(full.model).encode())
    # Hidden sizes that divide down to 0 (T / reduction_t, 2*dim /
    # refine_reduction) are valid: the attention and refinement MLPs are empty.
    add("OK", "zero-hidden", "", make_mini(base, "1,0,0", "0,0,0", reduction_t="8",
                                           refine_reduction="8").encode())
    mixed = small.model.copy()
    half = reencode(small.model, "F16")
    for i in range(0, len(mixed.tensors), 2):
        mixed.tensors[i] = half.tensors[i]
    add("OK", "mixed-dtypes", "", mixed.encode())
    # Header order need not follow data order, and the reference writer's
    # space padding is optional.
    h = small.header
    add("OK", "header-order-reversed", "", pack(dumps(dict(
        [("__metadata__", h["__metadata__"])]
        + [(n, h[n]) for n in reversed(small.names)])), small.data))
    add("OK", "header-unpadded", "", pack(small.text, small.data, pad=False))
    add("OK", "extra-metadata-unicode", "", small.changed(lambda m: m.metadata.update(
        description="Regen \u2614 caf\u00e9 \U0001F327", training="none")))

    # ---- MODEL_HEADER: the length prefix
    t = trimmed
    good = t.good()
    add("MODEL_HEADER", "empty-file", "0 bytes, too short", b"")
    add("MODEL_HEADER", "shorter-than-length", "5 bytes, too short", good[:5])
    cut = 8 + len(t.text) // 2
    add("MODEL_HEADER", "truncated-in-header", "does not fit the %d-byte file" % cut,
        good[:cut])
    add("MODEL_HEADER", "length-past-end", "header length %d does not fit"
        % (len(good) - 7), struct.pack("<Q", len(good) - 7) + good[8:])
    add("MODEL_HEADER", "length-zero", "header length 0 does not fit",
        struct.pack("<Q", 0) + good[8:])
    add("MODEL_HEADER", "length-huge", "header length 18446744073709551615",
        struct.pack("<Q", 2 ** 64 - 1) + good[8:])
    # One byte over the format's own 100 MB cap.
    add("MODEL_HEADER", "length-over-cap", "header length 104857601",
        struct.pack("<Q", 100 * 2 ** 20 + 1) + good[8:])

    # ---- MODEL_HEADER: the JSON
    add("MODEL_HEADER", "not-json", "not valid JSON: unexpected character at byte 0",
        pack("PK\x03\x04 this is a zip file, not JSON", t.data))
    add("MODEL_HEADER", "json-array", "header is not a JSON object",
        pack("[" + t.text + "]", t.data))
    add("MODEL_HEADER", "json-string", "header is not a JSON object",
        pack('"__metadata__"', t.data))
    add("MODEL_HEADER", "trailing-garbage", "trailing characters",
        pack(t.text + "}", t.data))
    add("MODEL_HEADER", "json-cut-short", "unterminated container",
        pack(t.text[:-1], t.data))
    add("MODEL_HEADER", "duplicate-tensor-key", "duplicate key",
        pack(t.text[:-1] + ',"output.0.bias":%s}' % dumps(t.header["output.0.bias"]),
             t.data))
    add("MODEL_HEADER", "duplicate-metadata-key", "duplicate key",
        t.replaced('"dim":"1"', '"dim":"1","dim":"1"'))
    add("MODEL_HEADER", "deep-nesting", "nesting too deep",
        pack(t.text[:-1] + ',"deep":' + "[" * 40 + "]" * 40 + "}", t.data))
    add("MODEL_HEADER", "nul-in-name", "NUL character",
        t.replaced('"output.0.bias"', '"output.0.bias\\u0000x"'))
    add("MODEL_HEADER", "bad-escape", "bad escape",
        t.replaced('"output.0.bias"', '"output.0.\\qbias"'))
    add("MODEL_HEADER", "unpaired-surrogate", "unpaired surrogate",
        t.replaced('"output.0.bias"', '"output.0.bias\\ud800"'))
    add("MODEL_HEADER", "metadata-not-object", "__metadata__ is not a JSON object",
        t.edited(lambda h: h.__setitem__("__metadata__", ["format", "esdnet"])))
    add("MODEL_HEADER", "metadata-value-integer", "value of 'dim' is not a string",
        t.edited(lambda h: h["__metadata__"].__setitem__("dim", 1)))
    # The header reader takes non-negative integers only (json.h), so a
    # negative or fractional shape fails as JSON.
    add("MODEL_HEADER", "shape-negative", "negative number",
        t.entry("output.0.bias", "shape", [-3]))
    add("MODEL_HEADER", "shape-float", "non-integer number",
        t.entry("output.0.bias", "shape", [3.0]))

    # ---- MODEL_TENSOR_ENTRY
    add("MODEL_TENSOR_ENTRY", "dtype-F64", "unsupported dtype 'F64'",
        t.entry("output.0.weight", "dtype", "F64"))
    add("MODEL_TENSOR_ENTRY", "dtype-I8", "unsupported dtype 'I8'",
        t.entry("output.0.bias", "dtype", "I8"))
    add("MODEL_TENSOR_ENTRY", "dtype-not-string", "dtype is not a string",
        t.entry("output.0.bias", "dtype", 4))
    add("MODEL_TENSOR_ENTRY", "shape-not-list", "shape is not an array",
        t.entry("output.0.bias", "shape", 3))
    add("MODEL_TENSOR_ENTRY", "shape-nine-dims", "shape is not an array of at most 8",
        t.entry("patch_embed.proj.weight", "shape", [1, 3, 3, 3, 1, 1, 1, 1, 1]))
    add("MODEL_TENSOR_ENTRY", "shape-element-string",
        "'output.0.bias': shape[0] is not an integer",
        t.entry("output.0.bias", "shape", ["3"]))
    add("MODEL_TENSOR_ENTRY", "shape-element-over-int32",
        "'output.0.weight': shape[1] is not an integer",
        t.entry("output.0.weight", "shape", [3, 2 ** 31, 3, 3]))
    add("MODEL_TENSOR_ENTRY", "shape-product-overflow", "shape too large",
        t.entry("output.0.weight", "shape", [2 ** 31 - 1] * 3))
    last = t.names[-1]
    add("MODEL_TENSOR_ENTRY", "offsets-past-data", "lie outside the %d data bytes"
        % len(t.data), t.entry(last, "data_offsets",
                               [t.header[last]["data_offsets"][0], len(t.data) + 4]))
    add("MODEL_TENSOR_ENTRY", "offsets-huge", "[0, 18446744073709551615)",
        t.entry(t.names[0], "data_offsets", [0, 2 ** 64 - 1]))
    add("MODEL_TENSOR_ENTRY", "offsets-reversed", "reversed",
        t.entry("output.0.bias", "data_offsets",
                list(reversed(t.header["output.0.bias"]["data_offsets"]))))
    begin, end = t.header["output.0.weight"]["data_offsets"]
    add("MODEL_TENSOR_ENTRY", "offsets-wrong-byte-count", "212 data bytes for 54 F32",
        t.entry("output.0.weight", "data_offsets", [begin, end - 4]))
    begin, end = t.header["output.0.bias"]["data_offsets"]
    add("MODEL_TENSOR_ENTRY", "offsets-three", "data_offsets is not [begin, end]",
        t.entry("output.0.bias", "data_offsets", [begin, end, end]))
    add("MODEL_TENSOR_ENTRY", "offsets-missing", "needs dtype, shape and data_offsets",
        t.edited(lambda h: h["output.0.bias"].pop("data_offsets")))
    add("MODEL_TENSOR_ENTRY", "unexpected-field", "unexpected field 'strides'",
        t.entry("output.0.bias", "strides", [1]))
    add("MODEL_TENSOR_ENTRY", "entry-not-object", "entry is not a JSON object",
        t.edited(lambda h: h.__setitem__("output.0.bias", [begin, end])))
    add("MODEL_TENSOR_ENTRY", "empty-name", "empty name",
        t.replaced('"output.0.bias"', '""'))

    def as_i64(m):
        b = m.get("output.0.bias")
        b.data = b"".join(struct.pack("<q", round(x)) for x in b.floats())
        b.dtype = "I64"
    add("MODEL_TENSOR_ENTRY", "weight-dtype-I64", "'output.0.bias' has dtype I64",
        small.changed(as_i64))

    # ---- MODEL_OVERLAP: each entry's offsets are valid, but not a tiling
    def shared_bytes(h):
        # The BN bias reads the first bytes of the conv weight in front of
        # it; sorted by (begin, end) the short span comes first, so the
        # weight is the one reported.
        begin = h["down1_2.maxpool_conv.1.weight"]["data_offsets"][0]
        h["down1_2.maxpool_conv.2.bias"]["data_offsets"] = [begin, begin + 8]
    add("MODEL_OVERLAP", "shared-bytes",
        "'down1_2.maxpool_conv.1.weight' overlaps tensor 'down1_2.maxpool_conv.2.bias'",
        t.edited(shared_bytes))

    def partial(h):
        # output.0.bias moves 4 bytes back, into output.0.weight.
        h["output.0.bias"]["data_offsets"] = [o - 4 for o in h["output.0.bias"]["data_offsets"]]
    add("MODEL_OVERLAP", "partial-overlap",
        "'output.0.bias' overlaps tensor 'output.0.weight'", t.edited(partial))

    def gap_before(name):
        h = json.loads(t.text)
        for n in t.names[t.names.index(name):]:
            h[n]["data_offsets"] = [o + 8 for o in h[n]["data_offsets"]]
        split = t.header[name]["data_offsets"][0]
        return pack(dumps(h), t.data[:split] + b"\0" * 8 + t.data[split:])
    add("MODEL_OVERLAP", "gap-between", "before tensor 'output.0.weight'",
        gap_before("output.0.weight"))
    add("MODEL_OVERLAP", "gap-at-start", "data bytes [0, 8) before tensor",
        gap_before(t.names[0]))
    add("MODEL_OVERLAP", "trailing-bytes", "at the end belong to no tensor",
        pack(t.text, t.data + b"\0" * 16))

    # ---- MODEL_METADATA: each required key missing
    for key in ("format", "format_version", "dim", "enc_blocks", "dec_blocks",
                "timesteps", "tau", "v_threshold", "reduction_t", "reduction_c",
                "refine_reduction", "bn_eps"):
        sub = ("'%s' is missing" if key.startswith("format") else
               "key '%s' is missing") % key
        add("MODEL_METADATA", "missing-" + key.replace("_", "-"), sub,
            t.changed(lambda m, k=key: m.metadata.pop(k)))
    add("MODEL_METADATA", "no-metadata", "'format' is missing",
        t.edited(lambda h: h.pop("__metadata__")))

    # ---- MODEL_METADATA: values out of range or malformed
    for key, value, what in (
            ("format", "gguf", "gguf"),
            ("format_version", "2", "2"),
            ("dim", "0", "0"),
            ("dim", "1.0", "float"),
            ("dim", "99999999999999999999", "huge"),
            ("timesteps", "65", "65"),
            ("tau", "0.5", "0p5"),
            ("tau", "nan", "nan"),
            ("tau", "1e400", "1e400"),
            ("tau", "2,0", "decimal-comma"),
            ("tau", "", "empty"),
            ("v_threshold", "-1", "negative"),
            ("v_threshold", "0", "0"),
            ("v_threshold", "1e-50", "float-underflow"),
            ("bn_eps", "0", "0"),
            ("enc_blocks", "4,4", "two"),
            ("enc_blocks", "a,b,c", "letters"),
            ("enc_blocks", "1,0,0,0", "four"),
            ("dec_blocks", "0,,0", "empty-item"),
            ("reduction_t", "0", "0"),
            ("reduction_c", "0", "0"),
            ("refine_reduction", "4097", "4097")):
        if key == "format":
            sub = '"%s", not "esdnet"' % value
        elif key == "format_version":
            sub = 'is "%s"; this engine reads version "1"' % value
        else:
            sub = "'%s' = '%s'" % (key, value)
        add("MODEL_METADATA", "%s-%s" % (key.replace("_", "-"), what), sub,
            t.meta_set(key, value))

    # ---- MODEL_MISSING_TENSOR
    for v, name in ((small, "patch_embed.proj.weight"),
                    (small, "down1_2.maxpool_conv.2.running_var"),
                    (small, "output.0.bias"),
                    (srb, "encoder_level1.0.attn.sa.conv.weight")):
        add("MODEL_MISSING_TENSOR", "no-" + name, "tensor '%s' is missing" % name,
            v.changed(lambda m, n=name: m.remove(n)))
    add("MODEL_MISSING_TENSOR", "blocks-metadata-too-many",
        "'encoder_level1.0.residual.1.weight' is missing",
        small.meta_set("enc_blocks", "1,0,0"))
    add("MODEL_MISSING_TENSOR", "no-tensors", "tensor 'patch_embed.proj.weight' is missing",
        pack(dumps({"__metadata__": small.model.metadata}), b""))

    # ---- MODEL_UNKNOWN_TENSOR
    add("MODEL_UNKNOWN_TENSOR", "extra-tensor", "'extra.weight' is not part",
        small.appended("extra.weight", "F32", [2], struct.pack("<2f", 1.0, 2.0)))
    add("MODEL_UNKNOWN_TENSOR", "num-batches-tracked-not-bn",
        "'patch_embed.proj.num_batches_tracked' is not part",
        small.appended("patch_embed.proj.num_batches_tracked", "I64", [],
                       struct.pack("<q", 1)))
    add("MODEL_UNKNOWN_TENSOR", "module-prefix", "'module.output.0.bias' is not part",
        small.appended("module.output.0.bias", "F32", [3],
                       small.model.get("output.0.bias").data))
    add("MODEL_UNKNOWN_TENSOR", "blocks-metadata-too-few",
        "'encoder_level1.0.attn.ca.sharedMLP.0.weight' is not part",
        srb.meta_set("enc_blocks", "0,0,0"))

    # ---- MODEL_SHAPE
    def reshape(name, shape, raw=None):
        def edit(m):
            r = m.get(name)
            r.shape = shape
            if raw is not None:
                r.data = raw
        return small.changed(edit)
    add("MODEL_SHAPE", "bias-too-long",
        "'output.0.bias' has shape [4], the configuration needs [3]",
        reshape("output.0.bias", [4], small.model.get("output.0.bias").data + b"\0" * 4))
    add("MODEL_SHAPE", "weight-transposed",
        "'down1_2.maxpool_conv.1.weight' has shape [1, 2, 3, 3]",
        reshape("down1_2.maxpool_conv.1.weight", [1, 2, 3, 3]))
    add("MODEL_SHAPE", "dim-disagrees-with-weights",
        "'patch_embed.proj.weight' has shape [1, 3, 3, 3], the configuration needs "
        "[2, 3, 3, 3]", small.meta_set("dim", "2"))
    add("MODEL_SHAPE", "timesteps-disagree-with-weights",
        "'encoder_level1.0.attn.ta.sharedMLP.0.weight' has shape [1, 4, 1, 1, 1]",
        srb.meta_set("timesteps", "8"))
    nbt = with_num_batches_tracked(small.model)
    nbt.get("up3_2.up.2.num_batches_tracked").shape = [1]
    add("MODEL_SHAPE", "num-batches-tracked-not-scalar",
        "'up3_2.up.2.num_batches_tracked' must be a scalar I64", nbt.encode())
    nbt = with_num_batches_tracked(small.model)
    n = nbt.get("up2_1.up.2.num_batches_tracked")
    n.dtype, n.data = "F32", struct.pack("<f", 1.0)
    add("MODEL_SHAPE", "num-batches-tracked-f32",
        "'up2_1.up.2.num_batches_tracked' must be a scalar I64", nbt.encode())

    # ---- MODEL_NONFINITE
    f16 = Variants(reencode(small.model, "F16"))
    bf16 = Variants(reencode(small.model, "BF16"))
    nan32 = struct.pack("<I", 0x7FC00000)
    add("MODEL_NONFINITE", "nan-f32", "'output.0.weight' element 5 is NaN",
        small.poke("output.0.weight", 5, nan32))
    add("MODEL_NONFINITE", "inf-f32",
        "'encoder_level1.0.residual.4.weight' element 0 is infinite",
        srb.poke("encoder_level1.0.residual.4.weight", 0,
                 struct.pack("<f", float("-inf"))))
    add("MODEL_NONFINITE", "nan-f16", "'refinement.sa.0.weight' element 7 is NaN",
        f16.poke("refinement.sa.0.weight", 7, struct.pack("<H", 0x7E00)))
    add("MODEL_NONFINITE", "inf-f16", "'patch_embed.proj.weight' element 26 is infinite",
        f16.poke("patch_embed.proj.weight", 26, struct.pack("<H", 0x7C00)))
    add("MODEL_NONFINITE", "nan-bf16", "'refinement.ca.1.bias' element 1 is NaN",
        bf16.poke("refinement.ca.1.bias", 1, struct.pack("<H", 0x7FC1)))
    # Finite numbers, but gamma / sqrt(0 + eps) scales the weights past
    # float range.
    def fold_overflow(m):
        with_element(m.get("up2_1.up.2.weight"), 0, struct.pack("<f", 3e38))
        with_element(m.get("up2_1.up.2.running_var"), 0, struct.pack("<f", 0.0))
    add("MODEL_NONFINITE", "bn-fold-overflow", "folding BatchNorm 'up2_1.up.2' channel 0",
        small.changed(fold_overflow))
    add("MODEL_NONFINITE", "negative-running-var",
        "'down2_3.maxpool_conv.2.running_var' element 3 is negative",
        small.poke("down2_3.maxpool_conv.2.running_var", 3, struct.pack("<f", -1.0)))
    add("MODEL_NONFINITE", "negative-running-var-srb",
        "'encoder_level1.0.shortcut.1.running_var' element 0 is negative",
        srb.poke("encoder_level1.0.shortcut.1.running_var", 0, struct.pack("<f", -0.5)))
    # Rest statistics: on every BN or on none, both tensors, valid variances.
    rest = Variants(with_rest_statistics(small.model))
    add("MODEL_MISSING_TENSOR", "rest-var-missing", "'up3_2.up.2.rest_var' is missing",
        rest.changed(lambda m: m.remove("up3_2.up.2.rest_var")))
    add("MODEL_UNKNOWN_TENSOR", "rest-statistics-on-one-bn",
        "BatchNorm 'up2_1.up.2' has rest statistics but the first BatchNorm has none",
        with_rest_statistics(small.model, only={"up2_1.up.2"}).encode())
    add("MODEL_NONFINITE", "negative-rest-var",
        "'down2_3.maxpool_conv.2.rest_var' element 1 is negative",
        rest.poke("down2_3.maxpool_conv.2.rest_var", 1, struct.pack("<f", -1.0)))
    return cases


def main():
    if not os.path.exists(BASE):
        sys.exit(f"{BASE} is missing: run models/make_fixtures.py first")
    with open(BASE, "rb") as f:
        base = parse(f.read())

    os.makedirs(OUT_DIR, exist_ok=True)
    for name in os.listdir(OUT_DIR):
        if name.endswith(".safetensors"):
            os.remove(os.path.join(OUT_DIR, name))
    lines = ["# Written by tests/corpus/make_corpus.py; tab-separated: file, "
             "expected status, substring of the error message."]
    seen = set()
    total = 0
    for status, what, substring, raw in build_cases(base):
        name = f"{status}--{what}.safetensors"
        if name in seen:
            sys.exit(f"duplicate corpus file name {name}")
        seen.add(name)
        with open(os.path.join(OUT_DIR, name), "wb") as f:
            f.write(raw)
        lines.append(f"{name}\t{status}\t{substring}")
        total += len(raw)
    with open(os.path.join(OUT_DIR, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(seen)} files ({total} bytes) and manifest.txt to {OUT_DIR}")


if __name__ == "__main__":
    main()
