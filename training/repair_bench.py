"""Repair (partial denoising) measured on held-out Fashion-MNIST test images.

    /usr/bin/python3 training/repair_bench.py --images 200 --report training/REPAIR.md

Masks cover 10-50% of the image (boxes and brush-like strokes); noise of strength s is blended
into the masked region, x <- x + m s (eps - x) (the training interpolation at gamma = 1 - s).
EqM's rows are the app's engine itself (src/engine: the repair job, through
bench/engine-batch.ts and training/engine_batch.py): it noises, descends holding unmasked
pixels and returns 8-bit images as the app does, WITHOUT being told s (the shipped model in
models/fashion-mnist). Compared, from the engine's noised start (the same for every method),
with the noised input, a classical fill (biharmonic inpainting of the masked region) and, when
a flow-matching checkpoint exists, flow matching started at the true noise level. Metrics on the masked
region: PSNR and SSIM (images in [0, 1]), whether the judge classifier keeps the original
class, and FID of the repaired images in the judge's features against the test set.
"""
import argparse
import json
import math
import os

import numpy as np
import torch
from skimage.metrics import structural_similarity
from skimage.restoration import inpaint_biharmonic

from classifier import classify, load_classifier
from data import NULL_CLASS, load_split
from report_file import write_keeping_tail
from evaluate import fid_from_feats, test_stats
from export import load_model
import engine_batch

HERE = os.path.dirname(os.path.abspath(__file__))
STRENGTHS = [0.3, 0.5, 0.8, 1.0]


def box_mask(rng, coverage):
    area = coverage * 784
    h = int(np.clip(round(math.sqrt(area * rng.uniform(0.6, 1.6))), 3, 28))
    w = int(np.clip(round(area / h), 3, 28))
    y, x = rng.integers(0, 29 - h), rng.integers(0, 29 - w)
    m = np.zeros((28, 28), np.float32)
    m[y:y + h, x:x + w] = 1
    return m


def stroke_mask(rng, coverage):
    """A random-walk brush with a soft edge, painted until it covers `coverage` of the image."""
    m = np.zeros((28, 28), np.float32)
    yy, xx = np.mgrid[0:28, 0:28] + 0.5
    radius = rng.uniform(2.0, 4.0)
    p = rng.uniform(6, 22, size=2)
    direction = rng.uniform(0, 2 * math.pi)
    for _ in range(400):
        d = np.hypot(yy - p[0], xx - p[1])
        m = np.maximum(m, np.clip((radius - d) / 1.0, 0, 1))
        if (m > 0).mean() >= coverage:
            break
        direction += rng.normal(0, 0.5)
        p = np.clip(p + 1.2 * np.array([math.sin(direction), math.cos(direction)]), 2, 26)
    return m


