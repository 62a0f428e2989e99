"""`kmm export`: a finished run's model as a SavedModel (raw inputs), a `.keras` file or ONNX."""

import shutil
from pathlib import Path

from keras_multimodal.atomic import _replace_with as replace_with
from keras_multimodal.atomic import write_json
from keras_multimodal.errors import RunError

FORMATS = ("savedmodel", "keras", "onnx")


def default_out(run_dir, fmt):
    """`RUN_DIR/serving` (what `kmm train` writes) or `RUN_DIR/export/<format>`."""
    run_dir = Path(run_dir)
    return run_dir / "serving" if fmt == "savedmodel" else run_dir / "export" / fmt


def export_run(run_dir, fmt="savedmodel", out=None):
    """Export a finished run; returns the folder written.

    Args:
        run_dir: a run directory written by `kmm train`.
        fmt: "savedmodel" (raw inputs, preprocessing inside), "keras" (the
            tensor-input model without optimizer state, with its
            preprocessing) or "onnx" (the tensor-input model via tf2onnx).
        out: destination folder; default `default_out(run_dir, fmt)`.
    """
    import keras

    from keras_multimodal.run import Run

    if fmt not in FORMATS:
        raise RunError(f"unknown export format {fmt!r}; valid formats: {', '.join(FORMATS)}")
    run = Run.load(run_dir)
    if not (run.path / "model.keras").is_file():
        raise RunError(f"{run.path} has no model.keras (training has not finished); run `kmm train` to finish it")
    out = Path(out) if out is not None else default_out(run.path, fmt)
    if fmt == "onnx":
        from keras_multimodal.export.onnx_export import require_tf2onnx

        require_tf2onnx()  # before a subprocess or a model load
    if keras.backend.backend() != "tensorflow":
        from keras_multimodal.export.tensorflow_subprocess import export_run_in_tensorflow

        return export_run_in_tensorflow(run.path, fmt, out)
    threshold = run.metrics.get("threshold") if (run.path / "metrics.json").is_file() else None
    if fmt == "savedmodel":
        from keras_multimodal.export.serving import export_serving

        return export_serving(run.model, run.preprocessor, run.spec, out, threshold)
    return _tensor_model_bundle(run, fmt, out, threshold)


def _tensor_model_bundle(run, fmt, out, threshold):
    """`.keras` or `.onnx` plus what a client needs to feed it: preprocessing and the input contract."""
    import keras

    from keras_multimodal.atomic import save_model
    from keras_multimodal.export.tensor_signature import tensor_inputs

    # Loading without compiling drops the optimizer state: an inference-only file.
    model = keras.saving.load_model(run.path / "model.keras", safe_mode=True, compile=False)
    out.mkdir(parents=True, exist_ok=True)
    checks = []
    if fmt == "keras":
        save_model(model, out / "model.keras")
    else:
        from keras_multimodal.export.onnx_export import check_onnx
        from keras_multimodal.export.onnx_export import export_onnx

        def convert_and_check(tmp):
            # Checked before it takes the final name: a wrong conversion leaves no model.onnx behind.
            export_onnx(model, tmp)
            checks.append(check_onnx(model, tmp, run.preprocessor))

        replace_with(out / "model.onnx", convert_and_check)
    shutil.copyfile(run.path / "preprocessing.json", out / "preprocessing.json")
    shutil.copyfile(run.path / "spec.yaml", out / "spec.yaml")
    write_json(
        out / "signature.json",
        {
            "inputs": tensor_inputs(model, run.preprocessor),
            "output": _output_description(run, threshold),
            "note": "tensor inputs as the SavedModel's preprocessing produces them; serving/ takes raw columns",
            **({"onnx_check": checks[0]} if checks and checks[0] else {}),
        },
    )
    return out


def _output_description(run, threshold):
    task = run.spec.target.task
    classes = run.classes
    if task == "binary":
        return {"shape": [None, 1], "meaning": f"probability of {classes[1]!r}", "threshold": threshold, "classes": classes}
    if task == "multiclass":
        return {"shape": [None, len(classes)], "meaning": "class probabilities (softmax)", "classes": classes}
    if task == "multilabel":
        return {"shape": [None, len(classes)], "meaning": "per-label probabilities (sigmoid)", "classes": classes}
    return {"shape": [None, 1], "meaning": f"predicted {run.spec.target.column} (original units)"}

