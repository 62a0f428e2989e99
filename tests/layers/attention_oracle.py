"""An independent NumPy implementation of the cross-modal attention math (irene_gloria.md B1.2)."""

import numpy as np


def masked_softmax(logits, valid):
    """Softmax over the last axis where `valid`; rows with nothing valid are zeros."""
    logits = np.where(valid, logits, -np.inf)
    top = np.max(logits, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    weights = np.where(valid, np.exp(logits - top), 0.0)
    total = weights.sum(axis=-1, keepdims=True)
    return np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)


def layer_weights(layer):
    """{name: {q, k, v: (kernel, bias)}, 'out': {owner: (kernel, bias)}, 'gates': {...}} as NumPy."""

    def pair(dense):
        bias = np.asarray(dense.bias) if dense.bias is not None else 0.0
        return np.asarray(dense.kernel), bias

    weights = {n: {"q": pair(layer.query_dense[n]), "k": pair(layer.key_dense[n]), "v": pair(layer.value_dense[n])} for n in layer.names}
    weights["out"] = {o: pair(d) for o, d in layer.output_dense.items()}
    weights["gates"] = {t: np.asarray(g) for t, g in layer.gate_logits.items()}
    return weights


def oracle(inputs, masks, presence, weights, routes, key_dim, combine="mean", shared=True):
    """Outputs {name: (B, L, O)} and maps {(t, s): (B, H, Lt, Ls)} for float64 NumPy inputs."""
    names = sorted(inputs)
    mask = {n: masks[n].astype(bool) & presence[n].astype(bool)[:, None] for n in names}
    valid = {n: mask[n].any(axis=1) for n in names}
    proj = {}
    for n in names:
        x = np.where(mask[n][..., None], inputs[n], 0.0)
        proj[n] = {key: np.einsum("btd,dnh->btnh", x, w) + b for key, (w, b) in weights[n].items()}
    outputs, maps = {}, {}
    for t in names:
        sources = routes[t]
        logits = [np.einsum("btnh,bsnh->bnts", proj[t]["q"], proj[s]["k"]) / np.sqrt(key_dim) for s in sources]
        keys = [np.broadcast_to(mask[s][:, None, None, :], lg.shape) for s, lg in zip(sources, logits)]
        if combine == "joint":
            joint = masked_softmax(np.concatenate(logits, -1), np.concatenate(keys, -1))
            probs = np.split(joint, np.cumsum([lg.shape[-1] for lg in logits])[:-1], axis=-1)
        else:
            probs = [masked_softmax(lg, k) for lg, k in zip(logits, keys)]
        contexts = [np.einsum("bnts,bsnh->btnh", p, proj[s]["v"]) for p, s in zip(probs, sources)]
        flags = np.stack([valid[s] for s in sources], 1).astype(float)  # (B, S)
        if combine == "mean":
            w = np.repeat((flags / np.maximum(flags.sum(1, keepdims=True), 1))[..., None], contexts[0].shape[2], -1)
        elif combine == "gated":
            g = np.broadcast_to(weights["gates"][t][None], flags.shape + weights["gates"][t].shape[1:])
            w = masked_softmax(np.moveaxis(g, 1, -1), np.moveaxis(np.broadcast_to(flags[..., None] > 0, g.shape), 1, -1))
            w = np.moveaxis(w, -1, 1)
        else:
            w = np.ones(flags.shape + (contexts[0].shape[2],))
        context = sum(c * w[:, None, i, :, None] for i, c in enumerate(contexts))
        kernel, bias = weights["out"]["shared" if shared else t]
        out = np.einsum("btnh,nho->bto", context, kernel) + bias
        outputs[t] = np.where(mask[t][..., None], out, 0.0)
        maps.update({(t, s): p for s, p in zip(sources, probs)})
    return outputs, maps
