"""`GLoRIAPretrainer`: a dual encoder trained with the global + local contrastive loss."""

import keras
from keras import ops

from keras_multimodal.pretraining import contrastive
from keras_multimodal.pretraining.gloria_loss import GLoRIALoss

_EMBEDDINGS = ("image_global", "regions", "text_global", "words", "word_mask")


@keras.saving.register_keras_serializable(package="keras_multimodal")
class GLoRIAPretrainer(keras.Model):
    """Image and text encoders of the toolkit, projected into one space, trained contrastively.

    The image encoder's `pooled` output is the global image feature and its
    `tokens` (a CNN's last feature-map cells, a ViT's patches) the regions;
    the text encoder's `pooled` output is the global text feature and its
    `tokens` the words (WordPiece pieces summed into words by
    `word_pieces`, when given). Global features get a dense projection,
    regions and words a bias-free one (GLoRIA's 1x1 convolution) into
    `embedding_dim`. `compute_loss` applies `loss` (a `GLoRIALoss`), so
    `fit()` works unchanged on every Keras backend.

    Args:
        image_encoder: a registered image encoder layer (or its serialised config).
        text_encoder: a registered text encoder layer (or its serialised config).
        image_input: str. Key of the images in the input dict. Defaults to `"image"`.
        text_input: str. Key of the token ids in the input dict. Defaults to `"text"`.
        embedding_dim: int. Size of the shared space. Defaults to 64.
        loss: `GLoRIALoss` (or its config). Defaults to `GLoRIALoss()`.
        word_pieces: `WordPiecePooling` or None. Defaults to None.

    Call arguments:
        inputs: dict holding `image_input` (batch, H, W, C) and `text_input`
            (batch, T) int ids; other keys are ignored.

    Returns:
        dict: `image_global` (B, D), `regions` (B, M, D), `text_global` (B, D),
        `words` (B, T, D), `word_mask` (B, T).

    Example:
    ```python
    from keras_multimodal.encoders import get_encoder
    model = keras_multimodal.pretraining.GLoRIAPretrainer(
        get_encoder("cnn"), get_encoder("lstm", vocabulary_size=100))
    model.compile(optimizer="adam")
    model.fit({"image": images, "text": ids}, epochs=3)
    ```
    """

    def __init__(
        self,
        image_encoder,
        text_encoder,
        image_input="image",
        text_input="text",
        embedding_dim=64,
        loss=None,
        word_pieces=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # === Layers ===
        self.image_encoder = _layer(image_encoder)
        self.text_encoder = _layer(text_encoder)
        self.word_pieces = _layer(word_pieces) if word_pieces is not None else None
        self.contrastive_loss = _layer(loss) if loss is not None else GLoRIALoss(name="gloria_loss")
        self.image_input = str(image_input)
        self.text_input = str(text_input)
        self.embedding_dim = int(embedding_dim)
        self.image_global_projection = keras.layers.Dense(self.embedding_dim, name="image_global_projection")
        self.region_projection = keras.layers.Dense(self.embedding_dim, use_bias=False, name="region_projection")
        self.text_global_projection = keras.layers.Dense(self.embedding_dim, name="text_global_projection")
        self.word_projection = keras.layers.Dense(self.embedding_dim, use_bias=False, name="word_projection")
        self.global_loss_tracker = keras.metrics.Mean(name="global_loss")
        self.local_loss_tracker = keras.metrics.Mean(name="local_loss")

    def build(self, input_shape):
        image_shape = tuple(input_shape[self.image_input])
        text_shape = tuple(input_shape[self.text_input])
        self._input_shapes = {self.image_input: list(image_shape), self.text_input: list(text_shape)}
        # Deserialised encoders arrive built; building twice would add their weights again.
        for layer, shape in ((self.image_encoder, image_shape), (self.text_encoder, text_shape)):
            if not layer.built:
                layer.build(shape)
        # Build the projections too, so a loaded model has every weight before they are read.
        image_out = self.image_encoder.compute_output_spec(keras.KerasTensor(image_shape))
        text_out = self.text_encoder.compute_output_spec(keras.KerasTensor(text_shape, dtype="int32"))
        for layer, shape in (
            (self.image_global_projection, image_out["pooled"].shape),
            (self.region_projection, image_out["tokens"].shape),
            (self.text_global_projection, text_out["pooled"].shape),
            (self.word_projection, text_out["tokens"].shape),
        ):
            if not layer.built:
                layer.build(shape)
        self.built = True

    def get_build_config(self):
        return {"input_shape": getattr(self, "_input_shapes", None)}

    def build_from_config(self, config):
        # The input is a dict of two shapes, which Keras's generic rebuild does not handle.
        if config.get("input_shape"):
            self.build(config["input_shape"])

    def encode_images(self, images, training=False):
        out = self.image_encoder(images, training=training)
        return {
            "image_global": self.image_global_projection(out["pooled"]),
            "regions": self.region_projection(out["tokens"]),
        }

    def encode_texts(self, token_ids, training=False):
        out = self.text_encoder(token_ids, training=training)
        tokens, mask = out["tokens"], out["token_mask"]
        if self.word_pieces is not None:
            tokens, mask = self.word_pieces(token_ids, tokens, mask)
        words = self.word_projection(tokens) * ops.cast(mask, tokens.dtype)[..., None]
        return {"text_global": self.text_global_projection(out["pooled"]), "words": words, "word_mask": mask}

    def call(self, inputs, training=False):
        return {
            **self.encode_images(inputs[self.image_input], training=training),
            **self.encode_texts(inputs[self.text_input], training=training),
        }

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y_pred is None:
            y_pred = self(x, training=training)
        parts = self.contrastive_loss({k: y_pred[k] for k in _EMBEDDINGS})
        self.global_loss_tracker.update_state(parts["global_loss"])
        self.local_loss_tracker.update_state(parts["local_loss"])
        total = parts["loss"]
        if self.losses:  # encoder weight penalties (l2)
            total = total + ops.cast(ops.sum(self.losses), total.dtype)
        return total

    @property
    def metrics(self):
        return super().metrics + [self.global_loss_tracker, self.local_loss_tracker]

    def attention(self, inputs):
        """Word-to-region attention of each caption over its own image: (B, T, M)."""
        out = self(inputs, training=False)
        loss = self.contrastive_loss
        return contrastive.paired_attention(out["words"], out["word_mask"], out["regions"], loss.tau1, loss.normalization)

    def get_config(self):
        # Like keras-hub's CLIPBackbone: constructor arguments only, nested layers serialised.
        return {
            "name": self.name,
            "trainable": self.trainable,
            "image_encoder": keras.layers.serialize(self.image_encoder),
            "text_encoder": keras.layers.serialize(self.text_encoder),
            "image_input": self.image_input,
            "text_input": self.text_input,
            "embedding_dim": self.embedding_dim,
            "loss": keras.layers.serialize(self.contrastive_loss),
            "word_pieces": None if self.word_pieces is None else keras.layers.serialize(self.word_pieces),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _layer(value):
    return keras.layers.deserialize(value) if isinstance(value, dict) else value
