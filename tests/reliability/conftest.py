"""Fixtures for the reliability catalogue (issue 6)."""

import pytest

from keras_multimodal.cli import main


@pytest.fixture
def kmm(capsys):
    """`kmm(*args)` -> (exit code, stdout, stderr) of the CLI run in-process."""

    def run(*args):
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
