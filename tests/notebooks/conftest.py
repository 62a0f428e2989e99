"""Wall and CPU time of each executed tutorial, printed at the end of the run."""

import pytest

_TIMES = {}


@pytest.fixture(scope="session")
def notebook_times():
    """name -> (wall seconds, kernel CPU seconds) of the notebooks executed in this session."""
    return _TIMES


def pytest_terminal_summary(terminalreporter):
    if not _TIMES:
        return
    terminalreporter.section("notebook execution times")
    for name, (wall, cpu) in sorted(_TIMES.items()):
        terminalreporter.write_line(f"{name}: {wall:.1f} s wall, {cpu:.1f} s kernel CPU")
