"""A `keras.applications` image backbone: the transfer-learning encoder."""

import copy
import os

import keras
from keras import ops

from keras_multimodal.encoders.registry import register_encoder

# Spec name -> (constructor in `keras.applications`, module holding its `preprocess_input`).
ARCHITECTURES = {
    "convnexttiny": ("ConvNeXtTiny", "convnext"),
    "densenet121": ("DenseNet121", "densenet"),
    "efficientnetb0": ("EfficientNetB0", "efficientnet"),
    "efficientnetb1": ("EfficientNetB1", "efficientnet"),
    "efficientnetv2b0": ("EfficientNetV2B0", "efficientnet_v2"),
    "mobilenet": ("MobileNet", "mobilenet"),
    "mobilenetv2": ("MobileNetV2", "mobilenet_v2"),
    "mobilenetv3large": ("MobileNetV3Large", "mobilenet_v3"),
    "mobilenetv3small": ("MobileNetV3Small", "mobilenet_v3"),
    "resnet50": ("ResNet50", "resnet"),
    "resnet101": ("ResNet101", "resnet"),
    "resnet50v2": ("ResNet50V2", "resnet_v2"),
    "vgg16": ("VGG16", "vgg16"),
    "vgg19": ("VGG19", "vgg19"),
}

# Every application above shrinks its input 32-fold; smaller images leave an empty feature map.
MIN_SIZE = 32


def _check_architecture(architecture):
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"Invalid value for argument `architecture`. Expected one of {', '.join(sorted(ARCHITECTURES))}. "
            f"Received: architecture={architecture!r}"
        )
    return architecture


def _check_weights(weights):
    if weights is None:
        return None
    weights = os.fspath(weights)
    if not weights.endswith(".h5"):
        # Never fetch ImageNet weights: the toolkit runs where there is no network.
        raise ValueError(
            "Invalid value for argument `weights`. Expected None or the path of a local `.weights.h5` "
            f"(or legacy `.h5`) file saved from the same architecture with include_top=False. Received: weights={weights!r}"
        )
    return weights


def _check_freeze(freeze):
    if freeze is None or freeze in ("all", "none"):
        return freeze
    if isinstance(freeze, bool) or not isinstance(freeze, int) or freeze < 0:
        raise ValueError(f"Invalid value for argument `freeze`. Expected 'all', 'none', None or an int >= 0. Received: freeze={freeze!r}")
    return freeze


