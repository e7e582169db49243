"""Samplers, matching the app's engine (src/engine/sampler.ts; checked by
training/tests/test_engine_parity.py, which runs both on the same inputs):
  GD:      x <- x - eta f(x)
  NAG-GD:  x_look = x - eta mu f_prev;  f_prev = f(x_look);  x <- x - eta f_prev   (f_prev = 0 at first)
  CFG:     f = f_u + s sum_k w_k (f_ck - f_u), all rows in one model call (one condition of
           weight 1 = plain CFG; s == 0: only the null row; s sum w == 1: no null row)
  stop:    per sample, when RMS(f_guided) = ||f||_2 / sqrt(numel) < stop, the sample is not moved
           by that gradient and leaves the batch; at most max_steps evaluations per sample.
Start x0 ~ N(0, I). Also a flow-matching Euler/Heun sampler for the baseline.
"""
import torch

from data import NULL_CLASS
from objectives import c_gamma


def plan_guidance(conditions, cfg):
    """(labels, coefficients) of the guided gradient f = f_u + cfg sum_k w_k (f_ck - f_u), as the
    engine's planGuidance: one condition of weight 1 is plain CFG, several compose (energies
    add); rows that cannot change the result are left out. A label is a class index, or None
    for the caller's per-sample labels y; NULL_CLASS is the unconditional row."""
    active = [(label, w) for label, w in conditions if w != 0]
    if not active or cfg == 0:
        return [NULL_CLASS], [1.0]
    unconditional = 1.0 - cfg * sum(w for _, w in active)
    labels, coefficients = [label for label, _ in active], [cfg * w for _, w in active]
    if abs(unconditional) < 1e-12:
        return labels, coefficients
    return [NULL_CLASS] + labels, [unconditional] + coefficients


def guidance_rows(cfg):
    """Plain CFG toward the per-sample labels: list of (label_kind, coefficient), 'null' or 'cond'."""
    labels, coefficients = plan_guidance([(None, 1.0)], cfg)
    return [("null" if label == NULL_CLASS else "cond", k) for label, k in zip(labels, coefficients)]


@torch.no_grad()
def guided_field(model, x, y, cfg, conditions=None):
    """The guided gradient of a batch; conditions default to [(y, 1)] (CFG toward each sample's label)."""
    labels, coefficients = plan_guidance(conditions if conditions is not None else [(None, 1.0)], cfg)
    n = x.shape[0]
    xs = torch.cat([x] * len(labels), 0)
    ys = torch.cat([y if label is None else torch.full_like(y, label) for label in labels], 0)
    out = model(xs, ys)
    f = torch.zeros_like(x)
    for r, k in enumerate(coefficients):
        f += k * out[r * n:(r + 1) * n]
    return f


@torch.no_grad()
def guided_field_by_sample(model, x, y, scale, conditions=None):
    """The guided gradient with its own guidance scale per sample (`scale`, a tensor [n]), from one
    model call: the null row and each condition's row are evaluated once and combined with each
    sample's coefficients, as the engine's far guidance does (sampler.ts)."""
    active = [(label, w) for label, w in (conditions if conditions is not None else [(None, 1.0)]) if w != 0]
    labels = [NULL_CLASS] + [label for label, _ in active]
    n = x.shape[0]
    xs = torch.cat([x] * len(labels), 0)
    ys = torch.cat([y if label is None else torch.full_like(y, label) for label in labels], 0)
    out = model(xs, ys)
    s = scale.to(x.dtype).view(-1, 1, 1, 1)
    f = (1 - s * sum(w for _, w in active)) * out[:n]
    for r, (_, w) in enumerate(active, start=1):
        f = f + s * w * out[r * n:(r + 1) * n]
    return f


