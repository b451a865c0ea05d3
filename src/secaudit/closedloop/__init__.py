"""Closed-loop remediation on lab hosts (``secaudit remediate apply``): the only writes to devices.

* :mod:`secaudit.closedloop.source` - the signed run: verified bundles, the lab gate, the plan;
* :mod:`secaudit.closedloop.values` - placeholder values from the environment or a secrets file;
* :mod:`secaudit.closedloop.push` - the netmiko configuration session;
* :mod:`secaudit.closedloop.loop` - drift check, push, re-audit, verdict, rollback;
* :mod:`secaudit.closedloop.record` - the signed before/after bundle ``remediation-<run-id>/``.
"""
