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


class GlobalDraws:
    """Random numbers from torch's global generator (one process, tests, benchmarks)."""

    def uniform(self, like):
        return torch.rand(like.shape[0], device=like.device)

    def normal_like(self, x):
        return torch.randn_like(x)


DRAWS = GlobalDraws()


class StepDraws:
    """Random numbers for one training step, drawn for the WHOLE global batch from a generator
    seeded by (seed, step) and sliced to this process's rows. Every rank of a distributed run,
    and a one-process run, so see the same numbers for the same global sample: with gradients
    averaged across ranks, N processes train exactly as one does on the same global batch."""

    def __init__(self, seed, step, rows, global_batch):
        self.generator = torch.Generator().manual_seed(seed * 1_000_003 + step)
        self.rows = rows
        self.global_batch = global_batch

    def uniform(self, like):
        return torch.rand(self.global_batch, generator=self.generator)[self.rows].to(like.device)

    def normal_like(self, x):
        return torch.randn((self.global_batch, *x.shape[1:]), generator=self.generator)[self.rows].to(x.device)


def drop_labels(y, p=0.1, draws=DRAWS):
    """Replace labels by the null class with probability p (for CFG)."""
    if p <= 0:
        return y
    mask = draws.uniform(y) < p
    return torch.where(mask, torch.full_like(y, NULL_CLASS), y)


def _bcast(v, x):
    return v.view(-1, *([1] * (x.dim() - 1)))


def eqm_pair(x, a=0.8, lam=4.0, kind="truncated", draws=DRAWS):
    """Return (x_gamma, target, gamma) for the EqM objective."""
    gamma = draws.uniform(x)
    eps = draws.normal_like(x)
    g = _bcast(gamma, x)
    x_g = g * x + (1 - g) * eps
    target = (eps - x) * _bcast(c_gamma(gamma, a, lam, kind), x)
    return x_g, target, gamma


def eqm_loss(model, x, y, a=0.8, lam=4.0, kind="truncated", label_drop=0.1, draws=DRAWS):
    x_g, target, _ = eqm_pair(x, a, lam, kind, draws)
    pred = model(x_g, drop_labels(y, label_drop, draws))
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


def eqme_loss(model, x, y, a=0.8, lam=4.0, kind="truncated", label_drop=0.1, draws=DRAWS):
    """Explicit-energy EqM: match the autograd gradient of E to the EqM target (double backprop)."""
    x_g, target, _ = eqm_pair(x, a, lam, kind, draws)
    grad = eqme_grad(model, x_g, drop_labels(y, label_drop, draws), create_graph=True)
    return ((grad - target) ** 2).mean()


def fm_loss(model, x, y, label_drop=0.1, draws=DRAWS):
    """Flow-matching baseline (rectified flow): x_t = t x + (1 - t) eps, t = 1 is data,
    velocity v = x - eps (towards data). The model is time-conditioned."""
    t = draws.uniform(x)
    eps = draws.normal_like(x)
    tt = _bcast(t, x)
    x_t = tt * x + (1 - tt) * eps
    pred = model(x_t, drop_labels(y, label_drop, draws), t)
    return ((pred - (x - eps)) ** 2).mean()


LOSSES = {"eqm": eqm_loss, "eqme": eqme_loss, "fm": fm_loss}
