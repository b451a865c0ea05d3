"""``secaudit diff`` and ``history``: what changed between runs, and the trend (per fleet)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from secaudit.cli._app import app, die, guard, out
from secaudit.history import (
    HistoryStore,
    diff_json,
    diff_markdown,
    diff_table,
    fleet_label,
    history_for,
)
from secaudit.history import diff as history_diff
from secaudit.history.diff import parse_kinds

DbOpt = Annotated[Path, typer.Option("--db", help="Run history database")]
FleetOpt = Annotated[
    str | None,
    typer.Option(
        help="Fleet (a --fleet name given to `run`, or a key shown by `history --fleets`); "
        "default: the fleet of the newest run"
    ),
]
RunRef = Annotated[str, typer.Argument(help="Run id, unique prefix, latest, previous or latest~N")]


def _open(db: Path) -> HistoryStore:
    if not db.is_file():
        die(f"{db}: no run history yet")
    return HistoryStore(db, create=False)


@app.command("diff")
def diff_runs(
    run_a: RunRef,
    run_b: RunRef,
    db: DbOpt = Path("reports") / "history.sqlite3",
    fleet: FleetOpt = None,
    output_format: Annotated[str, typer.Option("--format", help="table, json or markdown")] = "table",
    include_errors: Annotated[bool, typer.Option(help="Count error findings as failing")] = False,
    show_not_failing: Annotated[
        bool,
        typer.Option(
            "--show-not-failing", help="Also list the findings failing in neither run (hidden by default)"
        ),
    ] = False,
    fail_on: Annotated[
        str | None,
        typer.Option(
            help="Exit 1 when a change of these kinds exists, e.g. new,regressed (for CI); "
            "kinds: new, regressed, waiver_expired, still_failing, unverified, fixed"
        ),
    ] = None,
) -> None:
    """Compare two runs of one fleet: new, fixed, regressed, still failing, waiver expired.

    latest, previous and latest~N count the runs of one fleet only (--fleet, default: the
    fleet of the newest run). Exit 0, or 1 with --fail-on when such a change exists.
    """

    def body() -> int:
        try:
            gate = parse_kinds(fail_on) if fail_on is not None else frozenset()
        except ValueError as exc:
            die(f"--fail-on: {exc}")
        if output_format not in ("table", "json", "markdown"):
            die(f"--format must be table, json or markdown, not {output_format!r}")
        store = _open(db)
        scope = fleet if fleet is not None else store.latest_fleet()
        report = history_diff(store, run_a, run_b, include_errors=include_errors, fleet=scope)
        if output_format == "json":
            sys.stdout.write(diff_json(report, show_all=show_not_failing))
        elif output_format == "markdown":
            sys.stdout.write(diff_markdown(report, show_all=show_not_failing))
        else:
            out.print(diff_table(report, show_all=show_not_failing))
            if report.run_a.fleet != report.run_b.fleet:
                out.print(
                    f"note: the runs belong to different fleets ({fleet_label(report.run_a.fleet)} "
                    f"and {fleet_label(report.run_b.fleet)})",
                    markup=False,
                )
        hits = [e for e in report.entries if e.kind in gate]
        if hits:
            kinds = ", ".join(sorted({e.kind.value for e in hits}))
            print(f"--fail-on: {len(hits)} finding(s) {kinds}", file=sys.stderr)
            return 1
        return 0

    guard(body)


@app.command()
def history(
    db: DbOpt = Path("reports") / "history.sqlite3",
    fleet: FleetOpt = None,
    fleets: Annotated[bool, typer.Option("--fleets", help="List the fleets with recorded runs")] = False,
    host: Annotated[str | None, typer.Option(help="Only this host")] = None,
    control: Annotated[str | None, typer.Option(help="Only this control")] = None,
    operator: Annotated[str | None, typer.Option(help="Only this operator's findings")] = None,
    limit: Annotated[int, typer.Option(help="Number of runs")] = 20,
) -> None:
    """Trend per run of one fleet: status counts and scores (and the status of one host+control).

    A run where half or more of the hosts failed collection is marked collection_incomplete:
    shown, but its score is not part of the trend.
    """

    def body() -> int:
        store = _open(db)
        if fleets:
            table = Table(title=f"fleets ({db})")
            for col in ("fleet", "hosts", "runs", "newest run (UTC)"):
                table.add_column(col)
            for key, hosts, runs, newest in store.fleets():
                table.add_row(Text(key), str(hosts), str(runs), f"{newest:%Y-%m-%d %H:%M}")
            out.print(table)
            return 0
        scope = fleet if fleet is not None else store.latest_fleet()
        points = history_for(store, host=host, control=control, limit=limit, fleet=scope, operator=operator)
        label = fleet_label(scope) if scope is not None else "(none)"
        table = Table(
            title=Text(f"history of fleet {label}" + (f", operator {operator}" if operator else ""))
        )
        for col in (
            "run",
            "started (UTC)",
            "collection",
            "score",
            "w/ waivers",
            "fail",
            "error",
            *(("status",) if host and control else ()),
        ):
            table.add_column(col)
        for pt in points:
            incomplete = pt.completeness.value == "collection_incomplete"
            row = [
                pt.run_id,
                f"{pt.started_at:%Y-%m-%d %H:%M}",
                pt.completeness.value,
                "-" if pt.score is None else f"{pt.score:.1f}" + (" (not in trend)" if incomplete else ""),
                "-" if pt.score_with_waivers is None else f"{pt.score_with_waivers:.1f}",
                str(pt.counts.get("fail", 0)),
                str(pt.counts.get("error", 0)),
            ]
            if host and control:
                row.append(str(pt.status or "-"))
            table.add_row(*(Text(cell) for cell in row), style="red" if incomplete else None)
        out.print(table)
        return 0

    guard(body)
