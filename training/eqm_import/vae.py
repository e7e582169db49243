"""Our own KL autoencoder (the SD-VAE) over the diffusers AutoencoderKL weight layout.

Structure (from the architecture, not copied): encoder conv_in -> down blocks (resnets, then a
stride-2 conv after zero-padding right/bottom, except the last) -> mid (resnet, single-head
attention, resnet) -> GroupNorm, SiLU, conv_out (mean and log-variance) -> quant_conv; decoder
post_quant_conv -> conv_in -> mid -> up blocks (layers_per_block + 1 resnets, then nearest x2 and a
conv, except the last) -> GroupNorm, SiLU, conv_out. GroupNorm eps 1e-6 throughout.

Both attention key styles load: the current to_q/to_k/to_v/to_out.0 and the older
query/key/value/proj_attn (and 1x1-conv shaped weights, which are squeezed).
"""
import torch
import torch.nn.functional as F
from torch import nn

OLD_ATTENTION_NAMES = {"query": "to_q", "key": "to_k", "value": "to_v", "proj_attn": "to_out.0"}


class VaeLayoutError(Exception):
    pass


def normalise_keys(weights):
    """Old attention names -> current ones; conv-shaped attention weights -> linear."""
    out = {}
    for key, tensor in weights.items():
        parts = key.split(".")
        if ".attentions." in key and len(parts) >= 2 and parts[-2] in OLD_ATTENTION_NAMES:
            key = ".".join(parts[:-2] + [OLD_ATTENTION_NAMES[parts[-2]], parts[-1]])
        if ".attentions." in key and parts[-1] == "weight" and "group_norm" not in key and tensor.dim() > 2:
            tensor = tensor.reshape(tensor.shape[0], tensor.shape[1])
        if key in out:
            raise VaeLayoutError(f"{key} appears in both the old and the new attention naming")
        out[key] = tensor
    return out


def _resnet_shapes(prefix, cin, cout):
    s = {f"{prefix}.norm1.weight": (cin,), f"{prefix}.norm1.bias": (cin,), f"{prefix}.conv1.weight": (cout, cin, 3, 3),
         f"{prefix}.conv1.bias": (cout,), f"{prefix}.norm2.weight": (cout,), f"{prefix}.norm2.bias": (cout,),
         f"{prefix}.conv2.weight": (cout, cout, 3, 3), f"{prefix}.conv2.bias": (cout,)}
    if cin != cout:
        s.update({f"{prefix}.conv_shortcut.weight": (cout, cin, 1, 1), f"{prefix}.conv_shortcut.bias": (cout,)})
    return s


def _mid_shapes(prefix, c):
    s = {**_resnet_shapes(f"{prefix}.resnets.0", c, c), **_resnet_shapes(f"{prefix}.resnets.1", c, c)}
    a = f"{prefix}.attentions.0"
    s.update({f"{a}.group_norm.weight": (c,), f"{a}.group_norm.bias": (c,)})
    for name in ("to_q", "to_k", "to_v", "to_out.0"):
        s.update({f"{a}.{name}.weight": (c, c), f"{a}.{name}.bias": (c,)})
    return s


def expected_shapes(config):
    """Every tensor of a diffusers AutoencoderKL with DownEncoderBlock2D/UpDecoderBlock2D blocks, current key names."""
    chans, layers = list(config["block_out_channels"]), config["layers_per_block"]
    latent, cin, cout = config["latent_channels"], config["in_channels"], config["out_channels"]
    s = {"encoder.conv_in.weight": (chans[0], cin, 3, 3), "encoder.conv_in.bias": (chans[0],)}
    prev = chans[0]
    for i, c in enumerate(chans):
        for j in range(layers):
            s.update(_resnet_shapes(f"encoder.down_blocks.{i}.resnets.{j}", prev if j == 0 else c, c))
        prev = c
        if i < len(chans) - 1:
            s.update({f"encoder.down_blocks.{i}.downsamplers.0.conv.weight": (c, c, 3, 3), f"encoder.down_blocks.{i}.downsamplers.0.conv.bias": (c,)})
    top = chans[-1]
    s.update(_mid_shapes("encoder.mid_block", top))
    s.update({"encoder.conv_norm_out.weight": (top,), "encoder.conv_norm_out.bias": (top,),
              "encoder.conv_out.weight": (2 * latent, top, 3, 3), "encoder.conv_out.bias": (2 * latent,),
              "quant_conv.weight": (2 * latent, 2 * latent, 1, 1), "quant_conv.bias": (2 * latent,),
              "post_quant_conv.weight": (latent, latent, 1, 1), "post_quant_conv.bias": (latent,),
              "decoder.conv_in.weight": (top, latent, 3, 3), "decoder.conv_in.bias": (top,)})
    s.update(_mid_shapes("decoder.mid_block", top))
    prev = top
    for i, c in enumerate(reversed(chans)):
        for j in range(layers + 1):
            s.update(_resnet_shapes(f"decoder.up_blocks.{i}.resnets.{j}", prev if j == 0 else c, c))
        prev = c
        if i < len(chans) - 1:
            s.update({f"decoder.up_blocks.{i}.upsamplers.0.conv.weight": (c, c, 3, 3), f"decoder.up_blocks.{i}.upsamplers.0.conv.bias": (c,)})
    s.update({"decoder.conv_norm_out.weight": (chans[0],), "decoder.conv_norm_out.bias": (chans[0],),
              "decoder.conv_out.weight": (cout, chans[0], 3, 3), "decoder.conv_out.bias": (cout,)})
    return s


