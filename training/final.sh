#!/bin/sh
# Post-training pipeline for the shipped model (run from the repo root after eqm-main has finished).
set -e
CK=training/runs/eqm-main/ckpt.pt
/usr/bin/python3 training/export.py --ckpt $CK --out models/fashion-mnist/eqm.onnx --fixture training/parity/eqm.json
node training/check_parity.cjs training/parity/eqm.json models/fashion-mnist/eqm.onnx | tee training/results/parity.json
/usr/bin/python3 training/evaluate.py sweep --ckpt $CK --per-class 20 --spec training/sweep_final.json --out sweep.jsonl --tag final
