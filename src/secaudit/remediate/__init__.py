"""Remediation plans: per host, the failing controls' fixes as ordered command blocks."""

from secaudit.remediate.plan import ControlFix, RemediationPlan, plan_for_host, render_plan

__all__ = ["ControlFix", "RemediationPlan", "plan_for_host", "render_plan"]
