"""Run history: recording, references, pruning, diff classes, trends and the SVG chart.

Four runs (one per day, recorded out of order) with findings that move between statuses so
that ``diff(R3, R4)`` produces every diff class.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from defusedxml import ElementTree
from rich.console import Console

from secaudit.evaluate.engine import fingerprint
from secaudit.history import (
    SCHEMA_VERSION,
    DiffKind,
    HistoryError,
    HistoryStore,
    TrendPoint,
    diff,
    diff_json,
    diff_markdown,
    diff_table,
    history_for,
    trend_points,
    trend_svg,
)
from secaudit.models.enums import CollectionState, EvidenceSource, Phase, Platform, Role, Severity, Status
from secaudit.models.finding import CollectionRecord, Finding, RunInfo, RunResult, WaiverRef
from secaudit.report.summary import score

T0 = datetime(2026, 1, 1, tzinfo=UTC)
IDS = (
    "20260101T000000Z-aaaaa1",
    "20260102T000000Z-aaaaa2",
    "20260103T000000Z-bbbbb3",
    "20260104T000000Z-bbbbb4",
)
R1, R2, R3, R4 = IDS

# status per run (R1..R4) for each (control, host); None: absent from that run.
# A trailing "w" means waived by an active waiver, "x" an expired waiver, "l" a lapsed one.
PLAN: dict[tuple[str, str], tuple[str | None, ...]] = {
    ("C-NEW", "h1"): ("pass", "pass", "pass", "fail"),
    ("C-NEWHOST", "h9"): (None, None, None, "fail"),
    ("C-REGRESSED", "h1"): ("fail", "pass", "pass", "fail"),
    ("C-FLAP", "h1"): ("pass", "fail", "pass", "fail"),
    ("C-FIXED", "h1"): ("pass", "fail", "fail", "pass"),
    ("C-STILL", "h1"): ("fail", "fail", "fail", "fail"),
    ("C-WAIVER", "h1"): ("fail w", "fail w", "fail w", "fail x"),
    ("C-LAPSED", "h2"): ("pass", "pass", "warn w", "warn l"),
    ("C-UNVERIFIED", "h2"): ("pass", "pass", "fail", "error"),
    ("C-GONE", "h2"): ("fail", "fail", "fail", None),
    ("C-ERR", "h2"): ("pass", "pass", "pass", "error"),
    ("C-PASS", "h2"): ("pass", "pass", "pass", "pass"),
    ("C-MANUAL", "h2"): ("manual", "manual", "manual", "manual"),
}
OPERATOR = {"h1": "telecom", "h2": "mobile", "h9": "telecom"}
WAIVER_STATE = {"w": "active", "x": "expired", "l": "lapsed"}


def finding(control: str, host: str, spec: str, *, operator: str | None = None) -> Finding:
    status, _, mark = spec.partition(" ")
    waiver = (
        WaiverRef(
            ticket="CHG-1",
            approver="sec",
            justification="legacy",
            expires=T0 + timedelta(days=30),
            state=WAIVER_STATE[mark],
        )
        if mark
        else None
    )
    return Finding(
        fingerprint=fingerprint(control, host),
        control_id=control,
        control_version=1,
        title=control,
        title_zh=control,
        host=host,
        operator=operator or OPERATOR[host],
        role=Role.OLT,
        platform=Platform.HUAWEI_SMARTAX,
        phase=Phase.OPERATE,
        severity=Severity.HIGH,
        status=Status(status),
        waived=mark == "w",
        waiver=waiver,
        message=f"{control} on {host}: {status}",
    )


def run_info(run_id: str, day: int) -> RunInfo:
    start = T0 + timedelta(days=day)
    return RunInfo(
        id=run_id,
        started_at=start,
        finished_at=start + timedelta(minutes=5),
        tool_version="0.1.0",
        checks_digest="0" * 64,
        profile="baseline",
        source=EvidenceSource.OFFLINE,
    )


def result(index: int) -> RunResult:
    findings = tuple(
        finding(control, host, spec)
        for (control, host), statuses in PLAN.items()
        if (spec := statuses[index]) is not None
    )
    hosts = sorted({f.host for f in findings})
    return RunResult(
        run=run_info(IDS[index], index),
        operators={},
        targets=(),
        findings=findings,
        collection=tuple(
            CollectionRecord(host=h, operator=OPERATOR[h], state=CollectionState.OK) for h in hosts
        ),
    )


RESULTS = [result(i) for i in range(4)]


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    s = HistoryStore(tmp_path / "db" / "history.sqlite3")
    for i in (1, 3, 0, 2):  # out of order: history is ordered by start time, not by recording
        s.record(RESULTS[i])
    return s


def dump(store: HistoryStore) -> dict[str, list[tuple[object, ...]]]:
    with store.snapshot() as conn:
        return {
            table: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {table}"))  # noqa: S608
            for table in ("runs", "findings", "collection", "schema_version")
        }


# -- store -------------------------------------------------------------------------------------


def test_schema_wal_and_foreign_keys(store: HistoryStore) -> None:
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()
    with store.snapshot() as c:
        assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_runs_newest_first(store: HistoryStore) -> None:
    assert [r.id for r in store.runs()] == [R4, R3, R2, R1]
    assert [r.id for r in store.runs(limit=2)] == [R4, R3]
    row = store.run(R2)
    assert row.started_at == T0 + timedelta(days=1)
    assert row.source is EvidenceSource.OFFLINE


def test_resolve(store: HistoryStore) -> None:
    assert store.resolve(R2) == R2
    assert store.resolve("20260103") == R3
    assert store.resolve("latest") == R4
    assert store.resolve("previous") == R3
    assert store.resolve("latest~0") == R4
    assert store.resolve("latest~3") == R1
    with pytest.raises(HistoryError, match=r"ambiguous.*20260102T000000Z-aaaaa2"):
        store.resolve("2026010")
    with pytest.raises(HistoryError, match="no recorded run"):
        store.resolve("1999")
    with pytest.raises(HistoryError, match="only 4 run"):
        store.resolve("latest~4")
    with pytest.raises(HistoryError, match="empty"):
        store.resolve("")


def test_resolve_on_empty_history(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="no runs"):
        HistoryStore(tmp_path / "h.db").resolve("latest")


def test_record_is_idempotent(store: HistoryStore) -> None:
    before = dump(store)
    store.record(RESULTS[2])
    store.record(RESULTS[2])
    assert dump(store) == before
    # the same id recorded with different content replaces that run's rows
    smaller = RESULTS[2].model_copy(update={"findings": RESULTS[2].findings[:3]})
    store.record(smaller)
    with store.snapshot() as conn:
        assert conn.execute("SELECT COUNT(*) FROM findings WHERE run_id = ?", (R3,)).fetchone()[0] == 3
    assert len(store.runs()) == 4


def test_record_is_one_transaction(tmp_path: Path) -> None:
    s = HistoryStore(tmp_path / "h.db")
    dup = RESULTS[0].model_copy(update={"findings": (*RESULTS[0].findings, RESULTS[0].findings[0])})
    with pytest.raises(HistoryError, match="duplicate"):
        s.record(dup)
    assert s.runs() == []


def test_prune_keeps_newest(store: HistoryStore) -> None:
    assert store.prune(2) == 2
    assert [r.id for r in store.runs()] == [R4, R3]
    with store.snapshot() as conn:
        assert [tuple(r) for r in conn.execute("SELECT DISTINCT run_id FROM findings ORDER BY run_id")] == [
            (R3,),
            (R4,),
        ]
        assert (
            conn.execute("SELECT COUNT(*) FROM collection WHERE run_id IN (?, ?)", (R1, R2)).fetchone()[0]
            == 0
        )
    # C-REGRESSED failed only in the pruned R1: now it counts as new
    kinds = {e.control_id: e.kind for e in diff(store, R3, R4).entries}
    assert kinds["C-REGRESSED"] is DiffKind.NEW
    assert store.prune(5) == 0
    with pytest.raises(HistoryError):
        store.prune(-1)


def test_open_missing_without_create(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="no history database"):
        HistoryStore(tmp_path / "absent.db", create=False)
    assert not (tmp_path / "absent.db").exists()


def test_newer_schema_is_refused(store: HistoryStore) -> None:
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute("INSERT INTO schema_version VALUES (?, '2030-01-01T00:00:00.000000+00:00')", (99,))
    conn.close()
    with pytest.raises(HistoryError, match="newer"):
        HistoryStore(store.path)


def test_concurrent_writers(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        try:
            barrier.wait()
            s = HistoryStore(path)  # both threads create and migrate the same new file at once
            for i in range(5):
                base = RESULTS[i % 4]
                run = base.run.model_copy(update={"id": f"2026020{i}T000000Z-{prefix}{i:05d}"})
                s.record(base.model_copy(update={"run": run}))
        except BaseException as exc:  # surfaced below, in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    s = HistoryStore(path)
    assert len(s.runs()) == 10
    with s.snapshot() as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        assert (
            conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0]
            == sum(len(RESULTS[i % 4].findings) for i in range(5)) * 2
        )


# -- diff --------------------------------------------------------------------------------------

EXPECTED_R3_R4 = {
    "C-NEW": DiffKind.NEW,
    "C-NEWHOST": DiffKind.NEW,
    "C-REGRESSED": DiffKind.REGRESSED,
    "C-FLAP": DiffKind.REGRESSED,
    "C-FIXED": DiffKind.FIXED,
    "C-STILL": DiffKind.STILL_FAILING,
    "C-WAIVER": DiffKind.WAIVER_EXPIRED,
    "C-LAPSED": DiffKind.WAIVER_EXPIRED,
    "C-UNVERIFIED": DiffKind.UNVERIFIED,
    "C-GONE": DiffKind.UNVERIFIED,
    "C-ERR": DiffKind.NOT_FAILING,
    "C-PASS": DiffKind.NOT_FAILING,
    "C-MANUAL": DiffKind.NOT_FAILING,
}


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def test_diff_classes(store: HistoryStore) -> None:
    report = diff(store, "previous", "latest")
    assert (report.run_a.id, report.run_b.id) == (R3, R4)
    by_control = {e.control_id: e for e in report.entries}
    assert {c: e.kind for c, e in by_control.items()} == EXPECTED_R3_R4
    assert set(DiffKind) == {e.kind for e in report.entries}
    assert report.counts()["new"] == 2
    # entries are sorted by urgency
    assert [e.kind for e in report.entries] == sorted(
        (e.kind for e in report.entries), key=lambda k: list(DiffKind).index(k)
    )
    gone = by_control["C-GONE"]
    assert (gone.status_a, gone.status_b) == (Status.FAIL, None)
    waiver = by_control["C-WAIVER"]
    assert (waiver.waiver_a, waiver.waiver_b) == ("active", "expired")


def test_first_seen_and_last_changed(store: HistoryStore) -> None:
    e = {x.control_id: x for x in diff(store, R3, R4).entries}
    assert (e["C-NEW"].first_seen, e["C-NEW"].last_changed) == (day(3), day(3))
    assert (e["C-REGRESSED"].first_seen, e["C-REGRESSED"].last_changed) == (day(0), day(3))
    assert (e["C-FIXED"].first_seen, e["C-FIXED"].last_changed) == (day(1), day(3))
    assert (e["C-STILL"].first_seen, e["C-STILL"].last_changed) == (day(0), day(0))
    assert (e["C-GONE"].first_seen, e["C-GONE"].last_changed) == (day(0), day(0))
    assert (e["C-PASS"].first_seen, e["C-PASS"].last_changed) == (None, day(0))
    assert e["C-NEWHOST"].status_a is None


def test_earlier_means_before_b(store: HistoryStore) -> None:
    """C-FLAP failed in R2, between A=R1 and B=R4: regressed, not new."""
    e = {x.control_id: x.kind for x in diff(store, R1, R4).entries}
    assert e["C-FLAP"] is DiffKind.REGRESSED
    assert e["C-NEW"] is DiffKind.NEW
    assert e["C-FIXED"] is DiffKind.NOT_FAILING
    assert e["C-REGRESSED"] is DiffKind.STILL_FAILING


def test_include_errors(store: HistoryStore) -> None:
    e = {x.control_id: x.kind for x in diff(store, R3, R4, include_errors=True).entries}
    assert e["C-UNVERIFIED"] is DiffKind.STILL_FAILING
    assert e["C-ERR"] is DiffKind.NEW


def test_diff_json_is_stable(store: HistoryStore) -> None:
    text = diff_json(diff(store, R3, R4))
    assert text == diff_json(diff(store, "20260103", "latest"))
    doc = json.loads(text)
    assert list(doc) == sorted(doc)
    assert doc["counts"]["waiver_expired"] == 2
    assert len(doc["entries"]) == len(PLAN)
    assert "recorded_at" not in doc["run_a"]
    assert doc["entries"][0]["kind"] == "new"


def test_diff_table_and_markdown(store: HistoryStore) -> None:
    report = diff(store, R3, R4)
    console = Console(record=True, width=240)
    console.print(diff_table(report))
    text = console.export_text()
    assert "C-WAIVER" in text
    assert "fail (waiver expired)" in text
    assert "C-PASS" not in text  # not failing: hidden
    assert "C-ERR" not in text  # not failing, even though its status changed: hidden too
    console = Console(record=True, width=240)
    console.print(diff_table(report, show_all=True))
    everything = console.export_text()
    assert "C-PASS" in everything
    assert "C-ERR" in everything
    md = diff_markdown(report)
    assert md.startswith("# secaudit diff 20260103T000000Z-bbbbb3 → 20260104T000000Z-bbbbb4")
    for kind in ("new", "regressed", "waiver_expired", "still_failing", "unverified", "fixed"):
        assert f"## {kind} (" in md
    assert "| new | 2 |" in md


def test_diff_unknown_ref(store: HistoryStore) -> None:
    with pytest.raises(HistoryError):
        diff(store, "nope", "latest")


# -- trends ------------------------------------------------------------------------------------


def test_trend_scores_match_summary(store: HistoryStore) -> None:
    points = trend_points(store)
    assert [p.run_id for p in points] == list(IDS)
    for p, r in zip(points, RESULTS, strict=True):
        assert p.score == score(r.findings)
        assert p.score_with_waivers == score(r.findings, with_waivers=True)
        assert p.fails == sum(f.status is Status.FAIL for f in r.findings)
    mobile = trend_points(store, operator="mobile", limit=2)
    assert [p.run_id for p in mobile] == [R3, R4]
    assert mobile[-1].score == score(f for f in RESULTS[3].findings if f.operator == "mobile")
    assert trend_points(store, operator="nobody", limit=1)[0].score is None


def test_history_for(store: HistoryStore) -> None:
    seq = history_for(store, host="h1", control="C-FLAP")
    assert [p.status for p in seq] == [Status.PASS, Status.FAIL, Status.PASS, Status.FAIL]
    assert [p.started_at for p in seq] == [day(i) for i in range(4)]
    newhost = history_for(store, host="h9", control="C-NEWHOST", limit=2)
    assert [(p.status, p.score) for p in newhost] == [(None, None), (Status.FAIL, 0.0)]
    host = history_for(store, host="h2")
    assert host[-1].counts["error"] == 2
    assert host[-1].status is None
    assert sum(history_for(store, limit=1)[0].counts.values()) == len(RESULTS[3].findings)


def test_trend_svg(store: HistoryStore) -> None:
    points = trend_points(store)
    svg = trend_svg(points, title='Score <city> & "all"')
    assert svg == trend_svg(points, title='Score <city> & "all"')
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.find(f"{ns}title").text == 'Score <city> & "all"'
    assert "4 runs" in root.find(f"{ns}desc").text
    assert len(root.findall(f"{ns}circle")) == len(points)
    assert "<script" not in svg
    assert "href" not in svg
    labels = {t.text for t in root.iter(f"{ns}text")}
    assert {"0", "50", "100", "Score (%)"} <= labels


def test_trend_svg_gaps_and_empty() -> None:
    pts = [
        TrendPoint(f"2026010{i}T000000Z-00000{i}", day(i), None if i == 1 else 50.0 + i, 60.0, i)
        for i in range(1, 4)
    ]
    root = ElementTree.fromstring(trend_svg(pts))
    assert len(root.findall("{http://www.w3.org/2000/svg}circle")) == 2
    empty = ElementTree.fromstring(trend_svg([]))
    assert empty.findall("{http://www.w3.org/2000/svg}circle") == []
    with pytest.raises(HistoryError):
        trend_svg(pts, width=10)
