"""EqM's field integrated on a clock (an ODE sampler), not descended. Why: flow matching with a
guidance interval reaches FID 0.148 on the same backbone where EqM's descent stays at 0.24
(RESULTS.md, "At low guidance"). EqM's target on the interpolation x_g = g x + (1 - g) eps is
f = (eps - x) c(g), and flow matching's velocity on the same path is x - eps. So, where the noise
level g can be read off the sample (it can, for images), -f(x_g) / c(g) is the flow-matching
velocity, and integrating dx/dt = -f(x) / c(t) from t = 0 (noise) to 1 transports noise to data
the way flow matching does, with EqM's own network. c is the training schedule (truncated decay:
lambda for g <= a, falling linearly to 0 at 1). Euler, or Heun (two evaluations a step but the
last, as sampler.flow_sample); guidance `cfg` while t < `late_from`, then `cfg_late`. A
measurement, not a product path. Settings as a JSON list; results appended to
training/results/<--out>.

    /usr/bin/python3 training/ode_probe.py --out ode-cpu.jsonl \\
        '[{"method":"heun","steps":13,"cfg":1.0,"cfg_late":2.0,"late_from":0.5}]'
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from objectives import c_gamma  # noqa: E402
from probe_harness import run_probe  # noqa: E402
from sampler import guided_field_by_sample  # noqa: E402


@torch.no_grad()
def integrate(model, y, x0, steps, method, cfg, cfg_late=None, late_from=1.0, a=0.8, lam=4.0):
    """Returns (x, evaluations per sample)."""
    n = y.shape[0]

    def velocity(x, t):
        scale = cfg if cfg_late is None or t < late_from else cfg_late
        f = guided_field_by_sample(model, x, y, torch.full((n,), float(scale)))
        return -f / float(c_gamma(torch.tensor(t), a, lam))

    x = x0.clone()
    ts = torch.linspace(0, 1, steps + 1)
    evals = 0
    for i in range(steps):
        t0, t1 = float(ts[i]), float(ts[i + 1])
        d0 = velocity(x, t0)
        evals += 1
        if method == "heun" and i < steps - 1:
            d1 = velocity(x + (t1 - t0) * d0, t1)
            evals += 1
            x = x + (t1 - t0) * 0.5 * (d0 + d1)
        else:
            x = x + (t1 - t0) * d0
    return x, torch.full((n,), evals)


def descend_setting(model, y, x0, s, _args):
    return integrate(model, y, x0, int(s["steps"]), s.get("method", "euler"), s.get("cfg", 1.0), s.get("cfg_late"),
                     s.get("late_from", 1.0), s.get("a", 0.8), s.get("lam", 4.0))


if __name__ == "__main__":
    run_probe(__doc__, descend_setting, "ode-cpu.jsonl")
