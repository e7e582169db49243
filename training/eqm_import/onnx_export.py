"""ONNX export with torch 1.13 at opset 16, and external data for graphs past protobuf's 2 GB.

Opset 16, not 17: torch 1.13's exporter fails on LayerNorm without affine parameters at 17.
Past 2 GB torch writes every initializer as its own file; we export into a scratch folder and
then gather those into one data file beside the graph, streaming, so no second in-memory copy.
"""
import os
import shutil
import tempfile

import onnx
import torch
from onnx.external_data_helper import ExternalDataInfo, uses_external_data

PROTOBUF_LIMIT = 2 * 1024 ** 3 - 64 * 1024 ** 2  # leave room for the graph itself


def export_graph(module, inputs, input_names, output_name, out_path, spatial=False):
    """Writes module as ONNX to out_path (plus out_path + '.data' when large); returns the file names written."""
    weight_bytes = sum(p.numel() * p.element_size() for p in module.parameters())
    # batch always dynamic; height and width too where the graph allows any size (the VAE)
    dims = {0: "batch", 2: "height", 3: "width"} if spatial else {0: "batch"}
    axes = {name: dict(dims) for name in input_names + [output_name]}
    module.eval()
    if weight_bytes < PROTOBUF_LIMIT:
        with torch.no_grad():
            torch.onnx.export(module, inputs, out_path, input_names=input_names, output_names=[output_name],
                              opset_version=16, dynamic_axes=axes, do_constant_folding=True)
        return [os.path.basename(out_path)]
    scratch = tempfile.mkdtemp(prefix="eqm-onnx-", dir=os.path.dirname(os.path.abspath(out_path)))
    try:
        tmp = os.path.join(scratch, "graph.onnx")
        with torch.no_grad():
            torch.onnx.export(module, inputs, tmp, input_names=input_names, output_names=[output_name],
                              opset_version=16, dynamic_axes=axes, do_constant_folding=True)
        data_name = os.path.basename(out_path) + ".data"
        gather_external_data(tmp, scratch, out_path, data_name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return [os.path.basename(out_path), data_name]


def gather_external_data(graph_path, source_dir, out_path, data_name):
    """Copies each external initializer into one data file (64-byte aligned) and rewrites the references."""
    model = onnx.load(graph_path, load_external_data=False)
    data_path = os.path.join(os.path.dirname(os.path.abspath(out_path)), data_name)
    with open(data_path, "wb") as data:
        for tensor in model.graph.initializer:
            if not uses_external_data(tensor):
                continue
            info = ExternalDataInfo(tensor)
            offset = data.tell()
            pad = (-offset) % 64
            data.write(b"\0" * pad)
            offset += pad
            with open(os.path.join(source_dir, info.location), "rb") as src:
                src.seek(info.offset or 0)
                remaining = info.length if info.length else None
                length = 0
                while remaining is None or remaining > 0:
                    chunk = src.read(1 << 24 if remaining is None else min(1 << 24, remaining))
                    if not chunk:
                        break
                    data.write(chunk)
                    length += len(chunk)
                    if remaining is not None:
                        remaining -= len(chunk)
            del tensor.external_data[:]
            for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(length))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
    onnx.save(model, out_path)
