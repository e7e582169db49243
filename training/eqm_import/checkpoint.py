"""Which tensors of a reference EqM checkpoint to use, and the configuration they imply.

Everything the weights can say is read from them; the head count and the energy variant
cannot be, so they come from the checkpoint's args (model name, ebm) or from flags, and a
flag that contradicts args is an error. Nothing is guessed.
"""
import argparse
import re

import torch

from .safe_load import LazyTensor, UnsafeCheckpointError, load_checkpoint
from .safetensors_file import SafetensorsTensor, is_safetensors, open_safetensors

# The reference's named configs (models.py EqM_models): depth, hidden size, heads; the patch is in the name.
NAMED_MODELS = {
    "XL": (28, 1152, 16), "L": (24, 1024, 16), "B": (12, 768, 12), "S": (12, 384, 6),
}
EBM_VARIANTS = ("none", "l2", "dot", "mean")


class CheckpointError(Exception):
    """A checkpoint that cannot be imported as asked; the message names the file and field."""


def _is_state_dict(obj):
    return isinstance(obj, dict) and obj and all(isinstance(k, str) for k in obj) and \
        any(isinstance(v, (LazyTensor, SafetensorsTensor)) for v in obj.values())


# Prefixes a training wrapper puts before every parameter name when its state dict is saved whole:
# DistributedDataParallel ("module.") and torch.compile ("_orig_mod."), possibly both.
WRAPPER_PREFIXES = ("module.", "_orig_mod.")


def strip_wrapper_prefixes(weights):
    """The same tensors under the bare model's names, where every name carries a wrapper's prefix;
    a prefix on only some names is left alone (the layout check then names what does not match)."""
    stripped = True
    while stripped and weights:
        stripped = False
        for prefix in WRAPPER_PREFIXES:
            if all(k.startswith(prefix) for k in weights):
                weights = {k[len(prefix):]: v for k, v in weights.items()}
                stripped = True
    return weights


def training_args(args):
    """The checkpoint's training settings as a Namespace: the reference saves argparse's Namespace,
    and a checkpoint re-saved by other code may carry them as a plain dict; anything else says nothing."""
    if isinstance(args, argparse.Namespace):
        return args
    if isinstance(args, dict):
        return argparse.Namespace(**{k: v for k, v in args.items() if isinstance(k, str) and k.isidentifier()})
    return None


def select_weights(tree, path):
    """(state dict of LazyTensors, which part it came from, args or None)."""
    if isinstance(tree, dict) and ("ema" in tree or "model" in tree):
        part = "ema" if "ema" in tree else "model"
        weights = tree[part]
        if not _is_state_dict(weights):
            raise CheckpointError(f"{path}: '{part}' is not a state dict of tensors")
        return strip_wrapper_prefixes(weights), part, training_args(tree.get("args"))
    if _is_state_dict(tree):
        return strip_wrapper_prefixes(tree), "state_dict", None
    kind = type(tree).__name__
    keys = ", ".join(sorted(map(str, tree))[:8]) if isinstance(tree, dict) else ""
    raise CheckpointError(f"{path}: neither a training checkpoint (model/ema/opt/args) nor a state dict ({kind}{': ' + keys if keys else ''})")


def _shape(weights, key, path):
    if key not in weights:
        raise CheckpointError(f"{path}: the weights have no {key} (is this an EqM/SiT checkpoint?)")
    return weights[key].shape


def parse_model_name(name):
    m = re.fullmatch(r"(?:EqM|SiT)-(XL|L|B|S)/(\d+)", str(name))
    if not m:
        return None
    depth, hidden, heads = NAMED_MODELS[m.group(1)]
    return {"name": name, "depth": depth, "hidden": hidden, "heads": heads, "patch_size": int(m.group(2))}


