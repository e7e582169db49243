"""The OOD variant with the classifier (mahalanobis-align-pair-classifier): its vector, and that the
EqM-only choice never picks it even where it separates best, while its own report does."""
import numpy as np
import pytest

import engine_batch
import ood_eval
from test_ood_pair import synthetic

VARIANT = "mahalanobis-align-pair-classifier"


def with_classifier(features, rng, separating=()):
    """Classifier features per set: in-distribution-like everywhere, far off in the `separating` sets."""
    for name, s in features["sets"].items():
        n = len(s["dot"])
        s["classifier"] = (rng.normal(size=(n, 3)) + (8.0 if name in separating else 0.0)).tolist()
    return features


def test_variant_vector_is_the_pair_vector_then_the_classifiers_three_numbers():
    rng = np.random.default_rng(3)
    s = with_classifier(synthetic(rng), rng)["sets"]["fmnist-calib"]
    v = ood_eval.with_align_pair_classifier(s)
    pair = ood_eval.with_align_pair(s)
    assert v.shape == (60, pair.shape[1] + 3)
    assert np.array_equal(v[:, :pair.shape[1]], pair) and np.array_equal(v[:, pair.shape[1]:], np.asarray(s["classifier"]))


def test_variant_is_usable_only_with_classifier_features_in_every_set(monkeypatch):
    monkeypatch.setattr(ood_eval, "engine_kinds", lambda: ["mahalanobis-align-pair", VARIANT])
    rng = np.random.default_rng(4)
    features = with_classifier(synthetic(rng), rng)
    assert VARIANT in ood_eval.usable_kinds(features) and VARIANT in ood_eval.fit_gaussians(features)
    del features["sets"]["vflip"]["classifier"]
    assert VARIANT not in ood_eval.usable_kinds(features)


@pytest.mark.skipif(not engine_batch.available(), reason="node or node_modules/tsx is absent: the engine cannot run")
def test_the_eqm_only_choice_never_picks_the_variant_and_its_own_report_does():
    rng = np.random.default_rng(5)
    # the classifier alone tells vflip apart, which the EqM features here cannot
    features = with_classifier(synthetic(rng), rng, separating=("vflip", "digits"))
    fit = ood_eval.fit_gaussians(features)
    rows, per_score, _, chosen, _ = ood_eval.protocol(features, fit)
    assert VARIANT not in per_score and chosen != VARIANT and all(r["score"] != VARIANT for r in rows)
    rows, per_score, _, chosen, _ = ood_eval.protocol(features, fit, variants=True)
    assert VARIANT in per_score and chosen == VARIANT
