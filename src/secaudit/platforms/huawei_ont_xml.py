"""Huawei ONT ``hw_ctree.xml`` configuration export (decrypted XML from an ACS or backup)."""

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import PlatformSpec

PLATFORM = PlatformSpec(
    name=Platform.HUAWEI_ONT_XML,
    display="Huawei ONT hw_ctree.xml export",
    default_role=Role.GATEWAY,
    models=("HG8245H", "EG8145V5"),
    netmiko_device_type=None,
    ntc_platform=None,
    hconfig_platform="GENERIC",
    config_command="hw_ctree.xml",
    config_layout="xml",
    config_end_marker=None,  # complete = well-formed XML (root InternetGatewayDevice in real exports)
    failure_markers=(),
    pager_markers=(),
    offline_only=True,
)
