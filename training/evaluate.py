"""Evaluation of generated samples, judged by the separate classifier (training/classifier.py).

  floor:  FID of 1000 class-balanced real training images vs the full test set (classifier features)
  eval:   generate --per-class images per class with one sampler setting; judged per-class accuracy,
          FID vs the test set, mean model evaluations per image (adaptive stop), optional grid PNG
  sweep:  a list of sampler settings (--grid-spec JSON or the built-in default list), --per-class each
  fm:     flow-matching baseline (Euler/Heun) at given evaluation counts, same metrics

All results are appended as JSON lines to training/results/<file>.jsonl (committed).
Examples:
  /usr/bin/python3 training/evaluate.py floor
  /usr/bin/python3 training/evaluate.py eval --ckpt training/runs/eqm-main/ckpt.pt --method nag \
      --eta 0.03 --mu 0.3 --steps 50 --stop 0.2 --cfg 2 --per-class 100 --grid training/samples.png
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from scipy import linalg

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from classifier import classify, load_classifier  # noqa: E402
from data import CLASSES, class_balanced_subset, load_split  # noqa: E402
from model import build_model  # noqa: E402
from sampler import clock_sample, descend, flow_sample  # noqa: E402
from shipped_sampler import shipped_sampler  # noqa: E402
from distributed import Distributed  # noqa: E402

RESULTS = os.path.join(HERE, "results")


class _OneProcess:
    world, rank, is_main = 1, 0, True

    @staticmethod
    def gather_rows(t):
        return t


ONE_PROCESS = _OneProcess()
STATS_CACHE = os.path.join(HERE, "runs", "eval", "test_stats.pt")


def fid_from_feats(f1, f2=None, stats2=None):
    f1 = f1.double().numpy()
    mu1, s1 = f1.mean(0), np.cov(f1, rowvar=False)
    if stats2 is None:
        f2 = f2.double().numpy()
        mu2, s2 = f2.mean(0), np.cov(f2, rowvar=False)
    else:
        mu2, s2 = stats2
    covmean = linalg.sqrtm(s1.dot(s2))  # newer scipy has no disp argument and returns the root alone
    covmean = covmean[0] if isinstance(covmean, tuple) else covmean
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def test_stats(clf):
    # cached as tensors, which torch 2.x loads with weights_only (numpy arrays it refuses)
    if os.path.exists(STATS_CACHE):
        cached = torch.load(STATS_CACHE)
        return tuple(v.numpy() if torch.is_tensor(v) else v for v in cached)
    xt, _ = load_split("test")
    _, feats = classify(clf, xt)
    f = feats.double().numpy()
    stats = (f.mean(0), np.cov(f, rowvar=False))
    os.makedirs(os.path.dirname(STATS_CACHE), exist_ok=True)
    torch.save(tuple(torch.from_numpy(v) for v in stats), STATS_CACHE)
    return stats


def judge(clf, x, y, stats):
    logits, feats = classify(clf, x.clamp(-1, 1))
    pred = logits.argmax(1)
    per_class = [float((pred[y == c] == c).float().mean()) for c in range(10)]
    return dict(accuracy=float((pred == y).float().mean()), worst_class=min(per_class),
                per_class=[round(a, 4) for a in per_class], fid=fid_from_feats(feats, stats2=stats))


def load_gen(ckpt, use_ema=True):
    ck = torch.load(ckpt)
    m = build_model(ck["config"]["model"])
    m.load_state_dict(ck["ema" if use_ema else "model"])
    return m.eval(), ck


def save_grid(x, path, per_row):
    from PIL import Image
    x = ((x.clamp(-1, 1) + 1) * 127.5).round().byte().squeeze(1).numpy()
    n = x.shape[0]
    rows = (n + per_row - 1) // per_row
    pad = 2
    img = np.full((rows * (28 + pad) + pad, per_row * (28 + pad) + pad), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, per_row)
        img[pad + r * (28 + pad):pad + r * (28 + pad) + 28, pad + c * (28 + pad):pad + c * (28 + pad) + 28] = x[i]
    Image.fromarray(img).resize((img.shape[1] * 2, img.shape[0] * 2), Image.NEAREST).save(path)


def append(name, rec):
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, name), "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(json.dumps(rec), flush=True)


def shard_rows(n, ranks):
    """This rank's contiguous share of n samples (rank order = sample order after gathering)."""
    part = torch.arange(n).tensor_split(ranks.world)[ranks.rank]
    return slice(int(part[0]), int(part[-1]) + 1) if len(part) else slice(0, 0)


def clock_decay(ck):
    """The training schedule (a, lambda) the clock divides by, from the checkpoint's config (the
    engine's clock knows the truncated decay only; the manifest's `decay` carries these two)."""
    cfg = ck["config"]
    if cfg.get("decay", "truncated") != "truncated":
        raise SystemExit(f"the clock sampler needs the truncated decay; this checkpoint was trained with {cfg['decay']}")
    return {"a": cfg.get("a", 0.8), "lambda": cfg.get("lam", 4.0)}


