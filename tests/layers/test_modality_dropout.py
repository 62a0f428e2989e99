"""ModalityDropout: drops whole modalities in training only, never all of a row's."""

import numpy as np

from keras_multimodal.layers import ModalityDropout


def flags(rows=2000):
    rng = np.random.default_rng(0)
    present = {name: (rng.random((rows, 1)) < 0.9).astype("float32") for name in ("a", "b", "c")}
    return present


def test_inference_is_identity():
    present = flags()
    out = ModalityDropout(0.5, seed=1)(present, training=False)
    for name in present:
        np.testing.assert_array_equal(np.asarray(out[name]), present[name])


def test_training_drops_at_the_rate_and_keeps_one_modality():
    present = flags()
    out = {k: np.asarray(v) for k, v in ModalityDropout(0.3, seed=1)(present, training=True).items()}
    before = np.concatenate([present[k] for k in sorted(present)], axis=1)
    after = np.concatenate([out[k] for k in sorted(out)], axis=1)
    assert np.all(after <= before)  # never turns an absent modality on
    had_any = before.sum(axis=1) > 0
    assert np.all(after.sum(axis=1)[had_any] > 0)
    dropped = 1 - after[before == 1].mean()
    assert 0.2 < dropped < 0.35


def test_rate_changes_the_drop_fraction_and_config_round_trips():
    present = flags()
    low = np.mean([np.asarray(v).sum() for v in ModalityDropout(0.1, seed=2)(present, training=True).values()])
    high = np.mean([np.asarray(v).sum() for v in ModalityDropout(0.6, seed=2)(present, training=True).values()])
    assert high < low
    layer = ModalityDropout(0.25, seed=3)
    assert ModalityDropout.from_config(layer.get_config()).rate == 0.25


