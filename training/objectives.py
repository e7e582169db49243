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

    def rand_rows(self, like, *shape):
        return torch.rand((like.shape[0], *shape), device=like.device)


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

    def rand_rows(self, like, *shape):
        """Uniform numbers of `shape` per sample, drawn for the whole global batch like the rest."""
        return torch.rand((self.global_batch, *shape), generator=self.generator)[self.rows].to(like.device)


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


def stroke_masks(like, draws=DRAWS, strokes=3, points=3):
    """Masks shaped like what users paint (docs/method.md, spatial noise): per sample up to
    `strokes` brush strokes (polylines of `points` points, radius 1.5-5 px, hard or soft edge)
    or, for a quarter of the samples, one axis-aligned box; values in [0, 1], shape [B, 1, H, W].
    Drawn from `draws` only, so every rank of a distributed run sees the same masks."""
    b, _, h, w = like.shape
    u = draws.rand_rows(like, strokes * (points * 2 + 3) + 6)
    yy, xx = torch.meshgrid(torch.arange(h, device=like.device, dtype=like.dtype) + 0.5,
                            torch.arange(w, device=like.device, dtype=like.dtype) + 0.5, indexing="ij")
    pix = torch.stack([xx, yy], -1).view(1, 1, h * w, 2)  # [1, 1, P, 2]
    size = torch.tensor([w, h], device=like.device, dtype=like.dtype)
    per = points * 2 + 3
    mask = torch.zeros(b, h * w, device=like.device, dtype=like.dtype)
    for k in range(strokes):
        v = u[:, k * per:(k + 1) * per]
        start = v[:, 0:2] * size
        steps = (v[:, 2:2 * points] - 0.5) * 20.0  # each further point within +-10 px of the last
        pts = torch.cat([start.unsqueeze(1), start.unsqueeze(1) + steps.view(b, points - 1, 2).cumsum(1)], 1)
        radius = 1.5 + 3.5 * v[:, 2 * points]
        soft = torch.where(v[:, 2 * points + 1] < 0.5, torch.full_like(radius, 0.5), torch.full_like(radius, 2.0))
        used = (v[:, 2 * points + 2] < (1.0 if k == 0 else 0.5)).to(like.dtype)  # 1 to `strokes` strokes
        a, c = pts[:, :-1].unsqueeze(2), pts[:, 1:].unsqueeze(2)  # [B, S, 1, 2]
        ab = c - a
        t = (((pix - a) * ab).sum(-1) / (ab * ab).sum(-1).clamp_min(1e-6)).clamp(0, 1)
        dist = (pix - (a + t.unsqueeze(-1) * ab)).norm(dim=-1).min(1).values  # [B, P]
        stroke = ((radius.unsqueeze(1) - dist) / soft.unsqueeze(1) + 0.5).clamp(0, 1)
        mask = torch.maximum(mask, stroke * used.unsqueeze(1))
    box = u[:, strokes * per:]
    lo = box[:, 0:2] * size * 0.7
    hi = lo + (0.15 + 0.45 * box[:, 2:4]) * size
    inside = ((pix[0, 0] >= lo.unsqueeze(1)) & (pix[0, 0] <= hi.unsqueeze(1))).all(-1).to(like.dtype)
    use_box = (box[:, 4] < 0.25).to(like.dtype).unsqueeze(1)
    mask = use_box * inside + (1 - use_box) * mask
    return mask.view(b, 1, h, w)


def spatial_eqm_pair(x, a=0.8, lam=4.0, kind="truncated", draws=DRAWS, spatial_frac=0.5):
    """The EqM pair with a noise level per pixel (issue 14 item 3): for a `spatial_frac` share of
    the batch, a painted mask m gets level gamma_in inside and gamma_out (1, or between gamma_in
    and 1) outside, G = gamma_out - m (gamma_out - gamma_in); the rest keep one level per image.
    x_G = G x + (1 - G) eps and target = (eps - x) c(G), elementwise: each pixel's target is the
    one its own level has, so the field learns to answer locally (a clean pixel's target is 0)."""
    gamma = draws.uniform(x)
    eps = draws.normal_like(x)
    u = draws.rand_rows(x, 3)
    mask = stroke_masks(x, draws)
    outside = torch.where(u[:, 0] < 0.5, torch.ones_like(gamma), gamma + (1 - gamma) * u[:, 1])
    spatial = (u[:, 2] < spatial_frac).to(x.dtype)
    m = mask * _bcast(spatial, x)
    g = _bcast(outside, x) - m * _bcast(outside - gamma, x)
    g = g * _bcast(spatial, x) + _bcast(gamma * (1 - spatial), x)
    x_g = g * x + (1 - g) * eps
    target = (eps - x) * c_gamma(g, a, lam, kind)
    return x_g, target, g


def spatial_eqm_loss(model, x, y, a=0.8, lam=4.0, kind="truncated", label_drop=0.1, draws=DRAWS, spatial_frac=0.5):
    x_g, target, _ = spatial_eqm_pair(x, a, lam, kind, draws, spatial_frac)
    pred = model(x_g, drop_labels(y, label_drop, draws))
    return ((pred - target) ** 2).mean()


LOSSES = {"eqm": eqm_loss, "eqme": eqme_loss, "fm": fm_loss, "eqm-spatial": spatial_eqm_loss}
