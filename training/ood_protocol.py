"""Leave-one-family-out: a score is never reported on the families it was chosen or fitted with.

A family is a group of OOD sets held out together (ood_families.family_of: the rotations and flips
are one family, the two noises another, every other set its own). For each family, the score is
chosen with the other families only (the best worst-family AUROC, ties broken by the mean) and
reported on the held-out family. The Gaussians behind the mahalanobis scores and the threshold are
fitted on in-distribution calibration images only, so no OOD family enters them at all.

Pure functions of score functions (name -> set name -> scores), so they test without the engine.
"""
import numpy as np

IN_SET = "fmnist-test"
CALIB_SET = "fmnist-calib"


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


def family_results(fn, families):
    """family -> {auroc, fpr95, sets: {set: auroc}} of one score, each family's sets pooled."""
    neg = fn(IN_SET)
    out = {}
    for family, sets in families.items():
        pos = np.concatenate([fn(s) for s in sets])
        out[family] = {"auroc": auroc(neg, pos), "fpr95": fpr_at_tpr(neg, pos), "sets": {s: auroc(neg, fn(s)) for s in sets}}
    return out


def choose_on(per_score, families, kinds):
    """The score whose worst family (of `families`) has the highest AUROC; ties by the mean."""
    def key(kind):
        values = [per_score[kind][f]["auroc"] for f in families]
        return (round(min(values), 6), float(np.mean(values)))
    return max(kinds, key=key)


def leave_one_family_out(candidates, families, kinds):
    """One row per held-out family, the worst first: the score chosen without it and its results on it."""
    if len(families) < 2:
        raise ValueError("leave-one-family-out needs at least two families")
    per_score = {kind: family_results(candidates[kind], families) for kind in kinds}
    rows = []
    for held in families:
        chosen = choose_on(per_score, [f for f in families if f != held], kinds)
        rows.append({"family": held, "score": chosen, **per_score[chosen][held]})
    return sorted(rows, key=lambda r: r["auroc"]), per_score


def pass_rate(fn, tpr=0.95):
    """Share of held-out in-distribution images at or under the calibration split's threshold."""
    threshold = np.quantile(np.asarray(fn(CALIB_SET), np.float64), tpr)
    return float(np.mean(np.asarray(fn(IN_SET), np.float64) <= threshold))


def families_of(set_kinds, family_of):
    """family -> its OOD set names, and family -> kind ("ood" far, "near-ood" near)."""
    families, kinds = {}, {}
    for name, kind in set_kinds.items():
        if kind in ("ood", "near-ood"):
            family = family_of(name)
            families.setdefault(family, []).append(name)
            if kinds.setdefault(family, kind) != kind:
                raise ValueError(f"family {family} mixes far and near OOD sets")
    return families, kinds


def held_out_table(rows, family_kind):
    """The leave-one-family-out rows as a table, then the worst far and near families against the targets."""
    lines = ["| held-out family | kind | chosen without it | AUROC | FPR@95 | its sets |", "|---|---|---|---|---|---|"]
    for r in rows:
        sets = ", ".join(f"{s} {a:.3f}" for s, a in r["sets"].items())
        lines.append(f"| {r['family']} | {'far' if family_kind[r['family']] == 'ood' else 'near'} | {r['score']} | {r['auroc']:.3f} | {r['fpr95']:.2f} | {sets} |")
    far = [r["auroc"] for r in rows if family_kind[r["family"]] == "ood"]
    near = [r["auroc"] for r in rows if family_kind[r["family"]] == "near-ood"]
    return lines + ["", f"Worst far-OOD family {min(far):.3f} (target 0.95); worst near-OOD family {min(near):.3f} (target 0.85)." if far and near else ""]


def report_lines(rows, per_score, family_kind, pass_rates, shipped):
    lines = ["## Leave-one-family-out", "",
             "Each family held out in turn: the score is chosen on the other families (its worst family AUROC, ties by the mean) "
             "and reported on the held-out one. Worst family first. Gaussians and thresholds use in-distribution calibration images only.", ""]
    lines += held_out_table(rows, family_kind) + [""]
    families = [r["family"] for r in rows]
    lines += ["Every engine score on every family (a fixed score, nothing chosen; AUROC), with its in-distribution pass rate at the "
              "calibrated threshold (target 0.95):", "", "| score | pass rate | worst far | worst near | " + " | ".join(families) + " |",
              "|---|---|---|---|" + "---|" * len(families)]
    for kind, by_family in per_score.items():
        far_k = [by_family[f]["auroc"] for f in families if family_kind[f] == "ood"]
        near_k = [by_family[f]["auroc"] for f in families if family_kind[f] == "near-ood"]
        name = f"**{kind}**" if kind == shipped else kind
        lines.append(f"| {name} | {pass_rates[kind]:.3f} | {min(far_k):.3f} | {min(near_k):.3f} | " + " | ".join(f"{by_family[f]['auroc']:.3f}" for f in families) + " |")
    return lines
