"""Maps a standardised regression output back to the target's scale."""

import keras

from keras_multimodal.registry import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class TargetScaling(keras.layers.Layer):
    """`outputs = inputs * std + mean`, with the training split's statistics.

    Args:
        mean: float. Mean of the training targets.
        std: float. Standard deviation of the training targets.
    """

    def __init__(self, mean=0.0, std=1.0, **kwargs):
        super().__init__(**kwargs)
        self.mean = float(mean)
        self.std = float(std)

    def call(self, inputs):
        return inputs * self.std + self.mean

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(mean=self.mean, std=self.std)
        return config
