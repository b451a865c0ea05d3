"""The fleet's wire format and the worker's own checks, without a broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.collect.credentials import Credential
from secaudit.collect.live import LiveOptions
from secaudit.collect.plan import PlannedCommand
from secaudit.fleet import engine, wire, worker
from secaudit.models.enums import CollectionState, Environment, EvidenceSource, EvidenceState, Platform, Role
from secaudit.models.evidence import Evidence, HostEvidence
from secaudit.models.target import Target


def _target(name: str, operator: str = "telecom", hostname: str = "127.0.0.1") -> Target:
    return Target(
        name=name,
        hostname=hostname,
        platform=Platform.HUAWEI_VRP,
        operator=operator,
        role=Role.GATEWAY,
        site="s1",
        environment=Environment.LAB,
        model="m",
    )


def _host(name: str, text: str) -> HostEvidence:
    ev = Evidence(
        host=name,
        platform=Platform.HUAWEI_VRP,
        command="display current-configuration",
        slug="display_current-configuration",
        text=text,
        sha256="x",
        source=EvidenceSource.LIVE,
        state=EvidenceState.OK,
    )
    return HostEvidence(_target(name), (ev,), CollectionState.OK, "", None, 1.5)


class FakeStore:
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def set(self, key: str, value: bytes, ex: int) -> None:
        assert ex > 0
        self.data[key] = value


def test_evidence_round_trips_compressed() -> None:
    host = _host("r1", "sysname R1\n" * 1000)
    blob = wire.pack_host(host)
    assert len(blob) < len("sysname R1\n" * 1000) / 10  # zlib
    back = wire.unpack_host(blob, {"r1": host.target})
    assert back == host


def test_a_host_cannot_bring_evidence_of_another_host() -> None:
    blob = wire.pack_host(_host("r1", "x"))
    with pytest.raises(ValueError, match="another host"):
        wire.unpack_host(blob, {"r1": _target("r2")})


def test_large_results_go_by_reference_and_oversized_hosts_fail_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    small = _host("a", "sysname A\n")
    big = _host("b", os.urandom(3000).hex())  # incompressible
    huge = _host("c", os.urandom(9000).hex())
    monkeypatch.setattr(wire, "INLINE_LIMIT", 1000)
    monkeypatch.setattr(wire, "HOST_LIMIT", 8000)
    store = FakeStore()
    manifest = worker.pack([small, big, huge], "run/telecom/s1/0", store, "secaudit:telecom:")
    entries = {e["host"]: e for e in manifest["hosts"]}
    assert "data" in entries["a"]
    assert entries["b"]["ref"].startswith("secaudit:telecom:evidence:")
    assert set(store.data) == {entries["b"]["ref"]} | (
        {entries["c"]["ref"]} if "ref" in entries["c"] else set()
    )
    targets = {t: _target(t) for t in "abc"}
    blob_c = (
        store.data[entries["c"]["ref"]] if "ref" in entries["c"] else wire.decode_blob(entries["c"]["data"])
    )
    c = wire.unpack_host(blob_c, targets)
    assert c.state is CollectionState.COLLECTOR_FAILED and "over the 8000-byte limit" in c.detail
    assert all(e.state is EvidenceState.COLLECT_ERROR for e in c.evidence)
    assert wire.unpack_host(store.data[entries["b"]["ref"]], targets) == big


def test_the_worker_refuses_writes_other_operators_and_non_loopback_before_connecting(tmp_path: Path) -> None:
    ctx = worker.WorkerContext(
        "telecom", {"telecom": Credential("u", "p")}, LiveOptions(known_hosts_dir=tmp_path), False
    )
    plan = {
        "w": (PlannedCommand("display version", False), PlannedCommand("system-view", False)),
        "o": (PlannedCommand("display version", False),),
        "n": (PlannedCommand("display version", False),),
    }
    targets = (_target("w"), _target("o", operator="mobile"), _target("n", hostname="10.1.2.3"))
    out = {h.target.name: h for h in worker.collect(ctx, targets, plan)}
    assert set(out) == {"w", "o", "n"}
    assert all(h.state is CollectionState.COMMAND_REJECTED for h in out.values())
    assert "'system-view' is not on the huawei_vrp read-only allowlist" in out["w"].detail
    assert "belongs to operator mobile" in out["o"].detail
    assert "not on loopback" in out["n"].detail
    assert all(h.seconds is None for h in out.values())  # never contacted


def test_nornir_inside_workers_has_logging_off(tmp_path: Path) -> None:
    nr = worker._nornir((_target("r1"),), LiveOptions(known_hosts_dir=tmp_path))
    assert nr.config.logging.enabled is False
    assert not Path(nr.config.ssh.config_file).exists()


def test_shards_never_mix_operators_or_sites() -> None:
    targets = tuple(_target(f"t{i}", operator=("telecom", "mobile")[i % 2]) for i in range(7))
    cut = engine.shards(targets, 2)
    assert sorted(t.name for _, _, hosts in cut for t in hosts) == sorted(t.name for t in targets)
    assert all(len({t.operator for t in hosts}) == 1 and len(hosts) <= 2 for _, _, hosts in cut)


def test_fleet_command_lines_fail_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from secaudit.cli import app

    runner = CliRunner()
    key = tmp_path / "k.key"
    key.write_text("x")
    monkeypatch.delenv("SECAUDIT_FLEET_BROKER_PASSWORD", raising=False)
    missing = runner.invoke(app, ["run", "--engine", "celery", "--key", str(key)])
    assert missing.exit_code == 2
    assert "--engine celery needs --broker-url" in missing.output
    unknown = runner.invoke(app, ["run", "--engine", "spark", "--key", str(key)])
    assert unknown.exit_code == 2 and "--engine must be local or celery" in unknown.output
    common = ["--key", str(key), "--cert", str(key), "--trust", str(tmp_path)]
    remote = runner.invoke(
        app, ["worker", "--operator", "telecom", "--broker-url", "redis://u@10.9.8.7:6379/0", *common]
    )
    assert remote.exit_code == 2 and "not on loopback" in remote.output
    inline = runner.invoke(
        app, ["worker", "--operator", "telecom", "--broker-url", "redis://u:pw@127.0.0.1/0", *common]
    )
    assert inline.exit_code == 2 and "not in the URL" in inline.output
    badop = runner.invoke(
        app, ["worker", "--operator", "Tele com", "--broker-url", "redis://u@127.0.0.1/0", *common]
    )
    assert badop.exit_code == 2 and "operator id" in badop.output


class _FakeApp:
    """Stands in for an operator's Celery application: records sends, always online."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.backend = self
        self.client = self

    def exists(self, key: str) -> bool:
        return True

    def set(self, key: str, value: str, ex: int) -> None:
        assert key.startswith("secaudit:") and ":run:" in key and ex > 0

    def send_task(self, name: str, args: list[dict[str, object]], queue: str) -> object:
        self.sent.append(str(args[0]["shard"]))
        return type("R", (), {"id": f"{queue}-{len(self.sent)}"})()