def masks(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        coverage = rng.uniform(0.1, 0.5)
        out.append(box_mask(rng, coverage) if i % 2 == 0 else stroke_mask(rng, coverage))
    return torch.from_numpy(np.stack(out)).float()[:, None]


def mask_bytes(m):
    """The masks as the app paints them: one 8-bit plane, 255 = fully noised and free."""
    return engine_batch.values_to_bytes(m * 2 - 1)


def image_seed(seed, s, i):
    return seed * 1_000_000 + int(round(s * 100)) * 1000 + i


def engine_repair(original, masks_u8, s, seed, labels=None, sampler=None, models=engine_batch.MODELS):
    """Each image through the app's engine (bench/engine-batch.ts -> the engine's repair job):
    noise of strength s blended into the painted region from the image's seed, then the masked
    descent with held pixels re-noised to the estimated level and restored at the end; EqM is
    not told s. Unconditional, or guided toward `labels` with repair's CFG (the app's
    "Guide toward class"). Returns (repaired, steps, the noised start the job began from)."""
    photos = engine_batch.values_to_bytes(original.numpy())
    items = [{"photo": engine_batch.u8(photos[i]), "mask": engine_batch.u8(masks_u8[i]), "strength": s, "seed": image_seed(seed, s, i),
              "conditions": engine_batch.conditions([(int(labels[i]), 1.0)]) if labels is not None else []}
             for i in range(original.shape[0])]
    request = {"op": "repair", "items": items}
    if sampler:
        request["sampler"] = sampler
    results = engine_batch.call(request, models=models)["results"]
    shape = tuple(original.shape[1:])
    repaired = torch.stack([engine_batch.bytes_to_values(engine_batch.from_u8(r["image"], shape)) for r in results])
    starts = torch.stack([torch.from_numpy(engine_batch.from_f32(r["start"], shape)) for r in results])
    return repaired, torch.tensor([r["steps"] for r in results]), starts


def biharmonic_fill(x_noised, m):
    out = []
    for img, mask in zip(x_noised[:, 0].numpy(), (m[:, 0] > 0.5).numpy()):
        out.append(inpaint_biharmonic(img.astype(np.float64), mask) if mask.any() else img)
    return torch.from_numpy(np.stack(out)).float()[:, None].clamp(-1, 1)


@torch.no_grad()
def fm_repair(fm_model, x_noised, m, s, steps):
    """Flow matching told the true noise level: Euler from t = 1 - s to 1, x_t = t x + (1 - t) eps
    (the convention of sampler.flow_sample), unconditional, moving only the masked region."""
    x = x_noised.clone()
    y = torch.full((x.shape[0],), NULL_CLASS, dtype=torch.long)
    t0 = 1.0 - s
    dt = (1.0 - t0) / steps
    for k in range(steps):
        t = torch.full((x.shape[0],), t0 + k * dt)
        v = fm_model(x, y, t)
        x = x + dt * v * m
    held = m == 0
    x[held] = x_noised[held]
    return x.clamp(-1, 1)


def region_metrics(repaired, original, m):
    a = (repaired[:, 0].numpy() + 1) / 2
    b = (original[:, 0].numpy() + 1) / 2
    w = m[:, 0].numpy()
    psnr, ssim = [], []
    for ai, bi, wi in zip(a, b, w):
        sel = wi > 0
        mse = float(((ai - bi)[sel] ** 2).mean())
        psnr.append(10 * math.log10(1.0 / max(mse, 1e-10)))
        _, smap = structural_similarity(ai, bi, data_range=1.0, full=True, win_size=7)
        ssim.append(float(smap[sel].mean()))
    return float(np.mean(psnr)), float(np.mean(ssim))


def target_lines(rows):
    """The issue's repair targets, stated from the measured rows (so the report cannot drift)."""
    by = {(r["s"], r["method"]): r for r in rows}
    out = []
    for s in STRENGTHS:
        eqm, fill, fm = by.get((s, "EqM (s not given)")), by.get((s, "biharmonic fill")), by.get((s, "flow matching (true s)"))
        if eqm is None:
            continue
        if s <= 0.5:
            verdict = "met" if eqm["psnr"] > fill["psnr"] else "missed"
            text = f"- s = {s}: PSNR {eqm['psnr']:.2f} dB vs classical fill {fill['psnr']:.2f} dB: **{verdict}**"
            if fm is not None:
                gap = fm["psnr"] - eqm["psnr"]
                text += f"; flow matching told s {fm['psnr']:.2f} dB, EqM {'within' if gap <= 1 else 'not within'} 1 dB ({gap:+.2f})"
        else:
            ok = eqm["classKept"] > fill["classKept"] and eqm["fid"] < fill["fid"]
            text = (f"- s = {s}: class kept {eqm['classKept']:.3f} vs fill {fill['classKept']:.3f}, FID {eqm['fid']:.2f} vs fill "
                    f"{fill['fid']:.2f}: **{'met' if ok else 'missed'}**")
        out.append(text)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fm-ckpt", default=os.path.join(HERE, "runs", "fm-main", "ckpt.pt"))
    parser.add_argument("--models", default=engine_batch.MODELS, help="the models folder the engine loads (fashion-mnist in it)")
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report", default=None)
    parser.add_argument("--json", default=os.path.join(HERE, "results", "repair.json"))
    parser.add_argument("--report-only", action="store_true", help="write --report from --json without measuring again")
    args = parser.parse_args()
    if args.report_only:
        with open(args.json) as f:
            saved = json.load(f)
        write_report(args.report, saved["images"], saved["sampler"], saved["rows"], saved["flowMatching"], saved.get("fmCkpt"))
        return
    torch.manual_seed(args.seed)
    torch.set_num_threads(int(os.environ.get("EQM_THREADS", "2")))

    # the sampler repair jobs take by default (the engine resolves it; the report says which it was)
    settings = engine_batch.tool_sampler("repair", models=args.models)
    fm_model = load_model(args.fm_ckpt)[0] if os.path.exists(args.fm_ckpt) else None
    clf = load_classifier()
    stats = test_stats(clf)
    xt, yt = load_split("test")
    idx = torch.arange(5000, 10000)[torch.randperm(5000, generator=torch.Generator().manual_seed(args.seed))[: args.images]]
    original, labels = xt[idx], yt[idx]
    m_u8 = mask_bytes(masks(args.images, args.seed).numpy())
    m = torch.from_numpy(m_u8.astype(np.float32) / 255)  # the engine's weights, byte / 255
    rows = []
    for s in STRENGTHS:
        repaired, steps, noised = engine_repair(original, m_u8, s, args.seed, models=args.models)
        guided, guided_steps, _ = engine_repair(original, m_u8, s, args.seed, labels=labels, models=args.models)
        methods = {"noised input": noised.clamp(-1, 1), "biharmonic fill": biharmonic_fill(noised.clamp(-1, 1), m),
                   "EqM (s not given)": repaired, "EqM + true class (s not given)": guided}
        if fm_model is not None:
            methods["flow matching (true s)"] = fm_repair(fm_model, noised, m, s, settings["maxSteps"])
        for name, out in methods.items():
            psnr, ssim = region_metrics(out, original, m)
            logits, feats = classify(clf, out)
            kept = float((logits.argmax(1) == labels).float().mean())
            row = {"s": s, "method": name, "psnr": psnr, "ssim": ssim, "classKept": kept, "fid": fid_from_feats(feats, stats2=stats)}
            if name.startswith("EqM"):
                row["meanSteps"] = float((guided_steps if "class" in name else steps).float().mean())
            rows.append(row)
            print(json.dumps(row))
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"images": args.images, "sampler": settings, "flowMatching": fm_model is not None,
                   "fmCkpt": os.path.relpath(args.fm_ckpt, os.path.join(HERE, "..")) if fm_model is not None else None, "rows": rows}, f, indent=2)
    if args.report:
        write_report(args.report, args.images, settings, rows, fm_model is not None,
                     os.path.relpath(args.fm_ckpt, os.path.join(HERE, "..")) if fm_model is not None else None)


