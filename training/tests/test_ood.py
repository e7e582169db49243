"""The OOD set builder and the metric code."""
import numpy as np
import pytest

import ood_eval
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


def test_mahalanobis_is_zero_at_the_mean_and_grows_away():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(500, 3))
    mean, precision = ood_eval.gaussian_fit(v)
    d = ood_eval.mahalanobis(np.stack([mean, mean + 3]), mean, precision)
    assert d[0] == pytest.approx(0.0)
    assert d[1] > 20


def test_sets_have_the_contract_shape_and_disjoint_splits():
    sets = ood_sets.build(n_eval=40, n_calib=30, seed=1)
    names = [s[0] for s in sets]
    assert names == ["fmnist-calib", "fmnist-test", "digits", "letters", "photos", "gaussian", "uniform", "constant", "vflip", "invert"]
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


def test_choose_takes_only_scores_the_engine_computes():
    row = lambda a: {"digits": {"auroc": a, "fpr95": 0.0}, "vflip": {"auroc": 0.5, "fpr95": 0.0}}
    table = {"neg-dot": row(0.99), "grad-rms@0.2": row(0.98), "mahalanobis": row(0.9), "grad-rms": row(0.8)}
    assert ood_eval.choose(table) == "mahalanobis"
