"""Hierarchy-aware matching of configuration trees (hier_config ``MatchRule`` semantics).

Each ``MatchRule`` is compiled once into a predicate (its regular expression compiled with it),
and queries use the tree's prefix index: a rule with ``equals`` or ``startswith`` only looks at
the lines that begin with that text, instead of every line of the configuration.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from secaudit.models.control import MatchRule
from secaudit.parse.literals import regex_literals
from secaudit.parse.tree import ConfigTree, Node

Predicate = Callable[[str], bool]


#: Compiled predicates by rule object (a catalogue's rules live as long as the catalogue; keying
#: by identity avoids hashing a pydantic model on every lookup). Cleared when it grows large.
_COMPILED: dict[int, tuple[MatchRule, Predicate]] = {}


def compile_rule(rule: MatchRule) -> Predicate:
    """A predicate equivalent to :func:`line_matches` for ``rule`` (cached per rule).

    Examples:
        >>> compile_rule(MatchRule(startswith="ntp", re_search=r"\\d"))("ntp server 1")
        True
    """
    hit = _COMPILED.get(id(rule))
    if hit is not None and hit[0] is rule:
        return hit[1]
    if len(_COMPILED) > 50_000:
        _COMPILED.clear()
    predicate = _compile(rule)
    _COMPILED[id(rule)] = (rule, predicate)
    return predicate


def _compile(rule: MatchRule) -> Predicate:
    checks: list[Predicate] = []
    if rule.equals is not None:
        checks.append(_equals(rule.equals))
    if rule.startswith is not None:
        checks.append(_starts(rule.startswith))
    if rule.endswith is not None:
        checks.append(_ends(rule.endswith))
    if rule.contains is not None:
        checks.append(_contains(rule.contains))
    if rule.re_search is not None:
        checks.append(_searches(re.compile(rule.re_search)))
    if len(checks) == 1:
        return checks[0]
    return lambda text: all(check(text) for check in checks)


def _equals(s: str) -> Predicate:
    return lambda text: text == s


def _starts(s: str) -> Predicate:
    return lambda text: text.startswith(s)


def _ends(s: str) -> Predicate:
    return lambda text: text.endswith(s)


def _contains(s: str) -> Predicate:
    return lambda text: s in text


def _searches(pattern: re.Pattern[str]) -> Predicate:
    return lambda text: pattern.search(text) is not None


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
    return compile_rule(rule)(text)


def _candidates(tree: ConfigTree, rule: MatchRule, *, top: bool) -> list[Node]:
    """The lines a rule has to be tried on: found by a literal prefix or substring, or all."""
    prefix = _prefix(rule)
    if prefix is not None:
        return tree.with_prefix(prefix, top=top)
    if rule.re_search is not None:
        anchored, required = regex_literals(rule.re_search)
        if anchored is not None:
            return tree.with_prefix(anchored, top=top)
        if required is not None and not top:
            return tree.lines_containing(required)
    return tree.children if top else tree.nodes


def _prefix(rule: MatchRule) -> str | None:
    """The text every matching line starts with, when the rule fixes one."""
    if rule.equals is not None:
        return rule.equals
    return rule.startswith


def find(tree: ConfigTree, path: tuple[MatchRule, ...], *, anywhere: bool = False) -> list[Node]:
    """Nodes whose lineage matches ``path``, in document order.

    Anchored (default): ``path[0]`` matches a top-level line, ``path[1]`` one of its children, and
    so on. ``anywhere``: the last element may be at any depth, the elements before it must match
    its nearest ancestors.
    """
    if not anywhere:
        first = compile_rule(path[0])
        level = [c for c in _candidates(tree, path[0], top=True) if first(c.text)]
        for rule in path[1:]:
            match = compile_rule(rule)
            level = [c for parent in level for c in parent.children if match(c.text)]
        return level
    last = compile_rule(path[-1])
    found = [n for n in _candidates(tree, path[-1], top=False) if last(n.text)]
    if len(path) == 1:
        return found
    above = [compile_rule(r) for r in reversed(path[:-1])]
    out: list[Node] = []
    for node in found:
        ancestor = node.parent
        for match in above:
            if not isinstance(ancestor, Node) or not match(ancestor.text):
                break
            ancestor = ancestor.parent
        else:
            out.append(node)
    return out


def lineage_text(node: Node) -> str:
    """``parent > child`` text of a node, for observed lines."""
    return " > ".join(n.text for n in node.lineage())
