"""OOD scores compared under leave-one-family-out (ood_protocol.py): AUROC and FPR at 95% TPR
for every score on every family, the shipped choice, and (with --write-manifest) its calibration
written into the manifest, only where it beats the shipped score on the worst family.

    /usr/bin/python3 training/ood_sets.py --out training/data-cache/ood --n-eval 300 --n-calib 1200
    node --import tsx bench/ood-features.ts --sets training/data-cache/ood    (about 45 minutes on 2 cores; --orientations '' --stretch false skip the copies, 8)
    /usr/bin/python3 training/ood_eval.py --features training/data-cache/ood/features.json --report training/OOD.md

Convention: a higher score means further from the training data; in-distribution images are
the negatives. TPR is the share of in-distribution images that pass (the threshold is the
calibration split's 95th percentile); FPR@95 is the share of an OOD set that passes too.
The engine's scores (src/engine/ood-kinds.ts; their list is src/shared/settings.ts OOD_SCORE) are
computed by the engine from the features (bench/engine-batch.ts); this file fits the Gaussians
and tabulates.
"""
import argparse
import functools
import json

import numpy as np

import engine_batch
import ood_families
import ood_protocol
from report_file import write_keeping_tail
from ood_protocol import auroc, fpr_at_tpr  # noqa: F401 (the metrics, used here and by the tests)

QUANTILES = [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0]
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def gaussian_fit(vectors, ridge=1e-6):
    v = np.asarray(vectors, np.float64)
    mean = v.mean(axis=0)
    cov = np.cov(v, rowvar=False) + ridge * np.eye(v.shape[1])
    return mean, np.linalg.inv(cov)


def log_rms(s):
    return np.log(np.maximum(np.asarray(s["rms"]), 1e-12))


def with_dot(s):
    return np.hstack([log_rms(s), np.asarray(s["dot"])[:, None]])


def with_cond(s):
    """(log rms, dot, log condRms, log cfgGap): the mahalanobis-cond vector, as src/engine/ood.ts builds it."""
    cond = np.log(np.maximum(np.stack([np.asarray(s["condRms"]), np.asarray(s["cfgGap"])], axis=1), 1e-12))
    return np.hstack([with_dot(s), cond])


def with_align(s):
    """(log rms, dot, align over the noised levels): the mahalanobis-align vector."""
    return np.hstack([with_dot(s), np.asarray(s["align"])])


def with_align_pair(s):
    """[the OOD network's align vector, the generating network's] (s["pair"], written by bench/ood-features.ts
    where the model has files.ood): the mahalanobis-align-pair vector, as src/engine/ood.ts builds it."""
    return np.hstack([with_align(s), with_align(s["pair"])])


def with_align_pair_classifier(s):
    """The pair vector and the classifier's features (s["classifier"]: log best-class probability, logsumexp of the
    logits, log feature norm): the mahalanobis-align-pair-classifier vector, as src/engine/ood.ts builds it."""
    return np.hstack([with_align_pair(s), np.asarray(s["classifier"])])


# Scores that read more than the EqM networks (the shipped classifier): reported apart, never chosen for the manifest
VARIANT_KINDS = ("mahalanobis-align-pair-classifier",)


def fit_gaussians(features):
    """The Gaussians of the mahalanobis scores, on the in-distribution calibration split only."""
    calib = features["sets"]["fmnist-calib"]
    fit = {"mahalanobis": gaussian_fit(log_rms(calib)), "mahalanobis-dot": gaussian_fit(with_dot(calib))}
    if has_conditional(features):
        fit["mahalanobis-cond"] = gaussian_fit(with_cond(calib))
    if has_align(features):
        fit["mahalanobis-align"] = gaussian_fit(with_align(calib))
    if has_pair(features):
        fit["mahalanobis-align-pair"] = gaussian_fit(with_align_pair(calib))
    if has_classifier(features):
        fit["mahalanobis-align-pair-classifier"] = gaussian_fit(with_align_pair_classifier(calib))
    if has_align_class(features):
        fit[CLASS_KIND] = engine_fit(features, CLASS_KIND, calib)
    if has_reoriented(features):
        fit[ORIENT_KIND] = engine_fit(features, ORIENT_KIND, calib)
    if has_stretched(features):
        fit[STRETCH_KIND] = engine_fit(features, STRETCH_KIND, calib)
    if has_recentred(features):
        fit[CENTRE_KIND] = engine_fit(features, CENTRE_KIND, calib)
    return fit


