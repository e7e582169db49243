"""The repair and composition benchmarks: their own pieces (masks, target lines), and their
EqM rows tied to the app's engine (the same images as the `eqm` command line gives)."""
import json
import os
import subprocess

import numpy as np
import pytest
import torch
from PIL import Image

import compose_bench
import engine_batch
import repair_bench
from data import load_split


def test_repair_masks_cover_10_to_50_percent_boxes_and_strokes():
    m = repair_bench.masks(40, seed=3)
    assert m.shape == (40, 1, 28, 28) and m.dtype == torch.float32
    coverage = (m > 0).float().flatten(1).mean(1)
    assert coverage.min() >= 0.05 and coverage.max() <= 0.6
    # boxes are hard-edged, strokes have a soft edge
    assert set(m[0].unique().tolist()) <= {0.0, 1.0}
    assert ((m[1] > 0) & (m[1] < 1)).any()


def cli(*args):
    """The app's own command line (src/cli, through tsx): a direct engine call."""
    out = subprocess.run(["node", "--import", "tsx", os.path.join(engine_batch.REPO, "src", "cli", "index.ts"), *args],
                         cwd=engine_batch.REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def png_values(path):
    return engine_batch.bytes_to_values(np.asarray(Image.open(path).convert("L")))[None]


needs_engine = pytest.mark.skipif(not engine_batch.available(), reason="node or node_modules/tsx is absent: the engine cannot run")


@needs_engine
def test_repair_bench_rows_are_the_engines_repair(tmp_path):
    """A tiny repair benchmark (3 images, 6 steps) gives exactly what `eqm repair` gives for the
    same photo, mask, strength and seed, and starts where the engine's repair starts."""
    xt, yt = load_split("test")
    original, labels = xt[5000:5003], yt[5000:5003]
    m_u8 = repair_bench.mask_bytes(repair_bench.masks(3, seed=5).numpy())
    sampler = {"maxSteps": 6}
    for guide in (None, labels):
        repaired, steps, starts = repair_bench.engine_repair(original, m_u8, 0.8, seed=5, labels=guide, sampler=sampler)
        assert steps.max() <= 6
        for i in range(3):
            Image.fromarray(engine_batch.values_to_bytes(original[i, 0].numpy())).save(tmp_path / "photo.png")
            Image.fromarray(m_u8[i, 0]).save(tmp_path / "mask.png")
            args = ["repair", "--in", str(tmp_path / "photo.png"), "--mask", str(tmp_path / "mask.png"), "--strength", "0.8",
                    "--seed", str(repair_bench.image_seed(5, 0.8, i)), "--steps", "6", "--models", os.path.join(engine_batch.REPO, "models"),
                    "--out", str(tmp_path / "out.png")]
            if guide is not None:
                args += ["--class", str(int(guide[i]))]
            cli(*args)
            assert torch.equal(repaired[i], png_values(tmp_path / "out.png")), f"image {i} (guided: {guide is not None})"
        held = torch.from_numpy(m_u8) == 0
        assert torch.equal(repaired[held], original[held])
        assert torch.allclose(starts[held], original[held], atol=1e-6)  # float32 of the engine's b / 255 * 2 - 1
        painted = torch.from_numpy(m_u8) == 255
        assert (starts[painted] - original[painted]).abs().mean() > 0.3  # noised at s = 0.8


@needs_engine
def test_compose_bench_samples_are_the_engines_generate(tmp_path):
    """compose_bench's samples are `eqm compose`'s images for the same classes, weights, CFG and seed,
    a negative weight included."""
    x, steps = compose_bench.sample([(7, 0.6), (5, -0.3)], cfg=2.5, n=2, seed=11, settings=engine_batch.tool_sampler("compose"))
    assert x.shape == (2, 1, 28, 28) and steps.min() >= 1
    out = cli("compose", "--class", "7:0.6", "--class", "5:-0.3", "--cfg", "2.5", "--count", "2", "--seed", "11",
              "--models", os.path.join(engine_batch.REPO, "models"), "--out", str(tmp_path))
    files = [json.loads(line)["file"] for line in out.splitlines() if line.startswith("{")]  # one line per image, in order
    assert len(files) == 2
    for i, file in enumerate(files):
        assert torch.equal(x[i], png_values(file)), f"image {i}"


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


@needs_engine
def test_engine_batch_names_the_bad_item():
    bad = {"photo": engine_batch.u8(np.zeros(5, np.uint8)), "mask": engine_batch.u8(np.zeros(784, np.uint8)), "strength": 0.5, "seed": 1}
    with pytest.raises(RuntimeError, match=r"items\[0\]: image has 5 bytes, expected 784"):
        engine_batch.call({"op": "repair", "items": [bad]})
    with pytest.raises(RuntimeError, match=r"calibrations.0.score"):
        engine_batch.call({"op": "ood-scores", "sets": {}, "calibrations": [{"score": "neg-dot"}]})
