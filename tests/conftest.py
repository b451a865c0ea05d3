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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from current output")


@pytest.fixture(scope="session")
def catalogue():  # type: ignore[no-untyped-def]
    from secaudit.evaluate.loader import load_catalogue

    return load_catalogue(CHECKS)
