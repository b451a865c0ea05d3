"""Fleet settings and the Celery application both the coordinator and the workers build.

Every operator has its own queue and its own Redis key prefix (``secaudit:<operator>:``), given to
kombu (``global_keyprefix`` of the broker transport) and to Celery's Redis result backend, so one
ACL user per operator, confined to ``~secaudit:<operator>:*``, can run its worker and nothing else.
Messages are signed (Celery's ``auth`` serializer: RSA keys and X.509 certificates): a worker
only runs tasks signed by a certificate in its trust store, the coordinator only accepts results
signed by a worker certificate it trusts.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from secaudit.errors import ConfigurationError

#: The environment variable holding the broker password (never on a command line or in a file
#: that crosses the broker).
PASSWORD_ENV = "SECAUDIT_FLEET_BROKER_PASSWORD"  # noqa: S105 - a variable name, not a secret

#: The task that collects one shard, and the cheap one used to check signing end to end.
COLLECT_TASK = "secaudit.fleet.collect_shard"
PING_TASK = "secaudit.fleet.ping"

_OPERATOR = re.compile(r"^[a-z][a-z0-9_]*$")


def key_prefix(operator: str) -> str:
    """The Redis key prefix of an operator's queue, bindings, unacked set and results.

    Examples:
        >>> key_prefix("telecom")
        'secaudit:telecom:'
        >>> key_prefix("Bad op")
        Traceback (most recent call last):
        ...
        secaudit.errors.ConfigurationError: operator id 'Bad op' must match ^[a-z][a-z0-9_]*$
    """
    if not _OPERATOR.match(operator):
        raise ConfigurationError(f"operator id {operator!r} must match {_OPERATOR.pattern}")
    return f"secaudit:{operator}:"


def queue_name(operator: str) -> str:
    """The Celery queue an operator's workers consume (inside its key prefix).

    Examples:
        >>> queue_name("mobile")
        'secaudit.mobile'
    """
    key_prefix(operator)
    return f"secaudit.{operator}"


@dataclass(frozen=True, slots=True)
class Identity:
    """A signing identity: an RSA private key, its certificate and the certificates it trusts.

    ``trust`` is a folder of PEM certificates (``*.pem``): the coordinator's for a worker, the
    workers' for the coordinator.
    """

    key: Path
    cert: Path
    trust: Path

    def check(self) -> None:
        """Fail clearly before any connection when a file is missing."""
        for path in (self.key, self.cert):
            if not path.is_file():
                raise ConfigurationError(f"{path}: fleet signing key or certificate not found")
        if not self.trust.is_dir() or not any(self.trust.glob("*.pem")):
            raise ConfigurationError(f"{self.trust}: no trusted certificates (*.pem) in this folder")


@dataclass(frozen=True, slots=True)
class FleetSettings:
    """How to reach the broker and how long things may take.

    ``broker_url`` is ``redis://USER@HOST:PORT/DB`` without the password, which comes from
    ``password`` (read from :data:`PASSWORD_ENV`). ``hard_time_limit`` bounds one shard on a
    worker (the pool process is killed after it); the broker's ``visibility_timeout`` is derived
    from it, always longer, so a shard whose worker is slow but alive is never delivered twice.
    """

    broker_url: str
    password: str
    identity: Identity
    hard_time_limit: float = 600.0
    allow_non_loopback: bool = False

    @property
    def visibility_timeout(self) -> float:
        """Seconds before an unacknowledged shard is redelivered: well beyond the hard limit.

        Examples:
            >>> FleetSettings("redis://u@127.0.0.1:6379/0", "", Identity(Path(), Path(), Path()),
            ...               hard_time_limit=10).visibility_timeout
            80.0
        """
        return float(self.hard_time_limit * 2 + 60)

    def url(self) -> str:
        """The broker URL with the password inserted (kept in memory only).

        Examples:
            >>> ident = Identity(Path(), Path(), Path())
            >>> FleetSettings("redis://secaudit-telecom@127.0.0.1:6379/0", "p@ss", ident).url()
            'redis://secaudit-telecom:p%40ss@127.0.0.1:6379/0'
            >>> FleetSettings("redis://u@10.0.0.5:6379/0", "p", ident).url()
            Traceback (most recent call last):
            ...
            secaudit.errors.ConfigurationError: broker '10.0.0.5' is not on loopback; ...
        """
        parts = urlsplit(self.broker_url)
        if parts.scheme not in ("redis", "rediss"):
            raise ConfigurationError(
                f"broker URL {self.broker_url!r}: only redis:// and rediss:// are supported"
            )
        if parts.password:
            raise ConfigurationError(f"broker URL: put the password in ${PASSWORD_ENV}, not in the URL")
        host = parts.hostname or ""
        if not self.allow_non_loopback and not _loopback(host):
            raise ConfigurationError(f"broker {host!r} is not on loopback; pass --allow-non-loopback")
        user = quote(parts.username or "", safe="")
        port = f":{parts.port}" if parts.port else ""
        netloc = f"{user}:{quote(self.password, safe='')}@{host}{port}" if self.password else f"{host}{port}"
        query = f"?{parts.query}" if parts.query else ""  # e.g. rediss://...?ssl_cert_reqs=required
        return f"{parts.scheme}://{netloc}{parts.path or '/0'}{query}"


def _loopback(host: str) -> bool:
    from secaudit.pipeline.run import is_loopback  # noqa: PLC0415 - the pipeline imports the fleet lazily

    return is_loopback(host)


def password_from_env(environ: dict[str, str] | None = None) -> str:
    """The broker password from :data:`PASSWORD_ENV` (empty when unset)."""
    return (os.environ if environ is None else environ).get(PASSWORD_ENV, "")


def make_app(settings: FleetSettings, operator: str, *, name: str) -> Any:
    """A Celery application bound to one operator's queue and key prefix, with signing set up.

    Celery's ``auth`` serializer registry is process-wide: one process signs with one identity.
    """
    from celery import Celery  # noqa: PLC0415 - the fleet extra is only needed by the fleet engine

    settings.identity.check()
    prefix = key_prefix(operator)
    url = settings.url()
    app = Celery(name, broker=url, backend=url, set_as_current=False)
    app.conf.update(
        broker_transport_options={
            "global_keyprefix": prefix,
            "visibility_timeout": settings.visibility_timeout,
        },
        result_backend_transport_options={"global_keyprefix": prefix},
        # a result stored while the broker restarts is retried, not lost (the shard would time out)
        result_backend_always_retry=True,
        result_backend_max_retries=30,
        broker_connection_retry_on_startup=True,
        task_default_queue=queue_name(operator),
        task_create_missing_queues=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_time_limit=settings.hard_time_limit,
        task_track_started=False,
        worker_prefetch_multiplier=1,
        worker_enable_remote_control=False,  # no pidbox fanout: nothing outside the prefix
        worker_send_task_events=False,
        task_send_sent_event=False,
        result_expires=24 * 3600,
        result_extended=False,
        task_serializer="auth",
        result_serializer="auth",
        accept_content=["auth"],
        result_accept_content=["auth"],
        event_serializer="json",
        security_key=str(settings.identity.key),
        security_certificate=str(settings.identity.cert),
        security_cert_store=str(settings.identity.trust / "*.pem"),
        security_digest="sha256",
    )
    app.setup_security(allowed_serializers=["json"], serializer="json")
    return app
