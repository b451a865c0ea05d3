"""Remediation plans: per host, the failing controls' fixes as ordered command blocks."""

from secaudit.remediate.plan import (
    ControlFix,
    RemediationPlan,
    needs_plan,
    plan_for_host,
    render_plan,
    running_config_text,
)

__all__ = [
    "ControlFix",
    "RemediationPlan",
    "needs_plan",
    "plan_for_host",
    "render_plan",
    "running_config_text",
]
