"""The running configuration of one simulated device, changed by configuration sessions.

A device's configuration is the output of its platform's configuration command, held as a tree
of lines (children indented under their section). A configuration line is applied in its
section: a present line is kept, a line that replaces a single-value setting takes the old
line's place, a new line goes at the end of its section (a new top-level block before the end
marker, after the platform's separator), and the negation (``undo`` / ``no``) removes a line.
Removed lines are kept as tombstones where they were, so configuring them again puts them back
in their place: a rollback restores the displayed configuration byte for byte. Platforms whose
settings are read through display commands (the ONT CLI) change those outputs through
:class:`~secaudit.platforms.base.Setter` rules instead. Every rule is platform data
(``PlatformSpec.config_session``); this module names no platform.

Examples:
    >>> from secaudit.platforms import get_platform
    >>> text = "#\\nsysname R1\\n#\\nuser-interface vty 0 4\\n idle-timeout 60 0\\n#\\nreturn\\n"
    >>> tree = ConfigTree(text, get_platform("huawei_vrp"))
    >>> vty = tree.apply((), "user-interface vty 0 4")
    >>> _ = tree.apply(("user-interface vty 0 4",), "idle-timeout 10 0")
    >>> _ = tree.apply((), "telnet server disable")
    >>> print(tree.render())
    #
    sysname R1
    #
    user-interface vty 0 4
     idle-timeout 10 0
    #
    telnet server disable
    #
    return
    <BLANKLINE>
    >>> _ = tree.apply((), "undo telnet server disable")
    >>> _ = tree.apply(("user-interface vty 0 4",), "idle-timeout 60 0")
    >>> tree.render() == text
    True
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from secaudit.collect.text import WRAP_WIDTH
from secaudit.lab.fleetdata import load_variants, platform_outputs
from secaudit.lab.model import DeviceSpec
from secaudit.platforms import get_platform
from secaudit.platforms.base import ConfigSession, PlatformSpec

_PLACEHOLDER = re.compile(r"<[^<>\s]+>")


@dataclass(slots=True, eq=False)
class _Node:
    text: str
    indent: int
    pre: list[str] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)
    alive: bool = True
    added: bool = False
    wrap: list[str] = field(default_factory=list)  # continuation lines a terminal wrapped off


def typed_line_ok(line: str) -> bool:
    """Whether a device can take a typed configuration line: no placeholder (``<ip-1>``,
    ``<redacted:cipher>``) and no advice in parentheses.

    Examples:
        >>> [typed_line_ok(s) for s in ("ntp server 10.0.0.1", "ntp server <ip-1>", "(or) reseat")]
        [True, False, False]
    """
    text = line.strip()
    return bool(text) and not text.startswith("(") and _PLACEHOLDER.search(text) is None


class ConfigTree:
    """A displayed configuration as a tree that configuration lines change in place."""

    def __init__(self, text: str, spec: PlatformSpec, known: frozenset[str] = frozenset()) -> None:
        session = spec.config_session
        if session is None:
            raise ValueError(f"platform {spec.name} has no configuration session")
        self._session = session
        self._end = spec.config_end_marker
        self._comments = spec.comment_prefixes
        self._containers = re.compile(session.containers) if session.containers else None
        table = spec.remediation.single_value_settings if spec.remediation is not None else ()
        self._rules = tuple(
            tuple(re.compile(level) for level in levels) for levels in (*table, *session.single_value)
        )
        self.root = _Node("", -1)
        self._tail: list[str] = []
        self._parse(text)
        self._words = frozenset(self._known_words(self.root)) | frozenset(session.keywords) | known

    def _known_words(self, node: _Node) -> set[str]:
        words = {c.text.removeprefix(self._session.negation).split()[0] for c in node.children}
        for child in node.children:
            words |= self._known_words(child)
        return words

    def knows(self, line: str) -> bool:
        """Whether the device knows the line's command word (its configuration uses it, or the
        platform's ``keywords`` list it): an unknown word gets the platform's error, as on a device.

        Examples:
            >>> from secaudit.platforms import get_platform
            >>> tree = ConfigTree("sysname R1\\nreturn", get_platform("huawei_vrp"))
            >>> tree.knows("undo sysname"), tree.knows("replace the board")
            (True, False)
        """
        words = line.strip().removeprefix(self._session.negation).split()
        return bool(words) and words[0] in self._words

    # -- text <-> tree ---------------------------------------------------------------------------

    def _parse(self, text: str) -> None:
        stack = [self.root]
        pending: list[str] = []
        last: _Node | None = None
        previous = ""
        for raw in text.split("\n"):
            body = raw.lstrip(" ")
            if last is not None and not pending and self._continues(previous, raw, stack):
                last.wrap.append(raw)
                previous = raw
                continue
            previous = raw
            if not body.strip() or body.startswith(self._comments):
                pending.append(raw)
                continue
            indent = len(raw) - len(body)
            while len(stack) > 1 and stack[-1].indent >= indent:
                stack.pop()
            node = _Node(body, indent, pending)
            pending = []
            stack[-1].children.append(node)
            stack.append(node)
            last = node
        self._tail = pending

    def _continues(self, previous: str, raw: str, stack: list[_Node]) -> bool:
        """A column-0 line that a terminal wrapped off the line before (80-column cut, or any
        column-0 line inside an indented container section)."""
        if not raw or raw[0] == " " or raw == self._end or raw.startswith(self._comments):
            return False
        if len(previous) == WRAP_WIDTH:
            return True
        inside = len(stack) > 2 and self._containers is not None and self._containers.match(stack[1].text)
        return bool(inside) and not (self._containers is not None and self._containers.match(raw))

    def render(self) -> str:
        """The configuration as the device displays it."""
        out: list[str] = []

        def walk(node: _Node) -> None:
            for child in node.children:
                if child.alive:
                    out.extend(child.pre)
                    out.append(" " * child.indent + child.text)
                    out.extend(child.wrap)
                    walk(child)
                elif not child.added:
                    out.extend(child.pre)

        walk(self.root)
        return "\n".join((*out, *self._tail))

    def is_section(self, path: tuple[str, ...]) -> bool:
        """Whether the line at ``path`` is configured and has lines under it."""
        try:
            return bool(path) and any(c.alive for c in self._section(path).children)
        except KeyError:
            return False

    def has_line(self, line: str) -> bool:
        """Whether ``line`` is configured (at any level)."""

        def walk(node: _Node) -> bool:
            return any(c.alive and (c.text == line or walk(c)) for c in node.children)

        return walk(self.root)

    # -- undo --------------------------------------------------------------------------------

    def undo_lines(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The lines that take this tree back to the text it was parsed from, and the lines that
        cannot be typed back (they hold a redacted value).

        Added lines are negated (a new section at its head only), removed lines typed again with
        their section's line before them; a replaced single-value setting gets its old value back.
        """
        lost: list[str] = []
        lines = self._undo(self.root, (), 0, lost)
        return tuple(lines), tuple(lost)

    def _flat(self, section: _Node) -> list[_Node]:
        return self._siblings(section) if section is self.root else section.children

    def _undo(self, section: _Node, path: tuple[str, ...], depth: int, lost: list[str]) -> list[str]:
        pad = " " * (self._session.indent * depth)
        members = [c for c in self._flat(section) if not (section is self.root and self._is_container(c))]
        removed = [c for c in members if not c.alive and not c.added]
        keys = {self._key(path, c.text) for c in removed} - {None}
        out: list[str] = []
        for child in members:
            if child.added and child.alive and self._key(path, child.text) not in keys:
                out.append(pad + self._session.negation + child.text)
        for child in members:
            if not child.alive and not child.added:
                for line in self._subtree(child, depth):
                    (lost if not typed_line_ok(line) else out).append(line)
            elif child.alive and not child.added:
                inner = self._undo(child, (*path, child.text), depth + 1, lost)
                if inner:
                    out.extend((pad + child.text, *inner))
        return out

    def _is_container(self, node: _Node) -> bool:
        return self._containers is not None and bool(self._containers.match(node.text))

    def _subtree(self, node: _Node, depth: int) -> list[str]:
        lines = [" " * (self._session.indent * depth) + node.text]
        for child in node.children:
            if not child.added:
                lines.extend(self._subtree(child, depth + 1))
        return lines

    # -- lookups ---------------------------------------------------------------------------------

    def _key(self, parents: tuple[str, ...], text: str) -> tuple[object, ...] | None:
        neg = self._session.negation
        bare = text.removeprefix(neg)
        for index, levels in enumerate(self._rules):
            *upper, last = levels
            if len(upper) != len(parents) or not all(
                rx.search(p) for rx, p in zip(upper, parents, strict=True)
            ):
                continue
            match = last.search(bare)
            if match:
                return (index, match.groups() or match.group(0))
        words = bare.split()
        if len(words) > 1 and words[-1] in ("enable", "disable"):
            return ("switch", tuple(words[:-1]))
        while words and words[-1].isdigit():
            words.pop()
        if words and len(words) < len(bare.split()):
            return ("tail", tuple(words))
        return None

    def _section(self, path: tuple[str, ...]) -> _Node:
        node = self.root
        for text in path:
            found = next((c for c in self._siblings(node) if c.alive and c.text == text), None)
            if found is None:
                raise KeyError(text)
            node = found
        return node

    def _siblings(self, section: _Node) -> list[_Node]:
        if section is not self.root or self._containers is None:
            return section.children
        nested = [g for c in section.children if self._containers.match(c.text) for g in c.children]
        return [*section.children, *nested]

    def _home(self, section: _Node, node: _Node) -> list[_Node]:
        """The list that holds ``node``: the section's own, or a container's."""
        if node in section.children:
            return section.children
        return next(c.children for c in section.children if node in c.children)

    # -- changes ---------------------------------------------------------------------------------

    def apply(self, path: tuple[str, ...], text: str) -> tuple[str, ...] | None:
        """Apply one configuration line inside the section ``path``; the path of the line that
        now stands for it (its children go under it), or ``None`` when nothing does."""
        section = self._section(path)
        siblings = self._siblings(section)
        neg = self._session.negation
        if text.startswith(neg):
            self._remove(section, siblings, path, text.removeprefix(neg))
            return None
        alive = [c for c in siblings if c.alive]
        if any(c.text == text for c in alive):
            return (*path, text)
        shown_negation = next((c for c in alive if c.text == neg + text), None)
        if shown_negation is not None:  # "undo X" displayed: configuring X removes it
            self._drop(section, shown_negation)
            return None
        key = self._key(path, text)
        same = next(
            (c for c in alive if key is not None and not c.children and self._key(path, c.text) == key), None
        )
        dead = next((c for c in siblings if not c.alive and c.text == text), None)
        if dead is not None:  # configured before, removed since: back in its place
            if same is not None:
                self._drop(section, same)
            dead.alive = True
        elif same is not None and same.added:  # a value set in this lab's life: set it again
            same.text = text
        elif same is not None:  # a single-value setting: the new value takes the old one's place
            home = self._home(section, same)
            self._drop(section, same)
            home.insert(home.index(same) + 1, _Node(text, same.indent, added=True))
        else:
            self._insert(section, text)
        return (*path, text)

    def _remove(self, section: _Node, siblings: list[_Node], path: tuple[str, ...], target: str) -> None:
        alive = [c for c in siblings if c.alive]
        node = next((c for c in alive if c.text == target), None)
        if node is None:
            prefixed = [c for c in alive if c.text.startswith(target + " ")]
            node = prefixed[0] if len(prefixed) == 1 else None
        if node is None:
            key = self._key(path, target)
            keyed = [c for c in alive if key is not None and self._key(path, c.text) == key]
            node = keyed[0] if len(keyed) == 1 else None
        if node is not None:
            self._drop(section, node)

    def _drop(self, section: _Node, node: _Node) -> None:
        """Remove a line and everything under it (configuring the line again brings back the
        line only: its former children must be typed again, as on a device)."""
        node.alive = False
        node.children = [c for c in node.children if not c.added]
        for child in node.children:
            self._drop(node, child)
        if node.added:
            self._home(section, node).remove(node)

    def _insert(self, section: _Node, text: str) -> None:
        session = self._session
        if section is not self.root:
            section.children.append(_Node(text, section.indent + session.indent, added=True))
            return
        target = self.root.children
        if self._containers is not None:
            groups = [c for c in self.root.children if self._containers.match(c.text)]
            if groups:
                target = groups[-1].children
                indent = target[-1].indent if target else 1
                target.append(_Node(text, indent, added=True))
                return
        pre = [session.separator] if session.separator else []
        node = _Node(text, 0, pre, added=True)
        ends = [i for i, c in enumerate(target) if c.alive and c.text == self._end]
        target.insert(ends[-1] if ends else len(target), node)


