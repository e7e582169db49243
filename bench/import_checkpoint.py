"""Benchmark: eqm import on a random checkpoint of a published size, built from a seed (never committed).

Prints JSON (and saves it under bench/results/): file size, EMA weight bytes, time and peak memory
(RSS) of reading the checkpoint alone and of the whole import (read + ONNX export + manifest), each
in a fresh process, beside a bare `import torch` process for scale.
  /usr/bin/python3 bench/import_checkpoint.py            # EqM-B/2 training checkpoint (~2.1 GB file)
  /usr/bin/python3 bench/import_checkpoint.py --xl       # EqM-XL/2 (~10.8 GB file, ~12 GB RAM to build)
  /usr/bin/python3 bench/import_checkpoint.py --xl --bare  # XL/2 EMA state dict alone (2.6 GB: external data)
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TRAINING = os.path.join(REPO, "training")
LAYOUTS = os.path.join(REPO, "test", "fixtures", "eqm-import", "reference-state-dict-shapes.json")

# Peak memory is VmHWM from /proc/self/status: per address space, so it starts afresh at exec (getrusage's
# ru_maxrss would carry over the parent's, which holds the whole random checkpoint while building it).
CHILD = """
import json, sys, time
sys.path.insert(0, {training!r})
t = time.perf_counter()
{body}
seconds = time.perf_counter() - t
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(json.dumps({{"seconds": seconds, "peakRssMiB": int(hwm) / 1024}}))
"""


def random_training_checkpoint(path, name, seed, bare=False):
    """model, EMA, AdamW state (exp_avg, exp_avg_sq) and args, as the reference train.py saves them
    (bare: the EMA state dict alone, a quarter of the size)."""
    layout = json.load(open(LAYOUTS))[name]
    g = torch.Generator().manual_seed(seed)
    rand = lambda shape: torch.randn(shape, generator=g) * 0.02
    if bare:
        torch.save({k: rand(v) for k, v in layout.items()}, path)
        return sum(math.prod(v) for v in layout.values()) * 4
    model = {k: rand(v) for k, v in layout.items()}
    ema = {k: rand(v) for k, v in layout.items()}
    state = {i: {"step": torch.tensor(1000.0), "exp_avg": rand(v), "exp_avg_sq": rand(v).abs()} for i, v in enumerate(layout.values())}
    opt = {"state": state, "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                                             "amsgrad": False, "params": list(range(len(layout)))}]}
    args = argparse.Namespace(model=name, image_size=256, num_classes=1000, ebm="none", uncond=True, vae="ema", epochs=80)
    torch.save({"model": model, "ema": ema, "opt": opt, "args": args}, path)
    return sum(math.prod(v) for v in layout.values()) * 4


def run_child(body):
    out = subprocess.run([sys.executable, "-c", CHILD.format(training=TRAINING, body=body)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--xl", action="store_true", help="EqM-XL/2 instead of EqM-B/2 (needs ~12 GB RAM and ~14 GB disk)")
    p.add_argument("--bare", action="store_true", help="a bare EMA state dict instead of a training checkpoint")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workdir", default=tempfile.gettempdir())
    a = p.parse_args()
    name = "EqM-XL/2" if a.xl else "EqM-B/2"
    work = tempfile.mkdtemp(prefix="eqm-import-bench-", dir=a.workdir)
    try:
        ckpt = os.path.join(work, "checkpoint.pt")
        t = time.perf_counter()
        ema_bytes = random_training_checkpoint(ckpt, name, a.seed, a.bare)
        build_s = time.perf_counter() - t
        baseline = run_child("import torch")
        flags = ", heads={}, ebm='none'".format(16 if a.xl else 12) if a.bare else ""
        read = run_child(f"from eqm_import.checkpoint import read_checkpoint\nread_checkpoint({ckpt!r}{flags})")
        full = run_child(f"from eqm_import.import_model import import_model\n"
                         f"import_model({ckpt!r}, out_dir={os.path.join(work, 'model')!r}{flags})")
        out_files = {f: os.path.getsize(os.path.join(work, "model", f)) for f in sorted(os.listdir(os.path.join(work, "model")))}
        result = {
            "benchmark": "eqm import", "model": name, "checkpoint": "bare EMA state dict" if a.bare else "training (model, ema, opt, args)", "seed": a.seed, "threads": torch.get_num_threads(),
            "checkpointMiB": round(os.path.getsize(ckpt) / 2 ** 20, 1), "emaWeightsMiB": round(ema_bytes / 2 ** 20, 1),
            "buildCheckpointSeconds": round(build_s, 1),
            "pythonTorchBaselinePeakRssMiB": round(baseline["peakRssMiB"], 1),
            "readCheckpoint": {"seconds": round(read["seconds"], 2), "peakRssMiB": round(read["peakRssMiB"], 1)},
            "fullImport": {"seconds": round(full["seconds"], 2), "peakRssMiB": round(full["peakRssMiB"], 1)},
            "outputMiB": {k: round(v / 2 ** 20, 1) for k, v in out_files.items()},
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", f"import-{name.replace('/', '-').lower()}{'-bare' if a.bare else ''}.json"), "w") as f:
        json.dump(result, f, indent=2)




if __name__ == "__main__":
    main()
