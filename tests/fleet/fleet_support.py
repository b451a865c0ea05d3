"""Test helpers for the fleet engine: a private redis-server, identities, ACL users, workers.

Every redis-server listens on 127.0.0.1 on a free port with a password (``requirepass``) and one
ACL user per operator plus the coordinator's, in a temporary folder, and is stopped by the test.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from secaudit.fleet.broker import COORDINATOR_USER, acl_rules, worker_user
from secaudit.fleet.identity import generate
from secaudit.fleet.settings import PASSWORD_ENV, FleetSettings, Identity, key_prefix

OPERATORS = ("telecom", "mobile", "unicom", "tower", "cable")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hash(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


@dataclass
class RedisServer:
    """redis-server on 127.0.0.1 with requirepass, AOF (fsync always) and the fleet's ACL users."""

    root: Path
    port: int = field(default_factory=free_port)
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    passwords: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        exe = shutil.which("redis-server")
        assert exe, "redis-server is missing: `make test` installs it (apt-get install redis-server)"
        self.root.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                exe,
                *("--port", str(self.port), "--bind", "127.0.0.1", "--protected-mode", "yes"),
                *("--requirepass", self.admin_password, "--dir", str(self.root)),
                *("--appendonly", "yes", "--appendfsync", "always", "--save", ""),
                *("--logfile", str(self.root / "redis.log"), "--daemonize", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait()
        except RuntimeError:
            self.stop()
            raise
        if not self.passwords:
            self.passwords = {
                u: secrets.token_urlsafe(16) for u in (COORDINATOR_USER, *map(worker_user, OPERATORS))
            }
        with self.admin() as client:
            client.execute_command(
                "ACL",
                "SETUSER",
                COORDINATOR_USER,
                *acl_rules(OPERATORS, _hash(self.passwords[COORDINATOR_USER])),
            )
            for op in OPERATORS:
                user = worker_user(op)
                client.execute_command("ACL", "SETUSER", user, *acl_rules((op,), _hash(self.passwords[user])))
        return self

    def _wait(self) -> None:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            with contextlib.suppress(redis.exceptions.ConnectionError), self.admin() as client:
                client.ping()
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def admin(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.admin_password)

    def client(self, user: str) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, username=user, password=self.passwords[user])

    def url(self, user: str) -> str:
        return f"redis://{user}@127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self, down_for: float = 0.0, *, wipe: bool = False) -> None:
        """Stop (SIGTERM: the AOF is flushed) and start again on the same port with the same users;
        ``wipe``: without its data, as a broker without persistence comes back."""
        self.stop()
        if wipe:
            shutil.rmtree(self.root / "appendonlydir", ignore_errors=True)
        time.sleep(down_for)
        self.start()


@dataclass(frozen=True)
class Identities:
    """The coordinator's and each operator worker's signing identity, with their trust folders."""

    root: Path

    @classmethod
    def create(cls, root: Path) -> Identities:
        ids = cls(root)
        (root / "trust-workers").mkdir(parents=True)
        (root / "trust-coordinator").mkdir(parents=True)
        _, cert = generate(root / "keys", "coordinator")
        shutil.copy(cert, root / "trust-coordinator" / "coordinator.pem")
        for op in OPERATORS:
            _, cert = generate(root / "keys", op)
            shutil.copy(cert, root / "trust-workers" / f"{op}.pem")
        generate(root / "keys", "intruder")
        return ids

    def coordinator(self) -> Identity:
        return Identity(
            self.root / "keys" / "coordinator.key",
            self.root / "keys" / "coordinator.pem",
            self.root / "trust-workers",
        )

    def worker(self, op: str) -> Identity:
        return Identity(
            self.root / "keys" / f"{op}.key",
            self.root / "keys" / f"{op}.pem",
            self.root / "trust-coordinator",
        )


def coordinator_settings(
    server: RedisServer, ids: Identities, hard_time_limit: float = 60.0
) -> FleetSettings:
    return FleetSettings(
        broker_url=server.url(COORDINATOR_USER),
        password=server.passwords[COORDINATOR_USER],
        identity=ids.coordinator(),
        hard_time_limit=hard_time_limit,
    )


@dataclass
class Worker:
    """A `secaudit worker` subprocess (its own process group, so its pool children stop with it)."""

    operator: str
    proc: subprocess.Popen[bytes]
    log: Path

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        with contextlib.suppress(OSError):
            return [int(p) for p in path.read_text().split()]
        return []

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGQUIT)  # Celery's cold shutdown: it stops its pool
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_worker(
    server: RedisServer,
    ids: Identities,
    op: str,
    *,
    secrets_file: Path,
    known_hosts: Path,
    logs: Path,
    hard_time_limit: float = 60.0,
    timeout: float = 8.0,
    concurrency: int = 2,
) -> Worker:
    identity = ids.worker(op)
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"worker-{op}-{secrets.token_hex(3)}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECAUDIT_")}
    env[PASSWORD_ENV] = server.passwords[worker_user(op)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "secaudit", "worker", "--operator", op),
                *("--broker-url", server.url(worker_user(op))),
                *("--key", str(identity.key), "--cert", str(identity.cert), "--trust", str(identity.trust)),
                *("--secrets", str(secrets_file), "--known-hosts-dir", str(known_hosts)),
                *("--concurrency", str(concurrency), "--hard-time-limit", str(hard_time_limit)),
                *("--timeout", str(timeout), "--config-timeout", str(timeout)),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    worker = Worker(op, proc, log)
    end = time.monotonic() + 30
    with server.admin() as client:
        while not (client.exists(f"{key_prefix(op)}alive") and "ready" in worker.text()):
            if proc.poll() is not None or time.monotonic() > end:
                worker.stop()
                raise RuntimeError(f"worker {op} did not start:\n{worker.text()}")
            time.sleep(0.1)
    return worker
