"""The two-network OOD score mahalanobis-align-pair: its vector, when it is usable, and the engine's score of it."""
import numpy as np
import pytest

import engine_batch
import ood_eval

LEVELS = (0, 0.2, 0.5)


def one_network(rng, n, scale):
    return {"rms": (np.exp(rng.normal(size=(n, len(LEVELS)))) * scale).tolist(), "dot": rng.normal(size=n).tolist(),
            "align": rng.uniform(-1, 1, size=(n, len(LEVELS) - 1)).tolist()}


def synthetic(rng, pair=True):
    def one(kind, n, scale):
        own = {"kind": kind, **one_network(rng, n, scale)}
        if pair:
            own["pair"] = one_network(rng, n, scale * 2)
        return own
    sets = {"fmnist-calib": one("calibration", 60, 1.0), "fmnist-test": one("in", 50, 1.0), "digits": one("ood", 40, 10.0),
            "vflip": one("near-ood", 30, 1.5)}
    return {"noiseLevels": list(LEVELS), "seeds": [1, 2], "sets": sets}


def test_pair_vector_is_the_ood_networks_align_vector_then_the_generating_networks():
    s = synthetic(np.random.default_rng(0))["sets"]["fmnist-calib"]
    v = ood_eval.with_align_pair(s)
    width = len(LEVELS) + 1 + (len(LEVELS) - 1)
    assert v.shape == (60, 2 * width)
    assert np.array_equal(v[:, :width], ood_eval.with_align(s))
    assert np.array_equal(v[:, width:], ood_eval.with_align(s["pair"]))
    # log rms, dot, align of the generating network in that order
    assert np.allclose(v[:, width:width + len(LEVELS)], np.log(np.asarray(s["pair"]["rms"])))
    assert np.allclose(v[:, width + len(LEVELS)], s["pair"]["dot"])
    assert np.allclose(v[:, width + len(LEVELS) + 1:], s["pair"]["align"])


def test_pair_kind_is_fitted_and_usable_only_with_pair_features(monkeypatch):
    kinds = ["grad-rms", "mahalanobis-align", "mahalanobis-align-pair"]
    monkeypatch.setattr(ood_eval, "engine_kinds", lambda: kinds)
    rng = np.random.default_rng(1)
    with_pair, without = synthetic(rng), synthetic(rng, pair=False)
    assert ood_eval.usable_kinds(with_pair) == kinds
    assert ood_eval.usable_kinds(without) == ["grad-rms", "mahalanobis-align"]
    fit = ood_eval.fit_gaussians(with_pair)
    assert "mahalanobis-align-pair" not in ood_eval.fit_gaussians(without)
    mean, precision = fit["mahalanobis-align-pair"]
    assert np.allclose(mean, ood_eval.with_align_pair(with_pair["sets"]["fmnist-calib"]).mean(0)) and precision.shape == (12, 12)
    # one set without the generating network's features: not usable
    del with_pair["sets"]["vflip"]["pair"]
    assert "mahalanobis-align-pair" not in ood_eval.usable_kinds(with_pair)


@pytest.mark.skipif(not engine_batch.available(), reason="node or node_modules/tsx is absent: the engine cannot run")
def test_engine_scores_the_pair_as_one_gaussian_over_the_concatenation():
    features = synthetic(np.random.default_rng(2))
    fit = ood_eval.fit_gaussians(features)
    assert "mahalanobis-align-pair" in ood_eval.usable_kinds(features)
    scores = ood_eval.engine_scores(features, fit)
    mean, precision = fit["mahalanobis-align-pair"]
    for name, s in features["sets"].items():
        d = ood_eval.with_align_pair(s) - mean
        assert np.allclose(scores[name]["mahalanobis-align-pair"], np.einsum("ij,jk,ik->i", d, precision, d), rtol=1e-9), name
    # the generating network's features matter: the same OOD features with other pair features score otherwise
    features["sets"]["digits"]["pair"] = {k: v[:40] for k, v in features["sets"]["fmnist-test"]["pair"].items()}
    moved = ood_eval.engine_scores(features, fit)["digits"]
    assert np.allclose(moved["mahalanobis-align"], scores["digits"]["mahalanobis-align"])
    assert not np.allclose(moved["mahalanobis-align-pair"], scores["digits"]["mahalanobis-align-pair"])


@pytest.mark.skipif(not engine_batch.available(), reason="node or node_modules/tsx is absent: the engine cannot run")
def test_class_score_is_fitted_by_the_engine_and_measures_each_image_against_its_class_mean():
    # two classes whose pair vectors sit apart: the class score's within-class scatter is tight, one Gaussian's is not
    rng = np.random.default_rng(3)
    features = synthetic(rng)
    features["classes"] = 2
    for s in features["sets"].values():
        n = len(s["dot"])
        s["alignClass"] = [int(i % 2) for i in range(n)]
        for i in range(n):
            s["dot"][i] += 5.0 * (i % 2)
    kind = ood_eval.CLASS_KIND
    assert ood_eval.has_align_class(features)
    fit = ood_eval.fit_gaussians(features)
    mean, precision, extra = fit[kind]
    calib = features["sets"]["fmnist-calib"]
    v = ood_eval.with_align_pair(calib)
    labels = np.asarray(calib["alignClass"])
    class_means = np.stack([v[labels == c].mean(0) for c in range(2)])
    assert extra["classes"] == 2 and np.allclose(extra["classMeans"], class_means, rtol=1e-12)
    residual = v - class_means[labels]
    cov = residual.T @ residual / (len(v) - 2) + 1e-6 * np.eye(v.shape[1])
    assert np.allclose(precision, np.linalg.inv(cov), rtol=1e-6, atol=1e-9)
    calibration = ood_eval.score_calibration(kind, features, fit)
    assert calibration["classes"] == 2 and len(calibration["classMeans"]) == 2
    scores = ood_eval.engine_scores(features, fit)
    for name, s in features["sets"].items():
        d = ood_eval.with_align_pair(s) - class_means[np.asarray(s["alignClass"])]
        assert np.allclose(scores[name][kind], np.einsum("ij,jk,ik->i", d, precision, d), rtol=1e-9), name
    # without alignClass in every set the score is not usable
    del features["sets"]["vflip"]["alignClass"]
    assert not ood_eval.has_align_class(features)
