"""A platform is data: prompts, markers and the names other libraries use for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from secaudit.models.enums import Platform, Role

ConfigLayout = Literal["indented", "smartax_sections", "zte_sections", "xml"]


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """Everything secaudit needs to know about one platform, in one place.

    ``hconfig_platform`` names a ``hier_config.Platform`` member (``GENERIC`` where hier_config has
    no driver). ``config_end_marker`` is the line that closes a complete running configuration
    (``return``, ``end``); completeness is judged by structure in
    :mod:`secaudit.platforms.frame` (XML exports: well-formed; ZTE: sections closed).
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
