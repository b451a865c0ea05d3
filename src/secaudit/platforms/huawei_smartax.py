"""Huawei SmartAX MA5800 / MA5600T OLT (MMI-style CLI, sectioned configuration)."""

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import PlatformSpec

PLATFORM = PlatformSpec(
    name=Platform.HUAWEI_SMARTAX,
    display="Huawei SmartAX OLT",
    default_role=Role.OLT,
    models=("MA5800-X7", "MA5800-X15", "MA5800-X17", "MA5600T", "MA5608T", "MA5683T"),
    netmiko_device_type="huawei_smartax",
    ntc_platform="huawei_smartax",
    hconfig_platform="GENERIC",
    config_command="display current-configuration",
    config_layout="smartax_sections",
    config_end_marker="return",
    # netmiko's HuaweiSmartAXSSH already sends `undo smart`, `infoswitch cli OFF` and `scroll`;
    # asynchronous alarms corrupt output, so they are silenced for the session (catalogue section 1).
    session_setup=("undo alarm output all",),
    pager_markers=("---- More", "--More--", "{ <cr>||<K> }"),
    read_only_prefixes=("display ",),
)
