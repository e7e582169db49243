"""The app's engine run from Python: bench/engine-batch.ts in Node, requests and responses as
JSON files. The benchmarks' EqM rows come from here, so they measure the engine's own repair,
generate (class, CFG, composition), sampler and OOD scores rather than a Python copy of them.

Needs node and the repository's node_modules (onnxruntime-node, tsx).
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np
import torch

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ENTRY = os.path.join(REPO, "bench", "engine-batch.ts")
MODELS = os.path.join(REPO, "models")


class EngineUnavailable(RuntimeError):
    """node or the repository's node_modules is missing."""


def available():
    return shutil.which("node") is not None and os.path.isdir(os.path.join(REPO, "node_modules", "tsx"))


def call(request, models=MODELS, model=None, timeout=3600):
    """Runs one request through the engine; its response (a dict). Errors name the op and say why."""
    if not available():
        raise EngineUnavailable("node or node_modules/tsx is absent: run npm install in the repository")
    with tempfile.TemporaryDirectory() as tmp:
        req, resp = os.path.join(tmp, "request.json"), os.path.join(tmp, "response.json")
        with open(req, "w") as f:
            json.dump(request, f)
        cmd = ["node", "--import", "tsx", ENTRY, "--in", req, "--out", resp, "--models", models] + (["--model", model] if model else [])
        out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"engine-batch {request.get('op')}: {out.stderr.strip() or 'exit code %d' % out.returncode}")
        with open(resp) as f:
            return json.load(f)


def ood_score_kinds():
    """The OOD scores the engine computes (src/shared/settings.ts OOD_SCORE, as the engine reports them)."""
    return tuple(call({"op": "kinds"})["oodScoreKinds"])


def tool_sampler(tool, models=MODELS):
    """A tool's default sampler settings ("generate", "repair", "compose") as the app resolves them from the
    manifest (its sampler, and the studio block's per-tool settings over it), in the manifest's names."""
    defaults = call({"op": "defaults"}, models=models)
    return defaults["sampler"] if tool == "generate" else defaults["studio"][tool]["sampler"]


# --- binary fields -------------------------------------------------------------------------------

def values_to_bytes(x):
    """Model values in [-1, 1] -> 8-bit, as the engine's valuesToBytes rounds them."""
    return np.clip(np.round((np.asarray(x, np.float64) + 1) * 127.5), 0, 255).astype(np.uint8)


def bytes_to_values(b):
    return torch.from_numpy(np.asarray(b, np.float32) / 127.5 - 1.0)


def u8(array):
    return base64.b64encode(np.ascontiguousarray(array, np.uint8).tobytes()).decode()


def f32(array):
    return base64.b64encode(np.ascontiguousarray(array, "<f4").tobytes()).decode()


def from_u8(text, shape):
    return np.frombuffer(base64.b64decode(text), np.uint8).reshape(shape)


def from_f32(text, shape):
    return np.frombuffer(base64.b64decode(text), "<f4").reshape(shape).copy()


def conditions(pairs):
    return [{"classIndex": int(c), "weight": float(w)} for c, w in pairs]
