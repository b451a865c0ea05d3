"""Remediation plans: for one host, the failing controls' fixes as ordered command blocks.

* ``huawei_vrp`` and ``cisco_xr`` (hier_config has real drivers): the control's remediation
  lines are merged into the running configuration with ``HConfig.future()``; the *minimal*
  remediation is ``running.config_to_get_to(future)`` and the rollback
  ``future.config_to_get_to(running)``. Lines already configured drop out; negations (``undo `` /
  ``no ``) are computed by hier_config. secaudit adds what the two drivers do not know:

  - single-value settings (:data:`SINGLE_VALUE_SETTINGS`; a line and its own negation are one
    setting too): ``idle-timeout 10 0`` replaces ``idle-timeout 60 0``, so the rollback
    restores the old value instead of sending ``undo``;
  - a negation of something not configured is a no-op: neither sent nor rolled back
    (:func:`drop_noop_negations`; rolling back ``no http server`` must not enable it);
  - the control's own prefix negation (``undo local-user admin``) replaces hier_config's
    line-by-line negations, which would need redacted values (:func:`collapse_prefix_negations`);
  - safe rollbacks: hardware sections (``slot 1``, ``interface ...``) and sections named by a
    placeholder are rolled back line by line, never removed whole; platform defaults
    (``info-center enable``) are never negated (:func:`placeholder_safe_rollback`,
    :func:`keep_defaults`).
* Every other platform (SmartAX, ZTE, ONT CLI, ...), a VRP/XR control without configuration
  evidence, or a host without a readable running configuration: the control's own remediation
  and rollback lines, as written (templates).

Lines holding placeholders (``<ip-1>``, ``<key>``) or values redacted from the evidence
(``<redacted:cipher>``) are kept, and their block is marked ``REQUIRES VALUES`` so nobody
pastes it blindly. One-off commands in a remediation (``save``, ``rsa local-key-pair create``,
``crypto key generate rsa``) are not configuration lines: they are listed after the
configuration and have no rollback.

The plan is advice for an engineer, never applied by secaudit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from hier_config import HConfig, HConfigChild, MatchRule, get_hconfig, get_hconfig_from_dump
from hier_config.exceptions import DuplicateChildError
from hier_config.models import IdempotentCommandsRule
from hier_config.platforms.cisco_xr.driver import HConfigDriverCiscoIOSXR
from hier_config.platforms.driver_base import HConfigDriverBase, HConfigDriverRules
from hier_config.platforms.huawei_vrp.driver import HConfigDriverHuaweiVrp
from pydantic import Field

from secaudit.collect.text import command_slug, decode_output
from secaudit.errors import ParseError
from secaudit.models.base import Frozen
from secaudit.models.control import Control, PlatformCheck
from secaudit.models.enums import SEVERITY_ORDER, Platform, Severity, Status
from secaudit.models.finding import Finding
from secaudit.parse.config import split_one_line_banner, to_tree
from secaudit.platforms import get_platform

#: A control's placeholder: ``<ip-1>``, ``<key>``, ``<access-or-gNB-interface>``.
PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z0-9_.-]*>")
#: A value secaudit's redaction removed from the evidence: ``<redacted:cipher>``.
REDACTED = re.compile(r"<redacted(?::[A-Za-z0-9_-]+)*>")

#: Platforms whose remediation is computed by hier_config from the running configuration.
HCONFIG_PLATFORMS: frozenset[Platform] = frozenset({Platform.HUAWEI_VRP, Platform.CISCO_XR})

#: One-off commands (not configuration lines) that controls put in their remediation.
EXEC_COMMANDS: Mapping[Platform, re.Pattern[str]] = {
    Platform.HUAWEI_VRP: re.compile(r"^(save|(rsa|dsa|ecc) local-key-pair create|display|reset)\b"),
    Platform.CISCO_XR: re.compile(r"^(crypto key generate|show|clear|commit)\b"),
}

#: How an engineer enters and leaves configuration mode (shown in the plan header).
CONFIG_MODE: Mapping[Platform, str] = {
    Platform.HUAWEI_VRP: "enter with 'system-view'; VRP8: 'commit' before leaving; leave with 'return'",
    Platform.CISCO_XR: "enter with 'configure'; 'commit' before leaving; leave with 'end'",
}

#: Sections that are hardware or always present (``interface``, ``slot``, ``user-interface``,
#: ``line``): a rollback never removes them whole (``undo slot 1``), it undoes their lines.
KEEP_SECTIONS: Mapping[Platform, re.Pattern[str]] = {
    Platform.HUAWEI_VRP: re.compile(r"^(interface|slot|user-interface) "),
    Platform.CISCO_XR: re.compile(r"^(interface|line) "),
}

#: Lines that are the platform default (on, and not displayed): a rollback never negates them.
#: Without this, rolling back ``info-center enable`` would switch logging off.
DEFAULT_ON: Mapping[Platform, frozenset[str]] = {
    Platform.HUAWEI_VRP: frozenset({"info-center enable", "user-security-policy enable"}),
    Platform.CISCO_XR: frozenset(),
}

_STATUS_ORDER: Mapping[Status, int] = {Status.FAIL: 0, Status.WARN: 1}


#: Settings that hold one value: configuring one form replaces the other (hier_config's
#: idempotent commands). Each rule is one regex per level; a regex with groups keys the setting
#: by its groups (``^(telnet server) (enable|disable)`` makes both forms one setting, ``^(ntp-service
#: unicast-server \S+)`` one setting per server), a regex without groups by its whole match.
#: Every line is also one setting with its own negation (:func:`_negation_pair`): on VRP
#: ``user-password complexity-check`` replaces a displayed ``undo user-password complexity-check``.
SINGLE_VALUE_SETTINGS: Mapping[Platform, tuple[tuple[str, ...], ...]] = {
    Platform.HUAWEI_VRP: (
        (r"^(clock timezone)(?: |$)",),
        (r"^ospf ", r"^area ", r"^(authentication-mode)(?: |$)"),
        (r"^(info-center timestamp \S+)(?: |$)",),
        (r"^(info-center loghost source)(?: |$)",),
        (r"^(info-center source \S+ channel \S+ log level)(?: |$)",),
        (r"^(info-center source \S+ channel \S+ log state)(?: |$)",),
        (r"^(telnet(?: ipv6)? server) (?:enable|disable)$",),
        (r"^(ssh server (?:cipher|hmac|key-exchange|dh-exchange min-len))(?: |$)",),
        (r"^(header (?:login|shell))(?: |$)",),
        (r"^(snmp-agent trap source)(?: |$)",),
        (r"^(snmp-agent sys-info version)(?: |$)",),
        (r"^snmp-agent community (?:read |write )?(?:cipher )?(\S+)(?: |$)",),
        (r"^(snmp-agent group v3 \S+)(?: |$)",),
        (r"^(snmp-agent usm-user v3 \S+ (?:group|authentication-mode|privacy-mode))(?: |$)",),
        (r"^(ntp-service source-interface)(?: |$)",),
        (r"^(ntp-service unicast-server \S+)(?: |$)",),
        (r"^(ntp-service authentication-keyid \d+)(?: |$)",),
        (r"^(set save-configuration)(?: |$)",),
        (r"^(user-password min-len)(?: |$)",),
        (r"^aaa$", r"^(user-password min-len)(?: |$)"),
        (r"^aaa$", r"^(local-aaa-user wrong-password)(?: |$)"),
        (r"^aaa$", r"^(remote-aaa-user authen-fail)(?: |$)"),
        (r"^aaa$", r"^(local-user \S+ (?:password|level|service-type))(?: |$)"),
        (
            r"^aaa$",
            r"^(?:authentication|authorization|accounting|recording)-scheme ",
            r"^(authentication-mode|authorization-mode|accounting-mode|recording-mode)(?: |$)",
        ),
        (r"^aaa$", r"^authorization-scheme ", r"^(authorization-cmd \d+)(?: |$)"),
        (
            r"^aaa$",
            r"^domain ",
            r"^(authentication-scheme|authorization-scheme|accounting-scheme"
            r"|hwtacacs-server)(?: |$)",
        ),
        (r"^aaa$", r"^local-aaa-user password policy ", r"^(password expire)(?: |$)"),
        (r"^aaa$", r"^local-aaa-user password policy ", r"^(password history record number)(?: |$)"),
        (r"^user-interface ", r"^(idle-timeout)(?: |$)"),
        (r"^user-interface ", r"^(authentication-mode)(?: |$)"),
        (r"^user-interface ", r"^(protocol inbound)(?: |$)"),
        (r"^user-interface ", r"^(user privilege level)(?: |$)"),
        (r"^user-interface ", r"^(acl(?: ipv6)?) \S+ inbound$"),
        (r"^interface ", r"^(ip binding vpn-instance)(?: |$)"),
        (r"^interface ", r"^(ip address) \S+ \S+$"),
    ),
    Platform.CISCO_XR: (
        (r"^(clock timezone)(?: |$)",),
        (r"^(service timestamps log)(?: |$)",),
        (r"^(logging trap)(?: |$)",),
        (r"^(logging \S+ vrf \S+)(?: |$)",),
        (r"^(ssh timeout)(?: |$)",),
        (r"^(ssh server algorithms (?:cipher|key-exchange|hostkey))(?: |$)",),
        (r"^(snmp-server community \S+)(?: |$)",),
        (r"^(snmp-server group \S+)(?: |$)",),
        (r"^(snmp-server user \S+)(?: |$)",),
        (
            r"^aaa password-policy ",
            r"^(min-length|max-length|upper-case|lower-case|numeric|special-char"
            r"|lifetime|restrict-old-count|authen-max-attempts|lockout-time|min-char-change) ",
        ),
        (r"^username ", r"^(policy)(?: |$)"),
        (r"^username ", r"^(secret)(?: |$)"),
        (r"^line ", r"^(exec-timeout)(?: |$)"),
        (r"^line ", r"^(transport input)(?: |$)"),
        (r"^line ", r"^(access-class ingress)(?: |$)"),
        (r"^line ", r"^(login authentication)(?: |$)"),
        (r"^ntp$", r"^(authentication-key \d+)(?: |$)"),
        (r"^ntp$", r"^(server(?: vrf \S+)? \S+)(?: |$)"),
        (r"^interface ", r"^(vrf)(?: |$)"),
        (r"^router isis ", r"^interface ", r"^(hello-password)(?: |$)"),
        (r"^router isis ", r"^(lsp-password)(?: |$)"),
        (r"^aaa group server tacacs\+ ", r"^(vrf)(?: |$)"),
    ),
}

_NEGATION_PREFIX: Mapping[Platform, str] = {Platform.HUAWEI_VRP: "undo ", Platform.CISCO_XR: "no "}


def _setting_rule(platform: Platform, levels: tuple[str, ...]) -> IdempotentCommandsRule:
    """An idempotent-command rule whose last level also matches the negated form.

    hier_config matches rules against the line as written (``undo local-aaa-user wrong-password``)
    but keys them on the line without its negation, so the match must allow the prefix.

    Examples:
        >>> _setting_rule(Platform.HUAWEI_VRP, ("^aaa$", "^(x y)(?: |$)")).match_rules[-1].re_search
        '^(?:undo )?(x y)(?: |$)'
    """
    *parents, last = levels
    negation = re.escape(_NEGATION_PREFIX[platform].strip()) + " "
    last = f"^(?:{negation})?{last.removeprefix('^')}"
    return IdempotentCommandsRule(match_rules=tuple(MatchRule(re_search=lvl) for lvl in (*parents, last)))


def _extend(rules: HConfigDriverRules, platform: Platform) -> HConfigDriverRules:
    extra = [_setting_rule(platform, levels) for levels in SINGLE_VALUE_SETTINGS.get(platform, ())]
    return rules.model_copy(update={"idempotent_commands": [*rules.idempotent_commands, *extra]})


def _negation_pair(
    driver: HConfigDriverBase, config: HConfigChild, others: Iterable[HConfigChild]
) -> HConfigChild | None:
    """The sibling that is ``config``'s own negation (``X`` for ``undo X`` and the reverse)."""
    prefix = driver.negation_prefix
    pair = config.text.removeprefix(prefix) if config.text.startswith(prefix) else f"{prefix}{config.text}"
    return next((other for other in others if other.text == pair), None)


