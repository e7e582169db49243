"""eqm import-vae: our VAE's layout equals the published SD-VAE's, and its ONNX encoder/decoder (through
onnxruntime-node) match the reference autoencoder (CompVis latent-diffusion) on a tiny random VAE."""
import json
import os
import shutil
import subprocess
from collections import OrderedDict

import pytest
import torch

from eqm_import.import_vae import import_vae, read_vae_folder
from eqm_import.safetensors_file import read_safetensors
from eqm_import.vae import VaeLayoutError, expected_shapes, normalise_keys
from test_training import REPO

FIXTURES = os.path.join(REPO, "test", "fixtures", "vae")
TINY = os.path.join(FIXTURES, "tiny-vae")
TOLERANCE = 2e-5


def run_onnx(tmp_path, model, inputs):
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(REPO, "node_modules", "onnxruntime-node")):
        pytest.skip("node or node_modules/onnxruntime-node is absent: parity not checked")
    spec = tmp_path / "inputs.json"
    spec.write_text(json.dumps({"inputs": {k: {"type": "float32", "dims": list(v.shape), "data": v.reshape(-1).tolist()}
                                           for k, v in inputs.items()}}))
    out = subprocess.run([node, os.path.join(REPO, "training", "eqm_import", "run_onnx.cjs"), str(model), str(spec)],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_our_layout_is_the_published_sd_vae_ft_ema_layout_in_both_key_styles():
    layout = json.load(open(os.path.join(FIXTURES, "sd-vae-ft-ema-layout.json")))
    ours = {k: list(v) for k, v in expected_shapes(layout["config"]).items()}
    assert ours == layout["new"]
    assert len(ours) == 248
    old = {k: torch.zeros(v) for k, v in layout["old"].items() if ".attentions." in k}
    renamed = normalise_keys(old)
    assert {k: list(v.shape) for k, v in renamed.items()} == {k: v for k, v in layout["new"].items() if ".attentions." in k}


def test_encoder_and_decoder_onnx_match_the_reference(tmp_path):
    ref = json.load(open(os.path.join(FIXTURES, "tiny-vae-parity.json")))
    result = import_vae(TINY, out_dir=str(tmp_path / "vae"))
    image = torch.tensor(ref["image"]).reshape(ref["image_shape"])
    latent = torch.tensor(ref["latent"]).reshape(ref["latent_shape"])
    enc = run_onnx(tmp_path, tmp_path / "vae" / "encoder.onnx", {"image": image})
    dec = run_onnx(tmp_path, tmp_path / "vae" / "decoder.onnx", {"latent": latent})
    enc_diff = (torch.tensor(enc["outputs"]["latent"]["data"]) - torch.tensor(ref["latent_of_image"])).abs().max().item()
    dec_diff = (torch.tensor(dec["outputs"]["image"]["data"]) - torch.tensor(ref["image_of_latent"])).abs().max().item()
    print(f"VAE onnxruntime-node max abs diff: encoder {enc_diff:.2e}, decoder {dec_diff:.2e}")
    assert enc["outputs"]["latent"]["dims"] == [2, 4, 8, 8] and dec["outputs"]["image"]["dims"] == [2, 3, 16, 16]
    assert max(abs(v) for v in ref["image_of_latent"]) > 0.5 and enc_diff < TOLERANCE and dec_diff < TOLERANCE
    manifest = json.load(open(tmp_path / "vae" / "vae.json"))
    assert manifest["scale"] == 0.18215 and manifest["downscale"] == 2 and manifest["id"] == "tiny-vae"
    assert len(manifest["preview"]["matrix"]) == 3 and all(len(r) == 4 for r in manifest["preview"]["matrix"])
    assert result["files"] == ["encoder.onnx", "decoder.onnx", "vae.json"]


def test_a_bin_with_old_attention_names_loads_through_the_restricted_unpickler(tmp_path):
    folder = tmp_path / "old-style"
    folder.mkdir()
    shutil.copy(os.path.join(TINY, "config.json"), folder / "config.json")
    new = read_safetensors(os.path.join(TINY, "diffusion_pytorch_model.safetensors"))
    rename = {"to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"}
    old = OrderedDict()
    for k, v in new.items():
        for a, b in rename.items():
            k = k.replace(f".{a}.", f".{b}.")
        old[k] = v[:, :, None, None] if ".attentions." in k and k.endswith("weight") and v.dim() == 2 else v
    assert any(".query." in k for k in old)
    torch.save(old, folder / "diffusion_pytorch_model.bin")
    config, weights, _ = read_vae_folder(str(folder))
    _, reference, _ = read_vae_folder(TINY)
    assert weights.keys() == reference.keys() and all(torch.equal(weights[k], reference[k]) for k in weights)


def test_a_wrong_shape_is_named(tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(TINY, folder)
    config = json.load(open(folder / "config.json"))
    config["latent_channels"] = 8
    json.dump(config, open(folder / "config.json", "w"))
    with pytest.raises(VaeLayoutError, match="encoder.conv_out.weight has shape"):
        read_vae_folder(str(folder))
