"""FiberHome AN5516/AN6000 OLT: CLI collection through a generic netmiko driver; controls manual.

netmiko has no FiberHome driver (``docs/collection-notes.md`` §7.16). ``cisco_ios`` is used
because its session handling is what the AN5516 CLI needs and nothing more: it reads a ``>`` or
``#`` prompt, sends ``terminal length 0``, enters privileged mode with ``enable`` (answering a
password prompt) and leaves with ``exit``. netmiko's ``generic`` driver prepares nothing (no base
prompt, paging left on), so the collector would need FiberHome-specific steps. (cisco_ios also
sends ``terminal width 511``; a device that rejects it only prints an error.) The CLI shapes below
(prompts, error and pager texts) are [I]: see ``docs/add-a-platform.md``, "FiberHome AN5516".
No control reads FiberHome evidence yet: every FiberHome block of the catalogue is manual.
"""

from secaudit.models.enums import Platform, Role
from secaudit.platforms.base import CliProfile, LabProfile, PlatformSpec

PLATFORM = PlatformSpec(
    name=Platform.FIBERHOME_AN,
    display="FiberHome AN OLT (manual only)",
    default_role=Role.OLT,
    models=("AN5516-06", "AN6000-17"),
    netmiko_device_type="cisco_ios",
    ntc_platform=None,
    hconfig_platform="GENERIC",
    config_command=None,  # no running-configuration command verified on AN5516/AN6000 yet
    config_layout="indented",
    config_end_marker=None,
    failure_markers=("Unknown command", "[Error ", "Command executes failed"),
    pager_markers=("--Press any key to continue", "--More--", "---- More"),
    comment_prefixes=("!",),
    read_only_prefixes=("show ",),
    # the evidence commands need the privileged 'Admin#' mode [I] (docs/add-a-platform.md)
    enable_before_commands=True,
    lab=LabProfile(
        cli=CliProfile(
            user_prompt="Admin>",
            enable_prompt="Admin#",
            enable_command="enable",
            enable_password=True,
            disable_command="disable",
            error="Unknown command.",
            caret=False,
            logout=("exit", "quit", "logout"),
            paging_off=("terminal length 0",),
            pager="--Press any key to continue Ctrl+c to stop--",
            accepted=("terminal width 511",),
        ),
        family="fiberhome_olt",
        model="AN5516-06",
    ),
)
