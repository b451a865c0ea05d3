"""The minimal change: hier_config's diff plus secaudit's safety rules (platform-neutral).

For a platform with a remediation driver (:mod:`secaudit.remediate.driver`), a control's
remediation lines are merged into the running configuration with ``HConfig.future()``; the
*minimal* remediation is ``running.config_to_get_to(future)`` and the rollback
``future.config_to_get_to(running)``. Lines already configured drop out; negations (``undo `` /
``no ``) are computed by hier_config. On top of that, whatever the platform:

* a negation of something not configured is a no-op: neither sent nor rolled back
  (:func:`drop_noop_negations`; rolling back ``no http server`` must not enable it);
* the control's own prefix negation (``undo local-user admin``) replaces hier_config's
  line-by-line negations, which would need redacted values (:func:`collapse_prefix_negations`);
* safe rollbacks: the platform's kept sections (``slot 1``, ``interface ...``) and sections named
  by a placeholder are rolled back line by line, never removed whole; the platform's default-on
  lines (``info-center enable``) are never negated (:func:`placeholder_safe_rollback`,
  :func:`keep_defaults`).

What is platform-specific (kept sections, default-on lines, single-value settings) comes from the
tree's driver, i.e. from the platform's ``RemediationRules``; nothing here names a platform.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from hier_config import HConfig, HConfigChild, get_hconfig, get_hconfig_from_dump

from secaudit.models.enums import Platform
from secaudit.parse.config import split_one_line_banner, to_hconfig
from secaudit.platforms import get_platform
from secaudit.remediate.driver import driver_of, hconfig_driver

#: A control's placeholder: ``<ip-1>``, ``<key>``, ``<access-or-gNB-interface>``.
PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z0-9_.-]*>")
#: A value secaudit's redaction removed from the evidence: ``<redacted:cipher>``.
REDACTED = re.compile(r"<redacted(?::[A-Za-z0-9_-]+)*>")


def placeholders(lines: Iterable[str], pattern: re.Pattern[str] = PLACEHOLDER) -> tuple[str, ...]:
    """Placeholders (``<name>``) in ``lines``, in order of first appearance.

    Examples:
        >>> placeholders(["logging <ip-1> vrf MGMT", " 10 permit ipv4 <mgmt-net>/<len> any", "x <ip-1>"])
        ('<ip-1>', '<mgmt-net>', '<len>')
        >>> placeholders(["banner login ~ Authorized access only ~", "community <redacted:community>"])
        ()
        >>> placeholders(["snmp-server community <redacted:community> RO"], REDACTED)
        ('<redacted:community>',)
    """
    seen: dict[str, None] = {}
    for line in lines:
        for match in pattern.findall(line):
            seen.setdefault(match, None)
    return tuple(seen)


def _text_lines(child: HConfigChild) -> list[str]:
    """A node's text as lines; a negated multi-line banner is just ``no banner login``."""
    parts = child.text.split("\n")
    if len(parts) > 1 and child.text.startswith(child.driver.negation_prefix):
        head, _, delimiter = parts[0].rstrip().rpartition(" ")
        if head and (delimiter == "^C" or not any(ch.isalnum() for ch in delimiter)):
            return [head]
        return [parts[0]]
    return parts


def tree_lines(tree: HConfig | HConfigChild, *, exits: bool = True) -> tuple[str, ...]:
    """Render a tree one space per level (the running-configuration form), with the section exits.

    Examples:
        >>> t = parse_lines("huawei_vrp", ["aaa", " user-password min-len 12", "info-center enable"])
        >>> tree_lines(t)
        ('aaa', ' user-password min-len 12', ' quit', 'info-center enable')
        >>> tree_lines(t, exits=False)
        ('aaa', ' user-password min-len 12', 'info-center enable')
    """
    out: list[str] = []

    def walk(node: HConfig | HConfigChild, depth: int) -> None:
        for child in sorted(node.children):
            out.extend(f"{' ' * depth}{part}" for part in _text_lines(child))
            walk(child, depth + 1)
            if exits and (exit_text := child.sectional_exit):
                level = depth if child.sectional_exit_text_parent_level else depth + 1
                out.append(f"{' ' * level}{exit_text}")

    walk(tree, 0 if isinstance(tree, HConfig) else tree.depth())
    return tuple(out)


def parse_lines(platform: Platform | str, lines: Iterable[str]) -> HConfig:
    """Parse indented configuration lines (a control's remediation, a plan's block) into a tree.

    Section exits (``quit``, ``exit``, ``root``) at the end of a section are dropped.
    """
    expanded = [part for line in lines if line.strip() for part in split_one_line_banner(line)]
    return get_hconfig(hconfig_driver(platform), "\n".join(expanded))


def running_tree(platform: Platform | str, text: str) -> HConfig:
    """``to_hconfig`` on the running configuration, re-homed onto secaudit's remediation driver."""
    tree = to_hconfig(get_platform(platform), text)
    return get_hconfig_from_dump(hconfig_driver(platform), tree.dump())


