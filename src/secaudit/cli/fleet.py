"""``secaudit worker``: the fleet engine's collector, run inside an operator's management network;
``secaudit keys fleet-identity``: the RSA key and certificate that sign fleet messages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secaudit.cli._app import app, die, guard, keys_app, out


@app.command()
def worker(
    operator: Annotated[str, typer.Option(help="The operator whose queue this worker serves")],
    broker_url: Annotated[
        str, typer.Option(help="redis://USER@HOST:PORT/DB (password in $SECAUDIT_FLEET_BROKER_PASSWORD)")
    ],
    key: Annotated[Path, typer.Option(help="The worker's RSA key (signs results)")],
    cert: Annotated[Path, typer.Option(help="The worker's certificate (PEM)")],
    trust: Annotated[Path, typer.Option(help="Folder of trusted coordinator certificates (*.pem)")],
    secrets: Annotated[
        Path | None, typer.Option(help="Credentials file (YAML, mode 0600); or SECAUDIT_<OP>_* variables")
    ] = None,
    known_hosts_dir: Annotated[
        Path, typer.Option(help="Per-host known_hosts files of this operator's devices")
    ] = Path(".secaudit/known_hosts"),
    concurrency: Annotated[int, typer.Option(help="Prefork pool processes (shards at a time)")] = 2,
    workers: Annotated[int, typer.Option(help="Concurrent device sessions per shard")] = 20,
    hard_time_limit: Annotated[
        float, typer.Option(help="Seconds one shard may run before it is killed")
    ] = 600.0,
    timeout: Annotated[float, typer.Option(help="Per-command read timeout, seconds")] = 30.0,
    config_timeout: Annotated[float, typer.Option(help="Read timeout of the running configuration")] = 120.0,
    allow_non_loopback: Annotated[
        bool, typer.Option(help="Allow a broker and devices outside 127.0.0.0/8 and ::1")
    ] = False,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
) -> None:
    """Serve one operator's fleet queue: collect read-only with its own credentials, send evidence back."""

    def body() -> int:
        from secaudit.collect.credentials import resolve  # noqa: PLC0415
        from secaudit.collect.live import LiveOptions  # noqa: PLC0415
        from secaudit.fleet.settings import FleetSettings, Identity, key_prefix, password_from_env  # noqa: PLC0415
        from secaudit.fleet.worker import context, serve  # noqa: PLC0415

        key_prefix(operator)
        if concurrency < 1 or hard_time_limit <= 0:
            die("--concurrency must be at least 1 and --hard-time-limit positive")
        settings = FleetSettings(
            broker_url=broker_url,
            password=password_from_env(),
            identity=Identity(key, cert, trust),
            hard_time_limit=hard_time_limit,
            allow_non_loopback=allow_non_loopback,
        )
        settings.url()  # refuse a bad or non-loopback broker before anything starts
        options = LiveOptions(
            known_hosts_dir=known_hosts_dir.resolve(),
            command_timeout=timeout,
            config_timeout=config_timeout,
            num_workers=workers,
        )
        ctx = context(operator, resolve([operator], secrets), known_hosts_dir, options, allow_non_loopback)
        serve(settings, ctx, concurrency=concurrency, loglevel=loglevel)
        return 0

    guard(body)


@keys_app.command("fleet-identity")
def fleet_identity(
    name: Annotated[str, typer.Option(help="Base name: <name>.key and <name>.pem")],
    out_dir: Annotated[Path, typer.Option(help="Folder for the key and certificate")] = Path(
        ".secaudit/fleet"
    ),
    days: Annotated[int, typer.Option(help="Certificate validity")] = 730,
) -> None:
    """Create an RSA key and self-signed certificate that sign fleet messages (Celery `auth`)."""

    def body() -> int:
        from secaudit.fleet.identity import generate  # noqa: PLC0415

        key_path, cert_path = generate(out_dir, name, days=days)
        out.print(f"key  {key_path} (mode 600, stays on this machine)")
        out.print(f"cert {cert_path} (copy it into the peers' trust folder)")
        return 0

    guard(body)
