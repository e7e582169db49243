"""Choose the studio's repair and composition defaults from their benchmarks and write them
into the model's manifest ("studio" block; the app starts from it):

    /usr/bin/python3 training/studio_defaults.py --write-manifest models/fashion-mnist/manifest.json

Inputs: training/results/repair.json (repair_bench.py) and training/results/compose.json
(compose_bench.py). Rules:
- repair strength: the highest s at which EqM (not told s) beats the classical fill on PSNR,
  class kept and FID alike; a user who paints more noise gets more freedom, this is the most
  at which the repair is still better than the fill on every measure. Pixels outside held.
- repair class hint: the lowest s at which naming the photo's true class raises the share of
  repairs that keep their class by at least GUIDE_HINT_GAIN over not naming it; from there on
  the studio suggests the class the shipped classifier reads in the photo.
- composition: the (weight, cfg) with the best mean in-pair share over the pairs, counting a
  pair only where both classes keep at least 10% of the samples.
- each tool's sampler: the one its benchmark ran with (the file's "sampler"), so a tool keeps
  the settings its defaults were chosen under when Generate's default (the manifest's sampler)
  moves; guidance by place is written off (farUntilRms 0) where the benchmark had none, and the
  composition's guidance is its own cfg above.
"""
import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EQM = "EqM (s not given)"
EQM_CLASS = "EqM + true class (s not given)"
GUIDE_HINT_GAIN = 0.05


def repair_strength(rows):
    by_s = {}
    for r in rows:
        by_s.setdefault(r["s"], {})[r["method"]] = r
    good = [s for s, m in by_s.items()
            if EQM in m and m[EQM]["classKept"] > m["biharmonic fill"]["classKept"]
            and m[EQM]["fid"] < m["biharmonic fill"]["fid"] and m[EQM]["psnr"] > m["biharmonic fill"]["psnr"]]
    return max(good) if good else min(by_s)


def guide_hint_strength(rows):
    by_s = {}
    for r in rows:
        by_s.setdefault(r["s"], {})[r["method"]] = r
    helped = [s for s, m in by_s.items()
              if EQM in m and EQM_CLASS in m and m[EQM_CLASS]["classKept"] - m[EQM]["classKept"] >= GUIDE_HINT_GAIN]
    return min(helped) if helped else max(by_s)


def composition_score(row):
    c = row["composed"]
    return c["inPair"] if min(c["shareA"], c["shareB"]) >= 0.1 else c["inPair"] - 1


def composition_default(rows):
    by_setting = {}
    for r in rows:
        by_setting.setdefault((r["weight"], r["cfg"]), []).append(composition_score(r))
    return max(by_setting, key=lambda k: np.mean(by_setting[k]))


def benchmarked_sampler(sampler, without=()):
    """A benchmark's sampler as a tool's studio sampler: guidance by place off unless it had it."""
    out = {k: v for k, v in sampler.items() if k not in without}
    if not sampler.get("farUntilRms"):
        out["farUntilRms"] = 0
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repair", default=os.path.join(HERE, "results", "repair.json"))
    p.add_argument("--compose", default=os.path.join(HERE, "results", "compose.json"))
    p.add_argument("--write-manifest", default=None)
    args = p.parse_args()
    with open(args.repair) as f:
        repair = json.load(f)
    strength = repair_strength(repair["rows"])
    hint = guide_hint_strength(repair["rows"])
    with open(args.compose) as f:
        compose = json.load(f)
    weight, cfg = composition_default(compose["rows"])
    studio = {"repair": {"strength": strength, "holdUnmasked": True, "guideHintStrength": hint, "sampler": benchmarked_sampler(repair["sampler"])},
              "compose": {"weight": weight, "cfg": cfg, "sampler": benchmarked_sampler(compose["sampler"], without=("cfg",))}}
    print(json.dumps(studio))
    if args.write_manifest:
        with open(args.write_manifest) as f:
            manifest = json.load(f)
        manifest["studio"] = studio
        with open(args.write_manifest, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
