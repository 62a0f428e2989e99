"""The public surface, and that importing it stays instant (no TensorFlow)."""

import subprocess
import sys

import keras_multimodal


def test_all_names_exist():
    for name in keras_multimodal.__all__:
        assert getattr(keras_multimodal, name) is not None, name


def run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_import_and_help_do_not_load_tensorflow():
    code = (
        "import sys, io, contextlib\n"
        "import keras_multimodal, keras_multimodal.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    keras_multimodal.cli.main([])\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules, 'matplotlib' in sys.modules)"
    )
    assert run(code) == "False False False"


def test_layers_register_when_keras_is_imported_after_the_package():
    code = (
        "import keras_multimodal, keras\n"
        "print(keras.saving.get_registered_object('keras_multimodal>ConcatFusion').__name__)"
    )
    assert run(code).splitlines()[-1] == "ConcatFusion"


def test_no_module_level_heavy_imports_outside_data_and_export():
    import ast
    from pathlib import Path

    package = Path(keras_multimodal.__file__).parent
    # The data pipeline, the serving export, and the one tf.distribute strategy subclass (imported
    # only when training.distribution is multi_worker).
    allowed_tf = {"data/tf_ops.py", "data/feature_transform.py", "data/pipeline.py", "data/streaming_pipeline.py", "export/serving.py", "training/multi_worker_strategy.py"}
    for path in package.rglob("*.py"):
        relative = path.relative_to(package).as_posix()
        for node in ast.parse(path.read_text()).body:
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                assert root not in ("matplotlib", "seaborn", "keras_tuner"), (relative, name)
                if root == "tensorflow":
                    assert relative in allowed_tf, (relative, name)


def test_importing_a_subpackage_first_does_not_break_registration():
    code = (
        "from keras_multimodal.layers import ModalityDropout\n"
        "from keras_multimodal.fusion import list_fusions\n"
        "from keras_multimodal.encoders import list_encoders\n"
        "print(len(list_fusions()) > 1, len(list_encoders()) > 3)"
    )
    assert run(code).splitlines()[-1] == "True True"
