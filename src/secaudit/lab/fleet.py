"""The lab's fleets: the default demo fleet (32 devices, 5 operators, 6 platforms, 4 faulty;
``data/fleet.yaml``) and benchmark fleets, plus the Nornir inventory, known_hosts and secrets a run
against them needs. The platforms' inventory groups, roles and models come from the registry
(``PlatformSpec.lab``).

Device outputs come from :mod:`secaudit.lab.fleetdata` (a hardened baseline per platform) with
named non-compliance variants applied per device, so devices differ per operator.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import FrameType, MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from ruamel.yaml import YAML

from secaudit.lab.fleetdata import DATA_DIR, apply_variant, load_variants, platform_outputs
from secaudit.lab.model import DeviceSpec, FaultMode
from secaudit.lab.server import HOST, Lab
from secaudit.lab.state import write_state
from secaudit.platforms import lab_platforms

#: secaudit platform -> (inventory family group, role, model), for every platform the lab simulates
FAMILIES: Mapping[str, tuple[str, str, str]] = MappingProxyType(
    {
        spec.name.value: (spec.lab.family, spec.default_role.value, spec.lab.model)
        for spec in lab_platforms()
        if spec.lab is not None
    }
)
OPERATOR_CODES: Mapping[str, str] = {
    "telecom": "TEL",
    "mobile": "MOB",
    "unicom": "UNI",
    "tower": "TWR",
    "cable": "CAB",
}
USERNAME = "auditor"
FLEET_FILE = DATA_DIR / "fleet.yaml"
"""The demo fleet: per operator, the platforms of its devices, and the injected faults."""


class _Fault(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    operator: str
    index: int = Field(ge=0)
    fault: FaultMode


class _FleetPlan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    operators: dict[str, tuple[str, ...]]
    faults: tuple[_Fault, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> _FleetPlan:
        for operator, platforms in self.operators.items():
            if operator not in OPERATOR_CODES:
                raise ValueError(f"unknown operator {operator!r}")
            unknown = sorted(set(platforms) - set(FAMILIES))
            if unknown:
                raise ValueError(f"{operator}: platforms without a lab profile: {', '.join(unknown)}")
        for fault in self.faults:
            if fault.index >= len(self.operators.get(fault.operator, ())):
                raise ValueError(f"fault {fault.fault.value}: no device {fault.operator}[{fault.index}]")
        return self


@cache
def _fleet_plan() -> _FleetPlan:
    raw = YAML(typ="safe", pure=True).load(FLEET_FILE.read_text(encoding="utf-8"))
    return _FleetPlan.model_validate(raw)


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    return yaml


@dataclass(frozen=True, slots=True)
class FleetDevice:
    """A lab device plus the inventory facts about it."""

    spec: DeviceSpec
    operator: str
    role: str
    site: str
    model: str
    variants: tuple[str, ...]


def _device(
    name: str,
    platform: str,
    operator: str,
    site: str,
    *,
    password: str,
    variants: Sequence[str],
    fault: FaultMode,
) -> FleetDevice:
    _, role, model = FAMILIES[platform]
    prompt = name.upper().replace("-", "")[:16]
    outputs = platform_outputs(platform, prompt)
    catalogue = load_variants().get(platform, {}) if variants else {}
    applied: list[str] = []
    for variant in variants:
        try:
            outputs = apply_variant(outputs, catalogue[variant])
        except ValueError:
            continue  # edits overlap an earlier variant of this device: keep the first one
        applied.append(variant)
    variants = applied
    spec = DeviceSpec(
        name=name,
        platform=platform,
        hostname_prompt=prompt,
        username=USERNAME,
        password=password,
        outputs=outputs,
        fault=fault,
        think_time_s=0.0,
    )
    return FleetDevice(spec, operator, role, site, model, tuple(variants))


def default_fleet(passwords: Mapping[str, str]) -> list[FleetDevice]:
    """The demo fleet: 32 devices; about half carry one or two non-compliance variants."""
    fleet: list[FleetDevice] = []
    counter = 0
    plan = _fleet_plan()
    faults = {(f.operator, f.index): f.fault for f in plan.faults}
    for operator, platforms in plan.operators.items():
        for i, platform in enumerate(platforms):
            role = FAMILIES[platform][1]
            names = sorted(load_variants().get(platform, {}))
            # deterministic spread: every other device is hardened, the others get 1-2 variants
            chosen: list[str] = []
            if names and counter % 2 == 1:
                chosen.append(names[counter % len(names)])
                if counter % 4 == 3 and len(names) > 1:
                    chosen.append(names[(counter + 1) % len(names)])
            counter += 1
            name = f"{OPERATOR_CODES[operator].lower()}-{role.replace('edge5g', 'csr')}-{i + 1:02d}"
            fault = faults.get((operator, i), FaultMode.NONE)
            site = f"jx-{operator}-site{(i % 3) + 1}"
            fleet.append(
                _device(
                    name, platform, operator, site, password=passwords[operator], variants=chosen, fault=fault
                )
            )
    return fleet


def bench_fleet(size: int, password: str) -> list[FleetDevice]:
    """``size`` healthy devices cycling through the demo fleet's platforms and the operators
    (for ``make bench``)."""
    used = {p for platforms in _fleet_plan().operators.values() for p in platforms}
    platforms = [p for p in FAMILIES if p in used]
    operators = list(OPERATOR_CODES)
    out = []
    for i in range(size):
        platform = platforms[i % len(platforms)]
        operator = operators[i % len(operators)]
        if operator == "tower" and FAMILIES[platform][1] != "edge5g":
            operator = "telecom"
        out.append(
            _device(
                f"bench-{i:04d}",
                platform,
                operator,
                "bench",
                password=password,
                variants=(),
                fault=FaultMode.NONE,
            )
        )
    return out


def new_passwords() -> dict[str, str]:
    """Random per-operator lab passwords (they also serve as planted secrets in tests)."""
    return {op: f"Lab-{op}-{secrets.token_urlsafe(12)}" for op in OPERATOR_CODES}


def write_secrets(path: Path, passwords: Mapping[str, str]) -> None:
    """Write a 0600 secrets file for ``secaudit run --secrets``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        _yaml().dump({op: {"username": USERNAME, "password": pw} for op, pw in passwords.items()}, handle)
    path.chmod(0o600)


