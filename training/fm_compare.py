"""EqM against the flow-matching baseline at equal model evaluations, as a Markdown table.

    /usr/bin/python3 training/evaluate.py sweep --spec training/evals_compare.json --per-class 50 \
        --out eqm_vs_fm.jsonl --tag eqm-fixed-evals
    /usr/bin/python3 training/evaluate.py fm --ckpt training/runs/fm-main/ckpt.pt --per-class 50 --cfg 3 \
        --out eqm_vs_fm.jsonl --tag fm-main
    /usr/bin/python3 training/fm_compare.py

Reads training/results/eqm_vs_fm.jsonl. For each evaluation budget it keeps each side's best
setting by FID (EqM: step size; flow matching: Euler or Heun), as a user tuning either
sampler would, and says who wins at 25 and 50 evaluations.
"""
import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


BUDGETS = (10, 25, 50, 100)


def best_per_budget(recs, objective):
    """Best record by FID per budget. Heun spends 2 evaluations a step but 1 on its last, so
    it lands one short of an even budget (9 for 10): each run counts at its nearest budget."""
    best = {}
    for r in recs:
        if (r.get("objective") == "fm") != (objective == "fm"):
            continue
        used = r["evals"] if objective == "fm" else r["steps"]
        budget = min(BUDGETS, key=lambda b: abs(b - used))
        if budget not in best or r["fid"] < best[budget]["fid"]:
            best[budget] = r
    return best


def describe(r):
    if r.get("objective") == "fm":
        return f"{r['method']} ({r['evals']} evaluations)"
    return f"NAG eta {r['eta']}"


def table(recs):
    eqm, fm = best_per_budget(recs, "eqm"), best_per_budget(recs, "fm")
    lines = ["| evaluations | EqM setting | EqM accuracy | EqM FID | FM setting | FM accuracy | FM FID | lower FID |",
             "|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for n in sorted(set(eqm) | set(fm)):
        e, f = eqm.get(n), fm.get(n)
        cell = lambda r, k, fmt: fmt.format(r[k]) if r else "-"  # noqa: E731
        winner = "-" if not (e and f) else ("EqM" if e["fid"] < f["fid"] else "FM")
        lines.append(f"| {n} | {describe(e) if e else '-'} | {cell(e, 'accuracy', '{:.1%}')} | {cell(e, 'fid', '{:.3f}')} | "
                     f"{describe(f) if f else '-'} | {cell(f, 'accuracy', '{:.1%}')} | {cell(f, 'fid', '{:.3f}')} | {winner} |")
        if n in (25, 50) and e and f:
            beats = e["fid"] < f["fid"] and e["accuracy"] >= f["accuracy"]
            verdicts.append(f"- {n} evaluations: EqM FID {e['fid']:.3f} / accuracy {e['accuracy']:.1%} vs flow matching "
                            f"{f['fid']:.3f} / {f['accuracy']:.1%}: EqM {'beats' if beats else 'does not beat'} flow matching "
                            f"(on both FID and accuracy)")
    return lines, verdicts


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", default=os.path.join(HERE, "results", "eqm_vs_fm.jsonl"))
    args = p.parse_args()
    recs = [json.loads(line) for line in open(args.results)]
    lines, verdicts = table(recs)
    print("\n".join(lines + [""] + verdicts))


if __name__ == "__main__":
    main()
