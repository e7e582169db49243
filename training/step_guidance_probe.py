"""Guidance by step probe: the engine's descent (NAG, the adaptive stop) with `far_cfg` for the first
`far_steps` steps and `cfg` from then on. Why: flow matching with a guidance interval (no guidance
for t < 0.5, CFG 2 after) reaches a far lower FID than with any constant guidance (RESULTS.md). EqM
has no time, and its gradient RMS cannot say where a sample is before it nears equilibrium: with the
truncated decay the target's size is lambda |eps - x| for every gamma under a = 0.8, so the RMS sits
on a plateau there, and guidance by place (a switch on the RMS) can only start guiding at gamma
~0.85 or later. But every sample starts from pure noise and, on the plateau, a step of size eta
moves gamma by about eta * lambda (more with the look-ahead), so the step count is a clock for the
first part of the descent. A measurement, not a product path. Settings as a JSON list; results
appended to training/results/<--out>.

    /usr/bin/python3 training/step_guidance_probe.py --out step-guidance-cpu.jsonl \\
        '[{"eta":0.02,"mu":0.3,"stop":0.15,"far_cfg":1.0,"far_steps":5,"cfg":2.0}]'
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_harness import nag_descent, run_probe  # noqa: E402
from sampler import guided_field_by_sample  # noqa: E402


def descend_by_step(model, y, x0, s, args):
    step = {"k": 0}

    def field(idx, x_look):
        # one call per step for every sample still descending: the call count is the step number
        step["k"] += 1
        scale = float(s["far_cfg"]) if step["k"] <= int(s["far_steps"]) else float(s["cfg"])
        return guided_field_by_sample(model, x_look, y[idx], torch.full((len(idx),), scale))

    return nag_descent(x0, s["eta"], s.get("mu", 0.3), s["stop"], args.max_steps, field)


if __name__ == "__main__":
    run_probe(__doc__, descend_by_step, "step-guidance-cpu.jsonl",
              add_arguments=lambda p: p.add_argument("--max-steps", type=int, default=50))
