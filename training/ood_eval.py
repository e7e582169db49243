"""OOD scores compared: AUROC and FPR at 95% TPR for every score on every set, the chosen
score calibrated, and (with --write-manifest) the calibration written into the manifest.

    /usr/bin/python3 training/ood_sets.py --out training/data-cache/ood
    node out/main/ood-features.js --sets training/data-cache/ood
    /usr/bin/python3 training/ood_eval.py --features training/data-cache/ood/features.json \\
        --report training/OOD.md --write-manifest models/fashion-mnist/manifest.json

Convention: a higher score means further from the training data; in-distribution images are
the negatives. TPR is the share of in-distribution images that pass (the threshold is the
calibration split's 95th percentile); FPR@95 is the share of an OOD set that passes too.
The engine's scores (src/engine/ood.ts; their list is src/shared/settings.ts OOD_SCORE) are
computed by the engine from the features (bench/engine-batch.ts); this file fits the Gaussians
and tabulates.
"""
import argparse
import functools
import json

import numpy as np

import engine_batch

QUANTILES = [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0]
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def auroc(negatives, positives):
    """P(score of a positive > score of a negative), ties counting half (Mann-Whitney U)."""
    neg = np.asarray(negatives, np.float64)
    pos = np.asarray(positives, np.float64)
    if len(neg) == 0 or len(pos) == 0:
        raise ValueError("auroc needs both negatives and positives")
    scores = np.concatenate([neg, pos])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores), np.float64)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    rank_sum = ranks[len(neg):].sum()
    return float((rank_sum - len(pos) * (len(pos) + 1) / 2.0) / (len(pos) * len(neg)))


def fpr_at_tpr(negatives, positives, tpr=0.95):
    """Share of positives at or under the threshold that lets `tpr` of the negatives pass."""
    threshold = np.quantile(np.asarray(negatives, np.float64), tpr)
    return float(np.mean(np.asarray(positives, np.float64) <= threshold))


def gaussian_fit(vectors, ridge=1e-6):
    v = np.asarray(vectors, np.float64)
    mean = v.mean(axis=0)
    cov = np.cov(v, rowvar=False) + ridge * np.eye(v.shape[1])
    return mean, np.linalg.inv(cov)


def log_rms(s):
    return np.log(np.maximum(np.asarray(s["rms"]), 1e-12))


def with_dot(s):
    return np.hstack([log_rms(s), np.asarray(s["dot"])[:, None]])


@functools.lru_cache(maxsize=1)
def engine_kinds():
    """The OOD scores the engine computes, as the engine reports them (src/shared/settings.ts OOD_SCORE)."""
    return engine_batch.ood_score_kinds()


def score_calibration(name, features, fit):
    """What the engine needs to compute score `name`: the manifest's ood block without the
    quantiles and threshold (the Gaussians fitted on the calibration split)."""
    calib = {"score": name, "noiseLevels": features["noiseLevels"] if name != "grad-rms" else [0], "seeds": features["seeds"]}
    if name in fit:
        mean, precision = fit[name]
        calib["mean"] = [float(v) for v in mean]
        calib["precision"] = [[float(v) for v in row] for row in precision]
    return calib


def engine_scores(features, fit):
    """Every engine score of every set, computed by the engine (bench/engine-batch.ts): set -> kind -> scores."""
    has_energy = all("energy" in d for d in features["sets"].values())
    kinds = [k for k in engine_kinds() if k != "energy" or has_energy]
    sets = {name: {k: d[k] for k in ("rms", "dot", "energy") if k in d} for name, d in features["sets"].items()}
    response = engine_batch.call({"op": "ood-scores", "sets": sets, "calibrations": [score_calibration(k, features, fit) for k in kinds]})
    return {name: {kind: np.asarray(v, np.float64) for kind, v in by_kind.items()} for name, by_kind in response["scores"].items()}


def candidate_scores(features, fit):
    """score name -> function(set name) -> scores. The engine's scores come from the engine;
    the others (opposite signs, single noise levels) are for comparison only."""
    computed = engine_scores(features, fit)
    sets = features["sets"]
    candidates = {kind: (lambda k: lambda name: computed[name][k])(kind) for kind in next(iter(computed.values()))}
    candidates["neg-dot"] = lambda name: -np.asarray(sets[name]["dot"])
    for i, level in enumerate(features["noiseLevels"]):
        if level > 0:
            candidates[f"grad-rms@{level}"] = (lambda k: lambda name: np.asarray(sets[name]["rms"])[:, k])(i)
    if "energy" in candidates:
        # EqM-E: data sit at minima of E, so a higher energy means further from the data
        candidates["neg-energy"] = lambda name: -computed[name]["energy"]
    return candidates


