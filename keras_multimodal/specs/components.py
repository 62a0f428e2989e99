"""Names of the registered components, readable without importing Keras.

Spec validation must answer before TensorFlow loads, so it reads these names
here; `tests/specs/test_components.py` checks they equal the live registries.
"""

ENCODERS = {
    "image": ("cnn", "backbone", "patches"),
    "text": ("lstm", "bilstm", "gru", "cnn1d", "transformer", "bert"),
    "tabular": ("mlp", "tokens"),
}
DEFAULT_ENCODERS = {"image": "cnn", "text": "lstm", "tabular": "mlp"}
FUSIONS = ("concat", "late", "hybrid", "attention", "multihead", "gated", "cross_attention")
