"""training/sampler.py against the app's engine sampler (src/engine/sampler.ts, through
bench/engine-batch.ts and onnxruntime-node): the same small model (PyTorch here, its ONNX export
there), the same starts and settings give the same states, step counts and stopping RMS.
evaluate.py's sweeps sample in Python, so this is what keeps that sampler from drifting."""
import json
import os

import pytest
import torch

import engine_batch
from export import export
from model import UNet
from sampler import descend

REPO = engine_batch.REPO
MODEL_ID = "tiny-parity"

pytestmark = pytest.mark.skipif(not engine_batch.available(), reason="node or node_modules/tsx is absent: the engine cannot run")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A small random U-Net (its zero-initialised output layer randomised, so f is not 0),
    exported with the app's ONNX contract into a model folder the engine loads."""
    torch.manual_seed(0)
    model = UNet(channels=(8, 16, 16), emb_dim=16)
    torch.nn.init.normal_(model.out.weight, std=0.05)
    model.eval()
    models = tmp_path_factory.mktemp("models")
    folder = models / MODEL_ID
    export(model, str(folder / "eqm.onnx"), str(folder / "parity.json"))
    with open(os.path.join(REPO, "models", "fashion-mnist", "manifest.json")) as f:
        manifest = json.load(f)
    manifest.update(id=MODEL_ID, title="parity test model", files={"gradient": "eqm.onnx"}, ood=None)
    with open(folder / "manifest.json", "w") as f:
        json.dump(manifest, f)
    return model, str(models)


def engine_descend(models, x0, conditions, settings):
    response = engine_batch.call({"op": "descend", "x0": engine_batch.f32(x0.numpy()), "count": x0.shape[0],
                                  "conditions": engine_batch.conditions(conditions), "sampler": settings}, models=models, model=MODEL_ID)
    x = torch.from_numpy(engine_batch.from_f32(response["x"], tuple(x0.shape)))
    outcomes = response["outcomes"]
    return x, torch.tensor([o["steps"] for o in outcomes]), torch.tensor([o["gradNorm"] for o in outcomes], dtype=torch.float32)


def python_descend(model, x0, settings, conditions=None, y=None):
    y = y if y is not None else torch.zeros(x0.shape[0], dtype=torch.long)
    return descend(model, y, method=settings["method"], step_size=settings["stepSize"], mu=settings["mu"], max_steps=settings["maxSteps"],
                   stop_grad_norm=settings["stopGradNorm"], cfg=settings["cfg"], x0=x0, conditions=conditions)


