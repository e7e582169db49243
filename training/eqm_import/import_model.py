"""eqm import: a reference EqM checkpoint -> a model folder (manifest.json + ONNX) the engine loads.

The folder is built under a temporary name beside the target and renamed at the end, so a
failed import leaves nothing behind, and an existing folder is never overwritten.
"""
import contextlib
import json
import os
import re
import shutil
import time

import torch

from .checkpoint import open_checkpoint, placeholders
from .manifest import DEFAULT_VAE, build_manifest, file_sha256
from .onnx_export import export_graph
from .sit import EnergyGraph, EqMNet, GradientGraph, parameter_sources

ENERGY_UNAVAILABLE = (
    "energy-variant checkpoint ({ebm}): its trained field is the gradient of its energy, which torch 1.13 cannot "
    "export to ONNX (the tracer does not follow autograd.grad) and the engine cannot differentiate; the reference "
    "sampling script instead uses the raw head output under no_grad, which is not what was trained, so generation "
    "is refused. The energy model is imported for energies and OOD scores.")


def slug(text):
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "eqm-model"


def default_id(checkpoint, config):
    name = config.get("model_name")
    base = slug(name) if name else slug(os.path.splitext(os.path.basename(checkpoint))[0])
    return base if base[0].isalnum() else "eqm-" + base


def claim_folder(out_dir):
    if os.path.lexists(out_dir):
        raise FileExistsError(f"{out_dir} already exists; eqm import never overwrites a folder (choose --id or --out)")
    parent = os.path.dirname(os.path.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    return os.path.join(parent, f".{os.path.basename(out_dir)}.partial-{os.getpid()}")


@contextlib.contextmanager
def staged_folder(out_dir):
    """A hidden work folder beside out_dir that becomes out_dir (one rename) only when the block ends
    without an error; on any error, an interruption included, it is removed. An out_dir that exists
    before, or appears meanwhile, is never overwritten."""
    work = claim_folder(out_dir)
    os.makedirs(work)
    try:
        yield work
        if os.path.lexists(out_dir):
            raise FileExistsError(f"{out_dir} appeared during the import; not overwritten")
        os.rename(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def weight_reader(config, lazy):
    """Graph parameter name ("net.blocks.0.qkv.weight") -> its float32 value, read from the checkpoint now."""
    sources = parameter_sources(config)

    def tensor_for(name):
        source = sources[name[len("net."):]]
        if isinstance(source, tuple):
            fold, keys = source
            return fold({k: lazy[k].load().float() for k in keys})
        return lazy[source].load().float()
    return tensor_for


def image_size_with(config, root, vae_id):
    """The decoded image side: the latent side times the VAE's downscale when that VAE is already
    imported into the root (a small test VAE downscales by 2, not the SD-VAE's 8), else the
    checkpoint's own image size."""
    path = os.path.join(root, "vae", vae_id, "vae.json")
    try:
        with open(path) as f:
            return config["latent_size"] * int(json.load(f)["downscale"])
    except (OSError, ValueError, KeyError):
        return config["image_size"]


def import_model(checkpoint, *, out_dir=None, models_root=None, model_id=None, title=None, heads=None, ebm=None, vae_id=None):
    started = time.perf_counter()
    config, lazy, part, args = open_checkpoint(checkpoint, heads=heads, ebm=ebm)
    model_id = model_id or default_id(checkpoint, config)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", model_id):
        raise ValueError(f"--id {model_id!r}: use lower-case letters, digits and dashes")
    if out_dir is None:
        out_dir = os.path.join(models_root, model_id)
    with staged_folder(out_dir) as work:
        # traced on placeholders, then each weight is read from the checkpoint as it is written: the
        # import holds about one copy of the weights at most (the tracer clones its parameters once)
        net = EqMNet(config, placeholders(lazy)).eval()
        tensor_for = weight_reader(config, lazy)
        n = 2
        x = torch.randn(n, config["in_channels"], config["latent_size"], config["latent_size"])
        y = torch.tensor([0, config["null_class"]])
        files, written, unavailable = {}, [], None
        if config["ebm"] == "none":
            written += export_graph(GradientGraph(net), (x, y), ["x", "y"], "grad", os.path.join(work, "gradient.onnx"),
                                    tensor_for=tensor_for)
            files["gradient"] = "gradient.onnx"
        else:
            written += export_graph(EnergyGraph(net), (x, y), ["x", "y"], "energy", os.path.join(work, "energy.onnx"),
                                    tensor_for=tensor_for)
            files["energy"] = "energy.onnx"
            unavailable = ENERGY_UNAVAILABLE.format(ebm=config["ebm"])
        title = title or (f"{config['model_name']} (imported)" if config.get("model_name") else f"EqM {model_id} (imported)")
        vae_id = vae_id or DEFAULT_VAE
        manifest = build_manifest(model_id=model_id, title=title, config=config, files=files, vae_id=vae_id,
                                  checkpoint=checkpoint, sha256=file_sha256(checkpoint), part=part, args=args,
                                  unavailable=unavailable,
                                  image_size=image_size_with(config, models_root or os.path.dirname(os.path.abspath(out_dir)), vae_id))
        with open(os.path.join(work, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=2)
    return {"id": model_id, "folder": os.path.abspath(out_dir), "files": written + ["manifest.json"], "config": config,
            "weights": part, "unavailable": unavailable, "seconds": round(time.perf_counter() - started, 3)}
