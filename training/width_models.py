"""Random-weight gradient networks of given widths, exported as the app exports the shipped one, for
bench/model-widths.ts (what a wider network costs per call before any training):
  /usr/bin/python3 training/width_models.py --out /tmp/widths 32,64,128 32,64,256 48,96,192
Prints each width's parameters and multiply-accumulates per row (convolutions)."""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import UNet  # noqa: E402
from export import export  # noqa: E402


def conv_macs(model):
    """Multiply-accumulates of one row through the network's convolutions."""
    macs = []

    def hook(mod, inp, out):
        if isinstance(mod, torch.nn.ConvTranspose2d):
            macs.append(inp[0].numel() * mod.out_channels * mod.kernel_size[0] * mod.kernel_size[1])
        else:
            macs.append(out.numel() * mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1])

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28), torch.tensor([0]))
    for h in handles:
        h.remove()
    return sum(macs)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("widths", nargs="+", help="channels per level, e.g. 32,64,128")
    args = p.parse_args()
    torch.manual_seed(0)
    for width in args.widths:
        channels = tuple(int(v) for v in width.split(","))
        model = UNet(channels=channels).eval()
        # the output convolution starts at zero: give it weights, so the timing is of a real call
        torch.nn.init.normal_(model.out.weight, 0, 0.02)
        name = "-".join(str(c) for c in channels)
        path = os.path.join(args.out, name + ".onnx")
        export(model, path, os.path.join(args.out, name + ".parity.json"))
        print(json.dumps(dict(channels=channels, onnx=path, parameters=sum(p.numel() for p in model.parameters()), macsPerRow=conv_macs(model))))


if __name__ == "__main__":
    main()
