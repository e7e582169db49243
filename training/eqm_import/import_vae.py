"""eqm import-vae: a diffusers AutoencoderKL folder (the SD-VAE) -> a VAE folder the studio uses by id.

Writes encoder.onnx (image [-1, 1] -> posterior mean x scale), decoder.onnx (latent -> image / scale
undone first) and vae.json with a cheap latent-to-RGB preview map for live frames: a 3x4 linear map
plus bias fitted by least squares from latents to their decoded images (averaged over each 8x8 block).
"""
import json
import os
import re
import time

import torch
import torch.nn.functional as F

from .import_model import staged_folder
from .manifest import LATENT_SCALE, file_sha256
from .onnx_export import export_graph
from .safe_load import LazyTensor, load_checkpoint
from .safetensors_file import read_safetensors
from .vae import VaeDecoder, VaeEncoder, VaeLayoutError, check_layout, normalise_keys

WEIGHT_FILES = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")
CONFIG_KEYS = ("block_out_channels", "layers_per_block", "latent_channels", "in_channels", "out_channels")


def read_vae_folder(folder):
    config_path = os.path.join(folder, "config.json")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(f"{folder}: no config.json (expected the diffusers AutoencoderKL layout)")
    with open(config_path) as f:
        config = json.load(f)
    if config.get("_class_name", "AutoencoderKL") != "AutoencoderKL":
        raise VaeLayoutError(f"{config_path}: _class_name is {config.get('_class_name')}, not AutoencoderKL")
    for key in CONFIG_KEYS:
        if key not in config:
            raise VaeLayoutError(f"{config_path}: missing {key}")
    config.setdefault("norm_num_groups", 32)
    for key in ("down_block_types", "up_block_types"):
        kinds = set(config.get(key, []))
        if kinds - {"DownEncoderBlock2D", "UpDecoderBlock2D"}:
            raise VaeLayoutError(f"{config_path}: {key} {sorted(kinds)} is not the plain KL autoencoder")
    path = next((os.path.join(folder, n) for n in WEIGHT_FILES if os.path.isfile(os.path.join(folder, n))), None)
    if path is None:
        raise FileNotFoundError(f"{folder}: neither {' nor '.join(WEIGHT_FILES)}")
    if path.endswith(".safetensors"):
        raw = read_safetensors(path)
    else:  # a torch .bin: through the restricted unpickler, never torch.load
        tree = load_checkpoint(path)
        if not isinstance(tree, dict) or not all(isinstance(v, LazyTensor) for v in tree.values()):
            raise VaeLayoutError(f"{path}: not a state dict of tensors")
        raw = {k: v.load() for k, v in tree.items()}
    weights = {k: v.float() for k, v in normalise_keys(raw).items()}
    check_layout(config, weights, path)
    return config, weights, path


def fit_preview(decoder, latent_channels, downscale, seed=0, size=16, count=4):
    """Least-squares map latent (per position) -> mean RGB of its decoded block; smooth random latents."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.randn(count, latent_channels, size // 4, size // 4, generator=g)
    latents = F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
    with torch.no_grad():
        images = decoder(latents)
    blocks = F.avg_pool2d(images, downscale)  # [n, 3, size, size]
    a = torch.cat([latents.permute(0, 2, 3, 1).reshape(-1, latent_channels), torch.ones(count * size * size, 1)], 1).double()
    b = blocks.permute(0, 2, 3, 1).reshape(-1, 3).double()
    solution = torch.linalg.lstsq(a, b).solution  # [latent + 1, 3]
    rmse = float(((a @ solution - b) ** 2).mean().sqrt())
    return {"matrix": solution[:-1].t().tolist(), "bias": solution[-1].tolist(), "rmse": rmse,
            "fittedOn": f"{count} smooth random latents of {size}x{size}, seed {seed}"}


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "vae"


def import_vae(folder, *, out_dir=None, models_root=None, vae_id=None):
    started = time.perf_counter()
    config, weights, weight_path = read_vae_folder(folder)
    vae_id = vae_id or slug(os.path.basename(os.path.normpath(folder)))
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", vae_id):
        raise ValueError(f"--id {vae_id!r}: use lower-case letters, digits and dashes")
    if out_dir is None:
        out_dir = os.path.join(models_root, "vae", vae_id)
    scale = float(config.get("scaling_factor", LATENT_SCALE))
    downscale = 2 ** (len(config["block_out_channels"]) - 1)
    with staged_folder(out_dir) as work:
        encoder, decoder = VaeEncoder(config, weights, scale).eval(), VaeDecoder(config, weights, scale).eval()
        side = 2 * downscale
        image = torch.rand(1, config["in_channels"], side, side) * 2 - 1
        latent = torch.randn(1, config["latent_channels"], 2, 2)
        files = export_graph(encoder, (image,), ["image"], "latent", os.path.join(work, "encoder.onnx"), spatial=True)
        files += export_graph(decoder, (latent,), ["latent"], "image", os.path.join(work, "decoder.onnx"), spatial=True)
        manifest = {
            "schemaVersion": 1, "kind": "vae", "id": vae_id, "title": os.path.basename(os.path.normpath(folder)),
            "latentChannels": config["latent_channels"], "downscale": downscale, "scale": scale,
            "imageRange": [-1, 1],
            "files": {"encoder": "encoder.onnx", "decoder": "decoder.onnx"},
            "preview": fit_preview(decoder, config["latent_channels"], downscale),
            "provenance": {"source": "diffusers AutoencoderKL folder, imported by eqm import-vae",
                           "file": os.path.basename(weight_path), "sha256": file_sha256(weight_path),
                           "config": {k: config[k] for k in CONFIG_KEYS + ("norm_num_groups",)}},
        }
        with open(os.path.join(work, "vae.json"), "w") as f:
            json.dump(manifest, f, indent=2)
    return {"id": vae_id, "folder": os.path.abspath(out_dir), "files": files + ["vae.json"],
            "preview_rmse": manifest["preview"]["rmse"], "seconds": round(time.perf_counter() - started, 3)}
