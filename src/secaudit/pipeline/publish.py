"""Write and sign a run's bundles: atomic at the run level (``.partial-<run-id>`` renamed at the end)."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secaudit.errors import ReportError
from secaudit.evaluate.city import share_rows
from secaudit.evaluate.coverage import CoverageRow
from secaudit.inventory import operators_of
from secaudit.models.city import CityTargets, DeclaredKpis
from secaudit.models.finding import RunResult
from secaudit.models.profile import Attestation, Waiver
from secaudit.provenance import write_provenance
from secaudit.report.bundle import CityExtras, write_city_bundle, write_operator_bundle
from secaudit.sign.manifest import RunStamp, sign_bundle
from secaudit.sign.suites import Signer
from secaudit.timing import StageTimes, timed


def city_extras(
    result: RunResult,
    targets: CityTargets | None,
    kpis: DeclaredKpis | None,
    coverage: Iterable[CoverageRow] = (),
) -> CityExtras:
    """JSON-ready city sections: annex targets with measured/declared values, census, coverage."""
    operators = operators_of(result.targets)
    target_rows: list[dict[str, Any]] = []
    if targets is not None:
        shares = {r.operator: r for r in share_rows(targets, result.pon_census, operators)}
        for t in targets.targets:
            per_op = []
            for op in sorted(set(t.values) | set(operators), key=lambda o: (o not in operators, o)):
                entry: dict[str, Any] = {
                    "operator": op,
                    "target": t.values.get(op),
                    "value": None,
                    "meets": None,
                }
                if t.kind == "measured" and op in shares:
                    sr = shares[op]
                    entry.update(
                        value=sr.measured_pct,
                        meets=sr.meets,
                        complete=sr.complete,
                        olts=sr.olts,
                        ten_g_ports=sr.ten_g_ports,
                        total_ports=sr.total_ports,
                    )
                elif t.kind == "declared" and kpis is not None:
                    value = kpis.operators.get(op, {}).get(t.id)
                    entry.update(
                        value=value,
                        meets=None if value is None or entry["target"] is None else value >= entry["target"],
                    )
                per_op.append(entry)
            target_rows.append({**t.model_dump(mode="json"), "operators": per_op})
    return CityExtras(
        targets=target_rows,
        kpi_source=f"{kpis.source} (declared {kpis.declared_at:%Y-%m-%d})" if kpis is not None else "",
        coverage=[dataclasses.asdict(r) for r in coverage],
        census=[c.model_dump(mode="json") | {"total": c.total, "ten_g": c.ten_g} for c in result.pon_census],
    )


def partial_dir(output_root: Path, run_id: str) -> Path:
    """Where a run is assembled before it is renamed into place (created empty)."""
    output_root.mkdir(parents=True, exist_ok=True)
    final = output_root / run_id
    if final.exists():
        raise ReportError(f"{final}: run folder already exists")
    partial = output_root / f".partial-{run_id}"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    return partial


@dataclass(frozen=True, slots=True)
class Provenance:
    """What goes into each operator bundle's ``provenance/`` (see :mod:`secaudit.provenance`)."""

    checks_root: Path
    params: Mapping[str, Any]
    waivers: tuple[Waiver, ...] = ()
    attestations: tuple[Attestation, ...] = ()


def publish(
    result: RunResult,
    partial: Path,
    templates_dir: Path,
    private_key: Signer | Ed25519PrivateKey | None,
    *,
    lang: str | None = None,
    extras: CityExtras | None = None,
    remediation: Mapping[str, str] | None = None,
    provenance: Provenance | None = None,
    operator_keys: Mapping[str, Signer | Ed25519PrivateKey] | None = None,
    times: StageTimes | None = None,
) -> Path:
    """Write every bundle of a run and sign each one; atomic at the run level.

    ``partial`` (from :func:`partial_dir`) already holds ``evidence/`` from the evidence store.
    Bundles are built there and the folder is renamed to ``<output_root>/<run_id>/`` only after
    every bundle is written and signed, so an interrupted run leaves no folder that looks complete.
    ``operator_keys`` signs an operator's bundle with that operator's own key (the city and
    evidence bundles, and operators without one, use ``private_key``). ``remediation`` holds each
    host's plan text from the remediation stage; the report stage only writes it.
    """
    final = partial.parent / result.run.id
    try:
        with timed(times, "report"):
            bundles = _write_bundles(
                partial,
                templates_dir,
                result,
                lang=lang,
                extras=extras,
                remediation=remediation,
                provenance=provenance,
            )
        if private_key is not None:
            stamp = RunStamp(
                run_id=result.run.id,
                tool_version=result.run.tool_version,
                checks_digest=result.run.checks_digest,
                started_at=result.run.started_at.isoformat(),
                finished_at=result.run.finished_at.isoformat(),
            )
            with timed(times, "sign"):
                for bundle in bundles:
                    sign_bundle(bundle, (operator_keys or {}).get(bundle.name, private_key), stamp)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def _write_bundles(
    partial: Path,
    templates_dir: Path,
    result: RunResult,
    *,
    lang: str | None,
    extras: CityExtras | None,
    remediation: Mapping[str, str] | None,
    provenance: Provenance | None,
) -> list[Path]:
    """Write every operator bundle, the city bundle, and list the folders to sign."""
    bundles = [
        write_operator_bundle(partial, templates_dir, result, op, lang=lang, remediation=remediation or {})
        for op in operators_of(result.targets)
    ]
    if provenance is not None:
        for bundle in bundles:
            write_provenance(
                bundle,
                result,
                [t for t in result.targets if t.operator == bundle.name],
                checks_root=provenance.checks_root,
                params=provenance.params,
                waivers=provenance.waivers,
                attestations=provenance.attestations,
            )
    bundles.append(write_city_bundle(partial, templates_dir, result, lang or "zh-CN", extras))
    if (partial / "evidence").is_dir():
        bundles.append(partial / "evidence")
    return bundles
