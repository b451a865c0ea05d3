"""Shared helpers for the lab tests: canned outputs per platform and a strict netmiko connect."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from netmiko import ConnectHandler

from secaudit.lab import HOST, DeviceSpec, FaultMode, Lab
from secaudit.platforms import get_platform

HERE = Path(__file__).resolve().parent
USER, PASSWORD = "auditor", "lab-secret"

# 60 lines: longer than the simulated page (24 lines), so it only comes back whole if the driver's
# paging-off command was honoured.
_BODY = "\n".join(f" interface line {i:02d} description uplink-{i}" for i in range(60))

HOSTNAMES = {
    "huawei_smartax": "MA5800-X7",
    "zte_zxa10": "C300-OLT1",
    "huawei_vrp": "NE40E-GW1",
    "zte_zxros": "ZXR10-PE1",
    "cisco_xr": "XR-EDGE1",
    "huawei_ont": "HG8245H",
    "fiberhome_an": "AN5516-06",  # the AN5516 prompt is the privilege name, not the hostname
}

OUTPUTS: dict[str, dict[str, str]] = {
    "huawei_smartax": {
        "display version": "VERSION : MA5800V100R019C10\nPATCH   : SPC200\nPRODUCT : MA5800-X7",
        "display current-configuration": "[MA5800V100R019: 8000]\n#\n" + _BODY + "\n#\nreturn",
    },
    "zte_zxa10": {
        "show version": "ZXA10 C300 Software, Version: V2.1.0",
        "show running-config": "!<system>\n" + _BODY + "\n!\nend",
    },
    "huawei_vrp": {
        "display version": "Huawei Versatile Routing Platform Software\nVRP (R) software, Version 8.180",
        "display current-configuration": " sysname NE40E-GW1\n#\n" + _BODY + "\n#\nreturn",
    },
    "zte_zxros": {
        "show version": "ZXR10 ROS Version V5.00.10",
        "show running-config": "hostname ZXR10-PE1\n!\n" + _BODY + "\n!\nend",
    },
    "cisco_xr": {
        "show version": "Cisco IOS XR Software, Version 7.5.2",
        "show running-config": "hostname XR-EDGE1\n!\n" + _BODY + "\n!\nend",
    },
    "huawei_ont": {
        "display version": "Main Version : V5R020C10S115\nHardware Version : 4A3.A",
        "display deviceInfo": "Description : EchoLife HG8245H GPON Terminal\n" + _BODY,
    },
    "fiberhome_an": {
        "show version": " Device type       : AN5516-06\n Software version  : RP1000",
        "show card": " SLOT  TYPE   STATUS\n" + _BODY,
    },
}


def spec(
    name: str,
    platform: str,
    fault: FaultMode = FaultMode.NONE,
    fault_command: str | None = None,
    think_time_s: float = 0.0,
    *,
    writable: bool = True,
) -> DeviceSpec:
    """A device of ``platform`` with the canned outputs above."""
    return DeviceSpec(
        name=name,
        platform=platform,
        hostname_prompt=HOSTNAMES[platform],
        username=USER,
        password=PASSWORD,
        outputs=OUTPUTS[platform],
        fault=fault,
        think_time_s=think_time_s,
        fault_command=fault_command,
        writable=writable,
    )


def expected(platform: str, command: str) -> str:
    """What ``send_command`` should return (the Huawei ONT CLI appends ``success!``)."""
    text = OUTPUTS[platform][command]
    return text + "\nsuccess!" if platform == "huawei_ont" else text


def start_lab(devices: list[DeviceSpec], workdir: Path) -> Lab:
    """Start a lab and export one known_hosts file per device under ``workdir``."""
    lab = Lab(devices, workdir / "keys")
    lab.start()
    lab.export_known_hosts(lambda name: workdir / "known_hosts" / f"{name}.known_hosts")
    return lab


def connect(lab: Lab, name: str, **overrides: Any) -> Any:
    """netmiko connection with strict host-key checking against the device's own known_hosts.

    Platforms whose spec says ``enable_before_commands`` (ZTE: the disconnect from user mode costs
    10 s, docs/collection-notes.md §7.3; FiberHome) are put in enable mode first, as the live
    collector does.
    """
    device = next(d for d in lab.devices if d.name == name)
    params: dict[str, Any] = {
        "device_type": get_platform(device.platform).netmiko_device_type,
        "host": HOST,
        "port": lab.ports[name],
        "username": device.username,
        "password": device.password,
        "ssh_strict": True,
        "system_host_keys": False,
        "alt_host_keys": True,
        "alt_key_file": str(lab.known_hosts_files[name]),
        "fast_cli": True,
        "conn_timeout": 5,
        "banner_timeout": 5,
        "auth_timeout": 5,
    }
    params.update(overrides)
    conn = ConnectHandler(**params)
    if get_platform(device.platform).enable_before_commands:
        conn.enable()
    return conn


def abandon(conn: Any) -> None:
    """Drop a connection without netmiko's logout dialogue (which would wait on a broken device)."""
    conn.paramiko_cleanup()


def roundtrip(lab: Lab, name: str) -> tuple[list[str], dict[str, float]]:
    """Connect, run both canned commands, disconnect; return outputs and phase timings."""
    platform = next(d.platform for d in lab.devices if d.name == name)
    t0 = time.perf_counter()
    conn = connect(lab, name)
    t1 = time.perf_counter()
    outputs = [conn.send_command(cmd, read_timeout=5) for cmd in OUTPUTS[platform]]
    t2 = time.perf_counter()
    conn.disconnect()
    t3 = time.perf_counter()
    return outputs, {"connect": t1 - t0, "commands": t2 - t1, "disconnect": t3 - t2, "total": t3 - t0}
