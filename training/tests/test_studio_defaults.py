import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from studio_defaults import composition_default, repair_strength  # noqa: E402


def repair_row(s, method, psnr, kept, fid):
    return {"s": s, "method": method, "psnr": psnr, "classKept": kept, "fid": fid}


def test_repair_strength_is_the_highest_that_beats_both_baselines():
    rows = []
    for s, eqm in [(0.3, (18, 0.9, 1.0)), (0.5, (14, 0.85, 3.5)), (0.8, (12.5, 0.8, 2.0))]:
        rows += [repair_row(s, "noised input", 10, 0.7, 6.0), repair_row(s, "biharmonic fill", 13, 0.72, 4.5),
                 repair_row(s, "EqM (s not given)", *eqm)]
    # 0.8 wins on class and FID but not on PSNR (12.5 < 13): not every measure
    assert repair_strength(rows) == 0.5
    # nothing wins: the gentlest strength
    worse = [dict(r, classKept=0.1) if r["method"].startswith("EqM") else r for r in rows]
    assert repair_strength(worse) == 0.3


def compose_row(weight, in_pair, share_a, share_b):
    return {"weight": weight, "cfg": 3.0, "composed": {"inPair": in_pair, "shareA": share_a, "shareB": share_b}}


def test_composition_default_needs_both_classes_represented():
    rows = [compose_row(1.0, 1.0, 0.95, 0.05), compose_row(0.5, 0.9, 0.6, 0.3)]
    assert composition_default(rows) == (0.5, 3.0)
