"""Add the explicit-energy (EqM-E) model to the manifest: files.energy and its provenance.

    /usr/bin/python3 training/export.py --energy --ckpt training/runs/eqme-small/ckpt.pt \\
        --out models/fashion-mnist/eqme-energy.onnx
    /usr/bin/python3 training/energy_manifest.py --ckpt training/runs/eqme-small/ckpt.pt

The engine then reports the energy beside each descent and can score OOD by it ("energy").
"""
import argparse
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", required=True)
    p.add_argument("--file", default="eqme-energy.onnx")
    p.add_argument("--manifest", default=os.path.join(HERE, "..", "models", "fashion-mnist", "manifest.json"))
    args = p.parse_args()
    ck = torch.load(args.ckpt)
    cfg, state = ck["config"], ck["state"]
    with open(args.manifest) as f:
        manifest = json.load(f)
    manifest["files"]["energy"] = args.file
    ch = cfg["model"]["channels"]
    manifest["provenance"]["energyModel"] = {
        "objective": "EqM-E (explicit energy, dot product E(x) = sum(x g(x))), truncated decay a=0.8, lambda=4, double backprop",
        "architecture": f"conv U-Net 28-14-7, channels {ch[0]}/{ch[1]}/{ch[2]}, class embedding {cfg['model']['emb_dim']}-d, no time input, EMA",
        "parameters": cfg["parameters"],
        "imagesSeen": state["images"],
        "trainMinutes": round(state["train_seconds"] / 60, 1),
        "command": cfg["command"],
        "use": "energy beside each descent and the OOD score 'energy'; sampling uses the gradient model",
    }
    with open(args.manifest, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(json.dumps(manifest["provenance"]["energyModel"]))


if __name__ == "__main__":
    main()