def decay_for(setting, ck):
    """The schedule a setting samples with: the checkpoint's for the clock, none for the descent
    (which does not use it, and must not refuse a checkpoint trained with another decay)."""
    return clock_decay(ck) if setting["method"] == "clock" else None


def sample_setting(model, setting, per_class, seed, ranks=ONE_PROCESS, device="cpu", decay=None):
    """Samples per_class images of each class with one sampler setting, sharded over the ranks:
    the starting noise is drawn whole from the seed on every rank and each rank descends its
    rows, so N processes give the samples one process gives (training/tests/test_distributed.py).
    The noise is always drawn on the CPU, so a GPU run (device, model already there) starts from
    the same states as a CPU run; its samples differ only by the device's float rounding."""
    y = torch.arange(10).repeat_interleave(per_class)
    x0 = torch.randn(len(y), 1, 28, 28, generator=torch.Generator().manual_seed(seed))
    rows = shard_rows(len(y), ranks)
    if setting["method"] == "clock":
        x, steps = clock_sample(model, y[rows].to(device), x0[rows].to(device), setting["steps"],
                                setting["cfg_near"] if setting.get("cfg_near") is not None else setting["cfg"],
                                far_cfg=setting["cfg"], far_until=setting.get("far_until_time", 0.0),
                                a=(decay or {}).get("a", 0.8), lam=(decay or {}).get("lambda", 4.0))
        rms = torch.full((x.shape[0],), float("nan"))  # the clock has no stop and tracks no RMS
    else:
        x, steps, rms = descend(model, y[rows].to(device), method=setting["method"], step_size=setting["eta"], mu=setting.get("mu", 0.0),
                                max_steps=setting["steps"], stop_grad_norm=setting.get("stop", 0.0),
                                cfg=setting["cfg"], x0=x0[rows].to(device), cfg_near=setting.get("cfg_near"),
                                guide_until=setting.get("guide_until", 0.0), chunk=512 if device == "cpu" else 8192)
    return ranks.gather_rows(x.cpu()), ranks.gather_rows(steps.cpu()), ranks.gather_rows(rms.cpu()), y


def run_setting(model, clf, stats, setting, per_class, seed, ranks=ONE_PROCESS, device="cpu", decay=None):
    t0 = time.time()
    x, steps, rms, y = sample_setting(model, setting, per_class, seed, ranks, device, decay)
    secs = time.time() - t0
    rec = dict(setting, per_class_n=per_class, seed=seed, device=device, mean_evals=float(steps.float().mean()),
               max_evals=int(steps.max()), stopped_share=float((steps < setting["steps"]).float().mean()),
               final_rms_median=None if setting["method"] == "clock" else float(rms.median()), seconds=round(secs, 1), processes=ranks.world,
               **({"decay": decay} if setting["method"] == "clock" else {}))
    if ranks.is_main:  # every rank holds all samples after gathering; one judges
        rec.update(judge(clf, x, y, stats))
    return rec, x


def setting_from_args(args):
    """One sampler setting from the command line, in sampler.py's names (shipped_sampler.py)."""
    setting = dict(method=args.method, eta=args.eta, mu=args.mu, steps=args.steps, stop=args.stop, cfg=args.cfg)
    if args.method == "clock":
        if args.far_until_time > 0 and args.cfg_near is not None:
            setting.update(cfg_near=args.cfg_near, far_until_time=args.far_until_time)
    elif args.guide_until > 0 and args.cfg_near is not None:
        setting.update(cfg_near=args.cfg_near, guide_until=args.guide_until)
    return setting


