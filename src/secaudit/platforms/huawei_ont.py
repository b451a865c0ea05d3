"""Huawei ONT/HGW local CLI (HG8245, EG8145). Answers end with ``success!``."""

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import PlatformSpec

PLATFORM = PlatformSpec(
    name=Platform.HUAWEI_ONT,
    display="Huawei ONT gateway",
    default_role=Role.GATEWAY,
    models=("HG8245H", "EG8145V5", "HG8310M"),
    netmiko_device_type="huawei_ont",
    ntc_platform="huawei_ont",
    hconfig_platform="GENERIC",
    config_command=None,
    config_layout="indented",
    config_end_marker=None,
    failure_markers=("ERROR::", "Error:", "Unknown command"),
    read_only_prefixes=("display ",),
)
