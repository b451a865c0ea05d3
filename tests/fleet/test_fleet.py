"""The fleet engine against the embedded lab: a private Redis (password, ACL users), signed
messages, one `secaudit worker` per operator, and the same findings as the local engine."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from celery.security.certificate import Certificate, FSCertStore
from celery.security.key import PrivateKey
from celery.security.serialization import SecureSerializer
from fleet_support import Identities, RedisServer, Worker, coordinator_settings, start_worker

from secaudit.errors import CollectionError
from secaudit.fleet.broker import COORDINATOR_USER, worker_user
from secaudit.fleet.engine import CeleryCollector
from secaudit.fleet.settings import PING_TASK, key_prefix, queue_name
from secaudit.lab.fleet import FAMILIES, FleetDevice, LabPaths, _device, start_lab
from secaudit.lab.model import FaultMode
from secaudit.lab.server import Lab
from secaudit.models.enums import CollectionState, Status
from secaudit.models.finding import RunResult
from secaudit.pipeline.run import AuditRequest, FleetOptions, RunOutcome, run
from secaudit.sign.keys import generate_keypair
from secaudit.sign.manifest import verify_bundle
from secaudit.sign.suites import Verifier

from conftest import CHECKS, TEMPLATES

PASSWORD = "Fleet-Lab-Passw0rd-3"
LIVE_PLATFORMS = [p for p in FAMILIES if p != "huawei_ont"][:4]


def _fleet() -> list[FleetDevice]:
    devices = []
    for op in ("telecom", "mobile"):
        for site in ("s1", "s2"):
            for platform in LIVE_PLATFORMS:
                name = f"{op[:3]}-{site}-{platform.replace('_', '-')}"
                devices.append(
                    _device(name, platform, op, site, password=PASSWORD, variants=(), fault=FaultMode.NONE)
                )

    def one(name: str, platform: str, op: str, fault: FaultMode = FaultMode.NONE) -> FleetDevice:
        return _device(name, platform, op, "s1", password=PASSWORD, variants=(), fault=fault)

    devices.append(one("cab-s1-vrp", "huawei_vrp", "cable"))
    for platform in LIVE_PLATFORMS:  # slow devices: a shard that runs long enough to be interrupted
        devices.append(_slow(one(f"uni-s1-{platform.replace('_', '-')}", platform, "unicom"), 0.6))
    devices.append(one("tow-s1-vrp", "huawei_vrp", "tower"))
    devices.append(one("tow-s1-hang", "huawei_vrp", "tower", FaultMode.HANG_AFTER_LOGIN))
    return devices


@dataclasses.dataclass
class Env:
    fleet: list[FleetDevice]
    lab: Lab
    paths: LabPaths
    server: RedisServer
    ids: Identities
    tmp: Path
    key: Path
    workers: dict[str, Worker]

    def worker(self, op: str, **kw: object) -> Worker:
        return start_worker(
            self.server,
            self.ids,
            op,
            secrets_file=self.paths.secrets,
            known_hosts=self.paths.known_hosts,
            logs=self.tmp / "logs",
            **kw,  # type: ignore[arg-type]
        )

    def request(self, out: str, *operators: str, **kw: object) -> AuditRequest:
        return AuditRequest(
            key=self.key,
            inventory=self.paths.inventory,
            checks=CHECKS,
            templates=TEMPLATES,
            output=self.tmp / out,
            history_db=self.tmp / out / "h.sqlite3",
            secrets=self.paths.secrets,
            known_hosts_dir=self.paths.known_hosts,
            operators=operators,
            timeout=8.0,
            config_timeout=8.0,
            quiet=True,
            **kw,  # type: ignore[arg-type]
        )

    def collector(self, **kw: object) -> CeleryCollector:
        return CeleryCollector(coordinator_settings(self.server, self.ids), run_id=uuid.uuid4().hex[:8], **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("fleet")
    paths = LabPaths(tmp / "lab")
    fleet = _fleet()
    ids = Identities.create(tmp / "ids")
    key, _, _ = generate_keypair(tmp / "sign", "k")
    lab = start_lab(fleet, paths, dict.fromkeys(("telecom", "mobile", "unicom", "tower", "cable"), PASSWORD))
    server = RedisServer(tmp / "redis")
    e = Env(fleet, lab, paths, server, ids, tmp, key, {})
    try:  # whatever fails while setting up, nothing is left running
        server.start()
        for op in ("telecom", "mobile"):
            e.workers[op] = e.worker(op)
        yield e
    finally:
        for w in e.workers.values():
            w.stop()
        server.stop()
        lab.stop()


def _findings(result: RunResult) -> list[tuple[str, str, str, str]]:
    return sorted((f.host, f.control_id, f.status.value, f.message) for f in result.findings)


def test_same_findings_on_the_local_engine_and_on_celery_with_two_workers(env: Env) -> None:
    local = run(env.request("local", "telecom", "mobile"))
    fleet = FleetOptions(
        env.server.url(COORDINATOR_USER), *_coordinator_files(env), chunk_size=3, worker_wait=5.0
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SECAUDIT_FLEET_BROKER_PASSWORD", env.server.passwords[COORDINATOR_USER])
        # --processes 2: the arriving hosts are evaluated in two local processes
        celery = run(env.request("celery", "telecom", "mobile", engine="celery", celery=fleet, processes=2))
    assert len(local.result.targets) == len(celery.result.targets) == 16
    states = {r.host: r.state for r in celery.result.collection}
    assert set(states.values()) == {CollectionState.OK}, states
    assert _findings(celery.result) == _findings(local.result)
    assert len({s for _, _, s, _ in _findings(local.result)}) >= 2  # a real mix of verdicts
    assert celery.exit_code == local.exit_code
    pub = env.key.with_suffix(".pub")
    for bundle in [p for p in celery.run_dir.iterdir() if p.is_dir()]:
        assert verify_bundle(bundle, Verifier(pubkey=pub)).ok, bundle
    # every key and channel kombu and Celery used sits inside the operators' prefixes: no denial
    with env.server.admin() as admin:
        assert admin.execute_command("ACL", "LOG") == []
        assert not [k for k in admin.keys("*") if not k.startswith(b"secaudit:")]
    # both operators' workers did the work, each only its own operator's hosts
    for op in ("telecom", "mobile"):
        assert "succeeded" in env.workers[op].text()


def _coordinator_files(env: Env) -> tuple[Path, Path, Path]:
    ident = env.ids.coordinator()
    return ident.key, ident.cert, ident.trust


def test_one_operators_worker_cannot_read_another_operators_queue_or_results(env: Env) -> None:
    telecom = env.server.client(worker_user("telecom"))
    mobile_prefix = key_prefix("mobile")
    own = key_prefix("telecom")
    telecom.set(f"{own}probe", "1")  # its own prefix works: the denials below are the ACL, not a typo
    assert telecom.get(f"{own}probe") == b"1"
    denied = [
        lambda: telecom.lrange(f"{mobile_prefix}{queue_name('mobile')}", 0, -1),
        lambda: telecom.rpop(f"{mobile_prefix}{queue_name('mobile')}"),
        lambda: telecom.hgetall(f"{mobile_prefix}unacked"),
        lambda: telecom.get(f"{mobile_prefix}celery-task-meta-{uuid.uuid4()}"),
        lambda: telecom.smembers(f"{mobile_prefix}_kombu.binding.{queue_name('mobile')}"),
        lambda: telecom.keys("*"),
        lambda: telecom.publish(f"{mobile_prefix}celery-task-meta-x", "forged"),
    ]
    for attempt in denied:
        with pytest.raises(redis.exceptions.NoPermissionError):
            attempt()
    pubsub = telecom.pubsub()
    with pytest.raises(redis.exceptions.NoPermissionError):
        pubsub.subscribe(f"{mobile_prefix}celery-task-meta-x")
        pubsub.get_message(timeout=1)
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=env.server.port).ping()  # no password: refused


def _publish(app: object, serializer: SecureSerializer, value: str, tamper: bool = False) -> str:
    task_id = str(uuid.uuid4())
    headers, properties, body, _ = app.amqp.create_task_message(task_id, PING_TASK, [value], {})  # type: ignore[attr-defined]
    payload = serializer.serialize(body)
    if tamper:
        import base64

        raw = base64.b64decode(payload)
        assert value.encode() in raw
        payload = base64.b64encode(raw.replace(value.encode(), b"tampered" + value[8:].encode()))
    with app.producer_or_acquire() as producer:  # type: ignore[attr-defined]
        producer.publish(
            payload,
            exchange="",
            routing_key=queue_name("telecom"),
            headers=headers,
            content_type="application/data",
            content_encoding="utf-8",
            **properties,
        )
    return task_id


def test_tampered_and_forged_tasks_are_refused(env: Env) -> None:
    app = env.collector().app("telecom")
    ident = env.ids.coordinator()
    keys = env.ids.root / "keys"
    store = FSCertStore(str(ident.trust / "*.pem"))
    genuine = SecureSerializer(PrivateKey(ident.key.read_bytes()), Certificate(ident.cert.read_text()), store)
    # an intruder with broker access claims to be the coordinator but has only its own key
    forger = SecureSerializer(
        PrivateKey((keys / "intruder.key").read_bytes()), Certificate(ident.cert.read_text()), store
    )
    stranger = SecureSerializer(
        PrivateKey((keys / "intruder.key").read_bytes()),
        Certificate((keys / "intruder.pem").read_text()),
        store,
    )
    refused = [
        _publish(app, genuine, "value-tampered-1", tamper=True),
        _publish(app, forger, "value-forged-2"),
        _publish(app, stranger, "value-stranger-3"),
    ]
    accepted = _publish(app, genuine, "value-genuine-4")
    _wait_for(lambda: app.AsyncResult(accepted).state == "SUCCESS", 15, "the genuine task's result")
    assert app.AsyncResult(accepted).result == "telecom:value-genuine-4"
    with env.server.admin() as admin:
        for task_id in refused:
            assert not admin.exists(f"{key_prefix('telecom')}celery-task-meta-{task_id}")
    log = env.workers["telecom"].text()
    assert log.count("SecurityError") >= 3, log[-3000:]


def test_operator_without_a_worker_is_not_collected_and_the_run_is_still_signed(env: Env) -> None:
    fleet = FleetOptions(env.server.url(COORDINATOR_USER), *_coordinator_files(env), worker_wait=1.0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SECAUDIT_FLEET_BROKER_PASSWORD", env.server.passwords[COORDINATOR_USER])
        outcome = run(env.request("offline-op", "telecom", "cable", engine="celery", celery=fleet))
    states = {r.host: r for r in outcome.result.collection}
    cable = [r for r in states.values() if r.operator == "cable"]
    assert cable and all(r.state is CollectionState.NOT_COLLECTED for r in cable)
    assert all("no secaudit worker of operator cable is online" in r.detail for r in cable)
    assert all(r.state is CollectionState.OK for r in states.values() if r.operator == "telecom")
    cable_findings = [f for f in outcome.result.findings if f.operator == "cable"]
    by_status = Counter(f.status for f in cable_findings)
    assert by_status[Status.NOT_COLLECTED] > 0, by_status
    assert set(by_status) <= {Status.NOT_COLLECTED, Status.MANUAL}, by_status  # nothing decided blind
    assert all("no secaudit worker" in f.message for f in cable_findings if f.status is Status.NOT_COLLECTED)
    assert outcome.exit_code == 3
    pub = env.key.with_suffix(".pub")
    for name in ("telecom", "cable", "city"):
        assert verify_bundle(outcome.run_dir / name, Verifier(pubkey=pub)).ok
    doc = json.loads((outcome.run_dir / "cable" / "findings.json").read_text(encoding="utf-8"))
    assert doc["findings"]


def _slow(device: FleetDevice, seconds: float) -> FleetDevice:
    spec = dataclasses.replace(device.spec, fault=FaultMode.SLOW_THINK, think_time_s=seconds)
    return dataclasses.replace(device, spec=spec)


def _wait_for(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def _collect_in_background(
    env: Env, operator: str, **kw: object
) -> tuple[threading.Thread, dict[str, object]]:
    box: dict[str, object] = {}
    request = env.request(f"bg-{operator}-{uuid.uuid4().hex[:4]}", operator)

    def body() -> None:
        try:
            box["outcome"] = run(request, collector=env.collector(**kw))
        except Exception as exc:
            box["error"] = exc

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, box


def _assert_whole(outcome: RunOutcome, hosts: set[str]) -> None:
    """Every host once, collected, and every finding once."""
    records = Counter(r.host for r in outcome.result.collection)
    assert set(records) == hosts and max(records.values()) == 1, records
    bad = {
        r.host: (r.state, r.detail) for r in outcome.result.collection if r.state is not CollectionState.OK
    }
    assert not bad, bad
    findings = Counter((f.host, f.control_id) for f in outcome.result.findings)
    assert findings and max(findings.values()) == 1
    assert {h for h, _ in findings} == hosts


def test_a_worker_killed_mid_shard_is_redelivered_without_loss_or_duplicates(env: Env) -> None:
    worker = env.worker("unicom", concurrency=1)
    try:
        thread, box = _collect_in_background(env, "unicom", chunk_size=10)
        _wait_for(lambda: " received" in worker.text() or "error" in box, 20, "the shard to reach the worker")
        assert "error" not in box, box
        time.sleep(1.0)  # the slow devices keep the shard running for several seconds
        assert "succeeded" not in worker.text()
        children = worker.children()
        assert children
        for pid in children:
            os.kill(pid, signal.SIGKILL)  # the pool process running the shard dies mid-shard
        thread.join(40)
        assert not thread.is_alive() and "error" not in box, box
        outcome = box["outcome"]
        assert isinstance(outcome, RunOutcome)
        _assert_whole(outcome, {d.spec.name for d in env.fleet if d.operator == "unicom"})
        log = worker.text()
        assert "WorkerLostError" in log and log.count(" received") == 2, log[-3000:]
    finally:
        worker.stop()


def test_the_hard_time_limit_stops_a_hung_shard(env: Env) -> None:
    worker = env.worker("tower", hard_time_limit=3, timeout=20.0)
    try:
        started = time.monotonic()
        outcome = run(env.request("limit", "tower"), collector=env.collector())
        elapsed = time.monotonic() - started
    finally:
        worker.stop()
    assert elapsed < 15, elapsed  # the hung device would hold the shard for its 20 s read timeout
    records = {r.host: r for r in outcome.result.collection}
    assert set(records) == {"tow-s1-hang", "tow-s1-vrp"}
    for record in records.values():  # the shard was killed whole: both hosts named, none dropped
        assert record.state is CollectionState.COLLECTOR_FAILED
        assert "hard time limit (3.0 s)" in record.detail, record.detail
    assert outcome.exit_code == 3
    assert "TimeLimitExceeded" in worker.text()


def test_a_broker_restart_mid_run_finishes_the_run_whole(env: Env) -> None:
    worker = env.worker("unicom", concurrency=2)
    try:
        thread, box = _collect_in_background(env, "unicom", chunk_size=2)
        _wait_for(lambda: " received" in worker.text() or "error" in box, 20, "a shard to reach the worker")
        assert "error" not in box, box
        assert "succeeded" not in worker.text()  # the restart lands while shards are running
        env.server.restart(down_for=1.0)
        thread.join(60)
        assert not thread.is_alive()
        if "error" in box:  # allowed only as a clear, whole-run failure
            assert isinstance(box["error"], CollectionError), box
            assert "not collected" in str(box["error"])
        else:
            outcome = box["outcome"]
            assert isinstance(outcome, RunOutcome)
            _assert_whole(outcome, {d.spec.name for d in env.fleet if d.operator == "unicom"})
    finally:
        worker.stop()


def test_a_worker_lost_mid_run_leaves_its_hosts_not_collected_with_the_reason(env: Env) -> None:
    worker = env.worker("unicom", concurrency=1)
    try:
        thread, box = _collect_in_background(env, "unicom", chunk_size=10, worker_wait=1.0)
        _wait_for(lambda: " received" in worker.text() or "error" in box, 20, "the shard to reach the worker")
        os.killpg(worker.proc.pid, signal.SIGKILL)  # the whole worker machine is gone
        worker.proc.wait(10)
        with env.server.admin() as admin:  # its announcement would expire after 10 s; do not wait
            admin.delete(f"{key_prefix('unicom')}alive")
        thread.join(30)
        assert not thread.is_alive() and "error" not in box, box
    finally:
        worker.stop()
    outcome = box["outcome"]
    assert isinstance(outcome, RunOutcome)
    records = {r.host: r for r in outcome.result.collection}
    assert set(records) == {d.spec.name for d in env.fleet if d.operator == "unicom"}
    for record in records.values():
        assert record.state is CollectionState.NOT_COLLECTED
        assert "went offline during the run" in record.detail
    assert outcome.exit_code == 3


def test_a_broker_that_comes_back_without_its_data_stops_the_run_clearly(env: Env) -> None:
    worker = env.worker("unicom", concurrency=1)
    try:
        thread, box = _collect_in_background(env, "unicom", chunk_size=10)
        _wait_for(lambda: " received" in worker.text() or "error" in box, 20, "the shard to reach the worker")
        env.server.restart(down_for=0.5, wipe=True)
        thread.join(40)
        assert not thread.is_alive()
    finally:
        worker.stop()
    error = box.get("error")
    assert isinstance(error, CollectionError), box
    assert "lost this run's state for operator unicom" in str(error)
    assert "hosts in flight were not collected" in str(error)
