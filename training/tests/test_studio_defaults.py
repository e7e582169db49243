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


def test_shipped_sampler_names_round_trip_for_both_guidance_switches():
    # the descent switches by RMS, the clock by time: each maps to its own manifest field and back
    from shipped_sampler import manifest_sampler
    descent = {"method": "nag", "eta": 0.02, "mu": 0.3, "steps": 50, "stop": 0.15, "cfg": 1.25, "cfg_near": 4.0, "guide_until": 3.0}
    clock = {"method": "clock", "eta": 0.02, "mu": 0.3, "steps": 13, "stop": 0.15, "cfg": 1.0, "cfg_near": 2.0, "far_until_time": 0.4}
    assert manifest_sampler(descent) == {"method": "nag", "stepSize": 0.02, "mu": 0.3, "maxSteps": 50, "stopGradNorm": 0.15,
                                         "cfg": 4.0, "farCfg": 1.25, "farUntilRms": 3.0}
    assert manifest_sampler(clock) == {"method": "clock", "stepSize": 0.02, "mu": 0.3, "maxSteps": 13, "stopGradNorm": 0.15,
                                       "cfg": 2.0, "farCfg": 1.0, "farUntilTime": 0.4}
    # a time bound on a descent (or an RMS bound on the clock) is not a switch that sampler applies
    assert "farCfg" not in manifest_sampler(dict(clock, method="nag"))


def test_shipped_sampler_reads_each_switch_back(tmp_path):
    import json
    from shipped_sampler import shipped_sampler
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"sampler": {"method": "clock", "stepSize": 0.02, "mu": 0.3, "maxSteps": 13, "stopGradNorm": 0.15,
                                            "cfg": 2.0, "farCfg": 1.0, "farUntilTime": 0.4, "farUntilRms": 3.0}}))
    got = shipped_sampler(str(path))
    assert (got["cfg"], got["cfg_near"], got["far_until_time"], got["guide_until"]) == (1.0, 2.0, 0.4, 0.0)
    path.write_text(json.dumps({"sampler": {"method": "nag", "stepSize": 0.02, "mu": 0.3, "maxSteps": 50, "stopGradNorm": 0.15,
                                            "cfg": 4.0, "farCfg": 1.25, "farUntilRms": 3.0, "farUntilTime": 0.4}}))
    got = shipped_sampler(str(path))
    assert (got["cfg"], got["cfg_near"], got["far_until_time"], got["guide_until"]) == (1.25, 4.0, 0.0, 3.0)


def test_set_default_sampler_keeps_the_outgoing_method_as_a_preset(tmp_path):
    import json
    import subprocess
    descent = {"method": "nag", "stepSize": 0.02, "mu": 0.3, "maxSteps": 50, "stopGradNorm": 0.15, "cfg": 4.0, "farCfg": 1.25, "farUntilRms": 3.0}
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"sampler": descent, "provenance": {"metrics": {"fidFloor": 0.09, "fid": 0.24}}}))
    clock = {"method": "clock", "eta": 0.02, "mu": 0.3, "steps": 13, "stop": 0.15, "cfg": 1.0, "cfg_near": 2.0, "far_until_time": 0.4}
    records = tmp_path / "records.jsonl"
    rows = [dict(clock, seed=seed, per_class_n=100, accuracy=acc, per_class=[acc] * 9 + [acc - 0.2], fid=fid, mean_evals=25.0,
                 decay={"a": 0.8, "lambda": 4.0}) for seed, acc, fid in [(0, 0.9, 0.2), (1, 0.94, 0.1), (0, 0.1, 9.0)]]
    # another setting's record (a different switch time) must not count
    rows.append(dict(rows[1], far_until_time=0.5, seed=2, fid=5.0))
    records.write_text("".join(json.dumps(r) + "\n" for r in rows))
    script = os.path.join(os.path.dirname(__file__), "..", "set_default_sampler.py")
    subprocess.run([sys.executable, script, "--records", str(records), "--setting", json.dumps(clock), "--manifest", str(manifest)],
                   check=True, capture_output=True)
    out = json.loads(manifest.read_text())
    assert out["sampler"]["method"] == "clock" and out["sampler"]["farUntilTime"] == 0.4
    assert out["samplerPresets"] == {"nag": descent, "clock": out["sampler"]}
    assert out["decay"] == {"a": 0.8, "lambda": 4.0}
    metrics = out["provenance"]["metrics"]
    # seed 0 counted once (its first record), seed 2's record is another setting's
    assert metrics["seeds"] == [0, 1] and metrics["fid"] == 0.15 and metrics["judgedAccuracy"] == 0.92
    assert metrics["perClassAccuracy"][9] == 0.72 and metrics["worstClassAccuracy"] == 0.72
    # each method's figures stay beside its preset: the outgoing default's as they were
    assert out["provenance"]["presetMetrics"] == {"nag": {"fidFloor": 0.09, "fid": 0.24}, "clock": metrics}