# the per-class score: class means and a shared covariance, fitted by the engine itself (src/engine/ood-fit.ts
# fitOodCalibration, the fit a user's calibration runs), so there is one implementation of it
CLASS_KIND = "mahalanobis-align-pair-class"
# the per-class score with the orientation check (src/engine/ood-copies.ts): its copies' features are
# `reoriented` in every set (bench/ood-features.ts --orientations), its margin fitted by the engine too
ORIENT_KIND = "mahalanobis-align-pair-class-orient"
ORIENTATIONS = ("hflip", "vflip", "rot90", "rot180", "rot270")
# the same with the contrast check beside it: each image stretched to full contrast, `stretched` in every set
STRETCH_KIND = "mahalanobis-align-pair-class-orient-stretch"
# and a centring check too: each image moved to the centre of the frame, `recentred` in every set
CENTRE_KIND = "mahalanobis-align-pair-class-orient-stretch-centre"
COPY_CHECK_KINDS = (ORIENT_KIND, STRETCH_KIND, CENTRE_KIND)


def engine_fit(features, kind, calib):
    """(mean, precision, extra manifest fields) of `kind` on the calibration features, from the engine's fit."""
    keys = {k: calib[k] for k in ENGINE_FEATURE_KEYS if k in calib}
    spec = {"noiseLevels": features["noiseLevels"], "seeds": features["seeds"], "alignClasses": int(features["classes"])}
    if kind in COPY_CHECK_KINDS:
        spec["orientations"] = list(ORIENTATIONS)
    fitted = engine_batch.call({"op": "ood-fit", "features": keys, "score": kind, "spec": spec, "tpr": 0.95})["calibration"]
    extra = {k: fitted[k] for k in ("classes", "classMeans", "orientations", "orientMargin", "stretchMargin", "centreMargin") if k in fitted}
    return np.asarray(fitted["mean"]), np.asarray(fitted["precision"]), extra


def has_align_class(features):
    return has_pair(features) and bool(features.get("classes")) and all("alignClass" in d for d in features["sets"].values())


def has_reoriented(features):
    return has_align_class(features) and all(all(o in d.get("reoriented", {}) for o in ORIENTATIONS) for d in features["sets"].values())


def has_stretched(features):
    return has_reoriented(features) and all("stretched" in d for d in features["sets"].values())


def has_recentred(features):
    return has_stretched(features) and all("recentred" in d for d in features["sets"].values())


def has_align(features):
    return all("align" in d for d in features["sets"].values())


def has_pair(features):
    """The generating network's features beside the OOD network's, in every set (and align in both)."""
    return has_align(features) and all("pair" in d and "align" in d["pair"] for d in features["sets"].values())


def has_classifier(features):
    return has_pair(features) and all("classifier" in d for d in features["sets"].values())


def has_conditional(features):
    return bool(features.get("classes")) and all("condRms" in d and "cfgGap" in d for d in features["sets"].values())


@functools.lru_cache(maxsize=1)
def engine_kinds():
    """The OOD scores the engine computes, as the engine reports them (src/shared/settings.ts OOD_SCORE)."""
    return engine_batch.ood_score_kinds()


