"""benchmarks/streaming_memory.py --tiny: four fresh training processes, a RESULTS.md section, a JSON summary."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "streaming_memory.py"


@pytest.mark.slow
def test_streaming_memory_tiny_writes_both_modes(tmp_path):
    subprocess.run([sys.executable, str(SCRIPT), "--tiny", "--quiet", "--out", str(tmp_path)], check=True, timeout=1500)
    result = json.loads((tmp_path / "streaming_memory.json").read_text())
    assert set(result["summary"]) == {"streaming", "memory"}
    for run in result["runs"]:
        assert run["peak_mb"] >= run["baseline_mb"] > 100 and run["test_auroc"] is not None
    text = (tmp_path / "RESULTS.md").read_text()
    assert "<!-- bench:streaming_memory -->" in text and "Tiny smoke run" in text
