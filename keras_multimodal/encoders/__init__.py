"""Modality encoders, registered by name; importing this module registers them all."""

from keras_multimodal.encoders.image_cnn_encoder import ImageCNNEncoder
from keras_multimodal.encoders.registry import ENCODERS as ENCODERS_REGISTRY
from keras_multimodal.encoders.registry import get_encoder
from keras_multimodal.encoders.registry import list_encoders
from keras_multimodal.encoders.registry import register_encoder
from keras_multimodal.encoders.tabular_mlp_encoder import TabularMLPEncoder
from keras_multimodal.encoders.text_lstm_encoder import TextLSTMEncoder

__all__ = [
    "ENCODERS_REGISTRY",
    "ImageCNNEncoder",
    "TabularMLPEncoder",
    "TextLSTMEncoder",
    "get_encoder",
    "list_encoders",
    "register_encoder",
]
