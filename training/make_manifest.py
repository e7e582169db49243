"""Write models/fashion-mnist/manifest.json from the run's config/checkpoint and an evaluation
record (a line of training/results/eval.jsonl chosen by --tag).

/usr/bin/python3 training/make_manifest.py --ckpt training/runs/eqm-main/ckpt.pt --tag default
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import CLASSES, NULL_CLASS  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", default=os.path.join(HERE, "runs", "eqm-main", "ckpt.pt"))
    p.add_argument("--tag", default="default")
    p.add_argument("--floor", type=float, required=False, default=None)
    p.add_argument("--out", default=os.path.join(HERE, "..", "models", "fashion-mnist", "manifest.json"))
    args = p.parse_args()
    ck = torch.load(args.ckpt)
    cfg = ck["config"]
    recs = [json.loads(line) for line in open(os.path.join(HERE, "results", "eval.jsonl"))]
    rec = [r for r in recs if r.get("tag") == args.tag][-1]
    floors = [json.loads(line) for line in open(os.path.join(HERE, "results", "floor.jsonl"))]
    floor = args.floor if args.floor is not None else \
        sum(f["fid"] for f in floors if f["kind"] == "floor") / len([f for f in floors if f["kind"] == "floor"])
    ch = cfg["model"]["channels"]
    manifest = {
        "schemaVersion": 1,
        "id": "fashion-mnist",
        "title": "Fashion-MNIST (EqM conv U-Net)",
        "space": "pixel",
        "shape": [1, 28, 28],
        "valueRange": [-1, 1],
        "classes": CLASSES,
        "nullClass": NULL_CLASS,
        "files": {"gradient": "eqm.onnx", "classifier": "classifier.onnx"},
        "sampler": {"method": rec["method"], "stepSize": rec["eta"], "mu": rec["mu"], "maxSteps": rec["steps"],
                    "stopGradNorm": rec["stop"], "cfg": rec["cfg"]},
        "ood": None,
        "provenance": {
            "data": "dataset-fashion-mnist (Debian), 60000 train images",
            "objective": "EqM, truncated decay a=0.8, lambda=4",
            "architecture": (f"conv U-Net 28-14-7, channels {ch[0]}/{ch[1]}/{ch[2]}, residual blocks with GroupNorm, "
                             f"class embedding {cfg['model']['emb_dim']}-d (scale/shift), no time input, EMA "
                             f"{cfg['ema']} weights"),
            "parameters": cfg["parameters"],
            "imagesSeen": ck["state"]["images"],
            "trainMinutes": round(ck["state"]["train_seconds"] / 60, 1),
            "command": cfg["command"],
            "metrics": {
                "judgedAccuracy": round(rec["accuracy"], 4),
                "worstClassAccuracy": round(rec["worst_class"], 4),
                "fid": round(rec["fid"], 4),
                "fidFloor": round(floor, 4),
                "meanEvaluations": round(rec["mean_evals"], 2),
            },
        },
    }
    # the OOD calibration (ood_eval.py) and studio defaults (studio_defaults.py) come from
    # later steps: keep them when rewriting the rest
    if os.path.exists(args.out):
        with open(args.out) as f:
            previous = json.load(f)
        for key in ("ood", "studio"):
            if previous.get(key) is not None:
                manifest[key] = previous[key]
    with open(args.out, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(json.dumps(manifest["sampler"]), json.dumps(manifest["provenance"]["metrics"]))


if __name__ == "__main__":
    main()
