"""The remediation driver: a platform's hier_config driver, extended from the platform's own table.

One generic class serves every platform whose spec has
:class:`~secaudit.platforms.base.RemediationRules` (``PlatformSpec.remediation``): it is placed
in front of the hier_config driver the platform names (``hconfig_platform``) and adds what that
driver does not know, from the table:

* single-value settings (``single_value_settings``): ``idle-timeout 10 0`` replaces
  ``idle-timeout 60 0``, so the rollback restores the old value instead of sending ``undo``;
* a line and its own negation are one setting too (``user-password complexity-check`` replaces a
  displayed ``undo user-password complexity-check``).

The table's other entries (exec commands, kept sections, default-on lines, the configuration-mode
hint) are read by :mod:`secaudit.remediate.minimal`, :mod:`secaudit.remediate.plan` and
:mod:`secaudit.remediate.render` through :func:`driver_of` and :func:`rules_for`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import ClassVar, cast

from hier_config import HConfig, HConfigChild, MatchRule, get_hconfig_driver
from hier_config import Platform as HConfigPlatform
from hier_config.models import IdempotentCommandsRule
from hier_config.platforms.driver_base import HConfigDriverBase

from secaudit.models.enums import Platform
from secaudit.platforms import get_platform
from secaudit.platforms.base import RemediationRules


def setting_rule(negation_prefix: str, levels: tuple[str, ...]) -> IdempotentCommandsRule:
    """An idempotent-command rule whose last level also matches the negated form.

    hier_config matches rules against the line as written (``undo local-aaa-user wrong-password``)
    but keys them on the line without its negation, so the match must allow the prefix.

    Examples:
        >>> setting_rule("undo ", ("^aaa$", "^(x y)(?: |$)")).match_rules[-1].re_search
        '^(?:undo )?(x y)(?: |$)'
    """
    *parents, last = levels
    negation = re.escape(negation_prefix.strip()) + " "
    last = f"^(?:{negation})?{last.removeprefix('^')}"
    return IdempotentCommandsRule(match_rules=tuple(MatchRule(re_search=lvl) for lvl in (*parents, last)))


def _negation_pair(
    driver: HConfigDriverBase, config: HConfigChild, others: Iterable[HConfigChild]
) -> HConfigChild | None:
    """The sibling that is ``config``'s own negation (``X`` for ``undo X`` and the reverse)."""
    prefix = driver.negation_prefix
    pair = config.text.removeprefix(prefix) if config.text.startswith(prefix) else f"{prefix}{config.text}"
    return next((other for other in others if other.text == pair), None)


class RemediationDriver(HConfigDriverBase):
    """The generic part of every remediation driver; :func:`hconfig_driver` puts it in front of a
    platform's hier_config driver and gives it the platform's table.
    """

    platform: ClassVar[Platform]
    table: ClassVar[RemediationRules]

    def __init__(self) -> None:
        super().__init__()
        extra = [setting_rule(self.negation_prefix, levels) for levels in self.table.single_value_settings]
        self.rules = self.rules.model_copy(
            update={"idempotent_commands": [*self.rules.idempotent_commands, *extra]}
        )

    def idempotent_for(
        self, config: HConfigChild, other_children: Iterable[HConfigChild]
    ) -> HConfigChild | None:
        """A line and its own negation replace each other, before the hier_config driver's rules."""
        others = tuple(other_children)
        return _negation_pair(self, config, others) or super().idempotent_for(config, others)


def rules_for(platform: Platform | str) -> RemediationRules | None:
    """The platform's remediation table; ``None`` when its fixes are the controls' own lines.

    Examples:
        >>> rules_for("cisco_xr").keep_sections.pattern
        '^(interface|line) '
        >>> rules_for("zte_zxa10") is None
        True
    """
    return get_platform(platform).remediation


@cache
def _driver_class(platform: Platform) -> type[RemediationDriver]:
    spec = get_platform(platform)
    if spec.remediation is None:
        raise ValueError(f"no hier_config remediation driver for {spec.name.value}")
    base = type(get_hconfig_driver(HConfigPlatform[spec.hconfig_platform]))
    name = f"Remediation{base.__name__.removeprefix('HConfigDriver')}"
    namespace = {"platform": spec.name, "table": spec.remediation, "__module__": __name__}
    return cast(type[RemediationDriver], type(name, (RemediationDriver, base), namespace))


def hconfig_driver(platform: Platform | str) -> RemediationDriver:
    """The hier_config driver secaudit uses to plan remediation on ``platform``.

    Examples:
        >>> type(hconfig_driver("cisco_xr")).__name__
        'RemediationCiscoIOSXR'
        >>> hconfig_driver("huawei_vrp").negation_prefix
        'undo '
        >>> hconfig_driver("zte_zxa10")
        Traceback (most recent call last):
        ...
        ValueError: no hier_config remediation driver for zte_zxa10
    """
    return _driver_class(Platform(platform))()


def driver_of(node: HConfig | HConfigChild) -> RemediationDriver:
    """The remediation driver of a tree (or of the tree a node belongs to)."""
    driver = node.driver
    if not isinstance(driver, RemediationDriver):
        raise TypeError(f"not a remediation tree: driver {type(driver).__name__}")
    return driver


def split_exec(platform: Platform | str, lines: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split remediation lines into configuration lines and exec-mode (one-off) commands.

    Examples:
        >>> split_exec("huawei_vrp", ["ssh server v2", "rsa local-key-pair create", "save"])
        (('ssh server v2',), ('rsa local-key-pair create', 'save'))
        >>> split_exec("cisco_xr", ["ssh timeout 60", "crypto key generate rsa"])
        (('ssh timeout 60',), ('crypto key generate rsa',))
    """
    table = rules_for(platform)
    pattern = table.exec_commands if table is not None else None
    config: list[str] = []
    execs: list[str] = []
    for line in lines:
        (execs if pattern is not None and pattern.match(line) else config).append(line)
    return tuple(config), tuple(execs)


def negation_of(platform: Platform | str, line: str) -> str:
    """``line`` with the platform's negation prefix added.

    Examples:
        >>> negation_of("huawei_vrp", "snmp-agent community <name>")
        'undo snmp-agent community <name>'
    """
    return f"{hconfig_driver(platform).negation_prefix}{line}"
