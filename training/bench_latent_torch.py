"""PyTorch eager on a random latent model of a reference size, for bench/latent-cpu.ts (issue 13 item 3).

Builds the importer's network on seeded random weights (make_random_sit.build_random), writes
the same weights as ONNX (--onnx-out) for onnxruntime, checks that both give the same output,
then times single eager calls on request like bench_torch.py --serve ('model B THREADS' on
stdin, ms back), so the caller interleaves them with its own onnxruntime calls.
First line out: JSON with the FLOPs per row (linear layers, patch conv, attention products).
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from make_random_sit import build_random, export  # noqa: E402
from bench_torch import serve  # noqa: E402


def flops_per_row(config):
    d, n, m = config["hidden"], config["grid"] ** 2, config["mlp_hidden"]
    per_block = 2 * n * d * (3 * d + d + 2 * m) + 2 * 2 * n * n * d + 2 * d * 6 * d
    p, c = config["patch_size"], config["in_channels"]
    return config["depth"] * per_block + 2 * n * d * c * p * p + 2 * n * d * p * p * c + 2 * d * 2 * d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="SiT-B/2")
    ap.add_argument("--latent", type=int, default=32)
    ap.add_argument("--onnx-out", required=True)
    args = ap.parse_args()
    model, config = build_random(args.model, args.latent)
    if not os.path.exists(args.onnx_out):
        export(model, config, args.latent, args.onnx_out)
    x = torch.randn(2, 4, args.latent, args.latent, generator=torch.Generator().manual_seed(5))
    y = torch.tensor([3, config["null_class"]])
    with torch.no_grad():
        reference = model(x, y)
    info = {"torch": torch.__version__, "model": args.model, "flopsPerRow": flops_per_row(config),
            "params": sum(p.numel() for p in model.parameters()),
            "checkFile": args.onnx_out + ".check.json"}
    with open(info["checkFile"], "w") as f:
        json.dump({"x": x.reshape(-1).tolist(), "y": y.tolist(), "grad": reference.reshape(-1).tolist()}, f)
    print(json.dumps(info), flush=True)
    serve(model, (4, args.latent, args.latent))


if __name__ == "__main__":
    main()
