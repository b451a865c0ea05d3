"""`secaudit lab start|stop`: one lab per state folder (per checkout); `lab stop` stops only its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from secaudit.lab.fleet import LabPaths, default_state_dir
from secaudit.lab.state import process_alive, read_state

SECAUDIT = [sys.executable, "-m", "secaudit"]


def lab(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SECAUDIT, "lab", *map(str, args)], capture_output=True, text=True, check=False, timeout=120
    )


def test_default_state_folder_is_per_checkout(tmp_path: Path) -> None:
    a, b = default_state_dir(tmp_path / "one"), default_state_dir(tmp_path / "two")
    assert a != b
    assert a == default_state_dir(tmp_path / "one")
    assert not a.is_relative_to(tmp_path)  # outside the checkout (the secrets file lives there)
    (tmp_path / "one" / ".git").mkdir(parents=True)
    assert default_state_dir(tmp_path / "one" / "src" / "deep") == default_state_dir(tmp_path / "one")


def test_lab_stop_stops_only_its_own_lab(tmp_path: Path) -> None:
    one, two, stale = tmp_path / "one", tmp_path / "two", tmp_path / "stale"
    try:
        assert lab("start", "--state-dir", one, "--bench", "1").returncode == 0
        started = lab("start", "--state-dir", two, "--bench", "1")
        assert started.returncode == 0, started.stderr
        again = lab("start", "--state-dir", one, "--bench", "1")
        assert again.returncode == 2
        assert f"lab stop --state-dir {one}" in again.stderr
        pid_one = read_state(LabPaths(one).state).pid
        pid_two = read_state(LabPaths(two).state).pid
        # a state file naming another lab's server (copied, or a recycled pid) stops nothing
        stale.mkdir()
        shutil.copy(LabPaths(two).state, LabPaths(stale).state)
        res = lab("stop", "--state-dir", stale)
        assert res.returncode == 0
        assert "nothing stopped" in res.stdout
        assert process_alive(pid_two)
        assert lab("stop", "--state-dir", one).returncode == 0
        assert not process_alive(pid_one)
        assert process_alive(pid_two)
        assert lab("status", "--state-dir", two).returncode == 0
    finally:
        lab("stop", "--state-dir", one)
        lab("stop", "--state-dir", two)
