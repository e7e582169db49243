"""Langevin probe (RESULTS.md, "Langevin noise"): the engine's descent (NAG, far guidance, the
adaptive stop) with Gaussian noise of std sqrt(2 eta T) added after each update while the sample's
guided RMS has not yet fallen below `until` (the steep part; the last steps run clean so no noise
is left in the image). A measurement of a lever that did not help, not a product path: the engine
has no noise term. Settings as a JSON list (evaluate.py's sweep keys plus temp and until); results
appended to --out.

    /usr/bin/python3 training/langevin_probe.py --ckpt training/runs/eqm-spatial-gpu2/ckpt.pt \
        --out langevin-cpu.jsonl '[{"method":"nag","mu":0.3,"steps":50,"eta":0.02,"stop":0.35,"cfg":3.0,"temp":0.01,"until":1.0}]'
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_harness import GuidanceByPlace, nag_descent, run_probe  # noqa: E402
from sampler import guided_field_by_sample  # noqa: E402


def descend_noisy(model, y, x0, eta, mu, max_steps, stop, cfg, temp, until, cfg_near=None, guide_until=0.0, seed=123):
    """NAG with far guidance as sampler.descend, plus noise while RMS >= until (once below, never again)."""
    g = torch.Generator().manual_seed(seed)
    n = y.shape[0]
    phase = GuidanceByPlace(n, guide_until)
    calm = torch.zeros(n, dtype=torch.bool)
    sigma = (2 * eta * temp) ** 0.5

    def field(idx, x):
        scale = phase.pick(idx, cfg, cfg if cfg_near is None else cfg_near)
        return guided_field_by_sample(model, x, y[idx], scale)

    def observe(idx, rms):
        phase.observe(idx, rms)
        calm[idx] |= rms < until

    def perturb(x, moved):
        noisy = moved[~calm[moved]]
        if sigma > 0 and len(noisy):
            x[noisy] += sigma * torch.randn(x[noisy].shape, generator=g)

    return nag_descent(x0, eta, mu, stop, max_steps, field, observe, perturb)


def descend_setting(model, y, x0, s, _args):
    return descend_noisy(model, y, x0, s["eta"], s.get("mu", 0.3), s["steps"], s["stop"], s["cfg"], s["temp"], s["until"],
                         s.get("cfg_near"), s.get("guide_until", 0.0))


if __name__ == "__main__":
    run_probe(__doc__, descend_setting, "langevin-cpu.jsonl", default_threads=1)
