"""Huawei SmartAX MA5800 / MA5600T OLT (MMI-style CLI, sectioned configuration)."""

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import CliProfile, ConfigSession, Derived, LabProfile, PlatformSpec

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
    # asynchronous alarms corrupt output, so they are silenced for the session
    # (docs/baseline-catalogue.md section 1).
    session_setup=("undo alarm output all",),
    pager_markers=("---- More", "--More--", "{ <cr>||<K> }"),
    read_only_prefixes=("display ",),
    config_session=ConfigSession(
        enable=True,
        enter=("config",),
        exit=("return",),
        leave=("quit",),
        negation="undo ",
        separator="#",
        prompt="{name}(config)#",
        view_prompt="{name}(config-{view})#",
        containers=r"^\[\S+\]$",
        single_value=(
            (r"^(sysman service \S+) (?:enable|disable)$",),
            (r"^(ssh server (?:cipher|hmac|key-exchange|dh-exchange min-len))(?: |$)",),
            (r"^(snmp-agent sys-info version)(?: |$)",),
        ),
        derived=(
            Derived(
                line="sysman service telnet enable",
                command="display sysman service state",
                present="  telnet                                            23             enable\n",
                absent="  telnet                                            23             disable\n",
            ),
        ),
    ),
    lab=LabProfile(
        cli=CliProfile(
            user_prompt="{name}>",
            enable_prompt="{name}#",
            enable_command="enable",
            disable_command="disable",
            error="Error: Unrecognized command found at '^' position.",
            logout=("quit", "logout"),
            logout_confirm="Are you sure to log out? (y/n)[n]:",
            paging_off=("scroll",),
            paging_off_prefix="scroll ",
            pager="---- More ( Press 'Q' to break ) ----",
            accepted=("infoswitch cli off", "undo alarm output all"),
            smart_mode=True,
        ),
        family="huawei_olt",
        model="MA5800-X7",
    ),
)
