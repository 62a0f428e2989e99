"""`kmm tune`: command-line settings are validated like spec keys (exit code 2, field named)."""

from keras_multimodal.cli import main


def test_bad_max_trials_exits_2_naming_the_field(capsys, tmp_path):
    code = main(["tune", "--max-trials", "0", "--out", str(tmp_path / "t"), "--set", f"data.root={tmp_path}"])
    err = capsys.readouterr().err
    assert code == 2
    assert "tuning.max_trials: expected a value >= 1, found 0" in err


def test_unknown_fusion_in_the_search_space_exits_2(capsys, tmp_path):
    code = main(["tune", "--set", "tuning.fusion=[concat, lat]", "--out", str(tmp_path / "t")])
    err = capsys.readouterr().err
    assert code == 2 and "tuning.fusion[1]: unknown name 'lat' (did you mean 'late'?)" in err
    assert not (tmp_path / "t").exists()


def test_help_lists_the_options(capsys):
    try:
        main(["tune", "--help"])
    except SystemExit as done:
        assert done.code == 0
    out = capsys.readouterr().out
    for option in ("--tuner", "--max-trials", "--executions-per-trial", "--out", "--data-root", "--set"):
        assert option in out
