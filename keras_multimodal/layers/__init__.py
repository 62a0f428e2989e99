"""Small building-block layers shared by models."""

from keras_multimodal.layers.modality_dropout import ModalityDropout
from keras_multimodal.layers.target_scaling import TargetScaling

__all__ = ["ModalityDropout", "TargetScaling"]
