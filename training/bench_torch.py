"""PyTorch eager on the same weights as an ONNX gradient model, for bench/cpu.ts (issue 13).

No checkpoint needed: the architecture comes from model.py and the weights from the ONNX file
(onnx's numpy_helper; GroupNorm's affine weights were renamed by the exporter, so they are
matched in module order by shape). The loaded model is checked against the export's parity
fixture before anything is timed. Also measures the CPU's fp32 peak with a tight matmul and
counts the model's FLOPs per row (conv, transposed conv and linear layers, 2 per MAC).

    /usr/bin/python3 training/bench_torch.py --onnx models/fashion-mnist/eqm.onnx \
        --fixture training/parity/eqm.json --batches 1,16,32,64 --repeats 10
prints one JSON object.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(__file__))
from model import UNet  # noqa: E402


def load_from_onnx(path):
    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}
    named = {k[len("model."):]: v for k, v in weights.items() if k.startswith("model.")}
    c0 = named["inp.weight"].shape[0]
    c1 = named["d1.conv1.weight"].shape[0]
    c2 = named["m1.conv1.weight"].shape[0]
    emb_dim = named["label_emb.weight"].shape[1]
    model = UNet(channels=(c0, c1, c2), emb_dim=emb_dim, num_classes=named["label_emb.weight"].shape[0] - 1).eval()
    state = model.state_dict()
    norms = [k for k in state if k.endswith(".weight") and ("norm" in k) and state[k].dim() == 1]
    renamed = [(k, v) for k, v in weights.items() if not k.startswith("model.")]
    # exporter order: (scale, shift) per GroupNorm, in module order
    if len(renamed) != 2 * len(norms):
        raise SystemExit(f"{path}: {len(renamed)} unnamed initializers for {len(norms)} GroupNorms; not this architecture")
    for i, key in enumerate(norms):
        state[key] = torch.from_numpy(renamed[2 * i][1].reshape(-1).copy())
        state[key[: -len("weight")] + "bias"] = torch.from_numpy(renamed[2 * i + 1][1].reshape(-1).copy())
    for k, v in named.items():
        if k not in state or tuple(state[k].shape) != v.shape:
            raise SystemExit(f"{path}: weight {k} does not fit the architecture")
        state[k] = torch.from_numpy(v.copy())
    model.load_state_dict(state)
    return model


def flops_per_row(model, sample_shape):
    total = [0]

    def hook(module, inputs, output):
        if isinstance(module, torch.nn.Conv2d):
            total[0] += 2 * output.numel() * module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        elif isinstance(module, torch.nn.ConvTranspose2d):
            total[0] += 2 * inputs[0].numel() * module.out_channels * module.kernel_size[0] * module.kernel_size[1]
        elif isinstance(module, torch.nn.Linear):
            total[0] += 2 * output.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, *sample_shape), torch.zeros(1, dtype=torch.long))
    for h in handles:
        h.remove()
    return total[0]


def timed(fn, repeats):
    """The fastest of `repeats` calls, in ms: on a shared, loaded machine the minimum is the
    least disturbed measure (bench/cpu.ts takes the same statistic for onnxruntime)."""
    fn()
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return float(np.min(times))


def serve(model, shape):
    inputs = {}
    for line in sys.stdin:
        kind, n, threads = line.split()
        n, threads = int(n), int(threads)
        torch.set_num_threads(threads)
        if kind == "matmul":
            a = inputs.setdefault(("mm", n), torch.randn(n, n))
            fn = lambda: torch.mm(a, a)  # noqa: E731
        else:
            x, y = inputs.setdefault(("model", n), (torch.randn(n, *shape), torch.randint(0, 11, (n,))))
            fn = lambda: model(x, y)  # noqa: E731
        with torch.no_grad():
            t = time.perf_counter()
            fn()
            ms = (time.perf_counter() - t) * 1000
        print(f"{ms:.4f}", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--onnx", required=True)
    p.add_argument("--fixture")
    p.add_argument("--batches", default="1,16,32,64")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--threads", default=f"1,{os.cpu_count()}", help="thread counts to try; the faster is reported per batch")
    p.add_argument("--serve", action="store_true", help="after the checks, time single calls on request (stdin lines 'model B THREADS' or 'matmul N THREADS'; one ms per line back), so a caller can interleave them with its own")
    args = p.parse_args()
    model = load_from_onnx(args.onnx)
    result = {"torch": torch.__version__}
    if args.fixture:
        fx = json.load(open(args.fixture))
        with torch.no_grad():
            out = model(torch.tensor(fx["x"]).reshape(fx["shape"]), torch.tensor(fx["y"]))
        result["parityMaxAbs"] = float(np.abs(out.numpy().reshape(-1) - np.array(fx["grad"])).max())
        if result["parityMaxAbs"] > 1e-3:
            raise SystemExit(f"weights loaded from {args.onnx} do not reproduce the fixture ({result['parityMaxAbs']})")
    shape = tuple(model.inp.weight.shape[1:2]) + (28, 28)
    result["flopsPerRow"] = flops_per_row(model, shape)
    if args.serve:
        print(json.dumps(result), flush=True)
        serve(model, shape)
        return
    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    result["matmulGflops"] = 0.0
    result["eagerMsPerCall"] = {}
    result["threadsUsed"] = {}
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        result["matmulGflops"] = max(result["matmulGflops"], round(2 * n ** 3 / timed(lambda: torch.mm(a, b), args.repeats) / 1e6, 1))
        for batch in [int(s) for s in args.batches.split(",")]:
            x = torch.randn(batch, *shape)
            y = torch.randint(0, 11, (batch,))
            with torch.no_grad():
                ms = round(timed(lambda: model(x, y), args.repeats), 3)
            key = f"batch{batch}"
            if key not in result["eagerMsPerCall"] or ms < result["eagerMsPerCall"][key]:
                result["eagerMsPerCall"][key] = ms
                result["threadsUsed"][key] = threads
    print(json.dumps(result))


if __name__ == "__main__":
    main()
