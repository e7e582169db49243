"""Composition measured: for class pairs, the share of composed samples the judge assigns to
one of the pair, how its probability splits between them, and the same for each class alone.

    /usr/bin/python3 training/compose_bench.py --per-pair 100 --report training/COMPOSE.md

Composition is the engine's formula f = f_u + s sum_k w_k (f_ck - f_u) (energies add), with the
manifest's sampler; weights and CFG are swept to choose the app's defaults. A grid per pair
(each class alone, then composed, same seeds) goes to training/results/compose-<pair>.png.
"""
import argparse
import json
import os

import torch

from classifier import classify, load_classifier
from data import CLASSES, NULL_CLASS
from evaluate import save_grid
from export import load_model
from sampler import descend
from studio_defaults import composition_default

HERE = os.path.dirname(os.path.abspath(__file__))
PAIRS = [("Sneaker", "Sandal"), ("Shirt", "Dress"), ("Trouser", "Bag")]


def composed_field(model, conditions, cfg):
    """f = f_u + cfg * sum_k w_k (f_ck - f_u), all rows in one call."""
    def field(x, _y):
        n = x.shape[0]
        labels = [NULL_CLASS] + [c for c, _ in conditions]
        xs = torch.cat([x] * len(labels), 0)
        ys = torch.cat([torch.full((n,), label, dtype=torch.long) for label in labels], 0)
        out = model(xs, ys)
        fu = out[:n]
        return fu + cfg * sum(w * (out[(k + 1) * n:(k + 2) * n] - fu) for k, (_, w) in enumerate(conditions))
    return field


@torch.no_grad()
def sample(model, conditions, cfg, settings, n, seed):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.randn(n, 1, 28, 28, generator=g)
    x, steps, _ = descend(model, torch.zeros(n, dtype=torch.long), method=settings["method"], step_size=settings["stepSize"], mu=settings["mu"],
                          max_steps=settings["maxSteps"], stop_grad_norm=settings["stopGradNorm"], x0=x0, field=composed_field(model, conditions, cfg))
    return x.clamp(-1, 1), steps


def judge_pair(clf, x, a, b):
    logits, _ = classify(clf, x)
    p = logits.softmax(1)
    pred = p.argmax(1)
    return {
        "inPair": float(((pred == a) | (pred == b)).float().mean()),
        "shareA": float((pred == a).float().mean()),
        "shareB": float((pred == b).float().mean()),
        "probA": float(p[:, a].mean()),
        "probB": float(p[:, b].mean()),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", default=os.path.join(HERE, "runs", "eqm-main", "ckpt.pt"))
    parser.add_argument("--manifest", default=os.path.join(HERE, "..", "models", "fashion-mnist", "manifest.json"))
    parser.add_argument("--per-pair", type=int, default=100)
    parser.add_argument("--weights", default="0.5,0.6,1.0")
    parser.add_argument("--cfgs", default="1.5,2.5")
    parser.add_argument("--report", default=None)
    parser.add_argument("--json", default=os.path.join(HERE, "results", "compose.json"))
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("EQM_THREADS", "2")))
    with open(args.manifest) as f:
        settings = json.load(f)["sampler"]
    model, _ = load_model(args.ckpt)
    clf = load_classifier()
    rows = []
    for a_name, b_name in PAIRS:
        a, b = CLASSES.index(a_name), CLASSES.index(b_name)
        for cfg in [float(v) for v in args.cfgs.split(",")]:
            singles = {}
            for name, c in ((a_name, a), (b_name, b)):
                x, _ = sample(model, [(c, 1.0)], cfg, settings, args.per_pair, seed=7)
                singles[name] = (x, judge_pair(clf, x, a, b))
            for w in [float(v) for v in args.weights.split(",")]:
                x, steps = sample(model, [(a, w), (b, w)], cfg, settings, args.per_pair, seed=7)
                row = {"pair": [a_name, b_name], "weight": w, "cfg": cfg, "composed": judge_pair(clf, x, a, b),
                       "alone": {k: v[1] for k, v in singles.items()}, "meanSteps": float(steps.float().mean())}
                rows.append(row)
                print(json.dumps(row))
                if w == 0.5 and cfg == float(args.cfgs.split(",")[0]):
                    grid = torch.cat([singles[a_name][0][:8], singles[b_name][0][:8], x[:8]])
                    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
                    save_grid(grid, os.path.join(HERE, "results", f"compose-{a_name.lower()}-{b_name.lower()}.png"), 8)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"perPair": args.per_pair, "sampler": settings, "rows": rows}, f, indent=2)
    best = composition_default(rows)  # best mean in-pair share with both classes represented
    if args.report:
        lines = ["# Composition benchmark", "",
                 f"{args.per_pair} samples per pair and setting, same seeds; sampler {settings}. In pair = the judge gives one of the two classes; shares and mean probabilities per class.", "",
                 "| pair | w | cfg | in pair | share A / B | prob A / B | A alone: in pair | B alone: in pair |", "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            c = r["composed"]
            al = list(r["alone"].values())
            lines.append(f"| {r['pair'][0]} + {r['pair'][1]} | {r['weight']} | {r['cfg']} | {c['inPair']:.2f} | {c['shareA']:.2f} / {c['shareB']:.2f} | {c['probA']:.2f} / {c['probB']:.2f} | {al[0]['inPair']:.2f} | {al[1]['inPair']:.2f} |")
        lines += ["", f"Chosen default (best mean in-pair share with both classes >= 10%): weight {best[0]} each, CFG {best[1]}.", "",
                  "Grids (each class alone, then composed, same seeds): " + ", ".join(f"results/compose-{a.lower()}-{b.lower()}.png" for a, b in PAIRS), "",
                  "Reproduce:", "", "```", f"/usr/bin/python3 training/compose_bench.py --per-pair {args.per_pair} --weights {args.weights} --cfgs {args.cfgs} --report training/COMPOSE.md", "```", ""]
        with open(args.report, "w") as f:
            f.write("\n".join(lines))
    print("default:", best)


if __name__ == "__main__":
    main()
