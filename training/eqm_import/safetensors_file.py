"""Reads a .safetensors file: an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, then the raw little-endian data. Tensors are read one by one."""
import json
import struct

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}


class SafetensorsError(Exception):
    pass


def read_safetensors(path):
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
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            dtype = DTYPES.get(info.get("dtype"))
            if dtype is None:
                raise SafetensorsError(f"{path}: {name} has unsupported dtype {info.get('dtype')}")
            start, end = info["data_offsets"]
            shape = [int(s) for s in info["shape"]]
            count = 1
            for s in shape:
                count *= s
            size = torch.empty((), dtype=dtype).element_size()
            if not (0 <= start <= end <= data_bytes) or end - start != count * size:
                raise SafetensorsError(f"{path}: {name}'s byte range {start}..{end} does not fit shape {shape} {info['dtype']}")
            f.seek(8 + n + start)
            raw = bytearray(f.read(end - start))
            out[name] = (torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)).reshape(shape)
        return out


def write_safetensors(path, tensors):
    """For fixtures and tests: the same format, written."""
    names = {v: k for k, v in DTYPES.items()}
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for blob in blobs:
            f.write(blob)
