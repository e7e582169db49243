import torch

from objectives import c_gamma, drop_labels, eqm_pair, eqme_grad
from sampler import descend, guidance_rows
from model import UNet


def test_c_gamma_truncated_values():
    g = torch.tensor([0.0, 0.5, 0.8, 0.9, 0.95, 1.0])
    c = c_gamma(g, a=0.8, lam=4.0)
    assert torch.allclose(c, torch.tensor([4.0, 4.0, 4.0, 2.0, 1.0, 0.0]), atol=1e-5)


def test_c_gamma_linear_values():
    c = c_gamma(torch.tensor([0.0, 0.25, 1.0]), lam=4.0, kind="linear")
    assert torch.allclose(c, torch.tensor([4.0, 3.0, 0.0]))


def test_target_points_uphill_away_from_data():
    torch.manual_seed(0)
    x = torch.rand(64, 1, 28, 28) * 2 - 1
    x_g, target, gamma = eqm_pair(x)
    c = c_gamma(gamma).view(-1, 1, 1, 1)
    # x_g = g x + (1-g) eps  =>  eps - x = (x_g - x) / (1 - g); target = c (eps - x)
    expected = c * (x_g - x) / (1 - gamma.view(-1, 1, 1, 1))
    assert torch.allclose(target, expected, atol=1e-3, rtol=1e-3)
    # a descent step x_g - eta * target moves towards the data point x
    eta = 0.01
    before = (x_g - x).flatten(1).norm(dim=1)
    after = (x_g - eta * target - x).flatten(1).norm(dim=1)
    assert bool((after <= before + 1e-6).all())
    assert bool((after < before)[gamma < 0.99].all())


def test_label_dropout_rate():
    torch.manual_seed(0)
    y = torch.zeros(20000, dtype=torch.long)
    share = (drop_labels(y, 0.1) == 10).float().mean().item()
    assert 0.09 < share < 0.11


def test_guidance_rows_match_engine():
    assert guidance_rows(0) == [("null", 1.0)]
    assert guidance_rows(1.0) == [("cond", 1.0)]
    assert guidance_rows(2.0) == [("null", -1.0), ("cond", 2.0)]


def test_descend_matches_reference_loop():
    """NAG-GD / GD / stop rule exactly as the engine's sampler.ts, on an analytic field."""
    torch.manual_seed(0)
    target = torch.randn(5, 1, 28, 28) * 0.1
    field = lambda x, y: 2.0 * (x - target[y])  # noqa: E731  (grad of ||x - t||^2)
    y = torch.arange(5)
    x0 = torch.randn(5, 1, 28, 28)
    for method in ("gd", "nag"):
        x, steps, rms = descend(None, y, method=method, step_size=0.1, mu=0.3, max_steps=40, stop_grad_norm=0.05,
                                x0=x0, field=field)
        # reference: per-sample loop
        for i in range(5):
            xi, prev, n = x0[i:i + 1].clone(), torch.zeros(1, 1, 28, 28), 0
            for _ in range(40):
                look = xi - 0.1 * 0.3 * prev if method == "nag" else xi
                f = field(look, y[i:i + 1])
                n += 1
                prev = f
                if f.pow(2).mean().sqrt() < 0.05:
                    break
                xi = xi - 0.1 * f
            assert steps[i].item() == n
            assert torch.allclose(x[i:i + 1], xi, atol=1e-5)
        assert bool((steps < 40).all())


def test_probe_descent_is_the_samplers():
    """The probes' loop (probe_harness.nag_descent) is sampler.descend's NAG, step for step."""
    from probe_harness import nag_descent
    torch.manual_seed(1)
    target = torch.randn(6, 1, 28, 28) * 0.1
    field = lambda x, y: 2.0 * (x - target[y])  # noqa: E731
    y = torch.arange(6)
    x0 = torch.randn(6, 1, 28, 28)
    x, steps, _ = descend(None, y, method="nag", step_size=0.1, mu=0.3, max_steps=40, stop_grad_norm=0.05, x0=x0, field=field)
    xp, stepsp = nag_descent(x0, 0.1, 0.3, 0.05, 40, lambda idx, xx: field(xx, y[idx]))
    assert torch.equal(steps, stepsp)
    assert torch.allclose(x, xp, atol=1e-6)


def test_probe_guidance_by_place_is_the_samplers():
    """The probes' guidance phases (probe_harness.GuidanceByPlace) switch each sample as sampler.descend's
    cfg_near / guide_until does, on a small random network where some samples switch and some do not."""
    from probe_harness import GuidanceByPlace, nag_descent
    from sampler import guided_field_by_sample
    torch.manual_seed(2)
    m = UNet((8, 16, 16), emb_dim=16)
    for p in m.parameters():
        p.data.normal_(0, 0.05)
    y = torch.arange(8)
    x0 = torch.randn(8, 1, 28, 28)
    seen = []
    nag_descent(x0, 0.1, 0.3, 0.0, 8, lambda idx, xx: guided_field_by_sample(m, xx, y[idx], torch.full((len(idx),), 1.25)),
                observe=lambda idx, rms: seen.append(rms))
    until = float(torch.cat(seen).median())
    x, steps, _ = descend(m, y, method="nag", step_size=0.1, mu=0.3, max_steps=8, stop_grad_norm=0.0, cfg=1.25, x0=x0,
                          cfg_near=4.0, guide_until=until)
    phase = GuidanceByPlace(8, until)
    xp, stepsp = nag_descent(x0, 0.1, 0.3, 0.0, 8, lambda idx, xx: guided_field_by_sample(m, xx, y[idx], phase.pick(idx, 1.25, 4.0)),
                             observe=phase.observe)
    assert 0 < int(phase.near.sum()) < 8
    assert torch.equal(steps, stepsp)
    assert torch.allclose(x, xp, atol=1e-5)


