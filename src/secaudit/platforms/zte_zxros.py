"""ZTE ZXCTN cell-site routers (ZXROS)."""

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import CliProfile, ConfigSession, LabProfile, PlatformSpec

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
    # the zte_zxros driver's disconnect from user mode costs 10 s (docs/collection-notes.md §7.3)
    enable_before_commands=True,
    config_session=ConfigSession(
        enable=True,
        enter=("configure terminal", "config terminal", "conf t"),
        exit=("end",),
        leave=("exit",),
        negation="no ",
        indent=2,
        prompt="{name}(config)#",
        view_prompt="{name}(config-{view})#",
        single_value=(
            (r"^(line \S+ (?:idle|absolute)-timeout)(?: |$)",),
            (r"^system-user$", r"^(user-authen-restriction|strong-password length|global-user-aging)(?: |$)"),
        ),
    ),
    lab=LabProfile(
        cli=CliProfile(
            user_prompt="{name}>",
            enable_prompt="{name}#",
            enable_command="enable",
            disable_command="disable",
            error="%Error 20200: Invalid command.",
            caret=False,
            logout=("exit", "quit"),
            paging_off=("terminal length 0",),
            pager=" --More-- ",
        ),
        family="zte_edge",
        model="ZXCTN 6120H-S",
    ),
)
