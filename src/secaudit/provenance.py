"""Provenance written into every operator bundle, so a bundle can be re-derived years later.

``provenance/`` holds: ``run.json`` (run parameters, tool, Python and dependency versions, UTC
times), ``inventory.json`` (the bundle's hosts, no secrets), ``catalogue/`` (a copy of the check
catalogue used: controls, profiles, tailoring, data, and secaudit's own TextFSM templates),
``waivers.json`` and ``attestations.json`` (those in force for the run). The manifest signs it all;
:mod:`secaudit.replay` re-evaluates a bundle from it.
"""

from __future__ import annotations

import json
import platform
import shutil
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from secaudit import __version__
from secaudit.models.finding import RunResult
from secaudit.models.profile import Attestation, Waiver
from secaudit.models.target import Target
from secaudit.parse.textfsm import OWN_TEMPLATES

DEPENDENCIES = (
    "nornir",
    "nornir-netmiko",
    "netmiko",
    "paramiko",
    "textfsm",
    "ntc-templates",
    "hier-config",
    "jinja2",
    "cryptography",
    "pydantic",
    "ruamel.yaml",
    "defusedxml",
    "gmalg",
    "asn1crypto",
)


def versions() -> dict[str, str]:
    """Tool, Python and dependency versions.

    Examples:
        >>> "secaudit" in versions() and "python" in versions()
        True
    """
    out = {"secaudit": __version__, "python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _dump(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )


def write_provenance(
    folder: Path,
    result: RunResult,
    targets: Iterable[Target],
    *,
    checks_root: Path,
    params: Mapping[str, Any],
    waivers: Sequence[Waiver],
    attestations: Sequence[Attestation],
) -> None:
    """Write ``folder/provenance/`` for one bundle."""
    prov = folder / "provenance"
    prov.mkdir(parents=True, exist_ok=True)
    _dump(
        prov / "run.json",
        {"run": result.run.model_dump(mode="json"), "parameters": dict(params), "versions": versions()},
    )
    _dump(prov / "inventory.json", [t.model_dump(mode="json") for t in targets])
    _dump(prov / "waivers.json", [w.model_dump(mode="json") for w in waivers])
    _dump(prov / "attestations.json", [a.model_dump(mode="json") for a in attestations])
    catalogue = prov / "catalogue"
    for sub in ("controls", "profiles", "tailoring", "data"):
        if (checks_root / sub).is_dir():
            shutil.copytree(checks_root / sub, catalogue / sub, symlinks=False)
    shutil.copytree(OWN_TEMPLATES, catalogue / "textfsm_templates", symlinks=False)
