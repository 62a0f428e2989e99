"""Modality encoders, registered by name.

Importing this package imports every encoder module in it, which registers
them (lookup by name and Keras serialisation).
"""

import importlib
import pkgutil

from keras_multimodal.encoders.registry import ENCODERS as ENCODERS_REGISTRY
from keras_multimodal.encoders.registry import get_encoder
from keras_multimodal.encoders.registry import list_encoders
from keras_multimodal.encoders.registry import register_encoder

for _module in pkgutil.iter_modules(__path__):
    if _module.name.endswith("_encoder"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["ENCODERS_REGISTRY", "get_encoder", "list_encoders", "register_encoder"]
