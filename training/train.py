"""Train one run: /usr/bin/python3 training/train.py --name NAME --objective eqm|fm|eqme --minutes M

The config is saved as training/runs/<name>/config.json; checkpoints (model, EMA, optimiser,
counters, RNG) go to training/runs/<name>/ckpt.pt every --ckpt-minutes and at the end. Rerunning
the same command resumes from the checkpoint; --minutes is the TOTAL training-time budget across
resumes (the run stops itself cleanly when it is spent). --max-images caps images seen (to
match budgets between runs). The loss log is training/runs/<name>/log.jsonl.

Several processes (torchrun; see distributed.py): --batch is the GLOBAL batch, split evenly
across ranks; every rank walks the same seeded order of the data and draws the same per-step
random numbers for the whole global batch (objectives.StepDraws), keeping its own rows, and
DistributedDataParallel averages gradients, so N processes train as one would on the same
global batch (checked in training/tests/test_distributed.py). Rank 0 writes checkpoints and
logs; every rank resumes from them.
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import load_split  # noqa: E402
from model import build_model, count_params  # noqa: E402
from objectives import LOSSES, StepDraws  # noqa: E402
from distributed import Distributed  # noqa: E402

RUNS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runs")


def parse(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--objective", choices=["eqm", "fm", "eqme", "eqm-spatial"], default="eqm")
    p.add_argument("--spatial-frac", type=float, default=0.5,
                   help="eqm-spatial: share of each batch noised per painted region instead of uniformly")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="one-process runs: auto takes the GPU where torch sees one (torchrun ranks take theirs)")
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--max-images", type=int, default=0, help="stop after this many images seen (0: no cap)")
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--channels", type=str, default="32,64,128")
    p.add_argument("--emb-dim", type=int, default=128)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--lr-final-frac", type=float, default=0.1,
                   help="cosine decay to lr*frac over the budget (images seen with --max-images, else elapsed minutes)")
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--a", type=float, default=0.8)
    p.add_argument("--lam", type=float, default=4.0)
    p.add_argument("--decay", choices=["truncated", "linear"], default="truncated")
    p.add_argument("--label-drop", type=float, default=0.1)
    p.add_argument("--subset", type=int, default=0, help="use only the first N training images (tests)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ckpt-minutes", type=float, default=5.0)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--runs-dir", default=RUNS)
    return p.parse_args(argv)


def _on_cpu(value):
    """Checkpoints hold CPU tensors, so export, evaluation and resumes load them on any machine."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _on_cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_on_cpu(v) for v in value)
    return value


def save_ckpt(path, state):
    tmp = path + ".tmp"
    torch.save(_on_cpu(state), tmp)
    os.replace(tmp, path)