@cache
def _hardened_words(spec: PlatformSpec) -> frozenset[str]:
    """Command words of the platform's hardened lab configuration and its variants (``lab/data``)."""
    if spec.config_command is None:
        return frozenset()
    try:
        text = platform_outputs(spec.name.value, "lab").get(spec.config_command)
    except ValueError:
        return frozenset()
    if text is None:
        return frozenset()
    session = spec.config_session
    negation = session.negation if session is not None else ""
    variants = load_variants().get(spec.name.value, {}).values()
    extra = {
        line.strip().removeprefix(negation).split()[0]
        for variant in variants
        for edit in variant.edits
        for line in edit.with_.splitlines()
        if line.strip()
    }
    tree = ConfigTree(text, spec)
    return frozenset(tree._known_words(tree.root)) | extra


class DeviceConfig:
    """The mutable state of one simulated device, shared by all its sessions (thread-safe):
    its outputs, with the running configuration and the display outputs that follow it."""

    def __init__(self, spec: DeviceSpec) -> None:
        self.platform = get_platform(spec.platform)
        self.session: ConfigSession | None = self.platform.config_session
        self._outputs = dict(spec.outputs)
        self._lock = threading.Lock()
        command = self.platform.config_command
        self._command = command if command in self._outputs else None
        self._tree: ConfigTree | None = None
        if self.session is not None and self._command is not None:
            self._tree = ConfigTree(
                self._outputs[self._command], self.platform, _hardened_words(self.platform)
            )

    @property
    def outputs(self) -> Mapping[str, str]:
        """A snapshot of every command's current output."""
        with self._lock:
            return {cmd: self._output(cmd) or "" for cmd in self._outputs}

    def output(self, command: str) -> str | None:
        """The current output of ``command`` (``None``: the device does not know it)."""
        with self._lock:
            return self._output(command)

    def _output(self, command: str) -> str | None:
        text = self._outputs.get(command)
        if text is None or self.session is None or self._tree is None:
            return text
        for rule in self.session.derived:
            if rule.command == command:
                if self._tree.has_line(rule.line):
                    text = text.replace(rule.absent, rule.present)
                else:
                    text = text.replace(rule.present, rule.absent)
        return text

    def apply(self, lines: list[tuple[tuple[str, ...], str]]) -> None:
        """Apply configuration lines (each with its section path) to the running configuration."""
        with self._lock:
            if self._tree is None or self._command is None:
                return
            for path, text in lines:
                try:
                    self._tree.apply(path, text)
                except KeyError:  # the section was removed by an earlier line of the same batch
                    continue
            self._outputs[self._command] = self._tree.render()

    def is_section(self, path: tuple[str, ...]) -> bool:
        """Whether the configured line at ``path`` opens a section (for the prompt's view name)."""
        with self._lock:
            return self._tree is not None and self._tree.is_section(path)

    def knows(self, line: str) -> bool:
        """Whether the device can take this configuration line (see :meth:`ConfigTree.knows`)."""
        with self._lock:
            return self._tree is None or self._tree.knows(line)

    def set(self, line: str) -> bool:
        """Apply a setter line (a display-output setting); False when no setter takes it."""
        if self.session is None:
            return False
        for rule in self.session.setters:
            match = re.fullmatch(rule.line, line)
            if match and rule.command in self._outputs:
                with self._lock:
                    value = rule.template.format(*match.groups())
                    old = self._outputs[rule.command]
                    self._outputs[rule.command] = re.sub(rule.shown, value, old, count=1)
                return True
        return False
