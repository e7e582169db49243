"""The repair and composition benchmarks' own pieces: masks and the composed field."""
import torch

import compose_bench
import repair_bench


def test_repair_masks_cover_10_to_50_percent_boxes_and_strokes():
    m = repair_bench.masks(40, seed=3)
    assert m.shape == (40, 1, 28, 28) and m.dtype == torch.float32
    coverage = (m > 0).float().flatten(1).mean(1)
    assert coverage.min() >= 0.05 and coverage.max() <= 0.6
    # boxes are hard-edged, strokes have a soft edge
    assert set(m[0].unique().tolist()) <= {0.0, 1.0}
    assert ((m[1] > 0) & (m[1] < 1)).any()


def test_masked_descent_never_moves_held_pixels():
    class Pull(torch.nn.Module):
        def forward(self, x, y):
            return x - 0.5  # minimum at 0.5 everywhere

    x = torch.zeros(2, 1, 28, 28)
    m = torch.zeros_like(x)
    m[:, :, :14] = 1
    settings = {"method": "nag", "stepSize": 0.2, "mu": 0.3, "maxSteps": 80, "stopGradNorm": 0.0}
    out, _ = repair_bench.eqm_repair(Pull(), x, m, settings)
    assert torch.equal(out[:, :, 14:], x[:, :, 14:])
    assert torch.allclose(out[:, :, :14], torch.full_like(out[:, :, :14], 0.5), atol=1e-3)


def test_composed_field_adds_weighted_condition_gradients():
    class PerClass(torch.nn.Module):
        def forward(self, x, y):
            return y.float().view(-1, 1, 1, 1).expand_as(x).clone()  # f(x, y) = y

    field = compose_bench.composed_field(PerClass(), [(2, 0.5), (4, 0.25)], cfg=2.0)
    f = field(torch.zeros(3, 1, 28, 28), None)
    # f_u = 10 (the null class); f = 10 + 2 * (0.5 * (2 - 10) + 0.25 * (4 - 10)) = -1
    assert torch.allclose(f, torch.full_like(f, -1.0))


def test_repair_target_lines_follow_the_numbers():
    def row(s, method, psnr, kept=0.7, fid=5.0):
        return {"s": s, "method": method, "psnr": psnr, "classKept": kept, "fid": fid}
    rows = [row(0.3, "biharmonic fill", 13.0), row(0.3, "EqM (s not given)", 18.0), row(0.3, "flow matching (true s)", 18.5),
            row(0.5, "biharmonic fill", 13.0), row(0.5, "EqM (s not given)", 12.0),
            row(0.8, "biharmonic fill", 12.0, 0.72, 4.9), row(0.8, "EqM (s not given)", 8.0, 0.64, 8.5)]
    lines = repair_bench.target_lines(rows)
    assert "**met**" in lines[0] and "within 1 dB" in lines[0]
    assert "**missed**" in lines[1]
    assert "**missed**" in lines[2]


def test_fm_compare_keeps_each_sides_best_and_judges_25_and_50():
    import fm_compare
    recs = [
        {"steps": 25, "eta": 0.02, "accuracy": 0.99, "fid": 1.7},
        {"steps": 25, "eta": 0.04, "accuracy": 0.98, "fid": 2.0},
        {"steps": 50, "eta": 0.02, "accuracy": 0.99, "fid": 1.6},
        {"objective": "fm", "method": "euler", "evals": 25, "accuracy": 0.95, "fid": 3.0},
        {"objective": "fm", "method": "heun", "evals": 25, "accuracy": 0.97, "fid": 2.5},
        {"objective": "fm", "method": "euler", "evals": 50, "accuracy": 0.995, "fid": 1.2},
        {"objective": "fm", "method": "heun", "evals": 49, "accuracy": 0.99, "fid": 1.1},
    ]
    lines, verdicts = fm_compare.table(recs)
    assert "| 25 | NAG eta 0.02 | 99.0% | 1.700 | heun (25 evaluations) | 97.0% | 2.500 | EqM |" in lines
    assert lines[-1].endswith("| FM |") and "heun (49 evaluations)" in lines[-1]
    assert "EqM beats" in verdicts[0] and "does not beat" in verdicts[1]
