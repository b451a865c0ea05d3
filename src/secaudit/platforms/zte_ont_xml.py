"""ZTE ONT ``db_user_cfg.xml`` configuration export (decrypted XML from an ACS or backup)."""

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import PlatformSpec

PLATFORM = PlatformSpec(
    name=Platform.ZTE_ONT_XML,
    display="ZTE ONT db_user_cfg.xml export",
    default_role=Role.GATEWAY,
    models=("F660", "F670L"),
    netmiko_device_type=None,
    ntc_platform=None,
    hconfig_platform="GENERIC",
    config_command="db_user_cfg.xml",
    config_layout="xml",
    config_end_marker=None,  # complete = well-formed XML
    failure_markers=(),
    pager_markers=(),
    offline_only=True,
)
