"""The closed platform registry: every ``Platform`` member has exactly one ``PlatformSpec``.

One module per platform (``secaudit.platforms.<platform>``, holding ``PLATFORM``); this registry
lists them in the order reports, schemas and the lab use. Everything else derives its platform
lists from :data:`PLATFORMS` (``docs/add-a-platform.md``).
"""

from __future__ import annotations

from secaudit.errors import UnknownPlatformError
from secaudit.models.enums import Platform
from secaudit.platforms import (
    cisco_xr,
    fiberhome_an,
    huawei_ont,
    huawei_ont_xml,
    huawei_smartax,
    huawei_vrp,
    zte_ont_xml,
    zte_zxa10,
    zte_zxros,
)
from secaudit.platforms.base import (
    CliProfile,
    ConfigSession,
    Derived,
    LabProfile,
    PlatformSpec,
    RemediationRules,
    Setter,
)

PLATFORMS: dict[Platform, PlatformSpec] = {
    spec.name: spec
    for spec in (
        huawei_smartax.PLATFORM,
        zte_zxa10.PLATFORM,
        huawei_vrp.PLATFORM,
        zte_zxros.PLATFORM,
        cisco_xr.PLATFORM,
        huawei_ont.PLATFORM,
        huawei_ont_xml.PLATFORM,
        zte_ont_xml.PLATFORM,
        fiberhome_an.PLATFORM,
    )
}


def get_platform(name: str) -> PlatformSpec:
    """Look a platform up by its secaudit name.

    Examples:
        >>> get_platform("huawei_vrp").config_end_marker
        'return'
        >>> get_platform("huawei_olt")
        Traceback (most recent call last):
        ...
        secaudit.errors.UnknownPlatformError: unknown platform 'huawei_olt' (known: cisco_xr, ...)
    """
    try:
        return PLATFORMS[Platform(name)]
    except ValueError:
        known = ", ".join(sorted(p.value for p in Platform))
        raise UnknownPlatformError(f"unknown platform {name!r} (known: {known})") from None


def lab_platforms() -> tuple[PlatformSpec, ...]:
    """The platforms the device lab simulates (those with a lab profile), in registry order.

    Examples:
        >>> [spec.name.value for spec in lab_platforms()][:2]
        ['huawei_smartax', 'zte_zxa10']
    """
    return tuple(spec for spec in PLATFORMS.values() if spec.lab is not None)


__all__ = [
    "PLATFORMS",
    "CliProfile",
    "ConfigSession",
    "Derived",
    "LabProfile",
    "PlatformSpec",
    "RemediationRules",
    "Setter",
    "get_platform",
    "lab_platforms",
]
