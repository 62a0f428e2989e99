"""The CLS-token handling shared by the transformer-style encoders (`patches`, `tokens`)."""

from keras import ops


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
