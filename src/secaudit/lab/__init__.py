"""Embedded SSH device lab: simulated OLTs, routers and ONTs for tests and demos (127.0.0.1 only).

Built on paramiko's server API; the real, unmodified netmiko drivers work against it. See
``DeviceSpec`` for what a device is, ``Lab`` for serving them, and ``state`` for running a lab
in a foreground process that a CLI can find.
"""

from secaudit.lab.model import LAB_PLATFORMS, DeviceSpec, FaultMode
from secaudit.lab.server import HOST, Lab

__all__ = ["HOST", "LAB_PLATFORMS", "DeviceSpec", "FaultMode", "Lab"]
