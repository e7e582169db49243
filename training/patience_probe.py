"""Patience probe: the fallback row's descent (NAG, guidance by place, the adaptive stop) where a
sample that has not lowered its best guided RMS for `patience` steps, once that best is under
`below` (the plateau far from equilibrium is flat for ~10 steps), also stops, and (with "best") is
returned at its state of lowest RMS. Under the shipped default about one sample in ten never
reaches the stop: its RMS dips near the threshold, climbs again and runs to the step cap. A
measurement, not a product path. Settings as a JSON list; results appended to training/results/<--out>.

    /usr/bin/python3 training/patience_probe.py --out patience-cpu.jsonl \\
        '[{"eta":0.02,"mu":0.3,"stop":0.15,"far_cfg":1.25,"until":3,"cfg":4,"patience":5,"below":0.3,"best":true}]'
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_harness import GuidanceByPlace, nag_descent, run_probe  # noqa: E402
from sampler import guided_field_by_sample  # noqa: E402


def descend_patient(model, y, x0, s, args):
    n = y.shape[0]
    phase = GuidanceByPlace(n, s["until"])
    best_rms = torch.full((n,), float("inf"))
    since_best = torch.zeros(n, dtype=torch.long)
    best_x = x0.clone()
    # the look-ahead state the best RMS was measured at is not kept by the loop; the state the
    # sample was at when that gradient was taken (before its update) is what "best" returns
    current = {"x": None}
    patience = int(s.get("patience", 0))

    def field(idx, x_look):
        scale = phase.pick(idx, s["far_cfg"], s["cfg"])
        return guided_field_by_sample(model, x_look, y[idx], scale)

    def observe(idx, rms):
        phase.observe(idx, rms)
        better = rms < best_rms[idx]
        best_rms[idx[better]] = rms[better]
        since_best[idx] = torch.where(better, torch.zeros_like(since_best[idx]), since_best[idx] + 1)
        if s.get("best") and current["x"] is not None:
            best_x[idx[better]] = current["x"][idx[better]]

    def give_up(idx, rms):
        if patience <= 0:
            return torch.zeros(len(idx), dtype=torch.bool)
        return (since_best[idx] >= patience) & (best_rms[idx] < float(s["below"]))

    def perturb(x, moved):
        current["x"] = x

    x, steps = nag_descent(x0, s["eta"], s.get("mu", 0.3), s["stop"], args.max_steps, field, observe, perturb, give_up)
    if s.get("best"):
        # samples that stopped by patience (or ran out of steps) go back to their best state
        unfinished = best_rms >= s["stop"]
        x[unfinished] = best_x[unfinished]
    return x, steps


if __name__ == "__main__":
    run_probe(__doc__, descend_patient, "patience-cpu.jsonl",
              add_arguments=lambda p: p.add_argument("--max-steps", type=int, default=50))
