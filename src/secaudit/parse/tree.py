"""A read-only configuration tree for evaluation, built the way hier_config builds its own.

hier_config's ``HConfig`` is an editable tree made for computing changes (remediation uses it).
Evaluation only reads a tree, tens of times per host, so it gets this lean one: the same lines and
the same hierarchy as ``hier_config.get_hconfig`` produces for the platform's driver (banners,
whitespace folding, the driver's per-line and full-text substitutions, indent adjustments,
sectional exits, duplicate-child rules, IOS XR comment handling), in about a tenth of the time,
plus indexes for the matching queries the operators ask.

Equivalence is a tested property (``tests/unit/test_tree.py`` compares both trees on every
configuration in the fixtures, the lab data and the real-world trait files). A driver with a
feature this builder does not reproduce (a config preprocessor or a post-load callback it does
not know) is built with hier_config and copied, so the result is the same either way.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from hier_config import HConfig, HConfigChild, Platform, get_hconfig, get_hconfig_driver
from hier_config.models import MatchRule as HMatchRule
from hier_config.platforms.driver_base import HConfigDriverBase

from secaudit.parse.literals import regex_literals


class DuplicateLineError(ValueError):
    """Two identical lines at one level where the platform's driver allows none (as hier_config)."""


class Node:
    """One configuration line and the lines indented under it."""

    __slots__ = ("_dup", "_keys", "children", "level", "parent", "text")

    def __init__(self, text: str, parent: Node | ConfigTree, level: int = 0) -> None:
        self.text = text
        self.parent = parent
        self.level = level  # the line's indentation as read (hier_config's real_indent_level)
        self.children: list[Node] = []
        self._keys: set[str] | None = None
        self._dup: bool | None = None  # may this line hold identical child lines (driver rule)

    def __repr__(self) -> str:
        return f"Node({self.text!r})"

    def lineage(self) -> list[Node]:
        """This line and its ancestors, outermost first.

        Examples:
            >>> tree = build_tree(["interface A", " description x"], "GENERIC")
            >>> [n.text for n in tree.children[0].children[0].lineage()]
            ['interface A', 'description x']
        """
        out: list[Node] = []
        node: Node | ConfigTree = self
        while isinstance(node, Node):
            out.append(node)
            node = node.parent
        out.reverse()
        return out


class ConfigTree:
    """The root: top-level lines, plus every line in document order for fast queries."""

    __slots__ = ("_keys", "_prefix", "_text", "_top_prefix", "children", "nodes")

    parent = None
    level = -1

    def __init__(self) -> None:
        self.children: list[Node] = []
        self._keys: set[str] | None = None
        self.nodes: list[Node] = []
        self._prefix: tuple[list[str], list[int]] | None = None
        self._top_prefix: tuple[list[str], list[int]] | None = None
        self._text: str | None = None

    def __repr__(self) -> str:
        return f"ConfigTree({len(self.children)} top-level lines, {len(self.nodes)} lines)"

    def _index(self) -> None:
        order: list[Node] = []

        def walk(nodes: list[Node]) -> None:
            for n in nodes:
                order.append(n)
                if n.children:
                    walk(n.children)

        walk(self.children)
        self.nodes = order

    def with_prefix(self, prefix: str, *, top: bool = False) -> list[Node]:
        """Lines starting with ``prefix`` (top-level only with ``top``), in document order.

        Examples:
            >>> tree = build_tree(["ntp a", "snmp x", " ntp inner", "ntp b"], "GENERIC")
            >>> [n.text for n in tree.with_prefix("ntp")]
            ['ntp a', 'ntp inner', 'ntp b']
            >>> [n.text for n in tree.with_prefix("ntp ", top=True)]
            ['ntp a', 'ntp b']
        """
        nodes = self.children if top else self.nodes
        cached = self._top_prefix if top else self._prefix
        if cached is None:
            pairs = sorted((n.text, i) for i, n in enumerate(nodes))
            cached = ([p[0] for p in pairs], [p[1] for p in pairs])
            if top:
                self._top_prefix = cached
            else:
                self._prefix = cached
        texts, positions = cached
        lo = bisect.bisect_left(texts, prefix)
        hi = lo
        while hi < len(texts) and texts[hi].startswith(prefix):
            hi += 1
        return [nodes[i] for i in sorted(positions[lo:hi])]

    def lines_containing(self, literal: str) -> list[Node]:
        """Lines that contain ``literal``, in document order (one scan of the joined text first).

        Examples:
            >>> tree = build_tree(["a 1", " b 2", "c 3"], "GENERIC")
            >>> [n.text for n in tree.lines_containing(" 2")], tree.lines_containing("zz")
            (['b 2'], [])
        """
        if self._text is None:
            self._text = "\n".join(n.text for n in self.nodes)
        if literal not in self._text:
            return []
        return [n for n in self.nodes if literal in n.text]