class _NegationPairMixin(HConfigDriverBase):
    """A line and its own negation replace each other, before the driver's own rules."""

    def idempotent_for(
        self, config: HConfigChild, other_children: Iterable[HConfigChild]
    ) -> HConfigChild | None:
        others = tuple(other_children)
        return _negation_pair(self, config, others) or super().idempotent_for(config, others)


class _VrpDriver(_NegationPairMixin, HConfigDriverHuaweiVrp):
    """hier_config's VRP driver plus secaudit's single-value settings."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        return _extend(HConfigDriverHuaweiVrp._instantiate_rules(), Platform.HUAWEI_VRP)


class _XrDriver(_NegationPairMixin, HConfigDriverCiscoIOSXR):
    """hier_config's IOS XR driver plus secaudit's single-value settings."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        return _extend(HConfigDriverCiscoIOSXR._instantiate_rules(), Platform.CISCO_XR)


def hconfig_driver(platform: Platform) -> HConfigDriverBase:
    """The hier_config driver secaudit uses to plan remediation on ``platform``.

    Examples:
        >>> type(hconfig_driver(Platform.CISCO_XR)).__name__
        '_XrDriver'
        >>> hconfig_driver(Platform.ZTE_ZXA10)
        Traceback (most recent call last):
        ...
        ValueError: no hier_config remediation driver for zte_zxa10
    """
    if platform is Platform.HUAWEI_VRP:
        return _VrpDriver()
    if platform is Platform.CISCO_XR:
        return _XrDriver()
    raise ValueError(f"no hier_config remediation driver for {platform.value}")


