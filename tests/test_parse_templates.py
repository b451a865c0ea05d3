"""Own TextFSM templates: every index row has a raw/parsed pair, and every pair parses as recorded.

Pairs live at ``tests/parse/<platform>/<command_slug>/<case>.raw`` + ``<case>.yml``; the yml holds
``command:`` (the exact command) and ``parsed_sample:`` (list of rows, keys lower-case).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from secaudit.collect.text import command_slug
from secaudit.parse.textfsm import OWN_TEMPLATES, parse_rows

PARSE_DIR = Path(__file__).resolve().parent / "parse"
PAIRS = sorted(PARSE_DIR.glob("*/*/*.raw"))


def _index_rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in (OWN_TEMPLATES / "index").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(("#", "Template,")):
            continue
        template, _host, platform, command = (part.strip() for part in line.split(",", 3))
        rows.append((template, platform, command))
    return rows


@pytest.mark.parametrize("raw", PAIRS, ids=[str(p.relative_to(PARSE_DIR)) for p in PAIRS])
def test_pair_parses_as_recorded(raw: Path) -> None:
    expected = yaml.safe_load(raw.with_suffix(".yml").read_text(encoding="utf-8"))
    platform = raw.parent.parent.name
    command = expected["command"]
    assert command_slug(command) == raw.parent.name, "folder must be the command's slug"
    result = parse_rows(platform, command, raw.read_text(encoding="utf-8"), allow_no_rows=True)
    assert result.template.startswith("secaudit:"), (
        f"{command!r} resolved to {result.template}, not an own template"
    )
    assert [dict(r) for r in result.rows] == expected["parsed_sample"]


def test_every_own_template_has_a_pair_and_is_strict() -> None:
    covered = {(p.parent.parent.name, p.parent.name) for p in PAIRS}
    for template, platform, _command in _index_rows():
        path = OWN_TEMPLATES / template
        assert path.is_file(), f"index names missing template {template}"
        assert "-> Error" in path.read_text(encoding="utf-8"), f"{template} is not strict (no '^. -> Error')"
        slugs = {slug for plat, slug in covered if plat == platform}
        assert any(
            template.startswith((f"{platform}_{s.replace('-', '_')}", f"{platform}_{s}")) for s in slugs
        ), f"{template}: no tests/parse/{platform}/<slug>/ pair"


def test_lazy_index_finds_what_clitable_finds() -> None:
    """The lazily compiled index gives the template CliTable's fully compiled one gives."""
    import re

    from textfsm import clitable

    from secaudit.parse import textfsm as ours

    def old(directory: Path, platform: str, command: str) -> str | None:
        table = clitable.CliTable("index", str(directory))
        wanted = " ".join(command.split())
        for row in range(1, table.index.compiled.size + 1):
            compiled = table.index.compiled[row]
            if compiled["Platform"].fullmatch(platform) and ours._whole_words(compiled["Command"], wanted):
                return str(table.index.index[row]["Template"])
        return None

    asked = 0
    for directory in (ours.OWN_TEMPLATES, ours.NTC_TEMPLATES):
        rows = ours._index(str(directory))
        platforms = sorted({r.platform for r in rows if re.fullmatch(r"[\w]+", r.platform)})
        for platform in platforms:
            # every command of the platform's rows, written out plainly, plus an unknown one
            commands = {
                re.sub(r"\(|\)\?|\\s\+|\\s\*|\$", "", r.command).replace("\\", "")
                for r in rows
                if r.platform == platform
            }
            for command in [*sorted(commands)[:40], "display nothing-like-this"]:
                assert ours._template_for(directory, platform, command) == old(
                    directory, platform, command
                ), (
                    directory.name,
                    platform,
                    command,
                )
                asked += 1
    assert asked > 500
