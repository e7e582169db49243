"""Composition measured: for class pairs, the share of composed samples the judge assigns to
one of the pair, how its probability splits between them, and the same for each class alone.

    /usr/bin/python3 training/compose_bench.py --per-pair 100 --report training/COMPOSE.md

Samples come from the app's engine itself (src/engine: the generate job, through
bench/engine-batch.ts), whose composition is f = f_u + s sum_k w_k (f_ck - f_u) (energies add),
with the composition's sampler (manifest studio.compose) and the shipped model; weights and CFG are swept to choose the
app's defaults. A grid per pair
(each class alone, then composed, same seeds) goes to training/results/compose-<pair>.png.
"""
import argparse
import json
import os

import torch

from classifier import classify, load_classifier
import engine_batch
from data import CLASSES
from evaluate import save_grid
from report_file import write_keeping_tail
from studio_defaults import composition_default

HERE = os.path.dirname(os.path.abspath(__file__))
PAIRS = [("Sneaker", "Sandal"), ("Shirt", "Dress"), ("Trouser", "Bag")]


def sample(conditions, cfg, n, seed, settings):
    """n images from the app's engine (its generate job through bench/engine-batch.ts): the
    guided gradient f = f_u + cfg sum_k w_k (f_ck - f_u) with the composition's sampler `settings`
    and this CFG, image i from the engine's seed for (seed, i). Returns (images, steps per image)."""
    job = {"seed": seed, "count": n, "conditions": engine_batch.conditions(conditions), "sampler": dict(settings, cfg=cfg)}
    images = engine_batch.call({"op": "generate", "jobs": [job]})["results"][0]
    x = torch.stack([engine_batch.bytes_to_values(engine_batch.from_u8(r["image"], (1, 28, 28))) for r in images])
    return x, torch.tensor([r["steps"] for r in images])


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
    parser.add_argument("--per-pair", type=int, default=100)
    parser.add_argument("--weights", default="0.5,0.6,1.0")
    parser.add_argument("--cfgs", default="1.5,2.5")
    parser.add_argument("--report", default=None)
    parser.add_argument("--json", default=os.path.join(HERE, "results", "compose.json"))
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("EQM_THREADS", "2")))
    # the composition's sampler as the app resolves it (manifest studio.compose over the model's sampler)
    settings = engine_batch.tool_sampler("compose")
    clf = load_classifier()
    rows = []
    for a_name, b_name in PAIRS:
        a, b = CLASSES.index(a_name), CLASSES.index(b_name)
        for cfg in [float(v) for v in args.cfgs.split(",")]:
            singles = {}
            for name, c in ((a_name, a), (b_name, b)):
                x, _ = sample([(c, 1.0)], cfg, args.per_pair, 7, settings)
                singles[name] = (x, judge_pair(clf, x, a, b))
            for w in [float(v) for v in args.weights.split(",")]:
                x, steps = sample([(a, w), (b, w)], cfg, args.per_pair, 7, settings)
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
        # the negative-weight section below is measured by bench/compose-variety.ts and kept as is
        write_keeping_tail(args.report, "\n".join(lines), "## Variety with a negative weight")
    print("default:", best)


if __name__ == "__main__":
    main()
