"""Conv U-Net for 28x28 images with a class embedding (index 10 = null class for CFG).

EqM uses NO time input. The same backbone takes an optional time embedding
(time_cond=True) for the flow-matching baseline.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def group_norm(ch):
    return nn.GroupNorm(8 if ch % 8 == 0 else 1, ch)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb_dim):
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * cout)
        self.norm2 = group_norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(emb).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        return h + self.skip(x)


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = (t.float() * 1000.0)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class UNet(nn.Module):
    """28 -> 14 -> 7 U-Net. channels=(c0, c1, c2)."""

    def __init__(self, channels=(32, 64, 128), emb_dim=128, num_classes=10, time_cond=False):
        super().__init__()
        c0, c1, c2 = channels
        self.config = dict(channels=list(channels), emb_dim=emb_dim, num_classes=num_classes, time_cond=time_cond)
        self.time_cond = time_cond
        self.emb_dim = emb_dim
        self.label_emb = nn.Embedding(num_classes + 1, emb_dim)  # last index = null class
        self.emb_mlp = nn.Sequential(nn.Linear(emb_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        if time_cond:
            self.time_mlp = nn.Sequential(nn.Linear(emb_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.inp = nn.Conv2d(1, c0, 3, padding=1)
        self.d0 = ResBlock(c0, c0, emb_dim)
        self.down0 = nn.Conv2d(c0, c0, 3, stride=2, padding=1)  # 28 -> 14
        self.d1 = ResBlock(c0, c1, emb_dim)
        self.down1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)  # 14 -> 7
        self.m1 = ResBlock(c1, c2, emb_dim)
        self.m2 = ResBlock(c2, c2, emb_dim)
        self.up1 = nn.ConvTranspose2d(c2, c1, 2, stride=2)  # 7 -> 14
        self.u1 = ResBlock(2 * c1, c1, emb_dim)
        self.up0 = nn.ConvTranspose2d(c1, c0, 2, stride=2)  # 14 -> 28
        self.u0 = ResBlock(2 * c0, c0, emb_dim)
        self.out_norm = group_norm(c0)
        self.out = nn.Conv2d(c0, 1, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x, y, t=None):
        emb = self.label_emb(y)
        if self.time_cond:
            if t is None:
                raise ValueError("time-conditioned model needs t")
            emb = emb + self.time_mlp(timestep_embedding(t, self.emb_dim))
        emb = self.emb_mlp(emb)
        h0 = self.d0(self.inp(x), emb)
        h1 = self.d1(self.down0(h0), emb)
        h = self.m2(self.m1(self.down1(h1), emb), emb)
        h = self.u1(torch.cat([self.up1(h), h1], dim=1), emb)
        h = self.u0(torch.cat([self.up0(h), h0], dim=1), emb)
        return self.out(F.silu(self.out_norm(h)))


def build_model(config):
    return UNet(channels=tuple(config["channels"]), emb_dim=config["emb_dim"],
                num_classes=config.get("num_classes", 10), time_cond=config.get("time_cond", False))


def count_params(model):
    return sum(p.numel() for p in model.parameters())
