#!/usr/bin/env bash
# Issue 14 on a lent GPU: the shipped model's recipe (training/train.py, same backbone, batch 128,
# lr 1e-3, EMA 0.999) trained for MINUTES on the GPU, three runs side by side on the one card:
# EqM, flow matching (the baseline, trained exactly as long) and EqM with spatially varying noise.
# Prepare here: mkdir -p .data && cp /usr/share/datasets/fashion-mnist/*.gz .data/
#   device run: carry [".data"], command "scripts/device-train.sh 4", timeout_s ~360
# Returns CPU checkpoints of the EMA weights (loadable by export.py and evaluate.py) and the logs.
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

common=(--minutes "$minutes" --channels 32,64,128 --lr 1e-3 --batch 128 --ema 0.999 --device "${EQM_TRAIN_DEVICE:-cuda}" --threads 4 --ckpt-minutes 1 --log-every 500 --runs-dir "$runs")
"$py" training/train.py --name eqm-gpu --objective eqm "${common[@]}" >"$runs/eqm-gpu.out" 2>&1 &
"$py" training/train.py --name fm-gpu --objective fm "${common[@]}" >"$runs/fm-gpu.out" 2>&1 &
"$py" training/train.py --name eqm-spatial-gpu --objective eqm-spatial "${common[@]}" >"$runs/eqm-spatial-gpu.out" 2>&1 &
wait

# EMA weights only, as .npz (numpy is the same everywhere; a torch 2.x pickle may not load on the
# torch 1.13 here) with the run's config and state as JSON; training/npz_checkpoint.py makes a
# checkpoint of it that export.py and evaluate.py read
"$py" - "$runs" "$out" <<'PY'
import json, sys, numpy as np, torch
runs, out = sys.argv[1], sys.argv[2]
for name in ("eqm-gpu", "fm-gpu", "eqm-spatial-gpu"):
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