def start(seed, n=4):
    return torch.randn(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def check(case, python, engine, x0):
    (px, psteps, prms), (ex, esteps, erms) = python, engine
    diff = float((px - ex).abs().max())
    moved = float((px - x0).abs().max())
    print(f"{case}: max |x_python - x_engine| {diff:.2e} (moved up to {moved:.3f}); steps {psteps.tolist()}; "
          f"max gradNorm diff {float((prms - erms).abs().max()):.2e}")
    assert moved > 0.05, f"{case}: the samples barely moved, the comparison says nothing"
    assert torch.equal(psteps, esteps), f"{case}: steps differ: python {psteps.tolist()}, engine {esteps.tolist()}"
    assert diff < 1e-4, f"{case}: states differ by {diff}"
    assert torch.allclose(prms, erms, rtol=1e-4, atol=1e-6)
    return diff


def settings(method, cfg, steps=6, stop=0.0, eta=0.1):
    return {"method": method, "stepSize": eta, "mu": 0.3, "maxSteps": steps, "stopGradNorm": stop, "cfg": cfg}


def test_unconditional_gd(tiny):
    model, models = tiny
    x0, s = start(1), settings("gd", cfg=0.0)
    check("GD unconditional", python_descend(model, x0, s, conditions=[]), engine_descend(models, x0, [], s), x0)


def test_class_cfg_nag(tiny):
    """evaluate.py's path: CFG toward each sample's label y, as the engine's one condition."""
    model, models = tiny
    x0, s = start(2), settings("nag", cfg=3.0)
    py = python_descend(model, x0, s, y=torch.full((4,), 3, dtype=torch.long))
    check("NAG CFG 3 class 3", py, engine_descend(models, x0, [(3, 1.0)], s), x0)


@pytest.mark.parametrize("method", ["gd", "nag"])
def test_composition_with_a_negative_weight(tiny, method):
    model, models = tiny
    conditions = [(1, 0.8), (7, -0.4), (4, 0.3)]
    x0, s = start(3), settings(method, cfg=2.5)
    check(f"{method} composition {conditions}", python_descend(model, x0, s, conditions=conditions),
          engine_descend(models, x0, conditions, s), x0)


def test_adaptive_stop(tiny):
    """A threshold some samples reach early: both stop the same samples at the same step."""
    model, models = tiny
    x0 = start(4, n=6) * torch.linspace(0.2, 1.5, 6).view(-1, 1, 1, 1)  # different distances, different RMS
    free = settings("nag", cfg=2.0, steps=10)
    _, _, rms = python_descend(model, x0, free, conditions=[(5, 1.0)])
    # midway between two samples' final RMS: a threshold equal to one of them is a tie, which
    # float64 (engine) and float32 (torch) RMS may break differently on the last step
    ordered = rms.sort().values
    stop = float((ordered[2] + ordered[3]) / 2)
    s = settings("nag", cfg=2.0, steps=10, stop=stop)
    py = python_descend(model, x0, s, conditions=[(5, 1.0)])
    assert py[1].min() < 10 and py[1].max() == 10, f"threshold {stop} should stop some samples early and not others: {py[1].tolist()}"
    check(f"NAG stop at RMS {stop:.4f}", py, engine_descend(models, x0, [(5, 1.0)], s), x0)


def test_far_guidance(tiny):
    """Guidance by place on the landscape: farCfg until a sample's guided RMS first falls under
    farUntilRms, cfg after; the switch falls inside the run for some samples."""
    model, models = tiny
    x0 = start(5, n=6) * torch.linspace(0.3, 1.5, 6).view(-1, 1, 1, 1)
    conditions = [(2, 1.0)]
    plain = settings("nag", cfg=2.0, steps=10)
    _, _, first = python_descend(model, x0, {**plain, "maxSteps": 1}, conditions=conditions)
    _, _, last = python_descend(model, x0, plain, conditions=conditions)
    until = float((first.median() * last.median()).sqrt())
    s = {**plain, "farCfg": 0.5, "farUntilRms": until}
    py = descend(model, torch.zeros(6, dtype=torch.long), method="nag", step_size=0.1, mu=0.3, max_steps=10, stop_grad_norm=0.0,
                 cfg=0.5, cfg_near=2.0, guide_until=until, x0=x0, conditions=conditions)
    plain_x = python_descend(model, x0, plain, conditions=conditions)[0]
    assert float((py[0] - plain_x).abs().max()) > 1e-3, "far guidance changed nothing: the case tests nothing"
    check(f"NAG far guidance 0.5 until RMS {until:.4f}, then CFG 2", py, engine_descend(models, x0, conditions, s), x0)


def test_clock_method(tiny):
    """The clock (the field integrated as a flow, sampler-clock.ts) against sampler.clock_sample: Heun
    steps, the last one Euler, guidance farCfg until t = farUntilTime, then cfg."""
    from sampler import clock_sample
    model, models = tiny
    x0 = start(6)
    s = {**settings("clock", cfg=2.0, steps=6), "farCfg": 1.0, "farUntilTime": 0.4}
    px, pevals = clock_sample(model, torch.full((4,), 3, dtype=torch.long), x0, 6, 2.0, far_cfg=1.0, far_until=0.4)
    ex, esteps, _ = engine_descend(models, x0, [(3, 1.0)], s)
    unswitched = clock_sample(model, torch.full((4,), 3, dtype=torch.long), x0, 6, 2.0)[0]
    assert float((px - unswitched).abs().max()) > 1e-3, "the guidance switch changed nothing: the case tests nothing"
    diff = float((px - ex).abs().max())
    print(f"clock: max |x_python - x_engine| {diff:.2e} (moved up to {float((px - x0).abs().max()):.3f}); evaluations {esteps.tolist()}")
    assert float((px - x0).abs().max()) > 0.05
    assert torch.equal(pevals, esteps), f"evaluations differ: python {pevals.tolist()}, engine {esteps.tolist()}"
    assert diff < 1e-4, f"clock: states differ by {diff}"
