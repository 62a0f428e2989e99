"""The pieces shared by the transformer-style encoders (`patches`, `tokens`).

Option checks, the pre-LN block stack, L2 on its weights, and the CLS-token
handling of inputs and outputs.
"""

import keras
import keras_hub
from keras import ops

POOLINGS = ("cls", "mean")


def check_options(pooling, embedding_dim, num_heads):
    """Refuse an unknown pooling, or heads that do not divide the token width."""
    if pooling not in POOLINGS:
        raise ValueError(f"Invalid value for argument `pooling`. Expected one of {POOLINGS}. Received: pooling={pooling!r}")
    if int(embedding_dim) % int(num_heads):
        raise ValueError(f"`num_heads` ({num_heads}) must divide `embedding_dim` ({embedding_dim})")


def transformer_blocks(num_layers, intermediate_dim, num_heads, dropout, **options):
    """`num_layers` keras-hub `TransformerEncoder`s named `transformer_<i>`.

    Pre-LN blocks with GELU, as in ViT and FT-Transformer; `options` are more
    `TransformerEncoder` arguments (e.g. `layer_norm_epsilon`).
    """
    options = dict(dropout=dropout, activation="gelu", normalize_first=True, **options)
    return [
        keras_hub.layers.TransformerEncoder(intermediate_dim, num_heads, name=f"transformer_{i}", **options)
        for i in range(num_layers)
    ]


def set_l2(layer, l2, names):
    """Put an L2 penalty on the built `layer`'s trainable variables named in `names`.

    keras-hub blocks take no regularizer arguments; `Layer.losses` collects
    each variable's `regularizer`, so it is set directly.
    """
    if not l2:
        return
    for variable in layer.trainable_weights:
        if variable.name in names:
            variable.regularizer = keras.regularizers.L2(l2)


def encode_tokens(x, blocks, final_norm, has_cls, training=None):
    """The blocks, then the final norm, then `encoder_outputs`."""
    for block in blocks:
        x = block(x, training=training)
    return encoder_outputs(final_norm(x), has_cls)


def prepend_cls(x, cls_token):
    """(batch, T, D) -> (batch, 1 + T, D) with the learned CLS vector first; no-op without one."""
    if cls_token is None:
        return x
    cls = ops.broadcast_to(ops.cast(cls_token, x.dtype), (ops.shape(x)[0], 1, x.shape[-1]))
    return ops.concatenate([cls, x], axis=1)


def encoder_outputs(x, has_cls):
    """The encoder dict: pooled = the CLS state (or the token mean), tokens without the CLS."""
    if has_cls:
        pooled, tokens = x[:, 0], x[:, 1:]
    else:
        tokens = x
        pooled = ops.mean(tokens, axis=1)
    return {"pooled": pooled, "tokens": tokens, "token_mask": ops.ones_like(tokens[..., 0])}
