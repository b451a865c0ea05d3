"""Inventory stage: Nornir SimpleInventory (``inventory/``) -> validated ``Target`` models.

Every host must resolve (through its groups and the defaults) ``platform``, ``operator``,
``role``, ``site``, ``environment`` and ``model``. Operators are inventory groups whose data has
``operator`` and ``display_name``. Any problem is one line naming the file, line and host.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.inventory import Host
from pydantic import ValidationError

from secaudit.errors import InventoryError
from secaudit.models.enums import Platform
from secaudit.models.target import OPERATOR_IDS, OperatorInfo, Target
from secaudit.models.target import operators_of as operators_of  # noqa: PLC0414 - explicit re-export
from secaudit.yamlio import YamlError, line_of, load_yaml

FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml")


@dataclass(frozen=True, slots=True)
class TargetFilter:
    """CLI filters; each is a tuple of accepted values (host names may be globs)."""

    operators: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()

    def accepts(self, target: Target) -> bool:
        """True when ``target`` passes every given filter."""
        if self.operators and target.operator not in self.operators:
            return False
        if self.roles and target.role.value not in self.roles:
            return False
        if self.sites and target.site not in self.sites:
            return False
        return not self.hosts or any(fnmatch.fnmatchcase(target.name, pat) for pat in self.hosts)


@dataclass(frozen=True, slots=True)
class LoadedInventory:
    """Targets after filtering, the operators they belong to, and the Nornir object."""

    targets: tuple[Target, ...]
    operators: dict[str, OperatorInfo]
    nornir: Nornir


def init_nornir(inventory_dir: Path, *, num_workers: int = 20) -> Nornir:
    """InitNornir on ``inventory_dir`` with logging off and ``~/.ssh/config`` pinned away."""
    return InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": num_workers}},
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(inventory_dir / "hosts.yaml"),
                "group_file": str(inventory_dir / "groups.yaml"),
                "defaults_file": str(inventory_dir / "defaults.yaml"),
            },
        },
        logging={"enabled": False},
        ssh={"config_file": str(inventory_dir / "ssh_config.none")},
    )


def _operators(nr: Nornir, groups_path: Path, groups_yaml: Any) -> dict[str, OperatorInfo]:
    operators: dict[str, OperatorInfo] = {}
    for name, group in nr.inventory.groups.items():
        data = group.data
        if "operator" not in data or "display_name" not in data:
            continue
        line = line_of(groups_yaml, [name])
        where = f"{groups_path}:{line}" if line else str(groups_path)
        try:
            info = OperatorInfo(
                id=data["operator"],
                display_name=data["display_name"],
                display_name_en=data.get("display_name_en", data["display_name"]),
                lang=data.get("lang", "zh-CN"),
            )
        except ValidationError as exc:
            raise InventoryError(f"{where}: group {name!r}: {exc.errors()[0]['msg']}") from None
        if info.id not in OPERATOR_IDS:
            raise InventoryError(
                f"{where}: group {name!r}: unknown operator {info.id!r} (known: {', '.join(OPERATOR_IDS)})"
            )
        operators[info.id] = info
    return operators


def _target(host: Host, operators: dict[str, OperatorInfo], where: str) -> Target:
    def get(key: str) -> Any:
        return host.get(key)

    platform = host.platform
    if platform is None:
        raise InventoryError(f"{where}: host {host.name!r}: no platform (set it on the host or a group)")
    if platform not in {p.value for p in Platform}:
        known = ", ".join(sorted(p.value for p in Platform))
        raise InventoryError(f"{where}: host {host.name!r}: unknown platform {platform!r} (known: {known})")
    operator = get("operator")
    if operator is None:
        raise InventoryError(f"{where}: host {host.name!r}: no operator (add an operator group)")
    if operator not in operators:
        known = ", ".join(sorted(operators)) or "none defined"
        raise InventoryError(
            f"{where}: host {host.name!r}: operator {operator!r} has no operator group ({known})"
        )
    tags = get("tags") or []
    try:
        return Target(
            name=host.name,
            hostname=host.hostname or host.name,
            port=host.port,
            platform=Platform(platform),
            operator=operator,
            role=get("role"),
            site=get("site"),
            environment=get("environment"),
            model=get("model"),
            tags=frozenset(str(t) for t in tags),
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        value = err.get("input")
        raise InventoryError(f"{where}: host {host.name!r}: {field}: {err['msg']} (got {value!r})") from None


def load_inventory(inventory_dir: Path, filters: TargetFilter | None = None) -> LoadedInventory:
    """Load, validate and filter the inventory. Raises :class:`InventoryError` (one line)."""
    parsed: dict[str, Any] = {}
    for name in FILES:
        path = inventory_dir / name
        if not path.is_file():
            raise InventoryError(f"{path}: missing inventory file")
        try:
            parsed[name] = load_yaml(path)
        except YamlError as exc:
            raise InventoryError(str(exc)) from None
    hosts_yaml = parsed["hosts.yaml"] or {}
    groups_yaml = parsed["groups.yaml"] or {}
    for host_name, body in hosts_yaml.items():
        for group in (body or {}).get("groups", []) or []:
            if group not in groups_yaml:
                line = line_of(hosts_yaml, [host_name, "groups"])
                raise InventoryError(
                    f"{inventory_dir / 'hosts.yaml'}:{line}: host {host_name!r}: unknown group {group!r}"
                )
    try:
        nr = init_nornir(inventory_dir)
    except Exception as exc:  # nornir raises assorted errors for bad inventories
        raise InventoryError(f"{inventory_dir}: inventory cannot be loaded: {exc}") from None
    operators = _operators(nr, inventory_dir / "groups.yaml", groups_yaml)
    targets: list[Target] = []
    hosts_path = inventory_dir / "hosts.yaml"
    for name, host in nr.inventory.hosts.items():
        line = line_of(hosts_yaml, [name])
        targets.append(_target(host, operators, f"{hosts_path}:{line}" if line else str(hosts_path)))
    selected = tuple(t for t in targets if (filters or TargetFilter()).accepts(t))
    return LoadedInventory(targets=selected, operators=operators, nornir=nr)
