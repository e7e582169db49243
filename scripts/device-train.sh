#!/usr/bin/env bash
# Issue 14 on a lent GPU: the shipped model's recipe (training/train.py, same backbone, batch 128,
# lr 1e-3, EMA 0.999) trained for MINUTES on the GPU, three runs side by side on the one card:
# EqM, flow matching (the baseline, trained exactly as long) and EqM with spatially varying noise.
# Prepare here: mkdir -p .data && cp /usr/share/datasets/fashion-mnist/*.gz .data/
#   device run: carry [".data"], command "scripts/device-train.sh 4", timeout_s ~360
# Returns CPU checkpoints of the EMA weights (loadable by export.py and evaluate.py) and the logs.
# EQM_TRAIN_CHANNELS (default 32,64,128, the shipped width) trains a wider network; EQM_TRAIN_RUNS
# (default "eqm fm eqm-spatial") picks the runs, which share the card. Issue 14 allows a network up to
# 2x the shipped one's time per row. Measured here (onnxruntime-node, CPU, random weights, calls
# interleaved by round, training/RESULTS.md "Which wider network"): 32,64,256 (2.50M parameters,
# capacity where it is cheap, at 7x7) takes 1.29x / 1.38x / 1.42x at batch 16 / 32 / 64 rows;
# 48,96,192 (2.09M) 1.60x / 1.76x / 1.92x. A wider model's first frame must stay under 100 ms
# (npm run bench) before it ships.
#   e.g. carry [".data"], command "EQM_TRAIN_CHANNELS=32,64,256 EQM_TRAIN_RUNS=eqm-spatial scripts/device-train.sh 8"
set -uo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-4}"
py="${PYTHON:-python3}"
out="${OUT:-/tmp/eqm-device-train}"
runs=/tmp/eqm-runs
mkdir -p "$out" "$runs"
export FASHION_MNIST_DIR="$PWD/.data" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$out/gpu.txt" 2>&1
"$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' >>"$out/gpu.txt" 2>&1

channels="${EQM_TRAIN_CHANNELS:-32,64,128}"
read -r -a objectives <<<"${EQM_TRAIN_RUNS:-eqm fm eqm-spatial}"
common=(--minutes "$minutes" --channels "$channels" --lr 1e-3 --batch 128 --ema 0.999 --device "${EQM_TRAIN_DEVICE:-cuda}" --threads 4 --ckpt-minutes 1 --log-every 500 --runs-dir "$runs")
for objective in "${objectives[@]}"; do
  "$py" training/train.py --name "$objective-gpu" --objective "$objective" "${common[@]}" >"$runs/$objective-gpu.out" 2>&1 &
done
wait

# EMA weights only, as .npz (numpy is the same everywhere; a torch 2.x pickle may not load on the
# torch 1.13 here) with the run's config and state as JSON; training/npz_checkpoint.py makes a
# checkpoint of it that export.py and evaluate.py read
"$py" - "$runs" "$out" <<'PY'
import json, sys, numpy as np, torch
runs, out = sys.argv[1], sys.argv[2]
import os
for name in sorted(d for d in os.listdir(runs) if os.path.isfile(f"{runs}/{d}/ckpt.pt")):
    try:
        ck = torch.load(f"{runs}/{name}/ckpt.pt", map_location="cpu")
    except Exception as error:
        print(name, "no checkpoint:", error)
        continue
    arrays = {k: v.cpu().numpy() for k, v in ck["ema"].items()}
    np.savez(f"{out}/{name}.npz", __config__=json.dumps(ck["config"]), __state__=json.dumps(ck["state"]), **arrays)
    print(name, ck["state"])
PY
tar -C "$runs" -czf "$out/train-logs.tar.gz" $(cd "$runs" && ls -d */log.jsonl */config.json *.out 2>/dev/null)
tail -n 3 "$runs"/*.out
