"""``secaudit diff`` and ``history``: what changed between runs, and the trend."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from secaudit.cli._app import app, die, guard, out
from secaudit.history import HistoryStore, diff_json, diff_markdown, diff_table, history_for
from secaudit.history import diff as history_diff

DbOpt = Annotated[Path, typer.Option("--db", help="Run history database")]


@app.command("diff")
def diff_runs(
    run_a: Annotated[str, typer.Argument(help="Run id, unique prefix, latest, previous or latest~N")],
    run_b: Annotated[str, typer.Argument(help="Run id, unique prefix, latest, previous or latest~N")],
    db: DbOpt = Path("reports") / "history.sqlite3",
    output_format: Annotated[str, typer.Option("--format", help="table, json or markdown")] = "table",
    include_errors: Annotated[bool, typer.Option(help="Count error findings as failing")] = False,
) -> None:
    """Compare two runs: new, fixed, regressed, still failing, waiver expired (with dates)."""

    def body() -> int:
        if not db.is_file():
            die(f"{db}: no run history yet")
        report = history_diff(HistoryStore(db, create=False), run_a, run_b, include_errors=include_errors)
        if output_format == "json":
            sys.stdout.write(diff_json(report))
        elif output_format == "markdown":
            sys.stdout.write(diff_markdown(report))
        elif output_format == "table":
            out.print(diff_table(report))
        else:
            die(f"--format must be table, json or markdown, not {output_format!r}")
        return 0

    guard(body)


@app.command()
def history(
    db: DbOpt = Path("reports") / "history.sqlite3",
    host: Annotated[str | None, typer.Option(help="Only this host")] = None,
    control: Annotated[str | None, typer.Option(help="Only this control")] = None,
    limit: Annotated[int, typer.Option(help="Number of runs")] = 20,
) -> None:
    """Trend per run: status counts and scores (and the status of one host+control)."""

    def body() -> int:
        if not db.is_file():
            die(f"{db}: no run history yet")
        points = history_for(HistoryStore(db, create=False), host=host, control=control, limit=limit)
        table = Table(title=f"history ({db})")
        for col in (
            "run",
            "started (UTC)",
            "score",
            "w/ waivers",
            "fail",
            "error",
            *(("status",) if host and control else ()),
        ):
            table.add_column(col)
        for pt in points:
            row = [
                pt.run_id,
                str(pt.started_at),
                "-" if pt.score is None else f"{pt.score:.1f}",
                "-" if pt.score_with_waivers is None else f"{pt.score_with_waivers:.1f}",
                str(pt.counts.get("fail", 0)),
                str(pt.counts.get("error", 0)),
            ]
            if host and control:
                row.append(str(pt.status or "-"))
            table.add_row(*row)
        out.print(table)
        return 0

    guard(body)