# --------------------------------------------------------------------------------------------
# pure helpers


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


def split_exec(platform: Platform, lines: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split remediation lines into configuration lines and exec-mode commands.

    Examples:
        >>> split_exec(Platform.HUAWEI_VRP, ["ssh server v2", "rsa local-key-pair create", "save"])
        (('ssh server v2',), ('rsa local-key-pair create', 'save'))
        >>> split_exec(Platform.CISCO_XR, ["ssh timeout 60", "crypto key generate rsa"])
        (('ssh timeout 60',), ('crypto key generate rsa',))
    """
    pattern = EXEC_COMMANDS.get(platform)
    config: list[str] = []
    execs: list[str] = []
    for line in lines:
        (execs if pattern is not None and pattern.match(line) else config).append(line)
    return tuple(config), tuple(execs)


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
    """Render a tree one space per level (the VRP/XR form), with the driver's section exits.

    Examples:
        >>> t = parse_lines(Platform.HUAWEI_VRP, ["aaa", " user-password min-len 12", "info-center enable"])
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


def parse_lines(platform: Platform, lines: Iterable[str]) -> HConfig:
    """Parse indented configuration lines (a control's remediation, a plan's block) into a tree.

    Section exits (``quit``, ``exit``, ``root``) at the end of a section are dropped.
    """
    expanded = [part for line in lines if line.strip() for part in split_one_line_banner(line)]
    return get_hconfig(hconfig_driver(platform), "\n".join(expanded))


def running_tree(platform: Platform, text: str) -> HConfig:
    """``to_tree`` on the running configuration, re-homed onto secaudit's remediation driver."""
    tree = to_tree(get_platform(platform), text)
    return get_hconfig_from_dump(hconfig_driver(platform), tree.dump())


def config_text(platform: Platform, tree: HConfig) -> str:
    """A tree written back in the platform's running-configuration form (``return`` / ``end``)."""
    end = get_platform(platform).config_end_marker or ""
    return "\n".join((*tree_lines(tree, exits=False), end, ""))


def placeholder_safe_rollback(rollback: HConfig | HConfigChild, future: HConfig | HConfigChild) -> list[str]:
    """Make a computed rollback safe where the remediation holds placeholders; returns dropped lines.

    A :data:`KEEP_SECTIONS` section new to hier_config (``slot 1``) is rolled back line by line,
    never removed whole. hier_config cannot know whether ``<u>`` names an existing object, so:

    * a section named by a placeholder is never removed whole: ``username <u>`` / `` policy SEC``
      rolls back as ``username <u>`` / `` no policy SEC``, not ``no username <u>`` (which, with a
      real name filled in, deletes an existing account); the same at every depth;
    * the inverse of a placeholder negation (``undo snmp-agent community <name>``) would re-add
      the bare line without its old attributes: it is dropped (returned), to be restored from the
      saved configuration.

    Examples:
        >>> run = parse_lines(Platform.CISCO_XR, ["username noc", " secret 10 x"])
        >>> lines = ["username <u>", " policy SEC", "no snmp-server community <c>"]
        >>> rem, back, fut = minimal_change(run, lines)
        >>> tree_lines(back)
        ('no username <u>', 'snmp-server community <c>')
        >>> placeholder_safe_rollback(back, fut)
        ['snmp-server community <c>']
        >>> tree_lines(back)
        ('username <u>', ' no policy SEC', ' exit')
    """
    negation = rollback.driver.negation_prefix
    keep = KEEP_SECTIONS[_platform_of(rollback.root)]
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
        >>> run = parse_lines(Platform.HUAWEI_VRP, ["aaa", " local-user admin a", " local-user admin z"])
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
    """Remove rollback negations of :data:`DEFAULT_ON` lines, at any depth; returns the lines kept on.

    A negation the running configuration itself shows at the same place (``undo info-center
    enable``, or ``aaa`` / ``undo user-security-policy enable``) stays: then it is the state to
    return to. A block left empty by the removal goes too.

    Examples:
        >>> run = parse_lines(Platform.HUAWEI_VRP, ["sysname R1"])
        >>> rem, back, fut = minimal_change(run, ["info-center enable"])
        >>> keep_defaults(back, run), tree_lines(back)
        (['info-center enable'], ())
        >>> run = parse_lines(Platform.HUAWEI_VRP, ["aaa", " local-user noc level 3"])
        >>> rem, back, fut = minimal_change(run, ["aaa", " user-security-policy enable"])
        >>> keep_defaults(back, run), tree_lines(back)
        (['user-security-policy enable'], ())
    """
    defaults = DEFAULT_ON[_platform_of(rollback)]
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
        >>> vrp = Platform.HUAWEI_VRP
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
    intended = parse_lines(_platform_of(running), lines)
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


def negation_of(platform: Platform, line: str) -> str:
    """``line`` with the platform's negation prefix added.

    Examples:
        >>> negation_of(Platform.HUAWEI_VRP, "snmp-agent community <name>")
        'undo snmp-agent community <name>'
    """
    return f"{_NEGATION_PREFIX[platform]}{line}"


def _platform_of(tree: HConfig) -> Platform:
    if isinstance(tree.driver, HConfigDriverHuaweiVrp):
        return Platform.HUAWEI_VRP
    if isinstance(tree.driver, HConfigDriverCiscoIOSXR):
        return Platform.CISCO_XR
    raise ValueError(f"no remediation platform for driver {type(tree.driver).__name__}")


# --------------------------------------------------------------------------------------------
# the plan


Method = Literal["minimal", "template"]


class ControlFix(Frozen):
    """The fix for one failing (or warning) control on one host."""

    control_id: str
    control_version: int
    title: str
    severity: Severity
    status: Status
    message: str
    method: Method = Field(description="minimal: computed by hier_config; template: the control's lines")
    remediation: tuple[str, ...] = ()
    exec_commands: tuple[str, ...] = Field(
        default=(), description="one-off commands (not configuration lines), after the configuration"
    )
    rollback: tuple[str, ...] = ()
    rollback_known: bool = False
    requires_values: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class RemediationPlan(Frozen):
    """Every fix for one host, most urgent first."""

    run_id: str
    host: str
    platform: Platform
    running_config: bool = Field(description="a readable running configuration was used")
    fixes: tuple[ControlFix, ...] = ()
    waived: tuple[str, ...] = Field(default=(), description="failing controls left out: waived")
    notes: tuple[str, ...] = ()


def _order(finding: Finding) -> tuple[int, int, str]:
    return (_STATUS_ORDER[finding.status], SEVERITY_ORDER[finding.severity], finding.control_id)


def _has_config_evidence(check: PlatformCheck) -> bool:
    return any(e.parser == "config" for e in check.evidence)


def _template_fix(
    finding: Finding, check: PlatformCheck | None, notes: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]:
    lines = check.remediation if check is not None else finding.remediation
    rollback = check.rollback if check is not None else ()
    config, execs = split_exec(finding.platform, lines)
    if not rollback:
        notes.append("rollback not known: restore the configuration saved before the change")
    return config, execs, rollback, bool(rollback)


def _minimal_fix(
    finding: Finding, check: PlatformCheck, running: HConfig, notes: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]:
    config, execs = split_exec(finding.platform, check.remediation)
    remediation, rollback, future = minimal_change(running, config)
    dropped = placeholder_safe_rollback(rollback, future)
    if dropped:
        notes.append(
            "rollback: restore from the saved configuration what these lines removed: "
            + "; ".join(f"'{negation_of(finding.platform, line)}'" for line in dropped)
        )
    kept = keep_defaults(rollback, running)
    if kept:
        notes.append(f"rollback leaves the platform default on: {', '.join(kept)}")
    rem_lines = tree_lines(remediation)
    back_lines = tree_lines(rollback)
    if not rem_lines and config:
        notes.append(
            "every configuration line of the control's remediation is already configured: "
            "the failure needs a change the control's lines do not express"
        )
    if placeholders(back_lines):
        notes.append(
            "the rollback treats placeholder objects as new: if a value names an existing object, "
            "restore its lines from the saved configuration instead"
        )
    if execs:
        notes.append(f"one-off commands have no rollback: {', '.join(execs)}")
    return rem_lines, execs, back_lines, bool(back_lines) or not rem_lines


def fix_for(finding: Finding, control: Control | None, running: HConfig | None) -> ControlFix:
    """The fix for one finding: minimal (hier_config) when ``running`` is given and usable."""
    check = control.platforms.get(finding.platform) if control is not None else None
    notes: list[str] = []
    if control is None:
        notes.append("control not in the loaded catalogue: lines are the finding's own remediation")
    elif control.version != finding.control_version:
        notes.append(
            f"the loaded control is v{control.version}, the finding was evaluated against "
            f"v{finding.control_version}: re-run the audit before applying"
        )
    use_minimal = (
        running is not None
        and check is not None
        and finding.platform in HCONFIG_PLATFORMS
        and _has_config_evidence(check)
        and bool(check.remediation)
    )
    method: Method = "template"
    if use_minimal and running is not None and check is not None:
        try:
            rem, execs, back, known = _minimal_fix(finding, check, running, notes)
            method = "minimal"
        except (DuplicateChildError, ValueError, TypeError) as exc:  # malformed control lines
            notes.append(f"hier_config could not compute a minimal change ({exc}): lines are the template")
    if method == "template":
        rem, execs, back, known = _template_fix(finding, check, notes)
    if not rem and not execs:
        notes.append("the control defines no remediation lines: see the finding message")
    every = (*rem, *execs, *back)
    redacted = placeholders(every, REDACTED)
    if redacted:
        notes.append(
            "values redacted in the evidence appear in this block: take them from the device "
            "or the saved configuration"
        )
    return ControlFix(
        control_id=finding.control_id,
        control_version=finding.control_version,
        title=finding.title,
        severity=finding.severity,
        status=finding.status,
        message=finding.message,
        method=method,
        remediation=rem,
        exec_commands=execs,
        rollback=back,
        rollback_known=known,
        requires_values=(*placeholders(every), *redacted),
        notes=tuple(notes),
    )


def needs_plan(findings: Iterable[Finding], host: str) -> bool:
    """Does ``host`` have a fail or warn finding that is not waived (so a plan file is due)?

    Examples:
        >>> needs_plan([], "r1")
        False
    """
    return any(f.host == host and f.status in _STATUS_ORDER and not f.waived for f in findings)


def running_config_text(evidence_root: Path, host: str, platform: Platform | str) -> str | None:
    """The host's running-configuration evidence (``<root>/<host>/<slug>.txt``), or ``None``."""
    command = get_platform(platform).config_command
    if command is None:
        return None
    path = evidence_root / host / f"{command_slug(command)}.txt"
    return decode_output(path.read_bytes()) if path.is_file() else None


def plan_for_host(  # noqa: PLR0917 - the signature the remediation issue asks for
    target_name: str,
    platform: Platform | str,
    findings: Iterable[Finding],
    controls_by_id: Mapping[str, Control],
    running_config_text: str | None,
    run_id: str,
) -> RemediationPlan:
    """The remediation plan of one host: its fail findings, then warn, each by severity.

    ``findings`` may hold other hosts' findings (they are ignored). Waived findings are listed
    but get no block. ``running_config_text`` is the host's running-configuration evidence; on
    VRP/XR it makes the fixes minimal, elsewhere it is not needed.
    """
    plat = Platform(platform)
    own = [f for f in findings if f.host == target_name and f.status in _STATUS_ORDER]
    waived = tuple(sorted(f.control_id for f in own if f.waived))
    notes: list[str] = []
    running: HConfig | None = None
    if plat in HCONFIG_PLATFORMS:
        if running_config_text is None:
            notes.append("no running configuration: fixes are the controls' templates, not minimal")
        else:
            try:
                running = running_tree(plat, running_config_text)
            except ParseError as exc:
                notes.append(f"running configuration unreadable ({exc}): fixes are the controls' templates")
    fixes = tuple(
        fix_for(f, controls_by_id.get(f.control_id), running)
        for f in sorted((f for f in own if not f.waived), key=_order)
    )
    return RemediationPlan(
        run_id=run_id,
        host=target_name,
        platform=plat,
        running_config=running is not None,
        fixes=fixes,
        waived=waived,
        notes=tuple(notes),
    )


def render_plan(plan: RemediationPlan) -> str:
    """The text of ``remediation/<host>.txt``."""
    spec = get_platform(plan.platform)
    versions = ", ".join(f"{f.control_id} v{f.control_version}" for f in plan.fixes) or "none"
    out = [
        f"# secaudit remediation plan - run {plan.run_id}",
        f"# host: {plan.host}",
        f"# platform: {plan.platform.value} ({spec.display})",
        "# GENERATED by secaudit from the audit findings. Review every line before use; secaudit",
        "# never applies it. Save the configuration first; apply block by block in a change window.",
        f"# controls: {versions}",
    ]
    if plan.platform in CONFIG_MODE:
        out.append(f"# configuration mode: {CONFIG_MODE[plan.platform]}")
    if plan.platform in HCONFIG_PLATFORMS:
        out.append(
            "# method: minimal commands computed by hier_config from the running configuration"
            if plan.running_config
            else "# method: the controls' own lines (no running configuration to compare with)"
        )
    else:
        out.append("# method: the controls' own lines (templates); some may already be configured")
    out.extend(f"# note: {n}" for n in plan.notes)
    if plan.waived:
        out.append(f"# waived (no block): {', '.join(plan.waived)}")
    if not plan.fixes:
        out.append("# nothing to remediate")
    for fix in plan.fixes:
        out.extend(("", f"## {fix.control_id} v{fix.control_version} {fix.title} [{fix.severity.value}]"))
        out.append(f"# status: {fix.status.value} - {fix.message}")
        if fix.requires_values:
            out.append(
                f"# REQUIRES VALUES: {', '.join(fix.requires_values)} - replace every placeholder "
                "before use; do not paste this block as it is"
            )
        out.extend(f"# note: {n}" for n in fix.notes)
        out.append("# remediation")
        out.extend(fix.remediation)
        if fix.exec_commands:
            out.append("# one-off commands (not configuration lines; run once, no rollback)")
            out.extend(fix.exec_commands)
        if fix.rollback_known:
            out.append("# rollback")
            out.extend(fix.rollback or ("# (nothing to roll back)",))
    out.append("")
    return "\n".join(out)
