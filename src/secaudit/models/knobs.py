"""Typed policy thresholds (catalogue section 0). Profiles and operators may override them."""

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

    def value(self, name: str) -> float:
        """Return a knob by name.

        Examples:
            >>> Knobs().value("ntp_servers_min")
            2.0
        """
        if name not in type(self).model_fields:
            raise KeyError(f"unknown knob {name!r}")
        return float(getattr(self, name))
