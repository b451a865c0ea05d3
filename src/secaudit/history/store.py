"""The run-history database: one SQLite file (stdlib ``sqlite3``), one row set per recorded run.

Every operation opens its own short-lived connection (WAL mode, foreign keys on, a busy timeout),
so one :class:`HistoryStore` may be shared by threads and several processes may write the same
file: writers queue on SQLite's lock instead of failing. The schema is created or upgraded when
the store is opened, from the explicit :data:`MIGRATIONS` list, and ``schema_version`` records
every version applied.

Timestamps are stored as fixed-width UTC ISO 8601 text (``2026-01-01T00:00:00.000000+00:00``), so
text order is time order. Runs are ordered by ``(started_at, id)``, oldest to newest.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import AwareDatetime

from secaudit.errors import SecauditError
from secaudit.health import Completeness, collection_health
from secaudit.models.base import Frozen
from secaudit.models.enums import EvidenceSource
from secaudit.models.finding import RunResult


class HistoryError(SecauditError):
    """The history database cannot be opened or written, or a run reference does not resolve."""


#: Schema migrations: entry ``i`` upgrades the database to version ``i + 1``. Append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id            TEXT PRIMARY KEY,
            started_at    TEXT NOT NULL,
            finished_at   TEXT NOT NULL,
            source        TEXT NOT NULL,
            profile       TEXT NOT NULL,
            tool_version  TEXT NOT NULL,
            checks_digest TEXT NOT NULL,
            recorded_at   TEXT NOT NULL
        )""",
        "CREATE INDEX runs_by_start ON runs (started_at, id)",
        """CREATE TABLE findings (
            run_id          TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            fingerprint     TEXT NOT NULL,
            control_id      TEXT NOT NULL,
            control_version INTEGER NOT NULL,
            host            TEXT NOT NULL,
            operator        TEXT NOT NULL,
            status          TEXT NOT NULL,
            severity        TEXT NOT NULL,
            waived          INTEGER NOT NULL CHECK (waived IN (0, 1)),
            waiver_state    TEXT CHECK (waiver_state IN ('active', 'expired', 'lapsed')),
            message         TEXT NOT NULL,
            PRIMARY KEY (run_id, fingerprint)
        ) WITHOUT ROWID""",
        "CREATE INDEX findings_by_fingerprint ON findings (fingerprint)",
        "CREATE INDEX findings_by_host_control ON findings (host, control_id)",
        """CREATE TABLE collection (
            run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            host     TEXT NOT NULL,
            operator TEXT NOT NULL,
            state    TEXT NOT NULL,
            PRIMARY KEY (run_id, host)
        ) WITHOUT ROWID""",
    ),
    (
        "ALTER TABLE runs ADD COLUMN fleet TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN hosts INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN completeness TEXT NOT NULL DEFAULT 'complete' "
        "CHECK (completeness IN ('complete', 'collection_incomplete'))",
        "CREATE INDEX runs_by_fleet ON runs (fleet, started_at, id)",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)

_LATEST_N = re.compile(r"^latest~([0-9]+)$")


def utc_text(moment: datetime) -> str:
    """A timestamp as the fixed-width UTC text the database stores (sorts as it compares).

    Examples:
        >>> from datetime import timedelta, timezone
        >>> utc_text(datetime(2026, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8))))
        '2026-01-01T00:00:00.000000+00:00'
    """
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def fleet_key(hosts: Iterable[str], name: str | None = None) -> str:
    """The fleet a run belongs to: its name when one is given, else the set of its hosts.

    Runs of different fleets never share a trend, nor ``latest``/``previous`` in a diff.

    Examples:
        >>> fleet_key(["r2", "r1"]) == fleet_key(["r1", "r2", "r1"])
        True
        >>> fleet_key(["r1", "r2"])
        'hosts:2:8434c376018e'
        >>> fleet_key(["r1"], "city-lab")
        'city-lab'
    """
    if name:
        return name
    names = sorted(set(hosts))
    digest = hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()[:12]
    return f"hosts:{len(names)}:{digest}"


def fleet_label(fleet: str) -> str:
    """A fleet key as people read it.

    Examples:
        >>> fleet_label("hosts:7:7b0f1e0b5a03"), fleet_label("city-lab"), fleet_label("")
        ('7 hosts (7b0f1e0b5a03)', 'city-lab', '(unknown)')
    """
    if fleet.startswith("hosts:") and fleet.count(":") == 2:
        _, count, digest = fleet.split(":")
        return f"{count} hosts ({digest})"
    return fleet or "(unknown)"


class RunRow(Frozen):
    """One recorded run (the ``runs`` table).

    ``completeness`` is ``collection_incomplete`` when half or more of the run's hosts failed
    collection (:mod:`secaudit.health`); ``fleet`` is :func:`fleet_key` of the run.
    """

    id: str
    started_at: AwareDatetime
    finished_at: AwareDatetime
    source: EvidenceSource
    profile: str
    tool_version: str
    checks_digest: str
    recorded_at: AwareDatetime
    fleet: str = ""
    hosts: int = 0
    completeness: Completeness = Completeness.COMPLETE


