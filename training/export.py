"""Export an EqM gradient model to ONNX with the app's contract (docs/method.md §1):
inputs x float32 [B,1,28,28] in [-1,1], y int64 [B] (0..9, 10 = null); output grad float32
[B,1,28,28] (f ~ grad E; samplers step x <- x - eta f). Dynamic batch, opset 17, fp32.

/usr/bin/python3 training/export.py --ckpt training/runs/eqm-main/ckpt.pt --out models/fashion-mnist/eqm.onnx
With --energy, the explicit-energy (EqM-E) model instead: same inputs, output energy float32 [B],
E(x) = sum(x * g(x)) (objectives.eqme_energy), the manifest's files.energy.
Writes a parity fixture (--fixture; default next to the ONNX file, <name>.parity.json) with a few
inputs and the PyTorch outputs; training/check_parity.cjs replays it in onnxruntime-node. The
shipped models' fixtures live in training/parity/ and are written only when named: an export of a
trial checkpoint once overwrote the shipped model's fixture through the old default.
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import build_model  # noqa: E402
from objectives import eqme_energy  # noqa: E402


class GradientWrapper(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x, y):
        return self.model(x, y)


class EnergyWrapper(torch.nn.Module):
    """EqM-E's dot-product energy, one value per sample (objectives.eqme_energy)."""
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x, y):
        return eqme_energy(self.model, x, y)


def load_model(ckpt_path, use_ema=True):
    ck = torch.load(ckpt_path)
    model = build_model(ck["config"]["model"])
    model.load_state_dict(ck["ema" if use_ema else "model"])
    return model.eval(), ck


def export(model, out_path, fixture_path, n_fixture=4, seed=123, energy=False):
    model = model.eval()
    wrapper = (EnergyWrapper(model) if energy else GradientWrapper(model)).eval()
    output = "energy" if energy else "grad"
    x = torch.randn(2, 1, 28, 28)
    y = torch.tensor([0, 10], dtype=torch.int64)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    torch.onnx.export(wrapper, (x, y), out_path, input_names=["x", "y"], output_names=[output],
                      opset_version=17, dynamic_axes={"x": {0: "B"}, "y": {0: "B"}, output: {0: "B"}},
                      do_constant_folding=True)
    g = torch.Generator().manual_seed(seed)
    xf = torch.randn(n_fixture, 1, 28, 28, generator=g).clamp(-3, 3)
    xf[0] = xf[0] * 0.2  # a near-data-range input too
    yf = torch.tensor([i % 11 if i < n_fixture - 1 else 10 for i in range(n_fixture)], dtype=torch.int64)
    with torch.no_grad():
        out = wrapper(xf, yf)
    fixture = dict(onnx=os.path.abspath(out_path), shape=[n_fixture, 1, 28, 28], output=output,
                   x=xf.flatten().tolist(), y=yf.tolist(), **{output: out.flatten().tolist()})
    os.makedirs(os.path.dirname(os.path.abspath(fixture_path)), exist_ok=True)
    with open(fixture_path, "w") as f:
        json.dump(fixture, f)
    return fixture_path


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--fixture", default=None)
    p.add_argument("--raw", action="store_true", help="export the raw weights instead of the EMA")
    p.add_argument("--energy", action="store_true", help="export the EqM-E energy E(x) = sum(x g(x)) (output energy)")
    args = p.parse_args()
    model, ck = load_model(args.ckpt, use_ema=not args.raw)
    fixture = args.fixture or os.path.splitext(args.out)[0] + ".parity.json"
    export(model, args.out, fixture, energy=args.energy)
    print(json.dumps(dict(onnx=args.out, fixture=fixture, step=ck["state"]["step"],
                          images=ck["state"]["images"], bytes=os.path.getsize(args.out))))


if __name__ == "__main__":
    main()
