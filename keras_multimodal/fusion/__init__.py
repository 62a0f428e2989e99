"""Fusion layers, registered by name.

Importing this package imports every `*_fusion` module in it, which registers
them (lookup by name and Keras serialisation).
"""

import importlib
import pkgutil

from keras_multimodal.fusion.registry import FUSIONS as FUSIONS_REGISTRY
from keras_multimodal.fusion.registry import get_fusion
from keras_multimodal.fusion.registry import list_fusions
from keras_multimodal.fusion.registry import register_fusion

for _module in pkgutil.iter_modules(__path__):
    if _module.name.endswith("_fusion"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["FUSIONS_REGISTRY", "get_fusion", "list_fusions", "register_fusion"]