_RUN_COLUMNS = (
    "id, started_at, finished_at, source, profile, tool_version, checks_digest, recorded_at, "
    "fleet, hosts, completeness"
)


def _run_row(row: sqlite3.Row) -> RunRow:
    return RunRow.model_validate(dict(row))


class HistoryStore:
    """The history database at ``path`` (created with its folder unless ``create=False``).

    ``timeout`` is how long, in seconds, an operation waits for another writer's lock.
    """

    def __init__(self, path: Path, *, create: bool = True, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        if not self.path.exists():
            if not create:
                raise HistoryError(f"{self.path}: no history database here")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.path)!r})"

    # -- connections -------------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot open history database: {exc}") from exc
        with closing(conn):
            conn.row_factory = sqlite3.Row
            try:
                conn.execute("PRAGMA foreign_keys = ON")
                yield conn
            except sqlite3.DatabaseError as exc:
                raise HistoryError(f"{self.path}: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (``BEGIN IMMEDIATE``) so writers queue cleanly."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A connection that sees one consistent state of the database for all its reads.

        For the history package's own queries (diff, trends); rows are ``sqlite3.Row``.
        """
        with self._connect() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

    def _enable_wal(self) -> None:
        """Switch to WAL (persistent in the file). SQLite does not apply the busy timeout to this
        switch when another connection is opening the same new file, so it is retried here."""
        deadline = time.monotonic() + self.timeout
        pause = 0.005
        with self._connect() as conn:
            while True:
                try:
                    mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(pause)
                    pause = min(pause * 2, 0.2)
                    continue
                if mode != "wal":
                    raise HistoryError(f"{self.path}: cannot switch the database to WAL mode (got {mode})")
                return

    def _version(self, conn: sqlite3.Connection) -> int:
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if has_table is None:
            return 0
        return int(conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0])

    def _migrate(self) -> None:
        self._enable_wal()
        with self._connect() as conn:
            if self._version(conn) == SCHEMA_VERSION:
                return  # up to date: no write lock taken
        with self._write() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            current = self._version(conn)
            if current > SCHEMA_VERSION:
                raise HistoryError(
                    f"{self.path}: history schema version {current} is newer than this secaudit "
                    f"supports ({SCHEMA_VERSION}); upgrade secaudit"
                )
            now = utc_text(datetime.now(UTC))
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version - 1]:
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (version, now))
            if current < 2:
                _backfill_fleets(conn)

    # -- writing -----------------------------------------------------------------------------

    def record(self, result: RunResult, *, fleet: str | None = None) -> RunRow:
        """Record one run in one transaction; returns its row.

        ``fleet`` names the fleet (default: :func:`fleet_key` of the run's hosts). The run's
        completeness comes from its collection records (:func:`secaudit.health.collection_health`).
        Recording the same run id again replaces that run's findings and collection rows (so a
        repeat of the same result changes nothing; ``recorded_at`` keeps the first recording).
        """
        run = result.run
        hosts = [t.name for t in result.targets] or [c.host for c in result.collection]
        fleet_id = fleet_key(hosts, fleet)
        completeness = collection_health(result).completeness
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "  # noqa: S608
                "ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, "
                "finished_at = excluded.finished_at, source = excluded.source, "
                "profile = excluded.profile, tool_version = excluded.tool_version, "
                "checks_digest = excluded.checks_digest, fleet = excluded.fleet, "
                "hosts = excluded.hosts, completeness = excluded.completeness",
                (
                    run.id,
                    utc_text(run.started_at),
                    utc_text(run.finished_at),
                    run.source.value,
                    run.profile,
                    run.tool_version,
                    run.checks_digest,
                    utc_text(datetime.now(UTC)),
                    fleet_id,
                    len(set(hosts)),
                    completeness.value,
                ),
            )
            conn.execute("DELETE FROM findings WHERE run_id = ?", (run.id,))
            conn.execute("DELETE FROM collection WHERE run_id = ?", (run.id,))
            try:
                conn.executemany(
                    "INSERT INTO findings (run_id, fingerprint, control_id, control_version, host, "
                    "operator, status, severity, waived, waiver_state, message) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            run.id,
                            f.fingerprint,
                            f.control_id,
                            f.control_version,
                            f.host,
                            f.operator,
                            f.status.value,
                            f.severity.value,
                            int(f.waived),
                            f.waiver.state if f.waiver is not None else None,
                            f.message,
                        )
                        for f in result.findings
                    ],
                )
                conn.executemany(
                    "INSERT INTO collection (run_id, host, operator, state) VALUES (?, ?, ?, ?)",
                    [(run.id, c.host, c.operator, c.state.value) for c in result.collection],
                )
            except sqlite3.IntegrityError as exc:
                raise HistoryError(f"run {run.id}: duplicate finding or host in the result ({exc})") from exc
            select = f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?"  # noqa: S608 - constant columns
            return _run_row(conn.execute(select, (run.id,)).fetchone())

    def prune(self, keep: int) -> int:
        """Keep the newest ``keep`` runs, delete the rest (with their rows); returns how many went.

        Diffs and trends only see what is kept: ``new`` versus ``regressed`` and ``first_seen``
        are judged on the remaining history.
        """
        if keep < 0:
            raise HistoryError(f"prune: keep must be 0 or more, not {keep}")
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM runs WHERE id NOT IN "
                "(SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT ?)",
                (keep,),
            )
            return cursor.rowcount

    # -- reading -----------------------------------------------------------------------------

    def runs(self, limit: int | None = None, *, fleet: str | None = None) -> list[RunRow]:
        """Recorded runs, newest first (at most ``limit``; only ``fleet``'s when given)."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE (:fleet IS NULL OR fleet = :fleet) "  # noqa: S608
                "ORDER BY started_at DESC, id DESC LIMIT :limit",
                {"fleet": fleet, "limit": -1 if limit is None else max(limit, 0)},
            ).fetchall()
        return [_run_row(r) for r in rows]

    def latest_fleet(self) -> str | None:
        """The fleet of the newest recorded run (``None`` when nothing is recorded)."""
        latest = self.runs(1)
        return latest[0].fleet if latest else None

    def fleets(self) -> list[tuple[str, int, int, datetime]]:
        """Every fleet with runs: ``(fleet, hosts, runs, newest start)``, newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT fleet, MAX(hosts), COUNT(*), MAX(started_at) FROM runs GROUP BY fleet "
                "ORDER BY MAX(started_at) DESC"
            ).fetchall()
        return [(str(f), int(h), int(n), datetime.fromisoformat(t)) for f, h, n, t in rows]

    def run(self, ref: str, *, fleet: str | None = None) -> RunRow:
        """The run a reference names (see :meth:`resolve`)."""
        with self.snapshot() as conn:
            return _run_row(lookup_run(conn, ref, fleet=fleet))

    def resolve(self, ref: str, *, fleet: str | None = None) -> str:
        """The run id for ``ref``: a run id, a unique id prefix, ``latest``, ``previous`` or ``latest~N``.

        ``previous`` is ``latest~1``; ``latest~0`` is ``latest``; with ``fleet`` these count only
        that fleet's runs. Unknown, ambiguous and out-of-range references raise :class:`HistoryError`.
        """
        with self.snapshot() as conn:
            return str(lookup_run(conn, ref, fleet=fleet)["id"])


def _backfill_fleets(conn: sqlite3.Connection) -> None:
    """Runs recorded before fleets existed: fleet and completeness from their collection rows."""
    runs = [r[0] for r in conn.execute("SELECT id FROM runs WHERE fleet = ''").fetchall()]
    for run_id in runs:
        states = conn.execute("SELECT host, state FROM collection WHERE run_id = ?", (run_id,)).fetchall()
        if not states:
            continue
        failed = sum(state != "ok" for _, state in states)
        completeness = (
            Completeness.COLLECTION_INCOMPLETE if 2 * failed >= len(states) else Completeness.COMPLETE
        )
        conn.execute(
            "UPDATE runs SET fleet = ?, hosts = ?, completeness = ? WHERE id = ?",
            (fleet_key(h for h, _ in states), len(states), completeness.value, run_id),
        )


def lookup_run(conn: sqlite3.Connection, ref: str, *, fleet: str | None = None) -> sqlite3.Row:
    """The ``runs`` row a reference names (see :meth:`HistoryStore.resolve`), in ``conn``'s transaction."""
    ref = ref.strip()
    select = f"SELECT {_RUN_COLUMNS} FROM runs"  # noqa: S608 - constant
    back = 1 if ref == "previous" else 0 if ref == "latest" else None
    if back is None and (m := _LATEST_N.match(ref)):
        back = int(m.group(1))
    if back is not None:
        where = "WHERE (:fleet IS NULL OR fleet = :fleet)"
        total = conn.execute(f"SELECT COUNT(*) FROM runs {where}", {"fleet": fleet}).fetchone()[0]  # noqa: S608
        scope = f" in fleet {fleet_label(fleet)}" if fleet is not None else ""
        if total == 0:
            raise HistoryError(f"{ref!r}: no runs are recorded yet{scope}")
        row: sqlite3.Row | None = conn.execute(
            f"{select} {where} ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET :back",
            {"fleet": fleet, "back": back},
        ).fetchone()
        if row is None:
            raise HistoryError(f"{ref!r}: only {total} run(s) recorded{scope}")
        return row
    if not ref:
        raise HistoryError("empty run reference (use a run id, an id prefix, latest, previous or latest~N)")
    exact: sqlite3.Row | None = conn.execute(f"{select} WHERE id = ?", (ref,)).fetchone()
    if exact is not None:
        return exact
    matches: list[sqlite3.Row] = conn.execute(
        f"{select} WHERE substr(id, 1, ?) = ? ORDER BY started_at DESC, id DESC LIMIT 6", (len(ref), ref)
    ).fetchall()
    if not matches:
        raise HistoryError(f"{ref!r}: no recorded run has this id or id prefix")
    if len(matches) > 1:
        shown = ", ".join(r["id"] for r in matches[:5]) + (", ..." if len(matches) > 5 else "")
        raise HistoryError(f"{ref!r}: ambiguous run id prefix, matches {shown}")
    return matches[0]