def main(argv=None):
    args = parse(argv)
    torch.set_num_threads(args.threads)
    ranks = Distributed()
    if not ranks.enabled and (args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())):
        ranks.device = torch.device("cuda")
    if ranks.enabled and args.objective == "eqme":
        raise SystemExit("EqM-E trains by double backprop, which DistributedDataParallel does not support: train it with one process")
    rows = ranks.rows(args.batch)
    run_dir = os.path.join(args.runs_dir, args.name)
    os.makedirs(run_dir, exist_ok=True)
    ckpt_path = os.path.join(run_dir, "ckpt.pt")
    config = vars(args).copy()
    config["command"] = "/usr/bin/python3 training/train.py " + " ".join(sys.argv[1:] if argv is None else argv)
    model_cfg = dict(channels=[int(c) for c in args.channels.split(",")], emb_dim=args.emb_dim,
                     num_classes=10, time_cond=(args.objective == "fm"))
    config["model"] = model_cfg

    torch.manual_seed(args.seed)
    model = build_model(model_cfg).to(ranks.device)
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    state = dict(step=0, images=0, train_seconds=0.0, epoch=0, pos=0)
    perm = None
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=ranks.device)
        model.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        perm = ck["perm"]
        if ranks.is_main:
            print(f"resumed from {ckpt_path} at step {state['step']}", flush=True)
    config["parameters"] = count_params(model)
    config["processes"] = ranks.world
    if ranks.is_main:
        with open(os.path.join(run_dir, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
    # gradients are averaged across ranks; the parameters start equal (same seed) and stay equal
    trained = torch.nn.parallel.DistributedDataParallel(model) if ranks.enabled else model

    x_all, y_all = load_split("train")
    if args.subset:
        x_all, y_all = x_all[:args.subset], y_all[:args.subset]
    n = x_all.shape[0]
    loss_fn = LOSSES[args.objective]
    loss_kw = dict(label_drop=args.label_drop)
    if args.objective in ("eqm", "eqme", "eqm-spatial"):
        loss_kw.update(a=args.a, lam=args.lam, kind=args.decay)
    if args.objective == "eqm-spatial":
        loss_kw.update(spatial_frac=args.spatial_frac)
    x_all, y_all = x_all.to(ranks.device), y_all.to(ranks.device)  # once, not per batch
    budget = args.minutes * 60.0
    log = open(os.path.join(run_dir, "log.jsonl"), "a") if ranks.is_main else None
    t_start = time.time()
    base_seconds = state["train_seconds"]
    last_ckpt = time.time()
    run_loss, run_count, t_log, img_log = 0.0, 0, time.time(), state["images"]

    def checkpoint():
        state["train_seconds"] = base_seconds + time.time() - t_start
        if ranks.is_main:
            save_ckpt(ckpt_path, dict(model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(),
                                      state=state, perm=perm, config=config))

    model.train()
    while True:
        # the slowest rank's clock decides, so every rank stops and schedules its LR alike
        elapsed = ranks.max(base_seconds + time.time() - t_start)
        if elapsed >= budget:
            break
        if args.max_images and state["images"] >= args.max_images:
            break
        if args.max_steps and state["step"] >= args.max_steps:
            break
        if perm is None or state["pos"] + args.batch > n:
            # one seeded global order, the same on every rank
            perm = torch.randperm(n, generator=torch.Generator().manual_seed(args.seed * 1_000_003 + state["epoch"]))
            state["pos"] = 0
            state["epoch"] += 1
        idx = perm[state["pos"]:state["pos"] + args.batch][rows]
        state["pos"] += args.batch
        x, y = x_all[idx].to(ranks.device), y_all[idx].to(ranks.device)
        draws = StepDraws(args.seed, state["step"], rows, args.batch)
        # learning rate: linear warmup, then cosine decay over the budget: by images seen when
        # --max-images caps the run (a baseline matched on images must not depend on how busy
        # the CPU was), else by elapsed fraction of the time budget
        frac = min(1.0, state["images"] / args.max_images if args.max_images else elapsed / budget)
        lr = args.lr * (args.lr_final_frac + (1 - args.lr_final_frac) * 0.5 * (1 + math.cos(math.pi * frac)))
        lr *= min(1.0, (state["step"] + 1) / args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        loss = loss_fn(trained, x, y, draws=draws, **loss_kw)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        decay = min(args.ema, (1 + state["step"]) / (10 + state["step"]))
        with torch.no_grad():  # the same update as a loop over parameters, in two launches on a GPU
            ema_params = list(ema.parameters())
            torch._foreach_mul_(ema_params, decay)
            torch._foreach_add_(ema_params, [p.detach() for p in model.parameters()], alpha=1 - decay)
            for be, bm in zip(ema.buffers(), model.buffers()):
                be.copy_(bm)
        state["step"] += 1
        state["images"] += args.batch
        # one process keeps the sum on the device: a .item() per step would stall a GPU every step
        run_loss += ranks.mean(loss.item()) if ranks.enabled else loss.detach()
        run_count += 1
        if state["step"] % args.log_every == 0 and ranks.is_main:
            now = time.time()
            rec = dict(step=state["step"], images=state["images"], epoch=state["epoch"], loss=float(run_loss) / run_count,
                       lr=lr, img_per_s=(state["images"] - img_log) / max(1e-9, now - t_log),
                       minutes=(base_seconds + now - t_start) / 60)
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(json.dumps(rec), flush=True)
            run_loss, run_count, t_log, img_log = 0.0, 0, now, state["images"]
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            checkpoint()
            last_ckpt = time.time()
    checkpoint()
    if ranks.is_main:
        print(json.dumps(dict(done=True, step=state["step"], images=state["images"],
                              minutes=state["train_seconds"] / 60)), flush=True)
    ranks.close()
    return state


if __name__ == "__main__":
    main()
