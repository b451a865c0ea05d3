"""Every command's --help renders at 80 columns, and every option and argument has help text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from secaudit.cli import app

ROOT: Any = typer.main.get_command(app)


def commands(cmd: Any = ROOT, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    subs = getattr(cmd, "commands", None)
    if subs:
        yield path, cmd
        for name, sub in sorted(subs.items()):
            yield from commands(sub, (*path, name))
    else:
        yield path, cmd


ALL = list(commands())


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path, _ in ALL}
    assert {"run", "diff", "history", "verify", "scan-config", "lab stop", "keys generate"} <= names
    assert len(ALL) >= 20


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=lambda p: " ".join(p) or "secaudit")
def test_help_reads_well_at_80_columns(path: tuple[str, ...]) -> None:
    cmd = dict(ALL)[path]
    assert (cmd.help or "").strip(), f"{path}: command without help"
    for param in cmd.params:
        assert (getattr(param, "help", None) or "").strip(), f"{' '.join(path)} {param.opts}: no help text"
    res = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"})
    assert res.exit_code == 0, res.output
    text = res.output
    too_long = [line for line in text.splitlines() if len(line) > 80]
    assert not too_long, too_long
    assert "…" not in text  # nothing truncated
    for param in cmd.params:
        if param.param_type_name == "option":
            assert param.opts[0] in text, param.opts
    options = [line for line in text.splitlines() if line.lstrip().startswith("-")]
    assert not [line for line in options if "list[" in line], options  # readable metavars
