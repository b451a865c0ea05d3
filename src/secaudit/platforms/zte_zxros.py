"""ZTE ZXCTN cell-site routers (ZXROS)."""

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import PlatformSpec

PLATFORM = PlatformSpec(
    name=Platform.ZTE_ZXROS,
    display="ZTE ZXCTN (ZXROS)",
    default_role=Role.EDGE5G,
    models=("ZXCTN 6120H-S", "ZXCTN 6180H"),
    netmiko_device_type="zte_zxros",
    ntc_platform="zte_zxros",
    hconfig_platform="GENERIC",
    config_command="show running-config",
    config_layout="zte_sections",
    config_end_marker="end",
    comment_prefixes=("!",),
    read_only_prefixes=("show ",),
)
