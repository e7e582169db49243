"""A SiT/DiT-shaped latent gradient model with random weights, exported to ONNX for speed checks.

Sizes as the reference architecture (SiT/DiT: patch embedding, transformer blocks with
adaLN-Zero modulation from the class embedding, final adaLN layer, unpatchify); no time input,
as EqM has none. Random weights (std 0.02, modulation too, so every layer does real work): for
timing and parity between providers only, never for images. Until the importer
(training/eqm_import) is on main this stands in for its builder; the FLOPs are the same.

    python3 make_random_sit.py --size B/2 --out /tmp/sit-b2.onnx   (torch 2.x: dynamo=False, opset 16)
"""
import argparse
import math

import torch
import torch.nn as nn

SIZES = {"S/2": (384, 12, 6, 2), "B/2": (768, 12, 12, 2), "L/2": (1024, 24, 16, 2), "XL/2": (1152, 28, 16, 2)}


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(approximate="tanh"), nn.Linear(4 * dim, dim))
        self.modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))

    def forward(self, x, c):
        shift1, scale1, gate1, shift2, scale2, gate2 = self.modulation(c).unsqueeze(1).chunk(6, dim=2)
        h = self.norm1(x) * (1 + scale1) + shift1
        b, n, d = h.shape
        q, k, v = self.qkv(h).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attention = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // self.heads), dim=-1)
        x = x + gate1 * self.proj((attention @ v).transpose(1, 2).reshape(b, n, d))
        h = self.norm2(x) * (1 + scale2) + shift2
        return x + gate2 * self.mlp(h)


class RandomSiT(nn.Module):
    def __init__(self, size="B/2", latent=32, channels=4, classes=1000):
        super().__init__()
        dim, depth, heads, patch = SIZES[size]
        self.patch, self.channels, self.grid = patch, channels, latent // patch
        self.embed = nn.Conv2d(channels, dim, patch, stride=patch)
        self.pos = nn.Parameter(torch.randn(1, self.grid * self.grid, dim) * 0.02)
        self.labels = nn.Embedding(classes + 1, dim)  # last = null class
        self.blocks = nn.ModuleList(Block(dim, heads) for _ in range(depth))
        self.final_norm = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.final_modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, 2 * dim))
        self.final = nn.Linear(dim, patch * patch * channels)
        for p in self.parameters():
            nn.init.normal_(p, std=0.02)

    def forward(self, x, y):
        c = self.labels(y)
        h = self.embed(x).flatten(2).transpose(1, 2) + self.pos
        for block in self.blocks:
            h = block(h, c)
        shift, scale = self.final_modulation(c).unsqueeze(1).chunk(2, dim=2)
        h = self.final(self.final_norm(h) * (1 + scale) + shift)
        b, g, p, ch = h.shape[0], self.grid, self.patch, self.channels
        return h.reshape(b, g, g, p, p, ch).permute(0, 5, 1, 3, 2, 4).reshape(b, ch, g * p, g * p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="B/2", choices=sorted(SIZES))
    ap.add_argument("--latent", type=int, default=32, help="latent side: 32 for 256-pixel images")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    model = RandomSiT(args.size, args.latent).eval()
    x = torch.randn(2, 4, args.latent, args.latent)
    y = torch.tensor([1, 1000])
    kwargs = {"dynamo": False} if int(torch.__version__.split(".")[0]) >= 2 else {}
    torch.onnx.export(model, (x, y), args.out, input_names=["x", "y"], output_names=["grad"], opset_version=16,
                      dynamic_axes={"x": {0: "B"}, "y": {0: "B"}, "grad": {0: "B"}}, **kwargs)
    params = sum(p.numel() for p in model.parameters())
    print(f"{args.out}: {args.size} random, {params / 1e6:.1f}M parameters, latent 4x{args.latent}x{args.latent}")


if __name__ == "__main__":
    main()