def score_calibration(name, features, fit):
    """What the engine needs to compute score `name`: the manifest's ood block without the
    quantiles and threshold (the Gaussians fitted on the calibration split)."""
    calib = {"score": name, "noiseLevels": features["noiseLevels"] if name != "grad-rms" else [0], "seeds": features["seeds"]}
    if name == "mahalanobis-cond":
        calib["classes"] = int(features["classes"])
    if name in fit:
        mean, precision, *extra = fit[name]
        calib["mean"] = [float(v) for v in mean]
        calib["precision"] = [[float(v) for v in row] for row in precision]
        for fields in extra:
            calib.update(fields)
    return calib


def usable_kinds(features):
    """The engine's scores these features can give (energy needs the energy model's, mahalanobis-cond the conditional ones)."""
    has_energy = all("energy" in d for d in features["sets"].values())
    return [k for k in engine_kinds() if (k != "energy" or has_energy) and (k != "mahalanobis-cond" or has_conditional(features))
            and (k != "mahalanobis-align" or has_align(features)) and (k != "mahalanobis-align-pair" or has_pair(features))
            and (k != CLASS_KIND or has_align_class(features)) and (k != ORIENT_KIND or has_reoriented(features))
            and (k != STRETCH_KIND or has_stretched(features)) and (k != CENTRE_KIND or has_recentred(features))
            and (k not in VARIANT_KINDS or has_classifier(features))]


# the features the engine's scores read, as bench/ood-features.ts writes them (its other keys are labels)
ENGINE_FEATURE_KEYS = ("rms", "dot", "align", "condRms", "cfgGap", "energy", "pair", "classifier", "alignClass", "reoriented", "stretched", "recentred")


def engine_scores(features, fit):
    """Every engine score of every set, computed by the engine (bench/engine-batch.ts): set -> kind -> scores."""
    kinds = usable_kinds(features)
    sets = {name: {k: d[k] for k in ENGINE_FEATURE_KEYS if k in d} for name, d in features["sets"].items()}
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
    fit = fit_gaussians(features)
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


def protocol(features, fit, family_of=ood_families.family_of, variants=False):
    """Leave-one-family-out over the engine's scores (ood_protocol.py), the shipped choice (the best
    worst-family AUROC over all families) and every score's in-distribution pass rate. The EqM-only
    scores unless `variants` (then the classifier variant competes too, for its own report)."""
    candidates = candidate_scores(features, fit)
    kinds = [k for k in usable_kinds(features) if variants or k not in VARIANT_KINDS]
    families, family_kind = ood_protocol.families_of({n: d["kind"] for n, d in features["sets"].items()}, family_of)
    rows, per_score = ood_protocol.leave_one_family_out(candidates, families, kinds)
    chosen = ood_protocol.choose_on(per_score, list(families), kinds)
    pass_rates = {k: ood_protocol.pass_rate(candidates[k]) for k in kinds}
    return rows, per_score, family_kind, chosen, pass_rates


def per_class_near_ood(fn, labels_by_set, near_sets):
    neg = fn("fmnist-test")
    neg_labels = np.asarray(labels_by_set["fmnist-test"])
    out = {}
    for set_name in near_sets:
        pos = fn(set_name)
        labels = np.asarray(labels_by_set[set_name])
        out[set_name] = {CLASSES[c]: auroc(neg[neg_labels == c], pos[labels == c]) for c in range(10) if np.any(labels == c)}
    return out


def calibration(features, name, fit, tpr=0.95):
    scores = candidate_scores(features, fit)[name]("fmnist-calib")
    calib = score_calibration(name, features, fit)
    calib.update(quantiles=[[q, float(np.quantile(scores, q))] for q in QUANTILES], threshold=float(np.quantile(scores, tpr)),
                 tpr=tpr, calibrationImages=int(len(scores)))
    return calib


