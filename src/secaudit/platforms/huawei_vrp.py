"""Huawei VRP routers: ATN 910, NE40E, CE (VRP5 and VRP8 syntax)."""

import re

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import (
    CliProfile,
    ConfigSession,
    Derived,
    LabProfile,
    PlatformSpec,
    RemediationRules,
)

#: Settings the controls' remediation touches that hold one value (see ``RemediationRules``): on
#: VRP ``user-password complexity-check`` also replaces a displayed ``undo user-password
#: complexity-check``.
SINGLE_VALUE_SETTINGS: tuple[tuple[str, ...], ...] = (
    (r"^(clock timezone)(?: |$)",),
    (r"^ospf ", r"^area ", r"^(authentication-mode)(?: |$)"),
    (
        r"^isis(?: \S+)?$",
        r"^(isis authentication-mode|area-authentication-mode|domain-authentication-mode)(?: |$)",
    ),
    (r"^interface ", r"^(isis authentication-mode)(?: |$)"),
    (r"^(info-center timestamp \S+)(?: |$)",),
    (r"^(info-center loghost source)(?: |$)",),
    (r"^(info-center source \S+ channel \S+ log level)(?: |$)",),
    (r"^(info-center source \S+ channel \S+ log state)(?: |$)",),
    (r"^(telnet(?: ipv6)? server) (?:enable|disable)$",),
    (r"^(ssh server (?:cipher|hmac|key-exchange|dh-exchange min-len))(?: |$)",),
    (r"^(header (?:login|shell))(?: |$)",),
    (r"^(snmp-agent trap source)(?: |$)",),
    (r"^(snmp-agent sys-info version)(?: |$)",),
    (r"^snmp-agent community (?:read |write )?(?:cipher )?(\S+)(?: |$)",),
    (r"^(snmp-agent group v3 \S+)(?: |$)",),
    (r"^(snmp-agent usm-user v3 \S+ (?:group|authentication-mode|privacy-mode))(?: |$)",),
    (r"^(ntp-service source-interface)(?: |$)",),
    (r"^(ntp-service unicast-server \S+)(?: |$)",),
    (r"^(ntp-service authentication-keyid \d+)(?: |$)",),
    (r"^(set save-configuration)(?: |$)",),
    (r"^(user-password min-len)(?: |$)",),
    (r"^aaa$", r"^(user-password min-len)(?: |$)"),
    (r"^aaa$", r"^(local-aaa-user wrong-password)(?: |$)"),
    (r"^aaa$", r"^(remote-aaa-user authen-fail)(?: |$)"),
    (r"^aaa$", r"^(local-user \S+ (?:password|level|service-type))(?: |$)"),
    (
        r"^aaa$",
        r"^(?:authentication|authorization|accounting|recording)-scheme ",
        r"^(authentication-mode|authorization-mode|accounting-mode|recording-mode)(?: |$)",
    ),
    (r"^aaa$", r"^authorization-scheme ", r"^(authorization-cmd \d+)(?: |$)"),
    (
        r"^aaa$",
        r"^domain ",
        r"^(authentication-scheme|authorization-scheme|accounting-scheme|hwtacacs-server)(?: |$)",
    ),
    (r"^aaa$", r"^local-aaa-user password policy ", r"^(password expire)(?: |$)"),
    (r"^aaa$", r"^local-aaa-user password policy ", r"^(password history record number)(?: |$)"),
    (r"^user-interface ", r"^(idle-timeout)(?: |$)"),
    (r"^user-interface ", r"^(authentication-mode)(?: |$)"),
    (r"^user-interface ", r"^(protocol inbound)(?: |$)"),
    (r"^user-interface ", r"^(user privilege level)(?: |$)"),
    (r"^user-interface ", r"^(acl(?: ipv6)?) \S+ inbound$"),
    (r"^interface ", r"^(ip binding vpn-instance)(?: |$)"),
    (r"^interface ", r"^(ip address) \S+ \S+$"),
)

PLATFORM = PlatformSpec(
    name=Platform.HUAWEI_VRP,
    display="Huawei VRP (ATN/NE40E/CE)",
    default_role=Role.EDGE5G,
    models=("ATN 910C-B", "ATN 950", "NE40E-X8A", "NE40E-M2K", "CE6881"),
    netmiko_device_type="huawei_vrp",
    ntc_platform="huawei_vrp",
    hconfig_platform="HUAWEI_VRP",
    config_command="display current-configuration",
    config_layout="indented",
    config_end_marker="return",
    pager_markers=("---- More", "--More--"),
    comment_prefixes=("#", "!"),
    read_only_prefixes=("display ",),
    remediation=RemediationRules(
        config_mode="enter with 'system-view'; VRP8: 'commit' before leaving; leave with 'return'",
        exec_commands=re.compile(r"^(save|(rsa|dsa|ecc) local-key-pair create|display|reset)\b"),
        keep_sections=re.compile(r"^(interface|slot|user-interface) "),
        default_on=frozenset({"info-center enable", "user-security-policy enable"}),
        single_value_settings=SINGLE_VALUE_SETTINGS,
    ),
    config_session=ConfigSession(
        mode_marker="]",
        enter=("system-view", "sys"),
        exit=("return",),
        commit="commit",
        leave=("quit",),
        negation="undo ",
        keywords=("ipv6",),
        separator="#",
        prompt="[{name}]",
        view_prompt="[{name}-{view}]",
        derived=(
            Derived(
                line="telnet server enable",
                command="display telnet server status",
                present=" TELNET IPv4 server                    : Enable",
                absent=" TELNET IPv4 server                    : Disable",
            ),
        ),
    ),
    lab=LabProfile(
        cli=CliProfile(
            user_prompt="<{name}>",
            error="Error: Unrecognized command found at '^' position.",
            logout=("quit",),
            paging_off=("screen-length 0 temporary",),
            pager="  ---- More ----",
        ),
        family="huawei_edge",
        model="ATN 910C-B",
    ),
)
