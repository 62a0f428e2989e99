"""keras-multimodal: Keras 3 models that learn from images, text and tables at once.

Importing the package is instant: TensorFlow and Keras load only when used.
The package's Keras layers register for `.keras` loading as soon as Keras is
imported (before or after this package), so `keras.saving.load_model` works
after `import keras_multimodal` alone, in safe mode.
"""

from keras_multimodal import _keras_hook
from keras_multimodal.errors import DataError
from keras_multimodal.errors import KMMError
from keras_multimodal.errors import SpecError
from keras_multimodal.specs import Spec
from keras_multimodal.specs import load_spec
from keras_multimodal.version import __version__

_LAZY = {
    "train": ("keras_multimodal.training.trainer", "train"),
    "Run": ("keras_multimodal.run", "Run"),
    "build_model": ("keras_multimodal.models.builder", "build_model"),
    "make_synthetic_dataset": ("keras_multimodal.data.synthetic", "make_synthetic_dataset"),
    "validate": ("keras_multimodal.validation", "validate"),
    "compare": ("keras_multimodal.training.compare", "compare"),
    "cross_validate": ("keras_multimodal.training.cross_validation", "cross_validate"),
    "tune": ("keras_multimodal.tuning.search", "tune"),
    "evaluate_run": ("keras_multimodal.training.evaluate_run", "evaluate_run"),
    "pretrain": ("keras_multimodal.pretraining.pretrain_run", "pretrain"),
}

__all__ = [
    "DataError",
    "KMMError",
    "Run",
    "Spec",
    "SpecError",
    "__version__",
    "build_model",
    "compare",
    "cross_validate",
    "evaluate_run",
    "load_spec",
    "make_synthetic_dataset",
    "pretrain",
    "train",
    "tune",
    "validate",
]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'keras_multimodal' has no attribute {name!r}")


_keras_hook.install()