def _add_child(parent: Node | ConfigTree, text: str, dup_allowed: bool, level: int = 0) -> Node:
    text = text.strip()
    if not text:
        raise ValueError("text was empty")
    keys = parent._keys
    if keys is None:
        keys = parent._keys = set()
    if text in keys and not dup_allowed:
        path = [n.text for n in parent.lineage()] if isinstance(parent, Node) else []
        raise DuplicateLineError(f"Found a duplicate section: {(*path, text)}")
    keys.add(text)
    node = Node(text, parent, level)
    parent.children.append(node)
    return node


# --- hier_config driver rules, compiled --------------------------------------------------------


def _is_match(text: str, rule: HMatchRule) -> bool:
    """hier_config's ``HConfigChild.is_match`` for one rule."""
    eq = rule.equals
    if isinstance(eq, str):
        if text != eq:
            return False
    elif isinstance(eq, frozenset) and text not in eq:
        return False
    if isinstance(rule.startswith, (str, tuple)) and not text.startswith(rule.startswith):
        return False
    if isinstance(rule.re_search, str) and not re.search(rule.re_search, text):
        return False
    if isinstance(rule.endswith, (str, tuple)) and not text.endswith(rule.endswith):
        return False
    if isinstance(rule.contains, str):
        return rule.contains in text
    if isinstance(rule.contains, tuple):
        return any(c in text for c in rule.contains)
    return True


def _lineage_match(node: Node, rules: tuple[HMatchRule, ...]) -> bool:
    lineage = node.lineage()
    return len(rules) == len(lineage) and all(
        _is_match(n.text, r) for n, r in zip(reversed(lineage), reversed(rules), strict=True)
    )


def _required_words(patterns: Iterable[str]) -> tuple[str, ...] | None:
    """For each pattern, a text every match contains; ``None`` when one pattern has none."""
    words: list[str] = []
    for pattern in patterns:
        prefix, required = regex_literals(pattern)
        word = required or prefix
        if word is None:
            return None
        words.append(word)
    return tuple(words)


