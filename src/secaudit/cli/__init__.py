"""The command line: one module per command group; each only turns options into library calls.

``secaudit run`` builds an :class:`~secaudit.pipeline.run.AuditRequest` and calls
:func:`secaudit.pipeline.run.run`; the other commands call their stage's library functions.
"""

from secaudit.cli import audit, checks, fleet, history, keys, lab, remediate, schedule
from secaudit.cli._app import app

__all__ = ["app", "audit", "checks", "fleet", "history", "keys", "lab", "main", "remediate", "schedule"]


def main() -> None:
    """Console-script entry point."""
    app()
