"""`kmm validate SPEC`, in-process through `keras_multimodal.cli.main` (and once in a subprocess)."""

import subprocess
import sys
import time

import pytest

from keras_multimodal.cli import main


def run(capsys, *argv):
    code = main(["validate", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_spec_prints_the_summary(tri_modal, capsys):
    path = tri_modal.write_spec()
    code, out, err = run(capsys, path)
    assert code == 0, err
    assert err == ""
    assert out.splitlines() == [
        f"spec {path}: OK",
        f"table {tri_modal.folder.resolve() / 'table.csv'}: 40 usable rows",
        "split: 24 train, 8 val, 8 test",
        "target: mild=26, severe=14",
        "dropped (no target): 0; skipped (broken): 0",
        "rows lacking each input: xray=0, notes=0, labs=0",
    ]


def test_summary_counts_dropped_skipped_and_absent(tri_modal, capsys):
    tri_modal.rows[2]["outcome"] = None
    tri_modal.rows[4]["age"] = "abc"
    tri_modal.rows[6]["note"] = ""
    tri_modal.write_table()
    tri_modal.write_spec(tri_modal.raw({"data.on_bad_rows": "skip"}))
    code, out, err = run(capsys, tri_modal.folder / "spec.yaml")
    assert code == 0, err
    assert "table" in out and ": 38 usable rows" in out
    assert "dropped (no target): 1; skipped (broken): 1" in out
    assert "rows lacking each input: xray=0, notes=1, labs=0" in out


def test_misspelt_column_exits_2_and_names_it(tri_modal, capsys):
    path = tri_modal.write_spec(tri_modal.raw({"inputs.labs.numeric": ["agee", "temp"]}))
    code, out, err = run(capsys, path)
    assert code == 2
    assert out == ""
    table = tri_modal.folder.resolve() / "table.csv"
    assert err == f"kmm: error: {table}, column 'agee': no column 'agee' (named in inputs.labs) (did you mean 'age'?)\n"
    assert "Traceback" not in err


def test_misspelt_target_column(tri_modal, capsys):
    code, _, err = run(capsys, tri_modal.write_spec(tri_modal.raw({"target.column": "outcme"})))
    assert code == 2
    assert "column 'outcme'" in err and "(named in target)" in err and "did you mean 'outcome'" in err


def test_debug_shows_the_traceback(tri_modal, capsys):
    path = tri_modal.write_spec(tri_modal.raw({"inputs.labs.numeric": ["agee"]}))
    code, _, err = run(capsys, path, "--debug")
    assert code == 2
    assert "Traceback" in err and err.rstrip().endswith("(did you mean 'age'?)")


def test_bad_spec_key_exits_2_fast(tri_modal, capsys):
    path = tri_modal.write_spec(tri_modal.raw({"training.epoch": 3}))
    start = time.perf_counter()
    code, out, err = run(capsys, path)
    elapsed = time.perf_counter() - start
    assert code == 2 and out == ""
    assert err == (
        f"kmm: error: {path}: training.epoch: unknown key (did you mean 'epochs'?); "
        "valid keys: baselines, batch_size, class_weight, distribution, epochs, jit_compile, learning_rate, mixed_precision, modality_contribution, modality_dropout, optimizer, patience, reduce_lr, seed, serving_export, tensorboard\n"
    )
    assert elapsed < 1.0


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--set", "inputs.notes.sequense_length=3"], "inputs.notes.sequense_length: unknown key (did you mean 'sequence_length'?)"),
        (["--set", "training.epochs"], "--set: expected KEY=VALUE, found 'training.epochs'"),
        (["--set", "model.fusion=concatenate"], "model.fusion: unknown name 'concatenate' (did you mean 'concat'?); valid: concat"),
        (["--set", "inputs.labs.numeric=[agee]"], "column 'agee': no column 'agee' (named in inputs.labs)"),
    ],
)
def test_set_overrides(tri_modal, capsys, args, fragment):
    code, _, err = run(capsys, tri_modal.write_spec(), *args)
    assert code == 2
    assert fragment in err


def test_set_override_that_fixes_a_spec(tri_modal, capsys):
    path = tri_modal.write_spec(tri_modal.raw({"inputs.labs.numeric": ["agee"]}))
    code, out, err = run(capsys, path, "--set", "inputs.labs.numeric=[age, temp]", "--set", "data.limit=20")
    assert code == 0, err
    assert ": 20 usable rows" in out


def test_data_root_option(tri_modal, capsys, tmp_path):
    path = tri_modal.write_spec(tri_modal.raw({"data.root": "nowhere"}), name="specs/s.yaml")
    code, _, err = run(capsys, path)
    assert code == 2 and "table not found" in err and "nowhere" in err
    code, out, err = run(capsys, path, "--data-root", tmp_path)
    assert code == 0, err
    assert "40 usable rows" in out


def test_missing_spec_file(tmp_path, capsys):
    code, _, err = run(capsys, tmp_path / "nope.yaml")
    assert code == 2
    assert err == f"kmm: error: {tmp_path / 'nope.yaml'}: spec file not found\n"


def test_broken_image_exits_2_and_names_the_file(tri_modal, capsys):
    tri_modal.rows[8]["image_file"] = "gone.png"
    tri_modal.write_table()
    code, _, err = run(capsys, tri_modal.write_spec())
    assert code == 2
    assert "row r008, column 'image_file': image file not found:" in err
    assert err.rstrip().endswith(str(tri_modal.images.resolve() / "gone.png"))


def test_malformed_yaml_exits_2_with_the_line(tri_modal, capsys):
    path = tri_modal.write_spec(text="name: x\ninputs: [\n")
    code, _, err = run(capsys, path)
    assert code == 2
    assert err.startswith(f"kmm: error: {path}: malformed YAML: line 3, column 1: ")


PROBE = "import keras_multimodal.cli, sys; code = keras_multimodal.cli.main(['validate', {path!r}]); print(code, 'tensorflow' in sys.modules, 'keras' in sys.modules)"


def probe(path, cwd):
    result = subprocess.run([sys.executable, "-c", PROBE.format(path=str(path))], capture_output=True, text=True, cwd=cwd, timeout=120)
    return result.stdout.strip().splitlines()[-1], result.stderr


def test_spec_errors_answer_before_tensorflow_loads(tri_modal, tmp_path):
    path = tri_modal.write_spec(tri_modal.raw({"inputs.xray.type": "imag"}))
    last, err = probe(path, tmp_path)
    assert last == "2 False False"
    assert "inputs.xray.type" in err and "did you mean 'image'" in err


def test_validating_data_does_not_load_tensorflow(tri_modal, tmp_path):
    last, err = probe(tri_modal.write_spec(), tmp_path)
    assert last == "0 False False", err
