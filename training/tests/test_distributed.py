"""Two processes (torchrun, gloo on the CPU) train exactly as one does on the same global batch."""
import json
import os
import subprocess
import sys

import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TRAIN = os.path.join(HERE, "train.py")
# torchrun's environment, set by training/launch.py (Debian's torch 1.13 torchrun fails on Python 3.11)
LAUNCH = [sys.executable, os.path.join(HERE, "launch.py"), "--nproc", "2"]
TINY = ["--objective", "eqm", "--minutes", "30", "--max-steps", "200", "--subset", "1024", "--channels", "8,16,16",
        "--emb-dim", "16", "--batch", "32", "--lr", "2e-3", "--warmup", "20", "--threads", "1", "--log-every", "50"]


def run(cmd, cwd):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]


def test_two_processes_match_one(tmp_path):
    run([sys.executable, TRAIN, "--name", "one", "--runs-dir", str(tmp_path), *TINY], tmp_path)
    run([*LAUNCH, TRAIN, "--name", "two", "--runs-dir", str(tmp_path), *TINY], tmp_path)
    logs = {name: [json.loads(line) for line in open(tmp_path / name / "log.jsonl")] for name in ("one", "two")}
    assert [r["step"] for r in logs["one"]] == [50, 100, 150, 200] == [r["step"] for r in logs["two"]]
    for a, b in zip(logs["one"], logs["two"]):
        assert abs(a["loss"] - b["loss"]) <= 0.01 * abs(a["loss"]), (a["loss"], b["loss"])
    assert json.load(open(tmp_path / "two" / "config.json"))["processes"] == 2
    one = torch.load(tmp_path / "one" / "ckpt.pt")
    two = torch.load(tmp_path / "two" / "ckpt.pt")
    assert one["state"]["images"] == two["state"]["images"] == 200 * 32
    print(f"1 vs 2 processes after 200 steps: losses {logs['one'][-1]['loss']:.5f} / {logs['two'][-1]['loss']:.5f}")


def test_two_processes_take_the_same_steps(tmp_path):
    # a few steps: the same gradients up to float summation order (later, Adam's division by
    # tiny second moments amplifies such last-bit differences, so long runs agree in loss only)
    short = [a if a != "200" else "3" for a in TINY] + ["--log-every", "1"]
    run([sys.executable, TRAIN, "--name", "one", "--runs-dir", str(tmp_path), *short], tmp_path)
    run([*LAUNCH, TRAIN, "--name", "two", "--runs-dir", str(tmp_path), *short], tmp_path)
    one = torch.load(tmp_path / "one" / "ckpt.pt")
    two = torch.load(tmp_path / "two" / "ckpt.pt")
    worst = max((one["model"][k] - two["model"][k]).abs().max().item() for k in one["model"])
    print(f"1 vs 2 processes after 3 steps: weights differ by at most {worst:.2e}")
    assert worst < 1e-5


def test_two_processes_resume_from_rank_zeros_checkpoint(tmp_path):
    first = [*LAUNCH, TRAIN, "--name", "r", "--runs-dir", str(tmp_path)]
    run(first + [a if a != "200" else "60" for a in TINY], tmp_path)
    assert torch.load(tmp_path / "r" / "ckpt.pt")["state"]["step"] == 60
    run(first + TINY, tmp_path)
    state = torch.load(tmp_path / "r" / "ckpt.pt")["state"]
    assert state["step"] == 200


def test_sharded_sampling_gives_the_one_process_samples(tmp_path):
    short = [a if a != "200" else "3" for a in TINY]
    run([sys.executable, TRAIN, "--name", "m", "--runs-dir", str(tmp_path), *short], tmp_path)
    evaluate = os.path.join(HERE, "evaluate.py")
    sample = ["samples", "--ckpt", str(tmp_path / "m" / "ckpt.pt"), "--per-class", "3", "--steps", "6", "--stop", "0.5",
              "--cfg", "2", "--threads", "1"]
    run([sys.executable, evaluate, *sample, "--save", str(tmp_path / "one.pt")], tmp_path)
    run([*LAUNCH, evaluate, *sample, "--save", str(tmp_path / "two.pt")], tmp_path)
    one, two = torch.load(tmp_path / "one.pt"), torch.load(tmp_path / "two.pt")
    assert one["x"].shape == two["x"].shape == (30, 1, 28, 28)
    assert torch.equal(one["y"], two["y"]) and torch.equal(one["steps"], two["steps"])
    assert (one["x"] - two["x"]).abs().max().item() < 1e-5
