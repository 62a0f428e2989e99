"""Small building-block layers shared by models."""

from keras_multimodal.layers.bidirectional_multimodal_block import BidirectionalMultimodalBlock
from keras_multimodal.layers.cross_modal_attention import CrossModalAttention
from keras_multimodal.layers.modality_dropout import ModalityDropout
from keras_multimodal.layers.target_scaling import TargetScaling

__all__ = ["BidirectionalMultimodalBlock", "CrossModalAttention", "ModalityDropout", "TargetScaling"]
