"""RMS of the guided gradient along the descent (no stop), and judged accuracy / FID if the
samples were taken at given steps: used to choose the stop threshold.
/usr/bin/python3 training/trace.py --ckpt training/runs/eqm-main/ckpt.pt --method nag --eta 0.02 --per-class 10
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from classifier import load_classifier  # noqa: E402
from evaluate import judge, load_gen, test_stats, append  # noqa: E402
from sampler import guided_field  # noqa: E402
from shipped_sampler import shipped_sampler  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", default=os.path.join(HERE, "runs", "eqm-main", "ckpt.pt"))
    shipped = shipped_sampler()  # defaults: the shipped manifest's sampler (the app's defaults)
    p.add_argument("--method", default=shipped["method"])
    p.add_argument("--eta", type=float, default=shipped["eta"])
    p.add_argument("--mu", type=float, default=shipped["mu"])
    # one guidance for the whole trace: the manifest's (near-equilibrium) CFG where it guides by place
    p.add_argument("--cfg", type=float, default=shipped["cfg_near"] if shipped["cfg_near"] is not None else shipped["cfg"])
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--per-class", type=int, default=10)
    p.add_argument("--at", default="10,15,20,25,30,40,50,60")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--tag", default="")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    model, ck = load_gen(args.ckpt)
    clf = load_classifier()
    stats = test_stats(clf)
    at = [int(a) for a in args.at.split(",")]
    y = torch.arange(10).repeat_interleave(args.per_class)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(len(y), 1, 28, 28, generator=g)
    prev = torch.zeros_like(x)
    look = args.eta * args.mu if args.method == "nag" else 0.0
    rms_q = []
    for step in range(1, args.steps + 1):
        f = guided_field(model, x - look * prev, y, args.cfg)
        prev = f
        rms = f.flatten(1).pow(2).mean(1).sqrt()
        rms_q.append([round(float(v), 4) for v in torch.quantile(rms, torch.tensor([0.1, 0.5, 0.9]))])
        x = x - args.eta * f
        if step in at:
            r = judge(clf, x, y, stats)
            append("trace.jsonl", dict(tag=args.tag, step_ckpt=ck["state"]["step"], method=args.method, eta=args.eta,
                                       mu=args.mu, cfg=args.cfg, at=step, rms_q10_50_90=rms_q[-1], n=len(y),
                                       accuracy=r["accuracy"], worst_class=r["worst_class"], fid=r["fid"]))


if __name__ == "__main__":
    main()
