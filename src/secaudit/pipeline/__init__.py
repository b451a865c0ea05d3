"""The pipeline owns a run: inventory -> collect -> parse -> evaluate -> remediate -> report -> sign.

* :mod:`secaudit.pipeline.run` - :func:`run` does everything ``secaudit run`` does, from an
  :class:`AuditRequest` (the command line, ``schedule`` and the tests build one).
* :mod:`secaudit.pipeline.audit` - :func:`run_audit`, the audit loop over any collector.
* :mod:`secaudit.pipeline.hosts` - one host through parse, evaluate and remediate.
* :mod:`secaudit.pipeline.publish` - bundles written and signed, atomically.
"""

from secaudit.pipeline.audit import Audit, RunConfig, exit_code, new_run_id, run_audit, scan_exit_code
from secaudit.pipeline.hosts import HOST_KEY_CONTROL, evaluate_collected, evaluate_host, host_key_finding
from secaudit.pipeline.publish import Provenance, city_extras, partial_dir, publish

__all__ = [
    "HOST_KEY_CONTROL",
    "Audit",
    "Provenance",
    "RunConfig",
    "city_extras",
    "evaluate_collected",
    "evaluate_host",
    "exit_code",
    "host_key_finding",
    "new_run_id",
    "partial_dir",
    "publish",
    "run_audit",
    "scan_exit_code",
]
