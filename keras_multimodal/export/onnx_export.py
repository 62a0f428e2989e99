"""ONNX export of the core model (tensor inputs) through tf2onnx: the optional `onnx` extra.

Image decoding, tokenisation and category lookups are string and codec ops
that ONNX does not cover portably, so they stay outside: the ONNX graph takes
the tensors `FeatureTransform` produces (see `signature.json` beside it).
"""

import functools
import logging
import re

import numpy as np

from keras_multimodal.errors import RunError

INSTALL_HINT = "pip install 'keras-multimodal[onnx]' (tf2onnx and onnxruntime)"


def require_tf2onnx():
    try:
        import tf2onnx  # noqa: F401
    except ImportError as error:
        raise RunError(f"--format onnx needs tf2onnx, which is not importable ({error}); {INSTALL_HINT}") from None


def export_onnx(model, path):
    """Convert `model` to `path` (.onnx); errors name the model and what tf2onnx refused."""
    import tensorflow as tf

    require_tf2onnx()
    mixed = sorted({layer.dtype_policy.name for layer in model.layers if layer.dtype_policy.name != "float32"})
    if mixed:
        raise RunError(
            f"ONNX export supports float32 models only; model {model.name!r} uses the dtype policies {mixed} "
            "(trained with training.mixed_precision: true): export the SavedModel instead"
        )
    _register_erfc()
    signature = [{t.name: tf.TensorSpec([None, *t.shape[1:]], t.dtype, name=t.name) for t in model.inputs}]
    unsupported = _UnsupportedOps()
    logger = logging.getLogger("tf2onnx")
    logger.addHandler(unsupported)
    try:
        model.export(str(path), format="onnx", input_signature=signature, verbose=False)
    except Exception as error:  # tf2onnx raises bare Exceptions, ValueErrors and its own types
        message = str(error).strip().splitlines()
        raise RunError(
            f"tf2onnx could not convert model {model.name!r}: {type(error).__name__}: {message[0] if message else ''}; "
            "export the SavedModel instead"
        ) from error
    finally:
        logger.removeHandler(unsupported)
    if unsupported.ops:
        # tf2onnx logs these and still writes a file that ONNX Runtime refuses to load.
        counts = ", ".join(f"{op} x{len(nodes)} (e.g. {nodes[0]})" for op, nodes in sorted(unsupported.ops.items()))
        raise RunError(
            f"tf2onnx could not convert model {model.name!r}: TensorFlow ops without an ONNX equivalent: {counts}; "
            "export the SavedModel instead"
        )
    return path


@functools.cache
def _register_erfc():
    """tf2onnx 1.17 has no handler for Erfc, the op of TensorFlow's exact GELU (keras-hub
    transformer blocks use it); ONNX has Erf, and erfc(x) = 1 - erf(x)."""
    from tf2onnx import utils
    from tf2onnx.handler import tf_op

    @tf_op("Erfc")
    class Erfc:
        @classmethod
        def version_9(cls, ctx, node, **kwargs):
            node.type = "Erf"
            dtype = ctx.get_dtype(node.output[0])
            one = ctx.make_const(utils.make_name(f"{node.name}_one"), np.array(1, dtype=utils.map_onnx_to_numpy_type(dtype)))
            erfc = ctx.insert_new_node_on_output(
                "Sub", node.output[0], inputs=[one.output[0], node.output[0]], name=utils.make_name(node.name)
            )
            ctx.copy_shape(node.output[0], erfc.output[0])
            ctx.set_dtype(erfc.output[0], dtype)

    return Erfc


class _UnsupportedOps(logging.Handler):
    """Collects the ops tf2onnx reports as 'Tensorflow op [node: Type] is not supported'."""

    _PATTERN = re.compile(r"Tensorflow op \[(?P<node>.+?): (?P<op>[A-Za-z0-9_]+)\] is not supported")

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.ops = {}

    def emit(self, record):
        match = self._PATTERN.search(record.getMessage())
        if match:
            self.ops.setdefault(match["op"], []).append(match["node"])


def check_onnx(model, path, preprocessor, rows=8, tolerance=1e-4):
    """ONNX Runtime against Keras on random valid inputs; a mismatch is an error, not a silent artifact.

    Returns {"rows", "max_abs_diff"}, or None when onnxruntime is not installed.
    """
    difference = onnx_max_difference(model, path, sample_inputs(model, preprocessor, rows))
    if difference is None:
        return None
    if not difference <= tolerance:
        raise RunError(f"{path}: ONNX Runtime output differs from Keras by {difference:.3g} (> {tolerance}); the conversion is wrong")
    return {"rows": rows, "max_abs_diff": difference}


def onnx_max_difference(model, path, inputs):
    """max|ONNX Runtime - Keras| on `inputs` (a dict of arrays); None without onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        return None
    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        feed = {i.name: np.asarray(inputs[i.name]) for i in session.get_inputs()}
        onnx_out = session.run(None, feed)[0]
    except Exception as error:  # onnxruntime's own exception types (InvalidGraph, Fail, ...)
        raise RunError(f"{path}: ONNX Runtime cannot run the converted model: {str(error).splitlines()[0]}") from error
    keras_out = np.asarray(model(inputs, training=False))
    return float(np.max(np.abs(onnx_out - keras_out)))


def sample_inputs(model, preprocessor, rows=4, seed=0):
    """Valid random tensors for every model input (ids within their vocabularies)."""
    rng = np.random.default_rng(seed)
    limits = {}
    for name, sizes in preprocessor.sizes().items():
        if "vocabulary_size" in sizes:
            limits[name] = [sizes["vocabulary_size"]]
        if sizes.get("category_sizes"):
            limits[f"{name}_categorical"] = sizes["category_sizes"]
    out = {}
    for tensor in model.inputs:
        shape = (rows, *tensor.shape[1:])
        if tensor.name in limits:
            high = np.resize(np.asarray(limits[tensor.name]), shape[1:])
            out[tensor.name] = (rng.random(shape) * high).astype("int32")
        elif tensor.name.endswith(("_present", "_missing")):
            out[tensor.name] = (rng.random(shape) < 0.7).astype("float32")
        else:
            out[tensor.name] = rng.random(shape).astype("float32")
    return out