def test_each_operator_has_its_own_in_flight_window(tmp_path: Path) -> None:
    from secaudit.fleet.settings import FleetSettings, Identity

    settings = FleetSettings("redis://u@127.0.0.1/0", "", Identity(tmp_path, tmp_path, tmp_path))
    collector = engine.CeleryCollector(settings, chunk_size=1, max_in_flight=3)
    apps = {"cable": _FakeApp(), "telecom": _FakeApp()}
    collector._apps.update(apps)
    targets = (*(_target(f"c{i}", operator="cable") for i in range(10)), _target("t1"), _target("t2"))
    run = engine._Dispatch.of(engine.shards(targets, 1), {})
    collector._top_up(run)
    assert (len(apps["cable"].sent), len(apps["telecom"].sent)) == (3, 2)  # telecom is not kept waiting
    assert run.queued() == 7
    run.done(next(iter(run.pending)))
    collector._top_up(run)
    assert len(apps["cable"].sent) == 4 and run.queued() == 6


def test_a_failing_shard_reports_its_error_without_the_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery import Celery

    from secaudit.fleet.settings import COLLECT_TASK

    app = Celery("t", set_as_current=False)
    worker.register_tasks(app, "telecom")
    ctx = worker.WorkerContext("telecom", {"telecom": Credential("u", "S3cret-pw")}, LiveOptions(tmp_path))
    monkeypatch.setitem(worker._CONTEXT, "telecom", ctx)

    def boom(*_: object) -> list[HostEvidence]:
        raise OSError("login with S3cret-pw refused")

    monkeypatch.setattr(worker, "collect", boom)
    msg = wire.shard_message("r", "r/telecom/s1/0", "telecom", [_target("r1")], {})
    with pytest.raises(RuntimeError) as caught:
        app.tasks[COLLECT_TASK].run(msg)
    assert "S3cret-pw" not in str(caught.value)
    assert "could not collect the shard: OSError: login with <redacted> refused" in str(caught.value)
