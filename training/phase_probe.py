"""Guidance-phase probe (RESULTS.md, "A third guidance phase near equilibrium"): the engine's descent
(NAG, the adaptive stop) with guidance in phases by place on the landscape: a sample descends with
the first phase's CFG until its guided RMS first falls below that phase's bound, then with the next
phase's, and so on (two phases are the engine's farCfg/farUntilRms). A measurement of a lever that
did not help, not a product path: the engine has two phases. Settings as a JSON list; results
appended to training/results/<--out>.

    /usr/bin/python3 training/phase_probe.py --out phases-cpu.jsonl \
        '[{"eta":0.02,"mu":0.3,"stop":0.15,"phases":[[1.25,3],[4,1.0],[1.0,0]]}]'
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_harness import nag_descent, run_probe  # noqa: E402
from sampler import guided_field_by_sample  # noqa: E402


def descend_phases(model, y, x0, eta, mu, max_steps, stop, phases):
    """phases: [(cfg, until_rms), ...]; the last phase's bound is not used (it runs until the stop)."""
    phase = torch.zeros(y.shape[0], dtype=torch.long)
    cfgs = torch.tensor([float(p[0]) for p in phases])
    bounds = torch.tensor([float(p[1]) for p in phases])

    def field(idx, x):
        return guided_field_by_sample(model, x, y[idx], cfgs[phase[idx]])

    def observe(idx, rms):
        # a sample may pass several bounds in one step
        for _ in range(len(phases) - 1):
            passed = (phase[idx] < len(phases) - 1) & (rms < bounds[phase[idx]])
            phase[idx[passed]] += 1

    return nag_descent(x0, eta, mu, stop, max_steps, field, observe)


def descend_setting(model, y, x0, s, args):
    return descend_phases(model, y, x0, s["eta"], s.get("mu", 0.3), args.max_steps, s["stop"], s["phases"])


if __name__ == "__main__":
    run_probe(__doc__, descend_setting, "phases-cpu.jsonl",
              add_arguments=lambda p: p.add_argument("--max-steps", type=int, default=50))