def config_text(platform: Platform | str, tree: HConfig) -> str:
    """A tree written back in the platform's running-configuration form (``return`` / ``end``)."""
    end = get_platform(platform).config_end_marker or ""
    return "\n".join((*tree_lines(tree, exits=False), end, ""))


def placeholder_safe_rollback(rollback: HConfig | HConfigChild, future: HConfig | HConfigChild) -> list[str]:
    """Make a computed rollback safe where the remediation holds placeholders; returns dropped lines.

    A kept section (``RemediationRules.keep_sections``) new to hier_config (``slot 1``) is rolled
    back line by line, never removed whole. hier_config cannot know whether ``<u>`` names an
    existing object, so:

    * a section named by a placeholder is never removed whole: ``username <u>`` / `` policy SEC``
      rolls back as ``username <u>`` / `` no policy SEC``, not ``no username <u>`` (which, with a
      real name filled in, deletes an existing account); the same at every depth;
    * the inverse of a placeholder negation (``undo snmp-agent community <name>``) would re-add
      the bare line without its old attributes: it is dropped (returned), to be restored from the
      saved configuration.

    Examples:
        >>> run = parse_lines("cisco_xr", ["username noc", " secret 10 x"])
        >>> lines = ["username <u>", " policy SEC", "no snmp-server community <c>"]
        >>> rem, back, fut = minimal_change(run, lines)
        >>> tree_lines(back)
        ('no username <u>', 'snmp-server community <c>')
        >>> placeholder_safe_rollback(back, fut)
        ['snmp-server community <c>']
        >>> tree_lines(back)
        ('username <u>', ' no policy SEC', ' exit')

        A negation inside such a section (`` no password``) is not inverted into a bare line
        (`` password``, which would set no value): it is dropped and returned, like the top level.

        >>> rem, back, fut = minimal_change(run, ["username <u>", " secret 10 <p>", " no password"])
        >>> placeholder_safe_rollback(back, fut), tree_lines(back)
        (['password'], ('username <u>', ' no secret 10 <p>', ' exit'))
    """
    negation = rollback.driver.negation_prefix
    keep = driver_of(rollback).table.keep_sections
    dropped: list[str] = []
    for child in tuple(rollback.children):
        text = child.text
        if text.startswith(negation):
            if not PLACEHOLDER.search(text) and not keep.match(text.removeprefix(negation)):
                continue
            section = future.get_child(equals=text.removeprefix(negation))
            if section is None or not section.children:
                continue
            child.text = section.text
            child.comments.clear()
            for sub in section.children:
                if sub.text.startswith(negation) and not sub.children:
                    dropped.append(sub.text.removeprefix(negation))  # its inverse is a bare line
                    continue
                child.add_child(sub.text).negate()
            dropped.extend(placeholder_safe_rollback(child, section))
        elif child.children:
            counterpart = future.get_child(equals=text)
            if counterpart is not None:
                dropped.extend(placeholder_safe_rollback(child, counterpart))
            if not child.children:
                child.delete()
        elif PLACEHOLDER.search(text):
            dropped.append(text)
            child.delete()
    return dropped


def collapse_prefix_negations(remediation: HConfig, intended: HConfig) -> None:
    """Use the control's own negation where it removed several lines by prefix.

    ``undo local-user admin`` removes every ``local-user admin ...`` line; hier_config's diff
    negates each (``undo local-user admin password irreversible-cipher <redacted:cipher>`` ...),
    which may need redacted values. The control's single line does the same job.

    Examples:
        >>> run = parse_lines("huawei_vrp", ["aaa", " local-user admin a", " local-user admin z"])
        >>> rem, back, fut = minimal_change(run, ["aaa", " undo local-user admin"])
        >>> tree_lines(rem)
        ('aaa', ' undo local-user admin', ' quit')
        >>> tree_lines(back)
        ('aaa', ' local-user admin a', ' local-user admin z', ' quit')
    """
    prefix = remediation.driver.negation_prefix
    for node in intended.all_children():
        if not node.text.startswith(prefix) or node.children:
            continue
        parent: HConfig | HConfigChild | None = remediation
        for ancestor in tuple(node.lineage())[:-1]:
            parent = parent.get_child(equals=ancestor.text) if parent is not None else None
        if parent is None or parent.get_child(equals=node.text) is not None:
            continue
        positive = f"{node.text_without_negation} "
        matched = [
            c
            for c in parent.children
            if c.text.startswith(prefix) and not c.children and c.text_without_negation.startswith(positive)
        ]
        if matched:
            matched[0].text = node.text
            matched[0].comments.clear()
            for extra in matched[1:]:
                extra.delete()


