"""Cisco IOS XR: NCS 540 / NCS 5500 / ASR 9000."""

import re

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import CliProfile, ConfigSession, LabProfile, PlatformSpec, RemediationRules

#: Settings the controls' remediation touches that hold one value (see ``RemediationRules``).
SINGLE_VALUE_SETTINGS: tuple[tuple[str, ...], ...] = (
    (r"^(clock timezone)(?: |$)",),
    (r"^(service timestamps log)(?: |$)",),
    (r"^(logging trap)(?: |$)",),
    (r"^(logging \S+ vrf \S+)(?: |$)",),
    (r"^(ssh timeout)(?: |$)",),
    (r"^(ssh server algorithms (?:cipher|key-exchange|hostkey))(?: |$)",),
    (r"^(snmp-server community \S+)(?: |$)",),
    (r"^(snmp-server group \S+)(?: |$)",),
    (r"^(snmp-server user \S+)(?: |$)",),
    (
        r"^aaa password-policy ",
        r"^(min-length|max-length|upper-case|lower-case|numeric|special-char"
        r"|lifetime|restrict-old-count|authen-max-attempts|lockout-time|min-char-change) ",
    ),
    (r"^username ", r"^(policy)(?: |$)"),
    (r"^username ", r"^(secret)(?: |$)"),
    (r"^line ", r"^(exec-timeout)(?: |$)"),
    (r"^line ", r"^(transport input)(?: |$)"),
    (r"^line ", r"^(access-class ingress)(?: |$)"),
    (r"^line ", r"^(login authentication)(?: |$)"),
    (r"^ntp$", r"^(authentication-key \d+)(?: |$)"),
    (r"^ntp$", r"^(server(?: vrf \S+)? \S+)(?: |$)"),
    (r"^interface ", r"^(vrf)(?: |$)"),
    (r"^router isis ", r"^interface ", r"^(hello-password)(?: |$)"),
    (r"^router isis ", r"^(lsp-password)(?: |$)"),
    (r"^aaa group server tacacs\+ ", r"^(vrf)(?: |$)"),
    (r"^(?:tacacs|radius)-server host ", r"^(key)(?: |$)"),
    (r"^key chain ", r"^key ", r"^(cryptographic-algorithm)(?: |$)"),
)

PLATFORM = PlatformSpec(
    name=Platform.CISCO_XR,
    display="Cisco IOS XR",
    default_role=Role.EDGE5G,
    models=("NCS-540", "NCS-5501", "ASR-9001"),
    netmiko_device_type="cisco_xr",
    ntc_platform="cisco_xr",
    hconfig_platform="CISCO_XR",
    config_command="show running-config",
    config_layout="indented",
    config_end_marker="end",
    failure_markers=("% Invalid input", "% Incomplete command", "% Ambiguous command"),
    comment_prefixes=("!",),
    read_only_prefixes=("show ", "admin show "),
    remediation=RemediationRules(
        config_mode="enter with 'configure'; 'commit' before leaving; leave with 'end'",
        exec_commands=re.compile(r"^(crypto key generate|show|clear|commit)\b"),
        keep_sections=re.compile(r"^(interface|line) "),
        single_value_settings=SINGLE_VALUE_SETTINGS,
    ),
    config_session=ConfigSession(
        enter=("configure", "configure terminal"),
        exit=("end",),
        commit="commit",
        candidate=True,
        leave=("exit",),
        leave_all=("root",),
        negation="no ",
        separator="!",
        prompt="RP/0/RSP0/CPU0:{name}(config)#",
        view_prompt="RP/0/RSP0/CPU0:{name}(config-{view})#",
        uncommitted="Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:",
        single_value=((r"^(logging source-interface) \S+(?: vrf (\S+))?$",),),
        keywords=("login",),
    ),
    lab=LabProfile(
        cli=CliProfile(
            user_prompt="RP/0/RSP0/CPU0:{name}#",
            error="% Invalid input detected at '^' marker.",
            logout=("exit", "logout"),
            paging_off=("terminal length 0",),
            pager=" --More-- ",
            accepted=("terminal width 511",),
        ),
        family="cisco_edge",
        model="NCS-540",
    ),
)
