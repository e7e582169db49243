"""Projected-guidance probe: the fallback row's descent (NAG, guidance by place, the adaptive stop)
with the guidance term split against the conditional field, in the spirit of adaptive projected
guidance for diffusion models (Sadat et al. 2024). With f_c and f_u the conditional and null fields
and d = f_c - f_u, the part of d along f_c mostly rescales the step (and pushes samples to the
extremes of their class); the part across it changes what the sample becomes. The guided field is
f_c + (cfg - 1) (d_across + par * d_along), so par = 1 is plain CFG. A measurement, not a product
path. Settings as a JSON list; results appended to training/results/<--out>.

    /usr/bin/python3 training/apg_probe.py --out apg-cpu.jsonl \
        '[{"eta":0.02,"mu":0.3,"stop":0.15,"far_cfg":1.25,"until":3,"cfg":4,"par":0}]'
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_harness import GuidanceByPlace, nag_descent, run_probe  # noqa: E402
from data import NULL_CLASS  # noqa: E402


def projected_field(model, x, y, cfg, par):
    """cfg, par: tensors [n] (one per sample)."""
    n = x.shape[0]
    out = model(torch.cat([x, x], 0), torch.cat([torch.full_like(y, NULL_CLASS), y], 0))
    f_u, f_c = out[:n].flatten(1), out[n:].flatten(1)
    d = f_c - f_u
    along = (d * f_c).sum(1, keepdim=True) / f_c.pow(2).sum(1, keepdim=True).clamp_min(1e-12) * f_c
    across = d - along
    f = f_c + (cfg.view(-1, 1) - 1) * (across + par.view(-1, 1) * along)
    return f.view_as(x)


def descend_projected(model, y, x0, s, args):
    phase = GuidanceByPlace(y.shape[0], s.get("until", 0))
    # the far phase is plain CFG (as the engine's); projection applies near equilibrium unless far_par is set
    def field(idx, x):
        cfg = phase.pick(idx, s.get("far_cfg", s["cfg"]), s["cfg"])
        par = phase.pick(idx, s.get("far_par", 1.0), s["par"])
        return projected_field(model, x, y[idx], cfg, par)

    return nag_descent(x0, s["eta"], s.get("mu", 0.3), s["stop"], args.max_steps, field, phase.observe)


if __name__ == "__main__":
    run_probe(__doc__, descend_projected, "apg-cpu.jsonl",
              add_arguments=lambda p: p.add_argument("--max-steps", type=int, default=50))
