"""Training objectives. Sign convention (docs/method.md §1): the network output f ~ grad E points
UPHILL (away from data); samplers move downhill x <- x - eta f(x)."""
import torch

from data import NULL_CLASS


def c_gamma(gamma, a=0.8, lam=4.0, kind="truncated"):
    """Gradient magnitude schedule c(gamma); c(1) = 0 so data is an equilibrium."""
    if kind == "truncated":
        return lam * torch.clamp((1.0 - gamma) / (1.0 - a), max=1.0)
    if kind == "linear":
        return lam * (1.0 - gamma)
    raise ValueError(kind)


def drop_labels(y, p=0.1, generator=None):
    """Replace labels by the null class with probability p (for CFG)."""
    if p <= 0:
        return y
    mask = torch.rand(y.shape, generator=generator, device=y.device) < p
    return torch.where(mask, torch.full_like(y, NULL_CLASS), y)


def _bcast(v, x):
    return v.view(-1, *([1] * (x.dim() - 1)))


def eqm_pair(x, a=0.8, lam=4.0, kind="truncated"):
    """Return (x_gamma, target, gamma) for the EqM objective."""
    gamma = torch.rand(x.shape[0], device=x.device)
    eps = torch.randn_like(x)
    g = _bcast(gamma, x)
    x_g = g * x + (1 - g) * eps
    target = (eps - x) * _bcast(c_gamma(gamma, a, lam, kind), x)
    return x_g, target, gamma


def eqm_loss(model, x, y, a=0.8, lam=4.0, kind="truncated", label_drop=0.1):
    x_g, target, _ = eqm_pair(x, a, lam, kind)
    pred = model(x_g, drop_labels(y, label_drop))
    return ((pred - target) ** 2).mean()


def eqme_energy(model, x, y):
    """EqM-E dot-product energy E(x) = sum(x * g(x)), one value per sample."""
    return (x * model(x, y)).flatten(1).sum(1)


def eqme_grad(model, x, y, create_graph=False):
    """grad_x E for the dot-product energy (needs autograd)."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        e = eqme_energy(model, x, y)
        (g,) = torch.autograd.grad(e.sum(), x, create_graph=create_graph)
    return g


def eqme_loss(model, x, y, a=0.8, lam=4.0, kind="truncated", label_drop=0.1):
    """Explicit-energy EqM: match the autograd gradient of E to the EqM target (double backprop)."""
    x_g, target, _ = eqm_pair(x, a, lam, kind)
    grad = eqme_grad(model, x_g, drop_labels(y, label_drop), create_graph=True)
    return ((grad - target) ** 2).mean()


def fm_loss(model, x, y, label_drop=0.1):
    """Flow-matching baseline (rectified flow): x_t = t x + (1 - t) eps, t = 1 is data,
    velocity v = x - eps (towards data). The model is time-conditioned."""
    t = torch.rand(x.shape[0], device=x.device)
    eps = torch.randn_like(x)
    tt = _bcast(t, x)
    x_t = tt * x + (1 - tt) * eps
    pred = model(x_t, drop_labels(y, label_drop), t)
    return ((pred - (x - eps)) ** 2).mean()


LOSSES = {"eqm": eqm_loss, "eqme": eqme_loss, "fm": fm_loss}
