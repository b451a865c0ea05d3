"""A finding's fix: the union of its failed rules' own fixes, placeholders filled from what was seen.

Each rule may carry its own ``remediation`` and ``rollback`` (:class:`~secaudit.models.control.RuleFix`).
When a check fails (or warns), the finding's fix is made of the rules that failed (or warned),
in the order of the check; a failed rule without its own fix contributes the check's
``remediation`` / ``rollback`` (the control-level lines) instead. A rule's ``fill_from`` regex is
read against the observed lines of its own failure, and each distinct set of values gives one
filled copy of its fix: the open SSID, the line profile, the account that failed. Placeholders
no observed line gives stay as ``<...>``.

Pure: no I/O, no evaluation (the outcomes are the engine's).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from secaudit.evaluate.outcome import Outcome
from secaudit.models.control import PlatformCheck, Rule
from secaudit.models.enums import Status

#: Outcomes of a rule that ask for its fix.
FAILED = (Status.FAIL, Status.WARN)
#: ``_operators._observed`` adds this line when it shows only the first lines.
_MORE = re.compile(r"^\.\.\. and \d+ more$")

Fix = tuple[tuple[str, ...], tuple[str, ...]]


def _lineage_line(line: str, values: Mapping[str, str]) -> list[str] | None:
    """``<name>`` alone on a line, with a ``parent > child`` value: one line per level."""
    text = line.strip()
    indent = len(line) - len(line.lstrip(" "))
    if not (text.startswith("<") and text.endswith(">")):
        return None
    name = text[1:-1]
    value = next((v for k, v in values.items() if name in (k, k.replace("_", "-"))), None)
    if value is None or " > " not in value:
        return None
    return [f"{' ' * (indent + depth)}{part}" for depth, part in enumerate(value.split(" > "))]


def fill(lines: Iterable[str], values: Mapping[str, str]) -> tuple[str, ...]:
    """Replace ``<name>`` by ``values[name]``; a group name's ``_`` also fills a ``-``.

    A placeholder alone on its line whose value is an observed ``parent > child`` path becomes one
    line per level, and the lines under it move down as many levels.

    Examples:
        >>> fill(["ont-lineprofile gpon profile-id <id>", " gem add <idx> eth tcont <t> encrypt on"],
        ...      {"id": "10", "idx": "1", "t": "4"})
        ('ont-lineprofile gpon profile-id 10', ' gem add 1 eth tcont 4 encrypt on')
        >>> fill(["info-center loghost <ip-1>", "x <ip-2>"], {"ip_1": "10.0.0.1"})
        ('info-center loghost 10.0.0.1', 'x <ip-2>')
        >>> fill(["<parent>", " <cmd>encrypted <key>"],
        ...      {"parent": "router isis CORE > interface Te0", "cmd": "hello-password hmac-md5 "})
        ('router isis CORE', ' interface Te0', '  hello-password hmac-md5 encrypted <key>')
    """
    out: list[str] = []
    shift: list[tuple[int, int]] = []  # (indent of an expanded line, extra levels below it)
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        while shift and indent <= shift[-1][0]:
            shift.pop()
        extra = sum(levels for _, levels in shift)
        expanded = _lineage_line(line, values)
        if expanded is not None:
            out.extend(" " * extra + part for part in expanded)
            shift.append((indent, len(expanded) - 1))
            continue
        text = line
        for name, value in values.items():
            text = text.replace(f"<{name}>", value)
            if "_" in name:
                text = text.replace(f"<{name.replace('_', '-')}>", value)
        out.append(" " * extra + text)
    return tuple(out)


def bindings(
    pattern: str, observed: Iterable[str], skip: str | None = None
) -> tuple[list[dict[str, str]], bool]:
    """Distinct named-group values ``pattern`` finds in the observed lines, and whether an unfilled
    copy of the fix is still due: an observed line neither matched nor ``skip``-ped (a line
    another fix covers, or an ``any_of``'s context), or observed lines cut short (``... and N more``).

    Examples:
        >>> bindings(r"^username (?P<u>\\S+)", ["username noc > password 7 <redacted:type7>",
        ...                                      "username noc > x", "... and 3 more"])
        ([{'u': 'noc'}], True)
        >>> bindings(r"ssid=(?P<ssid>\\S+)", ["ssid=guest encryption=none", "ont add 0 1"], "^ont add ")
        ([{'ssid': 'guest'}], False)
        >>> bindings(r"ssid=(?P<ssid>\\S+)", ["ssid=guest encryption=none", "ont add 0 1"])
        ([{'ssid': 'guest'}], True)
    """
    regex = re.compile(pattern)
    skipped = re.compile(skip) if skip is not None else None
    found: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    unmatched = False
    for line in observed:
        match = regex.search(line)
        if match is None:
            if _MORE.match(line) or skipped is None or not skipped.search(line):
                unmatched = True
            continue
        values = {k: v or "" for k, v in match.groupdict().items()}  # an optional group: empty
        found.setdefault(tuple(sorted(values.items())), values)
    return list(found.values()), unmatched


def _shapes(rule: Rule) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    own = [(rule.fill_from, rule.remediation, rule.rollback)] if rule.fill_from is not None else []
    return [*((s.fill_from, s.remediation, s.rollback) for s in rule.shapes), *own]


def rule_fix(rule: Rule, outcome: Outcome, check: PlatformCheck) -> Fix:
    """The fix of one failed rule: its own lines filled from its failure, or the check's lines.

    Each observed line takes the first of the rule's ``shapes`` whose ``fill_from`` matches it,
    then the rule's own ``fill_from``; one filled copy per distinct set of values. A line none
    matches (and ``fill_skip`` does not name) adds the rule's own lines unfilled.

    Examples:
        >>> from secaudit.models.control import ConfigAbsent, MatchRule
        >>> rule = ConfigAbsent(op="config_absent", evidence="running", message="type 7",
        ...     path=(MatchRule(re_search="^username"), MatchRule(re_search="^password ")),
        ...     remediation=("username <u>", " secret 10 <password>", " no password"),
        ...     fill_from=r"^username (?P<u>\\S+) > password ")
        >>> seen = Outcome(Status.FAIL, "type 7", ("username noc > password 7 <redacted:type7>",))
        >>> rule_fix(rule, seen, PlatformCheck(manual=True, attest="-"))[0]
        ('username noc', ' secret 10 <password>', ' no password')
    """
    if not rule.remediation and not rule.shapes:
        return check.remediation, check.rollback
    shapes = _shapes(rule)
    if not shapes:
        return rule.remediation, rule.rollback
    rem: list[tuple[str, ...]] = []
    back: list[tuple[str, ...]] = []
    unmatched = not outcome.observed
    for line in outcome.observed:
        for pattern, lines, undo in shapes:
            match = None if _MORE.match(line) else re.search(pattern, line)
            if match is not None:
                values = {k: v or "" for k, v in match.groupdict().items()}  # an optional group: empty
                rem.append(fill(lines, values))
                back.append(fill(undo, values))
                break
        else:
            if _MORE.match(line) or rule.fill_skip is None or not re.search(rule.fill_skip, line):
                unmatched = True
    if unmatched:
        rem.append(rule.remediation or check.remediation)
        back.append(rule.rollback if rule.remediation else check.rollback)
    return merge_blocks(rem), merge_blocks(back)


#: Lines that close or commit a section: they stay last in their section when blocks merge.
SECTION_END = frozenset({"commit", "quit", "exit", "end", "$", "!", "root"})


class _Line:
    """One line of merged fix blocks, with its children in order of first appearance."""

    __slots__ = ("children", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.children: dict[str, _Line] = {}

    def lines(self) -> Iterator[str]:
        kids = sorted(self.children.values(), key=lambda c: c.text.strip() in SECTION_END)
        for child in kids:
            yield child.text
            yield from child.lines()


def merge_blocks(blocks: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """Fix blocks merged as configuration: a section two blocks open is opened once, with the
    lines of both (in order of first appearance, its commit/quit last); a repeated line once.

    Examples:
        >>> merge_blocks([("aaa password-policy SEC", " min-length 12"),
        ...               ("aaa password-policy SEC", " upper-case 1"), ("ssh timeout 60",)])
        ('aaa password-policy SEC', ' min-length 12', ' upper-case 1', 'ssh timeout 60')
        >>> merge_blocks([("profile 10", " omcc encrypt on", " commit", " quit"),
        ...               ("profile 10", " gem add 1 encrypt on", " commit", " quit")])
        ('profile 10', ' omcc encrypt on', ' gem add 1 encrypt on', ' commit', ' quit')
    """
    root = _Line("")
    for block in blocks:
        stack: list[tuple[int, _Line]] = [(-1, root)]
        for line in block:
            depth = len(line) - len(line.lstrip(" "))
            while stack[-1][0] >= depth:
                stack.pop()
            parent = stack[-1][1]
            node = parent.children.setdefault(line.strip(), _Line(line))
            stack.append((depth, node))
    return tuple(root.lines())


def finding_fix(check: PlatformCheck, rules: Sequence[Rule], outcomes: Sequence[Outcome]) -> Fix:
    """The fix of a failed check: the union of its failed (or warned) rules' fixes, in rule order.

    Examples:
        >>> from secaudit.models.control import ConfigAbsent, MatchRule
        >>> def rule(text, lines):
        ...     return ConfigAbsent(op="config_absent", evidence="r", message=text,
        ...                         path=(MatchRule(equals=text),), remediation=lines)
        >>> a, b = rule("telnet", ("undo telnet",)), rule("ftp", ("undo ftp",))
        >>> check = PlatformCheck(manual=True, attest="-", remediation=("undo telnet", "undo ftp"))
        >>> finding_fix(check, (a, b), (Outcome(Status.PASS, "ok"), Outcome(Status.FAIL, "ftp")))
        (('undo ftp',), ())
    """
    fixes = [rule_fix(r, o, check) for r, o in zip(rules, outcomes, strict=True) if o.status in FAILED]
    return merge_blocks(rem for rem, _ in fixes), merge_blocks(back for _, back in fixes)