def infer_config(weights, args, path, heads_flag=None, ebm_flag=None):
    pos = _shape(weights, "pos_embed", path)
    hidden, tokens = pos[2], pos[1]
    grid = int(round(tokens ** 0.5))
    if grid * grid != tokens:
        raise CheckpointError(f"{path}: pos_embed has {tokens} tokens, not a square grid")
    pw = _shape(weights, "x_embedder.proj.weight", path)
    patch, in_channels = pw[2], pw[1]
    depth = 0
    while f"blocks.{depth}.attn.qkv.weight" in weights:
        depth += 1
    rows = _shape(weights, "y_embedder.embedding_table.weight", path)[0]
    out_features = _shape(weights, "final_layer.linear.weight", path)[0]
    out_channels = out_features // (patch * patch)
    if out_channels * patch * patch != out_features or out_channels not in (in_channels, 2 * in_channels):
        raise CheckpointError(f"{path}: final_layer.linear has {out_features} outputs, not patch^2 x {in_channels} or x {2 * in_channels}")
    config = {
        "hidden": hidden, "depth": depth, "patch_size": patch, "grid": grid, "in_channels": in_channels,
        "out_channels": out_channels, "learn_sigma": out_channels == 2 * in_channels,
        "latent_size": grid * patch, "mlp_hidden": _shape(weights, "blocks.0.mlp.fc1.weight", path)[0],
        # the reference's label embedder always adds one row for the null (CFG) class
        "num_classes": rows - 1, "null_class": rows - 1,
    }
    arg = (lambda name: getattr(args, name, None)) if args is not None else (lambda name: None)
    named = parse_model_name(arg("model")) if arg("model") is not None else None
    if named:
        for key in ("depth", "hidden", "patch_size"):
            if named[key] != config[key]:
                raise CheckpointError(f"{path}: args.model {named['name']} means {key} {named[key]}, but the weights have {config[key]}")
        config["model_name"] = named["name"]
    heads = named["heads"] if named else None
    if heads_flag is not None:
        if heads is not None and heads_flag != heads:
            raise CheckpointError(f"--heads {heads_flag} contradicts args.model {named['name']} ({heads} heads) in {path}")
        heads = heads_flag
    if heads is None:
        said = f"args.model {arg('model')!r} is not one of the reference's named models" if arg("model") is not None else "no args.model"
        raise CheckpointError(f"{path}: the checkpoint does not say its head count ({said}); pass --heads N (XL 16, L 16, B 12, S 6)")
    if heads < 1 or hidden % heads:
        raise CheckpointError(f"{heads} heads do not divide the hidden size {hidden} of {path}")
    config["heads"] = heads
    ebm = arg("ebm")
    if ebm is not None and ebm not in EBM_VARIANTS:
        raise CheckpointError(f"{path}: args.ebm is {ebm!r}, not one of {', '.join(EBM_VARIANTS)}")
    if ebm_flag is not None:
        if ebm is not None and ebm_flag != ebm:
            raise CheckpointError(f"--ebm {ebm_flag} contradicts args.ebm {ebm} in {path}")
        ebm = ebm_flag
    if ebm is None:
        raise CheckpointError(f"{path}: the checkpoint does not say its energy variant (no args.ebm); pass --ebm none|l2|dot|mean")
    config["ebm"] = ebm
    if arg("uncond") is False:
        raise CheckpointError(f"{path}: args.uncond is False: this model is conditioned on time, not an EqM field")
    if arg("num_classes") is not None and arg("num_classes") != config["num_classes"]:
        raise CheckpointError(f"{path}: args.num_classes {arg('num_classes')} but the class table has {rows} rows (classes + null)")
    image_size = arg("image_size")
    if image_size is not None and image_size != config["latent_size"] * 8:
        raise CheckpointError(f"{path}: args.image_size {image_size} but the latent is {config['latent_size']} (x 8 = {config['latent_size'] * 8})")
    config["image_size"] = config["latent_size"] * 8
    return config


