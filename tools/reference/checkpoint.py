"""Minimal safetensors reader/writer (numpy only) and Hugging Face model-directory loading.

File layout: 8-byte little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}, then the
data region; offsets are relative to the start of the data region. Supported dtypes: F32, BF16,
F16 (little-endian). BF16 is handled as the upper 16 bits of an IEEE float32.
"""
import json
import os
import struct

import numpy as np

_ITEMSIZE = {"F32": 4, "BF16": 2, "F16": 2}


# ---------------------------------------------------------------------------------------------
# bf16 / f16 conversion
# ---------------------------------------------------------------------------------------------
def f32_to_bf16_bits(x):
    """float32 array -> uint16 bf16 bit patterns, round to nearest even (finite inputs)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    bits = x.view(np.uint32).astype(np.uint64)
    rounding = ((bits >> np.uint64(16)) & np.uint64(1)) + np.uint64(0x7FFF)
    return ((bits + rounding) >> np.uint64(16)).astype(np.uint16)


def bf16_bits_to_f32(b):
    """uint16 bf16 bit patterns -> float32 (exact)."""
    b = np.ascontiguousarray(b, dtype=np.uint16)
    return (b.astype(np.uint32) << np.uint32(16)).view(np.float32)


def round_to_dtype(x, dtype):
    """The float32 values a tensor has after storing it as `dtype` (F32, BF16, F16)."""
    x = np.asarray(x, dtype=np.float32)
    if dtype == "F32":
        return x.copy()
    if dtype == "BF16":
        return bf16_bits_to_f32(f32_to_bf16_bits(x))
    if dtype == "F16":
        return x.astype("<f2").astype(np.float32)
    raise ValueError("unsupported dtype %r" % dtype)


def _encode(x, dtype):
    x = np.asarray(x, dtype=np.float32)
    if dtype == "F32":
        return x.astype("<f4").tobytes()
    if dtype == "BF16":
        return f32_to_bf16_bits(x).astype("<u2").tobytes()
    if dtype == "F16":
        return x.astype("<f2").tobytes()
    raise ValueError("unsupported dtype %r" % dtype)


def _decode(raw, dtype, shape):
    if dtype == "F32":
        a = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    elif dtype == "BF16":
        a = bf16_bits_to_f32(np.frombuffer(raw, dtype="<u2"))
    elif dtype == "F16":
        a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    else:
        raise ValueError("unsupported dtype %r" % dtype)
    return a.reshape(shape)


# ---------------------------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------------------------
def write_safetensors(path, tensors, dtype, metadata=None):
    """Writes {name: float32 array} as `dtype` (F32/BF16/F16). Deterministic: tensors are laid
    out in name order, header keys sorted, header padded with spaces to a multiple of 8."""
    names = sorted(tensors)
    header = {}
    blobs = []
    offset = 0
    for name in names:
        arr = np.asarray(tensors[name], dtype=np.float32)
        blob = _encode(arr, dtype)
        header[name] = {"dtype": dtype, "shape": [int(s) for s in arr.shape],
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    return offset


def read_safetensors_header(path):
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise ValueError("%s: too short for a safetensors file" % path)
        (n,) = struct.unpack("<Q", head)
        size = os.path.getsize(path)
        if n > size - 8:
            raise ValueError("%s: header length %d past the end of the file" % (path, n))
        header = json.loads(f.read(n).decode("utf-8"))
    return header, 8 + n, size


def read_safetensors_raw(path):
    """(header, data section) of a safetensors file, undecoded: the header dict as written
    (__metadata__ included) and the bytes after it. For scripts that copy or corrupt tensors
    byte for byte."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def read_safetensors(path):
    """Returns ({name: float32 array}, {name: file dtype}, metadata)."""
    header, data_start, size = read_safetensors_header(path)
    metadata = header.pop("__metadata__", {}) or {}
    out, dtypes = {}, {}
    with open(path, "rb") as f:
        for name, info in header.items():
            dtype = info["dtype"]
            if dtype not in _ITEMSIZE:
                raise ValueError("%s: tensor %s has unsupported dtype %s" % (path, name, dtype))
            shape = tuple(int(s) for s in info["shape"])
            begin, end = (int(v) for v in info["data_offsets"])
            count = int(np.prod(shape)) if shape else 1
            if end - begin != count * _ITEMSIZE[dtype] or begin < 0 or data_start + end > size:
                raise ValueError("%s: tensor %s has bad data_offsets %r" % (path, name,
                                                                            info["data_offsets"]))
            f.seek(data_start + begin)
            out[name] = _decode(f.read(end - begin), dtype, shape)
            dtypes[name] = dtype
    return out, dtypes, metadata


# ---------------------------------------------------------------------------------------------
# Hugging Face model directories
# ---------------------------------------------------------------------------------------------
def load_model_dir(directory):
    """Reads config.json and the weights (model.safetensors, or the shards named by
    model.safetensors.index.json). Returns (config dict, {name: float32 array}, {name: dtype})."""
    with open(os.path.join(directory, "config.json"), "r", encoding="utf-8") as f:
        config = json.load(f)
    index_path = os.path.join(directory, "model.safetensors.index.json")
    single_path = os.path.join(directory, "model.safetensors")
    tensors, dtypes = {}, {}
    if os.path.exists(index_path):
        with open(index_path, "r", encoding="utf-8") as f:
            index = json.load(f)
        weight_map = index["weight_map"]
        for shard in sorted(set(weight_map.values())):
            t, d, _ = read_safetensors(os.path.join(directory, shard))
            for name in t:
                if weight_map.get(name) != shard:
                    raise ValueError("%s: tensor %s not mapped to this shard" % (shard, name))
            tensors.update(t)
            dtypes.update(d)
        missing = set(weight_map) - set(tensors)
        if missing:
            raise ValueError("index names tensors missing from the shards: %s" % sorted(missing))
    elif os.path.exists(single_path):
        tensors, dtypes, _ = read_safetensors(single_path)
    else:
        raise FileNotFoundError("%s: no model.safetensors or model.safetensors.index.json"
                                % directory)
    return config, tensors, dtypes
