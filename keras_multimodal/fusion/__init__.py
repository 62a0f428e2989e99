"""Fusion layers, registered by name; importing this module registers them all."""

from keras_multimodal.fusion.concat_fusion import ConcatFusion
from keras_multimodal.fusion.registry import FUSIONS as FUSIONS_REGISTRY
from keras_multimodal.fusion.registry import get_fusion
from keras_multimodal.fusion.registry import list_fusions
from keras_multimodal.fusion.registry import register_fusion

__all__ = ["FUSIONS_REGISTRY", "ConcatFusion", "get_fusion", "list_fusions", "register_fusion"]
