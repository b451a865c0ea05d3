"""Shared test fixtures. Every path is resolved from this file, never from the current directory."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
CHECKS = ROOT / "checks"
TEMPLATES = ROOT / "templates"
INVENTORY = ROOT / "inventory"
EXAMPLES = ROOT / "examples"


def audit_args(output: Path, *, evidence: Path | None = None, inventory: Path = INVENTORY) -> list[str]:
    """The ``secaudit run`` arguments CLI tests share: live, or offline over ``evidence``.

    >>> audit_args(Path("/o"), evidence=Path("/e"))[:3]
    ['run', '--offline', '/e']
    """
    offline = ["--offline", str(evidence)] if evidence is not None else []
    return [
        "run",
        *offline,
        "--inventory",
        str(inventory),
        "--checks",
        str(CHECKS),
        "--templates",
        str(TEMPLATES),
        "--output",
        str(output),
    ]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from current output")


@pytest.fixture(scope="session")
def catalogue():  # type: ignore[no-untyped-def]
    from secaudit.evaluate.loader import load_catalogue

    return load_catalogue(CHECKS)


@pytest.fixture(scope="session")
def demo_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signed offline run over examples/evidence (shared by browser tests)."""
    import subprocess
    import sys

    tmp = tmp_path_factory.mktemp("demo")
    cli = [sys.executable, "-m", "secaudit"]
    subprocess.run(
        [*cli, "keys", "generate", "--out-dir", str(tmp / "k"), "--name", "d"],
        check=True,
        capture_output=True,
    )
    latest = tmp / "LATEST"
    subprocess.run(
        [
            *cli,
            *audit_args(tmp / "r", evidence=EXAMPLES / "evidence"),
            "--key",
            str(tmp / "k" / "d.key"),
            "--latest-file",
            str(latest),
            "--kpi",
            str(EXAMPLES / "kpi-declared.yaml"),
            "--quiet",
        ],
        check=False,
    )
    return Path(latest.read_text().strip())