def write_report(path, images, settings, rows, flow_matching, fm_ckpt=None):
    """The generated head of training/REPAIR.md (the hand-written sections below it are kept)."""
    lines = ["# Repair (partial denoising) benchmark", "",
             f"{images} held-out Fashion-MNIST test images, masks 10-50% (boxes and strokes), sampler = repair's defaults (manifest sampler, studio.repair.sampler over it) {settings}.",
             "PSNR/SSIM on the masked region (images in [0,1]); class kept = the judge classifier still gives the original class; FID in the judge's features vs the test set.", "",
             "| s | method | PSNR dB | SSIM | class kept | FID | mean steps |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['s']} | {r['method']} | {r['psnr']:.2f} | {r['ssim']:.3f} | {r['classKept']:.3f} | {r['fid']:.2f} | {r.get('meanSteps', float('nan')):.1f} |")
    if not flow_matching:
        lines += ["", "Flow matching at the true noise level: not measured, this checkout has no flow-matching checkpoint (training/runs/fm-main)."]
    lines += ["", "## Against the targets", ""] + target_lines(rows)
    lines += ["", "Reproduce:", "", "```", "/usr/bin/python3 training/repair_bench.py%s --images %d --report training/REPAIR.md" % (f" --fm-ckpt {fm_ckpt}" if fm_ckpt else "", images), "```", ""]
    # what was written by hand after the generated part is kept
    write_keeping_tail(path, "\n".join(lines), "## What the numbers say")


if __name__ == "__main__":
    main()