def _any_of(patterns: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern that matches wherever any of ``patterns`` matches (a cheap pre-check)."""
    parts = [f"(?:{p})" for p in patterns]
    return re.compile("|".join(parts)) if parts else None


# hier_config's own functions this builder reproduces, by qualified name (inside hier_config only).
_KNOWN_CALLBACKS = {"_fixup_xr_comments"}
_VRP_EXIT = "HConfigDriverHuaweiVrp.sectional_exit"


@dataclass(frozen=True, slots=True)
class _Rules:
    full_text_sub: tuple[tuple[re.Pattern[str], str], ...]
    line_sub: tuple[tuple[re.Pattern[str], str], ...]
    line_sub_any: re.Pattern[str] | None
    line_sub_words: tuple[str, ...] | None  # text each substitution needs (cheaper than the regex)
    indent_adjust: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]
    indent_start_any: re.Pattern[str] | None
    exits: tuple[tuple[tuple[HMatchRule, ...], str | None], ...]
    dup_rules: tuple[tuple[HMatchRule, ...], ...]
    xr_comments: bool
    exit_word: str  # the default sectional exit ("exit"; VRP's driver says "quit")


@cache
def _rules(hconfig_platform: str) -> _Rules | None:
    """The driver's load rules, compiled; ``None`` when this builder cannot reproduce the driver."""
    driver = get_hconfig_driver(Platform[hconfig_platform])
    rules = driver.rules
    if type(driver).config_preprocessor is not HConfigDriverBase.config_preprocessor:
        return None
    callbacks = {
        cb.__qualname__ for cb in rules.post_load_callbacks if cb.__module__.startswith("hier_config.")
    }
    if len(callbacks) != len(rules.post_load_callbacks) or not callbacks <= _KNOWN_CALLBACKS:
        return None
    exit_method = type(driver).sectional_exit
    if exit_method is HConfigDriverBase.sectional_exit:
        exit_word = "exit"
    elif exit_method.__module__.startswith("hier_config.") and exit_method.__qualname__ == _VRP_EXIT:
        exit_word = "quit"  # HConfigDriverHuaweiVrp.sectional_exit: every "exit" becomes "quit"
    else:
        return None
    return _Rules(
        full_text_sub=tuple((re.compile(r.search), r.replace) for r in rules.full_text_sub),
        line_sub=tuple((re.compile(r.search), r.replace) for r in rules.per_line_sub),
        line_sub_any=_any_of(r.search for r in rules.per_line_sub),
        line_sub_words=_required_words(r.search for r in rules.per_line_sub),
        indent_adjust=tuple(
            (re.compile(r.start_expression), re.compile(r.end_expression)) for r in rules.indent_adjust
        ),
        indent_start_any=_any_of(r.start_expression for r in rules.indent_adjust),
        exits=tuple((tuple(r.match_rules), r.exit_text) for r in rules.sectional_exiting),
        dup_rules=tuple(tuple(r.match_rules) for r in rules.parent_allows_duplicate_child),
        xr_comments=bool(callbacks),
        exit_word=exit_word,
    )


def _dup_allowed(parent: Node | ConfigTree, rules: _Rules) -> bool:
    if not isinstance(parent, Node) or not rules.dup_rules:
        return False
    if parent._dup is None:
        parent._dup = any(_lineage_match(parent, r) for r in rules.dup_rules)
    return parent._dup


def _sectional_exit(node: Node, rules: _Rules) -> str | None:
    found: str | None = "exit" if node.children else None
    for match_rules, exit_text in rules.exits:
        if _lineage_match(node, match_rules):
            found = exit_text or None
            break
    return rules.exit_word if found == "exit" else found


def _banner_end(line: str, end_lines: set[str], end_contains: list[str]) -> bool:
    return line.startswith("^") or line in end_lines or any(c in line for c in end_contains)


def _may_substitute(line: str, rules: _Rules) -> bool:
    """Whether any per-line substitution can apply (by the words they need, else by regex)."""
    if rules.line_sub_words is not None:
        return any(word in line for word in rules.line_sub_words)
    return rules.line_sub_any is not None and rules.line_sub_any.search(line) is not None


def _load(tree: ConfigTree, text: str, rules: _Rules) -> None:
    """hier_config's ``_load_from_string_lines``, line for line, on lean nodes."""
    section: Node | ConfigTree = tree
    recent: Node | ConfigTree = tree
    indent_adjust = 0
    end_adjust: list[re.Pattern[str]] = []
    banner: list[str] = []
    end_lines = {"EOF", "%", "!"}
    end_contains: list[str] = []
    in_banner = False

    for raw in text.splitlines():
        if in_banner:
            if raw != "!":
                banner.append(raw)
            if _banner_end(raw, end_lines, end_contains):
                in_banner = False
                recent = _add_child(tree, "\n".join(banner), False, 0)
                section = tree
                banner = []
            continue
        if raw.startswith("banner ") and raw != "banner motd ##":
            in_banner = True
            banner.append(raw)
            words = raw.split()
            if len(words) > 2:
                end_contains.append(words[2])
                if words[2].startswith('"'):
                    end_contains.append('"')
                end_lines.add(words[2][:1])
                end_lines.add(words[2][:2])
            continue
        stripped = raw.lstrip()
        line = " " * (len(raw) - len(stripped)) + " ".join(raw.split())
        if _may_substitute(line, rules):
            for pattern, repl in rules.line_sub:
                line = pattern.sub(repl, line)
        line = line.rstrip()
        if not line:
            continue
        body = line.lstrip()
        indent = len(line) - len(body) + indent_adjust
        while indent <= section.level and isinstance(section, Node):  # the root's level is -1
            section = section.parent
        if indent > recent.level:
            section = recent
        recent = _add_child(section, body, _dup_allowed(section, rules), indent)
        if rules.indent_start_any is not None and rules.indent_start_any.search(body):
            for start, end in rules.indent_adjust:
                if start.search(body):
                    indent_adjust += 1
                    end_adjust.append(end)
                    break
        if end_adjust and end_adjust[0].search(body):
            indent_adjust -= 1
            end_adjust.pop(0)
    if in_banner:
        raise ValueError("we are still in a banner for some reason")


def _all_nodes(nodes: list[Node]) -> Iterator[Node]:
    for n in nodes:
        yield n
        yield from _all_nodes(n.children)


def _remove(node: Node) -> None:
    siblings = node.parent.children
    siblings.remove(node)


def _post_load(tree: ConfigTree, rules: _Rules) -> None:
    for node in tuple(_all_nodes(tree.children)):
        if node.children:
            exit_text = _sectional_exit(node, rules)
            if exit_text and node.children[-1].text == exit_text:
                node.children.pop()
    if rules.xr_comments:
        parents: tuple[Node | ConfigTree, ...] = (tree, *_all_nodes(tree.children))
        for parent in parents:
            for sibling in list(parent.children):
                if sibling.text.startswith("!"):
                    _remove(sibling)


def _copy(config: HConfig) -> ConfigTree:
    tree = ConfigTree()

    def copy(src: Iterable[HConfigChild], parent: Node | ConfigTree) -> None:
        for child in src:
            node = Node(child.text, parent)
            parent.children.append(node)
            copy(child.children, node)

    copy(config.children, tree)
    return tree


def build_tree(lines: list[str] | str, hconfig_platform: str) -> ConfigTree:
    """The evaluation tree of configuration ``lines`` for a hier_config platform (by name).

    Raises ``ValueError`` (``DuplicateLineError`` for duplicate lines) where hier_config would.

    Examples:
        >>> tree = build_tree(["interface A", " shutdown", " exit", "ntp x"], "GENERIC")
        >>> [(n.text, [c.text for c in n.children]) for n in tree.children]
        [('interface A', ['shutdown']), ('ntp x', [])]
    """
    text = lines if isinstance(lines, str) else "\n".join(lines)
    rules = _rules(hconfig_platform)
    if rules is None:
        tree = _copy(get_hconfig(Platform[hconfig_platform], text))
    else:
        for pattern, repl in rules.full_text_sub:
            text = pattern.sub(repl, text)
        tree = ConfigTree()
        _load(tree, text, rules)
        _post_load(tree, rules)
    tree._index()
    return tree


def same_tree(ours: ConfigTree, theirs: HConfig) -> list[str]:
    """Differences between this builder's tree and hier_config's (empty when equal)."""
    problems: list[str] = []

    def compare(a: list[Node], b: list[Any], path: tuple[str, ...]) -> None:
        at = " > ".join(path) or "(top)"
        if [n.text for n in a] != [c.text for c in b]:
            problems.append(f"{at}: {[n.text for n in a]} != {[c.text for c in b]}")
            return
        for x, y in zip(a, b, strict=True):
            compare(x.children, list(y.children), (*path, x.text))

    compare(ours.children, list(theirs.children), ())
    return problems
