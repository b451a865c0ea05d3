"""FiberHome AN5516/AN6000 OLT: no netmiko driver, no CLI evidence; manual controls only."""

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import PlatformSpec

PLATFORM = PlatformSpec(
    name=Platform.FIBERHOME_AN,
    display="FiberHome AN OLT (manual only)",
    default_role=Role.OLT,
    models=("AN5516-06", "AN6000-17"),
    netmiko_device_type=None,
    ntc_platform=None,
    hconfig_platform="GENERIC",
    config_command=None,
    config_layout="indented",
    config_end_marker=None,
    offline_only=True,
)
