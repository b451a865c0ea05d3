"""Cisco IOS XR: NCS 540 / NCS 5500 / ASR 9000."""

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import PlatformSpec

PLATFORM = PlatformSpec(
    name=Platform.CISCO_XR,
    display="Cisco IOS XR",
    default_role=Role.EDGE5G,
    models=("NCS-540", "NCS-5501", "ASR-9001"),
    netmiko_device_type="cisco_xr",
    ntc_platform="cisco_xr",
    hconfig_platform="CISCO_XR",
    config_command="show running-config",
    config_layout="indented",
    config_end_marker="end",
    failure_markers=("% Invalid input", "% Incomplete command", "% Ambiguous command"),
    comment_prefixes=("!",),
    read_only_prefixes=("show ", "admin show "),
)