def evaluate(features):
    sets = features["sets"]
    calib = sets["fmnist-calib"]
    fit = {"mahalanobis": gaussian_fit(log_rms(calib)), "mahalanobis-dot": gaussian_fit(with_dot(calib))}
    candidates = candidate_scores(features, fit)
    table = {}
    for name, fn in candidates.items():
        neg = fn("fmnist-test")
        row = {}
        for set_name, data in sets.items():
            if data["kind"] in ("ood", "near-ood"):
                pos = fn(set_name)
                row[set_name] = {"auroc": auroc(neg, pos), "fpr95": fpr_at_tpr(neg, pos)}
        near = np.concatenate([fn(n) for n, d in sets.items() if d["kind"] == "near-ood"])
        row["near-ood pooled"] = {"auroc": auroc(neg, near), "fpr95": fpr_at_tpr(neg, near)}
        table[name] = row
    return table, fit


def choose(table, kinds=None):
    """The engine score with the best mean AUROC over all OOD sets and the pooled near-OOD."""
    kinds = kinds if kinds is not None else engine_kinds()

    def mean_auroc(row):
        return np.mean([v["auroc"] for k, v in row.items() if k not in ("vflip", "invert")])
    return max((name for name in table if name in kinds), key=lambda name: mean_auroc(table[name]))


def per_class_near_ood(fn, labels_by_set):
    neg = fn("fmnist-test")
    out = {}
    for set_name in ("vflip", "invert"):
        pos = fn(set_name)
        labels = np.asarray(labels_by_set[set_name])
        out[set_name] = {CLASSES[c]: auroc(neg[labels == c], pos[labels == c]) for c in range(10) if np.any(labels == c)}
    return out


def calibration(features, name, fit, tpr=0.95):
    scores = candidate_scores(features, fit)[name]("fmnist-calib")
    calib = score_calibration(name, features, fit)
    calib.update(quantiles=[[q, float(np.quantile(scores, q))] for q in QUANTILES], threshold=float(np.quantile(scores, tpr)),
                 tpr=tpr, calibrationImages=int(len(scores)))
    return calib


def report(table, chosen, per_class, command):
    sets = [k for k in next(iter(table.values())).keys()]
    lines = ["# OOD detection: scores compared", "", "AUROC (FPR@95% TPR) per score and set; in-distribution = held-out Fashion-MNIST test images.",
             f"Chosen score (best mean AUROC): **{chosen}**.", "", "| score | " + " | ".join(sets) + " |", "|---|" + "---|" * len(sets)]
    for name, row in table.items():
        cells = [f"{row[s]['auroc']:.3f} ({row[s]['fpr95']:.2f})" for s in sets]
        lines.append(f"| {'**' + name + '**' if name == chosen else name} | " + " | ".join(cells) + " |")
    if "energy" in table:
        lines += ["", "Score energy: the explicit-energy EqM-E model (manifest files.energy; its run in provenance.energyModel), "
                  "unconditional, E(x) = sum(x g(x)); neg-energy is its opposite sign, for completeness."]
    lines += ["", f"Near-OOD AUROC per class, score {chosen}:", "", "| transform | " + " | ".join(CLASSES) + " |", "|---|" + "---|" * len(CLASSES)]
    for t, row in per_class.items():
        lines.append(f"| {t} | " + " | ".join(f"{row.get(c, float('nan')):.2f}" for c in CLASSES) + " |")
    lines += ["", "Reproduce:", "", "```", command, "```", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--features", default="training/data-cache/ood/features.json")
    parser.add_argument("--index", default=None, help="index.json of the sets (labels); default beside the features")
    parser.add_argument("--report", default=None)
    parser.add_argument("--write-manifest", default=None)
    parser.add_argument("--score", default=None, help="calibrate this score instead of the best one")
    args = parser.parse_args()
    with open(args.features) as f:
        features = json.load(f)
    index_path = args.index or args.features.rsplit("/", 1)[0] + "/index.json"
    with open(index_path) as f:
        labels_by_set = {s["name"]: s.get("labels") for s in json.load(f)["sets"]}
    table, fit = evaluate(features)
    chosen = args.score or choose(table)
    if args.write_manifest and chosen not in engine_kinds():
        raise SystemExit(f"--score {chosen}: the engine does not compute it (it computes {', '.join(engine_kinds())})")
    per_class = per_class_near_ood(candidate_scores(features, fit)[chosen], labels_by_set)
    for name, row in table.items():
        print(f"{name:22s} " + " ".join(f"{k}={v['auroc']:.3f}" for k, v in row.items()))
    print("chosen:", chosen)
    command = __doc__.split("\n\n")[1].strip()
    if args.report:
        with open(args.report, "w") as f:
            f.write(report(table, chosen, per_class, command))
    if args.write_manifest:
        with open(args.write_manifest) as f:
            manifest = json.load(f)
        manifest["ood"] = calibration(features, chosen, fit)
        with open(args.write_manifest, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        print("calibration written to", args.write_manifest)


if __name__ == "__main__":
    main()