def test_eqme_grad_of_dot_energy():
    torch.manual_seed(0)
    m = UNet((8, 16, 16), emb_dim=16)
    for p in m.parameters():
        p.data.normal_(0, 0.05)
    x = torch.randn(2, 1, 28, 28)
    y = torch.tensor([1, 10])
    g = eqme_grad(m, x, y)
    assert g.shape == x.shape and torch.isfinite(g).all()


def test_flow_sampler_counts_and_reaches_target():
    """Euler/Heun for the flow-matching baseline on the exact straight-line velocity to a fixed point."""
    from sampler import flow_sample

    target = torch.full((1, 28, 28), 0.5)

    class Straight(torch.nn.Module):
        def forward(self, x, y, t):  # v = (target - x) / (1 - t) is the straight path's velocity
            return (target - x) / (1 - t.view(-1, 1, 1, 1)).clamp(min=1e-3)

    y = torch.arange(4)
    for method, n, evals in (("euler", 10, 10), ("heun", 5, 9)):
        x, ev = flow_sample(Straight(), y, steps=n, cfg=2.0, method=method, generator=torch.Generator().manual_seed(0))
        assert ev == evals
        assert torch.allclose(x, target.expand_as(x), atol=1e-2)


def test_flow_sampler_guidance_interval():
    """cfg before late_from, cfg_late from it on: with a null velocity of 0 and a conditional one of 1, the
    guided velocity is the scale itself, so Euler's path adds up the scales step by step."""
    from data import NULL_CLASS
    from sampler import flow_sample

    class ByLabel(torch.nn.Module):
        def forward(self, x, y, t):
            return (y != NULL_CLASS).float().view(-1, 1, 1, 1).expand_as(x)

    y = torch.arange(3)
    x0 = torch.zeros(3, 1, 28, 28)
    x, _ = flow_sample(ByLabel(), y, steps=10, cfg=1.0, method="euler", x0=x0, cfg_late=3.0, late_from=0.5)
    assert torch.allclose(x, torch.full_like(x, 0.5 * 1.0 + 0.5 * 3.0))
    x, _ = flow_sample(ByLabel(), y, steps=10, cfg=1.0, method="euler", x0=x0)
    assert torch.allclose(x, torch.ones_like(x))


def test_spatial_noise_target_is_local_and_points_uphill():
    from objectives import spatial_eqm_pair, stroke_masks
    torch.manual_seed(1)
    x = torch.rand(256, 1, 28, 28) * 2 - 1
    x_g, target, g = spatial_eqm_pair(x, spatial_frac=1.0)
    assert g.shape == x.shape and bool(((g >= 0) & (g <= 1)).all())
    # every pixel's target is its own level's: c(G) (eps - x) with eps recovered from x_G
    free = g < 0.999
    eps = x + (x_g - x) / (1 - g).clamp_min(1e-6)
    assert torch.allclose(target[free], (c_gamma(g) * (eps - x))[free], atol=1e-3, rtol=1e-3)
    # clean pixels (level 1) are equilibria: zero target and unchanged input
    clean = g >= 1
    assert bool(clean.any()) and bool((target[clean] == 0).all()) and torch.allclose(x_g[clean], x[clean])
    # levels really vary inside an image (the point of the objective), and steps go downhill
    spread = g.flatten(1).max(1).values - g.flatten(1).min(1).values
    assert float((spread > 0.2).float().mean()) > 0.5
    eta = 0.01
    before = (x_g - x).flatten(1).norm(dim=1)
    after = (x_g - eta * target - x).flatten(1).norm(dim=1)
    assert bool((after <= before + 1e-5).all())
    # masks cover a painted share of the image, neither nothing nor everything on average
    m = stroke_masks(x)
    cover = m.flatten(1).mean(1)
    assert 0.05 < float(cover.mean()) < 0.6 and float(cover.max()) <= 1.0


def test_spatial_noise_with_no_spatial_share_is_the_uniform_objective():
    from objectives import spatial_eqm_pair
    torch.manual_seed(2)
    x = torch.rand(32, 1, 28, 28) * 2 - 1
    _, _, g = spatial_eqm_pair(x, spatial_frac=0.0)
    per_image = g.flatten(1)
    assert torch.allclose(per_image.max(1).values, per_image.min(1).values)
