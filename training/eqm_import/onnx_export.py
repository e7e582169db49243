"""ONNX export with torch 1.13 at opset 16, writing the weights ourselves, one tensor at a time.

Opset 16, not 17: torch 1.13's exporter fails on LayerNorm without affine parameters at 17.
The graph is traced without its weights (export_params=False: they become named inputs); we then
turn those inputs into initializers and stream them to disk. torch's own writer would hold the
weights about four times over (the traced parameters, the in-memory proto, its serialised bytes),
which for XL/2's 2.7 GB of weights is over 10 GB. Past protobuf's 2 GB the weights go to one
external data file beside the graph (<graph>.data); below it they are written inline.
"""
import io
import os

import onnx
import torch
from onnx import TensorProto

PROTOBUF_LIMIT = 2 * 1024 ** 3 - 64 * 1024 ** 2  # leave room for the graph itself
ONNX_TYPES = {torch.float32: TensorProto.FLOAT, torch.float16: TensorProto.FLOAT16, torch.int64: TensorProto.INT64}


def export_graph(module, inputs, input_names, output_name, out_path, spatial=False, inline_limit=PROTOBUF_LIMIT,
                 tensor_for=None):
    """Writes module as ONNX to out_path (plus out_path + '.data' past inline_limit); returns the file names written.
    tensor_for(name) gives a parameter's real value where the module was traced on placeholders."""
    # batch always dynamic; height and width too where the graph allows any size (the VAE)
    dims = {0: "batch", 2: "height", 3: "width"} if spatial else {0: "batch"}
    axes = {name: dict(dims) for name in input_names + [output_name]}
    module.eval()
    params = module.state_dict()
    traced = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, inputs, traced, input_names=input_names, output_names=[output_name], opset_version=16,
                          dynamic_axes=axes, export_params=False, do_constant_folding=False)
    model = onnx.load_from_string(traced.getvalue())
    del traced
    weights = [(i.name, params[i.name]) for i in model.graph.input if i.name in params]
    data_inputs = [i for i in model.graph.input if i.name not in params]
    merged = sorted(set(params) - {name for name, _ in weights})
    if merged:  # torch merges equal-valued parameters; every parameter must stay its own initializer
        raise RuntimeError(f"the exporter merged or dropped parameters {merged[:4]} ({len(merged)} in all); not written")
    del params
    if tensor_for is not None:
        weights = [(name, _Deferred(name, t.shape, tensor_for)) for name, t in weights]
    del model.graph.input[:]
    model.graph.input.extend(data_inputs)
    total = sum(t.numel() * t.element_size() for _, t in weights)
    if total < inline_limit:
        write_inline(model, weights, out_path)
        return [os.path.basename(out_path)]
    data_name = os.path.basename(out_path) + ".data"
    write_external(model, weights, out_path, data_name)
    return [os.path.basename(out_path), data_name]


class _Deferred:
    """A parameter read from the checkpoint only when it is written (one at a time)."""

    def __init__(self, name, shape, tensor_for):
        self.name, self.shape, self.tensor_for = name, tuple(shape), tensor_for

    def numel(self):
        n = 1
        for s in self.shape:
            n *= s
        return n

    def element_size(self):
        return 4

    def detach(self):
        t = self.tensor_for(self.name)
        if tuple(t.shape) != self.shape or t.dtype != torch.float32:
            raise ValueError(f"{self.name}: the weight read is {list(t.shape)} {t.dtype}, the traced graph expects {list(self.shape)} float32")
        return t


def _tensor_head(name, shape, dtype):
    """A TensorProto's fields other than raw_data, serialised (fields may come in any order on the wire)."""
    return TensorProto(name=name, data_type=ONNX_TYPES[dtype], dims=list(shape)).SerializeToString()


def _raw(tensor):
    """The tensor's bytes as a buffer, without another copy (little-endian, as ONNX raw_data is)."""
    return memoryview(tensor.detach().contiguous().numpy()).cast("B")


def _varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def write_inline(model, weights, out_path):
    """ModelProto bytes = its other fields + the graph field, whose repeated initializer field (5) is
    appended tensor by tensor; protobuf parses that as if the list had been serialised at once."""
    graph_bytes = model.graph.SerializeToString()
    model.ClearField("graph")
    head = model.SerializeToString()
    raw_tag = bytes([(9 << 3) | 2])
    entries = []
    for name, t in weights:  # sizes from shapes alone: nothing is read yet
        tensor_head, n = _tensor_head(name, t.shape, torch.float32 if isinstance(t, _Deferred) else t.dtype), t.numel() * t.element_size()
        body = len(tensor_head) + 1 + len(_varint(n)) + n
        entries.append((t, tensor_head, n, body))
    graph_len = len(graph_bytes) + sum(1 + len(_varint(body)) + body for *_, body in entries)
    with open(out_path, "wb") as f:
        f.write(head + bytes([(7 << 3) | 2]) + _varint(graph_len) + graph_bytes)
        for t, tensor_head, n, body in entries:
            raw = _raw(t)
            if len(raw) != n:
                raise ValueError(f"a weight has {len(raw)} bytes, {n} expected")
            f.write(bytes([(5 << 3) | 2]) + _varint(body) + tensor_head + raw_tag + _varint(n))
            f.write(raw)
            del raw


def write_external(model, weights, out_path, data_name):
    """Each weight's raw bytes into one data file (64-byte aligned); the graph names its offsets."""
    data_path = os.path.join(os.path.dirname(os.path.abspath(out_path)), data_name)
    with open(data_path, "wb") as data:
        for name, tensor in weights:
            offset = data.tell()
            pad = (-offset) % 64
            data.write(b"\0" * pad)
            offset += pad
            raw = _raw(tensor)
            data.write(raw)
            proto = model.graph.initializer.add()
            proto.name, proto.data_type = name, ONNX_TYPES[torch.float32 if isinstance(tensor, _Deferred) else tensor.dtype]
            proto.dims.extend(tensor.shape)
            proto.data_location = TensorProto.EXTERNAL
            for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(len(raw)))):
                entry = proto.external_data.add()
                entry.key, entry.value = key, value
            del raw
    onnx.save(model, out_path)
