"""The command-line application, its sub-command groups and the helpers every command shares."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from secaudit import __version__
from secaudit.errors import SecauditError
from secaudit.models.enums import Status
from secaudit.models.finding import RunResult
from secaudit.models.target import operators_of
from secaudit.report.summary import is_compliant, score, status_counts

app = typer.Typer(
    help="secaudit: audit OLTs, gateways and 5G edge routers against the dual-gigabit security baseline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # click's plain help: it wraps option help under the option at 80 columns, where rich's
    # three-column panels truncate long option names and squeeze the help into a narrow column
    rich_markup_mode=None,
)
checks_app = typer.Typer(help="Inspect and lint the check catalogue.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage signing keys.", no_args_is_help=True)
waivers_app = typer.Typer(help="Check waiver files.", no_args_is_help=True)
hostkeys_app = typer.Typer(
    help="Enrol and check SSH host keys (strict checking needs them).", no_args_is_help=True
)
app.add_typer(hostkeys_app, name="hostkeys")
lab_app = typer.Typer(help="The embedded SSH device lab (127.0.0.1 only).", no_args_is_help=True)
app.add_typer(lab_app, name="lab")
app.add_typer(checks_app, name="checks")
app.add_typer(waivers_app, name="waivers")
app.add_typer(keys_app, name="keys")

# Wide tables when piped (cron, CI logs); rich would otherwise assume 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)

EXIT_USAGE = 2
STATUS_HEADERS = {
    Status.PASS: "pass",
    Status.FAIL: "fail",
    Status.WARN: "warn",
    Status.MANUAL: "manual",
    Status.NOT_APPLICABLE: "n/a",
    Status.NOT_COLLECTED: "not coll.",
    Status.ERROR: "error",
}


def die(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(EXIT_USAGE)


def guard(func: Callable[[], int]) -> NoReturn:
    try:
        code = func()
    except SecauditError as exc:
        die(str(exc))
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:
        if os.environ.get("SECAUDIT_DEBUG"):
            raise
        die(
            f"internal error ({type(exc).__name__}: {exc}); "
            "set SECAUDIT_DEBUG=1 for a traceback and report it"
        )
    raise typer.Exit(code)


def passphrase(env_name: str | None) -> bytes | None:
    if not env_name:
        return None
    value = os.environ.get(env_name)
    if value is None:
        die(f"environment variable {env_name} (passphrase) is not set")
    return value.encode("utf-8")


OperatorOpt = Annotated[
    list[str] | None, typer.Option(metavar="OPERATOR", help="Only this operator's hosts (repeatable)")
]
RoleOpt = Annotated[
    list[str] | None,
    typer.Option(metavar="ROLE", help="Only hosts of this role: olt, gateway, edge5g (repeatable)"),
]
SiteOpt = Annotated[
    list[str] | None, typer.Option(metavar="SITE", help="Only hosts of this site (repeatable)")
]
HostOpt = Annotated[list[str] | None, typer.Option(metavar="GLOB", help="Host name or glob (repeatable)")]
ProfileOpt = Annotated[str, typer.Option(help="Profile in checks/profiles/ (baseline, plan, build, operate)")]
PhaseOpt = Annotated[
    list[str] | None, typer.Option(metavar="PHASE", help="Only controls of this phase (repeatable)")
]
TagOpt = Annotated[
    list[str] | None, typer.Option(metavar="TAG", help="Only controls with this tag (repeatable)")
]
ControlOpt = Annotated[
    list[str] | None, typer.Option(metavar="ID", help="Only these control ids or globs (repeatable)")
]


StateDir = Annotated[
    Path | None,
    typer.Option(help="Lab state folder (default: one per checkout, keyed by its path, outside it)"),
]
ChecksOpt = Annotated[
    Path | None, typer.Option(help="Check catalogue folder (default: the catalogue shipped with secaudit)")
]
TemplatesOpt = Annotated[
    Path | None, typer.Option(help="Report templates folder (default: the templates shipped with secaudit)")
]


def summary_table(result: RunResult, title: str) -> Table:
    table = Table(title=title)
    table.add_column("operator")
    table.add_column("hosts", justify="right")
    table.add_column("compliant", justify="right")
    table.add_column("score", justify="right")
    table.add_column("w/ waivers", justify="right")
    table.add_column("waived", justify="right")
    for header in STATUS_HEADERS.values():
        table.add_column(header, justify="right")
    groups = operators_of(result.targets) or sorted({t.operator for t in result.targets})
    for op in groups:
        findings = [f for f in result.findings if f.operator == op]
        hosts = [t.name for t in result.targets if t.operator == op]
        ok = sum(is_compliant(f for f in findings if f.host == h) for h in hosts)
        counts = status_counts(findings)
        sc = score(findings)
        scw = score(findings, with_waivers=True)
        table.add_row(
            op,
            str(len(hosts)),
            str(ok),
            "-" if sc is None else f"{sc:.1f}%",
            "-" if scw is None else f"{scw:.1f}%",
            str(sum(f.waived for f in findings)),
            *(str(counts[s.value]) for s in Status),
        )
    return table


def _version_callback(value: bool) -> None:
    if value:
        print(f"secaudit {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version")
    ] = False,
) -> None:
    """secaudit command line."""