def expected_shapes(config):
    """Every tensor the reference EqM module has for this config, with its shape."""
    d, p, c, o, m = config["hidden"], config["patch_size"], config["in_channels"], config["out_channels"], config["mlp_hidden"]
    shapes = {
        "pos_embed": (1, config["grid"] ** 2, d), "x_embedder.proj.weight": (d, c, p, p), "x_embedder.proj.bias": (d,),
        "t_embedder.mlp.0.weight": None, "t_embedder.mlp.0.bias": (d,),
        "t_embedder.mlp.2.weight": (d, d), "t_embedder.mlp.2.bias": (d,),
        "y_embedder.embedding_table.weight": (config["num_classes"] + 1, d),
    }
    for b in range(config["depth"]):
        for layer, shape in (("attn.qkv", (3 * d, d)), ("attn.proj", (d, d)), ("mlp.fc1", (m, d)), ("mlp.fc2", (d, m)),
                             ("adaLN_modulation.1", (6 * d, d))):
            shapes[f"blocks.{b}.{layer}.weight"], shapes[f"blocks.{b}.{layer}.bias"] = shape, shape[:1]
    shapes.update({"final_layer.adaLN_modulation.1.weight": (2 * d, d), "final_layer.adaLN_modulation.1.bias": (2 * d,),
                   "final_layer.linear.weight": (p * p * o, d), "final_layer.linear.bias": (p * p * o,)})
    return shapes


# What a .safetensors file's metadata may say of the training settings (all metadata are strings there).
SAFETENSORS_ARGS = ("model", "ebm")


def read_weights(path):
    """(state dict of lazy tensors, which part it came from, args or None) from a torch zip checkpoint
    (its pickle read by the restricted unpickler) or a .safetensors state dict (one set of weights;
    its metadata may name the model and the energy variant)."""
    if is_safetensors(path):
        tensors, metadata = open_safetensors(path)
        if not tensors:
            raise CheckpointError(f"{path}: the safetensors file holds no tensors")
        said = {k: metadata[k] for k in SAFETENSORS_ARGS if isinstance(metadata.get(k), str)}
        return strip_wrapper_prefixes(tensors), "safetensors", training_args(said) if said else None
    return select_weights(load_checkpoint(path), path)


def open_checkpoint(path, heads=None, ebm=None):
    """(config, {name: lazy tensor} for the needed tensors only, source part, args as a dict); checked, nothing loaded."""
    weights, part, args = read_weights(path)
    config = infer_config(weights, args, path, heads, ebm)
    needed = expected_shapes(config)
    missing = [k for k in needed if k not in weights]
    extra = [k for k in weights if k not in needed]
    if missing or extra:
        raise CheckpointError(f"{path}: the {part} weights do not match the EqM layout; missing {missing[:5]}, unexpected {extra[:5]}")
    for key, shape in needed.items():
        if shape is not None and tuple(weights[key].shape) != shape:
            raise CheckpointError(f"{path}: {part}.{key} has shape {list(weights[key].shape)}, expected {list(shape)}")
    if weights["t_embedder.mlp.0.weight"].shape[0] != config["hidden"]:
        raise CheckpointError(f"{path}: {part}.t_embedder.mlp.0.weight does not output the hidden size {config['hidden']}")
    for key in needed:
        if not weights[key].dtype.is_floating_point:
            raise CheckpointError(f"{path}: {part}.{key} is {weights[key].dtype}, not floating point")
    args_dict = {k: v for k, v in vars(args).items() if isinstance(v, (str, int, float, bool, type(None)))} if args is not None else None
    return config, {k: weights[k] for k in needed}, part, args_dict


def read_checkpoint(path, heads=None, ebm=None):
    """As open_checkpoint, with every needed tensor loaded as float32."""
    config, lazy, part, args = open_checkpoint(path, heads, ebm)
    return config, {k: t.load().float() for k, t in lazy.items()}, part, args


def placeholders(lazy):
    """Uninitialised tensors of the weights' shapes: enough to trace the graph, and untouched pages cost no memory.
    Each gets one distinct value: torch's exporter merges parameters of equal value into one initializer, and
    fresh pages all read as zeros (see the check in onnx_export.export_graph)."""
    out = {}
    for i, (k, t) in enumerate(lazy.items()):
        out[k] = torch.empty(t.shape, dtype=torch.float32)
        if out[k].numel():
            out[k].view(-1)[0] = float(i + 1)
    return out


__all__ = ["CheckpointError", "UnsafeCheckpointError", "read_checkpoint", "open_checkpoint", "placeholders", "infer_config", "expected_shapes", "parse_model_name"]
