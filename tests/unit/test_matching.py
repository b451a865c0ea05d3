"""The indexed matcher finds exactly what a line-by-line scan finds, for every path of the catalogue.

``evaluate.matching.find`` answers from a prefix index and from one scan of the joined text; this
compares it with the plain definition (every line, every rule, hier_config ``MatchRule``
semantics) for every configuration path of every control, on every configuration fixture.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from secaudit.collect.text import command_slug, decode_output, repair_text
from secaudit.errors import ParseError
from secaudit.evaluate.loader import load_catalogue
from secaudit.evaluate.matching import find
from secaudit.models.control import AnyOf, Fallback, MatchRule, Rule
from secaudit.models.enums import Platform
from secaudit.parse.config import to_tree
from secaudit.parse.tree import ConfigTree, Node, build_tree
from secaudit.platforms import get_platform
from secaudit.redact import redact_text

from conftest import CHECKS, ROOT


def _plain_match(text: str, rule: MatchRule) -> bool:
    return (
        (rule.equals is None or text == rule.equals)
        and (rule.startswith is None or text.startswith(rule.startswith))
        and (rule.endswith is None or text.endswith(rule.endswith))
        and (rule.contains is None or rule.contains in text)
        and (rule.re_search is None or re.search(rule.re_search, text) is not None)
    )


def _plain_find(tree: ConfigTree, path: tuple[MatchRule, ...], anywhere: bool) -> list[Node]:
    if not anywhere:
        level = [c for c in tree.children if _plain_match(c.text, path[0])]
        for rule in path[1:]:
            level = [c for p in level for c in p.children if _plain_match(c.text, rule)]
        return level
    out = []
    for node in tree.nodes:
        lineage = node.lineage()
        if len(lineage) >= len(path) and all(
            _plain_match(n.text, r) for n, r in zip(reversed(lineage), reversed(path), strict=False)
        ):
            out.append(node)
    return out


def _paths(rule: Rule) -> Iterator[tuple[tuple[MatchRule, ...], bool]]:
    if isinstance(rule, (AnyOf, Fallback)):
        for sub in rule.rules:
            yield from _paths(sub)
        return
    path = getattr(rule, "path", None)
    if path:
        anywhere = bool(getattr(rule, "anywhere", False))
        yield tuple(path), anywhere
        yield tuple(path), not anywhere
        if len(path) > 1:
            yield tuple(path[:-1]), anywhere


def _cases() -> Iterator[tuple[str, str, tuple[tuple[tuple[MatchRule, ...], bool], ...]]]:
    catalogue = load_catalogue(CHECKS)
    by_platform: dict[str, set[tuple[tuple[MatchRule, ...], bool]]] = {}
    for control in catalogue.controls:
        for platform, check in control.platforms.items():
            for rule in (*check.rules, *check.applies_when, *check.screens):
                by_platform.setdefault(platform.value, set()).update(_paths(rule))
    for platform, paths in sorted(by_platform.items()):
        spec = get_platform(Platform(platform))
        if spec.config_command is None:
            continue
        slug = command_slug(spec.config_command)
        files = sorted((ROOT / "tests" / "controls").glob(f"*/{platform}/*/evidence/{slug}.txt"))
        yield platform, platform, tuple(sorted(paths, key=repr))
        assert files, platform
        _FILES[platform] = files


_FILES: dict[str, list] = {}
CASES = list(_cases())


@pytest.mark.parametrize(("case", "platform", "paths"), CASES, ids=[c[0] for c in CASES])
def test_indexed_find_equals_the_plain_scan(case: str, platform: str, paths: tuple) -> None:
    spec = get_platform(Platform(platform))
    compared = 0
    for path_file in _FILES[platform]:
        text = redact_text(repair_text(spec, decode_output(path_file.read_bytes()), is_config=True))
        try:
            tree = to_tree(spec, text)
        except ParseError:
            continue  # error fixtures (no configuration lines): nothing to match
        for path, anywhere in paths:
            assert find(tree, path, anywhere=anywhere) == _plain_find(tree, path, anywhere), (path_file, path)
            compared += 1
    assert compared > 100


def test_joined_scan_never_misses_a_line() -> None:
    """Patterns that could match across lines in the joined text still find every line alone."""
    tree = build_tree(["a x", "b", "x c", "d", "banner-free x"], "GENERIC")
    for pattern in (r"\s", r"x\s*", r"[^a]x", r"\W", r"^x|x$", r".", r"b\s+x"):
        rule = MatchRule(re_search=pattern)
        assert find(tree, (rule,), anywhere=True) == _plain_find(tree, (rule,), True), pattern
        assert find(tree, (rule,)) == _plain_find(tree, (rule,), False), pattern