@torch.no_grad()
def descend(model, y, method="nag", step_size=0.1, mu=0.3, max_steps=50, stop_grad_norm=0.0, cfg=2.0,
            x0=None, generator=None, chunk=512, conditions=None, field=None, cfg_near=None, guide_until=0.0):
    """Returns (x, steps per sample (model evaluations), final RMS per sample). conditions: a
    list of (class index, weight) for composition; default CFG toward each sample's y. field:
    an analytic f(x, y) in place of the guided model (tests). cfg_near, guide_until: guidance by
    place on the landscape (EqM has no time; the gradient RMS says how far from equilibrium a
    sample is): a sample descends with cfg until its guided RMS first falls below guide_until,
    then with cfg_near for the rest of its descent (the analogue of a guidance interval).
    Checked against the engine's sampler by training/tests/test_engine_parity.py."""
    n = y.shape[0]
    x = torch.randn(n, 1, 28, 28, generator=generator) if x0 is None else x0.clone()
    prev = torch.zeros_like(x)
    dev = x.device  # bookkeeping lives beside the states (a GPU sweep indexes them with masks made there)
    steps = torch.zeros(n, dtype=torch.long, device=dev)
    rms_last = torch.full((n,), float("nan"), device=dev)
    active = torch.arange(n, device=dev)
    look = step_size * mu if method == "nag" else 0.0
    fieldfn = field or (lambda xx, yy: guided_field(model, xx, yy, cfg, conditions))
    far_guidance = cfg_near is not None and field is None
    near = torch.zeros(n, dtype=torch.bool, device=dev)  # samples past the guidance switch
    for step in range(1, max_steps + 1):
        if len(active) == 0:
            break
        keep = []
        for s in range(0, len(active), chunk):
            idx = active[s:s + chunk]
            xin = x[idx] - look * prev[idx] if look != 0 else x[idx]
            if far_guidance:  # one call: both scales are combinations of the same rows
                scale = torch.full((len(idx),), float(cfg), device=dev)
                scale[near[idx]] = float(cfg_near)
                f = guided_field_by_sample(model, xin, y[idx], scale, conditions)
            else:
                f = fieldfn(xin, y[idx])
            rms = f.flatten(1).pow(2).mean(1).sqrt()
            if far_guidance:
                near[idx] |= rms < guide_until
            steps[idx] = step
            rms_last[idx] = rms
            prev[idx] = f
            moving = rms >= stop_grad_norm
            mi = idx[moving]
            x[mi] = x[mi] - step_size * f[moving]
            keep.append(mi)
        active = torch.cat(keep)
    return x, steps, rms_last


@torch.no_grad()
def clock_sample(model, y, x0, steps, cfg, far_cfg=None, far_until=0.0, conditions=None, a=0.8, lam=4.0):
    """The engine's clock method (src/engine/sampler-clock.ts): EqM's field integrated as a flow,
    dx/dt = -f(x) / c(t) from t = 0 (noise) to 1, Heun steps and a last Euler step (c(1) = 0); guidance
    far_cfg while t < far_until, then cfg. Returns (x, model evaluations per sample). Checked against
    the engine by training/tests/test_engine_parity.py."""
    n = y.shape[0]

    def velocity(x, t):
        scale = far_cfg if far_cfg is not None and t < far_until else cfg
        return -guided_field_by_sample(model, x, y, torch.full((n,), float(scale)), conditions) / float(c_gamma(torch.tensor(t, dtype=torch.float64), a, lam))

    x = x0.clone()
    for k in range(steps):
        t0, t1 = k / steps, (k + 1) / steps
        d0 = velocity(x, t0)
        if k < steps - 1:
            d1 = velocity(x + (t1 - t0) * d0, t1)
            x = x + (t1 - t0) * 0.5 * (d0 + d1)
        else:
            x = x + (t1 - t0) * d0
    return x, torch.full((n,), 2 * steps - 1)


@torch.no_grad()
def flow_sample(model, y, steps=50, cfg=2.0, method="euler", x0=None, generator=None, cfg_late=None, late_from=1.0):
    """Flow-matching baseline: integrate dx/dt = v(x, t) from t=0 (noise) to t=1 (data).
    Returns (x, model evaluations per sample). Heun uses 2 evaluations per step except the last.
    cfg_late, late_from: a guidance interval, the flow-matching twin of EqM's guidance by place
    (cfg_near / guide_until): cfg while t < late_from, then cfg_late (each evaluation by its own t)."""
    n = y.shape[0]
    x = torch.randn(n, 1, 28, 28, generator=generator) if x0 is None else x0.clone()

    def v(xx, t):
        rows = guidance_rows(cfg if cfg_late is None or t < late_from else cfg_late)
        xs = torch.cat([xx] * len(rows), 0)
        ys = torch.cat([torch.full_like(y, NULL_CLASS) if kind == "null" else y for kind, _ in rows], 0)
        out = model(xs, ys, torch.full((xs.shape[0],), t))
        return sum(k * out[r * n:(r + 1) * n] for r, (_, k) in enumerate(rows))

    ts = torch.linspace(0, 1, steps + 1)
    evals = 0
    for i in range(steps):
        t0, t1 = float(ts[i]), float(ts[i + 1])
        d0 = v(x, t0)
        evals += 1
        if method == "heun" and i < steps - 1:
            x1 = x + (t1 - t0) * d0
            d1 = v(x1, t1)
            evals += 1
            x = x + (t1 - t0) * 0.5 * (d0 + d1)
        else:
            x = x + (t1 - t0) * d0
    return x, evals
