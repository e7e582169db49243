"""Reads a .safetensors file: an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, then the raw little-endian data. Tensors are read one by one."""
import json
import math
import struct

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}


class SafetensorsError(Exception):
    pass


class SafetensorsTensor:
    """One tensor of a .safetensors file: its dtype, shape and byte range; .load() reads its bytes."""

    def __init__(self, path, start, end, dtype, shape):
        self.path, self.start, self.end, self.dtype, self.shape = path, start, end, dtype, tuple(shape)

    def numel(self):
        return math.prod(self.shape)

    def load(self):
        with open(self.path, "rb") as f:
            f.seek(self.start)
            raw = bytearray(f.read(self.end - self.start))
        if len(raw) != self.end - self.start:
            raise SafetensorsError(f"{self.path}: the file ends inside a tensor's bytes")
        return (torch.frombuffer(raw, dtype=self.dtype) if raw else torch.empty(0, dtype=self.dtype)).reshape(self.shape)


def is_safetensors(path):
    """Whether the file opens like a .safetensors file (a plausible header length, then JSON)."""
    with open(path, "rb") as f:
        head = f.read(9)
    return len(head) == 9 and 2 <= struct.unpack("<Q", head[:8])[0] <= 100 * 1024 * 1024 and head[8:9] == b"{"


def open_safetensors(path):
    """({name: SafetensorsTensor}, the header's __metadata__ (str -> str) or {}); every range checked, no data read."""
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise SafetensorsError(f"{path}: too short for a safetensors file")
        (n,) = struct.unpack("<Q", head)
        if n > 100 * 1024 * 1024:
            raise SafetensorsError(f"{path}: header length {n} is not plausible")
        try:
            header = json.loads(f.read(n))
        except ValueError as error:
            raise SafetensorsError(f"{path}: the header is not JSON ({error})") from None
        f.seek(0, 2)
        data_bytes = f.tell() - 8 - n
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: the header is not a JSON object")
    metadata = header.get("__metadata__") or {}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise SafetensorsError(f"{path}: {name} has unsupported dtype {info.get('dtype')}")
        start, end = info["data_offsets"]
        shape = [int(s) for s in info["shape"]]
        size = torch.empty((), dtype=dtype).element_size()
        if not (0 <= start <= end <= data_bytes) or end - start != math.prod(shape) * size:
            raise SafetensorsError(f"{path}: {name}'s byte range {start}..{end} does not fit shape {shape} {info['dtype']}")
        tensors[name] = SafetensorsTensor(path, 8 + n + start, 8 + n + end, dtype, shape)
    return tensors, metadata if isinstance(metadata, dict) else {}


def read_safetensors(path):
    """Every tensor of the file, loaded."""
    return {name: t.load() for name, t in open_safetensors(path)[0].items()}


def write_safetensors(path, tensors, metadata=None):
    """For fixtures and tests: the same format, written (metadata: str -> str, as the format allows)."""
    names = {v: k for k, v in DTYPES.items()}
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header).encode()
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for blob in blobs:
            f.write(blob)