def variant_lines(lofo):
    """The leave-one-family-out table again with the classifier variant among the candidates (reported apart)."""
    rows, _, family_kind, _, pass_rates = lofo
    lines = ["## Variant with the classifier (reported apart)", "",
             "The issue allows the shipped classifier to add features only as a separate, reported variant. Score "
             "mahalanobis-align-pair-classifier: the pair vector plus three numbers of the model's classifier (files.classifier): "
             "log of its best class's probability, logsumexp of its logits, log of the norm of its feature layer; one Gaussian "
             "over all 23. Leave-one-family-out with it among the candidates (chosen without the held-out family as above):", ""]
    lines += ood_protocol.held_out_table(rows, family_kind)
    lines += ["", f"The variant's in-distribution pass rate at its threshold: "
              f"{pass_rates.get(VARIANT_KINDS[0], float('nan')):.3f}. Not shipped: the manifest keeps the EqM-only score; a model "
              "author can name it in a manifest's ood.score, and a user can fit their own calibration for it (`eqm calibrate --score "
              "mahalanobis-align-pair-classifier`, or the studio's score field); the engine computes it where the model has files.ood "
              "and files.classifier.", ""]
    return lines


def report(table, lofo, per_class, command, shipped_line, variant_lofo=None):
    rows, per_score, family_kind, chosen, pass_rates = lofo
    lines = ["# OOD detection: scores compared", "",
             "In-distribution = held-out Fashion-MNIST test images; higher score = further from the training data. "
             f"Shipped score: **{chosen}**, chosen on all families by its worst family AUROC; how well that choice generalises is "
             "the leave-one-family-out table, where no family is reported with a score chosen on it.", ""]
    lines += ["Families (training/ood_sets.py, training/ood_families.py; every set built offline from Debian packages): far OOD: digits "
              "(sklearn), letters A-J (DejaVu, Liberation), glyphs of Greek, Cyrillic, Armenian, Georgian, Hebrew and Arabic (DejaVu), "
              "skimage photo crops, sklearn photo crops, LFW faces, synthetic shapes, noise (gaussian and uniform, one family), constant "
              "images. Near OOD, transforms of held-out test images: flips and rotations of 90/180/270 degrees (one family: near-duplicates "
              "of one another), shifts of 4-6 px, crops keeping 50-75% of the area resized back, Gaussian blur sigma 1.5-2.5, contrast "
              "scaled by 0.3-0.5, a black rectangle over 25-40% of the area, inversion.", ""]
    lines += ood_protocol.report_lines(rows, per_score, family_kind, pass_rates, chosen)
    lines += ["", shipped_line]
    scores = list(table)
    lines += ["", "## Every score on every set", "", "AUROC per set (a fixed score each; the engine's scores and, for comparison, opposite signs and single noise levels).", "",
              "| set | kind | " + " | ".join(scores) + " |", "|---|---|" + "---|" * len(scores)]
    for set_name in next(iter(table.values())):
        kind = family_kind.get(ood_families.family_of(set_name), "pooled")
        lines.append(f"| {set_name} | {kind} | " + " | ".join(f"{table[k][set_name]['auroc']:.3f}" for k in scores) + " |")
    if "mahalanobis-cond" in table:
        lines += ["", "Score mahalanobis-cond: mahalanobis-dot's vector plus two class-conditional features of the same EqM field "
                  "(src/engine/ood.ts): the smallest class-conditional gradient RMS over the classes and the RMS of that class's "
                  "gradient minus the unconditional one (the CFG difference); 11 more model rows per image."]
    if "mahalanobis-align" in table:
        lines += ["", "Score mahalanobis-align: mahalanobis-dot's vector plus, at each noise level above 0, the cosine between the "
                  "field at the noised image and (noise - image), EqM's target direction there (no more model rows)."]
    if "mahalanobis-align-pair" in table:
        lines += ["", "Score mahalanobis-align-pair: one Gaussian over two mahalanobis-align vectors of the same image, the OOD "
                  "network's (manifest files.ood) then the generating network's (files.gradient), with the same noise levels, seeds "
                  "and noise (twice the model rows)."]
    if CLASS_KIND in table:
        lines += ["", f"Score {CLASS_KIND}: the mahalanobis-align-pair vector measured against the mean of the image's own class, "
                  "the class the OOD network finds itself (the class whose conditional field best recovers the noise, cos(f(x_l, c), "
                  "noise - image) averaged over the seeds at the top noise level l; classes x seeds more model rows), with one "
                  "covariance shared by the classes (the scatter around each calibration image's class mean). Fitted by the engine's "
                  "own calibration fit (bench/engine-batch.ts op ood-fit); a class with fewer than 5 calibration images takes the "
                  "overall mean."]
    if ORIENT_KIND in table:
        lines += ["", f"Score {ORIENT_KIND}: {CLASS_KIND}'s score s(x), checked against flipped and turned copies of the image "
                  "(src/engine/ood-copies.ts): s(x) exp(max(0, log s(x) - log min_T s(T x) - margin)) over T in hflip, vflip, "
                  "rot90, rot180, rot270, each copy scored by the same per-class fit; the margin is the 95th percentile of "
                  "log s(x) - log min_T s(T x) on the calibration images, fitted by the engine with the rest. Where a copy looks more "
                  "typical than the image by more than real images' copies do, the image stands the wrong way round for this data "
                  "(six times the per-class score's model rows)."]
    if STRETCH_KIND in table:
        lines += ["", f"Score {STRETCH_KIND}: {ORIENT_KIND}'s score with a second check multiplied in the same way: the copy is "
                  "the image stretched linearly from its own [min, max] onto the model's value range (src/engine/ood-copies.ts "
                  "stretched), with a margin of its own (95th percentile of log s(x) - log s(stretch x) on the calibration images). "
                  "Where the stretched copy looks more typical than the image by more than real images' do, the image was dimmed "
                  "or washed out (seven times the per-class score's model rows)."]
    if CENTRE_KIND in table:
        lines += ["", f"Score {CENTRE_KIND}: {STRETCH_KIND}'s score with a third check multiplied in the same way: the copy is the "
                  "image moved by whole pixels so that the centroid of its content (height above the value range's low end) lands "
                  "mid-frame (src/engine/ood-copies.ts recentred), with a margin of its own. Where the centred copy looks more typical "
                  "than the image by more than real images' do, the image was shifted off-centre (eight times the per-class score's "
                  "model rows)."]
    if "energy" in table:
        lines += ["", "Score energy: the explicit-energy EqM-E model (manifest files.energy; its run in provenance.energyModel), "
                  "unconditional, E(x) = sum(x g(x)); neg-energy is its opposite sign, for completeness."]
    if variant_lofo:
        lines += [""] + variant_lines(variant_lofo)
    lines += ["", f"Near-OOD AUROC per class, score {chosen}:", "", "| transform | " + " | ".join(CLASSES) + " |", "|---|" + "---|" * len(CLASSES)]
    for t, row in per_class.items():
        lines.append(f"| {t} | " + " | ".join(f"{row.get(c, float('nan')):.2f}" for c in CLASSES) + " |")
    lines += ["", "Reproduce:", "", "```", command, "```", "",
              "Adding `--write-manifest models/fashion-mnist/manifest.json` writes the chosen score's calibration, refused unless it beats "
              "the shipped score on the worst family and keeps the in-distribution pass rate.", ""]
    return "\n".join(lines)


