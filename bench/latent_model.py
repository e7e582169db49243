"""Benchmark: a B/2-sized latent model on this machine's CPU, ORT (the engine's runtime) against PyTorch
eager on the same weights in the same run; first-frame latency; VAE decode and encode; peak memory.

Builds a seeded random EqM-B/2 EMA state dict and a random SD-VAE (sd-vae-ft-ema layout) in a
scratch folder (never committed), imports both with the importers, then times
  - PyTorch eager: our forward (training/eqm_import/sit.py, the one the ONNX is traced from), no_grad;
  - onnxruntime-node: bench/latent_ort.cjs on the imported gradient ONNX and VAE.
One "call" is one model evaluation of a batch; a CFG step evaluates 2 rows per sample.
Prints JSON and saves it under bench/results/.
  /usr/bin/python3 bench/latent_model.py [--reps 3] [--seed 0]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "training"))

from eqm_import.checkpoint import read_checkpoint  # noqa: E402
from eqm_import.import_model import import_model  # noqa: E402
from eqm_import.import_vae import import_vae  # noqa: E402
from eqm_import.safetensors_file import write_safetensors  # noqa: E402
from eqm_import.sit import EqMNet  # noqa: E402

FIXTURES = os.path.join(REPO, "test", "fixtures")


def peak_rss_mib():
    return int([l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]) / 1024


# the reference sizes this benchmark builds: their state-dict layout and attention heads
SIZES = {"B": ("EqM-B/2", 12), "XL": ("EqM-XL/2", 16)}


def random_checkpoint(path, seed, size="B"):
    layout = json.load(open(os.path.join(FIXTURES, "eqm-import", "reference-state-dict-shapes.json")))[SIZES[size][0]]
    g = torch.Generator().manual_seed(seed)
    torch.save({k: torch.randn(v, generator=g) / (v[-1] ** 0.5 if len(v) > 1 else 5) for k, v in layout.items()}, path)


def random_sd_vae(folder, seed):
    layout = json.load(open(os.path.join(FIXTURES, "vae", "sd-vae-ft-ema-layout.json")))
    os.makedirs(folder)
    g = torch.Generator().manual_seed(seed)
    tensors = {}
    for k, shape in layout["new"].items():
        fan_in = 1
        for d in shape[1:]:
            fan_in *= d
        tensors[k] = torch.randn(shape, generator=g) / (fan_in ** 0.5 if len(shape) > 1 else 5)
        if len(shape) == 1 and "norm" in k and k.endswith(".weight"):  # group-norm scales near 1
            tensors[k] = 1 + 0.1 * tensors[k]
    write_safetensors(os.path.join(folder, "diffusion_pytorch_model.safetensors"), tensors)
    config = dict(layout["config"], _class_name="AutoencoderKL", act_fn="silu", sample_size=256, scaling_factor=0.18215,
                  down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4)
    json.dump(config, open(os.path.join(folder, "config.json"), "w"))


def eager_ms(net, batch, reps, seed):
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(batch, 4, 32, 32, generator=g), torch.full((batch,), 207)
    with torch.no_grad():
        net.head(x, y)  # warm-up
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            net.head(x, y)
            times.append((time.perf_counter() - t) * 1000)
    return round(sorted(times)[len(times) // 2], 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both runtimes (Debian's torch defaults to 1 here)")
    p.add_argument("--size", choices=sorted(SIZES), default="B", help="B: EqM-B/2; XL: EqM-XL/2 (2.7 GB of weights: external-data ONNX)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    work = tempfile.mkdtemp(prefix="eqm-latent-bench-")
    try:
        root = os.path.join(work, "models")
        t = time.perf_counter()
        random_sd_vae(os.path.join(work, "sd-vae"), a.seed)
        import_vae(os.path.join(work, "sd-vae"), models_root=root, vae_id="sd-vae-ft-ema")
        vae_import_s = time.perf_counter() - t
        name, heads = SIZES[a.size]
        model_id = a.size.lower() + "2"
        checkpoint = os.path.join(work, f"{model_id}.pt")
        random_checkpoint(checkpoint, a.seed, a.size)
        t = time.perf_counter()
        import_model(checkpoint, models_root=root, model_id=model_id, heads=heads, ebm="none")
        import_s = time.perf_counter() - t
        ort = subprocess.run(["node", os.path.join(HERE, "latent_ort.cjs"), os.path.join(root, model_id), os.path.join(root, "vae", "sd-vae-ft-ema"), str(a.reps), str(a.threads)],
                             capture_output=True, text=True, cwd=REPO)
        if ort.returncode != 0:
            raise RuntimeError(ort.stderr[-2000:])
        ort_result = json.loads(ort.stdout.strip().splitlines()[-1])
        config, weights, _, _ = read_checkpoint(checkpoint, heads=heads, ebm="none")
        net = EqMNet(config, weights).eval()
        eager = {f"batch{b}": eager_ms(net, b, a.reps, a.seed) for b in (1, 8)}
        result = {
            "benchmark": f"latent model ({name} size, random weights)", "seed": a.seed, "reps": a.reps,
            "cpuCount": os.cpu_count(), "threads": {"torch": torch.get_num_threads(), "onnxruntime": a.threads}, "loadAverage": [round(v, 2) for v in os.getloadavg()],
            "msPerCall": {"onnxruntime": ort_result["msPerCall"], "pytorchEager": eager},
            "firstFrameMs": ort_result["firstFrameMs"], "sessionCreateMs": ort_result["sessionCreateMs"], "firstCallMs": ort_result["firstCallMs"],
            "vae": {"imageSide": ort_result["imageSide"], "decodeMs": ort_result["decodeMs"], "encodeMs": ort_result["encodeMs"], "sessionsMs": ort_result["vaeSessionsMs"]},
            "peakRssMiB": {"onnxruntimeProcess": ort_result["peakRssMiB"], "pythonProcess": round(peak_rss_mib())},
            "importSeconds": {"model": round(import_s, 1), "vae": round(vae_import_s, 1)},
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", f"latent-model-{model_id}.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
