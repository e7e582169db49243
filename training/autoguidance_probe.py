"""Autoguidance probe (RESULTS.md, "Autoguidance"): a weaker EqM network guides the shipped one,
f = f_u + cfg (f_c - f_u) + (w - 1) (f_c - f_bad,c), with NAG and the adaptive stop as the engine's
sampler, judged as evaluate.py judges. A measurement of a lever that did not help, not a product
path: the engine has no autoguidance. Settings as a JSON list; results appended to --out.

    /usr/bin/python3 training/autoguidance_probe.py --good training/runs/eqm-spatial-gpu2/ckpt.pt \
        --out training/results/autoguidance-cpu.jsonl '[{"eta":0.02,"mu":0.3,"max_steps":50,"stop":0.15,"w":2,"cfg":1.5,"bad":"training/runs/eqm-spatial-gpu/ckpt.pt"}]'
"""
import sys, json, time, torch
import os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluate as E
from data import NULL_CLASS
torch.set_num_threads(2)

def load(path, ema=True):
    m, ck = E.load_gen(path, ema); return m

@torch.no_grad()
def descend_ag(good, bad, y, eta, mu, max_steps, stop, w, cfg, x0, cfg_near=None, guide_until=0.0, w_near=None):
    """f = f_good_u + cfg (f_good_c - f_good_u) + (w-1) (f_good_c - f_bad_c)   [w=1: plain CFG]
    with guidance switch by RMS (cfg/w far, cfg_near/w_near near)."""
    n = y.shape[0]; x = x0.clone(); prev = torch.zeros_like(x)
    steps = torch.zeros(n, dtype=torch.long); active = torch.arange(n)
    near = torch.zeros(n, dtype=torch.bool)
    for step in range(1, max_steps+1):
        if len(active) == 0: break
        idx = active
        xin = x[idx] - eta*mu*prev[idx]
        yy = y[idx]; m = len(idx)
        out = good(torch.cat([xin, xin]), torch.cat([yy, torch.full_like(yy, NULL_CLASS)]))
        fc, fu = out[:m], out[m:]
        fb = bad(xin, yy) if bad is not None else fc
        nr = near[idx].view(-1,1,1,1)
        c = torch.where(nr, torch.tensor(float(cfg_near if cfg_near is not None else cfg)), torch.tensor(float(cfg)))
        ww = torch.where(nr, torch.tensor(float(w_near if w_near is not None else w)), torch.tensor(float(w)))
        f = fu + c*(fc-fu) + (ww-1)*(fc-fb)
        rms = f.flatten(1).pow(2).mean(1).sqrt()
        near[idx] |= rms < guide_until
        steps[idx] = step; prev[idx] = f
        mv = rms >= stop; mi = idx[mv]
        x[mi] = x[mi] - eta*f[mv]
        active = mi
    return x, steps

def run(good, bad, per_class, seed, **kw):
    y = torch.arange(10).repeat_interleave(per_class)
    x0 = torch.randn(len(y), 1, 28, 28, generator=torch.Generator().manual_seed(seed))
    t = time.time(); x, steps = descend_ag(good, bad, y, x0=x0, **kw)
    rec = dict(kw, per_class_n=per_class, seed=seed, mean_evals=float(steps.float().mean()), secs=round(time.time()-t,1))
    rec.update(J(x, y)); return rec

clf = E.load_classifier()
stats = E.test_stats(clf)
def J(x, y): return E.judge(clf, x, y, stats)

if __name__ == '__main__':
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument('settings'); p.add_argument('--good', required=True); p.add_argument('--out', required=True)
    args = p.parse_args()
    good = load(args.good)
    bads = {}
    for spec in json.loads(args.settings):
        b = spec.pop('bad', None); be = spec.pop('bad_ema', True)
        key = (b, be)
        if b and key not in bads: bads[key] = load(b, be)
        pc = spec.pop('per_class', 50); seed = spec.pop('seed', 0)
        rec = run(good, bads.get(key), pc, seed, **spec); rec['bad'] = b; rec['bad_ema'] = be
        print(json.dumps(rec), flush=True)
        open(args.out, 'a').write(json.dumps(rec)+'\n')