DEFAULT_SWEEP = (
    [dict(method=m, eta=e, mu=0.3, steps=50, stop=0.0, cfg=2.0) for m in ("gd", "nag") for e in (0.01, 0.02, 0.04)]
)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["floor", "eval", "sweep", "fm", "samples"],
                   help="samples: only sample (sharded under torchrun / launch.py) and save the tensor to --save")
    p.add_argument("--floor-seeds", default="0,1,2,3,4", help="floor: the seeds of its 1000-image real subsets (the floor is their mean)")
    p.add_argument("--save", default=None, help="samples: where to torch.save {x, y, steps}")
    p.add_argument("--ckpt", default=os.path.join(HERE, "runs", "eqm-main", "ckpt.pt"))
    p.add_argument("--raw", action="store_true", help="use raw weights instead of EMA")
    shipped = shipped_sampler()  # defaults: the shipped manifest's sampler (the app's defaults)
    p.add_argument("--method", default=shipped["method"])
    p.add_argument("--eta", type=float, default=shipped["eta"])
    p.add_argument("--mu", type=float, default=shipped["mu"])
    p.add_argument("--steps", type=int, default=shipped["steps"])
    p.add_argument("--stop", type=float, default=shipped["stop"])
    p.add_argument("--cfg", type=float, default=shipped["cfg"], help="the guidance; with --guide-until, the guidance far from equilibrium")
    p.add_argument("--cfg-near", type=float, default=shipped["cfg_near"], help="with --guide-until: the guidance once the guided RMS fell under it")
    p.add_argument("--guide-until", type=float, default=shipped["guide_until"], help="guidance by place: --cfg until the guided RMS first falls under this, then --cfg-near (0: off)")
    p.add_argument("--far-until-time", type=float, default=shipped["far_until_time"], help="method clock: --cfg while the clock t is under this, then --cfg-near (0: off)")
    p.add_argument("--per-class", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--spec", default=None, help="JSON list of settings for sweep")
    p.add_argument("--grid", default=None)
    p.add_argument("--out", default=None, help="results file name under training/results/")
    p.add_argument("--tag", default="")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="sweep/eval: where the sampler runs (cpu, cuda); judging stays on the CPU")
    p.add_argument("--seeds", default=None, help="sweep: several seeds, comma-separated (each setting once per seed)")
    p.add_argument("--evals", default="10,25,50,100", help="fm: evaluation counts")
    p.add_argument("--cfg-late", type=float, default=None, help="fm: the guidance from --late-from on (a guidance interval)")
    p.add_argument("--late-from", type=float, default=1.0, help="fm: the time t (0 noise, 1 data) where --cfg-late starts")
    p.add_argument("--fm-methods", default="euler,heun", help="fm: the integrators, comma-separated")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.device != "cpu":  # full fp32 on the GPU too, as the engine computes (no TF32 convolutions)
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    # several processes (torchrun or training/launch.py) share the sampling; rank 0 judges and writes
    ranks = Distributed()
    if args.cmd == "samples":
        model, ck = load_gen(args.ckpt, use_ema=not args.raw)
        setting = setting_from_args(args)
        x, steps, _, y = sample_setting(model, setting, args.per_class, args.seed, ranks, decay=decay_for(setting, ck))
        if ranks.is_main:
            torch.save(dict(x=x, y=y, steps=steps), args.save)
        ranks.close()
        return
    clf = load_classifier()
    stats = test_stats(clf)
    if args.cmd == "floor":
        x, y = load_split("train")
        recs = []
        for seed in (int(v) for v in args.floor_seeds.split(",")):
            idx = class_balanced_subset(y, 100, seed=seed)
            r = judge(clf, x[idx], y[idx], stats)
            recs.append(r["fid"])
            append(args.out or "floor.jsonl", dict(kind="floor", seed=seed, n=1000, **r))
        xt, yt = load_split("test")
        r = judge(clf, xt, yt, stats)
        append(args.out or "floor.jsonl", dict(kind="test-set-accuracy", accuracy=r["accuracy"], per_class=r["per_class"]))
        return
    model, ck = load_gen(args.ckpt, use_ema=not args.raw)
    meta = dict(ckpt=os.path.relpath(args.ckpt, os.path.join(HERE, "..")), step=ck["state"]["step"],
                images=ck["state"]["images"], tag=args.tag, ema=not args.raw)
    if args.cmd == "fm":
        y = torch.arange(10).repeat_interleave(args.per_class)
        for n_evals in [int(v) for v in args.evals.split(",")]:
            for method in args.fm_methods.split(","):
                steps = n_evals if method == "euler" else (n_evals + 1) // 2
                g = torch.Generator().manual_seed(args.seed)
                x, ev = flow_sample(model, y, steps=steps, cfg=args.cfg, method=method, generator=g,
                                    cfg_late=args.cfg_late, late_from=args.late_from)
                rec = dict(meta, objective="fm", method=method, evals=ev, cfg=args.cfg, per_class_n=args.per_class, seed=args.seed,
                           **({"cfg_late": args.cfg_late, "late_from": args.late_from} if args.cfg_late is not None else {}))
                rec.update(judge(clf, x, y, stats))
                append(args.out or "fm.jsonl", rec)
        return
    if args.cmd == "sweep":
        spec = json.loads(open(args.spec).read()) if args.spec and os.path.exists(args.spec) else \
            (json.loads(args.spec) if args.spec else DEFAULT_SWEEP)
        model = model.to(args.device)
        seeds = [int(v) for v in args.seeds.split(",")] if args.seeds else [args.seed]
        for setting in spec:
            for seed in seeds:
                rec, _ = run_setting(model, clf, stats, setting, args.per_class, seed, ranks, args.device,
                                     decay_for(setting, ck))
                if ranks.is_main:
                    append(args.out or "sweep.jsonl", dict(meta, **rec))
        return
    setting = setting_from_args(args)
    rec, x = run_setting(model.to(args.device), clf, stats, setting, args.per_class, args.seed, ranks, args.device,
                         decay_for(setting, ck))
    if not ranks.is_main:
        return
    append(args.out or "eval.jsonl", dict(meta, **rec))
    if args.grid:
        per = min(args.per_class, 10)
        idx = torch.cat([torch.arange(c * args.per_class, c * args.per_class + per) for c in range(10)])
        save_grid(x[idx], args.grid, per)


if __name__ == "__main__":
    main()
