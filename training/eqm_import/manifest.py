"""The model folder's manifest.json (schema: src/shared/manifest.ts) for an imported reference EqM."""
import hashlib
import os

from .imagenet_classes import imagenet_class_names

LATENT_SCALE = 0.18215  # the SD-VAE latent scale the reference multiplies encoder means by
DEFAULT_VAE = "sd-vae-ft-ema"  # the reference trains and samples with stabilityai/sd-vae-ft-ema by default

# Sampler settings: the published results where a model was published, else sample_gd.py's defaults.
# The reference's "250 steps" loop runs num_sampling_steps - 1 = 249 updates, so maxSteps is 249.
PUBLISHED_SAMPLERS = {
    "EqM-XL/2": ({"method": "nag", "stepSize": 0.0017, "mu": 0.3, "maxSteps": 249, "stopGradNorm": 0, "cfg": 1.5},
                 "published: EqM-XL/2 1400 epochs, NAG-GD eta 0.0017 mu 0.3, 250 steps, CFG 1.5 (FID 1.90)"),
    "EqM-B/2": ({"method": "gd", "stepSize": 0.003, "mu": 0.3, "maxSteps": 249, "stopGradNorm": 0, "cfg": 1},
                "published: EqM-B/2 80 epochs, GD eta 0.003, 250 steps, no CFG (FID 32.85)"),
}
REFERENCE_DEFAULTS = ({"method": "gd", "stepSize": 0.0017, "mu": 0.3, "maxSteps": 249, "stopGradNorm": 0, "cfg": 4.0},
                      "reference script defaults (sample_gd.py: gd, stepsize 0.0017, mu 0.3, 250 steps, cfg-scale 4.0), "
                      "not tuned for this model")

STOP_NOTE = ("stopGradNorm is 0 (never stop early) until calibrated on the real weights: generate a batch with the "
             "published settings, note the RMS gradient per step at which samples stop changing visibly (the studio's "
             "live plot shows it), and set sampler.stopGradNorm slightly above it")


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 24), b""):
            digest.update(chunk)
    return digest.hexdigest()


def class_names(config):
    if config["num_classes"] == 1000:
        return imagenet_class_names()
    return [f"class {i}" for i in range(config["num_classes"])]


def sampler_for(config):
    settings, source = PUBLISHED_SAMPLERS.get(config.get("model_name"), REFERENCE_DEFAULTS)
    if config.get("model_name") in PUBLISHED_SAMPLERS and config["num_classes"] != 1000:
        settings, source = REFERENCE_DEFAULTS
    return dict(settings), source


def build_manifest(*, model_id, title, config, files, vae_id, checkpoint, sha256, part, args, unavailable=None, image_size=None):
    sampler, sampler_source = sampler_for(config)
    latent = config["latent_size"]
    manifest = {
        "schemaVersion": 1,
        "id": model_id,
        "title": title,
        "space": "latent",
        "shape": [config["in_channels"], latent, latent],
        # the decoded image's range; the latent itself is unbounded
        "valueRange": [-1, 1],
        "classes": class_names(config),
        "nullClass": config["null_class"],
        "files": files,
        "latent": {"vae": vae_id, "scale": LATENT_SCALE, "imageShape": [3, image_size or config["image_size"], image_size or config["image_size"]],
                   # the reference sampler guides 3 of the 4 latent channels (DiT's forward_with_cfg):
                   # kept for imported checkpoints so the published FIDs are what users reproduce
                   "guidedChannels": 3},
        "sampler": sampler,
        "ood": None,
        "provenance": {
            "source": "EqM reference checkpoint (github.com/raywang4/EqM), imported by eqm import",
            "file": os.path.basename(checkpoint),
            "sha256": sha256,
            "bytes": os.path.getsize(checkpoint),
            "weights": part,
            "config": {k: config[k] for k in ("model_name", "hidden", "depth", "heads", "patch_size", "latent_size",
                                              "learn_sigma", "num_classes", "ebm") if k in config},
            "args": args,
            "sampler": sampler_source,
            "stopGradNorm": STOP_NOTE,
            "signConvention": "gradient = minus the reference output (its first 4 channels when learn-sigma): samplers descend",
            "referenceQuirk": "the reference sample_gd.py applies CFG to the first 3 latent channels only; the studio guides all 4",
        },
    }
    if unavailable:
        manifest["unavailable"] = unavailable
    return manifest
