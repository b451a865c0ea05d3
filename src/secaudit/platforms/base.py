"""A platform is data: prompts, markers, the names other libraries use for it, and the tables the
remediation driver and the device lab read.

Everything secaudit knows about one platform lives in that platform's module under
``secaudit.platforms`` as one :class:`PlatformSpec`; the collectors, the parser, the remediation
driver and the lab read these fields and never name a platform themselves
(``tests/test_platform_registry.py`` enforces it; ``docs/add-a-platform.md`` is the recipe).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from secaudit.models.enums import Platform, Role

ConfigLayout = Literal["indented", "smartax_sections", "zte_sections", "xml"]


@dataclass(frozen=True, slots=True)
class RemediationRules:
    """The platform's table for the remediation driver (:mod:`secaudit.remediate.driver`).

    Only platforms with a real hier_config driver have one: their fixes are computed as a minimal
    change against the running configuration; every other platform gets the controls' own lines.
    The negation prefix (``undo `` / ``no ``) is hier_config's driver's own.

    * ``config_mode``: how an engineer enters and leaves configuration mode (plan header).
    * ``exec_commands``: one-off commands a control's remediation may hold (``save``, key
      generation): not configuration lines, listed after the configuration, never rolled back.
    * ``keep_sections``: hardware or always-present sections (``interface``, ``slot``, ``line``):
      a rollback never removes them whole (``undo slot 1``), it undoes their lines.
    * ``default_on``: platform defaults that are on and not displayed: a rollback never negates
      them (rolling back ``info-center enable`` would switch logging off).
    * ``single_value_settings``: settings that hold one value, so configuring one form replaces
      the other (hier_config's idempotent commands). One regex per level; a regex with groups keys
      the setting by its groups (``^(telnet server) (enable|disable)`` makes both forms one
      setting, ``^(ntp-service unicast-server \\S+)`` one setting per server), a regex without
      groups by its whole match. Every line is also one setting with its own negation.
    """

    config_mode: str
    exec_commands: re.Pattern[str]
    keep_sections: re.Pattern[str]
    default_on: frozenset[str] = frozenset()
    single_value_settings: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class CliProfile:
    """How the platform's CLI looks and reacts in the device lab (:mod:`secaudit.lab.shell`).

    Prompts are templates over ``{name}`` (``DeviceSpec.hostname_prompt``). Command names are
    matched case-insensitively; ``paging_off`` is a set of exact lower-case commands, plus
    ``paging_off_prefix`` followed by a number (SmartAX ``scroll 512``). Every shape is an
    emulation of what netmiko's unmodified drivers expect (``docs/collection-notes.md`` §2b and
    §7), not a capture: check it against a lab device before trusting it.
    """

    user_prompt: str
    error: str
    logout: tuple[str, ...]
    paging_off: tuple[str, ...] = ()
    paging_off_prefix: str | None = None
    pager: str | None = None
    page_lines: int = 24
    enable_prompt: str | None = None
    enable_command: str | None = None
    enable_password: bool = False
    disable_command: str | None = None
    caret: bool = True
    accepted: tuple[str, ...] = ()
    logout_confirm: str | None = None
    smart_mode: bool = False
    answer_suffix: str | None = None


@dataclass(frozen=True, slots=True)
class Setter:
    """A configuration line that changes what one display command shows (platforms whose
    configuration is read through display commands, such as the ONT CLI).

    ``line`` is a regex over the typed line; ``shown`` a regex over the output of ``command``
    whose match becomes ``template`` formatted with the line's groups.
    """

    line: str
    command: str
    shown: str
    template: str


@dataclass(frozen=True, slots=True)
class Derived:
    """A display output that follows the running configuration: while ``line`` is configured,
    ``command`` shows ``present`` where it would otherwise show ``absent``."""

    line: str
    command: str
    present: str
    absent: str


@dataclass(frozen=True, slots=True)
class ConfigSession:
    """How an engineer configures the platform: what ``secaudit remediate apply`` sends through
    netmiko, and how the device lab's configuration mode behaves (:mod:`secaudit.lab.config`).

    * ``enter`` / ``exit``: the commands that enter and leave configuration mode (the first of
      each is what ``apply`` uses); empty ``enter``: lines are typed at the privileged prompt.
    * ``commit``: the command that applies the candidate configuration (``None``: lines apply
      as typed); ``candidate``: lines wait for ``commit`` (XR) instead of applying at once.
    * ``leave``: leaves the current view (at the top, leaves configuration mode); ``leave_all``:
      back to the top of configuration mode (XR ``root``).
    * ``negation``: the undo/no prefix; ``indent``: spaces per level in the displayed
      configuration; ``separator``: the line the display puts before a new top-level block.
    * ``prompt`` / ``view_prompt``: lab prompts over ``{name}`` and ``{view}`` (the first word
      of the section's line).
    * ``containers``: regex of display-only section headers (SmartAX ``[global-config]``) whose
      lines are typed at the top level.
    * ``single_value``: lab-only regexes (one per level, as ``RemediationRules``) of settings that
      hold one value, on top of the remediation table's.
    * ``uncommitted``: the question the lab asks when leaving with uncommitted changes.
    * ``keywords``: command words the lab takes besides those its configuration already uses
      (any other word gets the platform's error).
    * ``enable``: enter privileged mode (netmiko ``enable()``) before configuring;
      ``mode_marker``: what the prompt holds in configuration mode.
    * ``setters`` / ``derived``: display outputs that follow configuration lines.
    """

    exit: tuple[str, ...]
    negation: str
    enter: tuple[str, ...] = ()
    commit: str | None = None
    candidate: bool = False
    leave: tuple[str, ...] = ()
    leave_all: tuple[str, ...] = ()
    indent: int = 1
    separator: str | None = None
    prompt: str = ""
    view_prompt: str = ""
    containers: str | None = None
    single_value: tuple[tuple[str, ...], ...] = ()
    uncommitted: str = ""
    keywords: tuple[str, ...] = ()
    enable: bool = False
    mode_marker: str = ")#"
    setters: tuple[Setter, ...] = ()
    derived: tuple[Derived, ...] = ()


@dataclass(frozen=True, slots=True)
class LabProfile:
    """How the embedded device lab simulates the platform.

    The canned outputs of a hardened device are ``src/secaudit/lab/data/<platform>/<slug>.txt``
    (one folder per platform that has a lab profile; :mod:`secaudit.lab.fleetdata`). ``family``
    is the inventory group the lab writes for the platform's devices and ``model`` the model they
    report.
    """

    cli: CliProfile
    family: str
    model: str


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """Everything secaudit needs to know about one platform, in one place.

    ``hconfig_platform`` names a ``hier_config.Platform`` member (``GENERIC`` where hier_config has
    no driver). ``config_end_marker`` is the line that closes a complete running configuration
    (``return``, ``end``); completeness is judged by structure in
    :mod:`secaudit.platforms.frame` (XML exports: well-formed; ZTE: sections closed).
    ``enable_before_commands``: the live collector enters privileged mode (netmiko ``enable()``)
    before the session set-up: the evidence commands need it, or the netmiko driver's disconnect
    from user mode is slow (ZTE: 10 s, ``docs/collection-notes.md`` §7.3).
    ``remediation`` is the remediation driver's table (``None``: template fixes only), ``lab``
    the device lab's profile (``None``: the lab does not simulate the platform) and
    ``config_session`` how configuration is entered (``None``: ``remediate apply`` cannot push).
    """

    name: Platform
    display: str
    default_role: Role
    models: tuple[str, ...]
    netmiko_device_type: str | None
    ntc_platform: str | None
    hconfig_platform: str
    config_command: str | None
    config_layout: ConfigLayout
    config_end_marker: str | None
    session_setup: tuple[str, ...] = ()
    failure_markers: tuple[str, ...] = ("Error:", "% Invalid input", "% Unknown command", "%Error")
    pager_markers: tuple[str, ...] = ("---- More", "--More--", "-- More --")
    comment_prefixes: tuple[str, ...] = ("#",)
    read_only_prefixes: tuple[str, ...] = ()
    offline_only: bool = False
    enable_before_commands: bool = False
    remediation: RemediationRules | None = None
    lab: LabProfile | None = None
    config_session: ConfigSession | None = None
