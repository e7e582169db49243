"""Our own forward of the reference EqM network (a SiT/DiT transformer with adaLN-Zero).

Written from the architecture, not copied: patch embedding (a strided conv), fixed position
embedding, class embedding, blocks of [adaLN-modulated LayerNorm -> multi-head attention,
adaLN-modulated LayerNorm -> GELU(tanh) MLP] with gates, a modulated final layer and
unpatchify. The reference feeds t = 0 to its time embedding (it zeroes t rather than removing
the embedding), so that embedding is one constant vector; we add it to every row of the
class table once (folding), which gives the same sums as adding it after the lookup.

Modules are built around the loaded tensors (no second allocation), so importing costs the
weights' memory once.
"""

import torch
import torch.nn.functional as F
from torch import nn


def timestep_frequencies_at_zero(dim=256):
    """The sinusoidal embedding of t = 0: cos(0) = 1 for the first half, sin(0) = 0 after."""
    half = dim // 2
    emb = torch.cat([torch.ones(half), torch.zeros(half)])
    return torch.cat([emb, torch.zeros(1)]) if dim % 2 else emb


def time_embedding_at_zero(w):
    """t_embedder.mlp (Linear, SiLU, Linear) applied to the t = 0 embedding: one vector [D]."""
    freq = timestep_frequencies_at_zero(w["t_embedder.mlp.0.weight"].shape[1])[None]
    h = F.silu(F.linear(freq, w["t_embedder.mlp.0.weight"], w["t_embedder.mlp.0.bias"]))
    return F.linear(h, w["t_embedder.mlp.2.weight"], w["t_embedder.mlp.2.bias"])[0]


def _param(t):
    return nn.Parameter(t, requires_grad=False)


def folded_class_table(w):
    """The class embedding table with the t = 0 time embedding added to every row."""
    with torch.no_grad():
        return w["y_embedder.embedding_table.weight"] + time_embedding_at_zero(w)[None]


# parameter of EqMNet -> checkpoint key (or a function of the checkpoint's tensors), so the export can
# write each parameter straight from the checkpoint (see import_model.py)
def parameter_sources(config):
    sources = {"patch_w": "x_embedder.proj.weight", "patch_b": "x_embedder.proj.bias", "pos": "pos_embed",
               "class_table": (folded_class_table, ("y_embedder.embedding_table.weight", "t_embedder.mlp.0.weight",
                                                    "t_embedder.mlp.0.bias", "t_embedder.mlp.2.weight", "t_embedder.mlp.2.bias"))}
    for i in range(config["depth"]):
        for ours, theirs in (("qkv", "attn.qkv"), ("proj", "attn.proj"), ("fc1", "mlp.fc1"), ("fc2", "mlp.fc2"), ("ada", "adaLN_modulation.1")):
            for p in ("weight", "bias"):
                sources[f"blocks.{i}.{ours}.{p}"] = f"blocks.{i}.{theirs}.{p}"
    for ours, theirs in (("final_ada", "final_layer.adaLN_modulation.1"), ("final", "final_layer.linear")):
        for p in ("weight", "bias"):
            sources[f"{ours}.{p}"] = f"{theirs}.{p}"
    return sources


class Linear(nn.Module):
    def __init__(self, w, prefix):
        super().__init__()
        self.weight, self.bias = _param(w[prefix + ".weight"]), _param(w[prefix + ".bias"])

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


def layer_norm(x, width):
    """LayerNorm without affine parameters, eps 1e-6 (as in the reference blocks); width fixed for export."""
    return F.layer_norm(x, (width,), eps=1e-6)


def modulate(x, shift, scale):
    return x * (1 + scale[:, None]) + shift[:, None]


class Block(nn.Module):
    def __init__(self, w, prefix, heads):
        super().__init__()
        self.heads = heads
        self.width = w[prefix + ".attn.proj.weight"].shape[0]
        self.qkv = Linear(w, prefix + ".attn.qkv")
        self.proj = Linear(w, prefix + ".attn.proj")
        self.fc1 = Linear(w, prefix + ".mlp.fc1")
        self.fc2 = Linear(w, prefix + ".mlp.fc2")
        self.ada = Linear(w, prefix + ".adaLN_modulation.1")

    def attention(self, x):
        b, n, d = x.shape
        hd = d // self.heads
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        weights = torch.softmax((q * hd ** -0.5) @ k.transpose(-2, -1), dim=-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(b, n, d))

    def forward(self, x, silu_c):
        shift1, scale1, gate1, shift2, scale2, gate2 = self.ada(silu_c).chunk(6, dim=1)
        x = x + gate1[:, None] * self.attention(modulate(layer_norm(x, self.width), shift1, scale1))
        h = self.fc2(F.gelu(self.fc1(modulate(layer_norm(x, self.width), shift2, scale2)), approximate="tanh"))
        return x + gate2[:, None] * h


class EqMNet(nn.Module):
    """Reference EqM forward at t = 0: (x [B,C,H,W], y [B]) -> the raw head [B, C or 2C, H, W]."""

    def __init__(self, config, w):
        super().__init__()
        self.config = config
        self.patch = config["patch_size"]
        self.out_channels = config["out_channels"]
        self.patch_w, self.patch_b = _param(w["x_embedder.proj.weight"]), _param(w["x_embedder.proj.bias"])
        self.pos = _param(w["pos_embed"])
        self.class_table = _param(folded_class_table(w))
        self.blocks = nn.ModuleList(Block(w, f"blocks.{i}", config["heads"]) for i in range(config["depth"]))
        self.final_ada = Linear(w, "final_layer.adaLN_modulation.1")
        self.final = Linear(w, "final_layer.linear")

    def forward(self, x, y):
        b = x.shape[0]
        tokens = F.conv2d(x, self.patch_w, self.patch_b, stride=self.patch).flatten(2).transpose(1, 2) + self.pos
        silu_c = F.silu(self.class_table[y])
        for block in self.blocks:
            tokens = block(tokens, silu_c)
        shift, scale = self.final_ada(silu_c).chunk(2, dim=1)
        out = self.final(modulate(layer_norm(tokens, self.config["hidden"]), shift, scale))
        g = self.config["grid"]
        p, c = self.patch, self.out_channels
        out = out.reshape(b, g, g, p, p, c).permute(0, 5, 1, 3, 2, 4)
        return out.reshape(b, c, g * p, g * p)

    def head(self, x, y):
        """The reference output the sampler uses: the first C channels when learn-sigma."""
        return self.forward(x, y)[:, : self.config["in_channels"]]

    def energy(self, x, y):
        """The project's energy E (lower = more data-like) = minus the reference's E; equals its get_energy value."""
        g = self.head(x, y)
        if self.config["ebm"] == "l2":
            return 0.5 * (g * g).sum(dim=(1, 2, 3))
        return -(g * x).sum(dim=(1, 2, 3))  # dot and mean: the reference computes the same sum(g * x)


class GradientGraph(nn.Module):
    """What the engine calls: grad = minus the reference output (the project's sign)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, y):
        return -self.net.head(x, y)


class EnergyGraph(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, y):
        return self.net.energy(x, y)
