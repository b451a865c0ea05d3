"""The signed run a remediation starts from: verified bundles, the lab gate, and each host's plan.

The plan is not parsed back from ``remediation/<host>.txt``: it is computed again from the
signed findings, the signed running-configuration evidence and the recorded catalogue, and its
rendering must equal the signed file byte for byte (otherwise secaudit refuses: the run was made
by another version or the file is not what the findings imply).
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path

from secaudit.errors import ConfigurationError
from secaudit.evaluate.loader import Catalogue, load_catalogue
from secaudit.models.enums import Environment
from secaudit.models.finding import Finding
from secaudit.models.target import Target
from secaudit.platforms import get_platform
from secaudit.remediate import RemediationPlan, plan_for_host, render_plan
from secaudit.sign.manifest import verify_bundle
from secaudit.sign.suites import Verifier


class RefusedError(ConfigurationError):
    """``remediate apply`` refuses a host or a run (exit 2, with the reason)."""


@dataclass(frozen=True, slots=True)
class HostSource:
    """One host of a signed run: its bundle, findings, evidence digests and plan."""

    target: Target
    bundle: Path
    findings: tuple[Finding, ...]
    digests: dict[str, str]
    running: str | None
    plan: RemediationPlan
    catalogue: Catalogue
    collection: str = "ok"


def verified_bundles(run_dir: Path, verifier: Verifier) -> list[Path]:
    """Every operator bundle of ``run_dir`` (folders with ``provenance/``), each verified."""
    if not run_dir.is_dir():
        raise RefusedError(f"{run_dir}: not a run folder")
    bundles = sorted(p for p in run_dir.iterdir() if p.is_dir() and (p / "provenance").is_dir())
    if not bundles:
        raise RefusedError(f"{run_dir}: no operator bundle (a folder with provenance/) in this run")
    for bundle in bundles:
        report = verify_bundle(bundle, verifier)
        if not report.ok:
            raise RefusedError(f"{bundle}: signature check failed: {'; '.join(report.problems[:3])}")
    return bundles


def lab_gate(target: Target) -> None:
    """Only lab hosts are ever written to; no option lifts this (least of all for production).

    Examples:
        >>> from secaudit.models.enums import Platform, Role
        >>> t = Target(name="r1", hostname="127.0.0.1", platform=Platform.HUAWEI_VRP, operator="telecom",
        ...            role=Role.EDGE5G, site="s", environment=Environment.PRODUCTION, model="m")
        >>> lab_gate(t)
        Traceback (most recent call last):
        ...
        secaudit.closedloop.source.RefusedError: r1: environment is production; remediate apply writes ...
    """
    if target.environment is not Environment.LAB:
        raise RefusedError(
            f"{target.name}: environment is {target.environment.value}; remediate apply writes only to "
            "hosts whose inventory environment is lab (staging and production are never changed by secaudit)"
        )
    if get_platform(target.platform).config_session is None:
        raise RefusedError(f"{target.name}: platform {target.platform.value} has no configuration session")


def host_sources(bundles: list[Path], pattern: str, current: dict[str, Target]) -> list[HostSource]:
    """The hosts of the run matching ``pattern``, each passed through the lab gate (both the
    recorded and the current inventory must say lab), with its plan checked against the bundle."""
    out: list[HostSource] = []
    for bundle in bundles:
        recorded = [
            Target.model_validate(t)
            for t in json.loads((bundle / "provenance" / "inventory.json").read_text(encoding="utf-8"))
        ]
        chosen = [t for t in recorded if fnmatch.fnmatchcase(t.name, pattern)]
        if not chosen:
            continue
        catalogue = load_catalogue(bundle / "provenance" / "catalogue")
        doc = json.loads((bundle / "findings.json").read_text(encoding="utf-8"))
        findings = tuple(Finding.model_validate(f) for f in doc["findings"])
        run_id = str(doc.get("run", {}).get("id") or bundle.parent.name)
        for target in chosen:
            lab_gate(target)
            now = current.get(target.name)
            if now is None:
                raise RefusedError(f"{target.name}: not in the current inventory")
            lab_gate(now)
            out.append(_source(bundle, now, findings, catalogue, run_id))
    if not out:
        raise RefusedError(f"no host of the run matches {pattern!r}")
    return out


def _source(
    bundle: Path, target: Target, findings: tuple[Finding, ...], catalogue: Catalogue, run_id: str
) -> HostSource:
    spec = get_platform(target.platform)
    meta = json.loads((bundle / "evidence" / target.name / "meta.json").read_text(encoding="utf-8"))
    digests = {str(c["command"]): str(c["sha256"]) for c in meta["commands"].values() if c.get("sha256")}
    running = None
    if spec.config_command is not None:
        slug = next((s for s, c in meta["commands"].items() if c["command"] == spec.config_command), None)
        path = bundle / "evidence" / target.name / f"{slug}.txt"
        running = path.read_text(encoding="utf-8") if slug is not None and path.is_file() else None
    own = tuple(f for f in findings if f.host == target.name)
    plan = plan_for_host(target.name, target.platform, own, catalogue.by_id(), running or None, run_id)
    signed = bundle / "remediation" / f"{target.name}.txt"
    if plan.fixes and (not signed.is_file() or signed.read_text(encoding="utf-8") != render_plan(plan)):
        raise RefusedError(
            f"{target.name}: the signed remediation/{target.name}.txt is not the plan this secaudit computes "
            "from the run's findings and evidence (another version made the run?): audit again first"
        )
    state = str(meta.get("collection", {}).get("state", "ok"))
    return HostSource(target, bundle, own, digests, running, plan, catalogue, state)