def write_inventory(directory: Path, fleet: Sequence[FleetDevice], ports: Mapping[str, int]) -> None:
    """Write a Nornir SimpleInventory for the running lab (hosts on 127.0.0.1, kernel-chosen ports)."""
    directory.mkdir(parents=True, exist_ok=True)
    operators = _yaml().load((Path(__file__).parent / "operators.yaml").read_text(encoding="utf-8"))
    groups: dict[str, Any] = {name: {"data": data} for name, data in operators.items()}
    for platform, (family, role, _) in FAMILIES.items():
        groups[family] = {"platform": platform, "data": {"role": role}}
    hosts = {
        d.spec.name: {
            "hostname": HOST,
            "port": ports[d.spec.name],
            "groups": [d.operator, FAMILIES[d.spec.platform][0]],
            "data": {"site": d.site, "model": d.model, "environment": "lab", "tags": list(d.variants)},
        }
        for d in fleet
    }
    for name, doc in (
        ("hosts.yaml", hosts),
        ("groups.yaml", groups),
        ("defaults.yaml", {"data": {"environment": "lab"}}),
    ):
        with (directory / name).open("w", encoding="utf-8") as handle:
            _yaml().dump(doc, handle)


@dataclass(frozen=True, slots=True)
class LabPaths:
    """Files of a running lab in its state directory (outside the repository)."""

    root: Path

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def inventory(self) -> Path:
        return self.root / "inventory"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.yaml"

    @property
    def keys(self) -> Path:
        return self.root / "hostkeys"

    @property
    def manifest(self) -> Path:
        return self.root / "fleet.json"


def checkout_key(folder: Path) -> str:
    """A short key of a folder's path: each checkout gets its own lab state folder.

    The Makefile computes the same (``printf %s "$(CURDIR)" | sha256sum | cut -c1-12``).

    Examples:
        >>> checkout_key(Path("/work/secaudit"))
        'e2b704c9aaa2'
    """
    return hashlib.sha256(str(folder).encode("utf-8")).hexdigest()[:12]


def checkout_root(folder: Path) -> Path:
    """The git checkout (or worktree) holding ``folder``: the nearest folder with a ``.git``;
    ``folder`` itself outside any checkout.

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     root = Path(tmp).resolve()
        ...     _ = (root / ".git").write_text("gitdir: elsewhere")  # a worktree's .git is a file
        ...     (root / "src" / "x").mkdir(parents=True)
        ...     checkout_root(root / "src" / "x") == root
        True
    """
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def default_state_dir(cwd: Path | None = None) -> Path:
    """The lab state folder of the checkout holding ``cwd`` (default: the current folder), outside
    any repository: ``<base>/secaudit-lab-<uid>-<checkout_key>``, with ``<base>``
    ``$XDG_RUNTIME_DIR`` or ``/tmp``. Two checkouts never share a lab, and ``lab stop`` in one
    never stops the other's; any folder inside one checkout gives the same lab.
    """
    base = Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp")  # noqa: S108 - a private 0700 folder
    return base / f"secaudit-lab-{os.getuid()}-{checkout_key(checkout_root(cwd or Path.cwd()))}"


def start_lab(fleet: Sequence[FleetDevice], paths: LabPaths, passwords: Mapping[str, str]) -> Lab:
    """Start a lab in this process and write state, inventory, known_hosts and secrets."""
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.root.chmod(0o700)
    lab = Lab([d.spec for d in fleet], paths.keys)
    lab.start()
    try:
        lab.export_known_hosts(lambda name: paths.known_hosts / f"{name}.known_hosts")
        write_inventory(paths.inventory, fleet, lab.ports)
        write_secrets(paths.secrets, passwords)
        paths.manifest.write_text(
            json.dumps(
                {
                    d.spec.name: {
                        "platform": d.spec.platform,
                        "operator": d.operator,
                        "fault": d.spec.fault.value,
                        "variants": list(d.variants),
                    }
                    for d in fleet
                },
                indent=2,
                sort_keys=True,
            ),
            encoding="utf-8",
        )
        write_state(paths.state, lab)
    except BaseException:
        lab.stop()
        raise
    return lab


def serve(fleet: Sequence[FleetDevice], paths: LabPaths, passwords: Mapping[str, str]) -> None:
    """Run the lab in the foreground until SIGTERM/SIGINT; remove the state file on exit."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    lab = start_lab(fleet, paths, passwords)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        lab.stop()
        paths.state.unlink(missing_ok=True)
