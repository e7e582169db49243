"""The OOD set builder and the metric code."""
import numpy as np
import pytest

import engine_batch
import ood_eval
import ood_families
import ood_protocol
import ood_sets


def test_auroc_on_known_scores():
    assert ood_eval.auroc([0, 1], [2, 3]) == 1.0
    assert ood_eval.auroc([2, 3], [0, 1]) == 0.0
    assert ood_eval.auroc([1, 1], [1, 1]) == 0.5
    # one of four pairs misordered
    assert ood_eval.auroc([0, 2], [1, 3]) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        ood_eval.auroc([], [1])


def test_fpr_at_95_tpr():
    negatives = np.arange(100)  # threshold at the 95th percentile: 94.05
    assert ood_eval.fpr_at_tpr(negatives, [200, 300]) == 0.0
    assert ood_eval.fpr_at_tpr(negatives, [10, 200]) == 0.5


needs_engine = pytest.mark.skipif(not engine_batch.available(), reason="node or node_modules/tsx is absent: the engine cannot run")


def synthetic_features(rng, levels=(0, 0.2, 0.5)):
    def one(kind, n, scale):
        return {"kind": kind, "rms": (np.exp(rng.normal(size=(n, len(levels)))) * scale).tolist(), "dot": rng.normal(size=n).tolist(),
                "energy": (rng.normal(size=n) * scale).tolist()}
    sets = {"fmnist-calib": one("calibration", 60, 1.0), "fmnist-test": one("in", 50, 1.0), "digits": one("ood", 40, 10.0),
            "vflip": one("near-ood", 30, 1.5), "invert": one("near-ood", 30, 2.0)}
    return {"noiseLevels": list(levels), "seeds": [1, 2], "sets": sets}


@needs_engine
def test_score_kinds_come_from_the_engine():
    kinds = ood_eval.engine_kinds()
    assert {"grad-rms", "mahalanobis-dot", "mahalanobis-cond", "mahalanobis-align", "energy"} <= set(kinds)  # energy is computed by the energy model, listed with the field scores


@needs_engine
def test_engine_mahalanobis_is_zero_at_the_fitted_mean_and_grows_away():
    """The Gaussian is fitted here, the score computed by the engine from the features."""
    rng = np.random.default_rng(0)
    features = synthetic_features(rng)
    calib = features["sets"]["fmnist-calib"]
    fit = {"mahalanobis": ood_eval.gaussian_fit(ood_eval.log_rms(calib)), "mahalanobis-dot": ood_eval.gaussian_fit(ood_eval.with_dot(calib))}
    mean = np.exp(fit["mahalanobis"][0])
    features["sets"]["probe"] = {"kind": "ood", "rms": [mean.tolist(), (mean * 20).tolist()], "dot": [0.0, 0.0], "energy": [0.0, 0.0]}
    scores = ood_eval.candidate_scores(features, fit)
    probe = scores["mahalanobis"]("probe")
    assert probe[0] == pytest.approx(0.0, abs=1e-9) and probe[1] > 20
    assert np.allclose(scores["grad-rms-noised"]("digits"), np.asarray(features["sets"]["digits"]["rms"]).mean(1))
    table, _ = ood_eval.evaluate(features)
    assert table["grad-rms"]["digits"]["auroc"] > 0.8 and "neg-energy" in table
    calibration = ood_eval.calibration(features, "mahalanobis-dot", fit)
    assert len(calibration["mean"]) == 4 and calibration["threshold"] == pytest.approx(np.quantile(scores["mahalanobis-dot"]("fmnist-calib"), 0.95))


def test_sets_have_the_contract_shape_and_disjoint_splits():
    sets = ood_sets.build(n_eval=40, n_calib=30, seed=1)
    names = [s[0] for s in sets]
    assert names[:10] == ["fmnist-calib", "fmnist-test", "digits", "letters", "photos", "gaussian", "uniform", "constant", "vflip", "invert"]
    assert {"glyphs-arabic", "glyphs-georgian", "shapes", "faces", "photos-sklearn", "rot90", "shift", "crop", "blur", "contrast", "occlusion"} <= set(names)
    for name, kind, images, labels in sets:
        assert images.dtype == np.uint8 and images.shape[1:] == (28, 28), name
        assert kind in ("calibration", "in", "ood", "near-ood")
        assert labels is None or len(labels) == len(images)
    by_name = {s[0]: s for s in sets}
    assert len(by_name["fmnist-calib"][2]) == 30 and len(by_name["fmnist-test"][2]) == 40
    # content is what it claims: letters and digits are white on black, constants are flat
    assert by_name["letters"][2].max() > 150 and np.median(by_name["letters"][2]) < 30
    assert all(len(np.unique(img)) == 1 for img in by_name["constant"][2])
    assert np.array_equal(by_name["vflip"][2], by_name["fmnist-test"][2][:, ::-1, :])
    calib, inside = ood_sets.split_indices(40, 30, np.random.default_rng(1))
    assert set(calib).isdisjoint(set(inside))
    assert calib.max() < ood_sets.CALIB[1] <= inside.min()