@register_encoder("backbone", modality="image")
class ImageBackboneEncoder(keras.layers.Layer):
    """A `keras.applications` model without its top, optionally pretrained and frozen.

    The seed tutorial's transfer-learning recipe: load a convolutional base,
    freeze all of it or its first N layers, pool its last feature map and
    train a head on top. Grey images are repeated to three channels and the
    [0, 1] inputs are scaled to what the application expects (`x * 255`,
    then the application's own `preprocess_input`). No weights are ever
    downloaded: pass a local file saved with `save_weights` from the same
    architecture built with `include_top=False`.

    Args:
        architecture: str. One of `ARCHITECTURES` (e.g. `"vgg16"`,
            `"resnet50"`, `"efficientnetb0"`, `"mobilenetv2"`,
            `"mobilenetv3small"`). Defaults to `"mobilenetv3small"`.
        weights: str or None. Path of a local `.weights.h5` file to load
            (relative paths are relative to the working directory), or None
            for random initialisation. Only read when the encoder is first
            built: a saved model carries the weights itself. Defaults to None.
        freeze: `"all"`, `"none"`, an int N (freeze the first N entries of
            the application's `layers`, its input layer included) or None
            (`"all"` when `weights` is given, otherwise `"none"`). Frozen
            batch-norm layers run in inference mode. Defaults to None.
        output_dim: int or None. Size of a ReLU projection after pooling;
            None keeps the pooled feature map (its channel count). Defaults to None.
        dropout: float. Dropout on the pooled vector. Defaults to 0.2.
        l2: float. L2 penalty on the application's kernels and the
            projection kernel (frozen weights carry none). Defaults to 0.
        backbone: `keras.Model` or None. An already built application to
            wrap instead of building `architecture`; `from_config` uses it
            to restore a saved encoder. Defaults to None.

    Call arguments:
        inputs: float tensor `(batch, height, width, channels)` in [0, 1],
            with 1 or 3 channels.
        training: bool. Dropout and unfrozen batch norm run in training mode.

    Returns:
        dict: `pooled` `(batch, output_dim)`; `tokens` `(batch, h * w, c)`,
        the cells of the application's last feature map; `token_mask`
        `(batch, h * w)` of ones.
    """

    def __init__(
        self,
        architecture="mobilenetv3small",
        weights=None,
        freeze=None,
        output_dim=None,
        dropout=0.2,
        l2=0.0,
        backbone=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.architecture = _check_architecture(architecture)
        self.weights_path = _check_weights(weights)
        self.freeze = _check_freeze(freeze)
        self.projection_dim = None if output_dim is None else int(output_dim)
        self.dropout = float(dropout)
        self.l2 = float(l2)
        if backbone is None:
            backbone = self._new_backbone()
        elif not isinstance(backbone, keras.Model):
            raise ValueError(f"`backbone` must be a keras.Model (or omitted). Received: {type(backbone).__name__}")
        self.backbone = backbone
        self.feature_dim = int(self.backbone.output.shape[-1])
        self.output_dim = self.feature_dim if self.projection_dim is None else self.projection_dim
        regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
        if regularizer:
            for variable in self.backbone.weights:
                if "kernel" in variable.path.rsplit("/", 1)[-1]:
                    # The application is already built, so its kernels get the penalty directly.
                    variable.regularizer = regularizer
        self.pool = keras.layers.GlobalAveragePooling2D(name="gap")
        self.drop = keras.layers.Dropout(self.dropout, name="dropout")
        self.projection = None
        if self.projection_dim is not None:
            self.projection = keras.layers.Dense(self.projection_dim, activation="relu", kernel_regularizer=regularizer, name="projection")
        _, module = ARCHITECTURES[self.architecture]
        self._preprocess = getattr(keras.applications, module).preprocess_input

    def _new_backbone(self):
        constructor, _ = ARCHITECTURES[self.architecture]
        # Spatial size left open: one application serves any image size the spec sets.
        model = getattr(keras.applications, constructor)(include_top=False, weights=None, input_shape=(None, None, 3))
        if self.weights_path is not None:
            if not os.path.isfile(self.weights_path):
                raise FileNotFoundError(f"Backbone weights file not found: {self.weights_path}")
            model.load_weights(self.weights_path)
        freeze = self.freeze
        if freeze is None:
            freeze = "all" if self.weights_path is not None else "none"
        if freeze == "all":
            model.trainable = False
        elif isinstance(freeze, int):
            if freeze > len(model.layers):
                raise ValueError(f"`freeze={freeze}` exceeds the {len(model.layers)} layers of {self.architecture}")
            for layer in model.layers[:freeze]:
                layer.trainable = False
        return model

    def build(self, input_shape):
        height, width, channels = input_shape[1], input_shape[2], input_shape[-1]
        if channels not in (1, 3):
            raise ValueError(f"ImageBackboneEncoder expects 1 or 3 channels, got input shape {tuple(input_shape)}")
        if min(height or MIN_SIZE, width or MIN_SIZE) < MIN_SIZE:
            raise ValueError(
                f"The {self.architecture} backbone downsamples by {MIN_SIZE}: images must be at least "
                f"{MIN_SIZE}x{MIN_SIZE} (set the input's `size`); got input shape {tuple(input_shape)}"
            )
        self.pool.build((None, None, None, self.feature_dim))
        if self.projection is not None:
            self.projection.build((None, self.feature_dim))

    def call(self, inputs, training=None):
        x = ops.cast(inputs, self.compute_dtype)
        if x.shape[-1] == 1:
            x = ops.repeat(x, 3, axis=-1)
        x = self._preprocess(x * 255.0)
        features = self.backbone(x, training=training)
        pooled = self.drop(self.pool(features), training=training)
        if self.projection is not None:
            pooled = self.projection(pooled)
        height, width, channels = features.shape[1], features.shape[2], features.shape[3]
        tokens = ops.reshape(features, (-1, height * width, channels))
        return {"pooled": pooled, "tokens": tokens, "token_mask": ops.ones_like(tokens[..., 0])}

    def get_config(self):
        config = super().get_config()
        config.update(
            architecture=self.architecture,
            weights=self.weights_path,
            freeze=self.freeze,
            output_dim=self.projection_dim,
            dropout=self.dropout,
            l2=self.l2,
            # The application (and its trainable flags) travels as a nested config, as in
            # keras-hub's CLIPBackbone; its weights are saved with the encoder's.
            backbone=keras.layers.serialize(self.backbone),
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("backbone"), dict):
            # Deserialising some applications (ConvNeXt) consumes the dict, so work on a copy.
            config["backbone"] = keras.layers.deserialize(copy.deepcopy(config["backbone"]))
        return cls(**config)
