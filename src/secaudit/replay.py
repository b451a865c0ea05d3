"""``secaudit verify --replay``: re-evaluate a bundle's evidence with its recorded catalogue.

The replay drives the same audit loop as a run (:func:`secaudit.pipeline.run_audit` over an
:class:`~secaudit.collect.offline.OfflineCollector`), with the run's own clock.

Uses ``provenance/`` (see :mod:`secaudit.provenance`): the recorded catalogue, profile and
selection, inventory snapshot, waivers and attestations, with the run's start time as "now", and
compares every finding with ``findings.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from secaudit.collect.offline import OfflineCollector
from secaudit.evaluate.loader import load_catalogue, load_profile, load_tailoring
from secaudit.evaluate.policy import select_controls
from secaudit.models.profile import Attestation, Selection, Waiver
from secaudit.models.target import Target
from secaudit.parse.textfsm import OWN_TEMPLATES
from secaudit.pipeline import HOST_KEY_CONTROL, RunConfig, run_audit


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """Differences between a bundle's findings and a re-evaluation of its evidence."""

    checked: int
    differences: tuple[str, ...]
    notes: tuple[str, ...]


def recorded_config(
    bundle: Path, targets: tuple[Target, ...] | None = None, now: datetime | None = None
) -> tuple[RunConfig, tuple[str, ...]]:
    """The :class:`RunConfig` a bundle's run used, from its ``provenance/``: the recorded
    catalogue, profile, selection, tailoring, waivers and attestations, for the recorded
    inventory (or ``targets``), with the run's start time as "now" (or ``now``); and notes."""
    prov = bundle / "provenance"
    run = json.loads((prov / "run.json").read_text(encoding="utf-8"))
    params = run["parameters"]
    catalogue = load_catalogue(prov / "catalogue")
    ids = {c.id for c in catalogue.controls}
    notes: list[str] = []
    recorded_templates = prov / "catalogue" / "textfsm_templates"
    if _tree_bytes(recorded_templates) != _tree_bytes(OWN_TEMPLATES):
        notes.append(
            "the installed TextFSM templates differ from the recorded ones; parsing used the installed ones"
        )
    profile = load_profile(prov / "catalogue", params.get("profile", "baseline"), ids)
    narrowing = Selection(
        phases=tuple(params.get("phases", ())),
        tags=tuple(params.get("tags", ())),
        controls=tuple(params.get("controls", ())),
    )
    controls = select_controls(catalogue.controls, profile.select, narrowing)
    tailoring = load_tailoring(prov / "catalogue", ids)
    if targets is None:
        targets = tuple(
            Target.model_validate(t)
            for t in json.loads((prov / "inventory.json").read_text(encoding="utf-8"))
        )
    waivers = [
        Waiver.model_validate(w) for w in json.loads((prov / "waivers.json").read_text(encoding="utf-8"))
    ]
    attestations = [
        Attestation.model_validate(a)
        for a in json.loads((prov / "attestations.json").read_text(encoding="utf-8"))
    ]
    clock = now or datetime.fromisoformat(run["run"]["started_at"])
    config = RunConfig(
        catalogue=catalogue,
        operators={},
        targets=targets,
        profile=profile,
        controls=controls,
        tailoring=tailoring,
        waivers=tuple(waivers),
        attestations=tuple(attestations),
        now=lambda: clock,
        run_id=run["run"]["id"],
    )
    return config, tuple(notes)


def replay(bundle: Path) -> ReplayReport:
    """Re-evaluate ``bundle/evidence`` with the recorded catalogue, inventory, waivers and attestations."""
    config, notes = recorded_config(bundle)
    replayed = {
        f.fingerprint: (f.status.value, f.waived, f.message)
        for f in run_audit(config, OfflineCollector(bundle / "evidence")).result.findings
        if f.control_id != HOST_KEY_CONTROL
    }
    recorded = {
        f["fingerprint"]: (f["status"], f["waived"], f["message"], f["control_id"], f["host"])
        for f in json.loads((bundle / "findings.json").read_text(encoding="utf-8"))["findings"]
        if f["control_id"] != HOST_KEY_CONTROL
    }
    differences: list[str] = []
    for fp, (status, waived, message, control, host) in sorted(
        recorded.items(), key=lambda kv: (kv[1][4], kv[1][3])
    ):
        got = replayed.get(fp)
        if got is None:
            differences.append(f"{host} {control}: recorded {status}, not produced by the replay")
        elif got[:2] != (status, waived) or got[2] != message:
            differences.append(
                f"{host} {control}: recorded {status}{' (waived)' if waived else ''}, replay gives {got[0]}"
            )
    for fp in sorted(set(replayed) - set(recorded)):
        differences.append(f"finding {fp} produced by the replay is not in findings.json")
    return ReplayReport(checked=len(recorded), differences=tuple(differences), notes=notes)


def _tree_bytes(root: Path) -> list[tuple[str, bytes]]:
    if not root.is_dir():
        return []
    return [(p.relative_to(root).as_posix(), p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()]
