"""Scheduled audits: a job runs, hooks fire with the exit status, runs never overlap, old runs go."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from secaudit.errors import ConfigurationError
from secaudit.schedule import Defaults, Job, load_schedule, prune_runs, run_job, run_lock

from conftest import CHECKS, EXAMPLES, INVENTORY, TEMPLATES


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("keys")
    subprocess.run(
        [sys.executable, "-m", "secaudit", "keys", "generate", "--out-dir", str(d), "--name", "s"], check=True
    )
    return d / "s.key"


def defaults(tmp_path: Path, key: Path, keep: int = 14) -> Defaults:
    return Defaults(
        inventory=INVENTORY,
        checks=CHECKS,
        templates=TEMPLATES,
        output=tmp_path / "reports",
        key=key,
        keep_runs=keep,
        lock=tmp_path / "reports" / ".lock",
    )


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []  # noqa: RUF012 - test-only capture

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_job_runs_and_hooks_fire(tmp_path: Path, key: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    marker = tmp_path / "done.txt"
    job = Job.model_validate(
        {
            "name": "nightly",
            "cron": "0 2 * * *",
            "operators": ["telecom"],
            "offline": str(EXAMPLES / "evidence"),
            "on_complete": {
                "command": [
                    sys.executable,
                    "-c",
                    f"open({str(marker)!r}, 'w').write('{{job}} {{exit_code}} {{run_dir}}')",
                ],
                "webhook": f"http://127.0.0.1:{server.server_port}/hook",
            },
        }
    )
    try:
        result = run_job(job, defaults(tmp_path, key))
    finally:
        server.shutdown()
    assert result.exit_code in (0, 1, 3)
    assert result.run_dir is not None
    assert (result.run_dir / "telecom" / "findings.json").is_file()
    assert marker.read_text().startswith(f"nightly {result.exit_code} {result.run_dir}")
    assert _Hook.received[-1]["exit_code"] == result.exit_code
    assert _Hook.received[-1]["job"] == "nightly"


def test_no_overlap(tmp_path: Path, key: Path) -> None:
    d = defaults(tmp_path, key)
    job = Job(name="j", cron="* * * * *", offline=EXAMPLES / "evidence")
    with run_lock(d.lock) as held:
        assert held
        result = run_job(job, d)
    assert result.exit_code is None
    assert "skipped" in result.detail
    assert not list((tmp_path / "reports").glob("2*"))


def test_prune_keeps_newest(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    names = [f"2026010{i}T000000Z-abcdef" for i in range(1, 6)]
    for n in names:
        (out / n).mkdir(parents=True)
    (out / "not-a-run").mkdir()
    gone = prune_runs(out, 2)
    assert [p.name for p in gone] == names[:3]
    assert sorted(p.name for p in out.iterdir()) == [*names[3:], "not-a-run"]


def test_bad_schedule_names_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "schedule.yaml"
    cfg.write_text("defaults:\n  key: k.key\njobs:\n  - name: a\n    cron: '61 * * * *'\n")
    with pytest.raises(ConfigurationError, match=r"schedule\.yaml:\d+: .*cron"):
        load_schedule(cfg)
    cfg.write_text("defaults:\n  key: k.key\njobs:\n  - name: a\n    cron: '0 2 * * *'\n    profle: build\n")
    with pytest.raises(ConfigurationError, match=r"schedule\.yaml:6: .*profle"):
        load_schedule(cfg)
