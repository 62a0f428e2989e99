"""Drops whole modalities at random during training so the model learns to cope."""

import keras
from keras import ops

from keras_multimodal.registry import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class ModalityDropout(keras.layers.Layer):
    """Sets a modality's presence flag to 0 with probability `rate`, per sample, in training only.

    A sample never loses all of its present modalities: where the draw would
    drop every one, its flags are kept unchanged.

    Args:
        rate: float. Probability of dropping each modality. Defaults to 0.1.
        seed: int. Seed of the random draws.

    Call arguments:
        present: dict of `(batch, 1)` float presence flags keyed by input name.
        training: bool.

    Returns:
        dict of `(batch, 1)` flags, the same keys.
    """

    def __init__(self, rate=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, present, training=None):
        if not training or self.rate <= 0:
            return dict(present)
        names = sorted(present)
        flags = ops.concatenate([present[n] for n in names], axis=-1)
        keep = ops.cast(keras.random.uniform(ops.shape(flags), seed=self.seed_generator) >= self.rate, flags.dtype)
        dropped = flags * keep
        survivors = ops.sum(dropped, axis=-1, keepdims=True)
        flags = ops.where(survivors > 0, dropped, flags)
        return {n: flags[:, i : i + 1] for i, n in enumerate(names)}

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config
