"""A ViT-style image encoder: patch tokens through transformer blocks."""

import keras
from keras import ops

from keras_multimodal.encoders.cls_tokens import check_options
from keras_multimodal.encoders.cls_tokens import encode_tokens
from keras_multimodal.encoders.cls_tokens import prepend_cls
from keras_multimodal.encoders.cls_tokens import set_l2
from keras_multimodal.encoders.cls_tokens import transformer_blocks
from keras_multimodal.encoders.registry import register_encoder


@register_encoder("patches", modality="image")
class ImagePatchEncoder(keras.layers.Layer):
    """Patchify, learned position embedding, pre-LN transformer blocks (ViT).

    A convolution with kernel = stride = `patch_size` cuts the image into
    non-overlapping patches and projects each to `embedding_dim`; a learned
    position embedding (one row per patch, plus one for the CLS token when
    `pooling="cls"`) is added, then `num_layers` pre-LN
    `keras_hub.layers.TransformerEncoder` blocks (GELU) and a final layer
    norm. Height and width must be at least `patch_size`; border pixels that
    do not fill a whole patch are dropped.

    Args:
        patch_size: int. Side of the square patches. Defaults to 8.
        embedding_dim: int. Token width, the output size. Defaults to 64.
        num_layers: int. Number of transformer blocks. Defaults to 2.
        num_heads: int. Attention heads per block; must divide
            `embedding_dim`. Defaults to 4.
        intermediate_dim: int. Hidden size of each block's MLP. Defaults to 128.
        pooling: `"cls"` (prepend a learned CLS token and return it) or
            `"mean"` (mean of the patch tokens). Defaults to `"cls"`.
        dropout: float. Dropout after the position embedding and inside the
            blocks. Defaults to 0.2.
        l2: float. L2 penalty on the patch projection and all block kernels.
            Defaults to 0.

    Call arguments:
        inputs: float tensor `(batch, height, width, channels)` in [0, 1].
        training: bool. Whether dropout is active.

    Returns:
        dict: `pooled` `(batch, embedding_dim)`; `tokens` `(batch,
        num_patches, embedding_dim)`, the patch tokens (without CLS);
        `token_mask` `(batch, num_patches)` of ones.
    """

    def __init__(
        self,
        patch_size=8,
        embedding_dim=64,
        num_layers=2,
        num_heads=4,
        intermediate_dim=128,
        pooling="cls",
        dropout=0.2,
        l2=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_options(pooling, embedding_dim, num_heads)
        self.patch_size = int(patch_size)
        self.embedding_dim = int(embedding_dim)
        self.num_layers = int(num_layers)
        self.num_heads = int(num_heads)
        self.intermediate_dim = int(intermediate_dim)
        self.pooling = pooling
        self.dropout = float(dropout)
        self.l2 = float(l2)
        self.output_dim = self.embedding_dim
        self.patchify = keras.layers.Conv2D(
            self.embedding_dim, self.patch_size, strides=self.patch_size, padding="valid", name="patchify"
        )
        self.embedding_dropout = keras.layers.Dropout(self.dropout, name="embedding_dropout")
        self.blocks = transformer_blocks(self.num_layers, self.intermediate_dim, self.num_heads, self.dropout, layer_norm_epsilon=1e-6)
        self.final_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="final_norm")

    def build(self, input_shape):
        height, width = input_shape[1], input_shape[2]
        if height is None or width is None or min(height, width) < self.patch_size:
            raise ValueError(
                f"ImagePatchEncoder needs a fixed image size of at least patch_size={self.patch_size}; "
                f"received input_shape={tuple(input_shape)}"
            )
        self.patchify.build(input_shape)
        self.num_patches = (height // self.patch_size) * (width // self.patch_size)
        length = self.num_patches + (self.pooling == "cls")
        initializer = keras.initializers.RandomNormal(stddev=0.02)
        self.position_embedding = self.add_weight(
            shape=(1, length, self.embedding_dim), initializer=initializer, name="position_embedding"
        )
        self.cls_token = None
        if self.pooling == "cls":
            self.cls_token = self.add_weight(shape=(1, 1, self.embedding_dim), initializer=initializer, name="cls_token")
        shape = (None, length, self.embedding_dim)
        for block in self.blocks:
            block.build(shape)
        self.final_norm.build(shape)
        set_l2(self, self.l2, ("kernel",))

    def call(self, inputs, training=None):
        x = self.patchify(inputs)
        x = ops.reshape(x, (-1, self.num_patches, self.embedding_dim))
        x = prepend_cls(x, self.cls_token)
        x = x + ops.cast(self.position_embedding, x.dtype)
        x = self.embedding_dropout(x, training=training)
        return encode_tokens(x, self.blocks, self.final_norm, self.cls_token is not None, training)

    def get_config(self):
        config = super().get_config()
        config.update(
            patch_size=self.patch_size,
            embedding_dim=self.embedding_dim,
            num_layers=self.num_layers,
            num_heads=self.num_heads,
            intermediate_dim=self.intermediate_dim,
            pooling=self.pooling,
            dropout=self.dropout,
            l2=self.l2,
        )
        return config