def test_choose_takes_only_the_scores_it_is_given():
    per_score = {k: {"digits": {"auroc": a}, "vflip": {"auroc": 0.5}} for k, a in (("neg-dot", 0.99), ("mahalanobis", 0.9), ("grad-rms", 0.8))}
    assert ood_protocol.choose_on(per_score, ["digits", "vflip"], ["grad-rms", "mahalanobis"]) == "mahalanobis"


def test_near_ood_transforms_have_their_stated_magnitudes():
    rng = np.random.default_rng(3)
    images = ood_sets.fashion_test()[:60]
    occluded = ood_families.occlusion(images, rng)
    # a black rectangle covering >= 25% of the area: the largest all-black rectangle is at least that
    assert all(max_zero_rectangle(occluded[k]) >= 0.25 * 784 for k in range(60))
    assert ((occluded == 0) & (images != 0)).any()
    scaled = ood_families.contrast(images, rng)
    ratio = scaled.max(axis=(1, 2)) / np.maximum(images.max(axis=(1, 2)), 1)
    assert ratio.min() >= 0.29 and ratio.max() <= 0.51
    shifted = ood_families.shift(images, rng)
    assert all(np.sum(shifted[k].sum(axis=1) == 0) >= 4 and np.sum(shifted[k].sum(axis=0) == 0) >= 4 for k in range(60))


def max_zero_rectangle(img):
    """Area of the largest all-zero axis-aligned rectangle (brute force over heights; 28x28 is small)."""
    zero = img == 0
    best = 0
    for top in range(28):
        run = np.ones(28, bool)
        for bottom in range(top, 28):
            run &= zero[bottom]
            width, longest = 0, 0
            for v in run:
                width = width + 1 if v else 0
                longest = max(longest, width)
            best = max(best, longest * (bottom - top + 1))
    return best


def test_leave_one_family_out_reports_a_score_only_on_families_it_was_not_chosen_on():
    """Score "a" separates family X perfectly and Y not at all, score "b" the reverse: held out,
    X must be reported with b (chosen on Y) and Y with a, never with the score that fits it."""
    rng = np.random.default_rng(0)
    base = {"fmnist-calib": rng.normal(size=50), "fmnist-test": rng.normal(size=40)}
    x_high, y_high = rng.normal(size=30) + 10, rng.normal(size=30) + 10
    sets = {"a": {**base, "X": x_high, "Y": rng.normal(size=30)}, "b": {**base, "X": rng.normal(size=30), "Y": y_high}}
    candidates = {k: (lambda k: lambda name: sets[k][name])(k) for k in sets}
    rows, per_score = ood_protocol.leave_one_family_out(candidates, {"X": ["X"], "Y": ["Y"]}, ["a", "b"])
    by_family = {r["family"]: r for r in rows}
    assert by_family["X"]["score"] == "b" and by_family["Y"]["score"] == "a"
    assert by_family["X"]["auroc"] == per_score["b"]["X"]["auroc"] < 0.8
    assert per_score["a"]["X"]["auroc"] == 1.0  # what choosing on the same family would have reported
    assert rows[0]["auroc"] <= rows[1]["auroc"]  # worst family first
    with pytest.raises(ValueError):
        ood_protocol.leave_one_family_out(candidates, {"X": ["X"]}, ["a", "b"])


def test_families_group_near_duplicates_and_refuse_mixed_kinds():
    families, kinds = ood_protocol.families_of({"rot90": "near-ood", "vflip": "near-ood", "gaussian": "ood", "uniform": "ood", "fmnist-test": "in"}, ood_families.family_of)
    assert families == {"flip-rotate": ["rot90", "vflip"], "noise": ["gaussian", "uniform"]} and kinds["noise"] == "ood"
    with pytest.raises(ValueError):
        ood_protocol.families_of({"rot90": "near-ood", "gaussian": "ood"}, lambda name: "one")
