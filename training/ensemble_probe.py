"""Ensemble probe (RESULTS.md, "Several networks' energies added"): the descent on the mean of
several EqM networks' gradient fields, which is the gradient of the mean of their energies (EqM's
energies add, docs/method.md). Sampled with evaluate.py's sampler (the engine's twin) and judged as
evaluate.py judges. Settings as a JSON list (evaluate.py's sweep keys); results appended to --out.

    /usr/bin/python3 training/ensemble_probe.py --ckpts training/runs/eqm-spatial-gpu2/ckpt.pt,training/runs/eqm-gpu2/ckpt.pt \
        --out ensemble-cpu.jsonl '[{"method":"nag","mu":0.3,"steps":50,"eta":0.02,"stop":0.15,"cfg":4.0,"cfg_near":4.0,"guide_until":3.0}]'
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluate as E  # noqa: E402
from classifier import load_classifier  # noqa: E402


class MeanField(torch.nn.Module):
    """The mean of the networks' outputs for the same (x, y): one field, several networks' cost."""

    def __init__(self, models, weights=None):
        super().__init__()
        self.models = torch.nn.ModuleList(models)
        w = weights or [1.0 / len(models)] * len(models)
        self.weights = [float(v) for v in w]

    def forward(self, x, y):
        return sum(w * m(x, y) for w, m in zip(self.weights, self.models))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("settings")
    p.add_argument("--ckpts", required=True, help="comma-separated checkpoints")
    p.add_argument("--weights", default=None, help="comma-separated weights (default: equal)")
    p.add_argument("--per-class", type=int, default=100)
    p.add_argument("--seeds", default="0")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default="ensemble-cpu.jsonl")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    paths = args.ckpts.split(",")
    weights = [float(v) for v in args.weights.split(",")] if args.weights else None
    field = MeanField([E.load_gen(c)[0] for c in paths], weights).eval()
    clf = load_classifier()
    stats = E.test_stats(clf)
    for s in json.loads(args.settings):
        for seed in [int(v) for v in args.seeds.split(",")]:
            rec, _ = E.run_setting(field, clf, stats, s, args.per_class, seed)
            rec.update(ckpts=paths, weights=field.weights)
            E.append(args.out, rec)


if __name__ == "__main__":
    main()