def check_layout(config, weights, where):
    expected = expected_shapes(config)
    missing = [k for k in expected if k not in weights]
    extra = [k for k in weights if k not in expected]
    if missing or extra:
        raise VaeLayoutError(f"{where}: not the AutoencoderKL layout its config.json describes; missing {missing[:4]}, unexpected {extra[:4]}")
    for key, shape in expected.items():
        if tuple(weights[key].shape) != shape:
            raise VaeLayoutError(f"{where}: {key} has shape {list(weights[key].shape)}, config.json implies {list(shape)}")


class _Weights(nn.Module):
    """Holds the loaded tensors as parameters under flattened names (no second allocation)."""

    def __init__(self, weights):
        super().__init__()
        for key, t in weights.items():
            self.register_parameter(key.replace(".", "__"), nn.Parameter(t, requires_grad=False))

    def __getitem__(self, key):
        return getattr(self, key.replace(".", "__"))


class _Net(nn.Module):
    def __init__(self, config, weights):
        super().__init__()
        self.w = _Weights(weights)
        self.groups = config["norm_num_groups"]
        self.chans = list(config["block_out_channels"])
        self.layers = config["layers_per_block"]

    def conv(self, x, name, padding=1, stride=1):
        return F.conv2d(x, self.w[name + ".weight"], self.w[name + ".bias"], stride=stride, padding=padding)

    def norm(self, x, name):
        return F.group_norm(x, self.groups, self.w[name + ".weight"], self.w[name + ".bias"], eps=1e-6)

    def resnet(self, x, p):
        h = self.conv(F.silu(self.norm(x, p + ".norm1")), p + ".conv1")
        h = self.conv(F.silu(self.norm(h, p + ".norm2")), p + ".conv2")
        if hasattr(self.w, (p + ".conv_shortcut.weight").replace(".", "__")):
            x = self.conv(x, p + ".conv_shortcut", padding=0)
        return x + h

    def attention(self, x, p):
        b, c, hh, ww = x.shape
        h = self.norm(x, p + ".group_norm").reshape(b, c, -1).transpose(1, 2)  # [b, hw, c]
        lin = lambda t, n: F.linear(t, self.w[f"{p}.{n}.weight"], self.w[f"{p}.{n}.bias"])
        q, k, v = lin(h, "to_q"), lin(h, "to_k"), lin(h, "to_v")
        weights = torch.softmax((q @ k.transpose(1, 2)) * c ** -0.5, dim=-1)
        out = lin(weights @ v, "to_out.0").transpose(1, 2).reshape(b, c, hh, ww)
        return x + out

    def mid(self, x, p):
        return self.resnet(self.attention(self.resnet(x, p + ".resnets.0"), p + ".attentions.0"), p + ".resnets.1")


class VaeEncoder(_Net):
    """image in [-1, 1] -> the posterior mean times the latent scale (what the reference feeds EqM)."""

    def __init__(self, config, weights, scale):
        super().__init__(config, {k: v for k, v in weights.items() if k.startswith(("encoder.", "quant_conv."))})
        self.scale, self.latent = scale, config["latent_channels"]

    def forward(self, image):
        h = self.conv(image, "encoder.conv_in")
        for i in range(len(self.chans)):
            for j in range(self.layers):
                h = self.resnet(h, f"encoder.down_blocks.{i}.resnets.{j}")
            if i < len(self.chans) - 1:
                h = self.conv(F.pad(h, (0, 1, 0, 1)), f"encoder.down_blocks.{i}.downsamplers.0.conv", padding=0, stride=2)
        h = self.mid(h, "encoder.mid_block")
        h = self.conv(F.silu(self.norm(h, "encoder.conv_norm_out")), "encoder.conv_out")
        moments = self.conv(h, "quant_conv", padding=0)
        return moments[:, : self.latent] * self.scale


class VaeDecoder(_Net):
    """latent (scaled) -> image, nominally in [-1, 1] (not clamped)."""

    def __init__(self, config, weights, scale):
        super().__init__(config, {k: v for k, v in weights.items() if k.startswith(("decoder.", "post_quant_conv."))})
        self.scale = scale

    def forward(self, latent):
        h = self.conv(latent / self.scale, "post_quant_conv", padding=0)
        h = self.mid(self.conv(h, "decoder.conv_in"), "decoder.mid_block")
        for i in range(len(self.chans)):
            for j in range(self.layers + 1):
                h = self.resnet(h, f"decoder.up_blocks.{i}.resnets.{j}")
            if i < len(self.chans) - 1:
                h = self.conv(F.interpolate(h, scale_factor=2.0, mode="nearest"), f"decoder.up_blocks.{i}.upsamplers.0.conv")
        return self.conv(F.silu(self.norm(h, "decoder.conv_norm_out")), "decoder.conv_out")