def keep_defaults(rollback: HConfig, running: HConfig) -> list[str]:
    """Remove rollback negations of default-on lines, at any depth; returns the lines kept on.

    Default-on lines are the platform's ``RemediationRules.default_on``. A negation the running
    configuration itself shows at the same place (``undo info-center enable``, or ``aaa`` /
    ``undo user-security-policy enable``) stays: then it is the state to return to. A block left
    empty by the removal goes too.

    Examples:
        >>> run = parse_lines("huawei_vrp", ["sysname R1"])
        >>> rem, back, fut = minimal_change(run, ["info-center enable"])
        >>> keep_defaults(back, run), tree_lines(back)
        (['info-center enable'], ())
        >>> run = parse_lines("huawei_vrp", ["aaa", " local-user noc level 3"])
        >>> rem, back, fut = minimal_change(run, ["aaa", " user-security-policy enable"])
        >>> keep_defaults(back, run), tree_lines(back)
        (['user-security-policy enable'], ())
    """
    defaults = driver_of(rollback).table.default_on
    prefix = rollback.driver.negation_prefix

    def shown_in_running(node: HConfigChild) -> bool:
        current: HConfig | HConfigChild | None = running
        for text in [n.text for n in node.lineage()]:
            current = current.get_child(equals=text) if current is not None else None
        return current is not None

    kept = [
        c
        for c in rollback.all_children()
        if c.text.startswith(prefix) and c.text_without_negation in defaults and not shown_in_running(c)
    ]
    for child in kept:
        parent = child.parent
        child.delete()
        while isinstance(parent, HConfigChild) and not parent.children and parent.text not in ("",):
            grand = parent.parent
            parent.delete()
            parent = grand
    return [c.text_without_negation for c in kept]


def minimal_change(running: HConfig, lines: Sequence[str]) -> tuple[HConfig, HConfig, HConfig]:
    """``(remediation, rollback, future)`` for applying ``lines`` to ``running``.

    ``lines`` are configuration lines (no exec commands), hierarchical by leading spaces.

    Examples:
        >>> vrp = "huawei_vrp"
        >>> run = parse_lines(vrp, ["aaa", " user-password min-len 6", "telnet server enable"])
        >>> lines = ["aaa", " user-password min-len 12", "telnet server disable"]
        >>> rem, back, fut = minimal_change(run, lines)
        >>> tree_lines(rem)
        ('aaa', ' user-password min-len 12', ' quit', 'telnet server disable')
        >>> tree_lines(back)
        ('aaa', ' user-password min-len 6', ' quit', 'telnet server enable')

        A negation of something not configured is a no-op: it is neither sent nor rolled back
        (rolling back ``no http server`` with ``http server`` would enable a server that was off).

        >>> rem, back, fut = minimal_change(run, ["undo ftp server enable", "telnet server disable"])
        >>> tree_lines(rem), tree_lines(back)
        (('telnet server disable',), ('telnet server enable',))
    """
    intended = parse_lines(driver_of(running).platform, lines)
    future = running.future(intended)
    drop_noop_negations(future, running)
    remediation = running.config_to_get_to(future).set_order_weight()
    collapse_prefix_negations(remediation, intended)
    rollback = future.config_to_get_to(running).set_order_weight()
    return remediation, rollback, future


def _negation_applies(negation: HConfigChild, running: HConfig | HConfigChild) -> bool:
    """Does a negation line change ``running``: exact line, same single-value setting, or prefix."""
    positive = negation.text_without_negation
    return (
        running.get_child(equals=positive) is not None
        or running.driver.idempotent_for(negation, running.children) is not None
        or any(child.text.startswith(f"{positive} ") for child in running.children)
    )


def drop_noop_negations(future: HConfig | HConfigChild, running: HConfig | HConfigChild | None) -> None:
    """Remove from ``future`` the negations hier_config kept because they matched nothing.

    hier_config keeps such a line (``no http server`` on a device without one) as a literal. It
    changes nothing on the device, so it is not part of a minimal remediation, and its inverse
    (``http server``) must never appear in a rollback. Negations with placeholders stay: whether
    they match is unknown, and so do negations inside a section named by a placeholder. A section
    the pruning empties, and which the running configuration does not have (``grpc`` /
    `` no no-tls``), goes too: sending it would create the section.
    """
    prefix = future.driver.negation_prefix
    for child in tuple(future.children):
        counterpart = running.get_child(equals=child.text) if running is not None else None
        if counterpart is not None and not child.children:
            continue
        if child.text.startswith(prefix) and counterpart is None and not child.children:
            if PLACEHOLDER.search(child.text) is None and (
                running is None or not _negation_applies(child, running)
            ):
                child.delete()
            continue
        if counterpart is None and PLACEHOLDER.search(child.text):
            continue  # ``username <u>`` may well exist: keep its `` no password``
        had_children = bool(child.children)
        drop_noop_negations(child, counterpart)
        if had_children and not child.children and counterpart is None:
            child.delete()
