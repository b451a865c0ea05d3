"""The fast YAML path reads the same data as the round-trip loader; errors still name file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from secaudit.models.control import Control
from secaudit.yamlio import YamlError, load_data, load_model, load_yaml, to_plain

ROOT = Path(__file__).resolve().parents[2]


def _typed(node: Any) -> Any:
    """The data with every scalar's type made visible, so that 1 == 1.0 == True do not hide a change."""
    if isinstance(node, dict):
        return {k: _typed(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_typed(v) for v in node]
    plain = next(c for c in type(node).__mro__ if not c.__module__.startswith("ruamel"))
    return (plain.__name__, node)


def _yaml_files() -> list[Path]:
    folders = ["checks", "inventory", "examples", "src/secaudit/lab/data", "tests/data", "tests/realworld"]
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.y*ml"))


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_fast_loader_reads_the_same_data(path: Path) -> None:
    assert _typed(load_data(path)) == _typed(to_plain(load_yaml(path)))


def test_yaml_1_2_scalars_are_read_alike(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("a: on\nb: 010\nc: 0o17\nd: 2026-01-01\ne: 1_000\nf: .5\ng: ~\nh: 'no'\ni: yes\n")
    assert _typed(load_data(path)) == _typed(to_plain(load_yaml(path)))


def test_errors_still_name_file_and_line(tmp_path: Path) -> None:
    dup = tmp_path / "SEC-X-001.yaml"
    dup.write_text("id: SEC-X-001\ntitle: a\ntitle: b\n")
    assert load_data(dup) is None  # the fast path refuses, the round-trip loader explains
    with pytest.raises(YamlError, match=r"SEC-X-001.yaml:3"):
        load_model(Control, dup)
    typo = tmp_path / "typo.yaml"
    typo.write_text("id: SEC-X-001\ntitle: a\nsevrity: high\n")
    with pytest.raises(YamlError, match=r"typo.yaml:3: .*sevrity"):
        load_model(Control, typo)
