"""``secaudit schedule``: scheduled audits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secaudit.cli._app import app, die, guard, out
from secaudit.schedule import load_schedule, run_job, serve


@app.command()
def schedule(
    config: Annotated[Path, typer.Option(help="Schedule YAML (jobs with cron expressions)")],
    once: Annotated[bool, typer.Option(help="Run the selected jobs now, once, and exit")] = False,
    job: Annotated[list[str] | None, typer.Option(metavar="NAME", help="Only this job (repeatable)")] = None,
) -> None:
    """Run scheduled audits (cron per job, no overlapping runs, keep the last N runs, hooks)."""

    def body() -> int:
        cfg = load_schedule(config)
        jobs = tuple(j for j in cfg.jobs if not job or j.name in job)
        unknown = set(job or ()) - {j.name for j in cfg.jobs}
        if unknown:
            die(f"{config}: unknown job(s): {', '.join(sorted(unknown))}")
        if not once:
            out.print(
                f"scheduling {len(jobs)} job(s) (UTC): " + ", ".join(f"{j.name} [{j.cron}]" for j in jobs)
            )
            serve(cfg, jobs)
            return 0
        worst = 0
        for j in jobs:
            res = run_job(j, cfg.defaults)
            code = "skipped" if res.exit_code is None else str(res.exit_code)
            out.print(f"{j.name}: exit {code} {res.run_dir or ''} {res.detail}".rstrip())
            if res.exit_code is not None:
                worst = max(worst, res.exit_code)
        return worst

    guard(body)
