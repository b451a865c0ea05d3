"""The signed before/after bundle of one ``remediate apply``: ``remediation-<run-id>/``.

Layout: ``apply.json`` (per host: verdict, each finding's status before, after and after any
rollback, the lines pushed and rolled back as the plan wrote them - placeholders, never the
values - the lines the device rejected, and the device's answers, redacted), ``summary.txt``
(the same for a reader), ``config/<host>/{before,after,after_rollback}.txt`` (the redacted
configuration evidence of each audit), signed like every bundle (``manifest.json`` + signature).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from secaudit import __version__
from secaudit.closedloop.loop import HostOutcome
from secaudit.sign.manifest import RunStamp, sign_bundle
from secaudit.sign.suites import Signer


def bundle_dir(output: Path, run_id: str) -> Path:
    """``output/remediation-<run-id>`` (``-2``, ``-3``, ... when an earlier apply wrote one)."""
    base = output / f"remediation-{run_id}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def summary_lines(outcomes: list[HostOutcome]) -> list[str]:
    """The human-readable account of an apply."""
    out: list[str] = []
    for o in outcomes:
        out.append(f"{o.host} ({o.platform}, {o.operator}): {o.verdict.value} - {o.message}")
        for change in o.changes:
            if (
                change.targeted
                or change.before != change.after
                or change.after_rollback not in (None, change.before)
            ):
                mark = "*" if change.targeted else " "
                back = f" -> {change.after_rollback}" if change.after_rollback is not None else ""
                out.append(f"  {mark} {change.control_id}: {change.before} -> {change.after}{back}")
        for control, reason in sorted(o.skipped.items()):
            out.append(f"    {control}: not pushed: {reason}")
    return out


def write_bundle(
    output: Path,
    run_id: str,
    outcomes: list[HostOutcome],
    *,
    signer: Signer,
    started: datetime,
    finished: datetime,
) -> Path:
    """Write and sign the bundle; returns its folder."""
    folder = bundle_dir(output, run_id)
    folder.mkdir(parents=True)
    hosts = []
    for o in outcomes:
        doc = asdict(o)
        configs = doc.pop("configs")
        doc["changes"] = [asdict(c) for c in o.changes]
        hosts.append(doc)
        for name, text in configs.items():
            path = folder / "config" / o.host / f"{name}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    body = {
        "schema_version": "1.0",
        "run_id": run_id,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "hosts": hosts,
    }
    (folder / "apply.json").write_text(
        json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (folder / "summary.txt").write_text("\n".join(summary_lines(outcomes)) + "\n", encoding="utf-8")
    stamp = RunStamp(
        run_id=run_id,
        tool_version=__version__,
        checks_digest="",
        started_at=started.isoformat(timespec="seconds"),
        finished_at=finished.isoformat(timespec="seconds"),
    )
    sign_bundle(folder, signer, stamp)
    return folder


def tally(outcomes: list[HostOutcome]) -> tuple[int, int]:
    """(X, Y): Y = the hosts' failing findings whose plan has remediation lines; X = those of
    them that pass after ``apply`` and stayed applied (verdict ``fixed``).

    Examples:
        >>> tally([])
        (0, 0)
    """
    total = sum(len(o.failing_with_fix) for o in outcomes)
    fixed = 0
    for o in outcomes:
        if o.verdict.value != "fixed":
            continue
        after = {c.control_id: c.after for c in o.changes}
        fixed += sum(after.get(cid) == "pass" for cid in o.failing_with_fix)
    return fixed, total


def exit_code(outcomes: list[HostOutcome]) -> int:
    """The README's scheme: 0 every host fixed as planned; 1 findings remain (a fix not pushed,
    not fixed or rolled back); 2 a host refused (drift); 3 incomplete (an audit could not
    collect, or a rollback did not restore the configuration).

    Examples:
        >>> exit_code([])
        0
    """
    verdicts = {o.verdict.value for o in outcomes}
    if "refused" in verdicts:
        return 2
    if "incomplete" in verdicts:
        return 3
    if any(o.verdict.value == "rolled_back" or o.skipped for o in outcomes):
        return 1
    return 0
