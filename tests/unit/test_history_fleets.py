"""History per fleet: fleets never share a trend, incomplete runs are recorded and kept apart,
per-operator lines, date-and-time labels, and the `diff`/`history` command line."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from defusedxml import ElementTree
from typer.testing import CliRunner

from secaudit.cli import app
from secaudit.evaluate.engine import fingerprint
from secaudit.health import Completeness, collection_health
from secaudit.history import HistoryStore, diff, fleet_key, trend_points, trend_svg
from secaudit.history.store import MIGRATIONS
from secaudit.models.enums import (
    CollectionState,
    Environment,
    EvidenceSource,
    Phase,
    Platform,
    Role,
    Severity,
    Status,
)
from secaudit.models.finding import CollectionRecord, Finding, RunInfo, RunResult
from secaudit.models.target import Target

T0 = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def target(name: str, operator: str) -> Target:
    return Target(
        name=name,
        hostname="127.0.0.1",
        platform=Platform.HUAWEI_VRP,
        operator=operator,
        role=Role.GATEWAY,
        site="lab",
        environment=Environment.LAB,
        model="NE40E",
    )


def make_result(
    n: int,
    hosts: dict[str, str],
    statuses: dict[str, str],
    *,
    failed: frozenset[str] = frozenset(),
) -> RunResult:
    """Run number ``n`` over ``hosts`` (name -> operator); ``statuses`` per host for control C-1."""
    start = T0 + timedelta(hours=n)
    findings = tuple(
        Finding(
            fingerprint=fingerprint("C-1", host),
            control_id="C-1",
            control_version=1,
            title="C-1",
            title_zh="C-1",
            host=host,
            operator=op,
            role=Role.GATEWAY,
            platform=Platform.HUAWEI_VRP,
            phase=Phase.OPERATE,
            severity=Severity.HIGH,
            status=Status(statuses.get(host, "pass")),
            message="m",
        )
        for host, op in hosts.items()
    )
    return RunResult(
        run=RunInfo(
            id=f"{start:%Y%m%dT%H%M%SZ}-{n:06x}",
            started_at=start,
            finished_at=start + timedelta(minutes=1),
            tool_version="0.1.0",
            checks_digest="0" * 64,
            profile="baseline",
            source=EvidenceSource.LIVE,
        ),
        operators={},
        targets=tuple(target(h, op) for h, op in hosts.items()),
        findings=findings,
        collection=tuple(
            CollectionRecord(
                host=h,
                operator=op,
                state=CollectionState.AUTH_FAILED if h in failed else CollectionState.OK,
                detail=f"no credentials for operator {op}" if h in failed else "",
            )
            for h, op in hosts.items()
        ),
    )


SMALL = {"a1": "telecom", "a2": "mobile"}
BIG = {"a1": "telecom", "a2": "mobile", "b1": "telecom", "b2": "mobile"}


def test_half_failed_is_collection_incomplete() -> None:
    healthy = collection_health(make_result(0, BIG, {}, failed=frozenset({"b1"})))
    assert healthy.completeness is Completeness.COMPLETE
    assert healthy.lines() == ["b1  telecom  auth_failed  no credentials for operator telecom"]
    assert healthy.warning() == ""
    half = collection_health(make_result(0, BIG, {}, failed=frozenset({"b1", "b2"})))
    assert half.completeness is Completeness.COLLECTION_INCOMPLETE
    assert "2 of 4 hosts" in half.warning()


def test_fleets_never_share_a_trend(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.record(make_result(0, SMALL, {}))  # 100 %
    store.record(make_result(1, BIG, {"b1": "fail", "b2": "fail"}))  # 50 %
    store.record(make_result(2, SMALL, {}))  # 100 %
    small, big = fleet_key(SMALL), fleet_key(BIG)
    assert small != big
    assert [p.score for p in trend_points(store, fleet=small)] == [100.0, 100.0]
    assert [p.score for p in trend_points(store, fleet=big)] == [50.0]
    assert store.latest_fleet() == small
    # latest/previous count the fleet's own runs only
    report = diff(store, "previous", "latest", fleet=small)
    assert (report.run_a.id, report.run_b.id) == (store.runs(fleet=small)[1].id, store.runs(1)[0].id)
    named = make_result(3, SMALL, {})
    assert store.record(named, fleet="city-lab").fleet == "city-lab"
    assert {f for f, *_ in store.fleets()} == {small, big, "city-lab"}


def test_incomplete_run_is_recorded_and_kept_out_of_the_trend(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.record(make_result(0, BIG, {}))
    row = store.record(make_result(1, BIG, dict.fromkeys(BIG, "error"), failed=frozenset(BIG)))
    assert row.completeness is Completeness.COLLECTION_INCOMPLETE
    store.record(make_result(2, BIG, {"b1": "fail"}))
    points = trend_points(store, fleet=row.fleet)
    assert [p.incomplete for p in points] == [False, True, False]
    root = ElementTree.fromstring(trend_svg(points))
    # the incomplete run is drawn apart (a hollow diamond with its own tooltip) ...
    diamonds = [p for p in root.iter(f"{SVG}path") if p.find(f"{SVG}title") is not None]
    assert len(diamonds) == 1
    assert "collection incomplete" in (diamonds[0].find(f"{SVG}title").text or "")
    # ... and the score line joins the two complete runs only: one segment, two points
    lines = [p for p in root.iter(f"{SVG}path") if p.get("stroke") == "#1f5fa8"]
    assert len(lines) == 1
    assert lines[0].get("d", "").count("L") == 1
    assert len(root.findall(f"{SVG}circle")) == 2


def test_trend_has_operator_lines_and_date_time_labels(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    for n in range(3):
        store.record(make_result(n, BIG, {"b1": "fail"} if n else {}))
    fleet = fleet_key(BIG)
    operators = {op: trend_points(store, operator=op, fleet=fleet) for op in ("telecom", "mobile")}
    assert [p.score for p in operators["telecom"]] == [100.0, 50.0, 50.0]
    svg = trend_svg(trend_points(store, fleet=fleet), operators=operators)
    root = ElementTree.fromstring(svg)
    texts = [t.text or "" for t in root.iter(f"{SVG}tspan")]
    assert texts[-2:] == [f"{T0:%m-%d}", f"{T0 + timedelta(hours=2):%H:%M}"]  # newest label: date and time
    legend = [t.text for t in root.iter(f"{SVG}text")]
    assert "telecom" in legend
    assert "mobile" in legend
    strokes = {p.get("stroke") for p in root.iter(f"{SVG}path")}
    assert len(strokes) >= 4  # score, waivers and one line per operator


def test_migration_from_version_1_backfills_fleets(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1, '2026-01-01T00:00:00.000000+00:00')")
    stamp = "2026-01-01T00:00:00.000000+00:00"
    conn.execute(
        "INSERT INTO runs VALUES ('20260101T000000Z-000001', ?, ?, 'live', 'baseline', '0.1', 'x', ?)",
        (stamp, stamp, stamp),
    )
    conn.executemany(
        "INSERT INTO collection VALUES ('20260101T000000Z-000001', ?, ?, ?)",
        [("a1", "telecom", "auth_failed"), ("a2", "mobile", "ok")],
    )
    conn.commit()
    conn.close()
    [row] = HistoryStore(path).runs()
    assert row.fleet == fleet_key(SMALL)
    assert row.hosts == 2
    assert row.completeness is Completeness.COLLECTION_INCOMPLETE


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "h.sqlite3"
    store = HistoryStore(db)
    store.record(make_result(0, BIG, {"a1": "fail"}))
    store.record(make_result(1, BIG, {"a2": "fail", "b1": "error"}))  # a1 fixed, a2 new
    return db


def test_diff_cli_hides_not_failing_and_fails_on(tmp_path: Path) -> None:
    db = _db(tmp_path)
    runner = CliRunner()
    base = ["diff", "previous", "latest", "--db", str(db), "--format", "json"]
    hidden = runner.invoke(app, base)
    assert hidden.exit_code == 0, hidden.output
    kinds = [e["kind"] for e in json.loads(hidden.stdout)["entries"]]
    assert sorted(kinds) == ["fixed", "new"]  # b1 (pass -> error) and b2 are not failing
    shown = runner.invoke(app, [*base, "--show-not-failing"])
    assert sorted(e["kind"] for e in json.loads(shown.stdout)["entries"]) == [
        "fixed",
        "new",
        "not_failing",
        "not_failing",
    ]
    gate = runner.invoke(app, [*base, "--fail-on", "new,regressed"])
    assert gate.exit_code == 1
    assert runner.invoke(app, [*base, "--fail-on", "regressed,waiver_expired"]).exit_code == 0
    bad = runner.invoke(app, [*base, "--fail-on", "new,oops"])
    assert bad.exit_code == 2
    assert "unknown change kind 'oops'" in bad.output


def test_history_cli_shows_fleet_and_incomplete_runs(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    store = HistoryStore(db)
    store.record(make_result(0, SMALL, {}))
    store.record(make_result(1, BIG, {}))
    store.record(make_result(2, BIG, {}, failed=frozenset(BIG)))
    runner = CliRunner()
    res = runner.invoke(app, ["history", "--db", str(db)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "4 hosts" in res.output
    assert "collection_incomplete" in res.output
    assert make_result(0, SMALL, {}).run.id not in res.output  # another fleet
    listed = runner.invoke(app, ["history", "--db", str(db), "--fleets"], env={"COLUMNS": "200"})
    assert fleet_key(SMALL) in listed.output
    assert fleet_key(BIG) in listed.output
    other = runner.invoke(app, ["history", "--db", str(db), "--fleet", fleet_key(SMALL)])
    assert make_result(0, SMALL, {}).run.id in other.output


def test_trend_labels_can_be_translated() -> None:
    from secaudit.history.trend import CHART_LABELS

    points = [trend_points_fixture(0), trend_points_fixture(1, incomplete=True)]
    labels = {k: f"[{k}]" for k in CHART_LABELS}
    svg = trend_svg(points, labels=labels)
    for key in ("score", "score with waivers", "collection incomplete", "Score (%)"):
        assert f"[{key}]" in svg
    assert "[No runs recorded]" in trend_svg([], labels=labels)


def trend_points_fixture(n: int, *, incomplete: bool = False):  # type: ignore[no-untyped-def]
    from secaudit.history import TrendPoint

    return TrendPoint(f"r{n}", T0 + timedelta(hours=n), 80.0, 80.0, 1, incomplete)
