"""Remediation plans: per host, the failing controls' fixes as ordered command blocks.

* :mod:`secaudit.remediate.driver` - the remediation driver: a platform's hier_config driver
  extended from the platform's own table (``PlatformSpec.remediation``);
* :mod:`secaudit.remediate.minimal` - the platform-neutral algorithm: minimal change, safe
  rollback, tree rendering;
* :mod:`secaudit.remediate.plan` - the plan of one host (``ControlFix``, ``RemediationPlan``);
* :mod:`secaudit.remediate.render` - the plan as text.
"""

from secaudit.remediate.plan import ControlFix, RemediationPlan, needs_plan, plan_for_host
from secaudit.remediate.render import render_plan

__all__ = [
    "ControlFix",
    "RemediationPlan",
    "needs_plan",
    "plan_for_host",
    "render_plan",
]
