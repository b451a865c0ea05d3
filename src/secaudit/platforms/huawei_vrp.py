"""Huawei VRP routers: ATN 910, NE40E, CE (VRP5 and VRP8 syntax)."""

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import PlatformSpec

PLATFORM = PlatformSpec(
    name=Platform.HUAWEI_VRP,
    display="Huawei VRP (ATN/NE40E/CE)",
    default_role=Role.EDGE5G,
    models=("ATN 910C-B", "ATN 950", "NE40E-X8A", "NE40E-M2K", "CE6881"),
    netmiko_device_type="huawei_vrp",
    ntc_platform="huawei_vrp",
    hconfig_platform="HUAWEI_VRP",
    config_command="display current-configuration",
    config_layout="indented",
    config_end_marker="return",
    pager_markers=("---- More", "--More--"),
    comment_prefixes=("#", "!"),
    read_only_prefixes=("display ",),
)
