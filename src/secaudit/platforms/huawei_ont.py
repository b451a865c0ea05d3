"""Huawei ONT/HGW local CLI (HG8245, EG8145). Answers end with ``success!``."""

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import CliProfile, ConfigSession, LabProfile, PlatformSpec, Setter

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
    # no configuration mode: settings are typed at the SU_WAP> prompt and shown by display commands
    config_session=ConfigSession(
        enable=True,
        exit=(),
        negation="undo ",
        setters=(
            Setter(
                line=r"^timeout (\d+)$",
                command="display timeout",
                shown=r"timeout value = \d+ min",
                template="timeout value = {0} min",
            ),
        ),
    ),
    lab=LabProfile(
        cli=CliProfile(
            user_prompt="WAP>",
            enable_prompt="SU_WAP>",
            enable_command="su",
            disable_command="quit",
            error="ERROR::Command is not existed",
            caret=False,
            logout=("logout", "quit", "exit"),
            answer_suffix="success!",
        ),
        family="huawei_gateway",
        model="HG8245H",
    ),
)
