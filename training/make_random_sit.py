"""A latent EqM gradient model of a reference size (SiT-S/B/L/XL) with random weights, as ONNX,
for speed checks only (never for images): the importer's own network (training/eqm_import/sit.py,
EqMNet + GradientGraph) built on random tensors of the shapes a checkpoint of that size has
(checkpoint.expected_shapes), so timings are those of an imported model.

    python3 training/make_random_sit.py --model SiT-B/2 --out /tmp/sit-b2.onnx
Exported with torch.onnx.export, opset 16 (dynamo=False on torch 2.x), batch dynamic, weights
inline: fits protobuf's 2 GB up to L/2; XL/2 needs the importer's external-data export.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from eqm_import.checkpoint import expected_shapes, parse_model_name  # noqa: E402
from eqm_import.sit import EqMNet, GradientGraph  # noqa: E402


def random_config(name, latent_size=32, channels=4, classes=1000):
    named = parse_model_name(name)
    if named is None:
        raise SystemExit(f"{name}: not a reference model name (SiT-S/2, SiT-B/2, SiT-L/2, SiT-XL/2, ...)")
    patch = named["patch_size"]
    return {"hidden": named["hidden"], "depth": named["depth"], "heads": named["heads"], "patch_size": patch,
            "grid": latent_size // patch, "in_channels": channels, "out_channels": channels, "learn_sigma": False,
            "latent_size": latent_size, "mlp_hidden": 4 * named["hidden"], "num_classes": classes, "null_class": classes,
            "ebm": "none", "image_size": latent_size * 8, "model_name": name}


def build_random(name, latent=32, seed=0):
    """The importer's gradient graph for a reference size, on seeded random weights."""
    torch.manual_seed(seed)
    config = random_config(name, latent)
    shapes = expected_shapes(config)
    shapes["t_embedder.mlp.0.weight"] = (config["hidden"], 256)  # the reference's frequency size
    # std 0.02 everywhere, the gates too, so every layer does real work (a zero-init adaLN would not)
    weights = {k: torch.randn(*shape) * 0.02 for k, shape in shapes.items()}
    return GradientGraph(EqMNet(config, weights)).eval(), config


def export(model, config, latent, out):
    x = torch.randn(2, 4, latent, latent)
    y = torch.tensor([1, config["null_class"]])
    kwargs = {"dynamo": False} if int(torch.__version__.split(".")[0]) >= 2 else {}
    with torch.no_grad():
        torch.onnx.export(model, (x, y), out, input_names=["x", "y"], output_names=["grad"], opset_version=16,
                          dynamic_axes={"x": {0: "B"}, "y": {0: "B"}, "grad": {0: "B"}}, **kwargs)


def time_eager(model, config, latent, batches, repeats=10):
    """PyTorch eager on the same weights, on the GPU where there is one: ms per call per batch
    (the device check's reference for onnxruntime's numbers; fp32, TF32 off for matrix products)."""
    import json
    import time
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    model = model.to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    result = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu", "torch": torch.__version__, "msPerCall": {}}
    with torch.no_grad():
        for b in batches:
            x = torch.randn(b, 4, latent, latent, device=device)
            y = torch.randint(0, config["num_classes"], (b,), device=device)
            for _ in range(3):
                model(x, y)
            sync()
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                model(x, y)
                sync()
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            result["msPerCall"][f"batch{b}"] = round(times[len(times) // 2], 3)
    return json.dumps(result)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="SiT-B/2")
    ap.add_argument("--latent", type=int, default=32, help="latent side: 32 for 256-pixel images")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-eager", default=None, help="also time PyTorch eager on these weights; JSON to this file")
    args = ap.parse_args()
    model, config = build_random(args.model, args.latent, args.seed)
    export(model, config, args.latent, args.out)
    if args.time_eager:
        with open(args.time_eager, "w") as f:
            f.write(time_eager(model, config, args.latent, [1, 8, 16]) + "\n")
    params = sum(p.numel() for p in model.parameters())
    print(f"{args.out}: {args.model} random, {params / 1e6:.1f}M parameters, latent 4x{args.latent}x{args.latent}")


if __name__ == "__main__":
    main()
