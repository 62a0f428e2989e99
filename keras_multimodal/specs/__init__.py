"""The declarative data spec: pure Python, no TensorFlow or Keras imports."""

from keras_multimodal.specs.data_config import DataConfig
from keras_multimodal.specs.input_spec import InputSpec
from keras_multimodal.specs.loader import DEMO_SPEC
from keras_multimodal.specs.loader import load_spec
from keras_multimodal.specs.model_config import ComponentChoice
from keras_multimodal.specs.model_config import ModelConfig
from keras_multimodal.specs.spec import Spec
from keras_multimodal.specs.split_spec import SplitSpec
from keras_multimodal.specs.target_spec import TargetSpec
from keras_multimodal.specs.training_config import TrainingConfig

__all__ = [
    "DEMO_SPEC",
    "ComponentChoice",
    "DataConfig",
    "InputSpec",
    "ModelConfig",
    "Spec",
    "SplitSpec",
    "TargetSpec",
    "TrainingConfig",
    "load_spec",
]
