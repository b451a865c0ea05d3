"""The closed platform registry: every ``Platform`` member has exactly one ``PlatformSpec``."""

from __future__ import annotations

from secaudit.errors import UnknownPlatformError
from secaudit.models.enums import Platform
from secaudit.platforms import (
    cisco_xr,
    fiberhome_an,
    gateway_xml,
    huawei_ont,
    huawei_smartax,
    huawei_vrp,
    zte_zxa10,
    zte_zxros,
)
from secaudit.platforms.base import PlatformSpec

PLATFORMS: dict[Platform, PlatformSpec] = {
    spec.name: spec
    for spec in (
        huawei_smartax.PLATFORM,
        zte_zxa10.PLATFORM,
        huawei_vrp.PLATFORM,
        zte_zxros.PLATFORM,
        cisco_xr.PLATFORM,
        huawei_ont.PLATFORM,
        gateway_xml.HUAWEI_ONT_XML,
        gateway_xml.ZTE_ONT_XML,
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


__all__ = ["PLATFORMS", "PlatformSpec", "get_platform"]
