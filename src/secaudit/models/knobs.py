"""Typed policy thresholds (docs/baseline-catalogue.md §0). Profiles and operators may override them."""

from __future__ import annotations

from pydantic import Field

from secaudit.models.base import Frozen


class Knobs(Frozen):
    """Every threshold a control may use, with the catalogue's default. Unknown keys are rejected."""

    idle_timeout_max_min: int = Field(default=10, ge=1)
    login_fail_max: int = Field(default=5, ge=1)
    lockout_min: int = Field(default=5, ge=1)
    pwd_min_len: int = Field(default=8, ge=1)
    pwd_max_age_days: int = Field(default=90, ge=1)
    ntp_servers_min: int = Field(default=2, ge=1)
    syslog_servers_min: int = Field(default=2, ge=1)
    log_retention_days_min: int = Field(default=180, ge=1)
    ssh_rsa_min_bits: int = Field(default=2048, ge=1024)
    ssh_dh_min_bits: int = Field(
        default=2048, ge=1024, description="DH-GEX minimum modulus (Huawei recommends 3072)"
    )
    ssh_timeout_max_s: int = Field(default=60, ge=1, description="SSH negotiation timeout (CIS IOS XR 1.2.3)")
    pwd_history_min: int = Field(default=3, ge=0, description="remembered old passwords [I]")
    admin_accounts_max: int = Field(default=3, ge=1, description="accounts with administrator level [I]")
    ntp_stratum_max: int = Field(default=4, ge=1, le=15, description="[I]")
    ntp_offset_max_ms: int = Field(default=100, ge=1, description="[I]")
    utc_offset_hours: int = Field(
        default=8, ge=-12, le=14, description="expected device timezone (China: +8)"
    )

    def value(self, name: str) -> float:
        """Return a knob by name.

        Examples:
            >>> Knobs().value("ntp_servers_min")
            2.0
        """
        if name not in type(self).model_fields:
            raise KeyError(f"unknown knob {name!r}")
        return float(getattr(self, name))
