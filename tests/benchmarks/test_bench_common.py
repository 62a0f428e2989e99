"""RESULTS.md sections: each script replaces only its own; tiny runs stay out of benchmarks/."""

import _common


def test_write_section_replaces_only_its_own_section(tmp_path):
    info = {"date": "d", "cpu": "cpu", "cores": 2, "memory_gib": 1.0, "gpus": [], "load_average": None, "python": "3", "versions": {}}
    _common.write_section(tmp_path, "alpha", "Alpha", "first alpha", info=info)
    _common.write_section(tmp_path, "beta", "Beta", "only beta", info=info)
    _common.write_section(tmp_path, "alpha", "Alpha", "second alpha", info=info, tiny=True)
    text = (tmp_path / "RESULTS.md").read_text()
    assert text.count("<!-- bench:alpha -->") == 1 and text.count("<!-- /bench:alpha -->") == 1
    assert "first alpha" not in text
    assert _common.read_section(tmp_path, "alpha").strip().endswith("second alpha")
    assert "Tiny smoke run" in _common.read_section(tmp_path, "alpha")
    assert "only beta" in _common.read_section(tmp_path, "beta")
    assert text.index("bench:alpha") < text.index("bench:beta")  # order kept


def test_tiny_without_out_never_targets_benchmarks_folder():
    args = _common.benchmark_parser("x", "").parse_args(["--tiny"])
    out = _common.output_dir(args)
    assert out.resolve() != _common.BENCHMARKS_DIR.resolve()
    assert _common.output_dir(_common.benchmark_parser("x", "").parse_args([])) == _common.BENCHMARKS_DIR


def test_machine_info_names_the_machine():
    info = _common.machine_info()
    assert info["cores"] >= 1 and info["cpu"]
    assert "keras" in info["versions"]
    assert "cores" in _common.machine_markdown(info)
