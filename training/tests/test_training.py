"""A tiny EqM run on a subset (loss must fall), its ONNX export and onnxruntime-node parity."""
import json
import os
import shutil
import subprocess

import pytest
import torch

import train
from export import export, load_model

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    # the step cap ends the run; the minutes cap is only a guard, wide enough for a busy 2-core machine
    args = ["--name", "tiny", "--objective", "eqm", "--minutes", "30", "--max-steps", "300", "--subset", "2000",
            "--channels", "8,16,16", "--emb-dim", "16", "--batch", "32", "--lr", "2e-3", "--warmup", "20",
            "--threads", "2", "--log-every", "25", "--runs-dir", str(runs)]
    train.main(args)
    return runs / "tiny"


def test_tiny_eqm_loss_falls(tiny_run):
    log = [json.loads(line) for line in open(tiny_run / "log.jsonl")]
    assert log[-1]["step"] == 300
    first, last = log[0]["loss"], sum(r["loss"] for r in log[-3:]) / 3
    print(f"tiny EqM loss {first:.3f} -> {last:.3f}")
    assert last < 0.85 * first
    cfg = json.load(open(tiny_run / "config.json"))
    assert cfg["objective"] == "eqm" and cfg["lam"] == 4.0 and cfg["a"] == 0.8


def test_resume_continues(tiny_run, tmp_path):
    # rerunning the same command resumes from the checkpoint (no new steps when the cap is reached)
    state = train.main(["--name", "tiny", "--max-steps", "300", "--channels", "8,16,16", "--emb-dim", "16",
                        "--runs-dir", str(tiny_run.parent), "--threads", "1"])
    assert state["step"] == 300


@pytest.mark.parametrize("objective", ["fm", "eqme"])
def test_other_objectives_run(tmp_path, objective):
    state = train.main(["--name", objective, "--objective", objective, "--minutes", "2", "--max-steps", "10",
                        "--subset", "256", "--channels", "8,16,16", "--emb-dim", "16", "--batch", "16",
                        "--threads", "1", "--log-every", "5", "--runs-dir", str(tmp_path)])
    assert state["step"] == 10
    log = [json.loads(line) for line in open(tmp_path / objective / "log.jsonl")]
    assert all(r["loss"] == r["loss"] for r in log)


def node_parity(fixture):
    """Replays a parity fixture through onnxruntime-node (training/check_parity.cjs); its JSON report."""
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(REPO, "node_modules", "onnxruntime-node")):
        pytest.skip("node or node_modules/onnxruntime-node is absent: parity not checked")
    out = subprocess.run([node, os.path.join(REPO, "training", "check_parity.cjs"), str(fixture)], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_export_and_onnxruntime_node_parity(tiny_run, tmp_path):
    model, _ = load_model(str(tiny_run / "ckpt.pt"))
    onnx_path, fixture = tmp_path / "tiny.onnx", tmp_path / "tiny.json"
    export(model, str(onnx_path), str(fixture))
    import onnx
    m = onnx.load(str(onnx_path))
    onnx.checker.check_model(m)
    assert [i.name for i in m.graph.input] == ["x", "y"]
    assert [o.name for o in m.graph.output] == ["grad"]
    assert m.graph.input[1].type.tensor_type.elem_type == onnx.TensorProto.INT64
    res = node_parity(fixture)
    print("onnxruntime-node parity max abs diff", res["maxAbsDiff"])
    assert res["dims"] == [4, 1, 28, 28]
    assert res["maxAbsDiff"] < 1e-4
    assert res["maxAbsRef"] > 0


def test_energy_export_and_onnxruntime_node_parity(tiny_run, tmp_path):
    """The EqM-E energy model's contract: x, y -> energy [B] (sum of x * g(x))."""
    model, _ = load_model(str(tiny_run / "ckpt.pt"))
    onnx_path, fixture = tmp_path / "tiny-energy.onnx", tmp_path / "tiny-energy.json"
    export(model, str(onnx_path), str(fixture), energy=True)
    import onnx
    m = onnx.load(str(onnx_path))
    onnx.checker.check_model(m)
    assert [o.name for o in m.graph.output] == ["energy"]
    saved = json.load(open(fixture))
    with torch.no_grad():
        x = torch.tensor(saved["x"]).view(saved["shape"])
        expected = (x * model(x, torch.tensor(saved["y"]))).flatten(1).sum(1)
    assert torch.allclose(torch.tensor(saved["energy"]), expected, atol=1e-4)
    res = node_parity(fixture)
    assert res["output"] == "energy" and res["dims"] == [4]
    assert res["ok"]