def shipped_pass_rate(features, shipped):
    """Share of held-out in-distribution images passing at the manifest's own threshold, scored by the engine."""
    kind = shipped["score"]
    data = {k: v for k, v in features["sets"]["fmnist-test"].items() if k in ENGINE_FEATURE_KEYS}
    scores = engine_batch.call({"op": "ood-scores", "sets": {"fmnist-test": data}, "calibrations": [shipped]})["scores"]["fmnist-test"][kind]
    return float(np.mean(np.asarray(scores) <= shipped["threshold"]))


def worst_family(per_score, kind):
    return min(v["auroc"] for v in per_score[kind].values())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--features", default="training/data-cache/ood/features.json")
    parser.add_argument("--index", default=None, help="index.json of the sets (labels); default beside the features")
    parser.add_argument("--report", default=None)
    parser.add_argument("--write-manifest", default=None)
    parser.add_argument("--manifest", default="models/fashion-mnist/manifest.json", help="the shipped calibration, for its pass rate")
    parser.add_argument("--score", default=None, help="calibrate this score instead of the protocol's choice")
    args = parser.parse_args()
    with open(args.features) as f:
        features = json.load(f)
    index_path = args.index or args.features.rsplit("/", 1)[0] + "/index.json"
    with open(index_path) as f:
        labels_by_set = {s["name"]: s.get("labels") for s in json.load(f)["sets"]}
    table, fit = evaluate(features)
    lofo = protocol(features, fit)
    rows, per_score, family_kind, chosen, pass_rates = lofo
    chosen = args.score or chosen
    if args.write_manifest and chosen not in usable_kinds(features):
        raise SystemExit(f"--score {chosen}: the engine does not compute it from these features (it computes {', '.join(usable_kinds(features))})")
    near_sets = [n for n, d in features["sets"].items() if d["kind"] == "near-ood" and labels_by_set.get(n)]
    per_class = per_class_near_ood(candidate_scores(features, fit)[chosen], labels_by_set, near_sets)
    for r in rows:
        print(f"held out {r['family']:16s} {family_kind[r['family']]:9s} chosen without it: {r['score']:18s} AUROC {r['auroc']:.3f}")
    for kind in per_score:
        print(f"{kind:18s} worst family {worst_family(per_score, kind):.3f}  pass rate {pass_rates[kind]:.3f}")
    print("chosen:", chosen)
    command = "\n".join(line.strip() for line in __doc__.split("\n\n")[1].strip().splitlines())
    with open(args.manifest) as f:
        shipped_manifest = json.load(f)
    shipped, files = shipped_manifest["ood"], shipped_manifest["files"]
    rate = shipped_pass_rate(features, shipped)
    shipped_line = (f"Shipped calibration ({args.manifest}: score {shipped['score']}, threshold {shipped['threshold']:.4g} from "
                    f"{shipped.get('calibrationImages')} calibration images): {rate:.3f} of the {len(features['sets']['fmnist-test']['dot'])} "
                    "held-out in-distribution images pass (target 0.95).")
    print(shipped_line)
    network = files.get("ood", files.get("gradient"))
    if "-pair" in shipped["score"] and "ood" in files:
        shipped_line += f" Features from `{files['ood']}` (manifest files.ood) and `{files['gradient']}` (the descents' network): the pair score reads both."
    else:
        shipped_line += (f" Features from `{network}`" + (" (manifest files.ood; descents use " + f"`{files['gradient']}`)" if "ood" in files else "") + ".")
    if args.report:
        # a hand-written comparison of networks (its own heading, last in the file) survives a rerun
        variant_lofo = protocol(features, fit, variants=True) if has_classifier(features) else None
        write_keeping_tail(args.report, report(table, (rows, per_score, family_kind, chosen, pass_rates), per_class, command, shipped_line, variant_lofo),
                           "## Which network the score reads")
    if args.write_manifest:
        with open(args.write_manifest) as f:
            manifest = json.load(f)
        shipped = (manifest.get("ood") or {}).get("score")
        # the shipped calibration changes only for a score at least as good on the worst family that keeps the pass rate
        if shipped in per_score and shipped != chosen and not (
                worst_family(per_score, chosen) > worst_family(per_score, shipped) and pass_rates[chosen] >= min(0.95, pass_rates[shipped]) - 0.01):
            raise SystemExit(f"{chosen} does not beat the shipped {shipped} on the worst family with the pass rate kept: manifest unchanged")
        manifest["ood"] = calibration(features, chosen, fit)
        with open(args.write_manifest, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        print("calibration written to", args.write_manifest)


if __name__ == "__main__":
    main()
