"""``secaudit remediate apply``: closed-loop remediation on lab hosts (:mod:`secaudit.closedloop`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from secaudit.cli._app import app, die, guard, out, passphrase
from secaudit.closedloop.loop import Context, apply_host
from secaudit.closedloop.record import exit_code, summary_lines, tally, write_bundle
from secaudit.closedloop.source import host_sources, verified_bundles
from secaudit.collect.credentials import load_fix_values, resolve, secret_values
from secaudit.collect.live import LiveOptions
from secaudit.inventory import load_inventory
from secaudit.models.target import operators_of
from secaudit.sign.suites import Verifier, load_signer

remediate_app = typer.Typer(help="Closed-loop remediation on lab hosts.", no_args_is_help=True)
app.add_typer(remediate_app, name="remediate")


@remediate_app.command("apply")
def apply(
    host: Annotated[str, typer.Option(help="Host name or glob (e.g. 'tel-*')")],
    run: Annotated[Path, typer.Option(help="The signed run folder whose plans are applied")],
    key: Annotated[Path, typer.Option(help="Private key signing the remediation bundle")],
    pubkey: Annotated[
        Path | None, typer.Option(help="Public key the run was signed with (default: the --key's own)")
    ] = None,
    key_passphrase_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the key's passphrase")
    ] = None,
    inventory: Annotated[Path, typer.Option(help="Nornir inventory folder (connection details)")] = Path(
        "inventory"
    ),
    secrets: Annotated[
        Path | None,
        typer.Option(help="Secrets file (0600, outside the repository): credentials and fix_values"),
    ] = None,
    known_hosts_dir: Annotated[Path, typer.Option(help="One known_hosts file per host")] = Path(
        ".secaudit/known_hosts"
    ),
    output: Annotated[
        Path | None, typer.Option(help="Where remediation-<run-id>/ goes (default: next to the run)")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Connect and command timeout, seconds")] = 30.0,
    config_timeout: Annotated[float, typer.Option(help="Read timeout of the running configuration")] = 120.0,
) -> None:
    """Apply a signed run's plans to lab hosts, re-audit, keep or roll back, sign the record.

    Only hosts whose inventory environment is lab (in the run and now); staging and production
    are refused and no option changes that. Exit 0 every targeted finding fixed, 1 findings
    remain (not pushed, not fixed or rolled back), 2 refused (signature, environment, drift,
    usage), 3 incomplete (an audit could not collect, or the rollback did not restore).
    """

    def body() -> int:
        started = datetime.now(UTC)
        signer = load_signer(key, passphrase(key_passphrase_env))
        if pubkey is not None:
            verifier = Verifier(pubkey=pubkey)
        elif signer.ed25519 is not None:
            verifier = Verifier(ed25519_key=signer.ed25519.public_key())
        else:
            die("give --pubkey: the run's signature is checked before anything is applied")
        bundles = verified_bundles(run, verifier)
        current = {t.name: t for t in load_inventory(inventory).targets}
        sources = host_sources(bundles, host, current)
        creds = resolve(operators_of([s.target for s in sources]), secrets)
        missing = sorted({s.target.operator for s in sources} - set(creds))
        if missing:
            die(f"no credentials for operator(s) {', '.join(missing)} (--secrets or the environment)")
        ctx = Context(
            inventory=inventory.resolve(),
            credentials=creds,
            options=LiveOptions(
                known_hosts_dir=known_hosts_dir,
                conn_timeout=timeout,
                command_timeout=timeout,
                config_timeout=config_timeout,
                num_workers=1,
            ),
            fix_values=load_fix_values(secrets) if secrets is not None else {},
            secrets=secret_values(creds),
        )
        outcomes = []
        for src in sources:
            outcome = apply_host(src, ctx)
            out.print(f"{outcome.host}: {outcome.verdict.value} - {outcome.message}")
            outcomes.append(outcome)
        folder = write_bundle(
            output or run.parent,
            run.name,
            outcomes,
            signer=signer,
            started=started,
            finished=datetime.now(UTC),
        )
        for line in summary_lines(outcomes):
            out.print(line)
        fixed, total = tally(outcomes)
        out.print(f"signed record: {folder}")
        out.print(f"closed loop: fixed {fixed} of {total}")
        return exit_code(outcomes)

    guard(body)
