"""EqM's field integrated on a clock (an ODE sampler), not descended. Why: flow matching with a
guidance interval reaches FID 0.148 on the same backbone where EqM's descent stays at 0.24
(RESULTS.md, "At low guidance"). EqM's target on the interpolation x_g = g x + (1 - g) eps is
f = (eps - x) c(g), and flow matching's velocity on the same path is x - eps. So, where the noise
level g can be read off the sample (it can, for images), -f(x_g) / c(g) is the flow-matching
velocity, and integrating dx/dt = -f(x) / c(t) from t = 0 (noise) to 1 transports noise to data
the way flow matching does, with EqM's own network. c is the training schedule (truncated decay:
lambda for g <= a, falling linearly to 0 at 1). Heun (two evaluations a step but the last), through
sampler.clock_sample, the engine's clock method's twin; guidance `cfg` while t < `late_from`, then `cfg_late`. A
measurement, not a product path. Settings as a JSON list; results appended to
training/results/<--out>.

    /usr/bin/python3 training/ode_probe.py --out ode-cpu.jsonl \\
        '[{"method":"heun","steps":13,"cfg":1.0,"cfg_late":2.0,"late_from":0.5}]'
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_harness import run_probe  # noqa: E402
from sampler import clock_sample  # noqa: E402


def descend_setting(model, y, x0, s, _args):
    if s.get("method", "heun") != "heun":
        raise ValueError("the clock integrates with Heun (as the engine's clock method)")
    # the probe's names: cfg until late_from, then cfg_late; the engine's: farCfg until farUntilTime, then cfg
    late = s.get("cfg_late")
    return clock_sample(model, y, x0, int(s["steps"]), late if late is not None else s.get("cfg", 1.0),
                        far_cfg=s.get("cfg", 1.0), far_until=s.get("late_from", 0.0) if late is not None else 0.0,
                        a=s.get("a", 0.8), lam=s.get("lam", 4.0))


if __name__ == "__main__":
    run_probe(__doc__, descend_setting, "ode-cpu.jsonl")
