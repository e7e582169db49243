"""The shipped model's sampler defaults, read from its manifest: the one owner of those
values (the app, the CLI and these scripts all start from it; the bounds live in
src/shared/settings.ts). Scripts use them as their argparse defaults."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED_MANIFEST = os.path.join(HERE, "..", "models", "fashion-mnist", "manifest.json")


def shipped_sampler(manifest_path=SHIPPED_MANIFEST):
    """method, eta, mu, steps, stop and cfg under the names the training scripts use."""
    with open(manifest_path) as f:
        s = json.load(f)["sampler"]
    return dict(method=s["method"], eta=s["stepSize"], mu=s["mu"], steps=s["maxSteps"], stop=s["stopGradNorm"], cfg=s["cfg"])
