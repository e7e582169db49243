"""What the descent probes share (langevin_probe.py, phase_probe.py, apg_probe.py): the command line
(settings as a JSON list, the checkpoint, images per class, seed, threads, results file), the network,
the judge and the starting noise, a record per setting appended to training/results/<--out>, and the
engine's descent loop (nag_descent) and guidance by place (GuidanceByPlace). Each probe brings its own descent: descend(model, y, x0, setting,
args) -> (samples, evaluations per sample), usually nag_descent with the probe's own field."""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluate as E  # noqa: E402
from classifier import load_classifier  # noqa: E402


@torch.no_grad()
def nag_descent(x0, eta, mu, stop, max_steps, field, observe=None, perturb=None, give_up=None):
    """The engine's descent (sampler.ts): NAG look-ahead x - eta mu f_prev, then x -= eta f for each
    sample whose guided RMS is still at or above `stop`; the others leave the batch. field(idx, x_look)
    gives f for the active samples idx; observe(idx, rms) sees each step's RMS (phase switches);
    perturb(moved) may change the samples just moved (noise); give_up(idx, rms) -> mask of samples that
    leave the batch unmoved although above the stop. Returns (x, evaluations per sample)."""
    n = x0.shape[0]
    x, prev = x0.clone(), torch.zeros_like(x0)
    steps = torch.zeros(n, dtype=torch.long)
    active = torch.arange(n)
    for step in range(1, max_steps + 1):
        if len(active) == 0:
            break
        idx = active
        f = field(idx, x[idx] - eta * mu * prev[idx])
        rms = f.flatten(1).pow(2).mean(1).sqrt()
        if observe:
            observe(idx, rms)
        steps[idx] = step
        prev[idx] = f
        moving = rms >= stop
        if give_up:
            moving &= ~give_up(idx, rms)
        mi = idx[moving]
        x[mi] = x[mi] - eta * f[moving]
        if perturb:
            perturb(x, mi)
        active = mi
    return x, steps


class GuidanceByPlace:
    """Each sample's guidance phase, as the engine's farCfg / farUntilRms: far until the sample's
    guided RMS first falls under `until`, near from then on (it never goes back). Pass observe to
    nag_descent (or call it from the probe's own observe); pick gives per-sample values [len(idx)]."""

    def __init__(self, n, until):
        self.near = torch.zeros(n, dtype=torch.bool)
        self.until = float(until)

    def observe(self, idx, rms):
        self.near[idx] |= rms < self.until

    def pick(self, idx, far, near):
        return torch.where(self.near[idx], torch.tensor(float(near)), torch.tensor(float(far)))


def run_probe(doc, descend, default_out, default_threads=2, add_arguments=None):
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("settings")
    p.add_argument("--ckpt", default="training/runs/eqm-spatial-gpu2/ckpt.pt")
    p.add_argument("--per-class", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=default_threads)
    p.add_argument("--out", default=default_out, help="results file name under training/results/")
    if add_arguments:
        add_arguments(p)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    model, _ = E.load_gen(args.ckpt)
    clf = load_classifier()
    stats = E.test_stats(clf)
    y = torch.arange(10).repeat_interleave(args.per_class)
    for s in json.loads(args.settings):
        x0 = torch.randn(len(y), 1, 28, 28, generator=torch.Generator().manual_seed(args.seed))
        x, steps = descend(model, y, x0, s, args)
        rec = dict(s, per_class_n=args.per_class, seed=args.seed, ckpt=args.ckpt, mean_evals=float(steps.float().mean()))
        rec.update(E.judge(clf, x, y, stats))
        E.append(args.out, rec)
