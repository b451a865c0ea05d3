"""Hierarchy-aware matching of configuration trees (hier_config ``MatchRule`` semantics)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from hier_config import HConfig, HConfigChild

from secaudit.models.control import MatchRule


def line_matches(text: str, rule: MatchRule) -> bool:
    """True when ``text`` satisfies every field given in ``rule``.

    Examples:
        >>> line_matches("telnet server enable", MatchRule(startswith="telnet server"))
        True
        >>> line_matches("telnet server disable", MatchRule(startswith="telnet", endswith="enable"))
        False
        >>> line_matches("ntp-service unicast-server 10.0.0.1", MatchRule(re_search=r"server \\d+"))
        True
    """
    if rule.equals is not None and text != rule.equals:
        return False
    if rule.startswith is not None and not text.startswith(rule.startswith):
        return False
    if rule.endswith is not None and not text.endswith(rule.endswith):
        return False
    if rule.contains is not None and rule.contains not in text:
        return False
    return rule.re_search is None or re.search(rule.re_search, text) is not None


def _walk(nodes: Iterable[HConfigChild]) -> Iterator[HConfigChild]:
    for node in nodes:
        yield node
        yield from _walk(node.children)


def find(tree: HConfig, path: tuple[MatchRule, ...], *, anywhere: bool = False) -> list[HConfigChild]:
    """Nodes whose lineage matches ``path``.

    Anchored (default): ``path[0]`` matches a top-level line, ``path[1]`` one of its children, and
    so on. ``anywhere``: the last element may be at any depth, the elements before it must match
    its nearest ancestors.
    """
    if not anywhere:
        level: list[HConfigChild] = [c for c in tree.children if line_matches(c.text, path[0])]
        for rule in path[1:]:
            level = [c for parent in level for c in parent.children if line_matches(c.text, rule)]
        return level
    found: list[HConfigChild] = []
    for node in _walk(tree.children):
        if not line_matches(node.text, path[-1]):
            continue
        ancestor: HConfig | HConfigChild = node.parent
        ok = True
        for rule in reversed(path[:-1]):
            if not isinstance(ancestor, HConfigChild) or not line_matches(ancestor.text, rule):
                ok = False
                break
            ancestor = ancestor.parent
        if ok:
            found.append(node)
    return found


def lineage_text(node: HConfigChild) -> str:
    """``parent > child`` text of a node, for observed lines."""
    parts = [n.text for n in node.lineage()]
    return " > ".join(parts)
