"""``secaudit checks list|coverage|lint`` and ``waivers lint``: the catalogue and its waivers."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from secaudit.cli._app import EXIT_USAGE, ChecksOpt, checks_app, die, guard, out, waivers_app
from secaudit.errors import SecauditError
from secaudit.evaluate.coverage import coverage_markdown, coverage_rows, load_standards
from secaudit.evaluate.loader import (
    fixture_problems,
    load_catalogue,
    load_profile,
    load_tailoring,
    load_waivers,
)
from secaudit.resources import default_checks


@checks_app.command("list")
def checks_list(
    checks: ChecksOpt = None,
    output_format: Annotated[str, typer.Option("--format", help="table, json or markdown")] = "table",
) -> None:
    """List the controls of the catalogue."""

    def body() -> int:
        folder = checks or default_checks()
        catalogue = load_catalogue(folder)
        rows: list[dict[str, Any]] = [
            {
                "id": c.id,
                "title": c.title,
                "title_zh": c.title_zh,
                "phase": c.phase.value,
                "roles": [r.value for r in c.roles],
                "severity": c.severity.value,
                "standards": [s.model_dump(mode="json", exclude_none=True) for s in c.standards],
                "platforms": sorted(p.value for p in c.platforms),
            }
            for c in catalogue.controls
        ]
        if output_format == "json":
            sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        elif output_format == "markdown":
            lines = [
                "| id | title | 名称 | phase | roles | severity | platforms | standards |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for r in rows:
                refs = "; ".join(
                    f"{s['scheme']} {s['ref']}" + (f" ({s['test_id']})" if s.get("test_id") else "")
                    for s in r["standards"]
                )
                lines.append(
                    f"| {r['id']} | {r['title']} | {r['title_zh']} | {r['phase']} | {', '.join(r['roles'])} "
                    f"| {r['severity']} | {', '.join(r['platforms'])} | {refs} |"
                )
            sys.stdout.write("\n".join(lines) + "\n")
        elif output_format == "table":
            table = Table(title=f"{len(rows)} controls")
            for col in ("id", "title", "phase", "severity", "platforms"):
                table.add_column(col, overflow="fold")
            for r in rows:
                table.add_row(
                    r["id"],
                    f"{r['title']} / {r['title_zh']}",
                    r["phase"],
                    r["severity"],
                    ", ".join(r["platforms"]),
                )
            out.print(table)
        else:
            die(f"--format must be table, json or markdown, not {output_format!r}")
        return 0

    guard(body)


@checks_app.command("coverage")
def checks_coverage(
    checks: ChecksOpt = None,
    output_format: Annotated[str, typer.Option("--format", help="table, markdown or json")] = "table",
) -> None:
    """Coverage matrix per standard: automated, manual or not covered, per requirement."""

    def body() -> int:
        folder = checks or default_checks()
        catalogue = load_catalogue(folder)
        rows = coverage_rows(load_standards(folder), catalogue.controls)
        if output_format == "markdown":
            sys.stdout.write(coverage_markdown(rows))
        elif output_format == "json":
            sys.stdout.write(
                json.dumps([dataclasses.asdict(r) for r in rows], ensure_ascii=False, indent=2) + "\n"
            )
        elif output_format == "table":
            table = Table(title="standards coverage")
            for col in ("standard", "requirement", "coverage", "controls"):
                table.add_column(col, overflow="fold")
            for r in rows:
                table.add_row(
                    r.scheme,
                    f"{r.requirement} {r.title}",
                    r.coverage,
                    ", ".join(r.automated_by + r.manual_by),
                )
            out.print(table)
        else:
            die(f"--format must be table, markdown or json, not {output_format!r}")
        return 0

    guard(body)


@checks_app.command("lint")
def checks_lint(
    checks: ChecksOpt = None,
    fixtures: Annotated[
        Path | None,
        typer.Option(help="Control fixtures folder (default: tests/controls beside checks/, if present)"),
    ] = None,
) -> None:
    """Validate controls, profiles, tailoring and standards; each problem as file:line: message.

    With a fixtures folder, every automated (control, platform) block must have pass_, fail_ and
    error_ cases.
    """

    def body() -> int:
        folder = checks or default_checks()
        problems: list[str] = []
        catalogue = load_catalogue(folder, collect_problems=problems)
        ids = {c.id for c in catalogue.controls}
        for path in sorted((folder / "profiles").glob("*.yaml")):
            try:
                load_profile(folder, path.stem, ids)
            except SecauditError as exc:
                problems.append(str(exc))
        try:
            load_tailoring(folder, ids)
            load_standards(folder)
        except SecauditError as exc:
            problems.append(str(exc))
        fixture_dir = fixtures if fixtures is not None else folder.resolve().parent / "tests" / "controls"
        if fixtures is not None or fixture_dir.is_dir():
            problems.extend(fixture_problems(catalogue, fixture_dir))
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"{len(problems)} problem(s) in {folder}", file=sys.stderr)
            return EXIT_USAGE
        out.print(f"{len(catalogue.controls)} controls OK")
        return 0

    guard(body)


@waivers_app.command("lint")
def waivers_lint(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="Waiver YAML files")],
    checks: ChecksOpt = None,
    warn_days: Annotated[int, typer.Option(help="Flag waivers that expire within this many days")] = 30,
) -> None:
    """Validate waivers (all fields required, UTC expiry, known controls); list expired and expiring ones.

    Exit 0 when every waiver is valid and in force, 1 when some have expired, 2 on invalid files.
    """

    def body() -> int:
        folder = checks or default_checks()
        catalogue = load_catalogue(folder)
        waivers = load_waivers(files, {c.id for c in catalogue.controls})
        now = datetime.now(UTC)
        expired = 0
        table = Table(title=f"{len(waivers)} waiver(s)")
        for col in ("control", "scope", "ticket", "approver", "expires (UTC)", "state"):
            table.add_column(col)
        for w in waivers:
            days = (w.expires - now).days
            if w.expires <= now:
                state, expired = "EXPIRED", expired + 1
            elif days < warn_days:
                state = f"expires in {days} d"
            else:
                state = "in force"
            scope = ", ".join(
                x for x in (",".join(w.scope.hosts), w.scope.operator or "", w.scope.role or "") if x
            )
            table.add_row(w.control, scope, w.ticket, w.approver, f"{w.expires:%Y-%m-%d %H:%M}", state)
        out.print(table)
        return 1 if expired else 0

    guard(body)
